import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { useService } from "@web/core/utils/hooks";
import { ProDashboard } from "@clinic_lobby/pro_dashboard/pro_dashboard";

const EMPTY_FORM = { name: "", phone: "", email: "", companion_name: "", end_date: "" };

/**
 * The *Visits* part of the pro dashboard: *New visit*, and *My visits* with
 * each participant's link (copy, send by email or SMS), who is connected,
 * the new devices waiting to be let in, and *Destroy*. Changes pushed on the
 * bus (a link opened, a device waiting, a call starting) reload the list.
 */
export class ProVisits extends Component {
    static template = "clinic_visit.ProVisits";
    static props = {};

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({
            loaded: false,
            visits: [],
            showForm: false,
            form: { ...EMPTY_FORM },
            errors: {},
            error: "",
            notice: "",
            busy: false,
            copied: false,
            confirmKill: false,
        });
        this.onChanged = this.onChanged.bind(this);
        onWillStart(() => this.load());
        onMounted(() => this.busService.subscribe("clinic.visit/changed", this.onChanged));
        onWillUnmount(() => this.busService.unsubscribe("clinic.visit/changed", this.onChanged));
    }

    async load() {
        this.apply(await rpc("/my/clinic/visits"));
    }

    apply(data) {
        Object.assign(this.state, { visits: data.visits || [], loaded: true });
        this.state.error = data.error || "";
    }

    onChanged() {
        clearTimeout(this.reloadTimer);
        this.reloadTimer = setTimeout(() => this.load(), 50);
    }

    async act(url, params = {}) {
        this.state.busy = true;
        try {
            const data = await rpc(url, params);
            this.apply(data);
            return data;
        } finally {
            this.state.busy = false;
        }
    }

    async create(ev) {
        ev.preventDefault();
        const data = await this.act("/my/clinic/visit/create", this.state.form);
        this.state.errors = data.errors || {};
        if (data.created_id) {
            this.state.form = { ...EMPTY_FORM };
            this.state.showForm = false;
            this.state.notice = _t("The visit is open: send each participant their link.");
        }
    }

    async copy(participant) {
        await navigator.clipboard?.writeText(participant.url).catch(() => {});
        this.state.copied = participant.id;
    }

    async sendLink(visit, participant, channel) {
        const data = await this.act(`/my/clinic/visit/${visit.id}/send`, {
            participant_id: participant.id,
            channel,
        });
        if (!data.error) {
            this.state.notice =
                channel === "email"
                    ? _t("The link was sent to %s by email.", participant.name)
                    : _t("The link was sent to %s by SMS.", participant.name);
        }
    }

    decide(visit, request, accept) {
        return this.act(`/my/clinic/visit/${visit.id}/request/${request.id}/decide`, { accept });
    }

    async kill(visit) {
        await this.act(`/my/clinic/visit/${visit.id}/kill`);
        this.state.confirmKill = false;
    }

    stateLabel(visit) {
        return {
            open: _t("Open"),
            in_progress: _t("In progress"),
            ended: _t("Ended"),
            killed: _t("Destroyed"),
        }[visit.state];
    }

    roleLabel(participant) {
        return { pro: _t("You"), patient: _t("Patient"), companion: _t("Companion") }[participant.role];
    }

    requestLabel(request) {
        return _t("%s opened their link on a new device.", request.name);
    }
}

ProDashboard.components = { ...ProDashboard.components, ProVisits };
