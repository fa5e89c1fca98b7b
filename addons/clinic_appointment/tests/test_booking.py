import psycopg2.errors
from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import NOW, ClinicAppointmentCommon, to_utc


@freeze_time(NOW)
class TestBooking(ClinicAppointmentCommon):
    def test_book(self):
        appointment = self._book(
            "2026-03-04 10:00", name="  Jane \t Roe ", email=" Jane@Example.COM ", comment="  Hi  "
        )
        self.assertRecordValues(
            appointment,
            [
                {
                    "type_id": self.type_alpha.id,
                    "pro_id": self.pro_a.id,
                    "start": to_utc("2026-03-04 10:00"),
                    "stop": to_utc("2026-03-04 10:30"),
                    "state": "confirmed",
                    "patient_name": "Jane Roe",
                    "email": "jane@example.com",
                    "comment": "Hi",
                    "booked_at": to_utc(NOW, "UTC"),
                    "reminder_sent_at": False,
                    "tz": "Europe/Brussels",
                }
            ],
        )
        self.assertEqual(
            appointment.display_name, "Jane Roe - 03/04/2026 10:00:00 AM", "clinic time"
        )
        self.assertEqual(appointment.calendar_event_id.clinic_appointment_id, appointment)
        self.assertEqual(self.type_alpha.upcoming_count, 1)
        self.assertEqual(
            self.env["clinic.appointment"]._get_by_token(appointment.access_token), appointment
        )

    def test_bad_input_books_nothing(self):
        mails_before = self._mail_count()
        Appointment = self.env["clinic.appointment"]
        appointment, errors = Appointment._book(
            self.type_alpha,
            to_utc("2026-03-07 10:00"),
            name="123",
            email="nope",
            comment="x" * 2001,
        )
        self.assertFalse(appointment)
        self.assertEqual(
            errors,
            {
                "name": "Please enter your name with letters.",
                "email": "Please enter a valid email address, e.g. name@example.com.",
                "comment": "Your comment is too long: 2000 characters at most.",
                "slot": "There are no appointments on this day.",
            },
        )
        appointment, errors = Appointment._book(
            self.type_alpha, None, name="Jane Roe", email="jane@example.com"
        )
        self.assertEqual(errors, {"slot": "Please choose a time."})
        self.assertFalse(self._appointments())
        self.assertEqual(self._mail_count(), mails_before)

    def test_same_form_books_once(self):
        first = self._book("2026-03-04 10:00", booking_key="form-1")
        again = self._book("2026-03-04 10:00", booking_key="form-1", name="Jane Roe")
        self.assertEqual(again, first)
        # Even with other details or time: it is the same form, submitted twice.
        self.assertEqual(self._book("2026-03-04 11:00", booking_key="form-1"), first)
        self.assertEqual(len(self._appointments()), 1)
        self.assertEqual(first.booking_key, "form-1")

    def test_old_form_books_anew(self):
        first = self._book("2026-03-04 10:00", booking_key="form-2")
        with freeze_time("2026-03-02 09:01:00"):
            second = self._book("2026-03-04 11:00", booking_key="form-2")
        self.assertNotEqual(second, first, "a form older than an hour books anew")
        self.assertFalse(second.booking_key)
        # The key of another type's form does not find this type's booking.
        third = self._book("2026-03-04 12:00", self.type_both, booking_key="form-3")
        self.assertNotEqual(self._book("2026-03-04 13:00", booking_key="form-3"), third)

    def test_slug(self):
        Type = self.env["clinic.appointment.type"]
        for slug in ["Video", "video call", "video--call", "-video", "video-", "vidéo", "a" * 65]:
            with self.subTest(slug=slug), self.assertRaises(ValidationError):
                Type.create({"name": "Bad", "slug": slug, "resource_calendar_id": self.calendar.id})
        self.assertEqual(
            self.type_alpha.url, f"{self.type_alpha.get_base_url()}/appointment/test-alpha"
        )
        self.assertEqual(Type._get_by_slug("test-alpha"), self.type_alpha)
        self.assertFalse(Type._get_by_slug("<script>"))
        self.type_alpha.active = False
        self.assertFalse(Type._get_by_slug("test-alpha"))

    @mute_logger("odoo.sql_db")
    def test_type_constraints(self):
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.type_both.copy({"slug": "test-alpha"})
        for field, value in (
            ("duration", 4),
            ("duration", 481),
            ("min_notice_hours", -1),
            ("max_days_ahead", 366),
            ("buffer_minutes", 241),
        ):
            with (
                self.subTest(field=field, value=value),
                self.assertRaises(psycopg2.errors.CheckViolation),
                self.env.cr.savepoint(),
            ):
                self.type_alpha.write({field: value})
                self.env.flush_all()

    def test_forged_tokens_find_nothing(self):
        appointment = self._book("2026-03-04 10:00")
        Appointment = self.env["clinic.appointment"]
        token = appointment.access_token
        for forged in ("", None, 42, token[:-1], token + "x", token.upper(), "a" * 129):
            with self.subTest(token=forged):
                self.assertFalse(Appointment._get_by_token(forged))

    def test_visit_phases(self):
        appointment = self._book("2026-03-04 10:00")  # 09:00-09:30 UTC
        for moment, phase in (
            ("2026-03-04 08:49:59", "early"),
            ("2026-03-04 08:50:00", "open"),
            ("2026-03-04 09:30:00", "open"),
            ("2026-03-04 10:00:00", "open"),
            ("2026-03-04 10:00:01", "over"),
        ):
            with self.subTest(moment=moment), freeze_time(moment):
                self.assertEqual(appointment._get_visit_phase(), phase)
        # The grace period is a setting.
        self.env["ir.config_parameter"].set_param("clinic_appointment.grace_minutes", "60")
        with freeze_time("2026-03-04 10:20:00"):
            self.assertEqual(appointment._get_visit_phase(), "open")
        # A call the pro ended is ended; a cancelled appointment is cancelled.
        with freeze_time("2026-03-04 09:00:00"):
            appointment.with_user(self.user_pro_a).action_start_call()
            appointment.meeting_id._leave_pro(self.pro_a)
            self.assertEqual(appointment._get_visit_phase(), "ended")
            appointment.action_cancel()
            self.assertEqual(appointment._get_visit_phase(), "cancelled")
        self.assertEqual(appointment.meeting_id.state, "done")

    def test_cancel_ends_the_call(self):
        appointment = self._book("2026-03-04 10:00")
        with freeze_time("2026-03-04 08:55:00"):
            meeting, _guest = appointment._enter_as_patient()
            appointment.action_cancel(reason="Sorry")
        self.assertEqual(meeting.state, "cancelled")
        self.assertTrue(meeting.patient_participant_id.left_at)

    def test_unlink_removes_the_calendar_event(self):
        appointment = self._book("2026-03-04 10:00")
        event = appointment.calendar_event_id
        appointment.unlink()
        self.assertFalse(event.exists())
