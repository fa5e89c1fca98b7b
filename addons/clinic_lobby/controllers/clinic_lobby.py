import logging

from odoo import http
from odoo.http import request

from odoo.addons.clinic_meeting.tools import private_response
from odoo.addons.mail.tools.discuss import add_guest_to_context

_logger = logging.getLogger(__name__)

# The check-in keys given to a browser session (the last few forms it opened).
SESSION_KEYS = "clinic_lobby_check_in_keys"
MAX_SESSION_KEYS = 10


class ClinicLobbyController(http.Controller):
    """Public pages of a lobby: check in, wait, leave. No account needed.

    A visitor is known by the ``mail.guest`` cookie set at check-in; a meeting
    page answers only to the guest who is its patient.
    """

    def _get_lobby_sudo(self, lobby_slug):
        # sudo: clinic.lobby - the slug is public; only active lobbies are found
        return request.env["clinic.lobby"].sudo()._get_by_slug(lobby_slug)

    def _render_check_in(self, lobby_sudo, values=None, errors=None, status=200):
        # The form's key recognises a double submission, and only from the
        # browser session that was given the form: a key copied elsewhere is
        # a new check-in, never a way into someone else's meeting.
        check_in_key = lobby_sudo._new_check_in_key()
        keys = request.session.get(SESSION_KEYS) or []
        request.session[SESSION_KEYS] = [*keys[-(MAX_SESSION_KEYS - 1) :], check_in_key]
        response = request.render(
            "clinic_lobby.lobby_check_in",
            {
                "lobby": lobby_sudo,
                "values": values or {},
                "errors": errors or {},
                "check_in_key": check_in_key,
            },
            status=status,
        )
        return private_response(response)

    def _own_check_in_key(self, check_in_key):
        """``check_in_key`` if this browser session was given it, else None."""
        if not isinstance(check_in_key, str) or not check_in_key:
            return None
        keys = request.session.get(SESSION_KEYS) or []
        return check_in_key if check_in_key in keys else None

    @http.route(
        "/lobby/<string:lobby_slug>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def lobby_check_in(self, lobby_slug, **kwargs):
        """The check-in form; a visitor already waiting here goes to their meeting."""
        lobby_sudo = self._get_lobby_sudo(lobby_slug)
        if not lobby_sudo:
            raise request.not_found()
        guest = request.env["mail.guest"]._get_guest_from_context()
        if meeting_sudo := lobby_sudo._get_active_meeting(guest):
            return request.redirect(f"/lobby/{lobby_sudo.slug}/meeting/{meeting_sudo.id}")
        return self._render_check_in(lobby_sudo)

    @http.route(
        "/lobby/<string:lobby_slug>/check-in",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def lobby_check_in_submit(
        self, lobby_slug, name="", birthdate="", check_in_key="", csrf_token="", **kwargs
    ):
        """Check the visitor in and send them to their meeting.

        CSRF is checked here rather than by the route so that a stale or
        forged token gets the form back with a message instead of an error
        page; nothing is created without a valid token.
        """
        lobby_sudo = self._get_lobby_sudo(lobby_slug)
        if not lobby_sudo:
            raise request.not_found()
        values = {"name": name, "birthdate": birthdate}
        if not request.validate_csrf(csrf_token):
            _logger.info("Lobby check-in refused: invalid CSRF token")
            errors = {"form": request.env._("This form has expired. Please check in again.")}
            return self._render_check_in(lobby_sudo, values, errors, status=400)
        guest = request.env["mail.guest"]._get_guest_from_context()
        meeting_sudo, errors = lobby_sudo._check_in(
            name, birthdate, guest=guest, check_in_key=self._own_check_in_key(check_in_key)
        )
        if errors:
            return self._render_check_in(lobby_sudo, values, errors, status=400)
        patient_guest_sudo = meeting_sudo.patient_participant_id.guest_id
        if patient_guest_sudo != guest:
            patient_guest_sudo._set_auth_cookie()
        return request.redirect(f"/lobby/{lobby_sudo.slug}/meeting/{meeting_sudo.id}")

    def _get_own_meeting_sudo(self, lobby_slug, meeting_id):
        """The lobby and the visitor's own meeting in it; a 404 for anyone else."""
        lobby_sudo = self._get_lobby_sudo(lobby_slug)
        guest = request.env["mail.guest"]._get_guest_from_context()
        # sudo: clinic.meeting - _get_for_guest returns the meeting only when
        # the cookie's guest is its patient
        meeting_sudo = request.env["clinic.meeting"].sudo()._get_for_guest(meeting_id, guest)
        if not lobby_sudo or not meeting_sudo or meeting_sudo.lobby_id != lobby_sudo:
            raise request.not_found()
        return lobby_sudo, meeting_sudo

    @http.route(
        "/lobby/<string:lobby_slug>/meeting/<int:meeting_id>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def lobby_meeting(self, lobby_slug, meeting_id, **kwargs):
        """The patient's meeting page: waiting room, then the visit."""
        lobby_sudo, meeting_sudo = self._get_own_meeting_sudo(lobby_slug, meeting_id)
        request.env["clinic.audit.log"]._log("opened", meeting_sudo)
        response = request.render(
            "clinic_lobby.lobby_meeting",
            {
                "lobby": lobby_sudo,
                "meeting": meeting_sudo,
                "patient": meeting_sudo.patient_participant_id,
                "status_props": {
                    "statusUrl": f"/lobby/{lobby_sudo.slug}/meeting/{meeting_sudo.id}/status",
                    "channel": meeting_sudo._patient_bus_channel(),
                    "state": meeting_sudo.state,
                },
                "video_props": {
                    "meetingId": meeting_sudo.id,
                    "role": "patient",
                    "busChannel": meeting_sudo._patient_bus_channel(),
                    "leaveUrl": f"/lobby/{lobby_sudo.slug}/meeting/{meeting_sudo.id}/leave",
                },
            },
        )
        return private_response(response)

    @http.route(
        "/lobby/<string:lobby_slug>/meeting/<int:meeting_id>/status",
        type="jsonrpc",
        auth="public",
        readonly=True,
    )
    @add_guest_to_context
    def lobby_meeting_status(self, lobby_slug, meeting_id):
        """State of the patient's own meeting, for their page to follow live."""
        _lobby_sudo, meeting_sudo = self._get_own_meeting_sudo(lobby_slug, meeting_id)
        return meeting_sudo._get_patient_status()

    @http.route(
        "/lobby/<string:lobby_slug>/meeting/<int:meeting_id>/leave",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def lobby_meeting_leave(self, lobby_slug, meeting_id, **kwargs):
        """The patient leaves the waiting room (or the visit)."""
        lobby_sudo, meeting_sudo = self._get_own_meeting_sudo(lobby_slug, meeting_id)
        meeting_sudo._leave_patient()
        return request.render("clinic_lobby.lobby_left", {"lobby": lobby_sudo})
