import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg2.errors
from freezegun import freeze_time

from odoo import api, fields
from odoo.modules.registry import Registry
from odoo.tests.common import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

from odoo.addons.clinic_auth_sms.models.clinic_auth_sms_challenge import ClinicAuthSmsError


@tagged("-standard", "post_install", "-at_install")
class TestClinicAuthSmsConcurrency(BaseCase):
    """Two requests at the same instant, in two real transactions.

    Data is committed for real (each thread has its own cursor), and removed
    at the end, as in ``onboarding``'s concurrency test.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls.cleanUpClass)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["ir.config_parameter"].set_param("clinic_auth_sms.provider", "sms")
            cls.partner_ids = (
                env["res.partner"]
                .create(
                    [
                        {"name": "Rae Doe", "phone": "+1 415-555-0161", "is_clinic_patient": True},
                        {"name": "Sam Doe", "phone": "+1 415-555-0162", "is_clinic_patient": True},
                    ]
                )
                .ids
            )

    @classmethod
    def cleanUpClass(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.partner"].browse(cls.partner_ids)
            challenges = env["clinic.auth.sms.challenge"].search(
                [("partner_id", "in", partners.ids)]
            )
            challenges.sms_id.unlink()
            challenges.unlink()
            partners.with_context(active_test=False).user_ids.unlink()
            partners.unlink()

    def request_code(self, phone, remote_addr=None):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            challenge, errors = env["clinic.auth.sms.challenge"]._request_code(
                phone, "Doe", remote_addr
            )
            self.assertFalse(errors)
            return challenge.token, re.search(r"\d{6}", challenge.sms_id.body)[0]

    def run_twice_at_once(self, function):
        """Run ``function(env)`` in two threads, each in its own transaction,
        from the same instant; return what each returned or raised."""
        barrier = threading.Barrier(2)

        def run():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                # like a request, each transaction reads before the race starts
                env["clinic.auth.sms.challenge"].search_count([])
                barrier.wait(timeout=10)
                try:
                    return function(env)
                except psycopg2.errors.SerializationFailure:
                    # Odoo retries the request; see the retry in each test
                    return "serialization failure"
                except ClinicAuthSmsError as e:
                    return e.args[0]

        with ThreadPoolExecutor(max_workers=2) as executor:
            futures = [executor.submit(run), executor.submit(run)]
            return [future.result(timeout=30) for future in futures]

    @mute_logger("odoo.sql_db")
    def test_same_code_twice_at_the_same_instant(self):
        token, code = self.request_code("+1 415-555-0161")
        credential = {"type": "clinic_sms", "clinic_sms_token": token, "clinic_sms_code": code}

        def log_in(env):
            return env["res.users"].authenticate(dict(credential), {"interactive": True})["uid"]

        results = self.run_twice_at_once(log_in)
        uids = [result for result in results if isinstance(result, int)]
        self.assertEqual(len(uids), 1, f"exactly one login: {results}")
        self.assertIn("serialization failure", results)

        # Odoo retries the loser's request: it now sees the code used.
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            with self.assertRaisesRegex(ClinicAuthSmsError, "can no longer be used"):
                log_in(env)
            partner = env["res.partner"].browse(self.partner_ids[0])
            self.assertEqual(partner.user_ids.ids, uids, "one user was created")
            challenge = env["clinic.auth.sms.challenge"]._get_by_token(token)
            self.assertEqual((challenge.state, challenge.user_id.id), ("used", uids[0]))

    @mute_logger("odoo.sql_db")
    def test_last_allowed_code_asked_twice_at_the_same_instant(self):
        phone = "+1 415-555-0162"
        now = fields.Datetime.now()
        for minutes in (10, 5):
            with freeze_time(now - timedelta(minutes=minutes)):
                self.request_code(phone)

        def ask(env):
            challenge, errors = env["clinic.auth.sms.challenge"]._request_code(phone, "Doe")
            return errors or challenge.id

        results = self.run_twice_at_once(ask)
        self.assertEqual(len([r for r in results if isinstance(r, int)]), 1, results)
        self.assertIn("serialization failure", results)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            self.assertIn("form", ask(env), "the retry is refused")
            self.assertEqual(
                env["clinic.auth.sms.challenge"].search_count(
                    [("partner_id", "=", self.partner_ids[1])]
                ),
                3,
            )
