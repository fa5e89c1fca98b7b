from odoo import fields, models


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    appointment_ids = fields.One2many(
        "clinic.appointment", "meeting_id", string="Appointments", readonly=True
    )

    def _leave_patient(self):
        """A patient who leaves an appointment's call may come back with their
        link: the meeting goes on until a pro ends it or the appointment is
        cancelled."""
        booked = self.filtered("appointment_ids")
        for meeting in booked:
            meeting._lock_for_update()
            meeting.participant_ids.filtered(
                lambda p: p.role == "patient" and not p.left_at
            ).left_at = fields.Datetime.now()
        booked._call_end_sessions()
        booked._notify_changed()
        return super(ClinicMeeting, self - booked)._leave_patient() if self - booked else True
