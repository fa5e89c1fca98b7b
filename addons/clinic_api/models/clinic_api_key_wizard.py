from odoo import api, fields, models
from odoo.exceptions import UserError


class ClinicApiKeyWizard(models.TransientModel):
    """A clinic manager makes a partner API key for an integration user."""

    _name = "clinic.api.key.wizard"
    _description = "New Partner API Key"

    user_id = fields.Many2one(
        "res.users",
        string="Integration User",
        required=True,
        domain=[("share", "=", False)],
        help="The key acts as this user: it reaches what this user may reach, in "
        "their companies. Give the user the Clinic rights the partner needs.",
    )
    name = fields.Char(string="Description", required=True, help="e.g. 'Practice system'.")
    expiration_date = fields.Date(
        default=lambda self: fields.Date.add(fields.Date.today(), days=365),
        help="Leave empty for a key that does not expire.",
    )

    @api.constrains("expiration_date")
    def _check_expiration_date(self):
        for wizard in self:
            if wizard.expiration_date and wizard.expiration_date <= fields.Date.today():
                raise UserError(self.env._("The expiration date must be in the future."))

    def action_generate(self):
        self.ensure_one()
        if not self.user_id.has_group("clinic_meeting.group_clinic_user"):
            raise UserError(
                self.env._(
                    "%(user)s is not in the clinic's staff: give them the Clinic rights first.",
                    user=self.user_id.name,
                )
            )
        key = self.env["res.users.apikeys"]._clinic_api_generate(
            self.user_id, self.name, self.expiration_date
        )
        # Shown once by Odoo's own dialog, never stored in clear.
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.users.apikeys.show",
            "name": self.env._("Your new API key"),
            "views": [(self.env.ref("clinic_api.clinic_api_key_show_view_form").id, "form")],
            "target": "new",
            "context": {"default_key": key},
        }
