import logging
import re
from datetime import date, datetime, timedelta

from odoo import fields, http
from odoo.http import request

from odoo.addons.clinic_meeting.tools import format_clock, format_day, private_response
from odoo.addons.mail.tools.discuss import add_guest_to_context

_logger = logging.getLogger(__name__)

DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
START_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z")


def parse_day(value):
    """A day as written in the pages' links, ``YYYY-MM-DD``, or None."""
    if not isinstance(value, str) or not DATE_PATTERN.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 9998 else None


def parse_start(value):
    """A slot's start as written in the pages' links, ``YYYY-MM-DDTHH:MMZ``
    (UTC), or None."""
    if not isinstance(value, str) or not START_PATTERN.fullmatch(value):
        return None
    try:
        start = datetime.strptime(value, "%Y-%m-%dT%H:%MZ")
    except ValueError:
        return None
    # Far years overflow on the way to the clinic's time zone: no slot there.
    return start if 1900 <= start.year <= 9998 else None


def format_start(value):
    """A slot's start (naive UTC) for the pages' links."""
    return value.strftime("%Y-%m-%dT%H:%MZ")


class ClinicAppointmentController(http.Controller):
    """Public pages of video appointments: book without an account, then
    join, cancel or download the appointment with the link of the email.

    The patient's links carry the appointment's long random token; a forged
    or unknown token is a 404, and so is an unknown or archived type.
    """

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _get_type_sudo(self, type_slug):
        # sudo: clinic.appointment.type - the slug is public; only active types are found
        appointment_type_sudo = (
            request.env["clinic.appointment.type"].sudo()._get_by_slug(type_slug)
        )
        if not appointment_type_sudo:
            raise request.not_found()
        return appointment_type_sudo

    def _get_appointment_sudo(self, token):
        appointment_sudo = request.env["clinic.appointment"]._get_by_token(token)
        if not appointment_sudo:
            raise request.not_found()
        return appointment_sudo

    _parse_day = staticmethod(parse_day)
    _parse_start = staticmethod(parse_start)
    _format_start = staticmethod(format_start)

    def _render_day(self, appointment_type_sudo, day, error=None, status=200):
        first, last = appointment_type_sudo._get_bookable_days()
        day = min(max(day, first), last)
        slots = appointment_type_sudo._get_slots(day)
        for slot in slots:
            slot["param"] = self._format_start(slot["start"])
            slot["time_label"] = format_clock(request.env, slot["local"])
        return request.render(
            "clinic_appointment.appointment_day",
            {
                "appointment_type": appointment_type_sudo,
                "day": day,
                "day_label": self._format_day(appointment_type_sudo, day),
                "previous_day": day - timedelta(days=1) if day > first else None,
                "next_day": day + timedelta(days=1) if day < last else None,
                "slots": slots,
                "has_free": any(slot["state"] == "free" for slot in slots),
                "error": error,
            },
            status=status,
        )

    def _format_day(self, appointment_type_sudo, day):
        return format_day(request.env, day)

    def _render_form(self, appointment_type_sudo, slot, values=None, errors=None, status=200):
        return request.render(
            "clinic_appointment.appointment_form",
            {
                "appointment_type": appointment_type_sudo,
                "slot": {**slot, "time_label": format_clock(request.env, slot["local"])},
                "start_param": self._format_start(slot["start"]),
                "day_label": self._format_day(appointment_type_sudo, slot["local"].date()),
                "values": values or {},
                "errors": errors or {},
                "booking_key": request.env["clinic.appointment"]._new_booking_key(),
            },
            status=status,
        )

    # ------------------------------------------------------------
    # BOOKING
    # ------------------------------------------------------------

    @http.route(
        "/appointment/<string:type_slug>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
        readonly=True,
    )
    def appointment_day(self, type_slug, date=None, **kwargs):
        """The day view: every slot of one day, today by default (``?date=YYYY-MM-DD``)."""
        appointment_type_sudo = self._get_type_sudo(type_slug)
        day = self._parse_day(date) or appointment_type_sudo._get_today()
        return self._render_day(appointment_type_sudo, day)

    @http.route(
        "/appointment/<string:type_slug>/book",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
        readonly=True,
    )
    def appointment_form(self, type_slug, start=None, **kwargs):
        """The booking form for one free time (``?start=YYYY-MM-DDTHH:MMZ``);
        a time that cannot be booked sends back to its day with the reason."""
        appointment_type_sudo = self._get_type_sudo(type_slug)
        start_dt = self._parse_start(start)
        if not start_dt:
            return self._render_day(
                appointment_type_sudo,
                appointment_type_sudo._get_today(),
                error=request.env._("Please choose a time in the list."),
                status=400,
            )
        slot, error = appointment_type_sudo._check_slot(start_dt)
        if error:
            day = appointment_type_sudo._to_local(start_dt).date()
            return self._render_day(appointment_type_sudo, day, error=error, status=409)
        return self._render_form(appointment_type_sudo, slot)

    @http.route(
        "/appointment/<string:type_slug>/book",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def appointment_book(
        self,
        type_slug,
        *,
        start="",
        name="",
        email="",
        comment="",
        booking_key="",
        csrf_token="",
        **kwargs,
    ):
        """Book the chosen time and send the patient to their confirmation.

        CSRF is checked here rather than by the route so that a stale or
        forged token gets the form back with a message instead of an error
        page; nothing is booked without a valid token.
        """
        appointment_type_sudo = self._get_type_sudo(type_slug)
        values = {"name": name, "email": email, "comment": comment}
        start_dt = self._parse_start(start)
        if not start_dt:
            return self._render_day(
                appointment_type_sudo,
                appointment_type_sudo._get_today(),
                error=request.env._("Please choose a time in the list."),
                status=400,
            )
        Appointment = request.env["clinic.appointment"]
        if not request.validate_csrf(csrf_token):
            _logger.info("Appointment booking refused: invalid CSRF token")
            slot, error = appointment_type_sudo._check_slot(start_dt)
            if error:
                return self._render_day(
                    appointment_type_sudo,
                    appointment_type_sudo._to_local(start_dt).date(),
                    error=error,
                    status=400,
                )
            errors = {
                "form": request.env._(
                    "This form has expired. Please check your details and book again."
                )
            }
            return self._render_form(appointment_type_sudo, slot, values, errors, status=400)
        appointment, errors = Appointment._book(
            appointment_type_sudo,
            start_dt,
            name=name,
            email=email,
            comment=comment,
            booking_key=(booking_key or "")[:64] or None,
        )
        if errors.get("slot"):
            day = appointment_type_sudo._to_local(start_dt).date()
            return self._render_day(appointment_type_sudo, day, error=errors["slot"], status=409)
        if errors:
            slot, _error = appointment_type_sudo._check_slot(start_dt)
            return self._render_form(appointment_type_sudo, slot, values, errors, status=400)
        return request.redirect(f"/appointment/visit/{appointment.sudo().access_token}/confirmed")

    # ------------------------------------------------------------
    # THE PATIENT'S LINKS
    # ------------------------------------------------------------

    def _visit_values(self, appointment_sudo):
        token = appointment_sudo.access_token
        return {
            "appointment": appointment_sudo,
            "appointment_type": appointment_sudo.type_id,
            "pro": appointment_sudo.pro_id,
            "when": appointment_sudo._format_local(appointment_sudo.start, "EEEE d MMMM y, HH:mm"),
            "end_time": appointment_sudo._format_local(appointment_sudo.stop, "HH:mm"),
            "tz": appointment_sudo.type_id.tz or "UTC",
            # Links of the pages stay on the host the patient uses; emails use
            # the database's base URL.
            "visit_link": appointment_sudo._get_visit_url(),
            "visit_url": f"/appointment/visit/{token}",
            "cancel_url": f"/appointment/visit/{token}/cancel",
            "ics_url": f"/appointment/visit/{token}/appointment.ics",
        }

    @http.route(
        "/appointment/visit/<string:token>/confirmed",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
        readonly=True,
    )
    def appointment_confirmed(self, token, **kwargs):
        """ "Your appointment is confirmed", after booking."""
        appointment_sudo = self._get_appointment_sudo(token)
        if appointment_sudo.state == "cancelled":
            return request.redirect(f"/appointment/visit/{token}")
        return private_response(
            request.render(
                "clinic_appointment.appointment_confirmed", self._visit_values(appointment_sudo)
            )
        )

    @http.route(
        "/appointment/visit/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def appointment_visit(self, token, **kwargs):
        """The join link: when the appointment is, then its waiting room and
        video call from 10 minutes before, then that it is over."""
        appointment_sudo = self._get_appointment_sudo(token)
        values = self._visit_values(appointment_sudo)
        phase = appointment_sudo._get_visit_phase()
        values["phase"] = phase
        if phase == "open":
            meeting_sudo, guest_sudo = appointment_sudo._enter_as_patient()
            current_guest = request.env["mail.guest"]._get_guest_from_context()
            if current_guest != guest_sudo:
                guest_sudo._set_auth_cookie()
            values.update(
                meeting=meeting_sudo,
                status_props={
                    "statusUrl": f"/appointment/visit/{token}/status",
                    "channel": meeting_sudo._patient_bus_channel(),
                    "state": meeting_sudo.state,
                },
                video_props={
                    "meetingId": meeting_sudo.id,
                    "role": "patient",
                    "busChannel": meeting_sudo._patient_bus_channel(),
                    "leaveUrl": f"/appointment/visit/{token}/leave",
                },
            )
        elif phase == "early":
            opens_at = appointment_sudo._get_patient_opens_at()
            values["opens_in"] = int((opens_at - fields.Datetime.now()).total_seconds()) + 1
        return private_response(request.render("clinic_appointment.appointment_visit", values))

    @http.route(
        "/appointment/visit/<string:token>/status",
        type="jsonrpc",
        auth="public",
        readonly=True,
    )
    def appointment_visit_status(self, token):
        """State of the patient's call, for their page to follow live."""
        appointment_sudo = self._get_appointment_sudo(token)
        if not appointment_sudo.meeting_id:
            raise request.not_found()
        return appointment_sudo.meeting_id._get_patient_status()

    @http.route(
        "/appointment/visit/<string:token>/leave",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def appointment_visit_leave(self, token, **kwargs):
        """The patient leaves the call; their link brings them back."""
        appointment_sudo = self._get_appointment_sudo(token)
        if appointment_sudo.meeting_id:
            appointment_sudo.meeting_id._leave_patient()
        values = self._visit_values(appointment_sudo)
        return private_response(request.render("clinic_appointment.appointment_left", values))

    @http.route(
        "/appointment/visit/<string:token>/cancel",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
        sitemap=False,
    )
    def appointment_cancel(self, token, **kwargs):
        """Ask, then cancel the appointment (the link of the email)."""
        appointment_sudo = self._get_appointment_sudo(token)
        values = self._visit_values(appointment_sudo)
        if appointment_sudo.state == "cancelled" or appointment_sudo._get_visit_phase() in (
            "over",
            "ended",
        ):
            return request.redirect(f"/appointment/visit/{token}")
        if request.httprequest.method == "POST":
            appointment_sudo.action_cancel(reason=request.env._("Cancelled by the patient."))
            return private_response(
                request.render("clinic_appointment.appointment_cancelled", values)
            )
        return private_response(request.render("clinic_appointment.appointment_cancel", values))

    @http.route(
        "/appointment/visit/<string:token>/appointment.ics",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
        readonly=True,
    )
    def appointment_ics(self, token, **kwargs):
        """The appointment as a calendar file."""
        appointment_sudo = self._get_appointment_sudo(token)
        if appointment_sudo.state == "cancelled":
            raise request.not_found()
        return request.make_response(
            appointment_sudo._get_ics(),
            headers=[
                ("Content-Type", "text/calendar; charset=utf-8"),
                ("Content-Disposition", 'attachment; filename="appointment.ics"'),
                ("Cache-Control", "no-store"),
            ],
        )
