import csv
import hashlib
import io
import json
import re
import time

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class ClinicTherapyPortal(CustomerPortal):
    """Group therapy for its participants: the home page of sessions and
    assessments, the session page, and the seed's JSON calls.

    Every route takes the logged-in user's partner and checks that they take
    part in the session (``_get_for_partner``); anyone else gets "You are not
    allowed in this session", whatever the id.
    """

    def _partner(self):
        return request.env.user.partner_id

    def _session_sudo(self, session_id):
        return request.env["clinic.therapy.session"]._get_for_partner(session_id, self._partner())

    def _refused(self):
        return {
            "result": "error",
            "error": request.env._("You are not allowed in this session."),
        }

    @staticmethod
    def _server_time():
        return int(time.time() * 1_000_000)  # microseconds, as the seed's "100us"

    # ------------------------------------------------------------
    # PAGES
    # ------------------------------------------------------------

    @http.route(
        "/my/therapy", type="http", auth="user", methods=["GET"], website=True, sitemap=False
    )
    def my_therapy(self, **kwargs):
        """My therapy sessions, upcoming first, with their assessments."""
        partner = self._partner()
        sessions = request.env["clinic.therapy.session"]._search_for_partner(partner)
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="clinic_therapy",
            sessions=[session._get_home_values(partner) for session in sessions],
        )
        return request.render("clinic_therapy.portal_my_therapy", values)

    @http.route(
        "/my/therapy/sessions",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
        sitemap=False,
    )
    def my_therapy_sessions(self, **kwargs):
        """The home page's data as JSON, in the seed's shape."""
        partner = self._partner()
        sessions = request.env["clinic.therapy.session"]._search_for_partner(partner)
        body = {"therapy_sessions": [session._get_home_values(partner) for session in sessions]}
        return request.make_json_response(body, headers={"Cache-Control": "no-store"})

    @http.route(
        "/my/therapy/<int:session_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def my_therapy_session(self, session_id, **kwargs):
        """The session page: participants, chat and group call."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return request.render("clinic_therapy.therapy_not_allowed", {}, status=403)
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="clinic_therapy_session",
            session=session_sudo,
            props={"sessionId": session_sudo.id},
        )
        response = request.render("clinic_therapy.portal_therapy_session", values)
        response.headers["Cache-Control"] = "no-store"
        return response

    @http.route(
        "/my/therapy/<int:session_id>/assessment/<int:assessment_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def my_therapy_assessment(self, session_id, assessment_id, **kwargs):
        """Start (or go on with) one of my assessments of the session."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return request.render("clinic_therapy.therapy_not_allowed", {}, status=403)
        assessment = session_sudo.assessment_ids.filtered(lambda a: a.id == assessment_id)
        if not assessment or session_sudo._get_role(self._partner()) != "patient":
            raise request.not_found()
        return request.redirect(assessment._get_start_url(self._partner()))

    # ------------------------------------------------------------
    # THE SEED'S CALLS
    # ------------------------------------------------------------

    @http.route("/my/therapy/<int:session_id>/detail", type="jsonrpc", auth="user", readonly=True)
    def my_therapy_detail(self, session_id):
        """getTherapySessionDetail and getTherapySessionAssessments, for me."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return self._refused()
        return {"result": "ok", **session_sudo._get_detail(self._partner())}

    @http.route(
        "/my/therapy/<int:session_id>/get_actions", type="jsonrpc", auth="user", readonly=True
    )
    def my_therapy_get_actions(self, session_id, last_action_id=0):
        """getActions(last_action_id): every action after the cursor that I may see."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return self._refused()
        # The research fields never travel to a participant's page, even a
        # researcher's: researchers read them in the backend and the export.
        actions, max_id = request.env["clinic.therapy.action"]._get_after(
            session_sudo, self._partner(), last_action_id
        )
        return {
            "result": "ok",
            "server_time": self._server_time(),
            "max_id": max_id,
            "actions": actions,
        }

    @http.route("/my/therapy/<int:session_id>/save_actions", type="jsonrpc", auth="user")
    def my_therapy_save_actions(self, session_id, payloads=None):
        """saveActions(payloads): store a batch of my actions, once each."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return self._refused()
        ids, error = request.env["clinic.therapy.action"]._save_batch(
            session_sudo, self._partner(), payloads
        )
        if error:
            return {"result": "error", "error": error}
        return {"result": "ok", "server_time": self._server_time(), "ids": ids}

    @http.route("/my/therapy/<int:session_id>/enter", type="jsonrpc", auth="user")
    def my_therapy_enter(self, session_id):
        """I enter the session: present, in its call."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return self._refused()
        try:
            with request.env.cr.savepoint():
                meeting = session_sudo._enter(self._partner())
        except UserError as error:
            return {"result": "error", "error": error.args[0]}
        return {"result": "ok", "meetingId": meeting.id}

    @http.route("/my/therapy/<int:session_id>/leave", type="jsonrpc", auth="user")
    def my_therapy_leave(self, session_id):
        """I leave the session."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return self._refused()
        session_sudo._leave(self._partner())
        return {"result": "ok"}

    @http.route("/my/therapy/<int:session_id>/consent", type="jsonrpc", auth="user")
    def my_therapy_consent(self, session_id, consented=False):
        """My answer to the research question (asked once)."""
        try:
            session_sudo = self._session_sudo(session_id)
        except AccessError:
            return self._refused()
        consent = session_sudo._set_consent(self._partner(), consented is True)
        return {"result": "ok", "consent": consent.consented}

    # ------------------------------------------------------------
    # RESEARCH
    # ------------------------------------------------------------

    @http.route(
        "/clinic/therapy/<int:session_id>/export.csv",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
        sitemap=False,
    )
    def therapy_export(self, session_id, **kwargs):
        """A session's log as CSV for researchers, participants pseudonymised
        (a hash of the database and the partner: stable, not reversible)."""
        if not request.env.user.has_group("clinic_therapy.group_clinic_researcher"):
            raise request.not_found()
        session = request.env["clinic.therapy.session"].browse(session_id).exists()
        if not session:
            raise request.not_found()
        session.check_access("read")
        dbuuid = request.env["ir.config_parameter"].sudo().get_param("database.uuid")

        def pseudonym(partner):
            if not partner:
                return ""
            digest = hashlib.sha256(f"{dbuuid}:{session.id}:{partner.id}".encode()).hexdigest()
            return f"P-{digest[:10]}"

        # Names written in the text (the join and leave notices, a message
        # naming someone) are replaced by the same pseudonyms.
        actions = session.action_ids
        named = (
            (
                session._get_participants()
                | actions.author_id
                | actions.recipient_ids
                | actions.callout_ids
            )
            .filtered("name")
            .sorted(lambda p: len(p.name), reverse=True)
        )
        aliases = {f"p{partner.id}": pseudonym(partner) for partner in named}
        names = re.compile(
            "|".join(f"(?P<p{p.id}>{re.escape(p.name)})" for p in named) or "(?!)", re.IGNORECASE
        )

        def scrub(text):
            text = names.sub(lambda match: aliases[match.lastgroup], text or "")
            # A spreadsheet must not take a message for a formula.
            return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["id", "timestamp", "type", "user", "recipients", "target", "body", "icon",
             "character_history", "time_to_complete_ms"]
        )  # fmt: skip
        for action in actions:
            writer.writerow(
                [
                    action.id,
                    action.create_date.isoformat(),
                    action.type,
                    pseudonym(action.author_id) or action.sender,
                    " ".join(pseudonym(p) for p in action.recipient_ids),
                    action.target_id.id or "",
                    scrub(action.body),
                    action.icon or "",
                    json.dumps(action.character_history) if action.character_history else "",
                    action.time_to_complete or "",
                ]
            )
        return request.make_response(
            out.getvalue(),
            headers=[
                ("Content-Type", "text/csv; charset=utf-8"),
                ("Content-Disposition", f'attachment; filename="therapy-session-{session.id}.csv"'),
                ("Cache-Control", "no-store"),
            ],
        )
