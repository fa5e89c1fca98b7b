from odoo import Command
from odoo.tests import tagged

from odoo.addons.clinic_lobby.tests.common import ClinicLobbyHttpCommon

from .common import ClinicInsightCommon

# Query budgets. They must not grow with the queue: each is checked with 1
# and with 1,000 patients waiting in the lobby.
# meeting._get_patient_status of a waiting walk-in: the patient count ahead,
# the pros in the lobby's recent visits, the lobby's pros and their
# partners' presence, the recent visit lengths.
STATUS_QUERIES = 11
# The whole POST /lobby/<slug>/meeting/<id>/status request: the above plus
# the session, the guest cookie, the lobby and the meeting.
STATUS_HTTP_QUERIES = 16
# lobby._get_board_data as a manager, lobbies A and B only: the lobbies,
# one grouped count of the queues, then per lobby its pros' activity
# (recent visits, pros, presence). It grows with the number of lobbies, not
# of patients.
BOARD_QUERIES = 11


def queue(env, lobby, count):
    """``count`` walk-ins waiting in ``lobby``, created in one batch."""
    return env["clinic.meeting"].create(
        [
            {
                "name": f"Queued {n}",
                "lobby_id": lobby.id,
                "participant_ids": [Command.create({"role": "patient", "name": f"Queued {n}"})],
            }
            for n in range(count)
        ]
    )


@tagged("post_install", "-at_install")
class TestInsightPerformance(ClinicInsightCommon):
    def setUp(self):
        super().setUp()
        # Alpha in a visit, Beta ended one 10 minutes ago; five visits of history.
        self._create_visit(self._ago(20), joined_at=self._ago(5), pro=self.pro_a)
        for n in range(5):
            self._create_visit(
                self._ago(60 * n + 40),
                joined_at=self._ago(60 * n + 30),
                ended_at=self._ago(60 * n + 10),
                pro=self.pro_b,
            )

    def _assert_status_budget(self, waiting):
        queue(self.env, self.lobby_a, waiting - 1)
        meeting = self._create_visit(self._ago(0))
        meeting._get_patient_status()  # warm the registry caches
        self.env.invalidate_all()
        with self.assertQueryCount(STATUS_QUERIES):
            status = meeting._get_patient_status()
        self.assertEqual(status["position"], waiting)
        self.assertEqual(status["pros_active"], 2)

    def test_status_budget_1(self):
        self._assert_status_budget(1)

    def test_status_budget_1000(self):
        self._assert_status_budget(1000)

    def _assert_board_budget(self, waiting):
        others = self.env["clinic.lobby"].search(
            [("id", "not in", (self.lobby_a | self.lobby_b).ids)]
        )
        others.active = False  # the demo's lobbies
        queue(self.env, self.lobby_a, waiting)
        board = self.env["clinic.lobby"].with_user(self.user_manager)
        board._get_board_data()  # warm the registry caches (access rules)
        self.env.invalidate_all()
        with self.assertQueryCount(BOARD_QUERIES):
            data = board._get_board_data()
        row = next(row for row in data["lobbies"] if row["id"] == self.lobby_a.id)
        self.assertEqual(row["waiting"], waiting)
        self.assertEqual((row["pros_active"], row["pros_in_visit"]), (2, 1))

    def test_board_budget_1(self):
        self._assert_board_budget(1)

    def test_board_budget_1000(self):
        self._assert_board_budget(1000)


@tagged("post_install", "-at_install")
class TestInsightHttpPerformance(ClinicLobbyHttpCommon):
    def _assert_status_http_budget(self, waiting):
        queue(self.env, self.lobby_a, waiting - 1)
        response = self._post_check_in(name="New Patient", birthdate="1980-05-04")
        url = response.headers["Location"] + "/status"
        self.url_open(url, json={"params": {}})  # warm the registry caches
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(STATUS_HTTP_QUERIES):
            status = self.url_open(url, json={"params": {}}).json()["result"]
        self.assertEqual(status["position"], waiting)

    def test_status_http_budget_1(self):
        self._assert_status_http_budget(1)

    def test_status_http_budget_1000(self):
        self._assert_status_http_budget(1000)
