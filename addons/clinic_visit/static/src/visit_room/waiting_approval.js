import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/** A new device's wait: the pro lets it in (the page opens the visit) or refuses it. */
export class WaitingApproval extends Component {
    static template = "clinic_visit.WaitingApproval";
    static props = { channel: String, requestId: Number, statusUrl: String, proName: String };

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({ state: "pending" });
        this.onRequest = this.onRequest.bind(this);
        onMounted(() => {
            this.busService.subscribe("clinic.visit/request", this.onRequest);
            this.busService.subscribe("clinic.visit/killed", () => window.location.reload());
            this.busService.addChannel(this.props.channel);
            // Should the websocket be down, ask now and then.
            this.poll = setInterval(() => this.refresh(), 10000);
        });
        onWillUnmount(() => clearInterval(this.poll));
    }

    onRequest({ request_id, state }) {
        if (request_id === this.props.requestId) {
            this.apply(state);
        }
    }

    async refresh() {
        try {
            this.apply((await rpc(this.props.statusUrl, { request_id: this.props.requestId })).state);
        } catch {
            window.location.reload(); // the visit ended meanwhile
        }
    }

    apply(state) {
        this.state.state = state;
        if (state === "accepted") {
            clearInterval(this.poll);
            window.location.reload();
        } else if (state === "refused") {
            clearInterval(this.poll);
        }
    }
}

registry.category("public_components").add("clinic_visit.waiting_approval", WaitingApproval);
