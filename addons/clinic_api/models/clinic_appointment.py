from odoo import api, models

from ..tools import format_datetime


class ClinicAppointment(models.Model):
    _inherit = "clinic.appointment"

    def _api_values(self):
        """What the partner API shows of an appointment."""
        self.ensure_one()
        cancelled = self.state == "cancelled"
        return {
            "id": self.id,
            "type_id": self.type_id.id,
            "pro_id": self.pro_id.id,
            "state": self.state,
            "start": format_datetime(self.start),
            "stop": format_datetime(self.stop),
            "patient_name": self.patient_name,
            "email": self.email or None,
            "comment": self.comment or None,
            "meeting_id": self.meeting_id.id or None,
            "visit_url": None if cancelled else self._get_visit_url(),
            "ics_url": None if cancelled else self._get_ics_url(),
        }

    def _api_event_values(self):
        self.ensure_one()
        return {
            "appointment": {
                "id": self.id,
                "state": self.state,
                "type_id": self.type_id.id,
                "pro_id": self.pro_id.id,
                "start": format_datetime(self.start),
                "stop": format_datetime(self.stop),
            }
        }

    @api.model_create_multi
    def create(self, vals_list):
        appointments = super().create(vals_list)
        for appointment in appointments:
            self.env["clinic.api.webhook"]._emit(
                "appointment.booked", appointment.company_id, appointment._api_event_values
            )
        return appointments

    def write(self, vals):
        cancelling = (
            self.filtered(lambda a: a.state != "cancelled")
            if vals.get("state") == "cancelled"
            else None
        )
        result = super().write(vals)
        for appointment in cancelling or ():
            self.env["clinic.api.webhook"]._emit(
                "appointment.cancelled", appointment.company_id, appointment._api_event_values
            )
        return result
