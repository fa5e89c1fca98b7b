from odoo.tests import tagged

from .common import ClinicLobbyCommon, ClinicLobbyHttpCommon

# Query budgets. They must not grow with the number of meetings: each test
# checks the same budget with 1 and with 100 patients already queued.
# lobby._check_in: active-meeting and form-key look-ups, the lobby's company,
# guest, meeting and patient inserts, stored computes, the audit line, bus
# notifications.
CHECK_IN_QUERIES = 10
# The whole POST /lobby/<slug>/check-in request: the above plus the session,
# the lobby look-up, the guest cookie and the CSRF check.
CHECK_IN_POST_QUERIES = 22
# pro._get_dashboard_data: lobbies, queue, in progress, mine, current, then
# every shown meeting, participant, pro and lobby read once, in batch.
DASHBOARD_QUERIES = 12
# meeting.action_join by a pro: the pro, the access check, the row lock, the
# participant insert, the state change, the audit line, the call hang-ups and
# bus notifications.
JOIN_QUERIES = 16


@tagged("post_install", "-at_install")
class TestLobbyPerformance(ClinicLobbyCommon):
    def _queue(self, count):
        for n in range(count):
            self._check_in(name=f"Queued {n}")

    def _assert_check_in_budget(self, queued):
        self._queue(queued)
        self.lobby_a._check_in("Warm Up", "1980-05-04")  # warm the registry caches
        self.env.invalidate_all()
        with self.assertQueryCount(CHECK_IN_QUERIES):
            self.lobby_a._check_in("New Patient", "1980-05-04", check_in_key=f"k{queued}")

    def test_check_in_budget_1(self):
        self._assert_check_in_budget(1)

    def test_check_in_budget_100(self):
        self._assert_check_in_budget(100)

    def _assert_dashboard_budget(self, queued):
        self._queue(queued)
        for meeting in self.lobby_a.meeting_ids[:3]:
            meeting._join_pro(self.pro_b)
            meeting._leave_pro(self.pro_b)
        self.lobby_a.meeting_ids[-1]._join_pro(self.pro_a)
        pro = self.pro_a.with_user(self.user_pro_a)
        pro._get_dashboard_data()  # warm the registry caches (access rules)
        self.env.invalidate_all()
        with self.assertQueryCount(DASHBOARD_QUERIES):
            data = pro._get_dashboard_data()
        self.assertEqual(len(data["queue"]), queued - 4)
        self.assertTrue(data["current"])

    def _assert_join_budget(self, queued):
        self._queue(queued)
        warm_up, meeting = self.lobby_a.meeting_ids[:2]
        warm_up.with_user(self.user_pro_a).action_join()  # warm the registry caches
        warm_up._leave_pro(self.pro_a)
        self.env.invalidate_all()
        with self.assertQueryCount(JOIN_QUERIES):
            meeting.with_user(self.user_pro_a).action_join()
        self.assertEqual(meeting.state, "in_progress")

    def test_join_budget_1(self):
        self._assert_join_budget(2)

    def test_join_budget_100(self):
        self._assert_join_budget(101)

    def test_dashboard_budget_1(self):
        self._assert_dashboard_budget(5)

    def test_dashboard_budget_100(self):
        self._assert_dashboard_budget(104)


@tagged("post_install", "-at_install")
class TestLobbyHttpPerformance(ClinicLobbyHttpCommon):
    def _assert_post_budget(self, queued):
        for n in range(queued):
            self._create_meeting(f"Queued {n}", lobby_id=self.lobby_a.id)
        form = self._get_form()
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(CHECK_IN_POST_QUERIES):
            response = self._post_check_in(form=form, name="New Patient", birthdate="1980-05-04")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(len(self._meetings()), queued + 1)

    def test_check_in_post_budget_1(self):
        self._assert_post_budget(1)

    def test_check_in_post_budget_100(self):
        self._assert_post_budget(100)
