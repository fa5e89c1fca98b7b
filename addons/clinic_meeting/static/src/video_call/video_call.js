import { STREAM_TYPE, UPDATE_EVENT } from "@mail/discuss/call/common/peer_to_peer";
import {
    Component,
    markRaw,
    onMounted,
    onPatched,
    onWillUnmount,
    status,
    useRef,
    useState,
} from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import {
    DEVICE_KINDS,
    VIDEO_CONSTRAINTS,
    canMakeVideoCalls,
    captureConstraints,
    describeMediaError,
    findKnownDevice,
    getSavedDeviceId,
    listCaptureDevices,
    saveDeviceId,
    unsupportedBrowserMessage,
    watchMicrophoneLevel,
} from "@clinic_meeting/media/media";
import { ClinicPeerToPeer } from "@clinic_meeting/video_call/clinic_peer_to_peer";

/** Discuss drops a call session it has not heard of for 75 seconds. */
const PING_INTERVAL = 30_000;
/** How long joining waits for the camera, to put it in the first offer. */
const MEDIA_HEAD_START = 800;
const REJOIN_DELAYS = [1_000, 2_000, 5_000, 10_000];
const ENDED_STATES = ["done", "cancelled"];
const LOST_CONNECTION_STATES = ["disconnected", "failed", "reconnecting"];
/** getUserMedia's errors for a device that another capture holds. */
const DEVICE_BUSY_ERRORS = ["NotReadableError", "AbortError"];

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const trackDeviceId = (track) => track?.getSettings().deviceId || "";

/** A <video> or <audio> element showing a MediaStream. */
export class CallMedia extends Component {
    static template = "clinic_meeting.CallMedia";
    static props = {
        stream: { type: Object, optional: true },
        kind: { type: String, optional: true },
        label: { type: String, optional: true },
        class: { type: String, optional: true },
        onBlocked: { type: Function, optional: true },
    };

    setup() {
        this.ref = useRef("media");
        onMounted(() => this.bind());
        onPatched(() => this.bind());
    }

    bind() {
        const el = this.ref.el;
        const stream = this.props.stream || null;
        if (!el || el.srcObject === stream) {
            return;
        }
        if (this.props.kind !== "audio") {
            el.muted = true; // sound plays in its own <audio>: a muted video always autoplays
        }
        el.srcObject = stream;
        el.play?.().catch((error) => {
            if (error.name === "NotAllowedError") {
                this.props.onBlocked?.();
            }
        });
    }
}

/**
 * The video call of a clinic meeting, for the patient's page and the pro's
 * dashboard: one's own camera, the other participants, microphone and camera
 * switches, and a clear word for everything that can go wrong.
 *
 * The call is a Discuss call: the server puts this page in the meeting's
 * private channel (``/clinic/meeting/<id>/call/join``) and returns the ICE
 * servers and who is there; peer connections go through Discuss's
 * peer-to-peer network (``PeerToPeer``), whose signalling travels over the
 * bus. The page that joins calls the others; a reload or a lost session
 * joins again, and the others take the new session's call.
 *
 * A device picker lists the cameras and microphones the browser sees (a USB
 * otoscope or a digital stethoscope is one of them, named after
 * ``knownDevices``) and switches the one sent during the call, without
 * reconnecting; the choice is remembered in this browser.
 */
export class VideoCall extends Component {
    static template = "clinic_meeting.VideoCall";
    static components = { CallMedia };
    static props = {
        meetingId: Number,
        role: { type: String, validate: (role) => ["patient", "pro"].includes(role) },
        // The patient's page listens to its meeting on this (secret) channel.
        busChannel: { type: String, optional: true },
        leaveUrl: { type: String, optional: true },
        onLeave: { type: Function, optional: true },
        // The clinic's medical devices: {name, kind: "camera"|"microphone", label, instructions};
        // a device of the browser whose label contains ``label`` is shown as ``name``.
        knownDevices: { type: Array, optional: true },
    };

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({
            // starting, joined, ended, left, elsewhere, unsupported
            phase: "starting",
            callError: "",
            mediaError: "",
            mediaStarting: true,
            micOn: true,
            cameraOn: true,
            hasMicrophone: false,
            localVideo: null,
            level: 0,
            remotes: {},
            soundBlocked: false,
            // The cameras and microphones to choose from, and the chosen ones.
            devices: [],
            cameraId: getSavedDeviceId("camera") || "",
            microphoneId: getSavedDeviceId("microphone") || "",
            devicesOpen: false,
        });
        this.sessionId = null;
        this.channelId = null;
        /** Sessions in the call, as the server last said: id -> {id, name, role, isSelf}. */
        this.sessions = new Map();
        this.audioTrack = null;
        this.videoTrack = null;
        this.rejoinAttempt = 0;
        this.switchAttempts = { camera: 0, microphone: 0 };
        this.devicesButton = useRef("devicesButton");
        this.onDeviceChange = () => this.refreshDevices();
        this.onPeerNotification = this.onPeerNotification.bind(this);
        this.onSessionEnded = this.onSessionEnded.bind(this);
        this.onCallChanged = this.onCallChanged.bind(this);
        this.onMeetingChanged = this.onMeetingChanged.bind(this);
        this.onBusReconnect = this.onBusReconnect.bind(this);
        this.onNetworkUpdate = this.onNetworkUpdate.bind(this);
        this.onPageHide = this.onPageHide.bind(this);
        onMounted(() => this.start());
        onWillUnmount(() => this.stop());
    }

    get isDestroyed() {
        return status(this) === "destroyed";
    }

    /** The other participants in the call, in a stable order. */
    get remotes() {
        return Object.values(this.state.remotes).sort((a, b) => a.sessionId - b.sessionId);
    }

    get isActive() {
        return !["ended", "left", "unsupported"].includes(this.state.phase);
    }

    get canLeave() {
        return Boolean(this.props.onLeave || this.props.leaveUrl);
    }

    get csrfToken() {
        return odoo.csrf_token;
    }

    // ------------------------------------------------------------------
    // Lifecycle
    // ------------------------------------------------------------------

    async start() {
        if (!canMakeVideoCalls()) {
            this.state.phase = "unsupported";
            this.state.callError = unsupportedBrowserMessage();
            return;
        }
        this.network = new ClinicPeerToPeer({ batchDelay: 0 });
        this.network.acceptOffer = (sessionId) => this.isInCall(sessionId);
        this.network.addEventListener("update", this.onNetworkUpdate);
        this.busService.subscribe(
            "discuss.channel.rtc.session/peer_notification",
            this.onPeerNotification
        );
        this.busService.subscribe("discuss.channel.rtc.session/ended", this.onSessionEnded);
        this.busService.subscribe("clinic.meeting/call", this.onCallChanged);
        this.busService.subscribe("clinic.meeting/changed", this.onMeetingChanged);
        this.busService.addEventListener("BUS:RECONNECT", this.onBusReconnect);
        if (this.props.busChannel) {
            this.busService.addChannel(this.props.busChannel);
        }
        this.busService.start();
        window.addEventListener("pagehide", this.onPageHide);
        navigator.mediaDevices.addEventListener("devicechange", this.onDeviceChange);
        // Join while the camera starts; give the camera a head start so that
        // its track is in the first offer, but never wait long for it.
        const media = this.openMedia();
        const joined = this.requestJoin();
        await Promise.race([media, delay(MEDIA_HEAD_START)]);
        this.connect(await joined);
    }

    stop() {
        this.busService.unsubscribe(
            "discuss.channel.rtc.session/peer_notification",
            this.onPeerNotification
        );
        this.busService.unsubscribe("discuss.channel.rtc.session/ended", this.onSessionEnded);
        this.busService.unsubscribe("clinic.meeting/call", this.onCallChanged);
        this.busService.unsubscribe("clinic.meeting/changed", this.onMeetingChanged);
        this.busService.removeEventListener("BUS:RECONNECT", this.onBusReconnect);
        window.removeEventListener("pagehide", this.onPageHide);
        navigator.mediaDevices?.removeEventListener("devicechange", this.onDeviceChange);
        clearTimeout(this.rejoinTimer);
        if (this.sessionId) {
            rpc(
                "/mail/rtc/channel/leave_call",
                { channel_id: this.channelId, session_id: this.sessionId },
                { silent: true }
            ).catch(() => {});
        }
        this.leaveNetwork();
        this.stopMedia();
    }

    /** The page goes away (reload, closed tab): leave the call at once. */
    onPageHide() {
        if (!this.sessionId) {
            return;
        }
        const body = JSON.stringify({
            params: { channel_id: this.channelId, session_id: this.sessionId },
        });
        navigator.sendBeacon(
            "/mail/rtc/channel/leave_call",
            new Blob([body], { type: "application/json" })
        );
    }

    // ------------------------------------------------------------------
    // Joining the call
    // ------------------------------------------------------------------

    async requestJoin() {
        try {
            return await rpc(
                `/clinic/meeting/${this.props.meetingId}/call/join`,
                {},
                { silent: true }
            );
        } catch (error) {
            return { error };
        }
    }

    /** Enter the call with what the server answered to a join. */
    connect(data) {
        if (this.isDestroyed || !this.isActive) {
            return;
        }
        if (data.error) {
            this.state.callError = _t(
                "The video call could not be started: the connection to the clinic failed. Trying again…"
            );
            this.scheduleRejoin();
            return;
        }
        if (!data.sessionId) {
            this.end(data.left ? "left" : "ended");
            return;
        }
        this.rejoinAttempt = 0;
        this.state.callError = "";
        this.sessionId = data.sessionId;
        this.channelId = data.channelId;
        this.network.connect(data.sessionId, data.channelId, {
            // No ICE server configured means none: never Discuss's public default.
            iceServers: data.iceServers,
            info: { isSelfMuted: !this.isMicrophoneLive, isCameraOn: Boolean(this.videoTrack) },
        });
        this.uploadTracks();
        this.state.phase = "joined";
        // The page that joins calls everyone already there.
        this.applySessions(data.sessions, { call: true });
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.ping({ call: true }), PING_INTERVAL);
    }

    async rejoin() {
        if (this.rejoining || !this.isActive) {
            return;
        }
        this.rejoining = true;
        try {
            this.leaveNetwork();
            this.connect(await this.requestJoin());
        } finally {
            this.rejoining = false;
        }
    }

    scheduleRejoin() {
        clearTimeout(this.rejoinTimer);
        const wait = REJOIN_DELAYS[Math.min(this.rejoinAttempt++, REJOIN_DELAYS.length - 1)];
        this.rejoinTimer = setTimeout(() => this.rejoin(), wait);
    }

    /** Use this window for the call, when another window had taken it. */
    takeOver() {
        this.state.phase = "starting";
        if (!this.videoTrack && !this.audioTrack) {
            this.openMedia();
        }
        this.rejoin();
    }

    leaveNetwork() {
        clearInterval(this.pingTimer);
        this.network?.disconnect();
        this.sessionId = null;
        this.channelId = null;
        this.sessions.clear();
        this.state.remotes = {};
    }

    /** The call is over for this page: ``reason`` is "ended" or "left". */
    end(reason) {
        clearTimeout(this.rejoinTimer);
        this.leaveNetwork();
        this.stopMedia();
        this.state.callError = "";
        this.state.phase = reason;
    }

    // ------------------------------------------------------------------
    // Who is in the call
    // ------------------------------------------------------------------

    /**
     * Follow the server's list of sessions: forget those that left, show
     * those that came and, when ``call`` is set, call those not connected.
     */
    applySessions(sessions, { call = false } = {}) {
        const ids = new Set(sessions.map((session) => session.id));
        this.sessions = new Map(sessions.map((session) => [session.id, session]));
        for (const id of Object.keys(this.state.remotes).map(Number)) {
            if (!ids.has(id)) {
                this.network.removePeer(id);
                delete this.state.remotes[id];
            }
        }
        for (const session of sessions) {
            if (session.id === this.sessionId) {
                continue;
            }
            if (!this.state.remotes[session.id]) {
                this.state.remotes[session.id] = {
                    sessionId: session.id,
                    name: session.name,
                    role: session.role,
                    connection: "new",
                    wasConnected: false,
                    cameraOn: true,
                    micOn: true,
                    videoStream: null,
                    audioStream: null,
                };
            }
            if (call) {
                this.network.addPeer(session.id);
            }
        }
    }

    /** Ask the server who is in the call (and keep this page's session alive). */
    ping({ call = false } = {}) {
        if (!this.sessionId) {
            return Promise.resolve();
        }
        if (!this.pinging) {
            this.pinging = this.doPing(call).finally(() => (this.pinging = null));
        }
        return this.pinging;
    }

    async doPing(call) {
        let data;
        try {
            data = await rpc(
                `/clinic/meeting/${this.props.meetingId}/call/ping`,
                { session_id: this.sessionId },
                { silent: true }
            );
        } catch {
            return; // offline for now: the next ping, or the bus coming back, tries again
        }
        if (this.isDestroyed || !this.sessionId) {
            return;
        }
        if (ENDED_STATES.includes(data.state)) {
            this.end("ended");
        } else if (!data.sessionId) {
            // This page's session is gone: another window of ours took the
            // call, or this page was away for too long and must join again.
            if (data.sessions.some((session) => session.isSelf)) {
                this.leaveNetwork();
                this.stopMedia();
                this.state.phase = "elsewhere";
            } else {
                this.rejoin();
            }
        } else {
            this.applySessions(data.sessions, { call });
        }
    }

    /** Accept a peer's offer only from a session the server put in this call. */
    async isInCall(sessionId) {
        if (!this.sessions.has(sessionId)) {
            await this.ping();
        }
        return sessionId !== this.sessionId && this.sessions.has(sessionId);
    }

    // ------------------------------------------------------------------
    // Bus and network events
    // ------------------------------------------------------------------

    onPeerNotification({ sender, notifications }) {
        if (!this.sessionId) {
            return;
        }
        for (const content of notifications) {
            this.network.handleNotification(sender, content);
        }
    }

    onSessionEnded({ sessionId }) {
        if (sessionId === this.sessionId) {
            this.ping();
        }
    }

    onCallChanged({ meeting_id, session_ids }) {
        if (meeting_id !== this.props.meetingId || !this.sessionId) {
            return;
        }
        if (session_ids.some((id) => !this.sessions.has(id)) || !session_ids.includes(this.sessionId)) {
            this.ping(); // names of newcomers, or what became of this page's session
        } else {
            this.applySessions(session_ids.map((id) => this.sessions.get(id)));
        }
    }

    onMeetingChanged({ meeting_id, state }) {
        if (meeting_id === this.props.meetingId && ENDED_STATES.includes(state)) {
            this.end("ended");
        }
    }

    onBusReconnect() {
        if (this.sessionId) {
            this.ping({ call: true });
        }
    }

    onNetworkUpdate({ detail: { name, payload } }) {
        switch (name) {
            case UPDATE_EVENT.CONNECTION_CHANGE: {
                const remote = this.state.remotes[payload.id];
                if (remote) {
                    remote.connection = payload.state;
                    remote.wasConnected ||= payload.state === "connected";
                }
                break;
            }
            case UPDATE_EVENT.TRACK: {
                const remote = this.state.remotes[payload.sessionId];
                const key = { [STREAM_TYPE.CAMERA]: "videoStream", [STREAM_TYPE.AUDIO]: "audioStream" }[
                    payload.type
                ];
                if (remote && key && remote[key]?.getTracks()[0] !== payload.track) {
                    remote[key] = markRaw(new MediaStream([payload.track]));
                }
                break;
            }
            case UPDATE_EVENT.INFO_CHANGE: {
                for (const [id, info] of Object.entries(payload)) {
                    const remote = this.state.remotes[id];
                    if (remote) {
                        remote.cameraOn = Boolean(info.isCameraOn);
                        remote.micOn = !info.isSelfMuted;
                    }
                }
                break;
            }
            case UPDATE_EVENT.DISCONNECT:
            case UPDATE_EVENT.RECOVERY: {
                const remote = this.state.remotes[payload.sessionId ?? payload.id];
                if (remote) {
                    remote.connection = "reconnecting";
                }
                break;
            }
        }
    }

    // ------------------------------------------------------------------
    // Camera and microphone
    // ------------------------------------------------------------------

    get isMicrophoneLive() {
        return Boolean(this.audioTrack) && this.state.micOn;
    }

    /**
     * Start the camera and the microphone, those chosen last time when they
     * are still there. When both cannot be had, take what works (a call
     * with sound only beats none) and say what is wrong.
     */
    async openMedia() {
        this.stopMedia();
        this.state.mediaStarting = true;
        this.state.mediaError = "";
        const saved = await this.savedDevices();
        let stream = null;
        if (saved.camera || saved.microphone) {
            // Quietly: when they fail, the defaults below say what is wrong.
            stream = await navigator.mediaDevices
                .getUserMedia({
                    audio: captureConstraints("microphone", saved.microphone),
                    video: captureConstraints("camera", saved.camera),
                })
                .catch(() => null);
        }
        const attempts = [
            { audio: true, video: VIDEO_CONSTRAINTS },
            { audio: true },
            { video: VIDEO_CONSTRAINTS },
        ];
        for (const constraints of stream ? [] : attempts) {
            try {
                stream = await navigator.mediaDevices.getUserMedia(constraints);
                break;
            } catch (error) {
                if (!this.state.mediaError) {
                    this.state.mediaError = await describeMediaError(error);
                }
                if (["NotAllowedError", "SecurityError"].includes(error.name)) {
                    break; // refused: asking again in pieces would not help
                }
            }
        }
        if (this.isDestroyed || !this.isActive) {
            stream?.getTracks().forEach((track) => track.stop());
            return;
        }
        this.state.mediaStarting = false;
        if (!stream) {
            this.state.cameraOn = false;
            this.refreshDevices(); // another device may work: it can be chosen, then tried again
            return;
        }
        this.setTrack("microphone", stream.getAudioTracks()[0] || null);
        this.setTrack("camera", stream.getVideoTracks()[0] || null);
        // Devices have names and ids once the page may use them: the choice
        // of last time could not be known before the first access in some
        // browsers, or its device failed; try it now, quietly.
        await this.refreshDevices();
        for (const kind of Object.keys(DEVICE_KINDS)) {
            const deviceId = getSavedDeviceId(kind);
            if (deviceId && this.isDeviceThere(kind, deviceId)) {
                this.switchDevice(kind, deviceId, { quiet: true });
            }
        }
    }

    stopMedia() {
        this.switchAttempts.camera++; // a switch under way has nothing left to switch
        this.switchAttempts.microphone++;
        this.stopLevel?.();
        this.stopLevel = null;
        this.audioTrack?.stop();
        this.videoTrack?.stop();
        this.audioTrack = null;
        this.videoTrack = null;
        this.state.localVideo = null;
        this.state.hasMicrophone = false;
        this.state.level = 0;
    }

    /**
     * Use ``track`` (or none) as this page's camera or microphone, and send
     * it: Discuss's ``updateUpload`` replaces the track of the transceiver
     * of every peer connection (``RTCRtpSender.replaceTrack``), which needs
     * no new negotiation. A muted microphone stays muted.
     *
     * @param {"camera"|"microphone"} kind
     * @param {MediaStreamTrack|null} track
     */
    setTrack(kind, track) {
        if (kind === "camera") {
            this.videoTrack = track;
            this.state.cameraOn = Boolean(track);
            this.state.localVideo = track && markRaw(new MediaStream([track]));
            this.network?.updateUpload(STREAM_TYPE.CAMERA, track);
        } else {
            this.stopLevel?.();
            this.stopLevel = null;
            this.state.level = 0;
            this.audioTrack = track;
            this.state.hasMicrophone = Boolean(track);
            if (track) {
                track.enabled = this.state.micOn;
                this.stopLevel = watchMicrophoneLevel(
                    new MediaStream([track]),
                    (level) => (this.state.level = level)
                );
            }
            this.network?.updateUpload(STREAM_TYPE.AUDIO, track);
            this.network?.updateInfo({ isSelfMuted: !this.isMicrophoneLive });
        }
        if (track) {
            this.state[`${kind}Id`] = trackDeviceId(track);
        }
    }

    uploadTracks() {
        this.network.updateUpload(STREAM_TYPE.AUDIO, this.audioTrack);
        this.network.updateUpload(STREAM_TYPE.CAMERA, this.videoTrack);
        this.network.updateInfo({ isSelfMuted: !this.isMicrophoneLive });
    }

    retryMedia() {
        this.openMedia();
    }

    toggleMicrophone() {
        this.state.micOn = !this.state.micOn;
        if (this.audioTrack) {
            this.audioTrack.enabled = this.state.micOn;
        }
        this.network?.updateInfo({ isSelfMuted: !this.isMicrophoneLive });
    }

    async toggleCamera() {
        if (this.videoTrack) {
            this.videoTrack.stop(); // the camera's light goes off too
            this.setTrack("camera", null);
            return;
        }
        this.state.cameraOn = true;
        const attempt = ++this.switchAttempts.camera;
        let track;
        try {
            track = await this.captureTrack("camera", this.chosenDeviceId("camera"));
        } catch (error) {
            this.state.cameraOn = false;
            this.state.mediaError = await describeMediaError(error);
            return;
        }
        if (this.isDestroyed || !this.isActive || attempt !== this.switchAttempts.camera) {
            track.stop();
            return;
        }
        this.state.mediaError = "";
        this.setTrack("camera", track);
    }

    // ------------------------------------------------------------------
    // Choosing the camera and the microphone
    // ------------------------------------------------------------------

    async refreshDevices() {
        const devices = await listCaptureDevices();
        if (this.isDestroyed) {
            return;
        }
        this.state.devices = devices;
        if (!devices.length) {
            this.state.devicesOpen = false;
        }
    }

    get canChooseDevices() {
        return this.state.phase !== "elsewhere" && this.state.devices.length > 0;
    }

    isDeviceThere(kind, deviceId) {
        return this.state.devices.some(
            (device) => device.kind === DEVICE_KINDS[kind] && device.deviceId === deviceId
        );
    }

    /** The chosen device of ``kind`` when it is there, else null (the default one). */
    chosenDeviceId(kind) {
        const deviceId = this.state[`${kind}Id`];
        return deviceId && this.isDeviceThere(kind, deviceId) ? deviceId : null;
    }

    /** The devices chosen last time that the browser still lists. */
    async savedDevices() {
        const devices = await listCaptureDevices();
        const saved = {};
        for (const [kind, deviceKind] of Object.entries(DEVICE_KINDS)) {
            const deviceId = getSavedDeviceId(kind);
            if (devices.some((d) => d.kind === deviceKind && d.deviceId === deviceId)) {
                saved[kind] = deviceId;
            }
        }
        return saved;
    }

    /** The two choices of the device picker, in the words of its labels. */
    get deviceKinds() {
        return [
            {
                name: "camera",
                label: _t("Camera"),
                choose: _t("Choose a camera"),
                none: _t("No camera found"),
            },
            {
                name: "microphone",
                label: _t("Microphone"),
                choose: _t("Choose a microphone"),
                none: _t("No microphone found"),
            },
        ];
    }

    /**
     * The cameras or microphones to choose from, a known medical device
     * under the clinic's name for it.
     *
     * @param {"camera"|"microphone"} kind
     * @returns {{deviceId: string, name: string, instructions: string}[]}
     */
    deviceOptions(kind) {
        const devices = this.state.devices.filter((device) => device.kind === DEVICE_KINDS[kind]);
        return devices.map((device, index) => {
            const known = findKnownDevice(device, this.props.knownDevices);
            const label =
                device.label ||
                (kind === "camera"
                    ? _t("Camera %s", index + 1)
                    : _t("Microphone %s", index + 1));
            return {
                deviceId: device.deviceId,
                name: known ? _t("%(name)s (%(label)s)", { name: known.name, label }) : label,
                instructions: known?.instructions || "",
            };
        });
    }

    toggleDevices() {
        this.state.devicesOpen = !this.state.devicesOpen;
    }

    onDevicesKeydown(ev) {
        if (ev.key === "Escape") {
            this.state.devicesOpen = false;
            this.devicesButton.el?.focus();
        }
    }

    /** The user chose a device: use it now, and next time. */
    selectDevice(kind, deviceId) {
        saveDeviceId(kind, deviceId);
        this.state[`${kind}Id`] = deviceId;
        return this.switchDevice(kind, deviceId);
    }

    async captureTrack(kind, deviceId) {
        const media = kind === "camera" ? "video" : "audio";
        const stream = await navigator.mediaDevices.getUserMedia({
            [media]: captureConstraints(kind, deviceId),
        });
        return stream.getTracks()[0];
    }

    /**
     * Send the camera or microphone ``deviceId`` instead of the current one,
     * without reconnecting (see ``setTrack``), then stop the old one. A
     * camera that is off stays off: the choice applies when it is turned on.
     *
     * @param {"camera"|"microphone"} kind
     * @param {string} deviceId
     * @param {Object} [options]
     * @param {boolean} [options.quiet] say nothing when it fails
     */
    async switchDevice(kind, deviceId, { quiet = false } = {}) {
        const currentTrack = () => (kind === "camera" ? this.videoTrack : this.audioTrack);
        const oldTrack = currentTrack();
        if (!oldTrack || trackDeviceId(oldTrack) === deviceId) {
            return;
        }
        const attempt = ++this.switchAttempts[kind];
        const isCurrent = () =>
            !this.isDestroyed &&
            this.isActive &&
            attempt === this.switchAttempts[kind] &&
            currentTrack() === oldTrack;
        let track = null;
        let failure = null;
        try {
            track = await this.captureTrack(kind, deviceId);
        } catch (error) {
            failure = error;
        }
        if (failure && DEVICE_BUSY_ERRORS.includes(failure.name) && isCurrent()) {
            // Many phones open one camera at a time: let go of the old one first.
            oldTrack.stop();
            try {
                track = await this.captureTrack(kind, deviceId);
                failure = null;
            } catch (error) {
                failure = error;
            }
        }
        if (!isCurrent()) {
            track?.stop();
            return;
        }
        if (failure) {
            if (oldTrack.readyState === "ended") {
                this.setTrack(kind, null);
            } else {
                this.state[`${kind}Id`] = trackDeviceId(oldTrack); // the picker shows what is sent
            }
            if (!quiet) {
                this.state.mediaError = await describeMediaError(failure);
            }
            return;
        }
        this.setTrack(kind, track);
        oldTrack.stop();
    }

    onSoundBlocked() {
        this.state.soundBlocked = true;
    }

    playSound() {
        this.state.soundBlocked = false;
        for (const el of document.querySelectorAll(".o_clinic_meeting_call audio")) {
            el.play().catch(() => (this.state.soundBlocked = true));
        }
    }

    leave() {
        this.props.onLeave?.();
    }

    // ------------------------------------------------------------------
    // Words on the screen
    // ------------------------------------------------------------------

    remoteStatus(remote) {
        if (remote.connection === "connected") {
            return "";
        }
        if (remote.wasConnected || LOST_CONNECTION_STATES.includes(remote.connection)) {
            return _t("The connection with %s was lost. Reconnecting…", remote.name);
        }
        return _t("Connecting to %s…", remote.name);
    }

    cameraOffMessage(remote) {
        return _t("%s's camera is off.", remote.name);
    }

    get aloneMessage() {
        return this.props.role === "patient"
            ? _t("The professional will appear here when they join.")
            : _t("Waiting for the patient to connect…");
    }
}

registry.category("public_components").add("clinic_meeting.video_call", VideoCall);
