import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { VideoCall } from "@clinic_meeting/video_call/video_call";

const SAVE_DELAY = 300;

export function formatSize(bytes) {
    if (bytes < 1024) {
        return _t("%s bytes", bytes);
    }
    if (bytes < 1024 * 1024) {
        return _t("%s KB", (bytes / 1024).toFixed(1));
    }
    return _t("%s MB", (bytes / 1024 / 1024).toFixed(1));
}

/**
 * The page of a one-to-one visit, for each of its participants: the video
 * call, the medical questionnaire (each side fills its part; every change is
 * saved as it is typed and shown on the other side at once), the messages
 * and documents, and for the pro the new devices to let in and *Destroy*.
 * Everything arrives on the visit's bus channel, which the server grants to
 * this page only (``clinic.visit_<visit token>_<participant token>``).
 */
export class VisitRoom extends Component {
    static template = "clinic_visit.VisitRoom";
    static components = { VideoCall };
    static props = {
        basePath: String,
        role: String,
        visitChannel: String,
        knownDevices: { type: Array, optional: true },
    };

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({
            loaded: false,
            visit: {},
            me: {},
            participants: [],
            questions: [],
            answers: {},
            answerErrors: {},
            saving: {},
            messages: [],
            requests: [],
            meetingId: false,
            meetingChannel: false,
            inCall: false,
            callError: "",
            ended: false,
            replaced: false,
            draft: "",
            messageError: "",
            uploadError: "",
            uploading: false,
            confirmKill: false,
        });
        this.saveTimers = {};
        this.handlers = {
            "clinic.visit/answer": (payload) => this.onAnswer(payload),
            "clinic.visit/message": () => this.reload(),
            "clinic.visit/changed": () => this.reload(),
            "clinic.visit/killed": () => this.onKilled(),
            "clinic.visit/replaced": (payload) => this.onReplaced(payload),
        };
        onWillStart(() => this.reload());
        onMounted(() => {
            for (const [type, handler] of Object.entries(this.handlers)) {
                this.busService.subscribe(type, handler);
            }
            this.busService.addChannel(this.props.visitChannel);
            this.enter();
        });
        onWillUnmount(() => {
            for (const [type, handler] of Object.entries(this.handlers)) {
                this.busService.unsubscribe(type, handler);
            }
        });
    }

    get isPro() {
        return this.props.role === "pro";
    }

    get myPart() {
        return this.isPro ? "doctor" : "patient";
    }

    get callRole() {
        return this.isPro ? "pro" : "patient";
    }

    url(path) {
        return `${this.props.basePath}/${path}`;
    }

    async call(path, params = {}) {
        try {
            return await rpc(this.url(path), params, { silent: true });
        } catch (error) {
            if (error.data?.name?.endsWith("Forbidden")) {
                // Another device of this link was let in: this one is let go.
                this.onReplaced({ participant_id: this.state.me.id });
            } else {
                // The link stopped working: the visit was destroyed or expired.
                this.onKilled();
            }
            return null;
        }
    }

    async reload() {
        const data = await this.call("data");
        if (!data) {
            return;
        }
        const { answers, ...rest } = data;
        Object.assign(this.state, rest, { loaded: true });
        for (const [id, value] of Object.entries(answers)) {
            // What this side is typing wins over an older echo.
            if (!this.saveTimers[id]) {
                this.state.answers[id] = value;
            }
        }
    }

    async enter() {
        const result = await this.call("enter");
        if (!result) {
            return;
        }
        if (result.error) {
            this.state.callError = result.error;
            return;
        }
        Object.assign(this.state, {
            meetingId: result.meetingId,
            meetingChannel: result.meetingChannel,
            inCall: true,
            callError: "",
        });
    }

    async leave() {
        this.state.inCall = false;
        await this.call("leave");
    }

    // ------------------------------------------------------------------
    // Questionnaire
    // ------------------------------------------------------------------

    isMine(question) {
        return question.part === this.myPart;
    }

    onInput(question, value) {
        this.state.answers[question.id] = value;
        clearTimeout(this.saveTimers[question.id]);
        this.saveTimers[question.id] = setTimeout(() => this.save(question), SAVE_DELAY);
    }

    async save(question) {
        const value = this.state.answers[question.id] ?? "";
        this.state.saving[question.id] = true;
        const result = await this.call("answer", { question_id: question.id, value });
        delete this.saveTimers[question.id];
        this.state.saving[question.id] = false;
        this.state.answerErrors[question.id] = (result && result.error) || "";
    }

    onAnswer({ question_id, value }) {
        if (!this.saveTimers[question_id]) {
            this.state.answers[question_id] = value;
        }
    }

    // ------------------------------------------------------------------
    // Messages and documents
    // ------------------------------------------------------------------

    async send(ev) {
        ev.preventDefault();
        const result = await this.call("message", { body: this.state.draft });
        if (!result) {
            return;
        }
        if (result.error) {
            this.state.messageError = result.error;
            return;
        }
        this.state.draft = "";
        this.state.messageError = "";
        await this.reload();
    }

    async upload(ev) {
        const input = ev.target;
        if (!input.files.length) {
            return;
        }
        const form = new FormData();
        for (const file of input.files) {
            form.append("files", file);
        }
        form.append("csrf_token", odoo.csrf_token);
        this.state.uploading = true;
        this.state.uploadError = "";
        try {
            const response = await fetch(this.url("upload"), { method: "POST", body: form });
            const result = await response.json().catch(() => ({}));
            if (!response.ok) {
                this.state.uploadError = result.error || _t("The upload failed. Please try again.");
            }
        } catch {
            this.state.uploadError = _t("The upload failed. Please try again.");
        } finally {
            this.state.uploading = false;
            input.value = "";
            await this.reload();
        }
    }

    formatSize(bytes) {
        return formatSize(bytes);
    }

    // ------------------------------------------------------------------
    // The pro's controls
    // ------------------------------------------------------------------

    async decide(request, accept) {
        await this.call(`request/${request.id}/decide`, { accept });
        await this.reload();
    }

    async kill() {
        await this.call("kill");
        this.onKilled();
    }

    onKilled() {
        this.state.ended = true;
        this.state.inCall = false;
    }

    onReplaced({ participant_id }) {
        if (participant_id === this.state.me.id && !this.isPro) {
            // Another device of this link was let in: this one is let go.
            this.state.replaced = true;
            this.state.inCall = false;
        }
    }

    requestLabel(request) {
        return _t("%s opened their link on a new device.", request.name);
    }
}

registry.category("public_components").add("clinic_visit.visit_room", VisitRoom);
