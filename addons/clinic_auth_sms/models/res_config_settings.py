from odoo import fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_auth_sms_provider = fields.Selection(
        [("sms", "Odoo SMS"), ("twilio_verify", "Twilio Verify")],
        string="Patient Login Codes Sent With",
        default="sms",
        required=True,
        config_parameter="clinic_auth_sms.provider",
        help="Odoo SMS: the codes go through Odoo's SMS queue, with the SMS provider of the "
        "company (Odoo's IAP service, or Twilio with the Twilio SMS module). "
        "Twilio Verify: Twilio writes, sends and checks the codes.",
    )
    clinic_auth_sms_twilio_account_sid = fields.Char(
        string="Twilio Account SID", config_parameter="clinic_auth_sms.twilio_account_sid"
    )
    clinic_auth_sms_twilio_auth_token = fields.Char(
        string="Twilio Auth Token", config_parameter="clinic_auth_sms.twilio_auth_token"
    )
    clinic_auth_sms_twilio_verify_service_sid = fields.Char(
        string="Twilio Verify Service SID",
        config_parameter="clinic_auth_sms.twilio_verify_service_sid",
    )
    clinic_auth_sms_idle_timeout_minutes = fields.Integer(
        string="Patient Session Idle Limit",
        default=30,
        config_parameter="clinic_auth_sms.idle_timeout_minutes",
        help="Minutes without activity after which a patient logged in by SMS code is "
        "logged out (0: never).",
    )
    clinic_auth_sms_ip_hourly_limit = fields.Integer(
        string="Login Codes per IP Address per Hour",
        default=10,
        config_parameter="clinic_auth_sms.ip_hourly_limit",
        help="At most this many login codes are asked for from one IP address within an "
        "hour (0: no limit). Raise it for a clinic whose patients share one connection.",
    )

    def set_values(self):
        if self.clinic_auth_sms_provider == "twilio_verify" and not (
            self.clinic_auth_sms_twilio_account_sid
            and self.clinic_auth_sms_twilio_auth_token
            and self.clinic_auth_sms_twilio_verify_service_sid
        ):
            raise ValidationError(
                self.env._(
                    "To send patient login codes with Twilio Verify, fill in the Twilio "
                    "Account SID, Auth Token and Verify Service SID."
                )
            )
        if (
            self.clinic_auth_sms_idle_timeout_minutes < 0
            or self.clinic_auth_sms_ip_hourly_limit < 0
        ):
            raise ValidationError(self.env._("The patient login limits cannot be negative."))
        return super().set_values()
