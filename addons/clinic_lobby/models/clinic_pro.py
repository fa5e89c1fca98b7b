from odoo import fields, models


class ClinicPro(models.Model):
    _inherit = "clinic.pro"

    lobby_ids = fields.Many2many(
        "clinic.lobby",
        "clinic_lobby_pro_rel",
        "pro_id",
        "lobby_id",
        string="Lobbies",
        help="Lobbies whose queue this professional sees.",
    )

    def _get_dashboard_data(self):
        """Everything the pro dashboard shows, read with the pro's own rights.

        The number of queries does not depend on the number of meetings: each
        list is one search, and their records are read together.
        """
        self.ensure_one()
        lobbies = self.env["clinic.lobby"].search([("pro_ids", "in", self.id)])
        queue, in_progress = lobbies._get_pro_dashboard_meetings(self)
        mine = self.env["clinic.meeting"].search(
            [("participant_ids.pro_id", "=", self.id)],
            order="checked_in_at desc, id desc",
            limit=20,
        )
        current = self._get_current_participation().meeting_id
        everything = queue | in_progress | mine | current
        # Read all meetings' participants and lobbies at once.
        everything.participant_ids.mapped("birthdate")
        # sudo: clinic.lobby - see _dashboard_meeting_values
        everything.lobby_id.sudo().mapped("name")
        return {
            "is_pro": True,
            "pro": {"id": self.id, "name": self.name},
            "lobbies": [{"id": lobby.id, "name": lobby.name} for lobby in lobbies],
            "queue": [self._dashboard_meeting_values(m) for m in queue],
            "in_progress": [self._dashboard_meeting_values(m) for m in in_progress],
            "my_meetings": [self._dashboard_meeting_values(m) for m in mine],
            "current": (current and self._dashboard_meeting_values(current)) or False,
        }

    def _dashboard_meeting_values(self, meeting):
        """What the dashboard shows of one meeting."""
        present = meeting.participant_ids.filtered(lambda p: not p.left_at)
        present_pros = present.filtered(lambda p: p.role == "pro")
        patient = meeting.participant_ids.filtered(lambda p: p.role == "patient")[:1]
        return {
            "id": meeting.id,
            "name": meeting.name,
            "state": meeting.state,
            # sudo: clinic.lobby - the name of the lobby of a meeting the pro
            # reaches, even after they left that lobby (its rule hides it then)
            "lobby": meeting.lobby_id.sudo().name or "",
            "age": patient.age if patient.birthdate else None,
            "checked_in_at": fields.Datetime.to_string(meeting.checked_in_at),
            "first_pro_joined_at": fields.Datetime.to_string(meeting.first_pro_joined_at),
            "ended_at": fields.Datetime.to_string(meeting.ended_at),
            "participant_count": len(present),
            "pro_count": len(present_pros),
            "pro_names": present_pros.mapped("name"),
            "i_am_in": self in present_pros.pro_id,
        }
