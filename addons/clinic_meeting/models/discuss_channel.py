from odoo import fields, models


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    clinic_meeting_id = fields.Many2one(
        "clinic.meeting",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The meeting whose video call this private channel carries: only "
        "the meeting's participants can be its members.",
    )

    _clinic_meeting_uniq = models.Constraint(
        "UNIQUE(clinic_meeting_id)", "A meeting has only one video call channel."
    )

    def _should_invite_members_to_join_call(self):
        """A visit's call never rings anyone: pros join from their dashboard."""
        if self.clinic_meeting_id:
            return False
        return super()._should_invite_members_to_join_call()
