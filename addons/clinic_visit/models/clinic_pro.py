from odoo import models


class ClinicPro(models.Model):
    _inherit = "clinic.pro"

    def _get_visits_data(self):
        """The pro's *My visits*: the visits that are not destroyed, with
        their links and the new devices waiting for approval."""
        self.ensure_one()
        visits = self.env["clinic.visit"].search(
            [("pro_id", "=", self.id), ("killed_at", "=", False)], order="create_date desc, id desc"
        )
        visits.participant_ids.mapped("name")
        return {"visits": [visit._get_pro_list_values() for visit in visits]}
