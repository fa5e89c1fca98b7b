import re
from datetime import date

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.clinic_lobby.controllers.portal import ClinicPortal

REASON_MAX_LENGTH = 500


class ClinicAppointmentPortal(ClinicPortal):
    """The *Appointments* part of the pro dashboard, /my/clinic."""

    def _appointments_day(self, pro, day):
        if not isinstance(day, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            day = None
        try:
            day = day and date.fromisoformat(day)
        except ValueError:
            day = None
        return pro._get_appointments_day(day or None)

    @http.route("/my/clinic/appointments", type="jsonrpc", auth="user", readonly=True)
    def my_clinic_appointments(self, day=None):
        """The pro's appointments of one day (``YYYY-MM-DD``, today by default)."""
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        return self._appointments_day(pro, day)

    def _appointment_action(self, appointment_id, day, method, *args):
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        error = False
        try:
            # A refused action leaves nothing behind (the savepoint is rolled back).
            with request.env.cr.savepoint():
                appointment = request.env["clinic.appointment"].browse(int(appointment_id))
                appointment.check_access("read")
                if appointment.pro_id != pro:
                    raise AccessError(request.env._("This appointment is not yours."))
                getattr(appointment, method)(*args)
        except (AccessError, MissingError):
            error = request.env._("This appointment is not available to you.")
        except UserError as e:
            error = e.args[0]
        return {**self._appointments_day(pro, day), "error": error}

    @http.route("/my/clinic/appointment/<int:appointment_id>/start", type="jsonrpc", auth="user")
    def my_clinic_appointment_start(self, appointment_id, day=None):
        """Start the appointment's call: it becomes the pro's current meeting."""
        return self._appointment_action(appointment_id, day, "action_start_call")

    @http.route("/my/clinic/appointment/<int:appointment_id>/cancel", type="jsonrpc", auth="user")
    def my_clinic_appointment_cancel(self, appointment_id, day=None, reason=""):
        """Cancel an appointment, with an optional reason emailed to the patient."""
        reason = (reason if isinstance(reason, str) else "").strip()[:REASON_MAX_LENGTH]
        return self._appointment_action(appointment_id, day, "_action_cancel_as_pro", reason)
