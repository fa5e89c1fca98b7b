import threading
from concurrent.futures import ThreadPoolExecutor

from odoo import api
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger


@tagged("-at_install", "post_install")
class TestJoinRace(BaseCase):
    """Two pros click Join on the same queued meeting at the same instant.

    Each click runs in its own transaction, as two HTTP requests would, and
    goes through Odoo's ``retrying`` like a request does.
    """

    ROUNDS = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._cleanup)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            users = env["res.users"].create(
                [
                    {
                        "name": f"Dr. Race {x}",
                        "login": f"race_{x}",
                        "group_ids": [(6, 0, env.ref("base.group_portal").ids)],
                    }
                    for x in "ab"
                ]
            )
            pros = env["clinic.pro"].create(
                [{"name": user.name, "user_id": user.id} for user in users]
            )
            lobby = env["clinic.lobby"].create(
                {"name": "Race Office", "slug": "test-race", "pro_ids": [(6, 0, pros.ids)]}
            )
            cls.user_ids, cls.pro_ids, cls.lobby_id = users.ids, pros.ids, lobby.id

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["clinic.meeting"].search([("lobby_id", "=", cls.lobby_id)]).unlink()
            env["clinic.lobby"].browse(cls.lobby_id).unlink()
            env["clinic.pro"].browse(cls.pro_ids).unlink()
            env["res.users"].browse(cls.user_ids).unlink()

    def _new_meeting(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            meeting, errors = (
                env["clinic.lobby"].browse(self.lobby_id)._check_in("Raced Patient", "1980-05-04")
            )
            self.assertFalse(errors)
            return meeting.id

    def _join(self, user_id, meeting_id, barrier):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, user_id, {})
            meeting = env["clinic.meeting"].browse(meeting_id)
            # Both transactions see the waiting meeting before either joins.
            self.assertEqual(meeting.state, "waiting")
            barrier.wait(timeout=5)
            try:
                retrying(meeting.action_join, env)
            except UserError as error:
                return str(error)
            return "joined"

    @mute_logger("odoo.sql_db", "odoo.service.model")
    def test_two_pros_join_at_the_same_instant(self):
        for _round in range(self.ROUNDS):
            meeting_id = self._new_meeting()
            barrier = threading.Barrier(2)
            with ThreadPoolExecutor(max_workers=2) as executor:
                futures = [
                    executor.submit(self._join, user_id, meeting_id, barrier)
                    for user_id in self.user_ids
                ]
                outcomes = sorted(future.result(timeout=30) for future in futures)
            self.assertEqual(outcomes[1], "joined")
            self.assertRegex(outcomes[0], r"^Already taken by Dr\. Race [ab]\.$")
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                meeting = env["clinic.meeting"].browse(meeting_id)
                self.assertEqual(meeting.state, "in_progress")
                self.assertEqual(meeting.pro_count, 1)
                # The winner's name is the one the loser was told.
                winner = meeting.participant_ids.filtered(lambda p: p.role == "pro").name
                self.assertEqual(outcomes[0], f"Already taken by {winner}.")
                meeting.action_cancel()
