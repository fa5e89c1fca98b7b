import base64
import json
import logging

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import UserError
from odoo.http import content_disposition, request
from odoo.tools import consteq

from odoo.addons.clinic_meeting.tools import private_response
from odoo.addons.mail.tools.discuss import add_guest_to_context

_logger = logging.getLogger(__name__)


class ClinicVisitController(http.Controller):
    """The pages of a one-to-one visit, ``/visit/<visit token>/<participant token>``.

    A wrong link is a 404, the same whatever is wrong in it; the real link of
    a destroyed or expired visit says that the visit ended (410) and shows
    nothing of it. A patient's link is bound to the first browser that opens
    it (a ``mail.guest`` of its own, in an httponly cookie); another browser
    waits for the pro to let it in. The pro's link needs the pro logged in.
    """

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get_participant_sudo(self, visit_token, participant_token):
        """The link's participant, or a 404."""
        participant_sudo = request.env["clinic.visit"]._get_participant_by_tokens(
            visit_token, participant_token
        )
        if not participant_sudo:
            raise request.not_found()
        return participant_sudo

    def _caller(self):
        user = request.env.user
        user = user if not user._is_public() else request.env["res.users"]
        return user, request.env["mail.guest"]._get_guest_from_context()

    def _get_caller_participant_sudo(self, visit_token, participant_token):
        """For the page's own calls: the participant, if the caller is them
        and the visit is live; a 404 otherwise."""
        participant_sudo = self._get_participant_sudo(visit_token, participant_token)
        if not participant_sudo.visit_id._is_live():
            raise request.not_found()
        user, guest = self._caller()
        if not participant_sudo._is_caller(user, guest):
            # The link is real but bound to another device (this one was let go).
            raise Forbidden()
        return participant_sudo

    def _render_ended(self):
        return private_response(request.render("clinic_visit.visit_ended", {}, status=410))

    def _room_props(self, participant_sudo):
        visit_sudo = participant_sudo.visit_id
        path = participant_sudo._get_path()
        # sudo: clinic.visit.device - the clinic's device list is public
        devices = request.env["clinic.visit.device"].sudo().search([])
        return {
            "basePath": path,
            "role": participant_sudo.role,
            "visitChannel": f"clinic.visit_{visit_sudo.token}_{participant_sudo.token}",
            "knownDevices": devices._public_values(),
        }

    # ------------------------------------------------------------
    # THE LINK
    # ------------------------------------------------------------

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def visit_page(self, visit_token, participant_token, **kwargs):
        """A participant's link: the visit, a wait for the pro's approval on a
        new device, or that the visit ended."""
        participant_sudo = self._get_participant_sudo(visit_token, participant_token)
        visit_sudo = participant_sudo.visit_id
        if not visit_sudo._is_live():
            return self._render_ended()
        user, guest = self._caller()
        values = {"visit": visit_sudo, "participant": participant_sudo}
        if participant_sudo.role == "pro":
            if not user:
                return request.redirect(
                    f"/web/login?redirect={participant_sudo._get_path()}", local=True
                )
            if user != participant_sudo.user_id:
                raise request.not_found()
        elif not participant_sudo._is_caller(user, guest):
            if not participant_sudo.guest_id:
                # The first opening binds the link to this browser.
                participant_sudo._bind()._set_auth_cookie()
            else:
                return self._new_device(participant_sudo, guest)
        values["room_props"] = self._room_props(participant_sudo)
        request.env["clinic.audit.log"]._log("opened", visit_sudo, detail=participant_sudo.role)
        return private_response(request.render("clinic_visit.visit_room", values))

    def _new_device(self, participant_sudo, guest):
        """The link was already opened by another browser: this one waits for
        the pro, who sees the request at once."""
        Request = request.env["clinic.visit.access.request"].sudo()
        previous = guest and Request.search(
            [("participant_id", "=", participant_sudo.id), ("guest_id", "=", guest.id)],
            order="id desc",
            limit=1,
        )
        if previous and previous.state == "refused":
            return private_response(
                request.render(
                    "clinic_visit.visit_refused", {"visit": participant_sudo.visit_id}, status=403
                )
            )
        access_request = previous if previous and previous.state == "pending" else None
        if not access_request:
            if not guest:
                # sudo: mail.guest - the new browser's identity, for its request
                guest = (
                    request.env["mail.guest"]
                    .sudo()
                    .create({"name": participant_sudo.name, "lang": request.env.lang or False})
                )
                guest._set_auth_cookie()
            # sudo: clinic.visit.access.request - a visitor asks the pro to let them in
            access_request = Request.create(
                {"participant_id": participant_sudo.id, "guest_id": guest.id}
            )
            participant_sudo.visit_id._notify_changed()
        return private_response(
            request.render(
                "clinic_visit.visit_waiting",
                {
                    "visit": participant_sudo.visit_id,
                    "participant": participant_sudo,
                    "waiting_props": {
                        "channel": f"clinic.visit.request_{access_request.token}",
                        "requestId": access_request.id,
                        "statusUrl": f"/visit/{participant_sudo.visit_id.token}/request/status",
                        "proName": participant_sudo.visit_id.pro_id.name,
                    },
                },
            )
        )

    # ------------------------------------------------------------
    # THE PAGE'S CALLS
    # ------------------------------------------------------------

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/data",
        type="jsonrpc",
        auth="public",
        readonly=True,
    )
    @add_guest_to_context
    def visit_data(self, visit_token, participant_token):
        """Everything the visit page shows."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        return participant_sudo.visit_id._get_room_data(participant_sudo)

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/enter",
        type="jsonrpc",
        auth="public",
    )
    @add_guest_to_context
    def visit_enter(self, visit_token, participant_token):
        """Enter the visit's call: ``{meetingId, meetingChannel}``, or an error."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        visit_sudo = participant_sudo.visit_id
        try:
            with request.env.cr.savepoint():
                meeting_sudo = visit_sudo._enter_call(participant_sudo)
        except UserError as error:
            return {"error": error.args[0]}
        return {
            "meetingId": meeting_sudo.id,
            # The meeting's own channel: the patient's page hears it end.
            "meetingChannel": meeting_sudo._patient_bus_channel()
            if participant_sudo.role != "pro"
            else False,
        }

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/leave",
        type="jsonrpc",
        auth="public",
    )
    @add_guest_to_context
    def visit_leave(self, visit_token, participant_token):
        """Leave the call; the link brings the participant back."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        participant_sudo.visit_id._leave_call(participant_sudo)
        return True

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/answer",
        type="jsonrpc",
        auth="public",
    )
    @add_guest_to_context
    def visit_answer(self, visit_token, participant_token, question_id=None, value=None):
        """Save one answer of the caller's part of the questionnaire."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        saved, error = participant_sudo.visit_id._save_answer(participant_sudo, question_id, value)
        return {"error": error} if error else saved

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/message",
        type="jsonrpc",
        auth="public",
    )
    @add_guest_to_context
    def visit_message(self, visit_token, participant_token, body=None):
        """Post a message in the visit."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        message, error = participant_sudo.visit_id._post_message(participant_sudo, body)
        return {"error": error} if error else message._room_values(participant_sudo)

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/upload",
        type="http",
        auth="public",
        methods=["POST"],
        sitemap=False,
    )
    @add_guest_to_context
    def visit_upload(self, visit_token, participant_token, **kwargs):
        """The pro shares documents (multipart ``files``, several at once).

        The CSRF token of the form is checked by the route (``csrf=True``).
        """
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        files = [
            (f.filename, f.mimetype, f.read()) for f in request.httprequest.files.getlist("files")
        ]
        messages, error = participant_sudo.visit_id._add_documents(participant_sudo, files)
        body = (
            {"error": error}
            if error
            else {"messages": [m._room_values(participant_sudo) for m in messages]}
        )
        return request.make_json_response(body, status=400 if error else 200)

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/document/<int:message_id>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
    )
    @add_guest_to_context
    def visit_document(self, visit_token, participant_token, message_id, **kwargs):
        """Download a document of the visit, for its participants only."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        message_sudo = participant_sudo.visit_id.message_ids.filtered(
            lambda m: m.id == message_id and m.file_size
        )
        if not message_sudo:
            raise request.not_found()
        request.env["clinic.audit.log"]._log(
            "downloaded",
            participant_sudo.visit_id,
            detail=f"document {message_sudo.id} by the {participant_sudo.role}",
        )
        return request.make_response(
            base64.b64decode(message_sudo.file_data or b""),
            headers=[
                ("Content-Type", "application/octet-stream"),
                ("Content-Disposition", content_disposition(message_sudo.file_name)),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/request/<int:request_id>/decide",
        type="jsonrpc",
        auth="public",
    )
    @add_guest_to_context
    def visit_decide(self, visit_token, participant_token, request_id, accept=False):
        """The pro lets a new device in, or refuses it."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        if participant_sudo.role != "pro":
            raise request.not_found()
        access_request = participant_sudo.visit_id.request_ids.filtered(
            lambda r: r.id == request_id
        )
        if not access_request:
            raise request.not_found()
        state = access_request._decide(bool(accept))
        return {"state": state}

    @http.route(
        "/visit/<string:visit_token>/<string:participant_token>/kill",
        type="jsonrpc",
        auth="public",
    )
    @add_guest_to_context
    def visit_kill(self, visit_token, participant_token):
        """The pro destroys the visit."""
        participant_sudo = self._get_caller_participant_sudo(visit_token, participant_token)
        if participant_sudo.role != "pro":
            raise request.not_found()
        participant_sudo.visit_id.with_user(participant_sudo.user_id)._kill()
        return True

    @http.route(
        "/visit/<string:visit_token>/request/status",
        type="jsonrpc",
        auth="public",
        readonly=True,
    )
    @add_guest_to_context
    def visit_request_status(self, visit_token, request_id=None):
        """Where a new device's request stands, for its waiting page."""
        _user, guest = self._caller()
        # sudo: clinic.visit.access.request - only the browser that made it reads it
        access_request = (
            request.env["clinic.visit.access.request"]
            .sudo()
            .browse(request_id if isinstance(request_id, int) else 0)
            .exists()
        )
        if (
            not access_request
            or not guest
            or access_request.guest_id != guest
            or not isinstance(visit_token, str)
            or not consteq(access_request.visit_id.token, visit_token)
        ):
            raise request.not_found()
        return {"state": access_request.state}

    # ------------------------------------------------------------
    # DEVICES
    # ------------------------------------------------------------

    @http.route("/visit/settings", type="http", auth="public", methods=["GET"], readonly=True)
    def visit_settings(self, **kwargs):
        """The clinic's medical devices, for any page before login (the seed's
        ``GET /settings``)."""
        # sudo: clinic.visit.device - the device list is public
        devices = request.env["clinic.visit.device"].sudo().search([])
        return request.make_response(
            json.dumps({"devices": devices._public_values()}),
            headers=[("Content-Type", "application/json")],
        )
