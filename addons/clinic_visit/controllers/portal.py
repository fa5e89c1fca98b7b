from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.clinic_lobby.controllers.portal import ClinicPortal

FORM_FIELDS = ("name", "phone", "email", "companion_name", "end_date")


class ClinicVisitPortal(ClinicPortal):
    """The *Visits* part of the pro dashboard, /my/clinic."""

    def _visit_action(self, visit_id, action):
        """Run ``action(visit_sudo, pro)`` on one of the pro's own visits."""
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        error = False
        try:
            with request.env.cr.savepoint():
                visit = request.env["clinic.visit"].browse(int(visit_id))
                visit.check_access("read")  # record rules: the pro's own visits
                visit._check_pro(pro)
                if visit.killed_at:
                    raise UserError(request.env._("This visit has ended."))
                # sudo: clinic.visit - the pro's own visit, checked above
                action(visit.sudo(), pro)
        except (AccessError, MissingError):
            error = request.env._("This visit is not available to you.")
        except UserError as e:
            error = e.args[0]
        return {**pro._get_visits_data(), "error": error}

    @http.route("/my/clinic/visits", type="jsonrpc", auth="user", readonly=True)
    def my_clinic_visits(self):
        """The pro's visits, with their links and pending device requests."""
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        return pro._get_visits_data()

    @http.route("/my/clinic/visit/create", type="jsonrpc", auth="user")
    def my_clinic_visit_create(self, **values):
        """*New visit*: the visit and a link per participant, or the form's errors."""
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        values = {
            key: values.get(key) if isinstance(values.get(key), str) else "" for key in FORM_FIELDS
        }
        visit, errors = request.env["clinic.visit"]._create_for_pro(pro, values)
        return {**pro._get_visits_data(), "errors": errors, "created_id": visit.id or False}

    @http.route("/my/clinic/visit/<int:visit_id>/send", type="jsonrpc", auth="user")
    def my_clinic_visit_send(self, visit_id, participant_id=None, channel=None):
        """Send a participant their link by ``email`` or ``sms``."""

        def send(visit_sudo, _pro):
            participant = visit_sudo.participant_ids.filtered(lambda p: p.id == participant_id)
            if not participant or participant.role == "pro":
                raise UserError(request.env._("This participant is not in the visit."))
            participant._send_link(channel)

        return self._visit_action(visit_id, send)

    @http.route(
        "/my/clinic/visit/<int:visit_id>/request/<int:request_id>/decide",
        type="jsonrpc",
        auth="user",
    )
    def my_clinic_visit_decide(self, visit_id, request_id, accept=False):
        """Let a new device in, or refuse it."""
        outcome = {}

        def decide(visit_sudo, _pro):
            access_request = visit_sudo.request_ids.filtered(lambda r: r.id == request_id)
            if not access_request:
                raise UserError(request.env._("This request is not in the visit."))
            outcome["state"] = access_request._decide(bool(accept))

        return {**self._visit_action(visit_id, decide), **outcome}

    @http.route("/my/clinic/visit/<int:visit_id>/kill", type="jsonrpc", auth="user")
    def my_clinic_visit_kill(self, visit_id):
        """Destroy a visit: everyone is disconnected and its content deleted."""
        return self._visit_action(
            visit_id, lambda visit_sudo, _pro: visit_sudo.with_user(request.env.user)._kill()
        )
