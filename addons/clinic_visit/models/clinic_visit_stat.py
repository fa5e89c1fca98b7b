from odoo import api, fields, models


class ClinicVisitStat(models.Model):
    """What is left of a destroyed visit: figures, no personal data."""

    _name = "clinic.visit.stat"
    _description = "Clinic Visit Statistics"
    _order = "killed_at desc, id desc"
    _rec_name = "killed_at"

    pro_id = fields.Many2one(
        "clinic.pro", string="Professional", ondelete="set null", readonly=True
    )
    visit_created_at = fields.Datetime(string="Created", readonly=True)
    first_call_at = fields.Datetime(string="First Call", readonly=True)
    end_date = fields.Datetime(readonly=True)
    killed_at = fields.Datetime(string="Destroyed", readonly=True)
    killed_by_id = fields.Many2one(
        "res.users", string="Destroyed By", ondelete="set null", readonly=True
    )
    reason = fields.Selection([("manual", "Destroyed"), ("expired", "Expired")], readonly=True)
    lifetime_days = fields.Float(
        compute="_compute_lifetime_days", store=True, aggregator="avg", digits=(16, 1)
    )
    call_count = fields.Integer(string="Calls", readonly=True)
    call_minutes = fields.Float(string="Minutes in Calls", readonly=True, digits=(16, 1))
    message_count = fields.Integer(string="Messages", readonly=True)
    document_count = fields.Integer(string="Documents", readonly=True)
    answer_count = fields.Integer(string="Answers", readonly=True)
    participant_count = fields.Integer(string="Participants", readonly=True)

    @api.depends("visit_created_at", "killed_at")
    def _compute_lifetime_days(self):
        for stat in self:
            if stat.visit_created_at and stat.killed_at:
                stat.lifetime_days = (
                    stat.killed_at - stat.visit_created_at
                ).total_seconds() / 86400
            else:
                stat.lifetime_days = 0.0
