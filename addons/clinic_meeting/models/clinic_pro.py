from odoo import api, fields, models


class ClinicPro(models.Model):
    """A professional who sees patients: doctor, therapist, vet.

    A pro is a user (a portal user is enough) with a public-facing profile.
    """

    _name = "clinic.pro"
    _description = "Clinic Professional"
    _inherit = ["image.mixin"]
    _order = "name, id"

    name = fields.Char(
        required=True,
        help="Name shown to patients and colleagues, e.g. 'Dr. Smith'.",
    )
    title = fields.Char(help="Speciality or role, e.g. 'General practitioner'.")
    user_id = fields.Many2one(
        "res.users",
        required=True,
        ondelete="restrict",
        index=True,
        help="The account the pro logs in with; a portal user is enough.",
    )
    partner_id = fields.Many2one(related="user_id.partner_id", string="Contact")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="The clinic this professional works for.",
    )

    _user_uniq = models.Constraint(
        "UNIQUE(user_id)",
        "A user can have only one professional profile.",
    )

    @api.model
    def _get_current(self):
        """Return the active pro profile of the current user (may be empty)."""
        return self.search([("user_id", "=", self.env.uid)], limit=1)

    def _get_current_participation(self):
        """The meeting participation this pro is in right now, if any."""
        self.ensure_one()
        return self.env["clinic.meeting.participant"].search(
            [
                ("pro_id", "=", self.id),
                ("left_at", "=", False),
                ("meeting_id.state", "=", "in_progress"),
            ],
            limit=1,
        )
