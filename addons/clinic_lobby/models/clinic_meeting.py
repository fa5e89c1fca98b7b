from odoo import fields, models


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    lobby_id = fields.Many2one(
        "clinic.lobby", ondelete="restrict", index="btree_not_null", readonly=True
    )
    check_in_key = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        help="Key of the check-in form that created this meeting: a second "
        "submission of the same form finds this meeting instead of creating another.",
    )

    personal_data_erased_at = fields.Datetime(
        readonly=True,
        copy=False,
        help="When the walk-in's name, date of birth and guest were erased "
        "(after the retention period set in the settings); times stay for the statistics.",
    )

    _check_in_key_uniq = models.Constraint(
        "UNIQUE(check_in_key)", "This check-in form was already submitted."
    )

    def _notify_changed(self):
        """Also tell the pros of the meeting's lobby: their queue changed."""
        result = super()._notify_changed()
        for meeting in self.filtered("lobby_id"):
            meeting.lobby_id._bus_send(
                "clinic.meeting/changed", {"meeting_id": meeting.id, "state": meeting.state}
            )
        return result
