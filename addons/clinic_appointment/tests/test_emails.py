from unittest.mock import patch

from freezegun import freeze_time

from odoo.addons.base.models.ir_mail_server import IrMail_Server

from .common import NOW, ClinicAppointmentCommon, to_utc


class _Rollback(Exception):
    pass


def ics_lines(content):
    """The lines of an iCalendar file, unfolded (RFC 5545, 3.1)."""
    return content.decode().replace("\r\n ", "").split("\r\n")


@freeze_time(NOW)
class TestAppointmentEmails(ClinicAppointmentCommon):
    """Emails to the patient: queued in ``mail.mail``, sent after commit."""

    def _mails(self, appointment):
        return self.env["mail.mail"].search(
            [("model", "=", "clinic.appointment"), ("res_id", "=", appointment.id)], order="id"
        )

    def test_confirmation_email(self):
        appointment = self._book("2026-03-04 10:00", email="Jane.Roe@Example.com")
        mail = self._mails(appointment)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.email_to, "jane.roe@example.com")
        self.assertFalse(mail.recipient_ids, "the email goes to the patient only")
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(
            mail.subject, "Your appointment on Wednesday, March 4, 2026, 10:00 AM is confirmed"
        )
        visit_url = appointment._get_visit_url()
        self.assertTrue(visit_url.endswith(f"/appointment/visit/{appointment.access_token}"))
        self.assertEqual(len(appointment.access_token), 43)
        self.assertIn(f'href="{visit_url}"', mail.body_html)
        self.assertIn(f'href="{visit_url}/cancel"', mail.body_html)
        self.assertIn("Dr. Alpha", mail.body_html)

        attachment = mail.attachment_ids
        self.assertEqual(attachment.name, "appointment.ics")
        self.assertEqual(attachment.mimetype, "text/calendar")
        lines = ics_lines(attachment.raw)
        self.assertIn("METHOD:PUBLISH", lines)
        self.assertIn("DTSTART;TZID=Europe/Brussels:20260304T100000", lines)
        self.assertIn("DTEND;TZID=Europe/Brussels:20260304T103000", lines)
        self.assertIn("TZID:Europe/Brussels", lines, "with its VTIMEZONE")
        self.assertIn(f"URL:{visit_url}", lines)
        self.assertIn(f"LOCATION:{visit_url}", lines)
        self.assertIn("STATUS:CONFIRMED", lines)
        (uid,) = [line for line in lines if line.startswith("UID:")]
        # The same UID in every copy of the file (calendars update their event),
        # another one for another appointment.
        with freeze_time("2026-03-03 17:00:00"):
            again = ics_lines(appointment._get_ics())
        self.assertEqual([line for line in again if line.startswith("UID:")], [uid])
        self.assertNotEqual(again, lines, "a new DTSTAMP")
        other = self._book("2026-03-04 11:00", name="John Doe", email="john@example.com")
        self.assertNotIn(uid, ics_lines(other._get_ics()))

    def test_ics_in_new_york(self):
        self.calendar.tz = "America/New_York"
        appointment = self._book("2026-03-04 10:00")
        self.assertEqual(appointment.start, to_utc("2026-03-04 15:00", "UTC"))
        lines = ics_lines(self._mails(appointment).attachment_ids.raw)
        self.assertIn("DTSTART;TZID=America/New_York:20260304T100000", lines)

    def test_rolled_back_booking_queues_nothing(self):
        mails_before = self._mail_count()
        with patch.object(IrMail_Server, "send_email", autospec=True) as send_email:
            with self.assertRaises(_Rollback), self.env.cr.savepoint():
                appointment = self._book("2026-03-04 10:00")
                self.assertEqual(len(self._mails(appointment)), 1)
                raise _Rollback()
            self.env.invalidate_all()
            self.assertEqual(self._mail_count(), mails_before)
            self.assertFalse(self._appointments())
            # Nothing went out while the transaction was open.
            send_email.assert_not_called()
        # The time is free again.
        self.assertTrue(self._book("2026-03-04 10:00"))

    def test_reminder_once_within_24_hours(self):
        Appointment = self.env["clinic.appointment"]
        wednesday = self._book("2026-03-04 10:00")  # 09:00 UTC
        thursday = self._book("2026-03-05 10:00", name="John Doe", email="john@example.com")
        cancelled = self._book("2026-03-04 11:00", name="Ann Smith", email="ann@example.com")
        cancelled.action_cancel()
        self.assertFalse(wednesday.reminder_sent_at)
        with freeze_time("2026-03-03 08:59:00"):
            self.assertFalse(Appointment._cron_send_reminders(), "25 hours ahead: not yet")
        with freeze_time("2026-03-03 09:00:00"):
            # The scheduled action runs the same method.
            self.env.ref("clinic_appointment.ir_cron_send_reminders").ir_actions_server_id.run()
        reminders = self._mails(wednesday)[1:]
        self.assertEqual(len(reminders), 1)
        self.assertEqual(reminders.email_to, "jane@example.com")
        self.assertEqual(
            reminders.subject, "Reminder: your appointment on Wednesday, March 4, 2026, 10:00 AM"
        )
        self.assertIn(wednesday._get_visit_url(), reminders.body_html)
        self.assertEqual(wednesday.reminder_sent_at, to_utc("2026-03-03 09:00", "UTC"))
        self.assertEqual(len(self._mails(thursday)), 1, "only its confirmation")
        with freeze_time("2026-03-03 09:15:00"):
            self.assertFalse(Appointment._cron_send_reminders(), "once only")
        with freeze_time("2026-03-04 09:15:00"):
            self.assertEqual(Appointment._cron_send_reminders(), thursday)
        with freeze_time("2026-03-04 09:30:00"):
            self.assertFalse(Appointment._cron_send_reminders())
        self.assertEqual(len(self._mails(wednesday)), 2)
        self.assertEqual(len(self._mails(thursday)), 2)
        self.assertEqual(len(self._mails(cancelled)), 2, "confirmed, then cancelled")

    def test_booking_less_than_24_hours_ahead_gets_no_reminder(self):
        # Now is Monday 08:00 UTC (09:00 in Brussels).
        today = self._book("2026-03-02 15:00")
        tomorrow = self._book("2026-03-03 09:00", name="John Doe", email="john@example.com")
        later = self._book("2026-03-03 09:30", name="Ann Smith", email="ann@example.com")
        # The confirmation is reminder enough within 24 hours.
        self.assertEqual(today.reminder_sent_at, to_utc(NOW, "UTC"))
        self.assertEqual(tomorrow.reminder_sent_at, to_utc(NOW, "UTC"))
        self.assertFalse(later.reminder_sent_at, "24.5 hours ahead: it gets one")
        Appointment = self.env["clinic.appointment"]
        self.assertFalse(Appointment._cron_send_reminders())
        with freeze_time("2026-03-02 08:30:00"):
            self.assertEqual(Appointment._cron_send_reminders(), later)
        for moment in ("2026-03-02 13:00:00", "2026-03-03 07:59:00"):
            with freeze_time(moment):
                self.assertFalse(Appointment._cron_send_reminders())
        self.assertEqual(len(self._mails(today)), 1)
        self.assertEqual(len(self._mails(tomorrow)), 1)
        self.assertEqual(len(self._mails(later)), 2)

    def test_cancel_emails_the_reason_and_removes_the_calendar_event(self):
        appointment = self._book("2026-03-04 10:00", comment="Back pain")
        event = appointment.calendar_event_id
        self.assertRecordValues(
            event,
            [
                {
                    "start": appointment.start,
                    "stop": appointment.stop,
                    "user_id": self.user_pro_a.id,
                    "partner_ids": self.user_pro_a.partner_id.ids,
                    "show_as": "busy",
                    "privacy": "private",
                    "clinic_appointment_id": appointment.id,
                }
            ],
        )
        self.assertTrue(event.videocall_location.endswith("/my/clinic"))
        appointment.action_cancel(reason="Dr. Alpha is ill <today>.")
        self.assertEqual(appointment.state, "cancelled")
        self.assertEqual(appointment.cancelled_at, to_utc(NOW, "UTC"))
        self.assertFalse(event.exists())
        self.assertFalse(appointment.calendar_event_id)
        mail = self._mails(appointment)[-1]
        self.assertEqual(mail.email_to, "jane@example.com")
        self.assertEqual(
            mail.subject, "Your appointment on Wednesday, March 4, 2026, 10:00 AM is cancelled"
        )
        self.assertIn("Reason: Dr. Alpha is ill &lt;today&gt;.", mail.body_html)
        self.assertIn(f'href="{self.type_alpha.url}"', mail.body_html)
        self.assertFalse(mail.attachment_ids)
        # The calendar file now says it is cancelled; cancelling again sends nothing.
        self.assertIn("STATUS:CANCELLED", ics_lines(appointment._get_ics()))
        appointment.action_cancel(reason="Again")
        self.assertEqual(len(self._mails(appointment)), 2)
        self.assertEqual(appointment.cancel_reason, "Dr. Alpha is ill <today>.")
