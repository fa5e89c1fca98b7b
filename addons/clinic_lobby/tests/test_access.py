from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import ClinicLobbyCommon, ClinicLobbyHttpCommon


@tagged("security")
class TestLobbyAccessRights(ClinicLobbyCommon):
    @users("test_pro_c")
    def test_pro_sees_only_own_lobbies_and_their_meetings(self):
        meeting_a = self._check_in(lobby=self.lobby_a.sudo())
        meeting_b = self._check_in(lobby=self.lobby_b.sudo(), name="Gamma Patient")
        patient_a_id = meeting_a.patient_participant_id.id
        self.env.invalidate_all()
        Lobby, Meeting = self.env["clinic.lobby"], self.env["clinic.meeting"]
        self.assertEqual(Lobby.search([]), self.lobby_b)
        self.assertEqual(Meeting.search([("lobby_id", "!=", False)]), meeting_b)
        with self.assertRaises(AccessError):
            Lobby.browse(self.lobby_a.id).name  # noqa: B018
        with self.assertRaises(AccessError):
            Meeting.browse(meeting_a.id).name  # noqa: B018
        with self.assertRaises(AccessError):
            self.env["clinic.meeting.participant"].browse(patient_a_id).birthdate  # noqa: B018
        with self.assertRaises(AccessError):
            Meeting.browse(meeting_a.id).action_join()
        self.assertEqual(meeting_a.state, "waiting")

    @users("test_pro_c")
    def test_dashboard_shows_only_own_lobbies(self):
        self._check_in(lobby=self.lobby_a.sudo(), name="Alpha Patient")
        self._check_in(lobby=self.lobby_b.sudo(), name="Gamma Patient")
        data = self.env["clinic.pro"]._get_current()._get_dashboard_data()
        self.assertEqual([m["name"] for m in data["queue"]], ["Gamma Patient"])
        self.assertEqual([lobby["name"] for lobby in data["lobbies"]], ["Gamma's Office"])

    def test_a_pro_removed_from_a_lobby_keeps_their_dashboard(self):
        """Their past meetings there stay under My meetings, with the lobby's
        name; the lobby's queue is no longer theirs."""
        meeting = self._check_in()
        meeting._join_pro(self.pro_a)
        meeting._leave_pro(self.pro_a)
        self.lobby_a.pro_ids = [(3, self.pro_a.id)]
        waiting = self._check_in(name="Still Waiting")
        data = self.pro_a.with_user(self.user_pro_a)._get_dashboard_data()
        mine = {m["id"]: m for m in data["my_meetings"]}
        self.assertEqual(mine[meeting.id]["lobby"], "Alpha & Beta's Office")
        self.assertNotIn(waiting.id, [m["id"] for m in data["queue"]])

    @users("test_portal")
    def test_portal_user_without_profile_sees_nothing(self):
        self._check_in(lobby=self.lobby_a.sudo())
        self.assertFalse(self.env["clinic.lobby"].search([]))
        self.assertFalse(self.env["clinic.meeting"].search([]))
        self.assertFalse(self.env["clinic.pro"]._get_current())

    @users("test_pro_a")
    def test_pro_cannot_write_meetings_directly(self):
        meeting = self._check_in(lobby=self.lobby_a.sudo())
        with self.assertRaises(AccessError):
            self.env["clinic.meeting"].browse(meeting.id).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.env["clinic.lobby"].browse(self.lobby_a.id).write({"name": "x"})


@tagged("post_install", "-at_install", "security")
class TestLobbyPublicAccess(ClinicLobbyHttpCommon):
    def test_stranger_cannot_open_another_strangers_meeting(self):
        response = self._post_check_in(name="John Doe", birthdate="1980-05-04")
        meeting_url = response.headers["Location"]
        meeting = self._meetings()
        status_url = f"{meeting_url}/status"
        self.assertEqual(self.url_open(meeting_url).status_code, 200)
        self.assertEqual(
            self.url_open(status_url, json={"params": {}}).json()["result"]["state"], "waiting"
        )

        # Another browser: no cookie, or another guest's cookie.
        self.opener.cookies.clear()
        self.assertEqual(self.url_open(meeting_url).status_code, 404)
        self.assertIn("error", self.url_open(status_url, json={"params": {}}).json())
        own_url = self._post_check_in(name="Jane Roe", birthdate="1990-01-01").headers["Location"]
        self.assertEqual(len(self._meetings()), 2)
        self.assertEqual(self.url_open(meeting_url).status_code, 404)
        token = self._csrf_token(self.url_open(own_url))
        self.assertEqual(
            self.url_open(f"{meeting_url}/leave", data={"csrf_token": token}).status_code, 404
        )
        self.assertEqual(meeting.state, "waiting")
        # Nor through another lobby's address.
        self.assertEqual(self.url_open(f"/lobby/test-gamma/meeting/{meeting.id}").status_code, 404)

    def test_forged_guest_cookie_is_no_one(self):
        response = self._post_check_in(name="John Doe", birthdate="1980-05-04")
        guest = self._meetings().patient_participant_id.guest_id
        self.opener.cookies.clear()
        self.opener.cookies.set("dgid", f"{guest.id}|not-the-token")
        self.assertEqual(self.url_open(response.headers["Location"]).status_code, 404)

    def test_dashboard_needs_login(self):
        response = self.url_open("/my/clinic", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.assertIn("error", self.url_open("/my/clinic/data", json={"params": {}}).json())

    @mute_logger("odoo.http")
    def test_pro_cannot_join_another_lobbys_meeting_over_http(self):
        meeting = self._create_meeting(lobby_id=self.lobby_a.id)
        self.authenticate("test_pro_c", "test_pro_c")
        result = self.url_open(f"/my/clinic/meeting/{meeting.id}/join", json={"params": {}}).json()[
            "result"
        ]
        self.assertEqual(result["error"], "This meeting is not available to you.")
        self.assertEqual(result["queue"], [])
        self.assertEqual(meeting.state, "waiting")

    def test_non_pro_dashboard(self):
        self.authenticate("test_portal", "test_portal")
        response = self.url_open("/my/clinic")
        self.assertIn(b"Your account has no professional profile", response.content)
        self.assertEqual(
            self.url_open("/my/clinic/data", json={"params": {}}).json()["result"],
            {"is_pro": False},
        )
