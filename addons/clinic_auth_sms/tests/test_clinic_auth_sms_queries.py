from freezegun import freeze_time

from odoo.tests import tagged

from .common import ClinicAuthSmsCommon


@tagged("post_install", "-at_install")
class TestClinicAuthSmsQueries(ClinicAuthSmsCommon):
    """SQL queries of sending and checking a code, whatever the size of the
    database: the same budget with 1 and with 100 other patients and codes."""

    # Send, a patient matches (Odoo SMS), replacing their previous code:
    #   1 lock upsert, 1 count for the limits, 1 patient search, 1 UPDATE of
    #   the code(s) replaced, 1 check that sms's cron exists (env.ref),
    #   1 INSERT ir.cron.trigger, 1 INSERT sms.sms, 1 INSERT challenge
    SEND_PATIENT = 8
    # Send, nobody matches: the same without the SMS and its cron trigger
    SEND_UNKNOWN = 5
    # Verify and log in an existing portal user:
    #   1 challenge search by token, 1 lock UPDATE ... RETURNING, 1 read of
    #   the challenge, 1 read of the patient (still a patient?), 1 read of
    #   their users, 1 read of the user (portal? active?), 1 user search by
    #   login (res.users._login), 1 UPDATE of the challenge (verified),
    #   1 redeem UPDATE ... RETURNING, 1 INSERT res.users.log
    VERIFY = 10

    def _add_other_patients_and_codes(self, count):
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Other Doe {i}",
                    "phone": f"+1 212-555-{1000 + i}",
                    "is_clinic_patient": True,
                }
                for i in range(count)
            ]
        )
        with freeze_time("2026-03-01 09:30:00"):
            for partner in partners:
                self.request_code(phone=partner.phone, ip=f"192.0.2.{partner.id % 250}")

    def _measure(self):
        # A first login creates the portal user (not a hot path, and it
        # clears the caches); then codes wait for each number, to be replaced.
        with freeze_time("2026-03-01 08:00:00"):
            challenge = self.request_code()[0]
            self.authenticate(challenge, self.code_of(challenge))
        with freeze_time("2026-03-01 09:00:00"):
            self.request_code()
            self.request_code(phone="(201) 555-0198", last_name="Nobody")
        with freeze_time("2026-03-01 10:00:00"):
            with self.assertQueryCount(self.SEND_PATIENT):
                challenge, _errors = self.Challenge._request_code(
                    "(201) 555-0101", "Doe", "198.51.100.7"
                )
                self.env.flush_all()
            self.assertTrue(challenge.partner_id)
            with self.assertQueryCount(self.SEND_UNKNOWN):
                unknown, _errors = self.Challenge._request_code(
                    "(201) 555-0198", "Nobody", "198.51.100.7"
                )
                self.env.flush_all()
            self.assertTrue(unknown)
            credential = self.credential(challenge, self.code_of(challenge))
            self.env.invalidate_all()
            with self.assertQueryCount(self.VERIFY):
                self.authenticate(challenge, None, credential)
                self.env.flush_all()

    def test_queries_with_one_patient(self):
        self._measure()

    def test_queries_with_many_patients(self):
        self._add_other_patients_and_codes(100)
        self._measure()
