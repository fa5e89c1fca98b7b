import requests
from lxml import html

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ClinicLobbyHttpCommon


@tagged("post_install", "-at_install")
class TestCheckInHttp(ClinicLobbyHttpCommon):
    def test_check_in_page(self):
        response = self.url_open("/lobby/test-alpha-beta")
        self.assertEqual(response.status_code, 200)
        page = html.fromstring(response.content)
        self.assertEqual(
            page.cssselect("h1")[0].text_content(), "Welcome to Alpha & Beta's Office!"
        )
        self.assertIn("Please check in.", page.text_content())
        for input_id in ("o_clinic_name", "o_clinic_birthdate"):
            self.assertTrue(page.cssselect(f"label[for={input_id}]"), "every input has a label")

    def test_unknown_or_archived_lobby_is_a_404(self):
        self.assertEqual(self.url_open("/lobby/no-such-lobby").status_code, 404)
        self.lobby_b.active = False
        self.assertEqual(self.url_open("/lobby/test-gamma").status_code, 404)
        self.assertEqual(
            self.url_open("/lobby/test-gamma/check-in", data={"name": "x"}).status_code, 404
        )

    def test_check_in_leads_to_the_waiting_page(self):
        response = self._post_check_in(name="John Doe", birthdate="1980-05-04")
        self.assertEqual(response.status_code, 303)
        meeting = self._meetings()
        self.assertEqual(len(meeting), 1)
        self.assertTrue(response.headers["Location"].endswith(f"/meeting/{meeting.id}"))
        self.assertIn("dgid", self.opener.cookies, "the visitor is now a guest")

        page = self.url_open(response.headers["Location"])
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        text = " ".join(html.fromstring(page.content).text_content().split())
        self.assertIn(
            "Hello, John Doe! You are now in a meeting in Alpha & Beta's Office. Please make "
            "sure your webcam is working. Someone should be with you shortly.",
            text,
        )
        # Coming back to the lobby leads to the same meeting.
        again = self.url_open("/lobby/test-alpha-beta", allow_redirects=False)
        self.assertEqual(again.status_code, 303)
        self.assertEqual(again.headers["Location"], response.headers["Location"])

    def test_double_submission_creates_one_meeting(self):
        form = self._get_form()
        first = self._post_check_in(form=form, name="John Doe", birthdate="1980-05-04")
        # The second submission comes from a browser without the first one's
        # cookie (it was still in flight): the form's key finds the meeting.
        self.opener.cookies.pop("dgid")
        second = self._post_check_in(form=form, name="John Doe", birthdate="1980-05-04")
        self.assertEqual(second.headers["Location"], first.headers["Location"])
        self.assertEqual(len(self._meetings()), 1)
        self.assertEqual(self.url_open(second.headers["Location"]).status_code, 200)

    def test_a_copied_check_in_key_gives_no_other_patients_meeting(self):
        """Patient A's form key, posted by another browser (its own session
        and a valid CSRF token of its own), is a new check-in: never A's
        meeting, never A's guest cookie."""
        form_a = self._get_form()
        first = self._post_check_in(form=form_a, name="Ann Alpha", birthdate="1980-05-04")
        meeting_a = self._meetings()
        self.assertEqual(len(meeting_a), 1)
        a_cookie = self.opener.cookies["dgid"]

        self.opener = requests.Session()  # another browser, another session
        self.opener.cookies["session_id"] = self.session_id = self.authenticate(None, None).sid
        form_b = self._get_form()
        second = self._post_check_in(
            form={**form_b, "check_in_key": form_a["check_in_key"]},
            name="Mallory Beta",
            birthdate="1990-01-01",
        )
        self.assertEqual(second.status_code, 303)
        self.assertNotEqual(second.headers["Location"], first.headers["Location"])
        self.assertNotEqual(self.opener.cookies.get("dgid"), a_cookie)
        self.assertEqual(len(self._meetings()), 2, "Mallory has a meeting of her own")
        self.assertEqual(meeting_a.participant_ids.mapped("name"), ["Ann Alpha"])
        self.assertEqual(self.url_open(first.headers["Location"]).status_code, 404)

    def test_check_in_page_is_not_cached(self):
        response = self.url_open("/lobby/test-alpha-beta")
        self.assertEqual(response.headers["Cache-Control"], "no-store")

    def test_names_with_line_breaks_or_bidi_overrides_are_refused(self):
        for name in ("Ann\r\nRoe", "Ann\u202eeoR", "Ann\u2066Roe", "Ann\x07Roe"):
            with self.subTest(name=repr(name)):
                response = self._post_check_in(name=name, birthdate="1980-05-04")
                self.assertEqual(response.status_code, 400)
                self.assertIn("on one line, without special characters", response.text)
        self.assertFalse(self._meetings())

    def test_bad_input_is_shown_on_the_page_and_creates_nothing(self):
        response = self._post_check_in(name="  ", birthdate="3000-01-01")
        self.assertEqual(response.status_code, 400)
        page = html.fromstring(response.content)
        errors = [e.text_content() for e in page.cssselect(".invalid-feedback")]
        self.assertEqual(
            errors, ["Please enter your name.", "Your date of birth cannot be in the future."]
        )
        self.assertEqual(page.cssselect("#o_clinic_birthdate")[0].value, "3000-01-01")
        self.assertFalse(self._meetings())
        self.assertNotIn("dgid", self.opener.cookies)

    @mute_logger("odoo.addons.clinic_lobby.controllers.clinic_lobby")
    def test_missing_or_forged_csrf_token_creates_nothing(self):
        form = self._get_form()
        for token in ("", "forged0123456789abcdef0123456789abcdef0123o9999999999"):
            with self.subTest(token=token):
                response = self._post_check_in(
                    form={**form, "csrf_token": token}, name="John Doe", birthdate="1980-05-04"
                )
                self.assertEqual(response.status_code, 400)
                self.assertIn(b"This form has expired. Please check in again.", response.content)
        self.assertFalse(self._meetings())

    def test_html_in_the_name_is_shown_escaped(self):
        name = '<b id="injected">Bob</b>'
        response = self._post_check_in(name=name, birthdate="1980-05-04")
        page = self.url_open(response.headers["Location"])
        self.assertNotIn(b'<b id="injected">', page.content)
        self.assertIn(b"&lt;b id=&#34;injected&#34;&gt;Bob&lt;/b&gt;", page.content)
        self.assertEqual(self._meetings().name, name)

    def test_patient_leaves_the_waiting_room(self):
        response = self._post_check_in(name="John Doe", birthdate="1980-05-04")
        meeting_url = response.headers["Location"]
        token = self._csrf_token(self.url_open(meeting_url))
        left = self.url_open(f"{meeting_url}/leave", data={"csrf_token": token})
        self.assertIn(b"You have left", left.content)
        self.assertEqual(self._meetings().state, "cancelled")
