import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";

/** The front camera at a size any phone and connection can carry. */
export const VIDEO_CONSTRAINTS = Object.freeze({
    facingMode: "user",
    width: { ideal: 640 },
    height: { ideal: 480 },
});

/** The kinds of capture device one can choose, as ``enumerateDevices`` names them. */
export const DEVICE_KINDS = Object.freeze({ camera: "videoinput", microphone: "audioinput" });

/** @returns {boolean} whether this browser can capture and make calls at all */
export function canMakeVideoCalls() {
    return Boolean(
        navigator.mediaDevices?.getUserMedia && window.RTCPeerConnection && window.MediaStream
    );
}

export function unsupportedBrowserMessage() {
    return _t(
        "This browser cannot make video calls. Please open this page in an up-to-date Chrome, Firefox, Edge or Safari."
    );
}

/**
 * A clear message for a failed getUserMedia, naming what is missing.
 *
 * @param {Error} error
 * @returns {Promise<string>}
 */
export async function describeMediaError(error) {
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
            return _t("No camera or microphone was found. Connect them, then press Try again.");
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

/**
 * Follow the loudness of the audio of ``stream`` (0 to 100) until the
 * returned function is called.
 *
 * @param {MediaStream} stream
 * @param {(level: number) => void} onLevel
 * @returns {() => void} stop
 */
export function watchMicrophoneLevel(stream, onLevel) {
    if (!stream.getAudioTracks().length || !window.AudioContext) {
        return () => {};
    }
    const audioContext = new AudioContext();
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    audioContext.createMediaStreamSource(stream).connect(analyser);
    const samples = new Uint8Array(analyser.fftSize);
    let frame;
    const tick = () => {
        analyser.getByteTimeDomainData(samples);
        let sum = 0;
        for (const sample of samples) {
            sum += ((sample - 128) / 128) ** 2;
        }
        onLevel(Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 300)));
        frame = requestAnimationFrame(tick);
    };
    // An audio context may wait for a first interaction with the page to run.
    const resume = () => audioContext.resume();
    document.addEventListener("pointerdown", resume, { once: true });
    tick();
    return () => {
        cancelAnimationFrame(frame);
        document.removeEventListener("pointerdown", resume);
        audioContext.close();
    };
}

// ----------------------------------------------------------------------
// Choosing a camera and a microphone
// ----------------------------------------------------------------------

const storageKey = (kind) => `clinic_meeting.device.${kind}`;

/**
 * The device of ``kind`` ("camera" or "microphone") chosen last time in this
 * browser, if any.
 *
 * @param {"camera"|"microphone"} kind
 * @returns {string|null} its deviceId
 */
export function getSavedDeviceId(kind) {
    // Odoo's browser.localStorage falls back to memory where storage is refused.
    return browser.localStorage.getItem(storageKey(kind)) || null;
}

/**
 * @param {"camera"|"microphone"} kind
 * @param {string} deviceId
 */
export function saveDeviceId(kind, deviceId) {
    try {
        browser.localStorage.setItem(storageKey(kind), deviceId);
    } catch {
        // storage full: the choice holds for this page only
    }
}

/**
 * The cameras and microphones this browser sees. Before the page may use
 * them, browsers list them without ids or names: none is returned then.
 *
 * @returns {Promise<{deviceId: string, kind: string, label: string}[]>}
 */
export async function listCaptureDevices() {
    const devices = await navigator.mediaDevices?.enumerateDevices().catch(() => []);
    const kinds = Object.values(DEVICE_KINDS);
    return (devices || [])
        .filter((device) => kinds.includes(device.kind) && device.deviceId)
        .map(({ deviceId, kind, label }) => ({ deviceId, kind, label }));
}

/**
 * What to ask getUserMedia for, to capture with the device ``deviceId`` of
 * ``kind`` (the default device when none is given).
 *
 * @param {"camera"|"microphone"} kind
 * @param {string|null} [deviceId]
 * @returns {MediaTrackConstraints|true}
 */
export function captureConstraints(kind, deviceId) {
    if (kind === "camera") {
        if (!deviceId) {
            return VIDEO_CONSTRAINTS;
        }
        // A chosen camera (an otoscope, the back camera) beats the front one.
        const { width, height } = VIDEO_CONSTRAINTS;
        return { deviceId: { exact: deviceId }, width, height };
    }
    return deviceId ? { deviceId: { exact: deviceId } } : true;
}

/**
 * The clinic's known medical device that ``device`` is, if any: the first
 * of ``knownDevices`` of the same kind whose label is part of the device's.
 *
 * @param {{kind: string, label: string}} device a device of the browser
 * @param {{name: string, kind: string, label: string, instructions: string}[]} knownDevices
 */
export function findKnownDevice(device, knownDevices = []) {
    const label = device.label.toLowerCase();
    return knownDevices.find(
        (known) =>
            DEVICE_KINDS[known.kind] === device.kind &&
            known.label &&
            label.includes(known.label.toLowerCase())
    );
}
