from odoo.exceptions import AccessError
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged, users
from odoo.tools import mute_logger

from odoo.addons.clinic_lobby.tests.common import setup_lobbies
from odoo.addons.clinic_meeting.tests.common import create_meeting, setup_clinic_pros

from .common import ClinicInsightCommon

NOT_MANAGERS = ("test_clinic_user", "test_pro_a", "test_internal")


def setup_users(cls):
    """A clinic user (not manager) and an internal user without clinic rights."""
    cls.user_clinic_user = new_test_user(
        cls.env, login="test_clinic_user", groups="base.group_user,clinic_meeting.group_clinic_user"
    )
    cls.user_internal = new_test_user(cls.env, login="test_internal", groups="base.group_user")


@tagged("post_install", "-at_install", "security")
class TestReportAccess(ClinicInsightCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_users(cls)

    def setUp(self):
        super().setUp()
        self._create_visit(
            self._ago(30), joined_at=self._ago(20), ended_at=self._ago(10), pro=self.pro_a
        )

    @users("test_clinic_manager")
    def test_manager_reads_the_report(self):
        report = self.env["clinic.insight.visit"]
        rows = report.search_read(
            [("lobby_id", "=", self.lobby_a.id)], ["wait_minutes", "visit_minutes"]
        )
        self.assertEqual(len(rows), 1)
        self.assertAlmostEqual(rows[0]["wait_minutes"], 10)
        [(count, median)] = report._read_group(
            [("lobby_id", "=", self.lobby_a.id)], [], ["visit_count:sum", "wait_median:sum"]
        )
        self.assertEqual((count, median), (1, 10))
        self.assertTrue(self.env["clinic.lobby"]._get_board_data()["lobbies"])

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_others_cannot_read_the_report(self):
        for login in NOT_MANAGERS:
            user = self.env["res.users"].search([("login", "=", login)])
            report = self.env["clinic.insight.visit"].with_user(user)
            with self.subTest(login=login):
                with self.assertRaises(AccessError):
                    report.search([])
                with self.assertRaises(AccessError):
                    report._read_group([], ["lobby_id"], ["wait_median:sum"])
                with self.assertRaises(AccessError):
                    report.browse(self.lobby_a.meeting_ids.id * 2).read(["wait_minutes"])


@tagged("post_install", "-at_install", "security")
class TestBoardRoute(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_clinic_pros(cls)
        setup_lobbies(cls)
        setup_users(cls)

    def test_manager_gets_the_board(self):
        create_meeting(self.env, "John Doe", lobby_id=self.lobby_a.id)
        self.authenticate("test_clinic_manager", "test_clinic_manager")
        board = self.make_jsonrpc_request("/clinic/insight/board")
        lobbies = {row["id"]: row for row in board["lobbies"]}
        self.assertEqual(lobbies[self.lobby_a.id]["pros"], 2)
        self.assertEqual(lobbies[self.lobby_a.id]["waiting"], 1)
        self.assertNotIn("John", str(board))

    @mute_logger("odoo.http")
    def test_others_get_a_404(self):
        for login in NOT_MANAGERS:
            with self.subTest(login=login):
                self.authenticate(login, login)
                with self.assertRaises(JsonRpcException) as caught:
                    self.make_jsonrpc_request("/clinic/insight/board")
                self.assertEqual(caught.exception.code, 404)
        self.authenticate(None, None)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request("/clinic/insight/board")
