from datetime import timedelta
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

# Query budgets of the partner API's hot routes: whole requests, measured
# warm, with 5 queries of margin. A webhook listens to every event, as an
# integrator's does. Each starts with the key: its look-up, its user and
# partner, its rate counter (4).
# POST /lobbies/<id>/check-ins, measured 19: the lobby under the key's record
# rules (2), the patient's guest, the meeting and its participant (in a
# savepoint: 2 more), the webhook's delivery and the cron's trigger (5), the
# meeting's wait, the one-time entry token, the bus notifications.
CHECK_IN_QUERIES = 24
# POST /visits, measured 15: the pro (2), the visit and its participants,
# the webhook's delivery and the cron's trigger (5), the pro's user and
# their notification.
VISIT_CREATE_QUERIES = 20
# GET /appointment-types/<id>/slots of a day, measured 15: the type (2), its
# calendar, working hours (2) and leaves, its pros, their appointments of the
# day, the pros and their users, their calendars' busy events.
SLOTS_QUERIES = 20


@tagged("post_install", "-at_install")
class TestApiQueries(HttpCase):
    """The hot routes of the partner API stay within their query budgets,
    whatever the number of meetings or appointments already there."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.integration = new_test_user(
            cls.env,
            login="test_api_queries",
            groups="base.group_user,clinic_meeting.group_clinic_manager",
        )
        pro_user = new_test_user(
            cls.env, login="test_api_queries_pro", groups="base.group_portal", name="Dr. Query"
        )
        cls.pro = cls.env["clinic.pro"].create({"name": "Dr. Query", "user_id": pro_user.id})
        cls.lobby = cls.env["clinic.lobby"].create(
            {"name": "Queries", "slug": "test-api-queries", "pro_ids": [Command.set(cls.pro.ids)]}
        )
        calendar = cls.env["resource.calendar"].create(
            {
                "name": "Test API queries",
                "tz": "UTC",
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 18,
                            "day_period": "full_day",
                        }
                    )
                    for day in range(7)
                ],
            }
        )
        cls.appointment_type = cls.env["clinic.appointment.type"].create(
            {
                "name": "Test API queries",
                "slug": "test-api-queries",
                "resource_calendar_id": calendar.id,
                "pro_ids": [Command.set(cls.pro.ids)],
            }
        )
        cls.env["clinic.api.webhook"].create(
            {"name": "Test API queries", "url": "https://partner.example.com/hooks"}
        )
        cls.day = fields.Date.today() + timedelta(days=3)

    def setUp(self):
        super().setUp()
        key = self.env["res.users.apikeys"]._clinic_api_generate(self.integration, "queries", None)
        self.headers = {"Authorization": f"Bearer {key}"}

    def _api(self, path, json=None):
        return self.url_open(f"/api/v1{path}", json=json, headers=self.headers)

    def _measure(self, send, status, budget):
        """Send a request once to warm the caches, then again within
        ``budget`` queries; return the number of queries of the second."""
        self.assertEqual(send().status_code, status)
        self.env.flush_all()
        self.env.cr.flush()
        with patch("random.random", lambda: 1):  # no bus garbage collection
            count = self.cr.sql_log_count
            with self.assertQueryCount(budget):
                response = send()
            count = self.cr.sql_log_count - count
        self.assertEqual(response.status_code, status, response.text)
        return count

    def _check_in(self):
        return self._api(
            f"/lobbies/{self.lobby.id}/check-ins", {"name": "Jane Roe", "birthdate": "1980-05-04"}
        )

    def test_check_in(self):
        count = self._measure(self._check_in, 201, CHECK_IN_QUERIES)
        # 20 more meetings waiting in the lobby: the same queries.
        for n in range(20):
            self.lobby._check_in(f"Patient {n}", "1990-01-01")
        self.env.flush_all()
        self.assertEqual(self._measure(self._check_in, 201, CHECK_IN_QUERIES), count)

    def test_visit_create(self):
        def create():
            return self._api(
                "/visits",
                {"pro_id": self.pro.id, "name": "Jane Roe", "email": "jane.roe@example.com"},
            )

        self._measure(create, 201, VISIT_CREATE_QUERIES)

    def test_free_slots_of_a_day(self):
        def slots():
            return self.url_open(
                f"/api/v1/appointment-types/{self.appointment_type.id}/slots",
                params={"from": self.day.isoformat()},
                headers=self.headers,
            )

        count = self._measure(slots, 200, SLOTS_QUERIES)
        # A busier day: the same queries.
        free = [s for s in self.appointment_type._get_slots(self.day) if s["state"] == "free"]
        for n, slot in enumerate(free[:10]):
            _appointment, errors = self.env["clinic.appointment"]._book(
                self.appointment_type, slot["start"], name=f"Patient {n}", email="p@example.com"
            )
            self.assertFalse(errors)
        self.env.flush_all()
        self.assertEqual(self._measure(slots, 200, SLOTS_QUERIES), count)
