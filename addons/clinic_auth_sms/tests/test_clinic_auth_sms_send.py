import logging

from freezegun import freeze_time

from .common import ClinicAuthSmsCommon


class TestClinicAuthSmsSend(ClinicAuthSmsCommon):
    def test_patient_gets_a_code_by_sms(self):
        challenge, errors = self.request_code()
        self.assertFalse(errors)
        self.assertEqual(challenge.partner_id, self.patient)
        self.assertEqual((challenge.state, challenge.provider), ("pending", "sms"))
        sms = self.sms_of(challenge)
        self.assertEqual(sms.state, "outgoing", "queued: the SMS cron sends it after commit")
        self.assertEqual(sms.number, self.phone)
        code = self.code_of(challenge)
        self.assertEqual(
            sms.body,
            f"{code} is your login code for Test Clinic. It expires in 5 minutes. "
            "Never share it with anyone.",
        )
        self.assertEqual(len(challenge.sudo().code_hash), 64, "an HMAC-SHA256, in hex")
        self.env.cr.execute("SELECT * FROM clinic_auth_sms_challenge WHERE id = %s", [challenge.id])
        stored = self.env.cr.dictfetchone()
        self.assertFalse(
            [column for column, value in stored.items() if code in str(value)],
            "the code is stored only as a hash",
        )
        self.assertFalse(
            [column for column, value in stored.items() if "5550101" in str(value)],
            "the phone number is stored only as a hash",
        )
        self.assertEqual(
            challenge.expires_at - challenge.requested_at, self.Challenge._code_validity
        )

    def test_codes_are_random(self):
        codes = set()
        for i in range(3):
            with freeze_time(f"2026-03-01 10:0{i * 2}:00"):
                codes.add(self.code_of(self.request_code()[0]))
        self.assertEqual(len(codes), 3)

    def test_phone_number_formats(self):
        for i, typed in enumerate(
            ["(201) 555-0101", "201.555.0101", "+1 201 555 0101", "0012015550101", "2015550101"]
        ):
            with self.subTest(typed=typed), freeze_time(f"2026-03-01 1{i}:00:00"):
                challenge, errors = self.request_code(phone=typed)
                self.assertFalse(errors)
                self.assertEqual(challenge.partner_id, self.patient)

    def test_patient_number_typed_in_another_format(self):
        """The stored number is normalised with the patient's country."""
        self.patient.write({"phone": "06 12 34 56 78", "country_id": self.env.ref("base.fr").id})
        self.assertEqual(self.patient.phone_sanitized, "+33612345678")
        challenge, errors = self.request_code(phone="+33 6 12 34 56 78")
        self.assertFalse(errors)
        self.assertEqual(challenge.partner_id, self.patient)

    def test_malformed_phone_numbers(self):
        challenge_count = self.Challenge.search_count([])
        for typed in [
            "",
            "   ",
            "12345",
            "not a number",
            "+999 555 0100",
            "+1 201 555 01011",
            "9" * 40,
        ]:
            with self.subTest(typed=typed):
                challenge, errors = self.request_code(phone=typed)
                self.assertFalse(challenge)
                self.assertIn("phone", errors)
        self.assertEqual(self.request_code(phone="")[1]["phone"], "Please enter your phone number.")
        self.assertEqual(
            self.request_code(phone="12345")[1]["phone"],
            "This phone number is not valid. Please check it, or type it with your country "
            "code, starting with +.",
        )
        self.assertEqual(
            self.Challenge.search_count([]), challenge_count, "nothing was recorded, nothing sent"
        )

    def test_last_name_checks(self):
        for typed, message in [
            ("", "Please enter your last name."),
            ("1234", "Please enter your last name with letters."),
            ("x" * 101, "Your last name is too long: 100 characters at most."),
        ]:
            with self.subTest(typed=typed):
                challenge, errors = self.request_code(last_name=typed)
                self.assertFalse(challenge)
                self.assertEqual(errors, {"last_name": message})

    def test_last_name_matching(self):
        self.patient.name = "Ana María García-López"
        cases = [
            ("garcia lopez", True),
            ("GARCÍA-LÓPEZ", True),
            ("  López ", True),
            ("Maria Garcia-Lopez", True),
            ("Ana", False),
            ("Garcia", False),
            ("opez", False),
            ("Doe", False),
        ]
        for i, (typed, matches) in enumerate(cases):
            with self.subTest(typed=typed), freeze_time(f"2026-03-01 {10 + i}:00:00"):
                challenge, errors = self.request_code(last_name=typed)
                self.assertFalse(errors)
                self.assertEqual(bool(challenge.partner_id), matches)
                self.assertEqual(bool(self.sms_of(challenge)), matches)

    def test_not_a_patient(self):
        """Contacts who are not flagged as patients, or archived, get no code."""
        self.patient.is_clinic_patient = False
        with freeze_time("2026-03-01 10:00:00"):
            self.assertFalse(self.request_code()[0].partner_id)
        self.patient.write({"is_clinic_patient": True, "active": False})
        with freeze_time("2026-03-01 10:02:00"):
            self.assertFalse(self.request_code()[0].partner_id)

    def test_two_patients_with_the_same_number_and_name(self):
        self.patient.copy({"name": "John Doe", "is_clinic_patient": True})
        challenge, errors = self.request_code()
        self.assertFalse(errors)
        self.assertFalse(challenge.partner_id, "nobody can tell which Doe is logging in")
        self.assertFalse(self.sms_of(challenge))
        with freeze_time("2030-01-01"):
            challenge = self.request_code(last_name="Jane Doe")[0]
        self.assertEqual(challenge.partner_id, self.patient, "the full name tells them apart")

    def test_enumeration_same_outcome(self):
        """The answer and the limits are the same whether or not a patient matches."""
        outcomes = {}
        for phone, last_name in [("(201) 555-0101", "Doe"), ("(201) 555-0199", "Smith")]:
            steps = []
            with freeze_time("2026-03-01 10:00:00"):
                challenge, errors = self.request_code(phone, last_name)
                steps.append((bool(challenge), errors, challenge.state))
            with freeze_time("2026-03-01 10:00:30"):
                steps.append(self.request_code(phone, last_name)[1])
            with freeze_time("2026-03-01 10:01:00"):
                steps.append(self.request_code(phone, last_name)[1])
            with freeze_time("2026-03-01 10:02:00"):
                steps.append(self.request_code(phone, last_name)[1])
            with freeze_time("2026-03-01 10:03:00"):
                steps.append(self.request_code(phone, last_name)[1])
            outcomes[phone] = steps
        self.assertEqual(outcomes["(201) 555-0101"], outcomes["(201) 555-0199"])
        self.assertEqual(outcomes["(201) 555-0101"][0], (True, {}, "pending"))
        sms = (
            self.env["sms.sms"].sudo().search([("number", "in", ["+12015550101", "+12015550199"])])
        )
        self.assertEqual(set(sms.mapped("number")), {self.phone}, "only the patient got SMS")

    def test_resend_waits_60_seconds(self):
        with freeze_time("2026-03-01 10:00:00"):
            first, _errors = self.request_code()
            self.assertEqual(first._get_resend_delay(), 60)
        with freeze_time("2026-03-01 10:00:01"):
            new, error = first._resend("198.51.100.7")
            self.assertFalse(new)
            self.assertEqual(error, "Please wait 59 seconds before asking for a new code.")
            # starting over with the same number is no way around it
            self.assertEqual(
                self.request_code()[1],
                {"form": "Please wait 59 seconds before asking for a new code."},
            )
        with freeze_time("2026-03-01 10:00:59.5"):
            self.assertEqual(first._get_resend_delay(), 1)
            self.assertTrue(first._resend("198.51.100.7")[1])
        with freeze_time("2026-03-01 10:01:00"):
            self.assertEqual(first._get_resend_delay(), 0)
            second, error = first._resend("198.51.100.7")
        self.assertFalse(error)
        self.assertEqual(second.partner_id, self.patient)
        self.assertEqual(first.state, "replaced", "a resend invalidates the previous code")
        self.assertEqual(second.state, "pending")
        self.assertNotEqual(second.sudo().token, first.sudo().token)

    def test_three_sends_per_hour_per_phone(self):
        with freeze_time("2026-03-01 10:00:00"):
            first = self.request_code()[0]
        with freeze_time("2026-03-01 10:01:00"):
            second = first._resend("198.51.100.7")[0]
        with freeze_time("2026-03-01 10:20:00"):
            third = self.request_code(ip="203.0.113.9")[0]
            self.assertTrue(second and third)
        expected = {
            "form": "We have already sent 3 codes to this number in the last hour. "
            "Please try again in 39 minutes."
        }
        with freeze_time("2026-03-01 10:21:00"):
            self.assertEqual(self.request_code(ip="192.0.2.1"), (self.Challenge, expected))
            self.assertEqual(third._resend("192.0.2.1")[1], expected["form"])
        with freeze_time("2026-03-01 10:59:59"):
            self.assertTrue(self.request_code()[1])
        with freeze_time("2026-03-01 11:00:01"):
            challenge, errors = self.request_code()
        self.assertFalse(errors, "the first send left the one-hour window")
        self.assertEqual(challenge.partner_id, self.patient)

    def test_sends_per_ip_address(self):
        self.ICP.set_param("clinic_auth_sms.ip_hourly_limit", 3)
        with freeze_time("2026-03-01 10:00:00"):
            for i in range(3):
                self.assertFalse(self.request_code(phone=f"(201) 555-01{20 + i}")[1])
            self.assertEqual(
                self.request_code(phone="(201) 555-0130")[1],
                {
                    "form": "Too many codes were asked for from your connection. "
                    "Please try again later."
                },
            )
            self.assertFalse(self.request_code(ip="203.0.113.9")[1], "another address")
        with freeze_time("2026-03-01 11:00:01"):
            self.assertFalse(self.request_code(phone="(201) 555-0131")[1])
        self.ICP.set_param("clinic_auth_sms.ip_hourly_limit", 0)
        with freeze_time("2026-03-01 11:00:02"):
            for i in range(5):
                self.assertFalse(self.request_code(phone=f"(201) 555-01{40 + i}")[1])

    def test_no_sms_for_a_rolled_back_transaction(self):
        sms_count = self.env["sms.sms"].sudo().search_count([])
        challenge_count = self.Challenge.search_count([])
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            self.request_code()
            self.assertEqual(self.env["sms.sms"].sudo().search_count([]), sms_count + 1)
            _ = 1 / 0
        self.assertEqual(self.env["sms.sms"].sudo().search_count([]), sms_count)
        self.assertEqual(self.Challenge.search_count([]), challenge_count)

    def test_nothing_personal_in_the_logs(self):
        # logging.INFO, not "INFO": Odoo names its level 25 "INFO" too
        with self.assertLogs("odoo", level=logging.INFO) as logs:
            challenge = self.request_code()[0]
            code = self.code_of(challenge)
            self.authenticate(challenge, code)
        output = "\n".join(logs.output)
        self.assertIn(f"challenge {challenge.id} created", output)
        for secret in [code, "5550101", "555-0101", "Doe"]:
            self.assertNotIn(secret, output)
