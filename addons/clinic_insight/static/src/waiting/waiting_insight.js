import { patch } from "@web/core/utils/patch";
import { _t } from "@web/core/l10n/translation";
import { onMounted, onWillUnmount } from "@odoo/owl";
import { WaitingStatus } from "@clinic_lobby/waiting_status/waiting_status";

/**
 * The waiting patient's place in line and expected wait: asked again
 * whenever the lobby's queue moves (``clinic.lobby/queue``, which the
 * page's secret meeting channel also brings).
 */
patch(WaitingStatus.prototype, {
    setup() {
        super.setup();
        this.onQueueMoved = () => this.refresh();
        onMounted(() => this.busService.subscribe("clinic.lobby/queue", this.onQueueMoved));
        onWillUnmount(() => this.busService.unsubscribe("clinic.lobby/queue", this.onQueueMoved));
    },

    get placeLabel() {
        const position = this.state.position;
        if (position === 1) {
            return _t("Your turn is next.");
        }
        const ordinal = { 2: _t("2nd"), 3: _t("3rd") }[position] || _t("%sth", position);
        return _t("You are %s in line.", ordinal);
    },

    get waitLabel() {
        const minutes = this.state.expected_minutes;
        if (this.state.position === 1 || minutes === null || minutes === undefined) {
            return "";
        }
        // Rounded up to 5 minutes: a promise, not a countdown.
        return _t("Expected wait: about %s minutes.", Math.max(5, Math.ceil(minutes / 5) * 5));
    },
});
