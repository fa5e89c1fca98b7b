import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The managers' live board: per lobby, who waits, the longest wait, the
 * pros active and in a visit. It reloads when a lobby's queue moves (the
 * lobbies' bus channels) and every 15 seconds for the clocks. No names.
 */
export class InsightBoard extends Component {
    static template = "clinic_insight.Board";
    static props = ["*"];

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({ lobbies: [], loaded: false });
        this.onChange = () => {
            clearTimeout(this.reloadTimer);
            this.reloadTimer = setTimeout(() => this.load(), 100);
        };
        onWillStart(() => this.load());
        onMounted(() => {
            this.busService.subscribe("clinic.meeting/changed", this.onChange);
            this.busService.addChannel("clinic_insight.board");
            this.timer = setInterval(() => this.load(), 15000);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe("clinic.meeting/changed", this.onChange);
            this.busService.deleteChannel("clinic_insight.board");
            clearInterval(this.timer);
        });
    }

    async load() {
        Object.assign(this.state, await rpc("/clinic/insight/board"), { loaded: true });
    }
}

registry.category("actions").add("clinic_insight.board", InsightBoard);
