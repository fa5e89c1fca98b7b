import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { VideoCall } from "@clinic_meeting/video_call/video_call";

/**
 * The pro dashboard: the live queue of my lobbies, the meetings in progress
 * there, my meetings, and my current meeting. Any change pushed on the bus
 * (a check-in, a join, a leave) reloads the data from the server, which
 * decides what this pro may see.
 */
export class ProDashboard extends Component {
    static template = "clinic_lobby.ProDashboard";
    static components = { VideoCall };
    static props = {};

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({
            loaded: false,
            queue: [],
            in_progress: [],
            my_meetings: [],
            current: false,
            lobbies: [],
            error: "",
            busy: false,
            now: Date.now(),
        });
        this.onMeetingChanged = this.onMeetingChanged.bind(this);
        onWillStart(() => this.load());
        onMounted(() => {
            this.busService.subscribe("clinic.meeting/changed", this.onMeetingChanged);
            this.busService.addChannel("clinic_lobby.queue");
            this.clock = setInterval(() => (this.state.now = Date.now()), 15000);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe("clinic.meeting/changed", this.onMeetingChanged);
            clearInterval(this.clock);
        });
    }

    async load() {
        this.apply(await rpc("/my/clinic/data"));
    }

    apply(data) {
        Object.assign(this.state, data, { loaded: true, now: Date.now() });
        this.state.error = data.error || "";
    }

    onMeetingChanged() {
        // Several notifications often arrive together: reload once.
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => this.load(), 50);
    }

    async join(meeting, takeOver = false) {
        await this.act(`/my/clinic/meeting/${meeting.id}/join`, { take_over: takeOver });
    }

    async leave(meeting) {
        await this.act(`/my/clinic/meeting/${meeting.id}/leave`, {});
    }

    async act(url, params) {
        this.state.busy = true;
        try {
            this.apply(await rpc(url, params));
        } finally {
            this.state.busy = false;
        }
    }

    /** Meetings of my lobbies that other pros are running. */
    get othersInProgress() {
        return this.state.in_progress.filter((meeting) => !meeting.i_am_in);
    }

    minutesSince(datetime) {
        if (!datetime) {
            return 0;
        }
        const since = deserializeDateTime(datetime).toMillis();
        return Math.max(0, Math.floor((this.state.now - since) / 60000));
    }

    waitingLabel(meeting) {
        const minutes = this.minutesSince(meeting.checked_in_at);
        return minutes < 1 ? _t("just now") : _t("%s min", minutes);
    }

    ageLabel(meeting) {
        return meeting.age === null ? "" : _t("%s y", meeting.age);
    }

    participantsLabel(meeting) {
        return _t("%(participants)s participants, %(pros)s pro", {
            participants: meeting.participant_count,
            pros: meeting.pro_count,
        });
    }

    stateLabel(meeting) {
        return {
            waiting: _t("Waiting"),
            in_progress: _t("In progress"),
            done: _t("Done"),
            cancelled: _t("Cancelled"),
        }[meeting.state];
    }
}

registry.category("public_components").add("clinic_lobby.pro_dashboard", ProDashboard);
