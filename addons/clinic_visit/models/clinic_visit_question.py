import re
from datetime import date

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.clinic_meeting.tools import clean_text

TEXT_MAX_LENGTH = 2000


class ClinicVisitQuestion(models.Model):
    """A question of the medical questionnaire of every visit."""

    _name = "clinic.visit.question"
    _description = "Clinic Visit Question"
    _order = "part desc, sequence, id"

    name = fields.Char(string="Question", required=True, translate=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        [
            ("text", "Text"),
            ("number", "Number"),
            ("boolean", "Yes / No"),
            ("choice", "Choice"),
            ("date", "Date"),
        ],
        required=True,
        default="text",
    )
    choices = fields.Text(translate=True, help="For a choice: the possible answers, one per line.")
    part = fields.Selection(
        [("patient", "Patient"), ("doctor", "Doctor")],
        required=True,
        default="patient",
        help="Who fills this question in.",
    )
    active = fields.Boolean(default=True)

    @api.constrains("kind", "choices")
    def _check_choices(self):
        for question in self:
            if question.kind == "choice" and not question._get_choices():
                raise ValidationError(
                    self.env._(
                        "The question '%(name)s' needs its choices, one per line.",
                        name=question.name,
                    )
                )

    def _get_choices(self):
        self.ensure_one()
        return [line.strip() for line in (self.choices or "").splitlines() if line.strip()]

    def _parse_value(self, value):
        """Check an answer typed for this question.

        :param value: what the page sent (a string, a number or a boolean)
        :return: ``(clean, error)``: the answer as stored (a string, or False
            for an empty answer), or a message
        """
        self.ensure_one()
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            return None, self.env._("This answer is not valid.")
        value = clean_text(value).strip()
        if not value:
            return False, None  # the answer is cleared
        if self.kind == "text":
            if len(value) > TEXT_MAX_LENGTH:
                return None, self.env._(
                    "This answer is too long: %(max)s characters at most.", max=TEXT_MAX_LENGTH
                )
            return value, None
        if self.kind == "number":
            if not re.fullmatch(r"-?\d{1,9}([.,]\d{1,6})?", value):
                return None, self.env._("Please enter a number, e.g. 37.5.")
            return value.replace(",", "."), None
        if self.kind == "boolean":
            if value not in ("yes", "no"):
                return None, self.env._("Please answer yes or no.")
            return value, None
        if self.kind == "choice":
            if value not in self._get_choices():
                return None, self.env._("Please choose one of the answers in the list.")
            return value, None
        # date
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return None, self.env._("Please enter a date as YYYY-MM-DD.")
        try:
            date.fromisoformat(value)
        except ValueError:
            return None, self.env._("This date does not exist.")
        return value, None

    def _room_values(self):
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "choices": self._get_choices() if self.kind == "choice" else [],
            "part": self.part,
        }
