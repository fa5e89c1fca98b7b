from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    clinic_pro_ids = fields.One2many("clinic.pro", "user_id", string="Professional Profiles")
