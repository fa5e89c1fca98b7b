import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * "Did not receive it?": counts down the seconds before a new code may be
 * asked for, then enables the button. The server renders the same state
 * (and enforces the delay), so the page works without this too.
 */
export class ResendCountdown extends Interaction {
    static selector = ".o_clinic_auth_sms_resend";
    dynamicContent = {
        ".o_clinic_auth_sms_countdown": {
            "t-att-class": () => ({ "d-none": this.remaining <= 0 }),
        },
        ".o_clinic_auth_sms_countdown_time": {
            // m:ss, as the server renders it: no words to translate
            "t-out": () =>
                `${Math.floor(this.remaining / 60)}:${String(this.remaining % 60).padStart(2, "0")}`,
        },
        ".o_clinic_auth_sms_resend_ready": {
            "t-att-class": () => ({ "d-none": this.remaining > 0 }),
        },
        ".o_clinic_auth_sms_resend_button": {
            "t-att-disabled": () => this.remaining > 0,
        },
    };

    setup() {
        const delay = parseInt(this.el.dataset.resendDelay, 10) || 0;
        this.deadline = Date.now() + delay * 1000;
        this.remaining = delay;
    }

    start() {
        this.scheduleTick();
    }

    scheduleTick() {
        if (this.remaining <= 0) {
            return;
        }
        // Wake up on the next whole second before the deadline: no drift.
        const untilNextSecond = (this.deadline - Date.now()) % 1000 || 1000;
        this.waitForTimeout(() => {
            this.remaining = Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
            this.scheduleTick();
        }, untilNextSecond);
    }
}

registry
    .category("public.interactions")
    .add("clinic_auth_sms.resend_countdown", ResendCountdown);
