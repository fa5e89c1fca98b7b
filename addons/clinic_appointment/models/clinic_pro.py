from datetime import timedelta

import pytz

from odoo import fields, models
from odoo.tools import SQL


class ClinicPro(models.Model):
    _inherit = "clinic.pro"

    appointment_type_ids = fields.Many2many(
        "clinic.appointment.type",
        "clinic_appointment_type_pro_rel",
        "pro_id",
        "type_id",
        string="Appointment Types",
        help="Video appointments this professional takes.",
    )

    def _lock_for_booking(self):
        """Take the pro's row lock before booking them.

        An UPDATE, as ``clinic.meeting._lock_for_update``: of two concurrent
        bookings of this pro, the second waits, then fails with a
        serialization error that Odoo retries with fresh data (it then sees
        the first booking). The exclusion constraint on appointments stays
        the database's guarantee; this lock also keeps the buffers right.
        """
        self.ensure_one()
        self.env.cr.execute(
            SQL("UPDATE clinic_pro SET write_date = write_date WHERE id = %s", self.id)
        )

    def _get_appointment_tz(self):
        """The time zone of this pro's day: their appointment types' (the
        clinic's), else their own, else UTC."""
        self.ensure_one()
        # sudo: clinic.appointment.type - the working hours' time zone
        types_sudo = self.sudo().appointment_type_ids
        return types_sudo[:1].tz or self.user_id.tz or "UTC"

    def _get_appointments_day(self, day=None):
        """The pro's appointments of one day, read with the pro's own rights.

        :param day: a ``date`` in the clinic's time zone (today by default)
        :return: what the dashboard's *Appointments* part shows
        """
        self.ensure_one()
        tz_name = self._get_appointment_tz()
        tz = pytz.timezone(tz_name)
        now = fields.Datetime.now()
        today = pytz.utc.localize(now).astimezone(tz).date()
        day = day or today
        start = (
            tz.localize(fields.Datetime.to_datetime(day)).astimezone(pytz.utc).replace(tzinfo=None)
        )
        stop = (
            tz.localize(fields.Datetime.to_datetime(day + timedelta(days=1)))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
        )
        appointments = self.env["clinic.appointment"].search(
            [
                ("pro_id", "=", self.id),
                ("state", "=", "confirmed"),
                ("start", ">=", start),
                ("start", "<", stop),
            ],
            order="start, id",
        )
        appointments.type_id.mapped("name")
        appointments.meeting_id.mapped("state")
        return {
            "day": fields.Date.to_string(day),
            "today": fields.Date.to_string(today),
            "tz": tz_name,
            "appointments": [
                {
                    "id": appointment.id,
                    "start": fields.Datetime.to_string(appointment.start),
                    "stop": fields.Datetime.to_string(appointment.stop),
                    "time": appointment._format_local(appointment.start, "HH:mm"),
                    "end_time": appointment._format_local(appointment.stop, "HH:mm"),
                    "type": appointment.type_id.name,
                    "name": appointment.patient_name,
                    "email": appointment.email,
                    "comment": appointment.comment or "",
                    "start_call_from": fields.Datetime.to_string(appointment._get_pro_opens_at()),
                    "call_until": fields.Datetime.to_string(appointment._get_links_end()),
                    "meeting_state": appointment.meeting_id.state or False,
                }
                for appointment in appointments
            ],
        }
