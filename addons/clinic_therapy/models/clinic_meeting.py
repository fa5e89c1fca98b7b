from odoo import fields, models


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    therapy_session_id = fields.Many2one(
        "clinic.therapy.session", ondelete="cascade", index="btree_not_null", readonly=True
    )
