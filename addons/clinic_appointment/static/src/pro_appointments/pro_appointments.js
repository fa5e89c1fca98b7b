import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { rpc } from "@web/core/network/rpc";
import { useService } from "@web/core/utils/hooks";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { ProDashboard } from "@clinic_lobby/pro_dashboard/pro_dashboard";

const { DateTime } = luxon;

/**
 * The *Appointments* part of the pro dashboard: one day of the pro's
 * bookings, with arrows to other days. *Start call* appears from one hour
 * before an appointment and makes its call the pro's current meeting;
 * *Cancel* asks for an optional reason, emailed to the patient. A booking
 * or a cancellation pushed on the bus reloads the day.
 */
export class ProAppointments extends Component {
    static template = "clinic_appointment.ProAppointments";
    static props = { onCallStarted: { type: Function, optional: true } };

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({
            loaded: false,
            day: false,
            today: false,
            tz: "",
            appointments: [],
            error: "",
            busy: false,
            cancelling: false,
            reason: "",
            now: Date.now(),
        });
        this.onChanged = this.onChanged.bind(this);
        onWillStart(() => this.load());
        onMounted(() => {
            this.busService.subscribe("clinic.appointment/changed", this.onChanged);
            this.clock = setInterval(() => (this.state.now = Date.now()), 15000);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe("clinic.appointment/changed", this.onChanged);
            clearInterval(this.clock);
        });
    }

    async load(day = this.state.day) {
        this.apply(await rpc("/my/clinic/appointments", { day: day || null }));
    }

    apply(data) {
        Object.assign(this.state, data, { loaded: true, now: Date.now() });
        this.state.error = data.error || "";
    }

    onChanged() {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => this.load(), 50);
    }

    shiftDay(days) {
        const day = DateTime.fromISO(this.state.day).plus({ days }).toISODate();
        this.state.cancelling = false;
        return this.load(day);
    }

    get dayLabel() {
        return DateTime.fromISO(this.state.day).toLocaleString({
            weekday: "long",
            day: "numeric",
            month: "long",
            year: "numeric",
        });
    }

    get isToday() {
        return this.state.day === this.state.today;
    }

    canStart(appointment) {
        const from = deserializeDateTime(appointment.start_call_from).toMillis();
        const until = deserializeDateTime(appointment.call_until).toMillis();
        const ended = ["done", "cancelled"].includes(appointment.meeting_state);
        return !ended && this.state.now >= from && (this.state.now <= until || appointment.meeting_state === "in_progress");
    }

    async act(url, params) {
        this.state.busy = true;
        try {
            this.apply(await rpc(url, { day: this.state.day, ...params }));
        } finally {
            this.state.busy = false;
        }
    }

    async startCall(appointment) {
        await this.act(`/my/clinic/appointment/${appointment.id}/start`, {});
        if (!this.state.error) {
            this.props.onCallStarted?.();
        }
    }

    askCancel(appointment) {
        this.state.cancelling = appointment.id;
        this.state.reason = "";
    }

    async confirmCancel(appointment) {
        await this.act(`/my/clinic/appointment/${appointment.id}/cancel`, { reason: this.state.reason });
        this.state.cancelling = false;
    }
}

ProDashboard.components = { ...ProDashboard.components, ProAppointments };
