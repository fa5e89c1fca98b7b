from odoo import fields, models


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    visit_id = fields.Many2one(
        "clinic.visit", ondelete="cascade", index="btree_not_null", readonly=True
    )

    def _leave_patient(self):
        """A visit's patient who leaves its call may come back with their link:
        the call goes on until the pro ends it or the visit is destroyed."""
        visits = self.filtered("visit_id")
        for meeting in visits:
            meeting._lock_for_update()
            meeting.participant_ids.filtered(
                lambda p: p.role == "patient" and not p.left_at
            ).left_at = fields.Datetime.now()
        visits._call_end_sessions()
        visits._notify_changed()
        others = self - visits
        return super(ClinicMeeting, others)._leave_patient() if others else True
