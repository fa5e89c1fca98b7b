import base64
import contextlib
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from urllib.parse import parse_qs

from odoo.tests import TransactionCase, new_test_user

from odoo.addons.clinic_auth_sms.models.clinic_auth_sms_challenge import (
    ClinicAuthSmsChallenge,
    ClinicAuthSmsError,
)

TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_SERVICE_SID = "VA" + "1" * 32


class FakeTwilio:
    """A local stand-in for Twilio Verify (https://verify.twilio.com), on 127.0.0.1.

    It records every request the real ``twilio`` client makes (method, path,
    form fields, basic-auth user) and answers like Twilio: a verification
    holds a code, ``VerificationCheck`` approves it when it matches.
    ``status`` forces an HTTP error status for every request.
    """

    def __init__(self):
        self.requests = []
        self.codes = {}  # verification sid -> code
        self.status = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {
                    key: values[0]
                    for key, values in parse_qs(self.rfile.read(length).decode()).items()
                }
                auth = self.headers.get("Authorization", "").removeprefix("Basic ")
                user = base64.b64decode(auth).decode().split(":")[0] if auth else None
                fake.requests.append({"path": self.path, "form": form, "user": user})
                status, payload = fake.answer(self.path, form)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, path, form):
        if self.status:
            return self.status, {"code": 20500, "message": "Fake failure", "status": self.status}
        service = f"/v2/Services/{TWILIO_SERVICE_SID}"
        if path == f"{service}/Verifications":
            sid = "VE" + secrets.token_hex(16)
            self.codes[sid] = f"{secrets.randbelow(10**6):06d}"
            return 201, {"sid": sid, "to": form.get("To"), "status": "pending"}
        if path == f"{service}/VerificationCheck":
            sid = form.get("VerificationSid")
            if sid not in self.codes:
                return 404, {"code": 20404, "message": "Not found", "status": 404}
            approved = form.get("Code") == self.codes[sid]
            if approved:
                del self.codes[sid]
            return 200, {"sid": sid, "status": "approved" if approved else "pending"}
        if match := re.fullmatch(rf"{service}/Verifications/(VE\w+)", path):
            if self.codes.pop(match[1], None) is None:
                return 404, {"code": 20404, "message": "Not found", "status": 404}
            return 200, {"sid": match[1], "status": "canceled"}
        return 404, {"code": 20404, "message": "Not found", "status": 404}

    def last_code(self):
        return list(self.codes.values())[-1]


class ClinicAuthSmsCommon(TransactionCase):
    """A clinic in the United States with one patient, Jane Doe."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Challenge = cls.env["clinic.auth.sms.challenge"]
        cls.env.company.write({"name": "Test Clinic", "country_id": cls.env.ref("base.us").id})
        cls.ICP = cls.env["ir.config_parameter"].sudo()
        cls.ICP.set_param("clinic_auth_sms.provider", "sms")
        cls.ICP.set_param("clinic_auth_sms.ip_hourly_limit", 10)
        cls.patient = cls.env["res.partner"].create(
            {
                "name": "Jane Doe",
                "phone": "+1 201-555-0101",
                "is_clinic_patient": True,
            }
        )
        cls.phone = "+12015550101"
        cls.user_employee = new_test_user(cls.env, login="test_clinic_employee")

    def request_code(self, phone="(201) 555-0101", last_name="Doe", ip="198.51.100.7"):
        challenge, errors = self.Challenge._request_code(phone, last_name, ip)
        self.env.flush_all()
        return challenge, errors

    def refusal(self, challenge, code):
        """The refusal of ``code``, with what it wrote kept.

        Not ``assertRaises``: Odoo's rolls back to a savepoint, and the
        counting of wrong codes is what is tested.
        """
        try:
            self.authenticate(challenge, code)
        except ClinicAuthSmsError as e:
            return e
        return self.fail(f"code {code!r} was accepted")

    def sms_of(self, challenge):
        return challenge.sudo().sms_id

    def code_of(self, challenge):
        """The code in the SMS of ``challenge``, as the patient reads it."""
        return re.search(r"\b(\d{6})\b", self.sms_of(challenge).body)[1]

    def credential(self, challenge, code):
        """The credential the code page gives to ``session.authenticate``."""
        return {
            "type": "clinic_sms",
            "login": None,
            "clinic_sms_token": challenge.sudo().token,
            "clinic_sms_code": code,
        }

    def authenticate(self, challenge, code, credential=None):
        """Log in as a patient would: ``res.users.authenticate`` with the credential."""
        credential = credential or self.credential(challenge, code)
        return self.env["res.users"].authenticate(credential, {"interactive": True})

    @contextlib.contextmanager
    def mock_twilio(self):
        """Configure Twilio Verify and point the real ``twilio`` client at a
        :class:`FakeTwilio` server started on 127.0.0.1 for the test."""
        self.ICP.set_param("clinic_auth_sms.provider", "twilio_verify")
        self.ICP.set_param("clinic_auth_sms.twilio_account_sid", TWILIO_ACCOUNT_SID)
        self.ICP.set_param("clinic_auth_sms.twilio_auth_token", "test-token")
        self.ICP.set_param("clinic_auth_sms.twilio_verify_service_sid", TWILIO_SERVICE_SID)
        fake = FakeTwilio()
        fake.thread.start()
        get_client = ClinicAuthSmsChallenge._get_twilio_client

        def _get_twilio_client(challenge):
            client = get_client(challenge)
            # the Verify domain is https://verify.twilio.com in production
            client.verify.base_url = fake.url
            return client

        try:
            with patch.object(ClinicAuthSmsChallenge, "_get_twilio_client", _get_twilio_client):
                yield fake
        finally:
            fake.server.shutdown()
            fake.server.server_close()
