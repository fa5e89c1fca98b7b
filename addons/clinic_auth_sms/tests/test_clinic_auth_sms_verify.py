from freezegun import freeze_time

from odoo.exceptions import AccessDenied

from .common import ClinicAuthSmsCommon


class TestClinicAuthSmsVerify(ClinicAuthSmsCommon):
    def assertRefused(self, challenge, code, message, restart=False):
        refusal = self.refusal(challenge, code)
        self.assertEqual(refusal.args[0], message)
        self.assertEqual(refusal.restart, restart)

    def test_right_code_logs_in_a_new_portal_user(self):
        self.assertFalse(self.patient.user_ids)
        challenge = self.request_code()[0]
        auth_info = self.authenticate(challenge, self.code_of(challenge))
        user = self.patient.user_ids
        self.assertEqual(auth_info, {"uid": user.id, "auth_method": "clinic_sms", "mfa": "default"})
        self.assertTrue(user._is_portal())
        self.assertEqual(user.login, f"clinic-patient-{self.patient.id}")
        self.assertEqual(user.company_id, self.env.company)
        self.assertEqual(challenge.state, "used")
        self.assertEqual(challenge.user_id, user)
        self.assertTrue(challenge.used_at)

        with freeze_time("2030-01-01"):
            challenge = self.request_code()[0]
            auth_info = self.authenticate(challenge, f" {self.code_of(challenge)} ")
        self.assertEqual(auth_info["uid"], user.id, "the same user logs in the next time")
        self.assertEqual(self.patient.user_ids, user)

    def test_existing_portal_user(self):
        user = self.env["res.users"].create(
            {
                "login": "jane@example.com",
                "partner_id": self.patient.id,
                "group_ids": [self.env.ref("base.group_portal").id],
            }
        )
        challenge = self.request_code()[0]
        self.assertEqual(self.authenticate(challenge, self.code_of(challenge))["uid"], user.id)

    def test_code_is_single_use(self):
        challenge = self.request_code()[0]
        code = self.code_of(challenge)
        self.authenticate(challenge, code)
        self.assertRefused(
            challenge, code, "This code can no longer be used. Please start again.", restart=True
        )

    def test_wrong_code_then_right_code(self):
        challenge = self.request_code()[0]
        code = self.code_of(challenge)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        self.assertRefused(
            challenge,
            wrong,
            "This code is not right. Please check it and try again (4 tries left).",
        )
        self.assertEqual((challenge.failure_count, challenge.state), (1, "pending"))
        self.assertTrue(self.authenticate(challenge, code)["uid"])

    def test_five_wrong_codes_and_start_over(self):
        challenge = self.request_code()[0]
        code = self.code_of(challenge)
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for left in (4, 3, 2, 1):
            self.assertRefused(
                challenge,
                wrong,
                f"This code is not right. Please check it and try again ({left} tries left).",
            )
        self.assertRefused(challenge, wrong, "Too many wrong codes. Please start again.", True)
        self.assertEqual((challenge.failure_count, challenge.state), (5, "blocked"))
        self.assertRefused(
            challenge, code, "This code can no longer be used. Please start again.", restart=True
        )
        self.assertEqual(
            challenge._resend()[1], "This code can no longer be used. Please start again."
        )
        self.assertFalse(self.patient.user_ids)

    def test_malformed_codes_do_not_count(self):
        challenge = self.request_code()[0]
        for typed in ["", "12345", "1234567", "12a456", None]:
            self.assertRefused(challenge, typed, "Please enter the 6 digits of the code.")
        self.assertEqual(challenge.failure_count, 0)

    def test_code_expires_after_5_minutes(self):
        with freeze_time("2026-03-01 10:00:00"):
            challenge = self.request_code()[0]
        code = self.code_of(challenge)
        with freeze_time("2026-03-01 10:05:00"):
            self.assertRefused(challenge, code, "This code has expired. Please ask for a new one.")
            self.assertEqual(challenge.state, "pending", "the patient may ask for a new one")
            new_challenge, error = challenge._resend()
        self.assertFalse(error)
        with freeze_time("2026-03-01 10:09:59"):
            self.assertTrue(self.authenticate(new_challenge, self.code_of(new_challenge))["uid"])

    def test_replaced_code_no_longer_works(self):
        with freeze_time("2026-03-01 10:00:00"):
            first = self.request_code()[0]
        with freeze_time("2026-03-01 10:01:00"):
            second = first._resend()[0]
            self.assertRefused(
                first,
                self.code_of(first),
                "This code can no longer be used. Please start again.",
                restart=True,
            )
            self.assertRefused(
                second,
                self.code_of(first),
                "This code is not right. Please check it and try again (4 tries left).",
            )
            self.assertTrue(self.authenticate(second, self.code_of(second))["uid"])

    def test_unknown_patient_gets_wrong_code(self):
        challenge = self.request_code(last_name="Smith")[0]
        self.assertFalse(challenge.partner_id)
        for left in (4, 3, 2, 1):
            self.assertRefused(
                challenge,
                "123456",
                f"This code is not right. Please check it and try again ({left} tries left).",
            )
        self.assertRefused(challenge, "123456", "Too many wrong codes. Please start again.", True)
        self.assertFalse(challenge.user_id)

    def test_staff_and_archived_accounts_are_refused(self):
        refused = "Your account cannot log in with a code. Please contact the clinic."
        self.user_employee.partner_id.write({"phone": "+1 201-555-0177", "is_clinic_patient": True})
        self.user_employee.partner_id.name = "Employee Doe"
        challenge = self.request_code(phone="(201) 555-0177")[0]
        self.assertRefused(challenge, self.code_of(challenge), refused, restart=True)
        self.assertEqual(challenge.state, "verified", "the code was right, and is spent")
        self.assertFalse(challenge.user_id)

        with freeze_time("2030-01-01"):
            challenge = self.request_code()[0]
            self.authenticate(challenge, self.code_of(challenge))
        self.patient.user_ids.active = False
        with freeze_time("2030-01-02"):
            challenge = self.request_code()[0]
            self.assertRefused(challenge, self.code_of(challenge), refused, restart=True)

    def test_no_longer_a_patient(self):
        """The clinic unticks "Clinic Patient" after the code was sent."""
        with freeze_time("2026-03-01 10:00:00"):
            challenge = self.request_code()[0]
            code = self.code_of(challenge)
        self.patient.is_clinic_patient = False
        with freeze_time("2026-03-01 10:01:00"):
            self.assertRefused(
                challenge,
                code,
                "Your account cannot log in with a code. Please contact the clinic.",
                restart=True,
            )
        self.patient.is_clinic_patient = True
        with freeze_time("2026-03-01 10:02:00"):
            challenge = self.request_code()[0]
        self.patient.active = False
        with freeze_time("2026-03-01 10:03:00"):
            resent, error = challenge._resend()
        self.assertFalse(error)
        self.assertFalse(resent.partner_id, "nothing is sent to a former patient")
        self.assertFalse(self.sms_of(resent))

    def test_credential_cannot_be_forged(self):
        challenge = self.request_code()[0]
        code = self.code_of(challenge)
        user = self.env["res.users"].search([("login", "=", "admin")])
        # /web/login passes only login, password and type
        for credential in [
            {"type": "clinic_sms", "login": "admin", "password": code},
            {"type": "clinic_sms", "login": "admin", "clinic_sms_code": code},
            {
                "type": "clinic_sms",
                "login": None,
                "clinic_sms_token": "forged",
                "clinic_sms_code": code,
            },
        ]:
            with self.subTest(credential=credential), self.assertRaises(AccessDenied):
                self.env["res.users"].authenticate(credential, {"interactive": True})
        # a challenge not verified by _login is never accepted by _check_credentials
        with self.assertRaises(AccessDenied):
            user.with_user(user)._check_credentials(
                {"type": "clinic_sms", "clinic_sms_token": challenge.sudo().token},
                {"interactive": True},
            )
        self.assertEqual(challenge.state, "pending")
        self.assertTrue(self.authenticate(challenge, code)["uid"])
