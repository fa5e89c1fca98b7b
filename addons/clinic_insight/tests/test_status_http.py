import warnings
from unittest.mock import MagicMock, patch

from odoo import models
from odoo.tests import tagged

from odoo.addons.clinic_lobby.tests.common import ClinicLobbyHttpCommon

from .common import ClinicInsightCommon


@tagged("post_install", "-at_install")
class TestStatusHttp(ClinicLobbyHttpCommon):
    """The waiting patient's place, through the status route of their page."""

    def _check_in_stranger(self, name):
        """A new browser checks in: its cookies and its meeting's address."""
        self.opener.cookies.clear()
        response = self._post_check_in(name=name, birthdate="1980-05-04")
        self.assertEqual(response.status_code, 303)
        return dict(self.opener.cookies), response.headers["Location"]

    def _as(self, stranger):
        cookies, _url = stranger
        self.opener.cookies.clear()
        self.opener.cookies.update(cookies)

    def _status(self, stranger):
        self._as(stranger)
        response = self.url_open(f"{stranger[1]}/status", json={"params": {}})
        return response.json()["result"]

    def test_place_in_line_moves(self):
        first, second, third = (
            self._check_in_stranger(n) for n in ("Ann One", "Bob Two", "Cy Three")
        )
        meetings = self._meetings().sorted("id")
        self.assertEqual(len(meetings), 3)
        self.assertEqual(
            self._status(third),
            {
                "state": "waiting",
                "pro_names": [],
                "position": 3,
                "pros_active": 0,
                "expected_minutes": None,
            },
        )
        self.assertEqual(self._status(first)["position"], 1)

        # A pro takes the first: in a visit, the only active pro.
        meetings[0]._join_pro(self.pro_a)
        status = self._status(third)
        self.assertEqual(status["position"], 2)
        self.assertEqual(status["pros_active"], 1)
        self.assertEqual(status["expected_minutes"], 15, "a round and a half of 10 minutes")
        self.assertNotIn("position", self._status(first))
        self.assertEqual(self._status(second)["position"], 1)

        # The second leaves.
        self._as(second)
        token = self._csrf_token(self.url_open(second[1]))
        left = self.url_open(f"{second[1]}/leave", data={"csrf_token": token})
        self.assertEqual(left.status_code, 200)
        self.assertEqual(meetings[1].state, "cancelled")
        status = self._status(third)
        self.assertEqual(status["position"], 1)
        self.assertEqual(status["expected_minutes"], 5)


@tagged("post_install", "-at_install")
class TestQueueBus(ClinicInsightCommon):
    """Whatever moves a queue tells its waiting pages, by ids only."""

    def test_queue_notifications(self):
        payload = {"type": "clinic.lobby/queue", "payload": {"lobby_id": self.lobby_a.id}}
        since = self._last_bus_id()
        first = self._check_in(name="Ann One")
        second = self._check_in(name="Bob Two", guest=self.env["mail.guest"].create({"name": "B"}))
        self.assertIn(payload, self._queue_notifications(self.lobby_a, since), "a check-in")
        self.assertFalse(self._queue_notifications(self.lobby_b, since))

        since = self._last_bus_id()
        first._join_pro(self.pro_a)
        self.assertEqual(
            self._queue_notifications(self.lobby_a, since), [payload], "a pro takes one"
        )

        since = self._last_bus_id()
        second._leave_patient()
        self.assertEqual(self._queue_notifications(self.lobby_a, since), [payload], "one leaves")

    def _channels(self, channels, user=None):
        """The channels a websocket of ``user`` (the public user: a patient's
        page) asking for ``channels`` is given."""
        user = user or self.env.ref("base.public_user")
        wsrequest = MagicMock()
        wsrequest.session.uid = None if user._is_public() else user.id
        # Comparing a record with a string channel warns: no module may do it.
        with (
            patch("odoo.addons.bus.models.ir_websocket.wsrequest", new=wsrequest),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("error")
            channels = self.env["ir.websocket"].with_user(user)._build_bus_channel_list(channels)
        # Records and (record, subchannel) as comparable keys.
        return [
            (c._name, c.id)
            if isinstance(c, models.BaseModel)
            else ((c[0]._name, c[0].id, c[1]) if isinstance(c, tuple) else c)
            for c in channels
        ]

    def test_waiting_page_hears_its_lobby(self):
        meeting = self._check_in()
        self.assertIn(
            ("clinic.lobby", self.lobby_a.id, "waiting"),
            self._channels([meeting._patient_bus_channel()]),
        )
        forged = f"clinic.meeting_{meeting.id}_00000000-0000-4000-8000-000000000000"
        self.assertNotIn(("clinic.lobby", self.lobby_a.id, "waiting"), self._channels([forged]))
        self.assertNotIn(
            ("clinic.lobby", self.lobby_a.id, "waiting"), self._channels(["clinic.meeting_0_x"])
        )

    def test_board_channel_is_for_managers(self):
        board = self._channels(["clinic_insight.board"], self.user_manager)
        self.assertIn(("clinic.lobby", self.lobby_a.id), board)
        self.assertIn(("clinic.lobby", self.lobby_b.id), board)
        for user in (self.user_pro_a, self.env.ref("base.public_user")):
            board = self._channels(["clinic_insight.board"], user)
            self.assertNotIn(("clinic.lobby", self.lobby_a.id), board)
            self.assertNotIn("clinic_insight.board", board)
