import logging

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from odoo.addons.web.controllers.utils import _get_login_redirect_url

from ..models.clinic_auth_sms_challenge import ClinicAuthSmsError
from ..models.ir_http import NOTICE_KEY
from ..models.res_users import CREDENTIAL_TYPE

_logger = logging.getLogger(__name__)

# Server session keys: the pending challenge (its token, never sent to the
# browser) and where to go once logged in.
CHALLENGE_KEY = "clinic_auth_sms_challenge"
REDIRECT_KEY = "clinic_auth_sms_redirect"
DEFAULT_REDIRECT = "/my"


class ClinicAuthSmsController(http.Controller):
    """The patient login pages: phone number and last name, then the code.

    CSRF is checked in the POST routes themselves rather than by the route
    (``csrf=False``), so that a stale form gets a message and the form again
    instead of an error page; nothing is done without a valid token.
    """

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get_challenge_sudo(self):
        # sudo: clinic.auth.sms.challenge - visitors have no access to
        # challenges; the token comes from their own server session
        return (
            request.env["clinic.auth.sms.challenge"]
            .sudo()
            ._get_by_token(request.session.get(CHALLENGE_KEY))
        )

    def _set_notice(self, message, notice_type="danger"):
        request.session[NOTICE_KEY] = {"type": notice_type, "message": message}

    @staticmethod
    def _local_path(redirect):
        """``redirect`` if it is a path of this site, else None."""
        if isinstance(redirect, str) and redirect.startswith("/") and not redirect.startswith("//"):
            return redirect
        return None

    def _redirect_after_login(self, uid=None):
        redirect = request.session.pop(REDIRECT_KEY, None) or DEFAULT_REDIRECT
        if uid is None:
            return request.redirect(redirect)
        return request.redirect(_get_login_redirect_url(uid, redirect))

    def _form_expired(self, url):
        _logger.info("Patient login: form refused, invalid CSRF token")
        self._set_notice(request.env._("This page had expired. Please try again."))
        return request.redirect(url)

    def _render(self, template, values):
        values["notice"] = request.session.pop(NOTICE_KEY, None)
        response = request.render(template, values)
        # The pages are about one person's login: never cache them.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _render_login(self, values=None, errors=None):
        country = request.env.company.country_id
        return self._render(
            "clinic_auth_sms.patient_login",
            {
                "values": values or {},
                "errors": errors or {},
                # Also sent back by the form: a request of the previous page
                # still running may save the session without it.
                "redirect": request.session.get(REDIRECT_KEY) or "",
                "phone_help": request.env._(
                    "Starting with + and the country code if it is not a number from %(country)s.",
                    country=country.name,
                )
                if country
                else request.env._("Starting with + and the country code."),
            },
        )

    # ------------------------------------------------------------
    # ROUTES
    # ------------------------------------------------------------

    @http.route(
        "/patient/login", type="http", auth="public", methods=["GET"], website=True, sitemap=False
    )
    def patient_login(self, redirect=None, **kwargs):
        """Step 1: the patient gives their phone number and last name.

        ``redirect`` is a local path to go to once logged in (default /my).
        """
        if redirect := self._local_path(redirect):
            request.session[REDIRECT_KEY] = redirect
        if not request.env.user._is_public():
            return self._redirect_after_login()
        return self._render_login()

    @http.route(
        "/patient/login/send",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def patient_login_send(self, phone="", last_name="", csrf_token="", redirect=None, **kwargs):
        """Send a code when a patient has this phone number and last name.

        Whether or not there is such a patient, the visitor lands on the code
        page: the answer tells nobody who is a patient. CSRF is checked here
        (see the class).
        """
        if not request.validate_csrf(csrf_token):
            return self._form_expired("/patient/login")
        # sudo: clinic.auth.sms.challenge - see _get_challenge_sudo
        challenge_sudo, errors = (
            request.env["clinic.auth.sms.challenge"]
            .sudo()
            ._request_code(phone, last_name, request.httprequest.remote_addr)
        )
        if errors:
            return self._render_login({"phone": phone, "last_name": last_name}, errors)
        request.session[CHALLENGE_KEY] = challenge_sudo.token
        if redirect := self._local_path(redirect):
            request.session[REDIRECT_KEY] = redirect
        return request.redirect("/patient/login/code")

    @http.route(
        "/patient/login/code",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def patient_login_code(self, **kwargs):
        """Step 2: the patient types the code; a new one can be asked for
        once the countdown is over."""
        if not request.env.user._is_public():
            return self._redirect_after_login()
        challenge_sudo = self._get_challenge_sudo()
        if not challenge_sudo or challenge_sudo.state != "pending":
            return request.redirect("/patient/login")
        return self._render(
            "clinic_auth_sms.patient_login_code",
            {
                "resend_delay": challenge_sudo._get_resend_delay(),
                "code_sent": request.env._(
                    "If this number belongs to a patient of %(company)s, we have sent a "
                    "6-digit code to it by SMS. The code is valid for %(minutes)s minutes.",
                    company=request.env.company.name,
                    minutes=int(challenge_sudo._code_validity.total_seconds() // 60),
                ),
            },
        )

    @http.route(
        "/patient/login/verify",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def patient_login_verify(self, code="", csrf_token="", **kwargs):
        """Check the code and log the patient in.

        A wrong code sends them back to the code page with a message; a code
        that can no longer be used (too many wrong codes, replaced) sends
        them back to step 1. CSRF is checked here (see the class).
        """
        if not request.validate_csrf(csrf_token):
            return self._form_expired("/patient/login/code")
        token = request.session.get(CHALLENGE_KEY)
        if not token:
            return request.redirect("/patient/login")
        credential = {
            "type": CREDENTIAL_TYPE,
            "login": None,  # set by res.users._login once the code is checked
            "clinic_sms_token": token,
            "clinic_sms_code": code[:32] if isinstance(code, str) else "",
        }
        try:
            auth_info = request.session.authenticate(request.env, credential)
        except ClinicAuthSmsError as e:
            self._set_notice(e.args[0])
            if e.restart:
                request.session.pop(CHALLENGE_KEY, None)
                return request.redirect("/patient/login")
            return request.redirect("/patient/login/code")
        except AccessDenied:
            request.session.pop(CHALLENGE_KEY, None)
            self._set_notice(request.env._("We could not log you in. Please start again."))
            return request.redirect("/patient/login")
        request.session.pop(CHALLENGE_KEY, None)
        request.env["ir.http"]._clinic_auth_sms_start_session(auth_info["uid"])
        return self._redirect_after_login(auth_info["uid"])

    @http.route(
        "/patient/login/resend",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def patient_login_resend(self, csrf_token="", **kwargs):
        """Send a new code to the same number; it replaces the previous one.

        CSRF is checked here (see the class).
        """
        if not request.validate_csrf(csrf_token):
            return self._form_expired("/patient/login/code")
        challenge_sudo = self._get_challenge_sudo()
        if not challenge_sudo:
            return request.redirect("/patient/login")
        new_challenge_sudo, error = challenge_sudo._resend(request.httprequest.remote_addr)
        if error:
            self._set_notice(error)
            if challenge_sudo.state != "pending":
                request.session.pop(CHALLENGE_KEY, None)
                return request.redirect("/patient/login")
            return request.redirect("/patient/login/code")
        request.session[CHALLENGE_KEY] = new_challenge_sudo.token
        self._set_notice(request.env._("We have sent you a new code."), "info")
        return request.redirect("/patient/login/code")
