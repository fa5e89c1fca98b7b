from odoo import fields, models


class ClinicTherapyConsent(models.Model):
    """A participant's answer to the research question of a session, asked once."""

    _name = "clinic.therapy.consent"
    _description = "Clinic Therapy Research Consent"
    _order = "answered_at desc, id desc"

    session_id = fields.Many2one("clinic.therapy.session", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", required=True, ondelete="cascade", index=True)
    consented = fields.Boolean(
        help="Whether the participant's keystrokes and typing time may be recorded for research."
    )
    answered_at = fields.Datetime(required=True, default=fields.Datetime.now)

    _session_partner_uniq = models.Constraint(
        "UNIQUE(session_id, partner_id)", "A participant answers the research question once."
    )
