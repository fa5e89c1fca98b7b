from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import NOW, ClinicAppointmentCommon, ClinicAppointmentHttpCommon, create_type, to_utc

# Query budgets, measured. They must not grow with the number of pros or of
# appointments: each is checked with 1 and with 200 appointments on the day,
# and the slots with 1 and with 20 pros.
# type._get_slots(day), as the day view calls it: the type, its calendar, the
# attendances (ids, then values) and leaves of the working hours, the pros
# (relation, then values), their appointments, their users and the busy
# events of their partners' calendars.
SLOTS_QUERIES = 10
# appointment._book: the form's key, the slot check (the 10 above), the pros'
# appointments and events around the slot again (to choose the pro), the
# pro's lock, the appointment insert and its creation message, its calendar
# event (attendee, partners, message), the .ics attachment, the rendering
# of the confirmation email (template, layout, partner, company),
# mail.message and mail.mail inserts, the bus notification.
BOOK_QUERIES = 44
# The whole POST /appointment/<slug>/book as the public user: the above plus
# the public user and its defaults (ir.default) and the type's look-up by slug.
BOOK_POST_QUERIES = 50

DAY = date(2026, 3, 4)


def fill_day(env, appointment_type, pros, count):
    """``count`` appointments of 2 minutes on Wednesday 4 March from 09:00,
    spread over ``pros`` in turn."""
    start = to_utc("2026-03-04 09:00")
    env["clinic.appointment"].create(
        [
            {
                "type_id": appointment_type.id,
                "pro_id": pros[n % len(pros)].id,
                "start": start + timedelta(minutes=2 * (n // len(pros))),
                "stop": start + timedelta(minutes=2 * (n // len(pros)) + 2),
                "patient_name": f"Patient {n}",
                "email": f"patient{n}@example.com",
            }
            for n in range(count)
        ]
    )


@freeze_time(NOW)
class TestSlotsPerformance(ClinicAppointmentCommon):
    """Budgets: ``_get_slots`` of a day 10 queries (1 or 20 pros, 1 or 200
    appointments), ``_book`` 44 queries (1 or 200 appointments)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = [
            new_test_user(
                cls.env, login=f"test_pro_perf_{n}", groups="base.group_portal", name=f"Dr. {n}"
            )
            for n in range(18)
        ]
        more_pros = cls.env["clinic.pro"].create(
            [{"name": user.name, "user_id": user.id} for user in users]
        )
        cls.type_twenty = create_type(
            cls.env, "test-twenty-pros", cls.pro_a | cls.pro_b | more_pros, cls.calendar
        )
        cls.public_user = cls.env.ref("base.public_user")

    def _assert_slots_budget(self, appointment_type, count):
        pros = appointment_type.pro_ids
        fill_day(self.env, appointment_type, pros, count)
        # As the public day view reads it.
        type_sudo = appointment_type.with_user(self.public_user).sudo()
        type_sudo._get_slots(DAY)  # warm the registry caches
        self.env.invalidate_all()
        with self.assertQueryCount(SLOTS_QUERIES):
            slots = type_sudo._get_slots(DAY)
        self.assertEqual(len(slots), 16)
        # A slot is taken while every pro is busy: up to the end of the
        # appointments of the pro who has the fewest.
        busy_until = to_utc("2026-03-04 09:00") + timedelta(minutes=2 * (count // len(pros)))
        self.assertEqual(
            [s["state"] for s in slots],
            ["taken" if s["start"] < busy_until else "free" for s in slots],
        )
        return slots

    def test_slots_budget_1_pro_1_appointment(self):
        self._assert_slots_budget(self.type_alpha, 1)

    def test_slots_budget_1_pro_200_appointments(self):
        slots = self._assert_slots_budget(self.type_alpha, 200)
        self.assertEqual(slots[13]["state"], "taken", "busy until 15:40")
        self.assertEqual(slots[14]["state"], "free")

    def test_slots_budget_20_pros_1_appointment(self):
        slots = self._assert_slots_budget(self.type_twenty, 1)
        self.assertEqual(len(slots[0]["pro_ids"]), 19)

    def test_slots_budget_20_pros_200_appointments(self):
        slots = self._assert_slots_budget(self.type_twenty, 200)
        self.assertEqual(slots[0]["state"], "taken", "10 appointments each, until 09:20")
        self.assertEqual(len(slots[1]["pro_ids"]), 20)

    def _assert_book_budget(self, count):
        fill_day(self.env, self.type_alpha, self.pro_a, count)
        # As the public booking page calls it.
        Appointment = self.env["clinic.appointment"].with_user(self.public_user)
        type_sudo = self.type_alpha.with_user(self.public_user).sudo()

        def book(local, booking_key):
            appointment, errors = Appointment._book(
                type_sudo,
                to_utc(local),
                name="New Patient",
                email="new@example.com",
                booking_key=booking_key,
            )
            self.assertFalse(errors)
            return appointment

        book("2026-03-05 10:00", "warm-up")  # warm the registry caches
        self.env.invalidate_all()
        with self.assertQueryCount(BOOK_QUERIES):
            appointment = book("2026-03-04 16:30", "measured")
        self.assertEqual(appointment.start, to_utc("2026-03-04 16:30"))
        self.assertTrue(appointment.calendar_event_id)

    def test_book_budget_1(self):
        self._assert_book_budget(1)

    def test_book_budget_200(self):
        self._assert_book_budget(200)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBookingHttpPerformance(ClinicAppointmentHttpCommon):
    """Budget: POST /appointment/<slug>/book 50 queries (1 or 200 appointments)."""

    def _assert_post_budget(self, count):
        fill_day(self.env, self.type_alpha, self.pro_a, count)
        # Warm the registry caches with a first booking.
        self.assertEqual(self._post_book(local="2026-03-05 10:00").status_code, 303)
        form = self._get_form("2026-03-04 16:30")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(BOOK_POST_QUERIES):
            response = self._post_book(form=form, name="New Patient", email="new@example.com")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(self._appointments()), count + 2)

    def test_book_post_budget_1(self):
        self._assert_post_budget(1)

    def test_book_post_budget_200(self):
        self._assert_post_budget(200)
