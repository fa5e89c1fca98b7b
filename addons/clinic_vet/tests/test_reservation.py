import base64
from urllib.parse import parse_qs, urlsplit

import psycopg2.errors
from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import (
    NOW,
    WEBP,
    ClinicVetCommon,
    ClinicVetHttpCommon,
    image_bytes,
    reserve,
    start_classifier,
    start_param,
    to_utc,
)

TEN_MB = 10 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestVetPage(ClinicVetHttpCommon):
    """A vet's page and its week's timetable. It is Monday 2 March 2026,
    09:00 in Seoul; vets take reservations 1 hour ahead, 14 days ahead."""

    def _timetable(self, response):
        """``{date: {time: (free, start param, href)}}`` of a vet's page ("9:00 AM")."""
        return {
            day.get("data-date"): {
                " ".join(slot.text_content().split()[:2]): (
                    "o_clinic_vet_slot_free" in slot.classes,
                    slot.get("data-start"),
                    slot.get("href"),
                )
                for slot in day.cssselect(".o_clinic_vet_slot")
            }
            for day in self._page(response).cssselect(".o_clinic_vet_day")
        }

    def _week_links(self, response):
        page = self._page(response)
        return tuple(
            links[0].get("href") if links else None
            for links in (
                page.cssselect("a.o_clinic_vet_previous_week"),
                page.cssselect("a.o_clinic_vet_next_week"),
            )
        )

    def test_timetable_of_the_week(self):
        reserve(self.env, self.user_bob, self.vet_kim, "2026-03-04 10:00")
        reserve(self.env, self.user_bob, self.vet_park, "2026-03-04 11:00")  # another vet's
        response = self._get("/vets/test-kim")
        self.assertEqual(response.status_code, 200)
        text = self._text(response)
        for shown in ("Dr. Kim Hana", "Gangnam, Seoul", "Dr. Kim Hana sees dogs and cats."):
            self.assertIn(shown, text)
        self.assertIn("Times are in Asia/Seoul. 30 minutes, by video.", text)
        timetable = self._timetable(response)
        self.assertEqual(list(timetable), [f"2026-03-0{d}" for d in range(2, 9)])
        wednesday = timetable["2026-03-04"]
        self.assertEqual(len(wednesday), 18, "09:00 to 18:00, every 30 minutes")
        self.assertEqual(wednesday["10:00 AM"], (False, "2026-03-04T01:00Z", None))
        self.assertEqual(
            wednesday["11:00 AM"],
            (True, "2026-03-04T02:00Z", "/vets/test-kim/reserve?start=2026-03-04T02:00Z"),
        )
        self.assertEqual(
            [t for t, (free, _s, _h) in timetable["2026-03-02"].items() if not free],
            ["9:00 AM", "9:30 AM"],
            "today, within the hour's notice",
        )
        self.assertFalse(timetable["2026-03-07"] or timetable["2026-03-08"], "the weekend")
        taken = self._page(response).cssselect(".o_clinic_vet_slot_taken")[0]
        self.assertIn("(not available)", taken.text_content())
        self.assertEqual(
            self._week_links(response), (None, "/vets/test-kim?week=2026-03-09#timetable")
        )

    def test_week_navigation(self):
        cases = [
            # ?week=, the Monday shown, previous and next weeks
            ("2026-03-11", "2026-03-09", "2026-03-02", "2026-03-16"),
            ("2026-03-16", "2026-03-16", "2026-03-09", None),  # 16 March is the last day
            ("2026-05-01", "2026-03-16", "2026-03-09", None),  # beyond: the last week
            ("2026-02-01", "2026-03-02", None, "2026-03-09"),  # before: this week
            ("2026-02-30", "2026-03-02", None, "2026-03-09"),
            ("next-week", "2026-03-02", None, "2026-03-09"),
        ]
        for week, monday, previous, following in cases:
            with self.subTest(week=week):
                response = self._get(f"/vets/test-kim?week={week}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(next(iter(self._timetable(response))), monday)
                self.assertEqual(
                    self._week_links(response),
                    tuple(
                        f"/vets/test-kim?week={w}#timetable" if w else None
                        for w in (previous, following)
                    ),
                )
        # The last week: nothing after the 14 days can be chosen.
        timetable = self._timetable(self._get("/vets/test-kim?week=2026-03-16"))
        self.assertTrue(all(free for free, _s, _h in timetable["2026-03-16"].values()))
        self.assertFalse(any(free for free, _s, _h in timetable["2026-03-17"].values()))

    def test_vet_image(self):
        self.vet_kim.pro_id.image_1920 = base64.b64encode(image_bytes("JPEG"))
        response = self._get("/vets/test-kim/image")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "image/jpeg")
        response = self._get("/vets/test-lee/image")
        self.assertEqual(response.status_code, 303, "no photo: the placeholder")

    def test_unknown_or_archived_vet_is_a_404(self):
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_lee, "2026-03-04 10:00")
        counts = self._counts()
        self.vet_lee.active = False
        for slug in ("no-such-vet", "test-lee", "Test-Lee", "test_lee", "-"):
            with self.subTest(slug=slug), mute_logger("odoo.http"):
                for path in (f"/vets/{slug}", f"/vets/{slug}/image"):
                    self.assertEqual(self._get(path).status_code, 404, path)
                path = f"/vets/{slug}/reserve?start={form['start']}"
                self.assertEqual(self._get(path).status_code, 404, path)
                response = self._post(f"/vets/{slug}/reserve", data=form)
                self.assertEqual(response.status_code, 404)
        self.assertEqual(self._counts(), counts)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestReservationHttp(ClinicVetHttpCommon):
    """Owners reserve through the form, logged in. It is Monday 2 March
    2026, 09:00 in Seoul."""

    def _error(self, response):
        """The message of the vet's page a refused time is sent back to."""
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        self.assertEqual(location.fragment, "timetable")
        page = self.url_open(response.headers["Location"])
        self.assertEqual(page.status_code, 200)
        errors = self._page(page).cssselect(".o_clinic_vet_error")
        return location.path, parse_qs(location.query)["week"][0], errors[0].text_content().strip()

    def test_visitor_logs_in_first_and_comes_back(self):
        start = start_param("2026-03-04 10:00")
        response = self._get(f"/vets/test-kim/reserve?start={start}")
        self.assertEqual(
            self._login_redirect(response),
            ("/patient/login", f"/vets/test-kim/reserve?start={start}"),
        )
        # Sending the form needs a login too; nothing is made.
        counts = self._counts()
        response = self._post(
            "/vets/test-kim/reserve",
            data={"start": start, "pet_name": "Coco", "pet_species": "dog", "pet_problem": "x"},
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(urlsplit(response.headers["Location"]).path, "/web/login")
        self.assertEqual(self._counts(), counts)
        # Logged in, the same link is the form.
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_kim, "2026-03-04 10:00")
        self.assertEqual(form["start"], start)
        self.assertTrue(form["csrf_token"])
        self.assertTrue(form["booking_key"])

    def test_owner_without_email_reserves_and_gets_an_sms(self):
        self._browser("ann", "test_owner_ann")
        counts = self._counts()
        response = self._get(f"/vets/test-kim/reserve?start={start_param('2026-03-04 10:00')}")
        text = self._text(response)
        self.assertIn("Video consultation with Dr. Kim Hana", text)
        self.assertIn("Wednesday, March 4, 2026, 10:00 AM (Asia/Seoul)", text)
        self.assertFalse(
            self._page(response).cssselect("#o_clinic_vet_photo"), "no classifier, no photo"
        )
        form = self._get_form(self.vet_kim, "2026-03-04 10:00")
        response = self._post_reserve(
            self.vet_kim,
            form,
            pet_name="  Coco   Bean ",
            pet_species="cat",
            pet_problem=" Sneezes. ",
        )
        self.assertEqual(response.status_code, 303)
        reservation = self._reservations()
        self.assertEqual(len(reservation), 1)
        location = urlsplit(response.headers["Location"])
        self.assertEqual((location.path, location.query), (f"/my/vet/{reservation.id}", "new=1"))
        self.assertRecordValues(
            reservation,
            [
                {
                    "vet_id": self.vet_kim.id,
                    "pro_id": self.vet_kim.pro_id.id,
                    "type_id": self.vet_kim.appointment_type_id.id,
                    "partner_id": self.user_ann.partner_id.id,
                    "patient_name": "Ann Owner",
                    "email": False,
                    "pet_name": "Coco Bean",
                    "pet_species": "cat",
                    "pet_problem": "Sneezes.",
                    "comment": "Sneezes.",
                    "start": to_utc("2026-03-04 10:00"),
                    "stop": to_utc("2026-03-04 10:30"),
                    "state": "confirmed",
                    "prescreen_state": "none",
                    "photo": False,
                }
            ],
        )
        self.assertEqual(
            self._counts(),
            {**counts, "appointments": counts["appointments"] + 1, "sms": counts["sms"] + 1},
        )
        sms = self.env["sms.sms"].sudo().search([], order="id desc", limit=1)
        self.assertEqual(sms.number, "+12025550171")
        self.assertEqual(sms.partner_id, self.user_ann.partner_id)
        self.assertIn("Dr. Kim Hana", sms.body)
        self.assertIn("Wednesday, March 4, 2026, 10:00 AM (Asia/Seoul)", sms.body)
        self.assertIn("/my/vet", sms.body)
        # The confirmation page.
        page = self._get(f"/my/vet/{reservation.id}?new=1")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        text = self._text(page)
        self.assertIn("Your reservation is confirmed. We sent it to you by SMS.", text)
        self.assertIn("Coco Bean with Dr. Kim Hana", text)
        self.assertIn("Opens at 9:55 AM", text)
        self.assertFalse(self._page(page).cssselect(".o_clinic_vet_prescreen"))
        # My reservations: upcoming, its room not open yet.
        page = self._get("/my/vet")
        (card,) = self._page(page).cssselect(".o_clinic_vet_upcoming .o_clinic_vet_reservation")
        self.assertEqual(card.get("data-reservation-id"), str(reservation.id))
        (enter,) = card.cssselect("a.o_clinic_vet_enter")
        self.assertEqual(enter.get("aria-disabled"), "true")
        self.assertIn("disabled", enter.classes)
        self.assertEqual(enter.get("href"), f"/my/vet/{reservation.id}/room")
        self.assertEqual(enter.get("data-opens-at"), "2026-03-04 00:55:00")
        self.assertEqual(enter.get("data-closes-at"), "2026-03-04 02:00:00", "10:30 and 30 minutes")
        self.assertIn("Opens at 9:55 AM", card.text_content())
        # The time is taken now.
        slots = self._page(self._get("/vets/test-kim?week=2026-03-04")).cssselect(
            ".o_clinic_vet_slot_taken[data-start='2026-03-04T01:00Z']"
        )
        self.assertEqual(len(slots), 1)

    def test_owner_with_email_gets_an_email(self):
        self._browser("bob", "test_owner_bob")
        counts = self._counts()
        response = self._post_reserve(self.vet_park)
        self.assertEqual(response.status_code, 303)
        reservation = self._reservations()
        self.assertEqual(reservation.email, "bob.owner@example.com")
        self.assertEqual(
            self._counts(),
            {
                **counts,
                "appointments": counts["appointments"] + 1,
                "mails": counts["mails"] + 1,
                "attachments": counts["attachments"] + 1,  # the calendar file
            },
        )
        mail = self.env["mail.mail"].sudo().search([], order="id desc", limit=1)
        self.assertEqual(mail.email_to, "bob.owner@example.com")
        text = self._text(self.url_open(response.headers["Location"]))
        self.assertIn("We sent it to you by email.", text)

    def test_double_submission_reserves_once(self):
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_kim, "2026-03-04 10:00")
        counts = self._counts()
        first = self._post_reserve(self.vet_kim, form)
        second = self._post_reserve(self.vet_kim, form)
        self.assertEqual(second.status_code, 303)
        self.assertEqual(second.headers["Location"], first.headers["Location"])
        self.assertEqual(len(self._reservations()), 1)
        self.assertEqual(self._counts()["sms"], counts["sms"] + 1)

    def test_bad_times_get_a_message_and_reserve_nothing(self):
        reserve(self.env, self.user_bob, self.vet_kim, "2026-03-04 11:00")
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_kim, "2026-03-04 10:00")
        counts = self._counts()
        cases = [
            ("past", "2026-02-27 10:00", "2026-02-27", "This time has already passed."),
            ("taken", "2026-03-04 11:00", "2026-03-04", "This time was just taken."),
            ("notice", "2026-03-02 09:30", "2026-03-02", "This time is too soon"),
            ("horizon", "2026-03-17 10:00", "2026-03-17", "at most 14 days ahead."),
            ("off the grid", "2026-03-04 10:10", "2026-03-04", "not one of the appointment"),
            ("after hours", "2026-03-04 18:00", "2026-03-04", "not one of the appointment"),
            ("weekend", "2026-03-07 10:00", "2026-03-07", "no appointments on this day."),
            # Sunday in UTC: the week shown is the clinic's
            ("before opening", "2026-03-09 08:00", "2026-03-09", "not one of the appointment"),
        ]
        for case, local, week, message in cases:
            with self.subTest(case=case):
                start = start_param(local)
                response = self._post_reserve(self.vet_kim, {**form, "start": start})
                path, shown_week, error = self._error(response)
                self.assertEqual((path, shown_week), ("/vets/test-kim", week))
                self.assertIn(message, error)
                # The link of such a time says the same.
                response = self._get(f"/vets/test-kim/reserve?start={start}")
                self.assertIn(message, self._error(response)[2])
        with mute_logger("odoo.http"):
            for start in ("2026-03-04T01:00", "2026-02-30T01:00Z", "", "tomorrow"):
                with self.subTest(start=start):
                    response = self._post_reserve(self.vet_kim, {**form, "start": start})
                    self.assertEqual(response.status_code, 404)
                    response = self._get(f"/vets/test-kim/reserve?start={start}")
                    self.assertEqual(response.status_code, 404)
        self.assertEqual(self._counts(), counts)
        # The form still reserves its own time.
        self.assertEqual(self._post_reserve(self.vet_kim, form).status_code, 303)

    def test_bad_details_get_a_message_and_reserve_nothing(self):
        classifier = start_classifier(self)
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_kim, "2026-03-04 10:00")
        counts = self._counts()
        png = image_bytes("PNG")
        not_the_image = "This file is not the image it claims to be. Please choose a photo."
        cases = [
            ("no name", {"pet_name": ""}, None, "pet_name", "Please enter your pet's name."),
            ("no name at all", {"pet_name": None}, None, "pet_name", "Please enter your pet's"),
            ("blank name", {"pet_name": "  "}, None, "pet_name", "Please enter your pet's name."),
            ("long name", {"pet_name": "x" * 61}, None, "pet_name", "60 characters at most."),
            ("no species", {"pet_species": ""}, None, "pet_species", "Please choose your pet's"),
            ("no species at all", {"pet_species": None}, None, "pet_species", "Please choose"),
            ("bad species", {"pet_species": "dragon"}, None, "pet_species", "Please choose your"),
            ("no problem", {"pet_problem": " "}, None, "pet_problem", "Please describe the"),
            ("long problem", {"pet_problem": "x" * 2001}, None, "pet_problem", "2000 characters"),
            (
                "a text file named .png",
                {},
                ("belly.png", b"just some text, not a photo", "image/png"),
                "photo",
                not_the_image,
            ),
            (
                "a PNG signature and then junk",
                {},
                ("belly.png", PNG_SIGNATURE + b"just some text, not a photo", "image/png"),
                "photo",
                "This file could not be decoded as an image file.",
            ),
            (
                "56 million pixels",
                {},
                ("belly.png", image_bytes("PNG", (8000, 7000), "1"), "image/png"),
                "photo",
                "Too large image (above 50.0Mpx), reduce the image size.",
            ),
            ("PNG sent as JPEG", {}, ("belly.jpg", png, "image/jpeg"), "photo", not_the_image),
            (
                "RIFF but not WebP",
                {},
                ("belly.webp", b"RIFF\x10\x00\x00\x00WAVEfmt ", "image/webp"),
                "photo",
                not_the_image,
            ),
            (
                "a PDF",
                {},
                ("belly.pdf", b"%PDF-1.4", "application/pdf"),
                "photo",
                "The photo must be a JPEG, PNG or WebP image.",
            ),
            (
                "over 10 MB",
                {},
                ("belly.png", png + b"\0" * (TEN_MB + 1 - len(png)), "image/png"),
                "photo",
                "The photo is too large: 10 MB at most.",
            ),
        ]
        for case, changes, photo, field, message in cases:
            with self.subTest(case=case):
                values = {"pet_problem": "Red patch.", **changes}
                response = self._post_reserve(self.vet_kim, form, photo=photo, **values)
                self.assertEqual(response.status_code, 400)
                page = self._page(response)
                self.assertIn("Please correct the fields below.", self._text(response))
                field_id = f"#o_clinic_vet_{field}"
                self.assertIn("is-invalid", page.cssselect(field_id)[0].classes)
                self.assertIn(
                    message, page.cssselect(f"{field_id} ~ .invalid-feedback")[0].text_content()
                )
                # What the owner typed is kept, the time too.
                (new_form,) = page.cssselect("form.o_clinic_vet_reserve_form")
                self.assertEqual(new_form.fields["start"], form["start"])
                self.assertEqual(
                    new_form.fields["pet_name"] or "", values.get("pet_name", "Coco") or ""
                )
                self.assertEqual(
                    page.cssselect("#o_clinic_vet_pet_problem")[0].text_content(),
                    values["pet_problem"],
                )
        self.assertEqual(self._counts(), counts)
        self.assertFalse(classifier.requests, "nothing was sent to the classifier")
        # 60 characters, 2000 characters and a photo of exactly 10 MB are fine.
        classifier.answer(payload={"labels": [{"label": "dermatitis", "confidence": 0.5}]})
        response = self._post_reserve(
            self.vet_kim,
            form,
            pet_name="y" * 60,
            pet_problem="z" * 2000,
            photo=("belly.png", png + b"\0" * (TEN_MB - len(png)), "image/png"),
        )
        self.assertEqual(response.status_code, 303)
        self.assertRecordValues(
            self._reservations(), [{"pet_name": "y" * 60, "prescreen_state": "done"}]
        )

    @mute_logger("odoo.http")
    def test_forged_csrf_token_reserves_nothing(self):
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_kim, "2026-03-04 10:00")
        counts = self._counts()
        for case, data in [
            ("forged", {**form, "csrf_token": "0123456789abcdef" * 2 + "01234567o9999999999"}),
            ("missing", {k: v for k, v in form.items() if k != "csrf_token"}),
        ]:
            with self.subTest(case=case):
                self.assertEqual(self._post_reserve(self.vet_kim, data).status_code, 400)
        self.assertEqual(self._counts(), counts)


@tagged("post_install", "-at_install")
class TestOwnerCancels(ClinicVetHttpCommon):
    """Owners cancel up to ``clinic_vet.cancel_hours`` (2 by default) before."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(NOW):
            cls.reservation = reserve(cls.env, cls.user_ann, cls.vet_kim, "2026-03-04 10:00")

    def _cancel(self, reservation=None):
        reservation = reservation or self.reservation
        token = self._csrf_token()
        return self._post(f"/my/vet/{reservation.id}/cancel", data={"csrf_token": token})

    def _can_cancel(self):
        """Whether the reservation's page offers to cancel it."""
        page = self._page(self._get(f"/my/vet/{self.reservation.id}"))
        return bool(page.cssselect("button.o_clinic_vet_cancel"))

    def test_cancel_window(self):
        self._browser("ann", "test_owner_ann")
        for moment, hours, can in (
            ("2026-03-03 22:59:59", None, True),  # 07:59:59 in Seoul, for 10:00
            ("2026-03-03 23:00:00", None, True),  # 2 hours before
            ("2026-03-03 23:00:01", None, False),
            ("2026-03-03 00:59:59", "24", True),
            ("2026-03-03 01:00:01", "24", False),
            ("2026-03-04 00:59:00", "0", True),
            ("2026-03-04 01:00:01", "0", False),
        ):
            with self.subTest(moment=moment, hours=hours), freeze_time(moment):
                self.env["ir.config_parameter"].set_param("clinic_vet.cancel_hours", hours)
                self.assertEqual(self.reservation._owner_can_cancel(), can)
                self.assertEqual(self._can_cancel(), can)
        # Too late: the form is not offered, and a request cancels nothing.
        self.env["ir.config_parameter"].set_param("clinic_vet.cancel_hours", False)
        with freeze_time("2026-03-04 00:30:00"):
            response = self._cancel()
            self.assertEqual(response.status_code, 303)
            self.assertEqual(self.reservation.state, "confirmed")
        # In time: cancelled, the time free again, no second cancel form.
        with freeze_time(NOW):
            response = self._cancel()
            self.assertEqual(response.status_code, 303)
            self.assertEqual(
                urlsplit(response.headers["Location"]).path, f"/my/vet/{self.reservation.id}"
            )
            self.assertEqual(self.reservation.state, "cancelled")
            self.assertEqual(self.reservation.cancel_reason, "Cancelled by the owner.")
            self.assertFalse(self._can_cancel())
            page = self._get("/my/vet")
            self.assertFalse(
                self._page(page).cssselect(".o_clinic_vet_upcoming .o_clinic_vet_reservation")
            )
            (card,) = self._page(page).cssselect(".o_clinic_vet_past .o_clinic_vet_reservation")
            self.assertIn("Cancelled", card.text_content())
            self.assertFalse(card.cssselect(".o_clinic_vet_enter"))
            reserve(self.env, self.user_bob, self.vet_kim, "2026-03-04 10:00")

    def test_only_the_owner_cancels(self):
        with freeze_time(NOW):
            for browser, login in (("vet", "test_vet_kim"), ("bob", "test_owner_bob")):
                with self.subTest(login=login), mute_logger("odoo.http"):
                    self._browser(browser, login)
                    self.assertEqual(self._cancel().status_code, 404)
            # The owner's form needs its CSRF token.
            self._browser("ann", "test_owner_ann")
            with mute_logger("odoo.http"):
                response = self._post(f"/my/vet/{self.reservation.id}/cancel", data={"x": "1"})
            self.assertEqual(response.status_code, 400)
            self.assertEqual(self.reservation.state, "confirmed")

    @users("test_owner_ann")
    def test_no_way_around_the_window(self):
        """``action_cancel`` is public (``/web/dataset/call_kw``): owners may
        not call it, too late or not."""
        with freeze_time("2026-03-04 00:30:00"):
            reservation = self.env["clinic.appointment"].browse(self.reservation.id)
            self.assertFalse(reservation._owner_can_cancel())
            with self.assertRaises(AccessError):
                reservation.action_cancel()
        self.assertEqual(self.reservation.sudo().state, "confirmed")


@freeze_time(NOW)
class TestReservationModel(ClinicVetCommon):
    """``_parse_reservation`` alone, and the exclusion constraint for vets."""

    def _parse(self, photo=None, **values):
        values = {"pet_name": "Coco", "pet_species": "dog", "pet_problem": "Itchy.", **values}
        return self.env["clinic.appointment"]._parse_reservation(values, photo)

    def test_photo_types(self):
        for data, mimetype in (
            (image_bytes("PNG"), "image/png"),
            (image_bytes("JPEG"), "image/jpeg"),
            (WEBP, "image/webp"),
        ):
            with self.subTest(mimetype=mimetype):
                vals, photo, errors = self._parse(("photo", mimetype, data))
                self.assertFalse(errors)
                self.assertEqual(photo, (mimetype, data))
                self.assertEqual(
                    vals, {"pet_name": "Coco", "pet_species": "dog", "pet_problem": "Itchy."}
                )
        # No photo, or an empty file input.
        for photo_file in (None, ("", "application/octet-stream", b"")):
            self.assertEqual(self._parse(photo_file)[1:], (None, {}))

    def test_exclusion_constraint_holds_for_vets(self):
        """A reservation written over another one of the same vet, bypassing
        the timetable, is refused by PostgreSQL."""
        first = reserve(self.env, self.user_ann, self.vet_kim, "2026-03-04 10:00")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.ExclusionViolation),
            self.env.cr.savepoint(),
        ):
            self.env["clinic.appointment"].create(
                {
                    "type_id": first.type_id.id,
                    "pro_id": first.pro_id.id,
                    "vet_id": self.vet_kim.id,
                    "partner_id": self.user_bob.partner_id.id,
                    "patient_name": "Bob Owner",
                    "start": to_utc("2026-03-04 10:15"),
                    "stop": to_utc("2026-03-04 10:45"),
                }
            )
