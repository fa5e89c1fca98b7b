import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo import api
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL, mute_logger

from .common import NOW, ClinicAppointmentCommon, create_calendar, create_type, to_utc

TAKEN = "This time was just taken. Please choose another time."


@tagged("-at_install", "post_install")
class TestBookingRace(BaseCase):
    """Two patients book at the same instant.

    Each booking runs in its own transaction and thread, as two HTTP requests
    would, and goes through Odoo's ``retrying`` like a request does. Both
    transactions see the time free before either books.
    """

    ROUNDS = 5
    # The other races, a little less often (each round waits for a retry).
    SHORT_ROUNDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._cleanup)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cls.bus_id_before = env["bus.bus"].search([], order="id desc", limit=1).id
            users = env["res.users"].create(
                [
                    {
                        "name": f"Dr. Booked {x}",
                        "login": f"appointment_race_{x}",
                        "group_ids": [(6, 0, env.ref("base.group_portal").ids)],
                    }
                    for x in "ab"
                ]
            )
            pros = env["clinic.pro"].create(
                [{"name": user.name, "user_id": user.id} for user in users]
            )
            # Open around the clock in UTC, so that the rounds run at any hour.
            calendar = create_calendar(env, "UTC", days=range(7), hours=(0, 24))
            one_pro = create_type(env, "test-race-one-pro", pros[0], calendar)
            two_pros = create_type(env, "test-race-two-pros", pros, calendar)
            buffered = create_type(env, "test-race-buffer", pros[1], calendar, buffer_minutes=15)
            cls.user_ids, cls.pro_ids = users.ids, pros.ids
            cls.calendar_id, cls.one_pro_id, cls.two_pros_id = calendar.id, one_pro.id, two_pros.id
            cls.buffered_id = buffered.id
            cls.public_uid = env.ref("base.public_user").id

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            types = env["clinic.appointment.type"].browse(
                [cls.one_pro_id, cls.two_pros_id, cls.buffered_id]
            )
            appointments = env["clinic.appointment"].search([("type_id", "in", types.ids)])
            env["mail.mail"].search(
                [("model", "=", "clinic.appointment"), ("res_id", "in", appointments.ids)]
            ).unlink()
            appointments.unlink()  # with their events, messages and attachments
            types.unlink()
            env["resource.calendar"].browse(cls.calendar_id).unlink()
            partners = env["res.users"].browse(cls.user_ids).partner_id
            env["bus.bus"].search([("id", ">", cls.bus_id_before)]).filtered(
                lambda n: any(f'"res.partner",{p}]' in n.channel for p in partners.ids)
            ).unlink()
            env["clinic.pro"].browse(cls.pro_ids).unlink()
            env["res.users"].browse(cls.user_ids).unlink()
            partners.unlink()

    def _slot(self, hours):
        """A time of the grid ``hours`` after tomorrow 00:00 UTC."""
        tomorrow = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return tomorrow + timedelta(days=1, hours=hours)

    def _book(self, type_id, start, name, booking_key, barrier):
        with self.registry.cursor() as cr:
            # The public booking page's environment.
            env = api.Environment(cr, self.public_uid, {})
            appointment_type = env["clinic.appointment.type"].sudo().browse(type_id)
            _slot, error = appointment_type._check_slot(start)
            self.assertIsNone(error)
            barrier.wait(timeout=5)
            book = partial(
                env["clinic.appointment"]._book,
                appointment_type,
                start,
                name=name,
                email=f"{name.split()[0].lower()}@example.com",
                booking_key=booking_key,
            )
            appointment, errors = retrying(book, env)
            return appointment.id, errors.get("slot")

    def _race(self, type_id, starts, booking_keys=(None, None)):
        """Ann and Bob book ``starts`` (one each) at the same instant.

        :return: each one's ``(appointment id, error)``, the appointments of
            the type at those times ``{id: (pro id, email)}`` and the emails
            queued for them
        """
        barrier = threading.Barrier(2)
        with (
            ThreadPoolExecutor(max_workers=2) as executor,
            # logging.INFO: Odoo names another level "INFO".
            self.assertLogs("odoo.service.model", logging.INFO) as retries,
        ):
            futures = [
                executor.submit(self._book, type_id, start, name, booking_key, barrier)
                for start, name, booking_key in zip(
                    starts, ("Ann Patient", "Bob Patient"), booking_keys, strict=True
                )
            ]
            outcomes = [future.result(timeout=30) for future in futures]
        # The loser's transaction failed on the pro's lock and was retried.
        self.assertTrue(any("SERIALIZATION_FAILURE" in line for line in retries.output))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            appointments = env["clinic.appointment"].search(
                [("type_id", "=", type_id), ("start", "in", list(starts))]
            )
            mails = env["mail.mail"].search(
                [("model", "=", "clinic.appointment"), ("res_id", "in", appointments.ids)]
            )
            booked = {a.id: (a.pro_id.id, a.email) for a in appointments}
            return outcomes, booked, sorted(mails.mapped("email_to"))

    @mute_logger("odoo.sql_db")
    def test_one_pro_one_booking(self):
        for hours in range(10, 10 + self.ROUNDS):
            start = self._slot(hours)
            outcomes, booked, emails_to = self._race(self.one_pro_id, (start, start))
            self.assertEqual(len(booked), 1, "exactly one appointment")
            ((appointment_id, (pro_id, email)),) = booked.items()
            self.assertEqual(pro_id, self.pro_ids[0])
            self.assertCountEqual(outcomes, [(appointment_id, None), (False, TAKEN)])
            self.assertEqual(emails_to, [email], "no email from the rolled back attempt")

    @mute_logger("odoo.sql_db")
    def test_two_pros_two_bookings(self):
        for hours in range(20, 20 + self.ROUNDS):
            start = self._slot(hours)
            outcomes, booked, emails_to = self._race(self.two_pros_id, (start, start))
            self.assertEqual(len(booked), 2)
            self.assertCountEqual([pro_id for pro_id, _email in booked.values()], self.pro_ids)
            self.assertCountEqual(outcomes, [(appointment_id, None) for appointment_id in booked])
            self.assertEqual(emails_to, sorted(email for _pro, email in booked.values()))

    @mute_logger("odoo.sql_db")
    def test_buffer_holds_under_concurrency(self):
        """10:00 and 10:30 with a 15-minute buffer: one of them only. The
        exclusion constraint does not know buffers; the pro's lock does."""
        for hours in range(30, 30 + 2 * self.SHORT_ROUNDS, 2):
            starts = (self._slot(hours), self._slot(hours + 0.5))
            outcomes, booked, emails_to = self._race(self.buffered_id, starts)
            self.assertEqual(len(booked), 1, "exactly one appointment")
            ((appointment_id, (_pro_id, email)),) = booked.items()
            self.assertCountEqual(outcomes, [(appointment_id, None), (False, TAKEN)])
            self.assertEqual(emails_to, [email])

    @mute_logger("odoo.sql_db")
    def test_same_form_submitted_twice_at_once(self):
        for hours in range(15, 15 + self.SHORT_ROUNDS):
            start, key = self._slot(hours), f"race-form-{hours}"
            outcomes, booked, emails_to = self._race(self.one_pro_id, (start, start), (key, key))
            self.assertEqual(len(booked), 1, "exactly one appointment")
            ((appointment_id, (_pro_id, email)),) = booked.items()
            self.assertEqual(outcomes, [(appointment_id, None), (appointment_id, None)])
            self.assertEqual(emails_to, [email], "one confirmation")


@freeze_time(NOW)
class TestNoDoubleBooking(ClinicAppointmentCommon):
    """PostgreSQL refuses two appointments of one pro at the same time,
    whatever writes the rows."""

    def _insert(self, pro, local_start, local_stop, state="confirmed"):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """INSERT INTO clinic_appointment
                       (type_id, pro_id, start, stop, state, patient_name, email, access_token)
                   VALUES (%s, %s, %s, %s, %s, 'Raw Row', 'raw@example.com', md5(random()::text))
                   RETURNING id""",
                self.type_alpha.id,
                pro.id,
                to_utc(local_start),
                to_utc(local_stop),
                state,
            )
        )
        return self.env.cr.fetchone()[0]

    def test_exclusion_constraint_exists(self):
        self.env.cr.execute(
            """SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conname = 'clinic_appointment_no_double_booking'
                  AND conrelid = 'clinic_appointment'::regclass"""
        )
        ((contype, definition),) = self.env.cr.fetchall()
        self.assertEqual(contype, "x")
        self.assertIn("EXCLUDE USING gist", definition)
        self.assertIn("WHERE", definition)

    @mute_logger("odoo.sql_db")
    def test_overlapping_rows_are_refused(self):
        self._book("2026-03-04 10:00")  # Dr. Alpha, 10:00-10:30
        for start, stop in (
            ("2026-03-04 10:00", "2026-03-04 10:30"),
            ("2026-03-04 10:15", "2026-03-04 10:45"),
            ("2026-03-04 09:45", "2026-03-04 10:01"),
            ("2026-03-04 09:00", "2026-03-04 12:00"),
        ):
            with (
                self.subTest(start=start, stop=stop),
                self.assertRaises(psycopg2.errors.ExclusionViolation),
                self.env.cr.savepoint(),
            ):
                self._insert(self.pro_a, start, stop)
        with self.assertRaises(psycopg2.errors.ExclusionViolation), self.env.cr.savepoint():
            self._create_appointment(self.pro_a, "2026-03-04 10:15")
        # Accepted: back to back, another pro, cancelled.
        self._insert(self.pro_a, "2026-03-04 10:30", "2026-03-04 11:00")
        self._insert(self.pro_a, "2026-03-04 09:30", "2026-03-04 10:00")
        self._insert(self.pro_b, "2026-03-04 10:00", "2026-03-04 10:30")
        cancelled_id = self._insert(self.pro_a, "2026-03-04 10:00", "2026-03-04 10:30", "cancelled")
        # A cancelled appointment cannot come back over another one.
        with self.assertRaises(psycopg2.errors.ExclusionViolation), self.env.cr.savepoint():
            self.env.cr.execute(
                SQL("UPDATE clinic_appointment SET state = 'confirmed' WHERE id = %s", cancelled_id)
            )

    @mute_logger("odoo.sql_db")
    def test_book_answers_taken_when_the_database_refuses(self):
        """Should the slot check miss an appointment, the constraint still
        refuses it and the patient is told the time is taken."""
        taken = self._book("2026-03-04 10:00")
        mails_before = self._mail_count()
        Type = self.registry["clinic.appointment.type"]
        real_check_slot = Type._check_slot

        def check_slot_missing_the_appointment(appointment_type, start):
            slot, _error = real_check_slot(appointment_type, start + timedelta(minutes=30))
            return {**slot, "start": start, "stop": start + timedelta(minutes=30)}, None

        with patch.object(Type, "_check_slot", check_slot_missing_the_appointment):
            appointment, errors = self.env["clinic.appointment"]._book(
                self.type_alpha, taken.start, name="John Doe", email="john@example.com"
            )
        self.assertFalse(appointment)
        self.assertEqual(errors, {"slot": TAKEN})
        self.assertEqual(self._appointments(), taken)
        self.assertEqual(self._mail_count(), mails_before)
