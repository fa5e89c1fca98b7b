import json
from datetime import timedelta

from odoo import Command, fields

from odoo.addons.clinic_lobby.tests.common import ClinicLobbyCommon


def create_visit(env, lobby, checked_in_at, joined_at=None, ended_at=None, *, pro=None, state=None):
    """A walk-in meeting of ``lobby`` with known times: checked in at
    ``checked_in_at``, taken by ``pro`` at ``joined_at`` (if any), ended at
    ``ended_at``; ``state`` defaults to what the times say."""
    if state is None:
        state = "waiting" if not joined_at else ("done" if ended_at else "in_progress")
    participants = [
        Command.create({"role": "patient", "name": "Patient", "joined_at": checked_in_at})
    ]
    if pro:
        participants.append(
            Command.create(
                {
                    "role": "pro",
                    "name": pro.name,
                    "pro_id": pro.id,
                    "joined_at": joined_at,
                    "left_at": ended_at,
                }
            )
        )
    return env["clinic.meeting"].create(
        {
            "name": "Patient",
            "lobby_id": lobby.id if lobby else False,
            "checked_in_at": checked_in_at,
            "first_pro_joined_at": joined_at,
            "ended_at": ended_at,
            "state": state,
            "participant_ids": participants,
        }
    )


class BusMixin:
    def _last_bus_id(self):
        self.env.cr.precommit.run()
        return self.env["bus.bus"].sudo().search([], order="id desc", limit=1).id

    def _bus_notifications(self, since_id):
        """The bus notifications sent after ``since_id``, as ``[(channel,
        message)]``, the pending ones included."""
        self.env.cr.precommit.run()
        return [
            (json.loads(n.channel), json.loads(n.message))
            for n in self.env["bus.bus"].sudo().search([("id", ">", since_id)], order="id")
        ]

    def _queue_notifications(self, lobby, since_id):
        channel = [self.env.cr.dbname, "clinic.lobby", lobby.id, "waiting"]
        return [
            message
            for notified, message in self._bus_notifications(since_id)
            if notified == channel and message["type"] == "clinic.lobby/queue"
        ]


class ClinicInsightCommon(BusMixin, ClinicLobbyCommon):
    """Lobbies A (pros Alpha and Beta) and B (Gamma), and meetings with known times."""

    def _create_visit(self, *args, lobby=None, **kwargs):
        return create_visit(self.env, lobby or self.lobby_a, *args, **kwargs)

    def _ago(self, minutes):
        return fields.Datetime.now() - timedelta(minutes=minutes)
