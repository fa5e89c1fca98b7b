import re

from odoo import models
from odoo.tools import consteq

PATIENT_CHANNEL = re.compile(r"clinic\.meeting_(\d+)_([0-9a-f-]{36})")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Let a patient's page listen to its meeting.

        The page subscribes to ``clinic.meeting_<id>_<access token>``; the
        token was given only to the patient's own page.
        """
        channels = list(channels)  # do not alter the original list
        for channel in list(channels):
            if not isinstance(channel, str) or not (match := PATIENT_CHANNEL.fullmatch(channel)):
                continue
            channels.remove(channel)
            # sudo: clinic.meeting - anonymous patients have no access rights;
            # the secret token checked below is the access check.
            meeting_sudo = self.env["clinic.meeting"].sudo().browse(int(match[1])).exists()
            if meeting_sudo and consteq(meeting_sudo.access_token, match[2]):
                channels.append((meeting_sudo, "patient"))
        return super()._build_bus_channel_list(channels)
