from odoo import fields, models


class ClinicTherapyAssessment(models.Model):
    """A survey every patient of a session answers, before or after it."""

    _name = "clinic.therapy.assessment"
    _description = "Clinic Therapy Assessment"
    _order = "session_id, timing desc, id"

    session_id = fields.Many2one("clinic.therapy.session", required=True, ondelete="cascade")
    survey_id = fields.Many2one("survey.survey", required=True, ondelete="restrict")
    timing = fields.Selection(
        [("before", "Before the session"), ("after", "After the session")],
        required=True,
        default="after",
    )

    _session_survey_uniq = models.Constraint(
        "UNIQUE(session_id, survey_id)", "A survey is asked once per session."
    )

    def _get_start_url(self, partner):
        """The survey's page for ``partner``: their answer for this session,
        made on first use (linked to the session, as survey_crm links leads)."""
        self.ensure_one()
        UserInput = self.env["survey.user_input"].sudo()
        answer = UserInput.search(
            [
                ("survey_id", "=", self.survey_id.id),
                ("partner_id", "=", partner.id),
                ("clinic_therapy_session_id", "=", self.session_id.id),
                ("test_entry", "=", False),
            ],
            order="id desc",
            limit=1,
        )
        if not answer:
            # sudo: survey.survey - the patient answers the session's survey
            answer = self.survey_id.sudo()._create_answer(
                partner=partner,
                check_attempts=False,
                clinic_therapy_session_id=self.session_id.id,
            )
        return answer.get_start_url()
