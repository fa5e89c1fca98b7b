from unittest.mock import patch

from requests import HTTPError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, JsonRpcException, tagged, users
from odoo.tools import mute_logger

from .common import ClinicMeetingCommon


class ClinicCallCommon(ClinicMeetingCommon):
    """A waiting meeting whose patient is in its call, and Dr. Alpha in it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["mail.ice.server"].search([]).unlink()
        cls.meeting = cls._create_meeting("Paula Patient")
        cls.patient = cls.meeting.patient_participant_id
        cls.guest = cls.patient.guest_id

    def _join_call(self, participant, meeting=None):
        return (meeting or self.meeting)._call_join(participant)

    def _pro_in_call(self, pro=None, meeting=None):
        meeting = meeting or self.meeting
        participant = meeting._join_pro(pro or self.pro_a, take_over=True)
        return participant, self._join_call(participant, meeting)

    def _channel(self, meeting=None):
        return self.env["discuss.channel"].search(
            [("clinic_meeting_id", "=", (meeting or self.meeting).id)]
        )

    def _member_personas(self, channel):
        return {m.partner_id or m.guest_id for m in channel.channel_member_ids}


class TestMeetingCall(ClinicCallCommon):
    def test_call_channel_is_private_and_holds_the_participants(self):
        call = self._join_call(self.patient)
        channel = self._channel()
        self.assertEqual(
            channel.channel_type, "group", "a group channel is readable by members only"
        )
        self.assertEqual(self._member_personas(channel), {self.guest}, "no creator slipped in")
        self.assertEqual(call["state"], "waiting")
        self.assertEqual(call["channelId"], channel.id)
        self.assertEqual(call["sessionId"], channel.rtc_session_ids.id)
        self.assertEqual(
            call["sessions"],
            [{"id": call["sessionId"], "name": "Paula Patient", "role": "patient", "isSelf": True}],
        )

        participant, pro_call = self._pro_in_call()
        self.assertEqual(self._member_personas(channel), {self.guest, self.user_pro_a.partner_id})
        self.assertEqual(len(channel.rtc_session_ids), 2)
        self.assertEqual(
            [(s["name"], s["role"], s["isSelf"]) for s in pro_call["sessions"]],
            [("Paula Patient", "patient", False), ("Dr. Alpha", "pro", True)],
        )
        self.assertEqual(participant.partner_id, self.user_pro_a.partner_id)

    def test_joining_again_replaces_the_session(self):
        first = self._join_call(self.patient)
        again = self._join_call(self.patient)
        channel = self._channel()
        self.assertNotEqual(first["sessionId"], again["sessionId"])
        self.assertEqual(channel.rtc_session_ids.ids, [again["sessionId"]])
        self.assertEqual(len(channel.channel_member_ids), 1, "one member per participant")

    def test_nobody_else_can_become_a_member(self):
        self._join_call(self.patient)
        channel = self._channel()
        with self.assertRaises(ValidationError), mute_logger("odoo.sql_db"):
            channel.add_members(partner_ids=self.user_pro_b.partner_id.ids)
        other_guest = self.env["mail.guest"].create({"name": "Nosy"})
        with self.assertRaises(ValidationError):
            channel.add_members(guest_ids=other_guest.ids)
        # Not even an administrator, who may read every channel, by joining it.
        with self.assertRaises(ValidationError):
            channel.with_user(self.env.ref("base.user_admin"))._find_or_create_member_for_self()
        self.assertEqual(self._member_personas(channel), {self.guest})

    def test_only_participants_in_the_meeting_are_in_the_call(self):
        self._join_call(self.patient)
        participant, _call = self._pro_in_call()
        channel = self._channel()
        pro_member = channel.channel_member_ids.filtered("partner_id")

        # Dr. Beta takes over, then Dr. Alpha leaves: Alpha is hung up.
        self._pro_in_call(self.pro_b)
        self.meeting.with_user(self.user_pro_a).action_leave()
        self.assertEqual(
            [m.partner_id or m.guest_id for m in channel.rtc_session_ids.channel_member_id],
            [self.guest, self.user_pro_b.partner_id],
        )
        self.assertEqual(
            self._join_call(participant), {"state": "in_progress", "sessionId": False, "left": True}
        )
        # Discuss's own route is closed to them too.
        with self.assertRaises(AccessError):
            pro_member._rtc_join_call()
        self.assertEqual(
            pro_member,
            channel.channel_member_ids.filtered(
                lambda m: m.partner_id == self.user_pro_a.partner_id
            ),
            "still a member: they can read what was said",
        )

        # The last pro leaves: the visit is over, and its call with it.
        self.meeting.with_user(self.user_pro_b).action_leave()
        self.assertEqual(self.meeting.state, "done")
        self.assertFalse(channel.rtc_session_ids)
        self.assertEqual(self._join_call(self.patient)["sessionId"], False)
        with self.assertRaisesRegex(UserError, "This visit has ended."):
            channel.channel_member_ids.filtered("guest_id")._rtc_join_call()

    def test_deleted_meeting_takes_its_call_along(self):
        self._join_call(self.patient)
        channel = self._channel()
        channel.message_post(body="Private words", message_type="comment")
        messages = channel.message_ids
        self.meeting.with_user(self.user_manager).action_cancel()
        self.meeting.with_user(self.user_manager).unlink()
        self.assertFalse(channel.exists())
        self.assertFalse(messages.exists())

    def test_cancelled_meeting_hangs_up(self):
        self._join_call(self.patient)
        self.meeting.with_user(self.user_manager).action_cancel()
        self.assertFalse(self._channel().rtc_session_ids)

    def test_ping_keeps_the_session_and_drops_the_dead(self):
        call = self._join_call(self.patient)
        participant, pro_call = self._pro_in_call()
        session = self.env["discuss.channel.rtc.session"].browse(pro_call["sessionId"])
        # The patient's page vanished without a word a while ago.
        self.env.cr.execute(
            "UPDATE discuss_channel_rtc_session SET write_date = now() - interval '5 minutes'"
            " WHERE id = %s",
            [call["sessionId"]],
        )
        self.env.invalidate_all()
        ping = self.meeting._call_ping(participant, session.id)
        self.assertEqual(ping["sessionId"], session.id)
        self.assertEqual([s["id"] for s in ping["sessions"]], [session.id])
        # A ping for a session that is not theirs keeps nothing alive.
        self.assertFalse(self.meeting._call_ping(self.patient, session.id)["sessionId"])

    def test_signalling_stays_inside_the_call(self):
        call = self._join_call(self.patient)
        _participant, pro_call = self._pro_in_call()
        other_meeting = self._create_meeting("Olaf Other")
        other_call = self._join_call(other_meeting.patient_participant_id, other_meeting)
        Session = self.env["discuss.channel.rtc.session"]
        intruder = Session.browse(other_call["sessionId"])
        patient_session = Session.browse(call["sessionId"])
        pro_session = Session.browse(pro_call["sessionId"])
        sent = []
        with patch.object(
            type(Session),
            "_bus_send",
            autospec=True,
            side_effect=lambda target, _type, payload: sent.append((target, payload)),
        ):
            intruder._notify_peers([([patient_session.id, pro_session.id], "offer")])
            self.assertEqual(sent, [], "a session of another call reaches nobody here")
            pro_session._notify_peers([([patient_session.id, intruder.id], "answer")])
        self.assertEqual(
            sent, [(patient_session, {"sender": pro_session.id, "notifications": ["answer"]})]
        )

    def test_no_ringing_and_no_sfu(self):
        self.env["ir.config_parameter"].set_param("mail.use_sfu_server", True)
        self.env["ir.config_parameter"].set_param("mail.sfu_server_url", "http://sfu.invalid")
        self.env["ir.config_parameter"].set_param("mail.sfu_server_key", "a-key")
        self._join_call(self.patient)
        with patch("requests.get", side_effect=AssertionError("SFU contacted")):
            self._pro_in_call()
            self._pro_in_call(self.pro_b)
        channel = self._channel()
        self.assertFalse(channel.sfu_channel_uuid)
        self.assertFalse(channel.invited_member_ids, "nobody is rung: pros join from the dashboard")

    def test_ice_servers_are_the_clinic_s_own(self):
        call = self._join_call(self.patient)
        self.assertEqual(call["iceServers"], [], "no public STUN server by default")
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.clinic_call_has_turn)
        self.assertIn("not even a public STUN server", settings.clinic_call_ice_servers)

        self.env["mail.ice.server"].create(
            [
                {"server_type": "stun", "uri": "turn.clinic.example:3478"},
                {
                    "server_type": "turn",
                    "uri": "turn.clinic.example:3478",
                    "username": "clinic",
                    "credential": "s3cret",
                },
            ]
        )
        call = self._join_call(self.patient)
        self.assertEqual(
            call["iceServers"],
            [
                {"urls": "stun:turn.clinic.example:3478"},
                {
                    "urls": "turn:turn.clinic.example:3478",
                    "username": "clinic",
                    "credential": "s3cret",
                },
            ],
        )
        settings = self.env["res.config.settings"].create({})
        self.assertTrue(settings.clinic_call_has_turn)
        self.assertEqual(
            settings.clinic_call_ice_servers,
            "stun:turn.clinic.example:3478\nturn:turn.clinic.example:3478 (with credentials)",
        )
        self.assertNotIn("s3cret", settings.clinic_call_ice_servers)

    def test_query_budgets(self):
        """A page pings every 30 seconds: a small, fixed number of queries,
        whatever the number of other calls. Joining is mostly Discuss's own
        ``_rtc_join_call`` (the session, its notifications, the call history)."""
        env = self.env(
            user=self.env.ref("base.public_user"), context={"guest": self.guest}, su=True
        )
        meeting, patient = self.meeting.with_env(env), self.patient.with_env(env)
        for others in (0, 20):
            for index in range(others):
                other = self._create_meeting(f"Other {index}")
                self._join_call(other.patient_participant_id, other)
            call = meeting._call_join(patient)
            self.env.invalidate_all()
            with self.assertQueryCount(8):
                meeting._call_ping(patient, call["sessionId"])
            self.env.invalidate_all()
            with self.assertQueryCount(51):
                meeting._call_join(patient)


@tagged("security")
class TestMeetingCallAccess(ClinicCallCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.meeting._call_join(cls.patient)
        cls.meeting._join_pro(cls.pro_a)
        cls.channel = cls.env["discuss.channel"].search(
            [("clinic_meeting_id", "=", cls.meeting.id)]
        )
        cls.channel.message_post(
            body="Private words", message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    def _visible(self, env):
        channels = env["discuss.channel"].search([("id", "=", self.channel.id)])
        messages = env["mail.message"].search(
            [("model", "=", "discuss.channel"), ("res_id", "=", self.channel.id)]
        )
        return channels, messages

    @users("test_pro_b")
    def test_other_pro_cannot_read_the_call(self):
        channels, messages = self._visible(self.env)
        self.assertFalse(channels)
        self.assertFalse(messages)
        with self.assertRaises(AccessError):
            self.channel.with_env(self.env).message_ids.mapped("body")

    def test_other_guest_cannot_read_the_call(self):
        stranger = self.env["mail.guest"].create({"name": "Stranger"})
        public = self.env.ref("base.public_user")
        env = self.env(user=public, context={"guest": stranger})
        channels, messages = self._visible(env)
        self.assertFalse(channels)
        self.assertFalse(messages)

    def test_participants_can_read_the_call(self):
        self.meeting._call_join(self.meeting.participant_ids.filtered("pro_id"))
        for env in (
            self.env(user=self.user_pro_a),
            self.env(user=self.env.ref("base.public_user"), context={"guest": self.guest}),
        ):
            channel = env["discuss.channel"].search([("id", "=", self.channel.id)])
            self.assertEqual(channel, self.channel)
            # What /discuss/channel/messages reads once it found the channel.
            messages = env["mail.message"]._message_fetch(domain=None, thread=channel)["messages"]
            self.assertIn("Private words", "".join(messages.mapped("body")))


@tagged("post_install", "-at_install", "security")
class TestMeetingCallRoutes(ClinicCallCommon, HttpCase):
    def _rpc(self, route, guest=None, **params):
        self.opener.cookies.clear()
        if guest:
            self.opener.cookies[guest._cookie_name] = guest._format_auth_cookie()
        return self.make_jsonrpc_request(route, params)

    def _assert_refused(self, route, guest=None, **params):
        """``route`` refuses the caller: as ``guest``, or as the logged-in
        user when ``guest`` is ``False``."""
        with mute_logger("odoo.http"):
            try:
                if guest is False:
                    answer = self.make_jsonrpc_request(route, params)
                else:
                    answer = self._rpc(route, guest=guest, **params)
            except (JsonRpcException, HTTPError):
                return
        self.fail(f"{route} answered: {answer}")

    def test_patient_joins_by_cookie_and_nobody_else(self):
        url = f"/clinic/meeting/{self.meeting.id}/call/join"
        call = self._rpc(url, guest=self.guest)
        self.assertEqual(call["state"], "waiting")
        self.assertTrue(call["sessionId"])
        ping = self._rpc(
            f"/clinic/meeting/{self.meeting.id}/call/ping",
            guest=self.guest,
            session_id=call["sessionId"],
        )
        self.assertEqual(ping["sessionId"], call["sessionId"])

        stranger = self.env["mail.guest"].create({"name": "Stranger"})
        for guest in (stranger, None):
            for route in ("join", "ping"):
                self._assert_refused(f"/clinic/meeting/{self.meeting.id}/call/{route}", guest=guest)
        channel = self._channel()
        self._assert_refused("/mail/rtc/channel/join_call", guest=stranger, channel_id=channel.id)
        self.assertEqual(self._member_personas(channel), {self.guest})

    def test_pro_joins_once_in_the_meeting(self):
        self.authenticate("test_pro_a", "test_pro_a")
        url = f"/clinic/meeting/{self.meeting.id}/call/join"
        self._assert_refused(url, guest=False)
        self.meeting._join_pro(self.pro_a)
        call = self.make_jsonrpc_request(url)
        self.assertEqual(call["state"], "in_progress")
        self.assertEqual([s["role"] for s in call["sessions"]], ["pro"])
