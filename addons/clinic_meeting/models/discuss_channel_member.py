from odoo import api, models
from odoo.exceptions import ValidationError


class DiscussChannelMember(models.Model):
    _inherit = "discuss.channel.member"

    @api.constrains("channel_id", "partner_id", "guest_id")
    def _check_clinic_meeting_participant(self):
        """The call channel of a meeting is readable by its participants only,
        whoever tries to add a member (an invitation in Discuss included)."""
        for member in self.filtered("channel_id.clinic_meeting_id"):
            # sudo: clinic.meeting - whoever adds the member may not read the
            # meeting's participants, yet they decide who may be added
            meeting_sudo = member.channel_id.clinic_meeting_id.sudo()
            if not meeting_sudo._call_get_participant(
                member.partner_id, member.guest_id, active=False
            ):
                raise ValidationError(
                    self.env._("Only the participants of a meeting can join its video call.")
                )

    def _rtc_join_call(self, store=None, check_rtc_session_ids=None, camera=False):
        """Only a participant who is in the meeting right now enters its call,
        whichever route they come from (ours or Discuss's own)."""
        for member in self.filtered("channel_id.clinic_meeting_id"):
            member.channel_id.clinic_meeting_id._call_check_can_join(member)
        return super()._rtc_join_call(
            store=store, check_rtc_session_ids=check_rtc_session_ids, camera=camera
        )

    def _join_sfu(self, ice_servers=None, force=False):
        """Visit calls are peer-to-peer: the clinic widget has no SFU client,
        so an SFU server is never asked for a channel on their behalf."""
        if self.channel_id.clinic_meeting_id:
            return None
        return super()._join_sfu(ice_servers=ice_servers, force=force)
