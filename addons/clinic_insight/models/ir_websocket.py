from odoo import models
from odoo.tools import consteq

from odoo.addons.clinic_meeting.models.ir_websocket import PATIENT_CHANNEL

BOARD_CHANNEL = "clinic_insight.board"


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """A waiting patient's page (its meeting's secret channel) also hears
        its lobby's queue move; a manager's board hears every lobby."""
        channels = list(channels)
        extra = []
        for channel in channels:
            if isinstance(channel, str) and (match := PATIENT_CHANNEL.fullmatch(channel)):
                # sudo: clinic.meeting - the meeting's own secret is the access check
                meeting_sudo = self.env["clinic.meeting"].sudo().browse(int(match[1])).exists()
                if meeting_sudo.lobby_id and consteq(meeting_sudo.access_token, match[2]):
                    extra.append((meeting_sudo.lobby_id, "waiting"))
        if BOARD_CHANNEL in channels:
            channels.remove(BOARD_CHANNEL)
            if self.env.user.has_group("clinic_meeting.group_clinic_manager"):
                extra.extend(self.env["clinic.lobby"].search([]))
        # Records go in after the other modules have looked for their string
        # channels: comparing a record with a string is a warning in Odoo 19.
        channels = super()._build_bus_channel_list(channels)
        channels.extend(extra)
        return channels
