from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_vet_classifier_url = fields.Char(
        string="Photo Classifier URL",
        config_parameter="clinic_vet.classifier_url",
        help="The pre-screening endpoint: POST with the photo as the multipart file 'image', "
        'answers {"labels": [{"label": ..., "confidence": 0..1}]}. Empty: no pre-screening.',
    )
    clinic_vet_classifier_key = fields.Char(
        string="Photo Classifier Key",
        config_parameter="clinic_vet.classifier_key",
        help="Sent as 'Authorization: Bearer <key>'.",
    )
    clinic_vet_cancel_hours = fields.Integer(
        string="Owners Cancel Up To (hours before)",
        config_parameter="clinic_vet.cancel_hours",
        default=2,
    )
