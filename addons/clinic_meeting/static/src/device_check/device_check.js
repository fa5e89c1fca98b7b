import { Component, onMounted, onWillUnmount, useRef, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import {
    VIDEO_CONSTRAINTS,
    canMakeVideoCalls,
    describeMediaError,
    unsupportedBrowserMessage,
    watchMicrophoneLevel,
} from "@clinic_meeting/media/media";

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
        if (!canMakeVideoCalls()) {
            this.fail(unsupportedBrowserMessage());
            return;
        }
        try {
            this.stream = await navigator.mediaDevices.getUserMedia({
                video: VIDEO_CONSTRAINTS,
                audio: true,
            });
        } catch (error) {
            this.fail(await describeMediaError(error));
            return;
        }
        this.state.status = "ready";
        this.videoRef.el.srcObject = this.stream;
        this.stopLevel = watchMicrophoneLevel(this.stream, (level) => (this.state.level = level));
    }

    stop() {
        this.stopLevel?.();
        this.stopLevel = null;
        for (const track of this.stream?.getTracks() || []) {
            track.stop();
        }
        this.stream = null;
    }

    fail(message) {
        this.state.status = "error";
        this.state.message = message;
    }
}

registry.category("public_components").add("clinic_meeting.device_check", DeviceCheck);
