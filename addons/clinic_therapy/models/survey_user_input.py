from odoo import fields, models


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    clinic_therapy_session_id = fields.Many2one(
        "clinic.therapy.session",
        string="Therapy Session",
        ondelete="set null",
        index="btree_not_null",
    )

    def _mark_done(self):
        """A finished assessment tells its session's pages to refresh them."""
        result = super()._mark_done()
        for session in self.clinic_therapy_session_id:
            self.env["clinic.therapy.action"]._post_system(
                session, False, action_type="update_assessments"
            )
        return result
