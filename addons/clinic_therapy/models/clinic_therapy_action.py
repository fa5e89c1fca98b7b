import re
from datetime import UTC, datetime

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError

from odoo.addons.clinic_meeting.tools import clean_json, clean_text

ACTION_TYPES = [
    ("message", "Message"),
    ("delete", "Delete"),
    ("notice", "Notice"),
    ("message_read", "Message Read"),
    ("reaction", "Reaction"),
    ("whiteboard", "Whiteboard"),
    ("update_assessments", "Assessments Updated"),
    ("update_chat_details", "Chat Details Updated"),
]
ICONS = ("heart", "smile", "sad", "angry")
BODY_MAX_LENGTH = 10000
BATCH_MAX = 200
HISTORY_MAX = 20000
CLIENT_ID_PATTERN = re.compile(r"[\w.:-]{1,64}")
# Which types a participant may send (the others are the server's).
CLIENT_TYPES = {
    "patient": {"message", "delete", "message_read", "reaction", "whiteboard"},
    "therapist": {
        "message",
        "delete",
        "notice",
        "message_read",
        "reaction",
        "whiteboard",
        "update_chat_details",
    },
}
READ_LIMIT = 500


class BadPayload(ValueError):
    """A payload of a batch is wrong: the whole batch is refused."""


class ClinicTherapyAction(models.Model):
    """One entry of a therapy session's chat, as the seed's action log.

    The log is append-only; its ids are the readers' cursor
    (``get_actions(last_action_id)``). Writers take the session's row lock
    before inserting (``clinic.therapy.session._lock_log``), so ids
    are allocated in commit order within a session and a cursor never skips
    an action. Who may see an action is stored with it (``audience_ids``:
    empty for everyone; a private message's sender and recipients, and the
    same for every action about it).
    """

    _name = "clinic.therapy.action"
    _description = "Clinic Therapy Chat Action"
    _order = "id"

    session_id = fields.Many2one(
        "clinic.therapy.session", required=True, ondelete="cascade", readonly=True
    )
    type = fields.Selection(ACTION_TYPES, required=True, readonly=True)
    author_id = fields.Many2one("res.partner", ondelete="set null", readonly=True, index=True)
    sender = fields.Selection(
        [("participant", "Participant"), ("system", "System"), ("therapist", "Therapist")],
        default="participant",
        readonly=True,
    )
    body = fields.Text(readonly=True)
    deleted = fields.Boolean(readonly=True, help="A deleted message's body is gone for everyone.")
    recipient_ids = fields.Many2many(
        "res.partner",
        "clinic_therapy_action_recipient_rel",
        "action_id",
        "partner_id",
        string="Recipients",
        readonly=True,
        help="Empty for everyone; else a private message to these participants.",
    )
    audience_ids = fields.Many2many(
        "res.partner",
        "clinic_therapy_action_audience_rel",
        "action_id",
        "partner_id",
        string="Visible To",
        readonly=True,
        help="Empty for everyone; else only these participants see the action.",
    )
    callout_ids = fields.Many2many(
        "res.partner",
        "clinic_therapy_action_callout_rel",
        "action_id",
        "partner_id",
        string="Called Out",
        readonly=True,
    )
    # Indexed: a reaction looks up the earlier ones on its target, and deleting
    # actions (a session's log) looks for the actions pointing to them.
    target_id = fields.Many2one(
        "clinic.therapy.action", ondelete="set null", readonly=True, index="btree_not_null"
    )
    icon = fields.Selection([(icon, icon.title()) for icon in ICONS], readonly=True)
    reaction_on = fields.Boolean(
        readonly=True, help="A reaction adds the icon, or removes it when sent again."
    )
    data = fields.Json(readonly=True, help="Whiteboard or chat details.")
    client_id = fields.Char(readonly=True, help="The client's id of the action (retries).")
    client_ts = fields.Datetime(readonly=True)
    character_history = fields.Json(
        readonly=True,
        groups="clinic_therapy.group_clinic_researcher",
        help="Every keystroke of the message (research, with consent).",
    )
    time_to_complete = fields.Integer(
        string="Time to Complete (ms)",
        readonly=True,
        groups="clinic_therapy.group_clinic_researcher",
        help="From the first keystroke to sending (research, with consent).",
    )

    _session_id_idx = models.Index("(session_id, id)")
    _client_id_uniq = models.Constraint(
        "UNIQUE(session_id, author_id, client_id)", "This action was already saved."
    )

    # ------------------------------------------------------------
    # WRITING
    # ------------------------------------------------------------

    @api.model
    def _save_batch(self, session, partner, payloads):
        """Store a batch of ``partner``'s actions in ``session``, in order.

        Each payload has a ``client_id``: a batch sent again (a retry after a
        lost answer) finds the actions it stored the first time.

        :return: ``(ids, error)``: the ids of the batch's actions in payload
            order, or a message (then nothing of the batch is stored)
        """
        if not isinstance(payloads, list):
            return [], self.env._("The actions must be a list.")
        if len(payloads) > BATCH_MAX:
            return [], self.env._("At most %(max)s actions at once.", max=BATCH_MAX)
        if not payloads:
            return [], None
        session._lock_log()
        Action = self.sudo()
        client_ids = [p.get("client_id") if isinstance(p, dict) else None for p in payloads]
        known = {
            action.client_id: action.id
            for action in Action.search(
                [
                    ("session_id", "=", session.id),
                    ("author_id", "=", partner.id),
                    ("client_id", "in", [c for c in client_ids if isinstance(c, str)]),
                ]
            )
        }
        role = session._get_role(partner)
        research = session._has_research_consent(partner)
        pending = {}  # reactions toggled earlier in this batch
        batch_client_ids = set()
        vals_list, errors = [], []
        for index, payload in enumerate(payloads):
            try:
                client_id = client_ids[index]
                if isinstance(client_id, str):
                    # Twice in one batch would fail on the unique constraint
                    # at every retry of the request.
                    if client_id in batch_client_ids:
                        raise BadPayload(
                            self.env._(
                                "client_id %(client_id)r is twice in the batch.",
                                client_id=client_id[:64],
                            )
                        )
                    batch_client_ids.add(client_id)
                    if client_id in known:
                        vals_list.append(None)  # stored by an earlier try
                        continue
                vals_list.append(
                    self._parse_payload(
                        session, partner, payload, role=role, research=research, pending=pending
                    )
                )
            except BadPayload as error:
                errors.append(
                    self.env._("Action %(index)s: %(error)s", index=index + 1, error=error.args[0])
                )
        if errors:
            return [], "\n".join(errors)
        try:
            with self.env.cr.savepoint():
                created = Action.create([vals for vals in vals_list if vals])
        except UniqueViolation as error:
            # The same batch is being saved concurrently: Odoo retries the
            # request, which then finds the other try's actions.
            raise ConcurrencyError("Concurrent save of the same actions") from error
        created_iter = iter(created)
        ids = [
            known[payload["client_id"]] if vals is None else next(created_iter).id
            for payload, vals in zip(payloads, vals_list, strict=True)
        ]
        created._apply_effects()
        if created and all(action.type == "message_read" for action in created):
            # Read marks matter to the messages' authors ("Seen by"); the others
            # see them with the next action. A 30-person session's read marks
            # would otherwise make 30 x 29 notifications for every message.
            session._notify_actions(max(created.ids), partners=created.target_id.author_id)
        elif created:
            session._notify_actions(max(created.ids))
        return ids, None

    def _apply_effects(self):
        """What an action changes in the log: a delete empties its message."""
        for action in self.filtered(lambda a: a.type == "delete"):
            action.target_id.sudo().write(
                {"body": False, "deleted": True, "character_history": False}
            )

    @api.model
    def _parse_payload(self, session, partner, payload, *, role, research, pending):
        """Check one payload and return its values; raise ``BadPayload``."""
        if not isinstance(payload, dict):
            raise BadPayload(self.env._("an action must be an object."))
        action_type = payload.get("type")
        if not isinstance(action_type, str) or action_type not in dict(ACTION_TYPES):
            raise BadPayload(self.env._("unknown type %(type)r.", type=str(action_type)[:40]))
        if action_type not in CLIENT_TYPES.get(role, ()):
            raise BadPayload(self.env._("you cannot send %(type)s actions.", type=action_type))
        client_id = payload.get("client_id")
        if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.fullmatch(client_id):
            raise BadPayload(
                self.env._("client_id must be a short text (letters, digits, - _ . :).")
            )
        vals = {
            "session_id": session.id,
            "type": action_type,
            "author_id": partner.id,
            "sender": "participant",
            "client_id": client_id,
            "client_ts": self._parse_client_ts(payload.get("client_ts")),
        }
        target = self._parse_target(session, partner, payload.get("target"), action_type)
        if action_type == "message":
            vals.update(self._parse_message(session, partner, payload, target, research))
        elif action_type == "notice":
            vals.update(body=self._parse_body(payload.get("body")), sender="therapist")
        elif action_type in ("delete", "message_read", "reaction"):
            vals.update(self._parse_about_message(partner, payload, target, role, pending))
        else:  # whiteboard, update_chat_details
            data = payload.get("data", {})
            if not isinstance(data, dict) or len(str(data)) > BODY_MAX_LENGTH:
                raise BadPayload(self.env._("data must be an object of 10,000 characters at most."))
            vals["data"] = clean_json(data)
        return vals

    @api.model
    def _parse_message(self, session, partner, payload, target, research):
        participants = session._get_participants()
        recipients = self._parse_partners(payload.get("recipients"), participants, "recipients")
        callouts = self._parse_partners(payload.get("callout"), participants, "callout")
        vals = {
            "body": self._parse_body(payload.get("body")),
            "recipient_ids": [fields.Command.set(recipients.ids)],
            "callout_ids": [fields.Command.set(callouts.ids)],
            "target_id": target.id,
        }
        if recipients:
            audience = recipients | partner
            if target.audience_ids and audience - target.audience_ids:
                raise BadPayload(
                    self.env._("a reply to a private message stays between its participants.")
                )
            vals["audience_ids"] = [fields.Command.set(audience.ids)]
        elif target:
            # A reply to a private message stays between the same people.
            vals["audience_ids"] = [fields.Command.set(target.audience_ids.ids)]
        if research:
            vals.update(self._parse_research(payload))
        return vals

    @api.model
    def _parse_about_message(self, partner, payload, target, role, pending):
        """A delete, a read mark or a reaction: about a message."""
        action_type = payload["type"]
        if not target:
            raise BadPayload(self.env._("%(type)s needs a target message.", type=action_type))
        if action_type == "delete" and role != "therapist" and target.author_id != partner:
            raise BadPayload(self.env._("you can only delete your own messages."))
        vals = {
            "target_id": target.id,
            "audience_ids": [fields.Command.set(target.audience_ids.ids)],
        }
        if action_type == "reaction":
            icon = payload.get("icon")
            if icon not in ICONS:
                raise BadPayload(
                    self.env._("icon must be one of %(icons)s.", icons=", ".join(ICONS))
                )
            key = (target.id, icon)
            if key not in pending:
                pending[key] = target._reaction_is_on(partner, icon)
            pending[key] = not pending[key]
            vals.update(icon=icon, reaction_on=pending[key])
        return vals

    @api.model
    def _parse_body(self, body):
        body = clean_text(body)
        if not isinstance(body, str) or not body.strip():
            raise BadPayload(self.env._("the body cannot be empty."))
        if len(body) > BODY_MAX_LENGTH:
            raise BadPayload(
                self.env._("the body is too long: %(max)s characters at most.", max=BODY_MAX_LENGTH)
            )
        return body

    @api.model
    def _parse_partners(self, value, participants, name):
        # None or a list: a wrong value (0, "", {}) is not "everyone".
        value = [] if value is None else value
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise BadPayload(self.env._("%(name)s must be a list of participant ids.", name=name))
        partners = participants.filtered(lambda p: p.id in value)
        if len(partners) != len(set(value)):
            raise BadPayload(
                self.env._("%(name)s must be participants of this session.", name=name)
            )
        return partners

    @api.model
    def _parse_target(self, session, partner, value, action_type):
        if value in (None, False, ""):
            return self.browse()
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadPayload(self.env._("target must be the id of a message."))
        target = self.sudo().browse(value).exists()
        if (
            not target
            or target.session_id != session
            or target.type != "message"
            or not target._is_visible_to(partner)
        ):
            raise BadPayload(self.env._("target must be a message of this session."))
        if target.deleted and action_type != "message_read":
            raise BadPayload(self.env._("this message was deleted."))
        return target

    @api.model
    def _parse_client_ts(self, value):
        if not isinstance(value, str) or len(value) > 40:
            return False
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return False
        if parsed.tzinfo:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        return parsed

    @api.model
    def _parse_research(self, payload):
        """The research fields of a message (only with the author's consent)."""
        values = {}
        history = payload.get("character_history")
        if history is not None:
            if (
                not isinstance(history, list)
                or len(history) > HISTORY_MAX
                or not all(isinstance(key, str) and len(key) <= 32 for key in history)
            ):
                raise BadPayload(self.env._("character_history must be a list of keys."))
            values["character_history"] = clean_json(history)
        duration = payload.get("time_to_complete")
        if duration is not None:
            if isinstance(duration, str) and (match := re.fullmatch(r"(\d{1,9})\s*ms", duration)):
                duration = int(match[1])
            if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
                raise BadPayload(self.env._("time_to_complete must be milliseconds, e.g. 671."))
            values["time_to_complete"] = duration
        return values

    @api.model
    def _post_system(self, session, body, action_type="notice"):
        """A notice (or another action) from the system, seen by everyone."""
        session._lock_log()
        action = self.sudo().create(
            {"session_id": session.id, "type": action_type, "sender": "system", "body": body}
        )
        session._notify_actions(action.id)
        return action

    # ------------------------------------------------------------
    # READING
    # ------------------------------------------------------------

    def _is_visible_to(self, partner):
        self.ensure_one()
        return not self.audience_ids or partner in self.audience_ids

    def _reaction_is_on(self, partner, icon):
        """Whether ``partner``'s ``icon`` reaction to this message is on."""
        self.ensure_one()
        last = self.sudo().search(
            [
                ("target_id", "=", self.id),
                ("type", "=", "reaction"),
                ("author_id", "=", partner.id),
                ("icon", "=", icon),
            ],
            order="id desc",
            limit=1,
        )
        return bool(last.reaction_on)

    @api.model
    def _get_after(self, session, partner, last_action_id, researcher=False):
        """The actions of ``session`` after ``last_action_id`` that
        ``partner`` may see, in id order (at most ``READ_LIMIT``; the
        caller asks again from the last one).

        :return: ``(actions as dicts, max_id)``
        """
        valid = isinstance(last_action_id, int) and not isinstance(last_action_id, bool)
        cursor = last_action_id if valid and last_action_id > 0 else 0
        Action = self.sudo()
        self.env.cr.execute(
            SQL_VISIBLE,
            {"session": session.id, "cursor": cursor, "partner": partner.id, "limit": READ_LIMIT},
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        actions = Action.browse(ids)
        fields_to_read = [
            "type", "author_id", "sender", "body", "deleted", "recipient_ids", "audience_ids",
            "callout_ids", "target_id", "icon", "reaction_on", "data", "client_id", "client_ts",
            "create_date",
        ]  # fmt: skip
        if researcher:
            fields_to_read += ["character_history", "time_to_complete"]
        actions.fetch(fields_to_read)
        result = [action._to_seed_dict(researcher) for action in actions]
        max_id = ids[-1] if ids else cursor
        return result, max_id

    def _to_seed_dict(self, researcher=False):
        """The action in the seed's shape."""
        self.ensure_one()
        values = {
            "id": self.id,
            "type": self.type,
            "user": self.author_id.id or False,
            "timestamp": self.create_date.isoformat(timespec="milliseconds") + "Z",
        }
        if self.client_id:
            values["client_id"] = self.client_id
        if self.type == "message":
            values.update(
                body=self.body or "",
                deleted=self.deleted,
                recipients=self.recipient_ids.ids,
                # A reply to a private message is private too, without recipients of its own.
                private=bool(self.audience_ids),
                target=self.target_id.id or None,
                callout=self.callout_ids.ids,
            )
            if researcher:
                values.update(
                    character_history=self.character_history or [],
                    time_to_complete=self.time_to_complete,
                )
        elif self.type == "notice":
            values.update(body=self.body or "", sender=self.sender, recipients=[])
        elif self.type in ("delete", "message_read"):
            values["target"] = self.target_id.id
        elif self.type == "reaction":
            values.update(target=self.target_id.id, icon=self.icon, on=self.reaction_on)
        elif self.type in ("whiteboard", "update_chat_details"):
            values["data"] = self.data or {}
        return values


# Visible: nobody listed (everyone), or the reader listed. One indexed range
# scan of the session's log from the cursor, whatever its length.
SQL_VISIBLE = """
    SELECT a.id FROM clinic_therapy_action a
     WHERE a.session_id = %(session)s AND a.id > %(cursor)s
       AND (NOT EXISTS (SELECT 1 FROM clinic_therapy_action_audience_rel r WHERE r.action_id = a.id)
            OR EXISTS (SELECT 1 FROM clinic_therapy_action_audience_rel r
                        WHERE r.action_id = a.id AND r.partner_id = %(partner)s))
     ORDER BY a.id
     LIMIT %(limit)s
"""
