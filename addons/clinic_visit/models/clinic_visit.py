import base64
import re
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, consteq

from odoo.addons.bus.models.bus import channel_with_db, json_dump
from odoo.addons.clinic_meeting.models.clinic_meeting import ENDED_STATES
from odoo.addons.clinic_meeting.tools import clean_text

VALIDITY_DAYS = 30
# What new_token makes (URL-safe base64): anything else is no link, and never a query.
TOKEN_PATTERN = re.compile(r"[\w-]{20,64}")
MESSAGE_MAX_LENGTH = 10000


def new_token():
    """A link secret: 256 bits from the operating system's generator."""
    return secrets.token_urlsafe(32)


class ClinicVisit(models.Model):
    """A one-to-one video visit that a pro opens for a patient (seed 003).

    Each participant (the pro, the patient, optionally a companion) has their
    own link, ``/visit/<visit token>/<participant token>``. A patient's link
    binds to the first browser that opens it; another browser waits for the
    pro's approval. The visit holds a medical questionnaire, messages and
    documents, and a video call (a ``clinic.meeting``, a new one each time the
    previous call ended). Killing a visit deletes all of it and keeps only a
    ``clinic.visit.stat`` without personal data.
    """

    _name = "clinic.visit"
    _description = "Clinic One-to-one Visit"
    _inherit = ["bus.listener.mixin"]
    _order = "create_date desc, id desc"

    def _default_end_date(self):
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_visit.validity_days", VALIDITY_DAYS)
        )
        return fields.Datetime.now() + timedelta(days=days)

    name = fields.Char(string="Patient", required=True)
    pro_id = fields.Many2one(
        "clinic.pro", string="Professional", required=True, ondelete="restrict", index=True
    )
    token = fields.Char(
        default=lambda self: new_token(),
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The secret shared by every link of the visit.",
    )
    end_date = fields.Datetime(
        required=True,
        default=_default_end_date,
        help="After this date the links stop working and the visit is destroyed.",
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("in_progress", "In Progress"),
            ("ended", "Ended"),
            ("killed", "Destroyed"),
        ],
        compute="_compute_state",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="The clinic of the visit's professional.",
    )
    lang = fields.Selection(
        "_lang_get",
        string="Language",
        default=lambda self: self.env.lang,
        help="The language of the links sent by email or SMS: the one the visit "
        "was created in, unless set otherwise.",
    )
    participant_ids = fields.One2many("clinic.visit.participant", "visit_id", string="Participants")
    meeting_id = fields.Many2one(
        "clinic.meeting",
        string="Current Call",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The meeting of the visit's call; a new one when the previous call ended.",
    )
    meeting_ids = fields.One2many("clinic.meeting", "visit_id", string="Calls")
    answer_ids = fields.One2many("clinic.visit.answer", "visit_id", string="Answers")
    message_ids = fields.One2many("clinic.visit.message", "visit_id", string="Messages")
    request_ids = fields.One2many(
        "clinic.visit.access.request", "visit_id", string="Device Requests"
    )
    first_call_at = fields.Datetime(readonly=True, copy=False)
    killed_at = fields.Datetime(readonly=True, copy=False, index="btree_not_null")
    killed_by_id = fields.Many2one("res.users", readonly=True, copy=False, ondelete="set null")

    _token_uniq = models.Constraint("UNIQUE(token)", "Visit tokens must be unique.")

    @api.depends("killed_at", "end_date", "meeting_id.state")
    def _compute_state(self):
        now = fields.Datetime.now()
        for visit in self:
            if visit.killed_at:
                visit.state = "killed"
            elif visit.end_date and visit.end_date < now:
                visit.state = "ended"
            elif visit.meeting_id.state == "in_progress":
                visit.state = "in_progress"
            else:
                visit.state = "open"

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_kill(self):
        """Destroy visits: everyone is disconnected; messages, documents,
        answers, device requests, calls (their channels and messages) and the
        participants' guests are deleted; names are wiped; a statistics record
        without personal data is kept. The links then say the visit ended."""
        # Any logged-in user, portal included, may call a public method by
        # RPC: only those who may write visits (managers) destroy them here.
        # Pros go through their dashboard, which checks that the visit is theirs.
        self.check_access("write")
        return self._kill(reason="manual")

    # ------------------------------------------------------------
    # CREATION
    # ------------------------------------------------------------

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    @api.model
    def _parse_new_visit(self, values):
        """Validate the pro's *New visit* form.

        :param dict values: ``name``, ``phone``, ``email``, ``companion_name``,
            ``end_date`` (``YYYY-MM-DD``), as typed
        :return: ``(vals, errors)``
        """
        Participant = self.env["clinic.meeting.participant"]
        vals, errors = {}, {}
        name_values, name_errors = Participant._parse_patient_name(
            values.get("name"), typed_by_patient=False
        )
        if name_errors:
            errors["name"] = name_errors["name"]
        else:
            vals["name"] = name_values["name"]
        companion = clean_text(values.get("companion_name") or "").strip()
        if companion:
            companion_values, companion_errors = Participant._parse_patient_name(
                companion, typed_by_patient=False
            )
            if companion_errors:
                errors["companion_name"] = companion_errors["name"]
            else:
                vals["companion_name"] = companion_values["name"]
        email = clean_text(values.get("email") or "").strip()
        if email:
            normalized = self.env["clinic.visit.participant"]._normalize_email(email)
            if not normalized:
                errors["email"] = self.env._("Please enter a valid email address.")
            else:
                vals["email"] = normalized
        phone = clean_text(values.get("phone") or "").strip()
        if phone:
            sanitized = self.env["clinic.visit.participant"]._sanitize_phone(phone)
            if not sanitized:
                errors["phone"] = self.env._(
                    "Please enter a valid phone number with its country code, e.g. +1 202 555 0143."
                )
            else:
                vals["phone"] = sanitized
        end_date = clean_text(values.get("end_date") or "").strip()
        if end_date:
            try:
                parsed = fields.Date.to_date(end_date)
            except ValueError:
                parsed = None
            today = fields.Date.context_today(self)
            if not parsed:
                errors["end_date"] = self.env._("Please enter the end date as YYYY-MM-DD.")
            elif parsed < today:
                errors["end_date"] = self.env._("The end date cannot be in the past.")
            elif parsed > today + timedelta(days=365):
                errors["end_date"] = self.env._("A visit lasts one year at most.")
            else:
                # The visit works until the end of that day (UTC).
                vals["end_date"] = fields.Datetime.to_datetime(parsed) + timedelta(
                    days=1, seconds=-1
                )
        return vals, errors

    @api.model
    def _create_for_pro(self, pro, values):
        """The pro's *New visit*: the visit and a link per participant.

        :return: ``(visit, errors)``
        """
        vals, errors = self._parse_new_visit(values)
        if errors:
            return self.browse(), errors
        participants = [
            fields.Command.create({"role": "pro", "name": pro.name, "user_id": pro.user_id.id}),
            fields.Command.create(
                {
                    "role": "patient",
                    "name": vals["name"],
                    "email": vals.get("email"),
                    "phone": vals.get("phone"),
                }
            ),
        ]
        if vals.get("companion_name"):
            participants.append(
                fields.Command.create({"role": "companion", "name": vals["companion_name"]})
            )
        create_vals = {
            "name": vals["name"],
            "pro_id": pro.id,
            "company_id": pro.company_id.id,
            "participant_ids": participants,
        }
        if vals.get("end_date"):
            create_vals["end_date"] = vals["end_date"]
        # sudo: clinic.visit - a pro (portal user) opens visits through this method only
        visit = self.sudo().create(create_vals)
        visit._notify_pro()
        return visit, {}

    # ------------------------------------------------------------
    # ACCESS
    # ------------------------------------------------------------

    @api.model
    def _get_participant_by_tokens(self, visit_token, participant_token):
        """The participant whose link is ``/visit/<visit_token>/<participant_token>``.

        Both secrets are compared in constant time; anything else finds
        nothing (the caller answers 404, the same for every wrong link).
        """
        Participant = self.env["clinic.visit.participant"].sudo()
        for token in (visit_token, participant_token):
            if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
                return Participant
        # sudo: clinic.visit.participant - the link's secrets are the credential
        participant_sudo = Participant.search([("token", "=", participant_token)], limit=1)
        if (
            not participant_sudo
            or not consteq(participant_sudo.token, participant_token)
            or not consteq(participant_sudo.visit_id.token, visit_token)
        ):
            return Participant
        return participant_sudo

    def _is_live(self):
        """Whether the visit's links still open it."""
        self.ensure_one()
        return not self.killed_at and self.end_date >= fields.Datetime.now()

    def _lock_for_update(self):
        """Take the visit's row lock (see ``clinic.meeting._lock_for_update``)."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE clinic_visit SET write_date = write_date WHERE id = %s", self.id)
        )
        self.invalidate_recordset()

    # ------------------------------------------------------------
    # CALL
    # ------------------------------------------------------------

    def _get_or_create_meeting(self):
        """The meeting of the visit's call; a new one when the last call ended."""
        self.ensure_one()
        if self.meeting_id and self.meeting_id.state not in ENDED_STATES:
            return self.meeting_id
        self._lock_for_update()
        if self.meeting_id and self.meeting_id.state not in ENDED_STATES:
            return self.meeting_id
        # sudo: clinic.meeting - the call of a visit the caller is a participant of
        meeting = (
            self.env["clinic.meeting"]
            .sudo()
            .create({"name": self.name, "visit_id": self.id, "company_id": self.company_id.id})
        )
        self.sudo().meeting_id = meeting
        return meeting

    def _enter_call(self, participant):
        """Put ``participant`` in the visit's current call (its meeting).

        :return: the meeting
        """
        self.ensure_one()
        meeting = self._get_or_create_meeting()
        if participant.role == "pro":
            meeting._join_pro(self.pro_id.sudo(), take_over=True)
            if not self.first_call_at:
                self.sudo().first_call_at = fields.Datetime.now()
            self._notify_changed()
            return meeting
        partner = participant.partner_id
        meeting_participant = meeting.participant_ids.filtered(
            lambda p: (
                p.role == "patient"
                and (
                    (partner and p.partner_id == partner)
                    or (p.guest_id and p.guest_id == participant.guest_id)
                )
            )
        )
        if not meeting_participant:
            meeting._lock_for_update()
            self.env["clinic.meeting.participant"].sudo().create(
                {
                    "meeting_id": meeting.id,
                    "role": "patient",
                    "name": participant.name,
                    "partner_id": partner.id,
                    "guest_id": participant.guest_id.id if not partner else False,
                }
            )
            meeting._notify_changed()
        elif meeting_participant.left_at:
            meeting._lock_for_update()
            meeting_participant.left_at = False
            meeting._notify_changed()
        self._notify_changed()
        return meeting

    def _leave_call(self, participant):
        """``participant`` leaves the call (their link brings them back); the
        pro leaving ends it, as in every meeting."""
        self.ensure_one()
        meeting = self.meeting_id
        if not meeting or meeting.state in ENDED_STATES:
            return
        if participant.role == "pro":
            meeting._leave_pro(self.pro_id.sudo())
        else:
            meeting._lock_for_update()
            meeting.participant_ids.filtered(
                lambda p: (
                    p.role == "patient"
                    and not p.left_at
                    and (
                        (participant.guest_id and p.guest_id == participant.guest_id)
                        or (participant.partner_id and p.partner_id == participant.partner_id)
                    )
                )
            ).left_at = fields.Datetime.now()
            meeting._call_end_sessions()
            meeting._notify_changed()
        self._notify_changed()

    # ------------------------------------------------------------
    # QUESTIONNAIRE, MESSAGES, DOCUMENTS
    # ------------------------------------------------------------

    def _save_answer(self, participant, question_id, value):
        """Save one answer of ``participant``'s part of the questionnaire.

        :return: ``(values, error)``: the saved ``{question_id, value}``, or
            a message (nothing is saved then)
        """
        self.ensure_one()
        Question = self.env["clinic.visit.question"].sudo()
        question = (
            Question.browse(question_id).exists() if isinstance(question_id, int) else Question
        )
        if not question or not question.active:
            return None, self.env._("This question does not exist.")
        if question.part != participant._questionnaire_part():
            return None, self.env._("This part of the questionnaire is filled by the other side.")
        if value is None:
            return None, self.env._("Nothing to save.")
        clean, error = question._parse_value(value)
        if error:
            return None, error
        Answer = self.env["clinic.visit.answer"].sudo()
        answer = Answer.search([("visit_id", "=", self.id), ("question_id", "=", question.id)])
        if answer:
            answer.write({"value": clean, "participant_id": participant.id})
        else:
            Answer.create(
                {
                    "visit_id": self.id,
                    "question_id": question.id,
                    "value": clean,
                    "participant_id": participant.id,
                }
            )
        payload = {
            "question_id": question.id,
            "value": clean or "",
            "participant_id": participant.id,
        }
        self._bus_send("clinic.visit/answer", payload)
        return payload, None

    def _post_message(self, participant, body):
        """A message of ``participant`` in the visit.

        :return: ``(message, error)``
        """
        self.ensure_one()
        body = clean_text(body).strip() if isinstance(body, str) else ""
        if not body:
            return None, self.env._("Please write a message.")
        if len(body) > MESSAGE_MAX_LENGTH:
            return None, self.env._(
                "Your message is too long: %(max)s characters at most.", max=MESSAGE_MAX_LENGTH
            )
        # sudo: clinic.visit.message - participants write through this method only
        message = (
            self.env["clinic.visit.message"]
            .sudo()
            .create({"visit_id": self.id, "participant_id": participant.id, "body": body})
        )
        self._bus_send("clinic.visit/message", {"message_id": message.id})
        return message, None

    def _add_documents(self, participant, files):
        """The pro shares documents: one message per file.

        :param files: a list of ``(name, mimetype, bytes)``
        :return: ``(messages, error)``; nothing is saved when one file is wrong
        """
        self.ensure_one()
        Message = self.env["clinic.visit.message"].sudo()
        if participant.role != "pro":
            return Message, self.env._("Only the professional shares documents.")
        if not files:
            return Message, self.env._("Please choose at least one file.")
        max_size = Message._document_max_size()
        for name, _mimetype, data in files:
            if not data:
                return Message, self.env._("The file %(name)s is empty.", name=name)
            if len(data) > max_size:
                return Message, self.env._(
                    "The file %(name)s is too large: %(max)s MB at most.",
                    name=name,
                    max=max_size // (1024 * 1024),
                )
        # sudo: clinic.visit.message - the pro's documents, checked above
        messages = Message.create(
            [
                {
                    "visit_id": self.id,
                    "participant_id": participant.id,
                    "file_name": (clean_text(name) or "document")[:255],
                    "file_mimetype": (clean_text(mimetype) or "application/octet-stream")[:128],
                    "file_size": len(data),
                    "file_data": base64.b64encode(data),
                }
                for name, mimetype, data in files
            ]
        )
        for message in messages:
            self._bus_send("clinic.visit/message", {"message_id": message.id})
        return messages, None

    # ------------------------------------------------------------
    # WHAT A PAGE SHOWS
    # ------------------------------------------------------------

    def _get_room_data(self, participant):
        """Everything the visit page of ``participant`` shows."""
        self.ensure_one()
        questions = self.env["clinic.visit.question"].sudo().search([])
        answers = {answer.question_id.id: answer.value or "" for answer in self.answer_ids}
        data = {
            "visit": {
                "id": self.id,
                "name": self.name,
                "state": self.state,
                "pro_name": self.pro_id.name,
                "end_date": fields.Datetime.to_string(self.end_date),
            },
            "me": {"id": participant.id, "role": participant.role, "name": participant.name},
            "participants": [p._room_values() for p in self.participant_ids],
            "questions": [q._room_values() for q in questions],
            "answers": answers,
            "messages": [m._room_values(participant) for m in self.message_ids.sorted("id")],
            "meetingId": self.meeting_id.id if self.meeting_id.state not in ENDED_STATES else False,
        }
        if participant.role == "pro":
            data["requests"] = [
                r._room_values() for r in self.request_ids.filtered(lambda r: r.state == "pending")
            ]
        return data

    def _get_pro_list_values(self):
        """What the pro's *My visits* shows of a visit, links included."""
        self.ensure_one()
        base_url = self.get_base_url()
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "end_date": fields.Datetime.to_string(self.end_date),
            "participants": [
                {
                    **p._room_values(),
                    "url": f"{base_url}{p._get_path()}",
                    "path": p._get_path(),
                    "email": p.email or "",
                    "phone": p.phone or "",
                }
                for p in self.participant_ids
            ],
            "requests": [
                r._room_values() for r in self.request_ids.filtered(lambda r: r.state == "pending")
            ],
        }

    def _notify_changed(self):
        """Tell the visit's pages and its pro's dashboard (after commit)."""
        for visit in self:
            payload = {"visit_id": visit.id, "state": visit.state}
            visit._bus_send("clinic.visit/changed", payload)
            visit._notify_pro()

    def _notify_pro(self):
        for visit in self:
            visit.pro_id.user_id.partner_id._bus_send(
                "clinic.visit/changed", {"visit_id": visit.id}
            )

    # ------------------------------------------------------------
    # DESTRUCTION
    # ------------------------------------------------------------

    def _kill(self, reason="manual"):
        """See ``action_kill``. ``reason``: ``manual`` or ``expired``."""
        now = fields.Datetime.now()
        Stat = self.env["clinic.visit.stat"].sudo()
        for visit in self.sudo():
            visit._lock_for_update()
            if visit.killed_at:
                continue
            meetings = visit.meeting_ids
            call_minutes = sum(
                ((m.ended_at or now) - m.first_pro_joined_at).total_seconds() / 60
                for m in meetings
                if m.first_pro_joined_at
            )
            Stat.create(
                {
                    "visit_created_at": visit.create_date,
                    "first_call_at": visit.first_call_at,
                    "end_date": visit.end_date,
                    "killed_at": now,
                    "killed_by_id": self.env.uid if reason == "manual" else False,
                    "reason": reason,
                    "pro_id": visit.pro_id.id,
                    "call_count": len(meetings.filtered("first_pro_joined_at")),
                    "call_minutes": call_minutes,
                    "message_count": len(visit.message_ids.filtered(lambda m: not m.file_size)),
                    "document_count": len(visit.message_ids.filtered("file_size")),
                    "answer_count": len(visit.answer_ids),
                    "participant_count": len(visit.participant_ids),
                }
            )
            # Everyone is let go, then everything of the visit goes.
            live = meetings.filtered(lambda m: m.state not in ENDED_STATES)
            live.action_cancel()
            visit._bus_send("clinic.visit/killed", {"visit_id": visit.id})
            for request in visit.request_ids:
                request._bus_send("clinic.visit/killed", {"visit_id": visit.id})
            requests = visit.request_ids
            guests = visit.participant_ids.guest_id | requests.guest_id
            partners = visit.pro_id.user_id.partner_id | visit.participant_ids.partner_id
            channels = visit.env["discuss.channel"].search(
                [("clinic_meeting_id", "in", meetings.ids)]
            )
            visit.message_ids.unlink()
            visit.answer_ids.unlink()
            requests.unlink()
            visit.meeting_id = False
            meetings.unlink()  # with their call channels and the channels' messages
            visit.participant_ids.write(
                {
                    "name": "-",
                    "email": False,
                    "phone": False,
                    "guest_id": False,
                    "partner_id": False,
                }
            )
            # Each binding made its own guest (see clinic.visit.participant._bind),
            # but a device that asked to come in brought the guest its browser
            # already had, which may be in use elsewhere: another visit's link,
            # a walk-in meeting, a Discuss channel. That one stays.
            domain = [("guest_id", "in", guests.ids)]
            kept = guests.browse(
                {
                    guest_id
                    for model in (
                        "clinic.visit.participant",
                        "clinic.visit.access.request",
                        "clinic.meeting.participant",
                        "discuss.channel.member",
                    )
                    for guest_id in visit.env[model].search(domain).guest_id.ids
                }
            )
            (guests - kept).unlink()
            visit._unlink_bus_notifications(
                [
                    visit,
                    *requests,
                    *meetings,
                    *((m, "patient") for m in meetings),
                    *channels,
                    *(guests - kept),
                ],
                [*partners, *kept],
                channels,
            )
            visit.write({"name": "-", "killed_at": now, "killed_by_id": self.env.uid})
            self.env["clinic.audit.log"]._log("killed", visit, detail=reason)
            visit._notify_pro()
        return True

    def _unlink_bus_notifications(self, targets, personas, channels):
        """Delete what the bus still stores of a destroyed visit (it keeps
        notifications for a day): everything sent to ``targets`` (records, or
        ``(record, subchannel)``), and the Discuss invitations of ``personas``
        (partners, guests) to the call ``channels``, which carry answers, the
        call's messages and the participants' names."""
        self.ensure_one()
        dbname = self.env.cr.dbname
        self.env.flush_all()
        # Direct SQL, as bus.bus's own garbage collection: the payload is JSON text.
        self.env.cr.execute(
            SQL(
                """DELETE FROM bus_bus
                    WHERE channel IN %s
                       OR (channel IN %s
                           AND message::jsonb ->> 'type' = 'discuss.channel/joined'
                           AND message::jsonb #>> '{payload,channel_id}' IN %s)""",
                tuple(json_dump(channel_with_db(dbname, target)) for target in targets),
                tuple(json_dump(channel_with_db(dbname, persona)) for persona in personas)
                or (None,),
                tuple(str(channel_id) for channel_id in channels.ids) or (None,),
            )
        )

    @api.model
    def _cron_kill_expired(self):
        """Destroy the visits past their end date."""
        expired = self.search(
            [("killed_at", "=", False), ("end_date", "<", fields.Datetime.now())], limit=200
        )
        expired._kill(reason="expired")
        return expired

    def _check_pro(self, pro):
        """Raise unless ``pro`` is this visit's pro."""
        self.ensure_one()
        if not pro or pro != self.pro_id:
            raise UserError(self.env._("This visit is not yours."))
