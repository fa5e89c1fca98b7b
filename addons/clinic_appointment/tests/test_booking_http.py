from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW, ClinicAppointmentHttpCommon, start_param, to_utc

CONTROLLER_LOGGER = "odoo.addons.clinic_appointment.controllers.clinic_appointment"


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestBookingHttp(ClinicAppointmentHttpCommon):
    """The public booking pages, as a patient's browser uses them. It is
    Monday 2 March 2026, 09:00 in Brussels."""

    def _slots(self, response):
        """``{time: (free, start param)}`` of a day view ("9:00 AM" in English)."""
        return {
            " ".join(slot.text_content().split()[:2]): (
                "o_clinic_appointment_slot_free" in slot.classes,
                slot.get("data-start"),
            )
            for slot in self._page(response).cssselect(".o_clinic_appointment_slot")
        }

    def _error(self, response):
        """The message of a day view sent back with an error."""
        errors = self._page(response).cssselect(".o_clinic_appointment_error")
        return errors[0].text_content().strip() if errors else None

    def _assert_nothing_booked(self, appointments_before, mails_before):
        self.assertEqual(self._appointments(), appointments_before)
        self.assertEqual(self._mail_count(), mails_before)

    def test_day_view(self):
        self._book("2026-03-04 10:00")
        response = self.url_open("/appointment/test-alpha?date=2026-03-04")
        self.assertEqual(response.status_code, 200)
        slots = self._slots(response)
        self.assertEqual(len(slots), 16)
        self.assertEqual(slots["9:00 AM"], (True, "2026-03-04T08:00Z"))
        self.assertEqual(slots["10:00 AM"], (False, "2026-03-04T09:00Z"))
        self.assertEqual(slots["4:30 PM"], (True, "2026-03-04T15:30Z"))
        page = self._page(response)
        link = page.cssselect("a.o_clinic_appointment_slot_free")[0]
        self.assertEqual(link.get("href"), "/appointment/test-alpha/book?start=2026-03-04T08:00Z")
        self.assertIn(
            "(taken)", page.cssselect(".o_clinic_appointment_slot_taken")[0].text_content()
        )
        self.assertIn("Europe/Brussels", self._text(response))
        # Today by default: the times inside the 2 hours' notice cannot be chosen.
        slots = self._slots(self.url_open("/appointment/test-alpha"))
        self.assertEqual(
            [t for t, (free, _s) in slots.items() if not free],
            ["9:00 AM", "9:30 AM", "10:00 AM", "10:30 AM"],
        )
        # A weekend day says so.
        response = self.url_open("/appointment/test-alpha?date=2026-03-07")
        self.assertIn("There are no appointments on this day.", self._text(response))
        self.assertFalse(self._slots(response))

    def test_booking(self):
        mails_before = self._mail_count()
        form = self._get_form("2026-03-04 10:00")
        self.assertEqual(form["start"], "2026-03-04T09:00Z")
        self.assertTrue(form["csrf_token"])
        self.assertTrue(form["booking_key"])
        response = self._post_book(
            form=form, name="  Jane   Roe ", email="Jane@Example.com", comment="My back hurts."
        )
        self.assertEqual(response.status_code, 303)
        appointment = self._appointments()
        self.assertEqual(len(appointment), 1)
        self.assertRecordValues(
            appointment,
            [
                {
                    "patient_name": "Jane Roe",
                    "email": "jane@example.com",
                    "comment": "My back hurts.",
                    "pro_id": self.pro_a.id,
                    "start": to_utc("2026-03-04 10:00"),
                    "stop": to_utc("2026-03-04 10:30"),
                    "state": "confirmed",
                }
            ],
        )
        self.assertEqual(self._mail_count(), mails_before + 1)
        location = response.headers["Location"]
        self.assertTrue(
            location.endswith(f"/appointment/visit/{appointment.access_token}/confirmed")
        )
        page = self.url_open(location)
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        self.assertEqual(page.headers["Referrer-Policy"], "no-referrer")
        text = self._text(page)
        self.assertIn("Your appointment is confirmed", text)
        self.assertIn(
            "Wednesday, March 4, 2026, 10:00 AM\N{EN DASH}10:30 AM (Europe/Brussels)", text
        )
        self.assertIn("Dr. Alpha", text)
        join = self._page(page).cssselect(".o_clinic_appointment_join_link")[0]
        self.assertEqual(join.value, appointment._get_visit_url())
        # The slot is now taken on the day view.
        slots = self._slots(self.url_open("/appointment/test-alpha?date=2026-03-04"))
        self.assertFalse(slots["10:00 AM"][0])

    def test_bad_times_get_a_message_and_book_nothing(self):
        self._book("2026-03-04 11:00", name="First Patient")
        appointments_before, mails_before = self._appointments(), self._mail_count()
        form = self._get_form("2026-03-04 10:00")
        cases = [
            ("past", start_param("2026-02-27 10:00"), 409, "This time has already passed."),
            ("off the grid", start_param("2026-03-04 10:10"), 409, "not one of the appointment"),
            ("horizon", start_param("2026-04-02 10:00"), 409, "at most 30 days ahead."),
            ("notice", start_param("2026-03-02 10:30"), 409, "please book at least 2 hours"),
            ("weekend", start_param("2026-03-07 10:00"), 409, "no appointments on this day."),
            ("taken", start_param("2026-03-04 11:00"), 409, "This time was just taken."),
            ("malformed", "2026-03-04T09:00", 400, "Please choose a time in the list."),
            ("not a date", "2026-02-30T09:00Z", 400, "Please choose a time in the list."),
            ("empty", "", 400, "Please choose a time in the list."),
        ]
        for case, start, status, message in cases:
            with self.subTest(case=case):
                response = self._post_book(form={**form, "start": start})
                self.assertEqual(response.status_code, status)
                self.assertIn(message, self._error(response))
                self.assertTrue(self._page(response).cssselect(".o_clinic_appointment_day"))
                # The link of such a time says the same.
                response = self.url_open(f"/appointment/test-alpha/book?start={start}")
                self.assertEqual(response.status_code, status)
                self.assertIn(message, self._error(response))
        self._assert_nothing_booked(appointments_before, mails_before)
        # The form of the first case still books its own time.
        self.assertEqual(self._post_book(form=form).status_code, 303)

    def test_bad_details_get_a_message_and_book_nothing(self):
        mails_before = self._mail_count()
        form = self._get_form("2026-03-04 10:00")
        cases = [
            ({"name": ""}, "name", "Please enter your name."),
            ({"name": "   "}, "name", "Please enter your name."),
            ({"name": "x" * 101}, "name", "Your name is too long: 100 characters at most."),
            ({"email": ""}, "email", "Please enter your email address."),
            ({"email": "jane@"}, "email", "Please enter a valid email address"),
            ({"email": "jane.example.com"}, "email", "Please enter a valid email address"),
            ({"email": "jane@localhost"}, "email", "Please enter a valid email address"),
            ({"email": "a" * 250 + "@example.com"}, "email", "Please enter a valid email"),
            ({"comment": "x" * 2001}, "comment", "Your comment is too long: 2000 characters"),
        ]
        for values, field, message in cases:
            with self.subTest(field=field, value=next(iter(values.values()))[:20]):
                response = self._post_book(form=form, **values)
                self.assertEqual(response.status_code, 400)
                page = self._page(response)
                self.assertIn("Please correct the fields below.", self._text(response))
                feedback = page.cssselect(f"#o_clinic_appointment_{field} ~ .invalid-feedback")
                self.assertIn(message, feedback[0].text_content())
                self.assertIn(
                    "is-invalid", page.cssselect(f"#o_clinic_appointment_{field}")[0].classes
                )
                # What the patient typed is kept, the time too.
                new_form = page.cssselect("form.o_clinic_appointment_form")[0]
                self.assertEqual(new_form.fields["start"], "2026-03-04T09:00Z")
                self.assertEqual(new_form.fields[field], values[field])
        self.assertFalse(self._appointments())
        self.assertEqual(self._mail_count(), mails_before)
        # 100 characters and 2000 characters are fine.
        response = self._post_book(form=form, name="x" * 99 + "y", comment="z" * 2000)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(self._appointments().patient_name), 100)

    def test_double_submission_books_once(self):
        mails_before = self._mail_count()
        form = self._get_form("2026-03-04 10:00")
        first = self._post_book(form=form)
        second = self._post_book(form=form)
        self.assertEqual(first.status_code, 303)
        self.assertEqual(second.status_code, 303)
        self.assertEqual(second.headers["Location"], first.headers["Location"])
        self.assertEqual(len(self._appointments()), 1)
        self.assertEqual(self._mail_count(), mails_before + 1)
        self.assertEqual(self.url_open(second.headers["Location"]).status_code, 200)
        # Another form for the same time is told it is taken.
        other_form = self._get_form("2026-03-04 10:30")
        third = self._post_book(form={**other_form, "start": start_param("2026-03-04 10:00")})
        self.assertEqual(third.status_code, 409)
        self.assertEqual(
            self._error(third), "This time was just taken. Please choose another time."
        )
        self.assertEqual(len(self._appointments()), 1)

    @mute_logger(CONTROLLER_LOGGER)
    def test_missing_or_forged_csrf_token_books_nothing(self):
        mails_before = self._mail_count()
        # A token of another browser's session.
        other_token = self._get_form("2026-03-04 10:00")["csrf_token"]
        self.opener.cookies.clear()
        form = self._get_form("2026-03-04 10:00")
        self.assertNotEqual(form["csrf_token"], other_token)
        forged = "0123456789abcdef0123456789abcdef01234567o9999999999"
        for case, data in [
            ("forged", {**form, "csrf_token": forged}),
            ("missing", {k: v for k, v in form.items() if k != "csrf_token"}),
            ("another session's", {**form, "csrf_token": other_token}),
        ]:
            with self.subTest(case=case):
                response = self._post_book(form=data, name="Jane Roe", email="jane@example.com")
                self.assertEqual(response.status_code, 400)
                text = self._text(response)
                self.assertIn(
                    "This form has expired. Please check your details and book again.", text
                )
                page = self._page(response)
                self.assertEqual(page.cssselect("#o_clinic_appointment_name")[0].value, "Jane Roe")
        self.assertFalse(self._appointments())
        self.assertEqual(self._mail_count(), mails_before)
        # The form sent back carries a valid token.
        new_form = self._page(response).cssselect("form.o_clinic_appointment_form")[0]
        retry = self._post_book(form=dict(new_form.fields))
        self.assertEqual(retry.status_code, 303)
        self.assertEqual(len(self._appointments()), 1)

    def test_unknown_or_archived_type_is_a_404(self):
        mails_before = self._mail_count()
        form = self._get_form("2026-03-04 10:00")
        self.type_alpha.active = False
        for slug in ("no-such-type", "test-alpha", "Test-Alpha", "test_alpha"):
            with self.subTest(slug=slug):
                self.assertEqual(self.url_open(f"/appointment/{slug}").status_code, 404)
                self.assertEqual(
                    self.url_open(f"/appointment/{slug}/book?start={form['start']}").status_code,
                    404,
                )
                self.assertEqual(self._post_book(slug, form=form).status_code, 404)
        self.assertFalse(self._appointments())
        self.assertEqual(self._mail_count(), mails_before)

    def test_forged_visit_and_cancel_tokens_are_a_404(self):
        appointment = self._book("2026-03-04 10:00")
        mails_before = self._mail_count()
        token = appointment.access_token
        csrf_token = self._csrf_token(self.url_open(f"/appointment/visit/{token}"))
        forged_tokens = [
            token[:-1] + ("A" if token[-1] != "A" else "B"),
            "x" * len(token),
            "0",
            "a" * 200,
        ]
        for forged in forged_tokens:
            base = f"/appointment/visit/{forged}"
            with self.subTest(token=forged[:10]):
                for url in (base, f"{base}/confirmed", f"{base}/cancel", f"{base}/appointment.ics"):
                    self.assertEqual(self.url_open(url).status_code, 404, url)
                for url in (f"{base}/cancel", f"{base}/leave"):
                    response = self.url_open(url, data={"csrf_token": csrf_token})
                    self.assertEqual(response.status_code, 404, url)
                status = self.url_open(f"{base}/status", json={"params": {}}).json()
                self.assertEqual(status["error"]["data"]["name"], "werkzeug.exceptions.NotFound")
        self.assertEqual(appointment.state, "confirmed")
        self.assertEqual(self._mail_count(), mails_before)
        # The real links work.
        self.assertEqual(self.url_open(f"/appointment/visit/{token}/cancel").status_code, 200)
        self.assertEqual(
            self.url_open(f"/appointment/visit/{token}/appointment.ics").status_code, 200
        )

    def test_patient_cancels_with_their_link(self):
        appointment = self._book("2026-03-04 10:00")
        mails_before = self._mail_count()
        cancel_url = f"/appointment/visit/{appointment.access_token}/cancel"
        page = self.url_open(cancel_url)
        self.assertIn("Cancel this appointment?", self._text(page))
        self.assertEqual(appointment.state, "confirmed", "opening the link cancels nothing")
        form = self._page(page).cssselect("form.o_clinic_appointment_cancel_form")[0]
        response = self.url_open(cancel_url, data=dict(form.fields))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your appointment is cancelled", self._text(response))
        self.assertEqual(appointment.state, "cancelled")
        self.assertEqual(appointment.cancel_reason, "Cancelled by the patient.")
        self.assertEqual(self._mail_count(), mails_before + 1)
        # Again: back to the visit page, which says it; no second email.
        again = self.url_open(cancel_url, data=dict(form.fields), allow_redirects=False)
        self.assertEqual(again.status_code, 303)
        self.assertEqual(self._mail_count(), mails_before + 1)
        # The time is free again.
        self.assertEqual(
            self._post_book(name="John Doe", email="john@example.com").status_code, 303
        )

    def test_html_in_the_details_is_shown_escaped(self):
        name = '<b id="injected">Bob</b>'
        form = self._get_form("2026-03-04 10:00")
        response = self._post_book(form=form, name=name, email="not-an-email")
        self.assertEqual(response.status_code, 400)
        self.assertNotIn(b'<b id="injected">', response.content)
        self.assertEqual(
            self._page(response).cssselect("#o_clinic_appointment_name")[0].value, name
        )
