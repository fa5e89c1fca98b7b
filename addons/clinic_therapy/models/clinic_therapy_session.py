from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.clinic_meeting.models.clinic_meeting import ENDED_STATES


class ClinicTherapySession(models.Model):
    """A group therapy session: therapists (pros) and patients (partners who
    log in by SMS code), its assessments (surveys), its chat (an append-only
    log of actions, ``clinic.therapy.action``) and its group video call (a
    ``clinic.meeting``, a new one whenever the previous call ended)."""

    _name = "clinic.therapy.session"
    _description = "Clinic Therapy Session"
    _order = "start desc, id desc"

    name = fields.Char(required=True)
    start = fields.Datetime(required=True, index=True)
    duration = fields.Integer(string="Duration (minutes)", default=60, required=True)
    stop = fields.Datetime(compute="_compute_stop", store=True)
    therapist_ids = fields.Many2many(
        "clinic.pro",
        "clinic_therapy_session_pro_rel",
        "session_id",
        "pro_id",
        string="Therapists",
    )
    patient_ids = fields.Many2many(
        "res.partner",
        "clinic_therapy_session_patient_rel",
        "session_id",
        "partner_id",
        string="Patients",
        domain=[("is_clinic_patient", "=", True)],
    )
    state = fields.Selection(
        [("planned", "Planned"), ("done", "Done"), ("cancelled", "Cancelled")],
        default="planned",
        required=True,
    )
    assessment_ids = fields.One2many(
        "clinic.therapy.assessment", "session_id", string="Assessments"
    )
    action_ids = fields.One2many("clinic.therapy.action", "session_id", string="Chat")
    consent_ids = fields.One2many(
        "clinic.therapy.consent", "session_id", string="Research Consents"
    )
    meeting_id = fields.Many2one(
        "clinic.meeting", string="Current Call", readonly=True, copy=False, ondelete="set null"
    )

    _duration_positive = models.Constraint(
        "CHECK(duration > 0 AND duration <= 600)", "A session lasts between 1 and 600 minutes."
    )

    @api.depends("start", "duration")
    def _compute_stop(self):
        for session in self:
            session.stop = session.start and session.start + timedelta(minutes=session.duration)

    # ------------------------------------------------------------
    # WHO IS WHO
    # ------------------------------------------------------------

    def _get_role(self, partner):
        """``therapist``, ``patient``, or False for anyone else."""
        self.ensure_one()
        if partner in self.therapist_ids.user_id.partner_id:
            return "therapist"
        if partner in self.patient_ids:
            return "patient"
        return False

    def _get_participants(self):
        """Every participant's partner: therapists first."""
        self.ensure_one()
        return self.therapist_ids.user_id.partner_id | self.patient_ids

    @api.model
    def _get_for_partner(self, session_id, partner):
        """The session ``session_id`` if ``partner`` takes part in it, else
        an AccessError (the same whether the session exists or not)."""
        # sudo: clinic.therapy.session - participants are checked right below
        session_sudo = self.sudo().browse(int(session_id)).exists()
        if not session_sudo or not partner or not session_sudo._get_role(partner):
            raise AccessError(self.env._("You are not allowed in this session."))
        return session_sudo

    @api.model
    def _search_for_partner(self, partner):
        """The sessions ``partner`` takes part in, upcoming first."""
        # sudo: clinic.therapy.session - filtered on the partner's participation
        sessions = self.sudo().search(
            [
                ("state", "!=", "cancelled"),
                "|",
                ("patient_ids", "in", partner.ids),
                ("therapist_ids.user_id.partner_id", "in", partner.ids),
            ]
        )
        now = fields.Datetime.now()
        upcoming = sessions.filtered(lambda s: s.stop >= now).sorted("start")
        return upcoming | (sessions - upcoming).sorted("start", reverse=True)

    # ------------------------------------------------------------
    # WHAT THE PAGES SHOW
    # ------------------------------------------------------------

    def _get_assessments_for(self, partner):
        """The assessments ``partner`` must answer in this session:
        ``[{id, name, timing, status, url?}]``; ``url`` while incomplete."""
        self.ensure_one()
        if self._get_role(partner) != "patient":
            return []
        answers = (
            self.env["survey.user_input"]
            .sudo()
            .search(
                [
                    ("clinic_therapy_session_id", "=", self.id),
                    ("partner_id", "=", partner.id),
                    ("test_entry", "=", False),
                ]
            )
        )
        result = []
        for assessment in self.assessment_ids:
            done = answers.filtered(
                lambda a, assessment=assessment: (
                    a.survey_id == assessment.survey_id and a.state == "done"
                )
            )
            values = {
                "id": assessment.id,
                "name": assessment.survey_id.title,
                "timing": assessment.timing,
                "status": "complete" if done else "incomplete",
            }
            if not done:
                values["url"] = f"/my/therapy/{self.id}/assessment/{assessment.id}"
            result.append(values)
        return result

    def _get_home_values(self, partner):
        """One session in the seed's shape, for ``partner``'s home page."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "date": fields.Datetime.to_string(self.start),
            "url": f"/my/therapy/{self.id}",
            "assessments": self._get_assessments_for(partner),
        }

    def _get_detail(self, partner):
        """The session page's data for ``partner``: metadata, participants
        and who is present, assessments, consent, role."""
        self.ensure_one()
        present = self.env["res.partner"]
        meeting = self.meeting_id
        if meeting and meeting.state not in ENDED_STATES:
            present = meeting.participant_ids.filtered(lambda p: not p.left_at).partner_id
        consent = self.consent_ids.filtered(lambda c: c.partner_id == partner)
        return {
            "id": self.id,
            "name": self.name,
            "start": fields.Datetime.to_string(self.start),
            "stop": fields.Datetime.to_string(self.stop),
            "me": {"id": partner.id, "role": self._get_role(partner)},
            "participants": [
                {
                    "id": p.id,
                    "name": p.name,
                    "role": self._get_role(p),
                    "present": p in present,
                }
                for p in self._get_participants()
            ],
            "assessments": self._get_assessments_for(partner),
            "consent": consent.consented if consent else None,
            "meetingId": meeting.id if meeting and meeting.state not in ENDED_STATES else False,
        }

    # ------------------------------------------------------------
    # ENTERING, LEAVING, THE CALL
    # ------------------------------------------------------------

    def _lock_log(self):
        """Take the lock of the session's log. Every write to the log takes it
        first, so that actions are numbered in commit order: a reader's cursor
        never skips an action committed later.

        ``FOR NO KEY UPDATE`` locks the row without changing it: a concurrent
        writer waits for the first one's commit, then goes on, its ids after
        the first one's (a 30-person session's read marks queue up instead of
        failing with serialization errors and retrying; see PERFORMANCE.md).
        """
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT id FROM clinic_therapy_session WHERE id = %s FOR NO KEY UPDATE", self.id)
        )

    def _lock_for_update(self):
        """Take the session's row lock for a change of the session itself
        (its call). Every write to the session's log
        takes it first, so that actions are numbered in commit order: a
        reader's cursor never skips an action committed later (an UPDATE:
        a concurrent writer waits, then fails with a serialization error
        that Odoo retries)."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_therapy_session SET write_date = write_date WHERE id = %s",
                self.id,
            )
        )

    def _get_or_create_meeting(self):
        self.ensure_one()
        if self.meeting_id and self.meeting_id.state not in ENDED_STATES:
            return self.meeting_id
        self._lock_for_update()
        self.invalidate_recordset(["meeting_id"])
        if self.meeting_id and self.meeting_id.state not in ENDED_STATES:
            return self.meeting_id
        # sudo: clinic.meeting - the group call of a session the caller takes part in
        meeting = (
            self.env["clinic.meeting"]
            .sudo()
            .create({"name": self.name, "therapy_session_id": self.id})
        )
        self.sudo().meeting_id = meeting
        return meeting

    def _enter(self, partner):
        """``partner`` enters the session: they are in its call and present;
        the others see a notice.

        :return: the meeting of the call
        """
        self.ensure_one()
        meeting = self._get_or_create_meeting()
        role = self._get_role(partner)
        was_present = bool(
            meeting.participant_ids.filtered(lambda p: p.partner_id == partner and not p.left_at)
        )
        if role == "therapist":
            pro = self.therapist_ids.filtered(lambda t: t.user_id.partner_id == partner)[:1]
            meeting._join_pro(pro.sudo(), take_over=True)
        else:
            participant = meeting.participant_ids.filtered(lambda p: p.partner_id == partner)
            meeting._lock_for_update()
            if participant:
                participant.left_at = False
            else:
                self.env["clinic.meeting.participant"].sudo().create(
                    {
                        "meeting_id": meeting.id,
                        "role": "patient",
                        "name": partner.name,
                        "partner_id": partner.id,
                    }
                )
            meeting._notify_changed()
        if not was_present:
            self.env["clinic.audit.log"]._log("joined", self, detail=role)
            self.env["clinic.therapy.action"]._post_system(
                self, self.env._("%(name)s joined the session", name=partner.name)
            )
        return meeting

    def _leave(self, partner):
        """``partner`` leaves the session (and its call)."""
        self.ensure_one()
        meeting = self.meeting_id
        if not meeting or meeting.state in ENDED_STATES:
            return
        participant = meeting.participant_ids.filtered(
            lambda p: p.partner_id == partner and not p.left_at
        )
        if not participant:
            return
        if self._get_role(partner) == "therapist":
            pro = self.therapist_ids.filtered(lambda t: t.user_id.partner_id == partner)[:1]
            meeting._leave_pro(pro.sudo())
        else:
            meeting._lock_for_update()
            participant.left_at = fields.Datetime.now()
            meeting._call_end_sessions()
            meeting._notify_changed()
        self.env["clinic.therapy.action"]._post_system(
            self, self.env._("%(name)s left the session", name=partner.name)
        )

    def _set_consent(self, partner, consented):
        """Record ``partner``'s answer to the research question (once)."""
        self.ensure_one()
        Consent = self.env["clinic.therapy.consent"].sudo()
        consent = Consent.search([("session_id", "=", self.id), ("partner_id", "=", partner.id)])
        if consent:
            return consent
        return Consent.create(
            {
                "session_id": self.id,
                "partner_id": partner.id,
                "consented": bool(consented),
                "answered_at": fields.Datetime.now(),
            }
        )

    def _has_research_consent(self, partner):
        self.ensure_one()
        return bool(self.consent_ids.filtered(lambda c: c.partner_id == partner and c.consented))

    def _notify_actions(self, max_id, partners=None):
        """Tell the participants' pages (after commit) that the log grew.

        Ids only: each page asks ``get_actions`` for what it may see.

        :param partners: whom to tell (every participant by default)
        """
        for session in self:
            (session._get_participants() if partners is None else partners)._bus_send(
                "clinic.therapy/actions", {"session_id": session.id, "max_id": max_id}
            )
