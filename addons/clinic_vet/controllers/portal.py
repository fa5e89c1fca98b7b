from datetime import timedelta

from odoo import fields, http
from odoo.http import request

from odoo.addons.clinic_lobby.controllers.portal import ClinicPortal


class ClinicVetPortal(ClinicPortal):
    """The vet's part of /my/clinic: *My room* and the coming reservations."""

    def _vet_data(self, vet):
        # Read with the vet's rights: record rules give them their own reservations.
        reservations = request.env["clinic.appointment"].search(
            [
                ("vet_id", "=", vet.id),
                ("state", "=", "confirmed"),
                ("stop", ">=", fields.Datetime.now() - timedelta(hours=1)),
            ],
            order="start",
            limit=50,
        )
        return {
            "is_vet": True,
            "now": fields.Datetime.to_string(fields.Datetime.now()),
            "vet": {"id": vet.id, "name": vet.name, "room_open": vet.room_open, "slug": vet.slug},
            "reservations": [
                {
                    **reservation.sudo()._my_vet_values(),
                    "owner": reservation.patient_name,
                    "pet_problem": reservation.pet_problem or "",
                    "prescreen": reservation.sudo().prescreen_labels or [],
                    "prescreen_state": reservation.prescreen_state,
                    "photo_url": f"/my/vet/{reservation.id}/photo"
                    if reservation.sudo().photo
                    else False,
                }
                for reservation in reservations
            ],
        }

    def _current_vet(self):
        pro = request.env["clinic.pro"]._get_current()
        # sudo: clinic.vet - the current user's own vet profile
        return (
            request.env["clinic.vet"].sudo().search([("pro_id", "=", pro.id)], limit=1)
            if pro
            else None
        )

    @http.route("/my/clinic/vet", type="jsonrpc", auth="user", readonly=True)
    def my_clinic_vet(self):
        """The vet's room status and reservations."""
        vet = self._current_vet()
        return self._vet_data(vet) if vet else {"is_vet": False}

    @http.route("/my/clinic/vet/room", type="jsonrpc", auth="user")
    def my_clinic_vet_room(self, open=False):
        """Open or close my room (my online status in the directory)."""
        vet = self._current_vet()
        if not vet:
            return {"is_vet": False}
        vet._set_room_open(bool(open))
        return self._vet_data(vet)
