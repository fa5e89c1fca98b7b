from unittest.mock import patch

from freezegun import freeze_time

from .common import TWILIO_ACCOUNT_SID, TWILIO_SERVICE_SID, ClinicAuthSmsCommon

VERIFICATIONS = f"/v2/Services/{TWILIO_SERVICE_SID}/Verifications"
CHECK = f"/v2/Services/{TWILIO_SERVICE_SID}/VerificationCheck"


class TestClinicAuthSmsTwilio(ClinicAuthSmsCommon):
    """Twilio Verify through the real ``twilio`` client, against a local fake."""

    def send_queued(self):
        """Run the Twilio Verify job as its cron would (without committing)."""
        with patch.object(type(self.env["ir.cron"]), "_commit_progress", return_value=1):
            self.Challenge._cron_send_twilio_verifications()

    def test_code_sent_and_checked_by_twilio(self):
        with self.mock_twilio() as twilio:
            challenge, errors = self.request_code()
            self.assertFalse(errors)
            self.assertEqual(challenge.twilio_state, "queued")
            self.assertFalse(twilio.requests, "nothing leaves before the transaction commits")
            self.assertFalse(self.sms_of(challenge), "Twilio sends the SMS, not Odoo's queue")
            self.assertFalse(challenge.sudo().code_hash, "Twilio keeps the code")

            self.send_queued()
            self.assertEqual(
                twilio.requests,
                [
                    {
                        "path": VERIFICATIONS,
                        "form": {"To": self.phone, "Channel": "sms", "Locale": "en"},
                        "user": TWILIO_ACCOUNT_SID,
                    }
                ],
            )
            self.assertEqual(challenge.twilio_state, "sent")
            self.assertTrue(challenge.twilio_verification_sid.startswith("VE"))

            code = twilio.last_code()
            wrong = f"{(int(code) + 1) % 10**6:06d}"
            self.refusal(challenge, wrong)
            self.assertEqual(challenge.failure_count, 1)
            auth_info = self.authenticate(challenge, code)
            self.assertEqual(auth_info["uid"], self.patient.user_ids.id)
            self.assertEqual(
                [r["form"] for r in twilio.requests[1:]],
                [
                    {"VerificationSid": challenge.twilio_verification_sid, "Code": wrong},
                    {"VerificationSid": challenge.twilio_verification_sid, "Code": code},
                ],
            )
            self.assertEqual([r["path"] for r in twilio.requests[1:]], [CHECK, CHECK])

    def test_resend_cancels_the_previous_verification(self):
        with self.mock_twilio() as twilio:
            with freeze_time("2026-03-01 10:00:00"):
                first = self.request_code()[0]
                self.send_queued()
                old_code = twilio.last_code()
            with freeze_time("2026-03-01 10:01:00"):
                second = first._resend()[0]
                self.send_queued()
                self.assertEqual(
                    [(r["path"], r["form"]) for r in twilio.requests[1:]],
                    [
                        (
                            f"{VERIFICATIONS}/{first.twilio_verification_sid}",
                            {"Status": "canceled"},
                        ),
                        (VERIFICATIONS, {"To": self.phone, "Channel": "sms", "Locale": "en"}),
                    ],
                )
                self.assertEqual(first.twilio_state, "cancelled")
                self.refusal(second, old_code)
                self.assertTrue(self.authenticate(second, twilio.last_code())["uid"])

    def test_nothing_sent_to_twilio_for_unknown_patients_or_expired_codes(self):
        with self.mock_twilio() as twilio:
            with freeze_time("2026-03-01 10:00:00"):
                unknown = self.request_code(phone="(201) 555-0188", last_name="Smith")[0]
                late = self.request_code()[0]
            self.assertFalse(unknown.twilio_state)
            with freeze_time("2026-03-01 10:05:00"):
                self.send_queued()
            self.assertEqual(late.twilio_state, "cancelled", "expired while queued")
            self.assertFalse(twilio.requests)

    def test_twilio_down(self):
        with self.mock_twilio() as twilio:
            twilio.status = 503
            challenge = self.request_code()[0]
            with self.assertLogs("odoo.addons.clinic_auth_sms", "WARNING") as logs:
                self.send_queued()
            self.assertEqual(challenge.twilio_state, "failed")
            self.assertEqual(
                logs.output,
                [
                    (
                        "WARNING:odoo.addons.clinic_auth_sms.models.clinic_auth_sms_challenge:"
                        f"Twilio Verify: could not send the code of challenge {challenge.id} "
                        "(HTTP 503, Twilio error 20500)"
                    )
                ],
            )

            twilio.status = None
            challenge.twilio_state = "queued"
            self.send_queued()
            twilio.status = 500
            with self.assertLogs("odoo.addons.clinic_auth_sms", "WARNING"):
                refusal = self.refusal(challenge, twilio.last_code())
            self.assertEqual(
                refusal.args[0],
                "We could not check your code right now. Please try again.",
            )
            self.assertEqual(challenge.failure_count, 0, "Twilio being down is not a wrong code")
            twilio.status = None
            self.assertTrue(self.authenticate(challenge, twilio.last_code())["uid"])
