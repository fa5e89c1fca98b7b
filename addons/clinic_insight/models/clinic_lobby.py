import math
from datetime import timedelta
from statistics import median

from odoo import fields, models

# Recent history the estimate learns from.
HISTORY_DAYS = 30
HISTORY_VISITS = 50
# The visit length assumed while a lobby has too little history.
DEFAULT_VISIT_MINUTES = 10.0
MIN_HISTORY = 5
# A pro who took part in one of the lobby's visits this recently counts as active.
ACTIVE_WITHIN = timedelta(minutes=30)


class ClinicLobby(models.Model):
    _inherit = "clinic.lobby"

    wait_target_minutes = fields.Integer(
        string="Wait Target (minutes)",
        default=10,
        required=True,
        help="Patients waiting longer than this are marked in the professionals' queue.",
    )

    _wait_target_positive = models.Constraint(
        "CHECK(wait_target_minutes > 0)", "The wait target is at least one minute."
    )

    # ------------------------------------------------------------
    # THE ESTIMATE
    # ------------------------------------------------------------

    def _get_visit_minutes(self):
        """The median length of the lobby's recent visits (first pro in to
        end), or ``DEFAULT_VISIT_MINUTES`` with too little history."""
        self.ensure_one()
        # sudo: clinic.meeting - durations only
        visits = (
            self.env["clinic.meeting"]
            .sudo()
            .search_fetch(
                [
                    ("lobby_id", "=", self.id),
                    ("state", "=", "done"),
                    ("first_pro_joined_at", "!=", False),
                    ("ended_at", ">=", fields.Datetime.now() - timedelta(days=HISTORY_DAYS)),
                ],
                ["first_pro_joined_at", "ended_at"],
                order="ended_at desc",
                limit=HISTORY_VISITS,
            )
        )
        lengths = [
            (v.ended_at - v.first_pro_joined_at).total_seconds() / 60
            for v in visits
            if v.ended_at > v.first_pro_joined_at
        ]
        return median(lengths) if len(lengths) >= MIN_HISTORY else DEFAULT_VISIT_MINUTES

    def _get_pro_activity(self):
        """``(active, busy)``: the lobby's pros who are active now (online,
        in one of its visits, or in one that ended within 30 minutes), and
        those of them in a visit right now."""
        self.ensure_one()
        now = fields.Datetime.now()
        # sudo: clinic.meeting.participant - who is in which visit, no patient data
        recent = (
            self.env["clinic.meeting.participant"]
            .sudo()
            .search_fetch(
                [
                    ("meeting_id.lobby_id", "=", self.id),
                    ("role", "=", "pro"),
                    "|",
                    ("left_at", "=", False),
                    ("left_at", ">=", now - ACTIVE_WITHIN),
                ],
                ["pro_id", "left_at"],
            )
        )
        busy = recent.filtered(lambda p: not p.left_at).pro_id
        pros = self.sudo().pro_ids
        online = pros.filtered(lambda p: p.user_id.partner_id.im_status in ("online", "away"))
        active = (online | recent.pro_id | busy) & pros
        return active, busy & pros

    def _estimate_wait(self, position, active_count, busy_count, visit_minutes):
        """Minutes until the patient at ``position`` (1 = next) is taken.

        The pros free now take the first patients at once. The others come
        free, on average, half a visit from now (the visits under way are
        half done), then every ``visit_minutes``: with ``active_count`` pros,
        the patient's turn comes after ``ceil((position - free) / active)``
        rounds, the first of them half a visit long.

        :return: minutes (0 when a pro is free for them), or None when no pro
            is active (no time can be promised)
        """
        if active_count <= 0:
            return None
        free = max(0, active_count - busy_count)
        if position <= free:
            return 0.0
        rounds = math.ceil((position - free) / active_count)
        return (rounds - 0.5) * visit_minutes

    def _get_queue_insight(self, meeting):
        """What the waiting ``meeting``'s patient sees: their place, the
        estimate, whether a pro is active."""
        self.ensure_one()
        # sudo: clinic.meeting - the place in line is counted, not shown
        ahead = (
            self.env["clinic.meeting"]
            .sudo()
            .search_count(
                [
                    ("lobby_id", "=", self.id),
                    ("state", "=", "waiting"),
                    "|",
                    ("checked_in_at", "<", meeting.checked_in_at),
                    "&",
                    ("checked_in_at", "=", meeting.checked_in_at),
                    ("id", "<", meeting.id),
                ]
            )
        )
        position = ahead + 1
        active, busy = self._get_pro_activity()
        minutes = self._estimate_wait(position, len(active), len(busy), self._get_visit_minutes())
        return {
            "position": position,
            "pros_active": len(active),
            "expected_minutes": None if minutes is None else math.ceil(minutes),
        }

    # ------------------------------------------------------------
    # THE MANAGERS' BOARD
    # ------------------------------------------------------------

    def _get_board_data(self):
        """Every active lobby's figures now: one query for all the queues,
        whatever the number of patients, then the pros' activity of each
        lobby (a few queries a lobby: clinics have a handful)."""
        lobbies = self.search([])
        now = fields.Datetime.now()
        waiting = {
            lobby.id: (count, oldest)
            for lobby, count, oldest in self.env["clinic.meeting"]._read_group(
                [("lobby_id", "in", lobbies.ids), ("state", "=", "waiting")],
                ["lobby_id"],
                ["__count", "checked_in_at:min"],
            )
        }
        rows = []
        for lobby in lobbies:
            count, oldest = waiting.get(lobby.id, (0, None))
            active, busy = lobby._get_pro_activity()
            rows.append(
                {
                    "id": lobby.id,
                    "name": lobby.name,
                    "waiting": count,
                    "longest_wait_minutes": int((now - oldest).total_seconds() // 60)
                    if oldest
                    else 0,
                    "wait_target_minutes": lobby.wait_target_minutes,
                    "pros": len(lobby.pro_ids),
                    "pros_active": len(active),
                    "pros_in_visit": len(busy),
                }
            )
        return {"lobbies": rows, "now": fields.Datetime.to_string(now)}
