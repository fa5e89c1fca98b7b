import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * What the waiting patient sees change live: a pro joining, the visit ending.
 * The page listens to its meeting's own bus channel (its name holds a secret
 * that only this page was given) and asks the server for the new state.
 */
export class WaitingStatus extends Component {
    static template = "clinic_lobby.WaitingStatus";
    static props = {
        statusUrl: String,
        channel: String,
        state: String,
    };

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({ state: this.props.state, pro_names: [] });
        this.onMeetingChanged = this.onMeetingChanged.bind(this);
        onMounted(() => {
            this.busService.subscribe("clinic.meeting/changed", this.onMeetingChanged);
            this.busService.addChannel(this.props.channel);
            this.refresh();
        });
        onWillUnmount(() =>
            this.busService.unsubscribe("clinic.meeting/changed", this.onMeetingChanged)
        );
    }

    onMeetingChanged() {
        this.refresh();
    }

    async refresh() {
        Object.assign(this.state, await rpc(this.props.statusUrl));
    }
}

registry.category("public_components").add("clinic_lobby.waiting_status", WaitingStatus);
