from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    clinic_call_ice_servers = fields.Text(
        string="Video call servers",
        compute="_compute_clinic_call_ice_servers",
        help="The STUN and TURN servers the browsers of a video visit are given.",
    )
    clinic_call_has_turn = fields.Boolean(compute="_compute_clinic_call_ice_servers")
    clinic_audit_retention_days = fields.Integer(
        string="Keep the audit trail (days)",
        config_parameter="clinic_meeting.audit_retention_days",
        default=6 * 366,
        help="Lines of the audit trail older than this are dropped (HIPAA: six years).",
    )

    @api.depends("use_twilio_rtc_servers", "twilio_account_sid", "twilio_account_token")
    def _compute_clinic_call_ice_servers(self):
        # sudo: mail.ice.server - settings show what Discuss hands out, credentials excepted
        servers = self.env["mail.ice.server"].sudo().search([], limit=5)  # as Discuss reads them
        for settings in self:
            twilio = (
                settings.use_twilio_rtc_servers
                and settings.twilio_account_sid
                and settings.twilio_account_token
            )
            lines = []
            if twilio:
                lines.append(
                    self.env._(
                        "Twilio's network traversal service: its STUN and TURN servers are "
                        "fetched from Twilio for each call (these servers below are used "
                        "only if Twilio cannot be reached)."
                    )
                )
            for server in servers:
                line = f"{server.server_type}:{server.uri}"
                if server.username or server.credential:
                    line += " " + self.env._("(with credentials)")
                lines.append(line)
            if not lines:
                lines.append(
                    self.env._(
                        "None. Browsers connect directly to each other and contact no "
                        "outside server, not even a public STUN server."
                    )
                )
            settings.clinic_call_ice_servers = "\n".join(lines)
            settings.clinic_call_has_turn = bool(twilio) or "turn" in servers.mapped("server_type")
