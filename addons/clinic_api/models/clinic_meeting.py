import re
import secrets

from odoo import api, fields, models
from odoo.tools import consteq

from ..tools import format_datetime

ENTRY_LIFETIME_HOURS = 12
ENTRY_TOKEN = re.compile(r"[\w-]{43}")


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    api_entry_token = fields.Char(
        copy=False,
        index="btree_not_null",
        groups="base.group_system",
        help="The patient's one-time entry link of a check-in made through the API.",
    )

    def _api_summary(self):
        """A meeting's ids, state and times: what a webhook says of it."""
        self.ensure_one()
        return {
            "id": self.id,
            "state": self.state,
            "lobby_id": self.lobby_id.id or None,
            "visit_id": self.visit_id.id or None,
            "appointment_id": self.appointment_id.id or None,
            "checked_in_at": format_datetime(self.checked_in_at),
            "first_pro_joined_at": format_datetime(self.first_pro_joined_at),
            "ended_at": format_datetime(self.ended_at),
        }

    def _api_values(self):
        """What the partner API shows of a meeting: the summary and who is in it."""
        self.ensure_one()
        return {
            **self._api_summary(),
            "participant_count": self.participant_count,
            "pro_count": self.pro_count,
            "participants": [
                {
                    "id": participant.id,
                    "role": participant.role,
                    "name": participant.name,
                    "pro_id": participant.pro_id.id or None,
                    "joined_at": format_datetime(participant.joined_at),
                    "left_at": format_datetime(participant.left_at),
                }
                for participant in self.participant_ids.sorted("id")
            ],
        }

    def _api_event_values(self):
        """What a webhook says of a meeting: ids, state and times only."""
        return {"meeting": self._api_summary()}

    def _api_new_entry_link(self):
        """A one-time link that lets the patient's browser into the meeting
        (their guest cookie is set when it is opened)."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self.sudo().api_entry_token = token
        return f"{self.get_base_url()}/lobby/{self.lobby_id.slug}/enter/{token}"

    @api.model_create_multi
    def create(self, vals_list):
        meetings = super().create(vals_list)
        Webhook = self.env["clinic.api.webhook"]
        for meeting in meetings.filtered("lobby_id"):
            Webhook._emit("meeting.checked_in", meeting.company_id, meeting._api_event_values)
        return meetings

    def write(self, vals):
        if "state" not in vals:
            return super().write(vals)
        before = {meeting.id: meeting.state for meeting in self}
        result = super().write(vals)
        Webhook = self.env["clinic.api.webhook"]
        for meeting in self:
            old, new = before[meeting.id], meeting.state
            if old == new:
                continue
            if new == "in_progress" and old == "waiting":
                Webhook._emit("meeting.started", meeting.company_id, meeting._api_event_values)
            elif new in ("done", "cancelled"):
                Webhook._emit("meeting.ended", meeting.company_id, meeting._api_event_values)
        return result

    @api.model
    def _api_get_by_entry_token(self, token):
        """The live meeting whose one-time entry link carries ``token``."""
        if not isinstance(token, str) or not ENTRY_TOKEN.fullmatch(token):
            return self.browse()
        meeting = self.sudo().search([("api_entry_token", "=", token)], limit=1)
        if (
            not meeting
            or not consteq(meeting.api_entry_token, token)
            or meeting.state not in ("waiting", "in_progress")
            or meeting.checked_in_at
            < fields.Datetime.subtract(fields.Datetime.now(), hours=ENTRY_LIFETIME_HOURS)
        ):
            return self.browse()
        return meeting
