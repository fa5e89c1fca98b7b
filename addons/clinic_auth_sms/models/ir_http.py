import logging
import time

from werkzeug.exceptions import abort

from odoo import api, models
from odoo.http import request

_logger = logging.getLogger(__name__)

# Server session keys: the record of a patient session; a one-time message
# for the patient login pages.
SESSION_KEY = "clinic_auth_sms"
NOTICE_KEY = "clinic_auth_sms_notice"
# Seconds between two updates of the last activity: a page making many
# requests does not rewrite its session file on every one of them.
ACTIVITY_RESOLUTION = 10
DEFAULT_IDLE_MINUTES = 30


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _authenticate(cls, endpoint):
        if cls._clinic_auth_sms_check_idle():
            cls._clinic_auth_sms_redirect_idle(endpoint)
        return super()._authenticate(endpoint)

    @classmethod
    def _clinic_auth_sms_redirect_idle(cls, endpoint):
        """Send a patient just logged out for idleness to the patient login
        page (not the staff's) when the page they asked for needs a user."""
        routing = endpoint.routing
        if (
            routing.get("type") == "http"
            and routing.get("auth") == "user"
            and request.httprequest.method == "GET"
        ):
            abort(
                request.redirect_query(
                    "/patient/login", {"redirect": request.httprequest.full_path}
                )
            )

    @classmethod
    def _clinic_auth_sms_start_session(cls, uid):
        """Record in the server session who logged in by SMS code, and when.

        The session keeps the user, the time of authentication and the time
        of last activity (seconds since the epoch); a patient session idle
        for longer than the configured limit is logged out.
        """
        now = time.time()
        request.session[SESSION_KEY] = {
            "uid": uid,
            "authenticated_at": now,
            "last_activity_at": now,
        }

    @classmethod
    def _clinic_auth_sms_get_idle_limit(cls):
        """The idle limit of patient sessions in seconds (0: no limit)."""
        ICP = request.env["ir.config_parameter"].sudo()
        try:
            minutes = int(
                ICP.get_param("clinic_auth_sms.idle_timeout_minutes", DEFAULT_IDLE_MINUTES)
            )
        except ValueError:
            minutes = DEFAULT_IDLE_MINUTES
        return max(minutes, 0) * 60

    @classmethod
    def _clinic_auth_sms_check_idle(cls):
        """Log out a patient session idle for too long, else note its activity.

        :return: whether the session was logged out
        """
        session = request.session
        data = session.get(SESSION_KEY)
        if not data:
            return False
        if session.uid != data.get("uid"):
            # the code was right but a second factor is still to be given
            if session.uid is None and session.get("pre_uid") == data.get("uid"):
                return False
            # logged out, or logged in as someone else since
            del session[SESSION_KEY]
            return False
        now = time.time()
        idle = now - data.get("last_activity_at", 0)
        limit = cls._clinic_auth_sms_get_idle_limit()
        if limit and idle > limit:
            _logger.info(
                "Patient login: session of user %s logged out after %d minutes idle",
                session.uid,
                idle // 60,
            )
            session.logout(keep_db=True)
            # the request goes on as a visitor's (as Odoo does for a session
            # whose token no longer matches)
            request.env = api.Environment(request.env.cr, None, session.context)
            session[NOTICE_KEY] = {
                "type": "info",
                "message": request.env._(
                    "You were logged out after %(minutes)s minutes without activity. "
                    "Please log in again.",
                    minutes=limit // 60,
                ),
            }
            return True
        if idle >= ACTIVITY_RESOLUTION:
            session[SESSION_KEY] = {**data, "last_activity_at": now}
        return False
