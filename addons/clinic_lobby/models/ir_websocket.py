from odoo import models


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """A pro's dashboard asks for ``clinic_lobby.queue``: it gets the
        channels of the lobbies this user is a professional of."""
        channels = list(channels)  # do not alter the original list
        if "clinic_lobby.queue" in channels:
            channels.remove("clinic_lobby.queue")
            pro = self.env["clinic.pro"]._get_current()
            if pro:
                channels.extend(self.env["clinic.lobby"].search([("pro_ids", "in", pro.id)]))
        return super()._build_bus_channel_list(channels)
