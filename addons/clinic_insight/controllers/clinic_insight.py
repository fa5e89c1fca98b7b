from odoo import http
from odoo.http import request


class ClinicInsightController(http.Controller):
    """The managers' live board."""

    @http.route("/clinic/insight/board", type="jsonrpc", auth="user", readonly=True)
    def board(self):
        """Per lobby: waiting, the longest wait, pros active and in a visit.
        No patient's name."""
        if not request.env.user.has_group("clinic_meeting.group_clinic_manager"):
            raise request.not_found()
        return request.env["clinic.lobby"]._get_board_data()
