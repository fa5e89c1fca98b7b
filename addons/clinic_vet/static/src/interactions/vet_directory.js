import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * The directory and a vet's page: the *Online* badges follow the vets'
 * rooms live (the bus's public directory channel), and *Near me* asks for
 * the browser's position, only when clicked, to sort by distance.
 */
export class VetDirectory extends Interaction {
    static selector = ".o_clinic_vet_directory";
    dynamicContent = {
        ".o_clinic_vet_near_me": { "t-on-click": this.nearMe },
    };

    setup() {
        this.onStatus = this.onStatus.bind(this);
    }

    start() {
        const bus = this.services.bus_service;
        bus.subscribe("clinic.vet/status", this.onStatus);
        bus.addChannel(this.el.dataset.channel);
        bus.start();
        this.el.dataset.live = "1"; // badges and *Near me* work from now on
        this.registerCleanup(() => {
            bus.unsubscribe("clinic.vet/status", this.onStatus);
            bus.deleteChannel(this.el.dataset.channel);
        });
    }

    onStatus({ vet_id, online }) {
        for (const badge of this.el.querySelectorAll(`.o_clinic_vet_online[data-vet-id="${vet_id}"]`)) {
            badge.classList.toggle("d-none", !online);
        }
    }

    nearMe() {
        const error = this.el.querySelector(".o_clinic_vet_near_error");
        if (!navigator.geolocation) {
            error?.classList.remove("d-none");
            return;
        }
        navigator.geolocation.getCurrentPosition(
            ({ coords }) => {
                const params = new URLSearchParams(window.location.search);
                params.set("lat", coords.latitude.toFixed(5));
                params.set("lon", coords.longitude.toFixed(5));
                window.location.assign(`/vets?${params}`);
            },
            () => error?.classList.remove("d-none"),
            { timeout: 10000 }
        );
    }
}

registry.category("public.interactions").add("clinic_vet.vet_directory", VetDirectory);
