from odoo import api, models


class DiscussChannelRtcSession(models.Model):
    _inherit = "discuss.channel.rtc.session"

    @api.model_create_multi
    def create(self, vals_list):
        sessions = super().create(vals_list)
        sessions.channel_id.clinic_meeting_id._call_notify_sessions()
        return sessions

    def unlink(self):
        meetings = self.channel_id.clinic_meeting_id
        result = super().unlink()
        meetings._call_notify_sessions()
        return result

    def _notify_peers(self, notifications):
        """Keep the signalling of a visit inside its own call.

        Discuss checks that the sender owns its session, not that the targets
        are in the same call. A session of any call could then offer a peer
        connection to a patient's session. Here, a session of a visit only
        reaches sessions of its own channel, and only they reach it.
        """
        self.ensure_one()
        target_ids = {int(sid) for sids, _content in notifications for sid in sids}
        allowed_ids = (
            self.browse(target_ids)
            .exists()
            .filtered(
                lambda target: (
                    target.channel_id == self.channel_id
                    or not (
                        target.channel_id.clinic_meeting_id or self.channel_id.clinic_meeting_id
                    )
                )
            )
            .ids
        )
        return super()._notify_peers(
            [
                ([sid for sid in sids if int(sid) in allowed_ids], content)
                for sids, content in notifications
            ]
        )
