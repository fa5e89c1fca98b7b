from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class ClinicPortal(CustomerPortal):
    """The pro dashboard, /my/clinic: live queue, my meetings, current meeting."""

    @http.route(
        "/my/clinic", type="http", auth="user", methods=["GET"], website=True, sitemap=False
    )
    def my_clinic(self, **kwargs):
        """The dashboard page; its content is a live OWL component."""
        values = self._prepare_portal_layout_values()
        values.update(
            page_name="clinic_dashboard",
            is_pro=bool(request.env["clinic.pro"]._get_current()),
        )
        return request.render("clinic_lobby.portal_my_clinic", values)

    @http.route("/my/clinic/data", type="jsonrpc", auth="user", readonly=True)
    def my_clinic_data(self):
        """The dashboard's data, read with the pro's rights."""
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        return pro._get_dashboard_data()

    def _meeting_action(self, meeting_id, method, **kwargs):
        pro = request.env["clinic.pro"]._get_current()
        if not pro:
            return {"is_pro": False}
        error = False
        try:
            # A refused action leaves nothing behind (the savepoint is rolled back).
            with request.env.cr.savepoint():
                getattr(request.env["clinic.meeting"].browse(meeting_id), method)(**kwargs)
        except (AccessError, MissingError):
            error = request.env._("This meeting is not available to you.")
        except UserError as e:
            error = e.args[0]
        return {**pro._get_dashboard_data(), "error": error}

    @http.route("/my/clinic/meeting/<int:meeting_id>/join", type="jsonrpc", auth="user")
    def my_clinic_join(self, meeting_id, take_over=False):
        """Join a meeting; ``take_over`` joins one that another pro already took."""
        return self._meeting_action(meeting_id, "action_join", take_over=bool(take_over))

    @http.route("/my/clinic/meeting/<int:meeting_id>/leave", type="jsonrpc", auth="user")
    def my_clinic_leave(self, meeting_id):
        """Leave a meeting."""
        return self._meeting_action(meeting_id, "action_leave")
