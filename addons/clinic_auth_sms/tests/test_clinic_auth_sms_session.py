from types import SimpleNamespace
from unittest.mock import patch

from freezegun import freeze_time

import odoo.http

from odoo.addons.clinic_auth_sms.models import ir_http

from .common import ClinicAuthSmsCommon


class TestClinicAuthSmsSession(ClinicAuthSmsCommon):
    """The server session of a patient: who, since when, last active when."""

    def setUp(self):
        super().setUp()
        challenge = self.request_code()[0]
        self.uid = self.authenticate(challenge, self.code_of(challenge))["uid"]
        self.session = odoo.http.Session(odoo.http.get_default_session(), "test-session-id")
        self.session.uid = self.uid
        self.request = SimpleNamespace(session=self.session, env=self.env(user=self.uid))
        self.IrHttp = self.env["ir.http"]
        patcher = patch.object(ir_http, "request", self.request)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_session_records_user_and_times(self):
        with freeze_time("2026-03-01 10:00:00"):
            self.IrHttp._clinic_auth_sms_start_session(self.uid)
        start = 1772359200.0  # 2026-03-01 10:00:00 UTC
        self.assertEqual(
            self.session["clinic_auth_sms"],
            {"uid": self.uid, "authenticated_at": start, "last_activity_at": start},
        )
        with freeze_time("2026-03-01 10:00:05"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertEqual(
            self.session["clinic_auth_sms"]["last_activity_at"], start, "within 10 seconds"
        )
        with freeze_time("2026-03-01 10:12:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertEqual(self.session["clinic_auth_sms"]["last_activity_at"], start + 720)
        self.assertEqual(self.session["clinic_auth_sms"]["authenticated_at"], start)

    def test_idle_patient_is_logged_out_after_30_minutes(self):
        with freeze_time("2026-03-01 10:00:00"):
            self.IrHttp._clinic_auth_sms_start_session(self.uid)
        with freeze_time("2026-03-01 10:29:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
        with freeze_time("2026-03-01 10:59:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertEqual(self.session.uid, self.uid, "30 minutes idle: still logged in")
        with freeze_time("2026-03-01 11:29:01"):
            self.assertTrue(self.IrHttp._clinic_auth_sms_check_idle())
        self.assertIsNone(self.session.uid, "logged out")
        self.assertNotIn("clinic_auth_sms", self.session)
        self.assertEqual(
            self.session["clinic_auth_sms_notice"]["message"],
            "You were logged out after 30 minutes without activity. Please log in again.",
        )
        self.assertIsNone(self.request.env.uid, "the request goes on as a visitor's")

    def test_idle_limit_is_a_setting(self):
        self.ICP.set_param("clinic_auth_sms.idle_timeout_minutes", 5)
        with freeze_time("2026-03-01 10:00:00"):
            self.IrHttp._clinic_auth_sms_start_session(self.uid)
        with freeze_time("2026-03-01 10:05:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertEqual(self.session.uid, self.uid)
        with freeze_time("2026-03-01 10:10:01"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertIsNone(self.session.uid)

        self.ICP.set_param("clinic_auth_sms.idle_timeout_minutes", 0)
        self.session.uid = self.uid
        with freeze_time("2026-03-01 10:00:00"):
            self.IrHttp._clinic_auth_sms_start_session(self.uid)
        with freeze_time("2026-03-02 10:00:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertEqual(self.session.uid, self.uid, "0: no limit")

    def test_other_sessions_are_left_alone(self):
        """Password logins are not patient sessions; the record of a patient
        session does not outlive a change of user."""
        with freeze_time("2026-03-01 10:00:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
            self.IrHttp._clinic_auth_sms_start_session(self.uid)
        self.session.uid = self.user_employee.id
        with freeze_time("2026-03-02 10:00:00"):
            self.IrHttp._clinic_auth_sms_check_idle()
        self.assertEqual(self.session.uid, self.user_employee.id)
        self.assertNotIn("clinic_auth_sms", self.session)
