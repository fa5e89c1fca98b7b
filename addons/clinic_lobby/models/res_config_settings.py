from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_walk_in_retention_days = fields.Integer(
        string="Keep walk-ins' personal data (days)",
        config_parameter="clinic_lobby.walk_in_retention_days",
        default=30,
        help="After a walk-in meeting ends, its patient's name, date of birth and "
        "guest are kept this long, then erased; its times stay for the statistics.",
    )
