from odoo import fields, models


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    # A Many2one (read with the meeting) rather than the One2many inverse of
    # clinic.appointment.meeting_id: record rules go through it on every read.
    appointment_id = fields.Many2one(
        "clinic.appointment", ondelete="set null", index="btree_not_null", readonly=True
    )

    def _leave_patient(self):
        """A patient who leaves an appointment's call may come back with their
        link: the meeting goes on until a pro ends it or the appointment is
        cancelled."""
        booked = self.filtered("appointment_id")
        for meeting in booked:
            meeting._lock_for_update()
            meeting.participant_ids.filtered(
                lambda p: p.role == "patient" and not p.left_at
            ).left_at = fields.Datetime.now()
        booked._call_end_sessions()
        booked._notify_changed()
        return super(ClinicMeeting, self - booked)._leave_patient() if self - booked else True
