import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

const parse = (value) => new Date(`${value.replace(" ", "T")}Z`).getTime();

/**
 * *Enter room*, shown disabled with the time it opens: it turns active at
 * that moment without a reload, and off again when the room closes. Times
 * are the server's, corrected by the offset of this browser's clock.
 */
export class EnterRoom extends Interaction {
    static selector = ".o_clinic_vet_enter";
    dynamicContent = {
        _root: {
            "t-att-class": () => ({ disabled: !this.open }),
            "t-att-aria-disabled": () => (this.open ? "false" : "true"),
        },
    };

    setup() {
        const { opensAt, closesAt, now } = this.el.dataset;
        this.offset = parse(now) - Date.now();
        this.opensAt = parse(opensAt);
        this.closesAt = parse(closesAt);
        this.open = false;
    }

    start() {
        this.tick();
    }

    tick() {
        const now = Date.now() + this.offset;
        this.open = now >= this.opensAt && now <= this.closesAt;
        const next = now < this.opensAt ? this.opensAt - now : this.closesAt - now;
        if (next > 0 && next < 24 * 3600 * 1000) {
            this.waitForTimeout(() => this.tick(), Math.min(next + 50, 60000));
        }
    }
}

registry.category("public.interactions").add("clinic_vet.enter_room", EnterRoom);
