from odoo import models


class ClinicPro(models.Model):
    _inherit = "clinic.pro"

    def _dashboard_meeting_values(self, meeting):
        """The queue marks patients waiting longer than their lobby's target."""
        values = super()._dashboard_meeting_values(meeting)
        values["wait_target_minutes"] = meeting.lobby_id.wait_target_minutes or 0
        return values
