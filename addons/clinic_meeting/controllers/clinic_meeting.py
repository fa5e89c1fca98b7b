from odoo import http
from odoo.http import request

from odoo.addons.mail.tools.discuss import add_guest_to_context


class ClinicMeetingController(http.Controller):
    """The video call of a meeting, for its participants' pages.

    The caller is known by their persona: the logged-in user's partner (a
    pro, or a patient with an account) or the ``mail.guest`` cookie of an
    anonymous patient. Anyone who is not a participant of the meeting gets a
    404, whatever the id. Signalling and leaving use Discuss's own routes
    (``/mail/rtc/session/notify_call_members``, ``/mail/rtc/channel/leave_call``).
    """

    def _get_participant_sudo(self, meeting_id):
        partner, guest = request.env["res.partner"]._get_current_persona()
        # sudo: clinic.meeting - anonymous patients have no access rights; the
        # persona (user's partner or guest cookie) must be a participant.
        meeting_sudo = request.env["clinic.meeting"].sudo().browse(meeting_id).exists()
        if not meeting_sudo or not (partner or guest):
            raise request.not_found()
        participant_sudo = meeting_sudo._call_get_participant(partner, guest, active=False)
        if not participant_sudo:
            raise request.not_found()
        return participant_sudo

    @http.route(
        "/clinic/meeting/<int:meeting_id>/call/join",
        type="jsonrpc",
        auth="public",
        methods=["POST"],
    )
    @add_guest_to_context
    def call_join(self, meeting_id):
        """Enter the meeting's call (again, after a reload); see ``_call_join``."""
        participant_sudo = self._get_participant_sudo(meeting_id)
        return participant_sudo.meeting_id._call_join(participant_sudo)

    @http.route(
        "/clinic/meeting/<int:meeting_id>/call/ping",
        type="jsonrpc",
        auth="public",
        methods=["POST"],
    )
    @add_guest_to_context
    def call_ping(self, meeting_id, session_id=None):
        """Keep the caller's session alive and tell who is in the call."""
        participant_sudo = self._get_participant_sudo(meeting_id)
        session_id = session_id if isinstance(session_id, int) else 0
        return participant_sudo.meeting_id._call_ping(participant_sudo, session_id)
