import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { rpc } from "@web/core/network/rpc";
import { ProDashboard } from "@clinic_lobby/pro_dashboard/pro_dashboard";

/**
 * The vet's part of the pro dashboard: *Open my room* / *Close my room*
 * (their *Online* badge in the directory, live), and the coming
 * reservations with the pet, the owner's words, the pre-screening and the
 * photo, and the way into each room from 5 minutes before.
 */
export class VetRoom extends Component {
    static template = "clinic_vet.VetRoom";
    static props = {};

    setup() {
        this.state = useState({
            loaded: false,
            is_vet: false,
            vet: {},
            reservations: [],
            busy: false,
            now: Date.now(),
        });
        onWillStart(() => this.load());
        onMounted(() => (this.clock = setInterval(() => (this.state.now = Date.now()), 5000)));
        onWillUnmount(() => clearInterval(this.clock));
    }

    async load() {
        this.apply(await rpc("/my/clinic/vet"));
    }

    apply(data) {
        // The server's clock decides; this browser's may be off.
        this.offset = data.now ? deserializeDateTime(data.now).toMillis() - Date.now() : 0;
        Object.assign(this.state, data, { loaded: true, now: Date.now() });
    }

    canOpen(reservation) {
        const now = this.state.now + this.offset;
        return (
            now >= deserializeDateTime(reservation.opens_at).toMillis() &&
            now <= deserializeDateTime(reservation.closes_at).toMillis()
        );
    }

    async toggle() {
        this.state.busy = true;
        try {
            this.apply(await rpc("/my/clinic/vet/room", { open: !this.state.vet.room_open }));
        } finally {
            this.state.busy = false;
        }
    }

    percent(label) {
        return Math.round(label.confidence * 100);
    }
}

ProDashboard.components = { ...ProDashboard.components, VetRoom };
