from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command

from .common import NOW, ClinicAppointmentCommon, create_calendar, create_type, to_utc

DAY = date(2026, 3, 4)  # a Wednesday in CET (UTC+1)
WORKING_DAY = [f"{hour:02d}:{minute:02d}" for hour in range(9, 17) for minute in (0, 30)]


def utc(value):
    return datetime.fromisoformat(value)


class SlotsCommon(ClinicAppointmentCommon):
    def _labels(self, slots, state=None):
        """The local start times (HH:MM) of ``slots``, of one ``state`` if given."""
        return [s["local"].strftime("%H:%M") for s in slots if state is None or s["state"] == state]

    def _assert_day(self, appointment_type, day, first_utc):
        """``day`` has the 16 slots 09:00 ... 16:30 local, 30 real minutes each,
        the first at ``first_utc``."""
        slots = appointment_type._get_slots(day)
        self.assertEqual(self._labels(slots), WORKING_DAY)
        step = timedelta(minutes=30)
        self.assertEqual(
            [(s["start"], s["stop"]) for s in slots],
            [(first_utc + n * step, first_utc + (n + 1) * step) for n in range(16)],
        )
        self.assertEqual({s["local"].date() for s in slots}, {day})
        self.assertEqual({s["state"] for s in slots}, {"free"})
        return slots


class TestSlotsTimeZones(SlotsCommon):
    """Slots are laid in the clinic's time zone and last real minutes."""

    @freeze_time("2026-03-01 12:00:00")
    def test_brussels_spring_forward(self):
        # Every day of the week, 09:00-17:00: 29 March 2026 is a Sunday.
        calendar = create_calendar(self.env, "Europe/Brussels", days=range(7))
        appointment_type = create_type(self.env, "test-dst-brussels", self.pro_a, calendar)
        # 09:00 is 08:00 UTC in winter (UTC+1), 07:00 UTC in summer (UTC+2).
        before = self._assert_day(appointment_type, date(2026, 3, 28), utc("2026-03-28 08:00"))
        after = self._assert_day(appointment_type, date(2026, 3, 29), utc("2026-03-29 07:00"))
        self.assertEqual(before[0]["local"].utcoffset(), timedelta(hours=1))
        self.assertEqual(after[0]["local"].utcoffset(), timedelta(hours=2))

    @freeze_time("2026-10-01 12:00:00")
    def test_brussels_fall_back(self):
        calendar = create_calendar(self.env, "Europe/Brussels", days=range(7))
        appointment_type = create_type(self.env, "test-dst-brussels", self.pro_a, calendar)
        self._assert_day(appointment_type, date(2026, 10, 24), utc("2026-10-24 07:00"))
        self._assert_day(appointment_type, date(2026, 10, 25), utc("2026-10-25 08:00"))

    @freeze_time("2026-03-01 12:00:00")
    def test_new_york_spring_forward(self):
        calendar = create_calendar(self.env, "America/New_York", days=range(7))
        appointment_type = create_type(self.env, "test-dst-new-york", self.pro_a, calendar)
        # 09:00 is 14:00 UTC in EST (UTC-5), 13:00 UTC in EDT (UTC-4).
        self._assert_day(appointment_type, date(2026, 3, 7), utc("2026-03-07 14:00"))
        self._assert_day(appointment_type, date(2026, 3, 8), utc("2026-03-08 13:00"))
        # The day view and _check_slot agree on the local date of a slot.
        self.assertIsNone(appointment_type._check_slot(utc("2026-03-08 13:00"))[1])

    @freeze_time("2026-10-20 12:00:00")
    def test_new_york_fall_back(self):
        calendar = create_calendar(self.env, "America/New_York", days=range(7))
        appointment_type = create_type(self.env, "test-dst-new-york", self.pro_a, calendar)
        self._assert_day(appointment_type, date(2026, 10, 31), utc("2026-10-31 13:00"))
        self._assert_day(appointment_type, date(2026, 11, 1), utc("2026-11-01 14:00"))

    def _assert_contiguous(self, slots, first_utc, count):
        step = timedelta(minutes=30)
        self.assertEqual(len(slots), count)
        self.assertEqual(
            [(s["start"], s["stop"]) for s in slots],
            [(first_utc + n * step, first_utc + (n + 1) * step) for n in range(count)],
        )

    @freeze_time("2026-03-01 12:00:00")
    def test_24_hours_spring_forward(self):
        calendar = create_calendar(self.env, "Europe/Brussels", days=range(7), hours=(0, 24))
        appointment_type = create_type(self.env, "test-24-hours", self.pro_a, calendar)
        all_day = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
        # An ordinary day: 48 slots from midnight to midnight.
        slots = appointment_type._get_slots(date(2026, 3, 28))
        self.assertEqual(self._labels(slots), all_day)
        self._assert_contiguous(slots, utc("2026-03-27 23:00"), 48)
        # 02:00 becomes 03:00: the night is one hour shorter, 46 slots.
        slots = appointment_type._get_slots(date(2026, 3, 29))
        self.assertEqual(
            self._labels(slots), [label for label in all_day if label not in ("02:00", "02:30")]
        )
        self._assert_contiguous(slots, utc("2026-03-28 23:00"), 46)
        self.assertEqual(slots[-1]["stop"], to_utc("2026-03-30 00:00"))

    @freeze_time("2026-10-01 12:00:00")
    def test_24_hours_fall_back(self):
        calendar = create_calendar(self.env, "Europe/Brussels", days=range(7), hours=(0, 24))
        appointment_type = create_type(self.env, "test-24-hours", self.pro_a, calendar)
        all_day = [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)]
        # 03:00 becomes 02:00 again: the night is one hour longer, 50 slots.
        slots = appointment_type._get_slots(date(2026, 10, 25))
        self.assertEqual(self._labels(slots), [*all_day[:6], "02:00", "02:30", *all_day[6:]])
        self._assert_contiguous(slots, utc("2026-10-24 22:00"), 50)
        self.assertEqual(slots[-1]["stop"], to_utc("2026-10-26 00:00"))
        # The two 02:00 are an hour apart, in summer then winter time.
        first, second = (s for s in slots if s["local"].strftime("%H:%M") == "02:00")
        self.assertEqual(second["start"] - first["start"], timedelta(hours=1))
        self.assertEqual(first["local"].utcoffset(), timedelta(hours=2))
        self.assertEqual(second["local"].utcoffset(), timedelta(hours=1))

    @freeze_time("2026-03-01 12:00:00")
    def test_duration_that_does_not_divide_the_day(self):
        self.type_alpha.duration = 45
        slots = self.type_alpha._get_slots(DAY)
        # 8 hours hold ten 45-minute slots; the last 30 minutes are no slot.
        self.assertEqual(len(slots), 10)
        self.assertEqual(self._labels(slots)[-1], "15:45")
        self.assertEqual(slots[-1]["stop"], to_utc("2026-03-04 16:30"))


@freeze_time(NOW)
class TestSlotsAvailability(SlotsCommon):
    def test_day_without_working_hours(self):
        saturday = date(2026, 3, 7)
        self.assertEqual(self.type_alpha._get_slots(saturday), [])
        slot, error = self.type_alpha._check_slot(to_utc("2026-03-07 10:00"))
        self.assertIsNone(slot)
        self.assertEqual(error, "There are no appointments on this day.")

    def test_public_holiday_has_no_slots(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Clinic closed",
                "calendar_id": self.calendar.id,
                "date_from": to_utc("2026-03-04 00:00"),
                "date_to": to_utc("2026-03-04 23:59"),
            }
        )
        self.assertEqual(self.type_alpha._get_slots(DAY), [])
        self.assertEqual(
            self.type_alpha._check_slot(to_utc("2026-03-04 10:00"))[1],
            "There are no appointments on this day.",
        )

    def test_time_off_the_grid(self):
        for local in ("2026-03-04 09:10", "2026-03-04 08:30", "2026-03-04 17:00"):
            with self.subTest(local=local):
                slot, error = self.type_alpha._check_slot(to_utc(local))
                self.assertIsNone(slot)
                self.assertEqual(
                    error,
                    "This time is not one of the appointment times. "
                    "Please choose a time in the list.",
                )
        slot, error = self.type_alpha._check_slot(to_utc("2026-03-04 16:30"))
        self.assertIsNone(error)
        self.assertEqual(slot["pro_ids"], self.pro_a.ids)

    def test_minimum_notice(self):
        # Now is 09:00 in Brussels; with 2 hours' notice the first time is 11:00.
        slots = self.type_alpha._get_slots(date(2026, 3, 2))
        self.assertEqual(self._labels(slots, "closed"), WORKING_DAY[:4])
        self.assertEqual(self._labels(slots, "free"), WORKING_DAY[4:])
        self.assertEqual(
            self.type_alpha._check_slot(to_utc("2026-03-02 10:30"))[1],
            "This time is too soon: please book at least 2 hours ahead.",
        )
        self.assertIsNone(self.type_alpha._check_slot(to_utc("2026-03-02 11:00"))[1])
        self.assertEqual(
            self.type_alpha._check_slot(to_utc("2026-03-02 09:00"))[1],
            "This time is too soon: please book at least 2 hours ahead.",
        )
        self.assertEqual(
            self.type_alpha._check_slot(to_utc("2026-02-27 16:30"))[1],
            "This time has already passed. Please choose another time.",
        )
        self.type_alpha.min_notice_hours = 0.5
        self.assertEqual(
            self._labels(self.type_alpha._get_slots(date(2026, 3, 2)), "free"), WORKING_DAY[1:]
        )

    def test_horizon(self):
        # 30 days after Monday 2 March is Wednesday 1 April.
        self.assertEqual(self.type_alpha._get_bookable_days(), (date(2026, 3, 2), date(2026, 4, 1)))
        self.assertEqual(
            set(self._labels(self.type_alpha._get_slots(date(2026, 4, 1)), "free")),
            set(WORKING_DAY),
        )
        last = self.type_alpha._get_slots(date(2026, 4, 2))
        self.assertEqual(len(last), 16)
        self.assertEqual({s["state"] for s in last}, {"closed"})
        slot, error = self.type_alpha._check_slot(to_utc("2026-04-02 09:00"))
        self.assertIsNone(slot)
        self.assertEqual(error, "Appointments can be booked at most 30 days ahead.")
        self.assertIsNone(self.type_alpha._check_slot(to_utc("2026-04-01 16:30"))[1])
        # Days are the clinic's: at 23:30 UTC it is already Tuesday in Brussels.
        with freeze_time("2026-03-02 23:30:00"):
            self.assertEqual(
                self.type_alpha._get_bookable_days(), (date(2026, 3, 3), date(2026, 4, 2))
            )
            self.assertIsNone(self.type_alpha._check_slot(to_utc("2026-04-02 09:00"))[1])

    def test_buffer_around_appointments(self):
        self._create_appointment(self.pro_a, "2026-03-04 10:00")
        taken = self._labels(self.type_alpha._get_slots(DAY), "taken")
        self.assertEqual(taken, ["10:00"], "without a buffer, only the appointment's time")
        self.type_alpha.buffer_minutes = 15
        taken = self._labels(self.type_alpha._get_slots(DAY), "taken")
        self.assertEqual(taken, ["09:30", "10:00", "10:30"])
        self.assertEqual(
            self.type_alpha._check_slot(to_utc("2026-03-04 10:30"))[1],
            "This time was just taken. Please choose another time.",
        )
        # A buffer of a whole slot reaches one slot further on each side.
        self.type_alpha.buffer_minutes = 31
        taken = self._labels(self.type_alpha._get_slots(DAY), "taken")
        self.assertEqual(taken, ["09:00", "09:30", "10:00", "10:30", "11:00"])

    def test_buffer_reaches_the_previous_day(self):
        # A 24-hour clinic: an appointment at 23:45 keeps the pro busy after midnight.
        calendar = create_calendar(self.env, "Europe/Brussels", days=range(7), hours=(0, 24))
        appointment_type = create_type(
            self.env, "test-night", self.pro_a, calendar, buffer_minutes=20
        )
        self._create_appointment(self.pro_a, "2026-03-04 23:30", minutes=20)
        slots = appointment_type._get_slots(date(2026, 3, 5))
        self.assertEqual(self._labels(slots, "taken"), ["00:00"])

    def test_appointments_of_other_types_make_the_pro_busy(self):
        # Dr. Alpha is booked through Alpha & Beta's type.
        self._create_appointment(self.pro_a, "2026-03-04 14:00", appointment_type=self.type_both)
        self.assertEqual(self._labels(self.type_alpha._get_slots(DAY), "taken"), ["14:00"])

    def test_several_pros(self):
        # A slot stays free while one pro is free then.
        self._create_appointment(self.pro_a, "2026-03-04 10:00", appointment_type=self.type_both)
        slots = {s["local"].strftime("%H:%M"): s for s in self.type_both._get_slots(DAY)}
        self.assertEqual(slots["10:00"]["state"], "free")
        self.assertEqual(slots["10:00"]["pro_ids"], self.pro_b.ids)
        self.assertEqual(slots["10:30"]["pro_ids"], (self.pro_a | self.pro_b).ids)
        # The next booking then goes to the free pro.
        appointment = self._book("2026-03-04 10:00", self.type_both)
        self.assertEqual(appointment.pro_id, self.pro_b)
        slots = {s["local"].strftime("%H:%M"): s for s in self.type_both._get_slots(DAY)}
        self.assertEqual(slots["10:00"]["state"], "taken")
        self.assertEqual(slots["10:00"]["pro_ids"], [])
        self.assertEqual(self._labels(self.type_both._get_slots(DAY), "taken"), ["10:00"])

    def test_booking_goes_to_the_pro_with_fewest_appointments_that_day(self):
        self._create_appointment(self.pro_a, "2026-03-04 09:00", appointment_type=self.type_both)
        self._create_appointment(self.pro_a, "2026-03-04 09:30", appointment_type=self.type_both)
        self._create_appointment(self.pro_b, "2026-03-04 09:00", appointment_type=self.type_both)
        # Another day does not count.
        self._create_appointment(self.pro_b, "2026-03-05 09:00", appointment_type=self.type_both)
        self._create_appointment(self.pro_b, "2026-03-05 09:30", appointment_type=self.type_both)
        self.assertEqual(self._book("2026-03-04 15:00", self.type_both).pro_id, self.pro_b)
        # Two each now: the tie goes to the first pro.
        self.assertEqual(self._book("2026-03-04 15:30", self.type_both).pro_id, self.pro_a)

    def test_busy_calendar_event_blocks_the_pro(self):
        partner_a = self.user_pro_a.partner_id
        self.env["calendar.event"].create(
            [
                {
                    "name": "Staff meeting",
                    "start": to_utc("2026-03-04 14:00"),
                    "stop": to_utc("2026-03-04 15:00"),
                    "partner_ids": [Command.set(partner_a.ids)],
                    "show_as": "busy",
                },
                {
                    "name": "Maybe lunch",
                    "start": to_utc("2026-03-04 12:00"),
                    "stop": to_utc("2026-03-04 13:00"),
                    "partner_ids": [Command.set(partner_a.ids)],
                    "show_as": "free",
                },
                {
                    "name": "Dr. Beta's meeting",
                    "start": to_utc("2026-03-04 09:00"),
                    "stop": to_utc("2026-03-04 10:00"),
                    "partner_ids": [Command.set(self.user_pro_b.partner_id.ids)],
                    "show_as": "busy",
                },
            ]
        )
        self.assertEqual(self._labels(self.type_alpha._get_slots(DAY), "taken"), ["14:00", "14:30"])
        slots = {s["local"].strftime("%H:%M"): s for s in self.type_both._get_slots(DAY)}
        self.assertEqual(slots["14:00"]["pro_ids"], self.pro_b.ids)
        self.assertEqual(slots["09:00"]["pro_ids"], self.pro_a.ids)

    def test_all_day_busy_event_blocks_the_whole_day(self):
        # Odoo stores an all-day event from 08:00 to 18:00 UTC; the pro is
        # away the whole day wherever the clinic is.
        self.env["calendar.event"].create(
            {
                "name": "Day off",
                "allday": True,
                "start": "2026-03-04 08:00:00",
                "stop": "2026-03-05 18:00:00",
                "partner_ids": [Command.set(self.user_pro_a.partner_id.ids)],
                "show_as": "busy",
            }
        )
        for slug, tz in (
            ("test-day-off-brussels", "Europe/Brussels"),
            ("test-day-off-new-york", "America/New_York"),
            ("test-day-off-tokyo", "Asia/Tokyo"),
        ):
            with self.subTest(tz=tz):
                calendar = create_calendar(self.env, tz)
                appointment_type = create_type(self.env, slug, self.pro_a, calendar)
                for day in (date(2026, 3, 4), date(2026, 3, 5)):
                    slots = appointment_type._get_slots(day)
                    self.assertEqual({s["state"] for s in slots}, {"taken"}, day)
                slots = appointment_type._get_slots(date(2026, 3, 6))
                self.assertEqual({s["state"] for s in slots}, {"free"})

    def test_appointment_events_are_not_counted_twice(self):
        appointment = self._book("2026-03-04 10:00")
        self.assertTrue(appointment.calendar_event_id)
        busy, per_day = self.type_alpha._get_busy(
            to_utc("2026-03-04 00:00"), to_utc("2026-03-05 00:00")
        )
        self.assertEqual(busy[self.pro_a.id], [(appointment.start, appointment.stop)])
        self.assertEqual(per_day, {(self.pro_a.id, DAY): 1})

    def test_cancelled_appointment_frees_the_slot(self):
        appointment = self._book("2026-03-04 10:00")
        self.assertEqual(self._labels(self.type_alpha._get_slots(DAY), "taken"), ["10:00"])
        appointment.action_cancel()
        self.assertEqual(self._labels(self.type_alpha._get_slots(DAY), "taken"), [])
        again = self._book("2026-03-04 10:00", name="John Doe")
        self.assertEqual(again.pro_id, self.pro_a)
        self.assertEqual(appointment.state, "cancelled")
