import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * The patient's link before the call opens: reload when it opens, so that a
 * patient who keeps the page open finds the call without doing anything.
 */
export class CallOpens extends Interaction {
    static selector = ".o_clinic_appointment_early[data-opens-in]";

    start() {
        const seconds = parseInt(this.el.dataset.opensIn, 10);
        // Timers cannot wait longer than about 24 days; a day is plenty.
        if (seconds > 0 && seconds < 24 * 3600) {
            this.waitForTimeout(() => window.location.reload(), seconds * 1000);
        }
    }
}

registry.category("public.interactions").add("clinic_appointment.call_opens", CallOpens);
