import { onMounted, onWillUnmount } from "@odoo/owl";
import { patch } from "@web/core/utils/patch";
import { ProDashboard } from "@clinic_lobby/pro_dashboard/pro_dashboard";

const PRESENCE_INTERVAL = 60_000;

/**
 * A pro with the dashboard open is active: the page tells Odoo's presence
 * (``mail.presence``, as Discuss does in the backend) every minute, and the
 * websocket's closing sets it offline. The patients' expected wait counts
 * the lobby's active pros.
 */
patch(ProDashboard.prototype, {
    setup() {
        super.setup();
        const sendPresence = () => this.busService.send("update_presence", { inactivity_period: 0 });
        onMounted(() => {
            this.busService.addEventListener("BUS:CONNECT", sendPresence);
            sendPresence();
            this.presenceTimer = setInterval(sendPresence, PRESENCE_INTERVAL);
        });
        onWillUnmount(() => {
            this.busService.removeEventListener("BUS:CONNECT", sendPresence);
            clearInterval(this.presenceTimer);
        });
    },
});
