import { Component, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

/**
 * Camera and microphone check: a live preview of the camera and a level meter
 * for the microphone, with a clear message when a device is missing, refused
 * or busy. Used on every page where a patient waits for a video visit.
 */
export class DeviceCheck extends Component {
    static template = "clinic_meeting.DeviceCheck";
    static props = {};

    setup() {
        this.videoRef = useRef("video");
        this.state = useState({ status: "starting", message: "", level: 0 });
        onMounted(() => this.start());
        onWillUnmount(() => this.stop());
    }

    async start() {
        this.stop();
        this.state.status = "starting";
        this.state.message = "";
        if (!navigator.mediaDevices?.getUserMedia || !window.RTCPeerConnection) {
            this.fail(
                _t(
                    "This browser cannot make video calls. Please open this page in an up-to-date Chrome, Firefox, Edge or Safari."
                )
            );
            return;
        }
        try {
            this.stream = await navigator.mediaDevices.getUserMedia({
                video: { facingMode: "user" },
                audio: true,
            });
        } catch (error) {
            this.fail(await this.describeError(error));
            return;
        }
        this.state.status = "ready";
        this.videoRef.el.srcObject = this.stream;
        this.measureLevel();
    }

    stop() {
        cancelAnimationFrame(this.frame);
        this.audioContext?.close();
        this.audioContext = null;
        for (const track of this.stream?.getTracks() || []) {
            track.stop();
        }
        this.stream = null;
    }

    fail(message) {
        this.state.status = "error";
        this.state.message = message;
    }

    async describeError(error) {
        switch (error.name) {
            case "NotAllowedError":
            case "SecurityError":
                return _t(
                    "Access to your camera and microphone was refused. Allow them for this site (usually from the icon in the address bar), then press Try again."
                );
            case "NotFoundError":
            case "OverconstrainedError": {
                const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
                const hasCamera = devices.some((d) => d.kind === "videoinput");
                const hasMicrophone = devices.some((d) => d.kind === "audioinput");
                if (!hasCamera && hasMicrophone) {
                    return _t("No camera was found. Connect a camera, then press Try again.");
                }
                if (hasCamera && !hasMicrophone) {
                    return _t("No microphone was found. Connect a microphone, then press Try again.");
                }
                return _t(
                    "No camera or microphone was found. Connect them, then press Try again."
                );
            }
            case "NotReadableError":
            case "AbortError":
                return _t(
                    "Your camera or microphone is being used by another application. Close it, then press Try again."
                );
            default:
                return _t("Your camera and microphone could not be started (%s).", error.name);
        }
    }

    measureLevel() {
        if (!this.stream.getAudioTracks().length || !window.AudioContext) {
            return;
        }
        this.audioContext = new AudioContext();
        const analyser = this.audioContext.createAnalyser();
        analyser.fftSize = 512;
        this.audioContext.createMediaStreamSource(this.stream).connect(analyser);
        const samples = new Uint8Array(analyser.fftSize);
        const tick = () => {
            analyser.getByteTimeDomainData(samples);
            let sum = 0;
            for (const sample of samples) {
                sum += ((sample - 128) / 128) ** 2;
            }
            this.state.level = Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 300));
            this.frame = requestAnimationFrame(tick);
        };
        tick();
    }
}

registry.category("public_components").add("clinic_meeting.device_check", DeviceCheck);
