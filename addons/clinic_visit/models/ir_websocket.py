import re

from odoo import models

VISIT_CHANNEL = re.compile(r"clinic\.visit_([\w-]{43})_([\w-]{43})")
REQUEST_CHANNEL = re.compile(r"clinic\.visit\.request_([\w-]{43})")


class IrWebsocket(models.AbstractModel):
    _inherit = "ir.websocket"

    def _build_bus_channel_list(self, channels):
        """Let a visit's pages listen to it.

        A participant's page subscribes to ``clinic.visit_<visit token>_<participant
        token>``: it gets the visit's channel if the browser is that
        participant (their account, or the guest the link is bound to). A
        new device waiting for approval subscribes to
        ``clinic.visit.request_<request token>`` and gets its request's channel.
        """
        channels = list(channels)  # do not alter the original list
        _partner, guest = self.env["res.partner"]._get_current_persona()
        user = self.env.user if not self.env.user._is_public() else self.env["res.users"]
        for channel in list(channels):
            if not isinstance(channel, str):
                continue
            if match := VISIT_CHANNEL.fullmatch(channel):
                channels.remove(channel)
                participant_sudo = self.env["clinic.visit"]._get_participant_by_tokens(
                    match[1], match[2]
                )
                if (
                    participant_sudo
                    and participant_sudo.visit_id._is_live()
                    and participant_sudo._is_caller(user, guest)
                ):
                    channels.append(participant_sudo.visit_id)
            elif match := REQUEST_CHANNEL.fullmatch(channel):
                channels.remove(channel)
                # sudo: clinic.visit.access.request - its secret token is the access check
                request_sudo = (
                    self.env["clinic.visit.access.request"]
                    .sudo()
                    .search([("token", "=", match[1])], limit=1)
                )
                if request_sudo and guest and request_sudo.guest_id == guest:
                    channels.append(request_sudo)
        return super()._build_bus_channel_list(channels)
