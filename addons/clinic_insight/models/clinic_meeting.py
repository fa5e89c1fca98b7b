from odoo import models


class ClinicMeeting(models.Model):
    _inherit = "clinic.meeting"

    def _get_patient_status(self):
        """A walk-in waiting in a lobby also sees their place in line and
        the expected wait."""
        status = super()._get_patient_status()
        if self.lobby_id and self.state == "waiting":
            status.update(self.lobby_id._get_queue_insight(self))
        return status

    def _notify_changed(self):
        """Whatever moves a lobby's queue (a check-in, a pro taking a patient,
        someone leaving) tells the patients waiting there to ask again for
        their place. Ids only."""
        result = super()._notify_changed()
        for lobby in self.lobby_id:
            lobby._bus_send("clinic.lobby/queue", {"lobby_id": lobby.id}, subchannel="waiting")
        return result
