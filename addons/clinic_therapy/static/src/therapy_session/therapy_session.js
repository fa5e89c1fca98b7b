import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { VideoCall } from "@clinic_meeting/video_call/video_call";

const POLL_INTERVAL = 5000;
const BATCH_MAX = 200;
export const ICONS = { heart: "❤️", smile: "😊", sad: "😢", angry: "😠" };
// What a screen reader says of each reaction button.
const ICON_LABELS = {
    heart: _t("React with a heart"),
    smile: _t("React with a smile"),
    sad: _t("React with a sad face"),
    angry: _t("React with an angry face"),
};

function newClientId() {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * A therapy session's page: who is there, the group call, and the chat.
 *
 * The chat is the seed's action log. Every action this page makes goes into
 * a queue kept in localStorage (it survives a reload or a dropped network),
 * with a client id, and is sent by ``save_actions`` in batches; the server
 * stores a batch sent twice once. New actions are announced on the bus and
 * read with ``get_actions`` from the last id seen; while the websocket is
 * down, the page asks every 5 seconds, as the seed did.
 */
export class TherapySession extends Component {
    static template = "clinic_therapy.Session";
    static components = { VideoCall };
    static props = { sessionId: Number };

    setup() {
        this.busService = useService("bus_service");
        this.state = useState({
            loaded: false,
            refused: "",
            detail: {},
            actions: [],
            draft: "",
            to: "",
            replyTo: null,
            meetingId: false,
            inCall: false,
            queued: 0,
            busDown: false,
            error: "",
        });
        this.cursor = 0;
        this.readSent = new Set();
        this.history = [];
        this.firstKeyAt = null;
        this.flushing = false;
        this.onActions = ({ session_id }) => session_id === this.props.sessionId && this.fetch();
        this.onBusDown = () => (this.state.busDown = true);
        this.onBusUp = () => {
            this.state.busDown = false;
            this.flush();
            this.fetch();
        };
        onWillStart(async () => {
            await this.loadDetail();
            this.state.queued = this.queue.length;
            await this.fetch();
        });
        onMounted(() => {
            this.busService.subscribe("clinic.therapy/actions", this.onActions);
            this.busService.addEventListener("BUS:DISCONNECT", this.onBusDown);
            this.busService.addEventListener("BUS:CONNECT", this.onBusUp);
            this.busService.addEventListener("BUS:RECONNECT", this.onBusUp);
            this.timer = setInterval(() => this.tick(), POLL_INTERVAL);
            window.addEventListener("online", this.onBusUp);
            this.flush();
            if (!this.state.refused) {
                this.enter();
            }
        });
        onWillUnmount(() => {
            this.busService.unsubscribe("clinic.therapy/actions", this.onActions);
            this.busService.removeEventListener("BUS:DISCONNECT", this.onBusDown);
            this.busService.removeEventListener("BUS:CONNECT", this.onBusUp);
            this.busService.removeEventListener("BUS:RECONNECT", this.onBusUp);
            window.removeEventListener("online", this.onBusUp);
            clearInterval(this.timer);
        });
    }

    url(path) {
        return `/my/therapy/${this.props.sessionId}/${path}`;
    }

    get me() {
        return this.state.detail.me || {};
    }

    get isTherapist() {
        return this.me.role === "therapist";
    }

    // ------------------------------------------------------------------
    // The session
    // ------------------------------------------------------------------

    async loadDetail() {
        const detail = await rpc(this.url("detail"));
        if (detail.result !== "ok") {
            this.state.refused = detail.error;
            return;
        }
        this.state.detail = detail;
        this.state.loaded = true;
    }

    async enter() {
        const result = await rpc(this.url("enter"));
        if (result.result === "ok") {
            this.state.meetingId = result.meetingId;
            this.state.inCall = true;
            this.state.error = "";
        } else {
            this.state.error = result.error;
        }
    }

    async leave() {
        this.state.inCall = false;
        await rpc(this.url("leave"));
    }

    async answerConsent(consented) {
        await rpc(this.url("consent"), { consented });
        await this.loadDetail();
    }

    participantName(id) {
        return (this.state.detail.participants || []).find((p) => p.id === id)?.name || _t("Someone");
    }

    get others() {
        return (this.state.detail.participants || []).filter((p) => p.id !== this.me.id);
    }

    // ------------------------------------------------------------------
    // Reading the log
    // ------------------------------------------------------------------

    async tick() {
        if (this.queue.length) {
            await this.flush();
        }
        if (this.state.busDown || !navigator.onLine) {
            await this.fetch();
        }
    }

    async fetch() {
        if (this.fetching) {
            this.fetchAgain = true;
            return;
        }
        this.fetching = true;
        try {
            do {
                this.fetchAgain = false;
                const data = await rpc(this.url("get_actions"), { last_action_id: this.cursor });
                if (data.result !== "ok") {
                    return;
                }
                const known = new Set(this.state.actions.map((a) => a.id));
                const fresh = data.actions.filter((a) => !known.has(a.id));
                if (fresh.length) {
                    this.state.actions.push(...fresh);
                }
                this.cursor = Math.max(this.cursor, data.max_id);
                if (fresh.some((a) => ["update_assessments", "notice"].includes(a.type))) {
                    this.loadDetail();
                }
                this.markRead(fresh);
                if (data.actions.length >= 500) {
                    this.fetchAgain = true; // more to read
                }
            } while (this.fetchAgain);
        } catch {
            // offline: the next tick asks again
        } finally {
            this.fetching = false;
        }
    }

    /** Messages, with what the log says about them. */
    get messages() {
        const byId = new Map();
        const messages = [];
        for (const action of this.state.actions) {
            if (action.type === "message") {
                const message = { ...action, reactions: {}, readBy: new Set() };
                byId.set(action.id, message);
                messages.push(message);
            } else if (action.type === "notice" || action.type === "update_assessments") {
                if (action.type === "notice") {
                    messages.push({ ...action });
                }
            }
        }
        for (const action of this.state.actions) {
            const target = byId.get(action.target);
            if (!target) {
                continue;
            }
            if (action.type === "reaction") {
                const users = (target.reactions[action.icon] ||= new Set());
                if (action.on) {
                    users.add(action.user);
                } else {
                    users.delete(action.user);
                }
            } else if (action.type === "message_read" && action.user !== target.user) {
                target.readBy.add(action.user);
            } else if (action.type === "delete") {
                target.deleted = true;
                target.body = "";
            }
        }
        for (const message of messages) {
            if (message.type === "message" && message.target) {
                message.quoted = byId.get(message.target) || null;
            }
        }
        return messages;
    }

    reactionCount(message, icon) {
        return message.reactions[icon]?.size || 0;
    }

    iReacted(message, icon) {
        return message.reactions[icon]?.has(this.me.id);
    }

    isCalledOut(message) {
        return (message.callout || []).includes(this.me.id);
    }

    canDelete(message) {
        return !message.deleted && (this.isTherapist || message.user === this.me.id);
    }

    recipientsLabel(message) {
        if (!message.recipients.length) {
            return _t("Private reply");
        }
        const names = message.recipients
            .filter((id) => id !== this.me.id)
            .map((id) => this.participantName(id));
        return message.user === this.me.id
            ? _t("Private, to %s", names.join(", "))
            : _t("Private, to you");
    }

    readLabel(message) {
        return _t("Seen by %s", message.readBy.size);
    }

    markRead(actions) {
        for (const action of actions) {
            if (action.type === "message" && action.user !== this.me.id && !this.readSent.has(action.id)) {
                this.readSent.add(action.id);
                if (!action.deleted) {
                    this.enqueue({ type: "message_read", target: action.id });
                }
            }
        }
    }

    // ------------------------------------------------------------------
    // Writing: the queue
    // ------------------------------------------------------------------

    get queueKey() {
        return `clinic_therapy.queue.${this.props.sessionId}.${this.me.id}`;
    }

    get queue() {
        try {
            return JSON.parse(localStorage.getItem(this.queueKey) || "[]");
        } catch {
            return [];
        }
    }

    set queue(items) {
        localStorage.setItem(this.queueKey, JSON.stringify(items));
        this.state.queued = items.length;
    }

    enqueue(payload) {
        this.queue = [
            ...this.queue,
            { ...payload, client_id: newClientId(), client_ts: new Date().toISOString() },
        ];
        this.flush();
    }

    async flush() {
        if (this.flushing) {
            this.flushAgain = true;
            return;
        }
        this.flushing = true;
        try {
            do {
                this.flushAgain = false;
                const batch = this.queue.slice(0, BATCH_MAX);
                if (!batch.length) {
                    break;
                }
                let result;
                try {
                    result = await rpc(this.url("save_actions"), { payloads: batch }, { silent: true });
                } catch {
                    return; // offline: kept in the queue for the next try
                }
                const sent = new Set(batch.map((p) => p.client_id));
                this.queue = this.queue.filter((p) => !sent.has(p.client_id));
                if (result.result !== "ok") {
                    this.state.error = result.error;
                }
                await this.fetch();
            } while (this.flushAgain || this.queue.length);
        } finally {
            this.flushing = false;
        }
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && !ev.shiftKey) {
            ev.preventDefault();
            this.send();
            return;
        }
        this.firstKeyAt ??= Date.now();
        this.history.push(ev.key);
    }

    send() {
        const body = this.state.draft.trim();
        if (!body) {
            return;
        }
        const callout = this.others
            .filter((p) => body.includes(`@${p.name}`))
            .map((p) => p.id);
        const payload = {
            type: "message",
            body,
            recipients: this.state.to ? [parseInt(this.state.to, 10)] : [],
            target: this.state.replyTo?.id || null,
            callout,
        };
        if (this.state.detail.consent) {
            payload.character_history = this.history;
            payload.time_to_complete = this.firstKeyAt ? Date.now() - this.firstKeyAt : 0;
        }
        this.enqueue(payload);
        this.state.draft = "";
        this.state.replyTo = null;
        this.state.error = "";
        this.history = [];
        this.firstKeyAt = null;
    }

    react(message, icon) {
        this.enqueue({ type: "reaction", target: message.id, icon });
    }

    remove(message) {
        this.enqueue({ type: "delete", target: message.id });
    }

    reply(message) {
        this.state.replyTo = { id: message.id, body: message.body, user: message.user };
    }

    iconLabel(icon) {
        return ICON_LABELS[icon] || icon;
    }

    get iconEntries() {
        return Object.entries(ICONS);
    }
}

registry.category("public_components").add("clinic_therapy.session", TherapySession);
