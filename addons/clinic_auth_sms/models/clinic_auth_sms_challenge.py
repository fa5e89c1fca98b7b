import logging
import math
import re
import secrets
from datetime import timedelta

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

from odoo import api, fields, models
from odoo.exceptions import AccessDenied
from odoo.tools import SQL, consteq
from odoo.tools.misc import hmac

_logger = logging.getLogger(__name__)

PHONE_MAX_LENGTH = 32
LAST_NAME_MAX_LENGTH = 100
CODE_PATTERN = re.compile(r"\d{6}")
TWILIO_TIMEOUT = 10
TWILIO_BATCH_SIZE = 50


class ClinicAuthSmsError(AccessDenied):
    """A login code was refused.

    The message is meant for the patient; ``restart`` tells them to start
    over from their phone number (the code can no longer be used).
    """

    def __init__(self, message, restart=False):
        super().__init__(message)
        self.restart = restart


class ClinicAuthSmsChallenge(models.Model):
    """One login code asked for on the patient login page.

    A challenge is created for every accepted request, whether or not a
    patient has the phone number and last name that were typed: the page and
    the limits behave the same either way, so that nobody learns who is a
    patient. Only a challenge with a patient gets a code, sent by SMS.

    The phone number and the IP address are kept as keyed hashes (enough to
    count requests), the code as a keyed hash too (Twilio Verify keeps its own
    codes). All limits are counted here, in the database, so that every
    worker sees the same counts.
    """

    _name = "clinic.auth.sms.challenge"
    _description = "Patient Login Code"
    _order = "requested_at desc, id desc"

    # The limits of seed 001 ("1 minute before resending, 3 tries within an
    # hour"), NIST SP 800-63B 5.1.3 and OWASP ASVS 2.7. Per-IP: a setting.
    _code_validity = timedelta(minutes=5)
    _max_wrong_codes = 5
    _resend_delay = timedelta(seconds=60)
    _max_sends_per_phone = 3
    _send_window = timedelta(hours=1)

    token = fields.Char(required=True, readonly=True, copy=False, groups=fields.NO_ACCESS)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Patient",
        readonly=True,
        ondelete="cascade",
        index="btree_not_null",
        help="Empty when no patient has the phone number and last name that were typed: "
        "then no SMS was sent.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Logged In As",
        readonly=True,
        ondelete="cascade",
        help="The user this code logged in.",
    )
    phone_hash = fields.Char(required=True, readonly=True, groups=fields.NO_ACCESS)
    ip_hash = fields.Char(readonly=True, groups=fields.NO_ACCESS)
    code_hash = fields.Char(readonly=True, copy=False, groups=fields.NO_ACCESS)
    lang = fields.Char(string="Language", readonly=True)
    provider = fields.Selection(
        [("sms", "Odoo SMS"), ("twilio_verify", "Twilio Verify")],
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [
            ("pending", "Waiting for the Code"),
            ("verified", "Code Accepted"),
            ("used", "Logged In"),
            ("replaced", "Replaced by a New Code"),
            ("blocked", "Too Many Wrong Codes"),
        ],
        default="pending",
        required=True,
        readonly=True,
    )
    requested_at = fields.Datetime(required=True, readonly=True)
    expires_at = fields.Datetime(required=True, readonly=True)
    used_at = fields.Datetime(readonly=True)
    failure_count = fields.Integer(string="Wrong Codes", default=0, readonly=True)
    sms_id = fields.Many2one("sms.sms", string="SMS", readonly=True, ondelete="set null")
    twilio_state = fields.Selection(
        [
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        readonly=True,
        index="btree_not_null",
    )
    twilio_verification_sid = fields.Char(readonly=True, copy=False)

    _token_uniq = models.Constraint("UNIQUE(token)", "Login code tokens must be unique.")
    _phone_requested_idx = models.Index("(phone_hash, requested_at)")
    _ip_requested_idx = models.Index("(ip_hash, requested_at)")

    @api.depends("partner_id")
    def _compute_display_name(self):
        for challenge in self:
            challenge.display_name = (
                self.env._("Login code for %(patient)s", patient=challenge.partner_id.name)
                if challenge.partner_id
                else self.env._("Login code for an unknown number")
            )

    # ------------------------------------------------------------
    # SENDING
    # ------------------------------------------------------------

    @api.model
    def _request_code(self, phone, last_name, remote_addr=None):
        """Start a patient login from what was typed on the login page.

        Checks the form, applies the sending limits, and sends a code by SMS
        when a patient has this phone number and this last name. The outcome
        is the same whether or not there is such a patient.

        :param str phone: the phone number as typed, read as a number of the
            company's country unless it starts with a country code
        :param str last_name: the last name as typed
        :param str remote_addr: the IP address of the request, for its limit
        :return: ``(challenge, errors)``: the new challenge, or nothing and a
            message per field (``phone``, ``last_name``) or for the whole
            form (``form``)
        """
        values, errors = self._parse_login_form(phone, last_name)
        if errors:
            return self.browse(), errors
        phone_hash = self._hash("phone", values["phone"])
        ip_hash = remote_addr and self._hash("ip", remote_addr)
        if error := self._check_send_limits(phone_hash, ip_hash):
            return self.browse(), {"form": error}
        patient = self.env["res.partner"]._clinic_auth_sms_find_patient(
            values["phone"], values["last_name"]
        )
        return self._create_challenge(patient, phone_hash, ip_hash), {}

    def _resend(self, remote_addr=None):
        """Send a new code for this challenge's phone number.

        The new code replaces this one, under the same limits as a first send.

        :return: ``(challenge, error)``: the new challenge, or nothing and a
            message for the patient
        """
        self.ensure_one()
        if self.state != "pending":
            return self.browse(), self.env._("This code can no longer be used. Please start again.")
        ip_hash = remote_addr and self._hash("ip", remote_addr)
        if error := self._check_send_limits(self.phone_hash, ip_hash):
            return self.browse(), error
        patient = self.partner_id.filtered(lambda p: p.active and p.is_clinic_patient)
        return self.with_company(self.company_id)._create_challenge(
            patient, self.phone_hash, ip_hash
        ), False

    @api.model
    def _parse_login_form(self, phone, last_name):
        """Validate and normalise the login form.

        :return: ``(values, errors)``: ``phone`` in E.164 and a tidy
            ``last_name``, and a message per field that is wrong
        """
        values, errors = {}, {}
        # a form field sent as a file upload is no text: as if left empty
        phone = (phone if isinstance(phone, str) else "").strip()
        if not phone:
            errors["phone"] = self.env._("Please enter your phone number.")
        elif len(phone) > PHONE_MAX_LENGTH or not (number := self._normalize_phone(phone)):
            errors["phone"] = self.env._(
                "This phone number is not valid. Please check it, or type it with your "
                "country code, starting with +."
            )
        else:
            values["phone"] = number

        last_name = re.sub(r"\s+", " ", last_name if isinstance(last_name, str) else "").strip()
        if not last_name:
            errors["last_name"] = self.env._("Please enter your last name.")
        elif len(last_name) > LAST_NAME_MAX_LENGTH:
            errors["last_name"] = self.env._(
                "Your last name is too long: %(max)s characters at most.",
                max=LAST_NAME_MAX_LENGTH,
            )
        elif not any(c.isalpha() for c in last_name):
            errors["last_name"] = self.env._("Please enter your last name with letters.")
        else:
            values["last_name"] = last_name
        return values, errors

    @api.model
    def _normalize_phone(self, number):
        """``number`` in E.164, or False when it is not a valid phone number.

        A number without country code is read as a number of the current
        company's country, as ``phone_validation`` does for contacts.
        """
        return self.env["res.partner"]._phone_format(
            number=number, country=self.env.company.country_id, force_format="E164"
        )

    @api.model
    def _hash(self, scope, value):
        """A keyed hash (HMAC-SHA256 with the database secret) of ``value``."""
        return hmac(self.env(su=True), f"clinic_auth_sms.{scope}", value)

    @api.model
    def _get_ip_hourly_limit(self):
        ICP = self.env["ir.config_parameter"].sudo()
        try:
            return int(ICP.get_param("clinic_auth_sms.ip_hourly_limit", 10))
        except ValueError:
            return 10

    @api.model
    def _check_send_limits(self, phone_hash, ip_hash):
        """Return why no code may be sent now for this phone (or IP), or False.

        Requests for the same phone number are serialized by a lock taken
        first, so that two requests at the same instant cannot both pass the
        hourly limit: the second one waits, then fails with a serialization
        error and Odoo retries it with the first one's challenge counted.
        """
        now = fields.Datetime.now()
        self.env["clinic.auth.sms.lock"]._lock(f"phone:{phone_hash}")
        self.flush_model(["phone_hash", "ip_hash", "requested_at"])
        self.env.cr.execute(
            SQL(
                """
                SELECT COUNT(*) FILTER (WHERE phone_hash = %(phone)s),
                       MIN(requested_at) FILTER (WHERE phone_hash = %(phone)s),
                       MAX(requested_at) FILTER (WHERE phone_hash = %(phone)s),
                       COUNT(*) FILTER (WHERE ip_hash = %(ip)s)
                  FROM clinic_auth_sms_challenge
                 WHERE (phone_hash = %(phone)s OR ip_hash = %(ip)s)
                   AND requested_at > %(since)s
                """,
                phone=phone_hash,
                ip=ip_hash or None,
                since=now - self._send_window,
            )
        )
        phone_count, first_at, last_at, ip_count = self.env.cr.fetchone()
        if last_at and now < last_at + self._resend_delay:
            seconds = math.ceil((last_at + self._resend_delay - now).total_seconds())
            return self.env._(
                "Please wait %(seconds)s seconds before asking for a new code.", seconds=seconds
            )
        if phone_count >= self._max_sends_per_phone:
            minutes = math.ceil((first_at + self._send_window - now).total_seconds() / 60)
            return self.env._(
                "We have already sent %(count)s codes to this number in the last hour. "
                "Please try again in %(minutes)s minutes.",
                count=phone_count,
                minutes=minutes,
            )
        ip_limit = self._get_ip_hourly_limit()
        if ip_hash and 0 < ip_limit <= ip_count:
            return self.env._(
                "Too many codes were asked for from your connection. Please try again later."
            )
        return False

    @api.model
    def _create_challenge(self, patient, phone_hash, ip_hash):
        """Create a challenge and send its code to ``patient`` (when there is one).

        Every code still waiting for this phone number is replaced: only the
        latest code sent to a number can be used. The code leaves through a
        queue that only sends what was committed (``sms.sms`` or the Twilio
        Verify job), never from this transaction.
        """
        now = fields.Datetime.now()
        self.flush_model(["phone_hash", "state"])
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_auth_sms_challenge SET state = 'replaced', write_date = %s,"
                " write_uid = %s WHERE phone_hash = %s AND state = 'pending' RETURNING id",
                now,
                self.env.uid,
                phone_hash,
            )
        )
        self.browse(id_ for (id_,) in self.env.cr.fetchall()).invalidate_recordset(["state"])
        provider = self._get_provider()
        lang = patient.lang or self.env.lang or "en_US"
        values = {
            "token": secrets.token_urlsafe(32),
            "company_id": self.env.company.id,
            "partner_id": patient.id,
            "phone_hash": phone_hash,
            "ip_hash": ip_hash,
            "lang": lang,
            "provider": provider,
            "requested_at": now,
            "expires_at": now + self._code_validity,
        }
        if patient and provider == "sms":
            # secrets: a code from the operating system's cryptographic source
            code = f"{secrets.randbelow(10**6):06d}"
            values["code_hash"] = self._hash("code", (values["token"], code))
            values["sms_id"] = self.with_context(lang=lang)._queue_sms(patient, code).id
        elif patient:
            values["twilio_state"] = "queued"
            self.env.ref("clinic_auth_sms.ir_cron_send_twilio_verifications")._trigger()
        challenge = self.create(values)
        _logger.info(
            "Patient login: challenge %s created (%s)",
            challenge.id,
            "code queued" if patient else "no matching patient, nothing sent",
        )
        return challenge

    @api.model
    def _get_provider(self):
        return self.env["ir.config_parameter"].sudo().get_param("clinic_auth_sms.provider") or "sms"

    @api.model
    def _get_sms_body(self, code):
        """The text of the login SMS, in the language of the context."""
        return self.env._(
            "%(code)s is your login code for %(company)s. It expires in %(minutes)s minutes. "
            "Never share it with anyone.",
            code=code,
            company=self.env.company.name,
            minutes=int(self._code_validity.total_seconds() // 60),
        )

    @api.model
    def _queue_sms(self, patient, code):
        """Put the login SMS in Odoo's SMS queue; its cron sends it after commit."""
        values = {
            "number": patient.phone_sanitized,
            "partner_id": patient.id,
            "body": self._get_sms_body(code),
        }
        SmsSudo = self.env["sms.sms"].sudo()
        if "record_company_id" in SmsSudo._fields:
            # sms_twilio picks each company's own SMS provider through this field
            values["record_company_id"] = self.env.company.id
        # sudo: sms.sms - the SMS queue is for administrators only
        return SmsSudo.create(values)

    # ------------------------------------------------------------
    # TWILIO VERIFY
    # ------------------------------------------------------------

    def _get_twilio_client(self):
        """A Twilio REST client of the configured account (nothing is sent yet)."""
        ICP = self.env["ir.config_parameter"].sudo()
        return TwilioClient(
            ICP.get_param("clinic_auth_sms.twilio_account_sid"),
            ICP.get_param("clinic_auth_sms.twilio_auth_token"),
            http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT),
        )

    def _get_twilio_service(self):
        service_sid = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_auth_sms.twilio_verify_service_sid")
        )
        return self._get_twilio_client().verify.v2.services(service_sid)

    @api.model
    def _cron_send_twilio_verifications(self):
        """Send the queued codes through Twilio Verify, committing after each."""
        domain = [("twilio_state", "=", "queued")]
        challenges = self.search(domain, order="id", limit=TWILIO_BATCH_SIZE)
        for challenge in challenges.try_lock_for_update():
            challenge._send_twilio_verification()
            self.env["ir.cron"]._commit_progress(1)
        if len(challenges) == TWILIO_BATCH_SIZE:
            self.env["ir.cron"]._commit_progress(remaining=self.search_count(domain))

    def _send_twilio_verification(self):
        """Ask Twilio Verify to text a code to this challenge's patient.

        Twilio re-sends the same code while a verification is pending, so the
        verification of a replaced code is cancelled first: a new code really
        is new. A code that expired while queued is not sent.
        """
        self.ensure_one()
        if self.state != "pending" or fields.Datetime.now() >= self.expires_at:
            self.twilio_state = "cancelled"
            return
        service = self._get_twilio_service()
        replaced = self.search(
            [
                ("partner_id", "=", self.partner_id.id),
                ("state", "=", "replaced"),
                ("twilio_state", "=", "sent"),
            ]
        )
        for old in replaced:
            try:
                service.verifications(old.twilio_verification_sid).update(status="canceled")
            except (TwilioException, requests.RequestException) as e:
                # a 404: already expired, approved or cancelled at Twilio
                if not (isinstance(e, TwilioRestException) and e.status == 404):
                    _logger.warning(
                        "Twilio Verify: could not cancel the code of challenge %s (%s)",
                        old.id,
                        _twilio_error(e),
                    )
            old.twilio_state = "cancelled"
        try:
            verification = service.verifications.create(
                to=self.partner_id.phone_sanitized,
                channel="sms",
                locale=(self.lang or "en").split("_")[0],
            )
        except (TwilioException, requests.RequestException) as e:
            _logger.warning(
                "Twilio Verify: could not send the code of challenge %s (%s)",
                self.id,
                _twilio_error(e),
            )
            self.twilio_state = "failed"
            return
        self.write({"twilio_state": "sent", "twilio_verification_sid": verification.sid})

    def _check_code_twilio_verify(self, code):
        self.ensure_one()
        if not self.twilio_verification_sid:
            return False
        try:
            check = self._get_twilio_service().verification_checks.create(
                verification_sid=self.twilio_verification_sid, code=code
            )
        except (TwilioException, requests.RequestException) as e:
            if isinstance(e, TwilioRestException) and e.status == 404:
                return False  # expired, approved or cancelled at Twilio
            _logger.warning(
                "Twilio Verify: could not check the code of challenge %s (%s)",
                self.id,
                _twilio_error(e),
            )
            raise ClinicAuthSmsError(
                self.env._("We could not check your code right now. Please try again.")
            ) from None
        return check.status == "approved"

    # ------------------------------------------------------------
    # VERIFYING
    # ------------------------------------------------------------

    @api.model
    def _get_by_token(self, token):
        """The challenge of ``token`` (kept in the patient's server session)."""
        if not token or not isinstance(token, str):
            return self.browse()
        return self.search([("token", "=", token)], limit=1)

    def _get_resend_delay(self):
        """Seconds before a new code may be asked for this challenge."""
        self.ensure_one()
        remaining = self.requested_at + self._resend_delay - fields.Datetime.now()
        return max(0, math.ceil(remaining.total_seconds()))

    def _lock_for_update(self):
        """Take the challenge's row lock and return its current counters.

        An UPDATE rather than a SELECT ... FOR UPDATE, as in
        ``clinic.meeting``: under REPEATABLE READ, a transaction that waited
        for a concurrent verification to commit then fails with a
        serialization error, and Odoo retries it with fresh data. Two
        requests with the same code at the same instant therefore see the
        code one after the other, and only the first one logs in.
        """
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_auth_sms_challenge SET write_date = %s"
                " WHERE id = %s RETURNING state, failure_count, expires_at",
                fields.Datetime.now(),
                self.id,
            )
        )
        row = self.env.cr.fetchone()
        self.invalidate_recordset()
        return row

    def _check_code(self, code):
        self.ensure_one()
        if self.provider == "twilio_verify":
            return self._check_code_twilio_verify(code)
        expected = self._hash("code", (self.token, code))
        return bool(self.code_hash) and consteq(expected, self.code_hash)

    def _verify_code(self, code):
        """Check ``code`` once; on success return the patient's user.

        The user is created on the patient's first login. Every wrong code
        counts; after ``_max_wrong_codes`` of them the challenge is blocked.

        :raise ClinicAuthSmsError: when the code is refused; ``restart`` is
            set when the patient must start again from their phone number
        """
        self.ensure_one()
        state, failure_count, expires_at = self._lock_for_update()
        failure_count = failure_count or 0
        now = fields.Datetime.now()
        if state != "pending":
            raise ClinicAuthSmsError(
                self.env._("This code can no longer be used. Please start again."), restart=True
            )
        if now >= expires_at:
            raise ClinicAuthSmsError(self.env._("This code has expired. Please ask for a new one."))
        code = re.sub(r"\s+", "", code or "")
        if not CODE_PATTERN.fullmatch(code):
            raise ClinicAuthSmsError(self.env._("Please enter the 6 digits of the code."))
        if not (self.partner_id and self._check_code(code)):
            failure_count += 1
            blocked = failure_count >= self._max_wrong_codes
            self.write({"failure_count": failure_count, "state": "blocked" if blocked else state})
            _logger.info(
                "Patient login: wrong code for challenge %s (%s of %s)",
                self.id,
                failure_count,
                self._max_wrong_codes,
            )
            if blocked:
                raise ClinicAuthSmsError(
                    self.env._("Too many wrong codes. Please start again."), restart=True
                )
            raise ClinicAuthSmsError(
                self.env._(
                    "This code is not right. Please check it and try again (%(count)s tries left).",
                    count=self._max_wrong_codes - failure_count,
                )
            )
        user = self.partner_id._clinic_auth_sms_get_user(self.company_id)
        if not user:
            self.write({"state": "verified", "used_at": now})
            _logger.info("Patient login: challenge %s refused, the account cannot log in", self.id)
            raise ClinicAuthSmsError(
                self.env._("Your account cannot log in with a code. Please contact the clinic."),
                restart=True,
            )
        self.write({"state": "verified", "user_id": user.id, "used_at": now})
        return user

    @api.model
    def _redeem(self, token, user):
        """Turn the verified challenge of ``token`` into ``user``'s login, once.

        :return: whether there was such a challenge
        """
        self.flush_model(["state", "user_id"])
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_auth_sms_challenge SET state = 'used'"
                " WHERE token = %s AND state = 'verified' AND user_id = %s RETURNING id",
                token,
                user.id,
            )
        )
        redeemed = self.env.cr.fetchone()
        if redeemed:
            self.browse(redeemed[0]).invalidate_recordset(["state"])
        return bool(redeemed)

    # ------------------------------------------------------------
    # CLEANING
    # ------------------------------------------------------------

    @api.autovacuum
    def _gc_challenges(self):
        """Remove the SMS texts of expired codes, and challenges after 30 days."""
        now = fields.Datetime.now()
        expired = self.search([("expires_at", "<", now), ("sms_id", "!=", False)])
        # sudo: sms.sms - the queue is for administrators only; these texts
        # hold codes that can no longer be used
        expired.sms_id.sudo().unlink()
        self.search([("requested_at", "<", now - timedelta(days=30))]).unlink()


def _twilio_error(exception):
    """What to log about a Twilio error: never its message, which may hold
    the phone number."""
    if isinstance(exception, TwilioRestException):
        return f"HTTP {exception.status}, Twilio error {exception.code}"
    return type(exception).__name__
