import re
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from ..tools import clean_text

NAME_MAX_LENGTH = 100
MAX_AGE_YEARS = 130
# Refused in a name: control characters (line breaks included; a tab counts
# as a space) and the bidirectional overrides, embeddings and isolates that
# would make a name display as something else (U+202A-U+202E, U+2066-U+2069).
UNSAFE_IN_NAME = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class ClinicMeetingParticipant(models.Model):
    """Someone in a meeting: the patient (a guest or a partner) or a pro."""

    _name = "clinic.meeting.participant"
    _description = "Clinic Meeting Participant"
    _order = "joined_at, id"

    meeting_id = fields.Many2one("clinic.meeting", required=True, ondelete="cascade", index=True)
    role = fields.Selection(
        [("patient", "Patient"), ("pro", "Professional")], required=True, readonly=True
    )
    name = fields.Char(required=True)
    pro_id = fields.Many2one("clinic.pro", string="Professional", ondelete="restrict", index=True)
    partner_id = fields.Many2one("res.partner", string="Contact", ondelete="set null")
    guest_id = fields.Many2one("mail.guest", ondelete="set null", index="btree_not_null")
    birthdate = fields.Date(string="Date of Birth")
    age = fields.Integer(compute="_compute_age")
    joined_at = fields.Datetime(default=fields.Datetime.now, required=True)
    left_at = fields.Datetime()

    _meeting_pro_uniq = models.Constraint(
        "UNIQUE(meeting_id, pro_id)",
        "A professional takes part in a meeting only once.",
    )
    _pro_has_profile = models.Constraint(
        "CHECK(role != 'pro' OR pro_id IS NOT NULL)",
        "A professional participant needs a professional profile.",
    )

    @api.depends("birthdate")
    def _compute_age(self):
        today = fields.Date.context_today(self)
        for participant in self:
            participant.age = (
                relativedelta(today, participant.birthdate).years if participant.birthdate else 0
            )

    @api.model
    def _parse_patient_name(self, name, typed_by_patient=True):
        """Validate a patient's name: typed by the patient without an account,
        or for them by a pro (``typed_by_patient=False``, the messages then
        speak of "the name").

        :return: ``(values, errors)``: the cleaned ``name``, or a message for it
        """
        values, errors = {}, {}
        if isinstance(name, str) and UNSAFE_IN_NAME.search(name):
            errors["name"] = (
                self.env._("Please enter your name on one line, without special characters.")
                if typed_by_patient
                else self.env._("Please enter the name on one line, without special characters.")
            )
            return values, errors
        name = re.sub(r"\s+", " ", clean_text(name)).strip() if isinstance(name, str) else ""
        if not name:
            errors["name"] = (
                self.env._("Please enter your name.")
                if typed_by_patient
                else self.env._("Please enter the name.")
            )
        elif len(name) > NAME_MAX_LENGTH:
            errors["name"] = (
                self.env._(
                    "Your name is too long: %(max)s characters at most.", max=NAME_MAX_LENGTH
                )
                if typed_by_patient
                else self.env._(
                    "The name is too long: %(max)s characters at most.", max=NAME_MAX_LENGTH
                )
            )
        elif not any(c.isalpha() for c in name):
            errors["name"] = (
                self.env._("Please enter your name with letters.")
                if typed_by_patient
                else self.env._("Please enter the name with letters.")
            )
        else:
            values["name"] = name
        return values, errors

    @api.model
    def _parse_patient_identity(self, name, birthdate):
        """Validate what a patient typed about themselves.

        Shared by every public form that identifies a patient without an
        account (walk-in check-in, bookings).

        :param str name: the name as typed
        :param str birthdate: the date of birth as ``YYYY-MM-DD``
        :return: ``(values, errors)``: cleaned ``name`` and ``birthdate``, and
            a message per field that is wrong (empty when all is well)
        """
        values, errors = self._parse_patient_name(name)

        birthdate = (birthdate if isinstance(birthdate, str) else "").strip()
        today = fields.Date.context_today(self)
        if not birthdate:
            errors["birthdate"] = self.env._("Please enter your date of birth.")
        elif not re.fullmatch(r"\d{4}-\d{2}-\d{2}", birthdate):
            errors["birthdate"] = self.env._("Please enter your date of birth as YYYY-MM-DD.")
        else:
            try:
                parsed = date.fromisoformat(birthdate)
            except ValueError:
                errors["birthdate"] = self.env._("This date of birth does not exist.")
            else:
                if parsed > today:
                    errors["birthdate"] = self.env._("Your date of birth cannot be in the future.")
                elif parsed < today - relativedelta(years=MAX_AGE_YEARS):
                    errors["birthdate"] = self.env._(
                        "Please check your date of birth: it is more than %(years)s years ago.",
                        years=MAX_AGE_YEARS,
                    )
                else:
                    values["birthdate"] = parsed
        return values, errors
