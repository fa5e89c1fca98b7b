import psycopg2.errors
from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tools import mute_logger

from .common import ClinicLobbyCommon


class TestClinicLobby(ClinicLobbyCommon):
    def test_slug_must_be_lowercase_words_with_hyphens(self):
        for slug in ["Smith", "smith brown", "smith--brown", "-smith", "smith-", "émile", "a" * 65]:
            with self.subTest(slug=slug), self.assertRaises(ValidationError):
                self.env["clinic.lobby"].create({"name": "Office", "slug": slug})
        lobby = self.env["clinic.lobby"].create({"name": "Office", "slug": "dr-who-2"})
        self.assertEqual(lobby.url, f"{lobby.get_base_url()}/lobby/dr-who-2")

    @mute_logger("odoo.sql_db")
    def test_slug_is_unique(self):
        with self.assertRaises(psycopg2.errors.UniqueViolation), self.cr.savepoint():
            self.env["clinic.lobby"].create({"name": "Copy", "slug": "test-alpha-beta"})

    def test_archived_lobby_is_not_found(self):
        self.assertEqual(self.env["clinic.lobby"]._get_by_slug("test-alpha-beta"), self.lobby_a)
        self.lobby_a.active = False
        self.assertFalse(self.env["clinic.lobby"]._get_by_slug("test-alpha-beta"))
        self.assertFalse(self.env["clinic.lobby"]._get_by_slug("no-such-lobby"))
        self.assertFalse(self.env["clinic.lobby"]._get_by_slug("<script>"))

    def test_check_in_creates_guest_meeting_and_patient(self):
        meeting = self._check_in(name="  John   Doe ")
        self.assertEqual(meeting.state, "waiting")
        self.assertEqual(meeting.lobby_id, self.lobby_a)
        self.assertEqual(meeting.name, "John Doe")
        patient = meeting.patient_participant_id
        self.assertEqual(patient.role, "patient")
        self.assertEqual(str(patient.birthdate), "1980-05-04")
        self.assertTrue(patient.guest_id)
        self.assertEqual(self.lobby_a.queue_count, 1)

    def test_check_in_again_returns_the_same_meeting(self):
        meeting = self._check_in(check_in_key="key-1")
        guest = meeting.patient_participant_id.guest_id
        # The same browser (its guest) checks in again: same meeting.
        self.assertEqual(self._check_in(name="Other", guest=guest), meeting)
        # The same form submitted twice (no cookie yet on the second): same meeting.
        self.assertEqual(self._check_in(check_in_key="key-1"), meeting)
        self.assertEqual(len(self.lobby_a.meeting_ids), 1)
        # Once the visit ended, the same guest may check in anew.
        meeting._leave_patient()
        self.assertNotEqual(self._check_in(guest=guest), meeting)

    def test_check_in_key_expires(self):
        with freeze_time("2026-03-01 10:00:00"):
            meeting = self._check_in(check_in_key="key-2")
        with freeze_time("2026-03-01 10:11:00"):
            meeting_2 = self._check_in(check_in_key="key-2")
        self.assertNotEqual(meeting_2, meeting, "a form older than 10 minutes checks in anew")
        self.assertFalse(meeting_2.sudo().check_in_key)

    @freeze_time("2026-03-01 10:00:00")
    def test_bad_input_gets_a_message_and_creates_nothing(self):
        guests_before = self.env["mail.guest"].search_count([])
        cases = [
            ("", "1980-05-04", "name", "Please enter your name."),
            ("   ", "1980-05-04", "name", "Please enter your name."),
            ("x" * 101, "1980-05-04", "name", "too long"),
            ("12345", "1980-05-04", "name", "with letters"),
            ("John", "", "birthdate", "Please enter your date of birth."),
            ("John", "04/05/1980", "birthdate", "YYYY-MM-DD"),
            ("John", "1980-02-30", "birthdate", "does not exist"),
            ("John", "2026-03-02", "birthdate", "cannot be in the future"),
            ("John", "1896-02-29", "birthdate", "more than 130 years ago"),
        ]
        for name, birthdate, field, message in cases:
            with self.subTest(name=name, birthdate=birthdate):
                meeting, errors = self.lobby_a._check_in(name, birthdate)
                self.assertFalse(meeting)
                self.assertIn(message, errors[field])
        self.assertFalse(self.lobby_a.meeting_ids)
        self.assertEqual(self.env["mail.guest"].search_count([]), guests_before)
        # The limits themselves are fine.
        self._check_in(name="x" * 100, birthdate="1896-03-01")
        self._check_in(name="Today Born", birthdate="2026-03-01")

    def test_html_in_the_name_is_kept_as_text(self):
        meeting = self._check_in(name="<script>alert(1)</script> Bob")
        self.assertEqual(meeting.name, "<script>alert(1)</script> Bob")

    def test_abandoned_check_ins_are_cancelled(self):
        with freeze_time("2026-03-01 08:00:00"):
            old, taken = self._check_in(name="Old Patient"), self._check_in(name="Seen Patient")
            taken._join_pro(self.pro_a)
        with freeze_time("2026-03-01 13:00:00"):
            recent = self._check_in(name="Recent Patient")
            self.assertFalse(self.env["clinic.lobby"]._cron_cancel_abandoned_check_ins())
        with freeze_time("2026-03-01 14:30:00"):
            self.assertEqual(self.env["clinic.lobby"]._cron_cancel_abandoned_check_ins(), old)
        self.assertEqual(old.state, "cancelled")
        self.assertEqual((recent.state, taken.state), ("waiting", "in_progress"))
