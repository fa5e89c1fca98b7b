from odoo import fields, models


class ClinicVisitAnswer(models.Model):
    """One answer of a visit's questionnaire."""

    _name = "clinic.visit.answer"
    _description = "Clinic Visit Answer"
    _order = "visit_id, question_id"

    visit_id = fields.Many2one("clinic.visit", required=True, ondelete="cascade", index=True)
    question_id = fields.Many2one("clinic.visit.question", required=True, ondelete="cascade")
    value = fields.Text()
    participant_id = fields.Many2one(
        "clinic.visit.participant", string="Answered By", ondelete="set null"
    )

    _visit_question_uniq = models.Constraint(
        "UNIQUE(visit_id, question_id)", "A question has one answer per visit."
    )
