import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.mail.tools.discuss import Store

ENDED_STATES = ("done", "cancelled")


class ClinicMeeting(models.Model):
    """A video visit between a patient and one or more pros.

    A meeting is *waiting* until the first pro joins, *in progress* while pros
    are in it, and *done* when the last pro leaves (or *cancelled* when the
    patient leaves before anyone came). Every join and leave goes through
    ``_lock_for_update`` so that concurrent clicks are serialized by
    PostgreSQL rather than by luck.
    """

    _name = "clinic.meeting"
    _description = "Clinic Meeting"
    _inherit = ["bus.listener.mixin"]
    _order = "checked_in_at desc, id desc"

    name = fields.Char(
        string="Patient",
        required=True,
        help="The patient's name, as they gave it.",
    )
    state = fields.Selection(
        [
            ("waiting", "Waiting"),
            ("in_progress", "In Progress"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        default="waiting",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    checked_in_at = fields.Datetime(
        default=fields.Datetime.now, required=True, readonly=True, copy=False
    )
    first_pro_joined_at = fields.Datetime(readonly=True, copy=False)
    ended_at = fields.Datetime(readonly=True, copy=False)
    wait_minutes = fields.Float(
        compute="_compute_wait_minutes",
        store=True,
        aggregator="avg",
        digits=(16, 1),
        help="Minutes between check-in and the first pro joining (or the patient giving up).",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="The clinic of the lobby, visit or appointment the meeting belongs to.",
    )
    participant_ids = fields.One2many(
        "clinic.meeting.participant", "meeting_id", string="Participants"
    )
    patient_participant_id = fields.Many2one(
        "clinic.meeting.participant", compute="_compute_participant_counts"
    )
    participant_count = fields.Integer(
        compute="_compute_participant_counts",
        help="Participants in the meeting right now.",
    )
    pro_count = fields.Integer(
        compute="_compute_participant_counts",
        help="Professionals in the meeting right now.",
    )
    access_token = fields.Char(
        default=lambda self: str(uuid.uuid4()),
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Secret that lets the patient's page listen to this meeting's updates.",
    )

    _access_token_uniq = models.Constraint("UNIQUE(access_token)", "Access tokens must be unique.")

    @api.depends("checked_in_at", "first_pro_joined_at", "ended_at")
    def _compute_wait_minutes(self):
        for meeting in self:
            end = meeting.first_pro_joined_at or meeting.ended_at
            meeting.wait_minutes = (
                (end - meeting.checked_in_at).total_seconds() / 60 if end else 0.0
            )

    @api.depends("participant_ids.left_at", "participant_ids.role")
    def _compute_participant_counts(self):
        for meeting in self:
            present = meeting.participant_ids.filtered(lambda p: not p.left_at)
            meeting.patient_participant_id = meeting.participant_ids.filtered(
                lambda p: p.role == "patient"
            )[:1]
            meeting.participant_count = len(present)
            meeting.pro_count = len(present.filtered(lambda p: p.role == "pro"))

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_join(self, take_over=False):
        """Join this meeting as the current user's pro profile.

        The first pro to join claims a waiting meeting; joining a meeting that
        another pro already claimed needs ``take_over=True``.
        """
        self.ensure_one()
        pro = self.env["clinic.pro"]._get_current()
        if not pro:
            raise UserError(self.env._("Only clinic professionals can join meetings."))
        self.check_access("read")
        # sudo: clinic.meeting - the pro reached this meeting through the record
        # rules (self is read with their rights); joining writes participants.
        return self.sudo()._join_pro(pro.sudo(), take_over=take_over)

    def action_leave(self):
        """Leave this meeting as the current user's pro profile."""
        self.ensure_one()
        pro = self.env["clinic.pro"]._get_current()
        if not pro:
            raise UserError(self.env._("Only clinic professionals can leave meetings."))
        self.check_access("read")
        # sudo: clinic.meeting - same as action_join
        return self.sudo()._leave_pro(pro.sudo())

    def action_cancel(self):
        """Cancel meetings from the backend: everyone in them is let go."""
        now = fields.Datetime.now()
        for meeting in self:
            if meeting._lock_for_update() in ("done", "cancelled"):
                continue
            meeting.participant_ids.filtered(lambda p: not p.left_at).left_at = now
            meeting.write({"state": "cancelled", "ended_at": now})
            self.env["clinic.audit.log"]._log("cancelled", meeting)
        self._call_end_sessions()
        self._notify_changed()
        return True

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _lock_for_update(self):
        """Take the meeting's row lock and return its current state.

        This is an UPDATE, not a SELECT ... FOR UPDATE: under Odoo's
        REPEATABLE READ isolation, a transaction that read the meeting before
        a concurrent join committed then fails with a serialization error,
        which Odoo retries with fresh data. Two pros clicking Join at the same
        instant therefore see the meeting one after the other.
        """
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_meeting SET write_date = %s, write_uid = %s"
                " WHERE id = %s RETURNING state",
                fields.Datetime.now(),
                self.env.uid,
                self.id,
            )
        )
        (state,) = self.env.cr.fetchone()
        self.invalidate_recordset()
        self.participant_ids.invalidate_recordset()
        return state

    def _join_pro(self, pro, take_over=False):
        """Add ``pro`` to the meeting, claiming it when it is waiting.

        :return: the pro's participant record
        :raise UserError: when the meeting ended, is already taken (without
            ``take_over``), or the pro is busy in another meeting.
        """
        self.ensure_one()
        state = self._lock_for_update()
        if state in ("done", "cancelled"):
            raise UserError(self.env._("This meeting has already ended."))
        participant = self.participant_ids.filtered(lambda p: p.pro_id == pro)
        if participant and not participant.left_at:
            return participant
        busy = pro._get_current_participation()
        if busy and busy.meeting_id != self:
            raise UserError(
                self.env._(
                    "You are still in the meeting with %(patient)s: leave it first.",
                    patient=busy.meeting_id.name,
                )
            )
        if state == "in_progress" and not take_over:
            taken_by = self.participant_ids.filtered(lambda p: p.role == "pro" and not p.left_at)
            raise UserError(
                self.env._("Already taken by %(pros)s.", pros=", ".join(taken_by.mapped("name")))
            )
        now = fields.Datetime.now()
        if participant:
            participant.write({"joined_at": now, "left_at": False})
        else:
            participant = self.env["clinic.meeting.participant"].create(
                {
                    "meeting_id": self.id,
                    "role": "pro",
                    "pro_id": pro.id,
                    "partner_id": pro.partner_id.id,
                    "name": pro.name,
                    "joined_at": now,
                }
            )
        if state == "waiting":
            self.write({"state": "in_progress", "first_pro_joined_at": now})
        self.env["clinic.audit.log"]._log("joined", self, detail=pro.name)
        self._notify_changed()
        return participant

    def _leave_pro(self, pro):
        """Take ``pro`` out of the meeting; the last pro out ends it."""
        self.ensure_one()
        state = self._lock_for_update()
        participant = self.participant_ids.filtered(lambda p: p.pro_id == pro and not p.left_at)
        if not participant:
            return False
        now = fields.Datetime.now()
        participant.left_at = now
        still_in = self.participant_ids.filtered(lambda p: p.role == "pro" and not p.left_at)
        if state == "in_progress" and not still_in:
            self.participant_ids.filtered(lambda p: not p.left_at).left_at = now
            self.write({"state": "done", "ended_at": now})
        self.env["clinic.audit.log"]._log("left", self, detail=pro.name)
        self._call_end_sessions()
        self._notify_changed()
        return True

    def _leave_patient(self):
        """The patient leaves: a meeting nobody joined yet is cancelled."""
        self.ensure_one()
        state = self._lock_for_update()
        now = fields.Datetime.now()
        self.participant_ids.filtered(lambda p: p.role == "patient" and not p.left_at).left_at = now
        if state == "waiting":
            self.write({"state": "cancelled", "ended_at": now})
        self.env["clinic.audit.log"]._log("left", self, detail="patient")
        self._call_end_sessions()
        self._notify_changed()
        return True

    @api.model
    def _get_for_guest(self, meeting_id, guest):
        """Return meeting ``meeting_id`` if ``guest`` is its patient, else nothing.

        This is how an anonymous visitor reaches their meeting: by the guest
        cookie that was set when they checked in, never by the id alone.
        """
        if not guest or not meeting_id:
            return self.browse()
        # sudo: clinic.meeting.participant - anonymous visitors have no access
        # rights; the guest (authenticated by its cookie) must be the patient.
        participant_sudo = (
            self.env["clinic.meeting.participant"]
            .sudo()
            .search(
                [
                    ("meeting_id", "=", int(meeting_id)),
                    ("guest_id", "=", guest.id),
                    ("role", "=", "patient"),
                ],
                limit=1,
            )
        )
        return participant_sudo.meeting_id

    def _notify_changed(self):
        """Tell everyone looking at these meetings that they changed.

        Bus notifications are sent when the transaction commits, so a change
        that is rolled back is never announced. Payloads carry ids and states
        only: no patient data travels on the bus; pages fetch what they may see.
        """
        for meeting in self:
            payload = {"meeting_id": meeting.id, "state": meeting.state}
            meeting._bus_send("clinic.meeting/changed", payload, subchannel="patient")
            pros = meeting.participant_ids.filtered(lambda p: p.role == "pro").pro_id
            pros.partner_id._bus_send("clinic.meeting/changed", payload)

    def _patient_bus_channel(self):
        """The bus channel name the patient's page subscribes to."""
        self.ensure_one()
        return f"clinic.meeting_{self.id}_{self.sudo().access_token}"

    def _get_patient_status(self):
        """What the patient's own page shows about the meeting, live."""
        self.ensure_one()
        pros = self.participant_ids.filtered(lambda p: p.role == "pro" and not p.left_at)
        return {"state": self.state, "pro_names": pros.mapped("name")}

    # ------------------------------------------------------------
    # VIDEO CALL
    # ------------------------------------------------------------
    # The call of a meeting is a Discuss call: a private ``group`` channel
    # whose members are the meeting's participants (the patient's mail.guest
    # included), its ``discuss.channel.rtc.session`` records, ICE servers from
    # ``mail.ice.server`` (or Twilio) and peer-to-peer signalling over the bus.
    # The patient enters the call as soon as their page opens, so that a pro
    # who joins only has to connect to them.

    def _call_get_participant(self, partner, guest, active=True):
        """The participant of this meeting that ``partner`` or ``guest`` is.

        :param bool active: only someone who is in the meeting right now
        """
        self.ensure_one()
        return self.participant_ids.filtered(
            lambda p: (
                ((partner and p.partner_id == partner) or (guest and p.guest_id == guest))
                and not (active and p.left_at)
            )
        )[:1]

    def _call_check_can_join(self, member):
        """Refuse the call to anyone but a participant in a meeting not ended.

        :param member: the ``discuss.channel.member`` about to join the call
        """
        self.ensure_one()
        if self.state in ENDED_STATES:
            raise UserError(self.env._("This visit has ended."))
        if not self._call_get_participant(member.partner_id, member.guest_id):
            raise AccessError(self.env._("You are not in this meeting."))

    @api.ondelete(at_uninstall=False)
    def _unlink_call_channel(self):
        """A deleted meeting takes its call channel with it, messages
        included (the database's cascade alone would orphan the messages)."""
        # sudo: discuss.channel - whoever may delete the meeting deletes its call
        self.env["discuss.channel"].sudo().search([("clinic_meeting_id", "in", self.ids)]).unlink()

    def _call_get_channel(self, create=True):
        """The meeting's private call channel, created on first use."""
        self.ensure_one()
        Channel = self.env["discuss.channel"]
        channel = Channel.search([("clinic_meeting_id", "=", self.id)])
        if channel or not create:
            return channel
        # The patient's page and a pro's may open at the same instant: the row
        # lock makes the second one retry, and find the first one's channel.
        self._lock_for_update()
        if channel := Channel.search([("clinic_meeting_id", "=", self.id)]):
            return channel
        # sudo: discuss.channel - Discuss makes whoever creates a channel one of
        # its members; only participants may be members of this one, so it is
        # created by nobody in particular.
        channel_sudo = (
            Channel.with_user(self.env.ref("base.public_user"))
            .sudo()
            .create(
                {
                    "name": self.env._("Clinic visit %(ref)s", ref=self.id),
                    "channel_type": "group",
                    "clinic_meeting_id": self.id,
                }
            )
        )
        return channel_sudo.with_env(self.env)

    def _call_get_member(self, participant):
        """The channel member of ``participant``, added on their first call."""
        self.ensure_one()
        channel = self._call_get_channel()
        partner = participant.partner_id
        guest = participant.guest_id if not partner else self.env["mail.guest"]
        member = channel.channel_member_ids.filtered(
            lambda m: m.partner_id == partner if partner else m.guest_id == guest
        )
        if not member:
            member = channel._add_members(partners=partner, guests=guest, post_joined_message=False)
        return member

    def _call_join(self, participant):
        """Put ``participant`` in the meeting's call, in place of any session
        they had there (a reloaded page, another window).

        :return: what their page needs to connect: ``state``, and unless the
            meeting ended or they left it (``left``), ``channelId``,
            ``sessionId``, ``iceServers`` and ``sessions`` (see
            ``_call_sessions_values``)
        """
        self.ensure_one()
        if self.state in ENDED_STATES or participant.left_at:
            return {"state": self.state, "sessionId": False, "left": bool(participant.left_at)}
        member = self._call_get_member(participant)
        store = Store()
        member._rtc_join_call(store)
        rtc = store.get_result()["Rtc"]
        return {
            "state": self.state,
            "channelId": member.channel_id.id,
            "sessionId": rtc["localSession"],
            # No server configured means none: never a public server by default.
            "iceServers": rtc["iceServers"] or [],
            "sessions": self._call_sessions_values(member.channel_id, participant),
        }

    def _call_ping(self, participant, session_id):
        """Keep ``participant``'s session alive; drop the sessions of pages
        that went away without saying so.

        :return: ``state``, ``sessionId`` (False when that session is gone)
            and ``sessions``
        """
        self.ensure_one()
        channel = self._call_get_channel(create=False)
        session = channel.rtc_session_ids.filtered(
            lambda s: (
                s.id == session_id
                and participant == self._call_get_participant(s.partner_id, s.guest_id)
            )
        )
        if session and self.state not in ENDED_STATES:
            session.write({})  # its write_date is its heartbeat
        else:
            session = session.browse()
        channel.rtc_session_ids._delete_inactive_rtc_sessions()
        return {
            "state": self.state,
            "sessionId": session.id,
            "sessions": self._call_sessions_values(channel, participant),
        }

    def _call_sessions_values(self, channel, viewer):
        """Who is in the call, as ``viewer`` (a participant) may see it:
        ``[{"id", "name", "role", "isSelf"}]``, one per session."""
        self.ensure_one()
        values = []
        for session in channel.rtc_session_ids:
            participant = self._call_get_participant(
                session.partner_id, session.guest_id, active=False
            )
            values.append(
                {
                    "id": session.id,
                    "name": participant.name,
                    "role": participant.role,
                    "isSelf": participant == viewer,
                }
            )
        return values

    def _call_end_sessions(self):
        """Hang up whoever is no longer in the meeting: a pro who left, a
        patient who left, everyone once the meeting ended."""
        # sudo: discuss.channel - the meeting's own call follows its state
        channels = (
            self.env["discuss.channel"].sudo().search([("clinic_meeting_id", "in", self.ids)])
        )
        stale = channels.rtc_session_ids.filtered(
            lambda s: (
                s.channel_id.clinic_meeting_id.state in ENDED_STATES
                or not s.channel_id.clinic_meeting_id._call_get_participant(
                    s.partner_id, s.guest_id
                )
            )
        )
        stale.unlink()

    def _call_notify_sessions(self):
        """Tell the participants' pages which sessions are in the call now.

        Session ids only: pages ask ``_call_ping`` for names when they need them.
        """
        # sudo: discuss.channel - reading which sessions are in the meeting's call
        channels = (
            self.env["discuss.channel"].sudo().search([("clinic_meeting_id", "in", self.ids)])
        )
        for channel in channels:
            meeting = channel.clinic_meeting_id
            payload = {"meeting_id": meeting.id, "session_ids": channel.rtc_session_ids.ids}
            meeting._bus_send("clinic.meeting/call", payload, subchannel="patient")
            pros = meeting.participant_ids.filtered(lambda p: p.role == "pro")
            pros.partner_id._bus_send("clinic.meeting/call", payload)
