from odoo import api, models

from ..tools import format_datetime


class ClinicVisit(models.Model):
    _inherit = "clinic.visit"

    def _api_values(self):
        """What the partner API shows of a visit, the participants' links included."""
        self.ensure_one()
        base_url = self.get_base_url()
        killed = bool(self.killed_at)
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "pro_id": self.pro_id.id,
            "end_date": format_datetime(self.end_date),
            "killed_at": format_datetime(self.killed_at),
            "participants": [
                {
                    **participant._room_values(),
                    "url": None if killed else f"{base_url}{participant._get_path()}",
                }
                for participant in self.participant_ids.sorted("id")
            ],
            "requests": [
                {
                    **request._room_values(),
                    "created_at": format_datetime(request.create_date),
                }
                for request in self.request_ids.filtered(lambda r: r.state == "pending")
            ],
            "answers": [
                {"question_id": answer.question_id.id, "value": answer.value or ""}
                for answer in self.answer_ids.sorted(lambda a: a.question_id.id)
            ],
        }

    def _api_event_values(self):
        self.ensure_one()
        return {
            "visit": {
                "id": self.id,
                "state": self.state,
                "pro_id": self.pro_id.id,
                "end_date": format_datetime(self.end_date),
            }
        }

    @api.model_create_multi
    def create(self, vals_list):
        visits = super().create(vals_list)
        for visit in visits:
            self.env["clinic.api.webhook"]._emit(
                "visit.created", visit.company_id, visit._api_event_values
            )
        return visits

    def write(self, vals):
        newly_killed = self.filtered(lambda v: not v.killed_at) if vals.get("killed_at") else None
        result = super().write(vals)
        for visit in newly_killed or ():
            self.env["clinic.api.webhook"]._emit(
                "visit.killed", visit.company_id, visit._api_event_values
            )
        return result
