import json

from odoo.tests import tagged

from .common import ClinicTherapyHttpCommon, message, payload


@tagged("post_install", "-at_install")
class TestChatHttp(ClinicTherapyHttpCommon):
    """The session page and the seed's calls, as the participants' browsers
    make them: a therapist and three patients, each in their own browser."""

    def _in(self, user):
        """Switch to ``user``'s browser, which has the session page open."""
        self._as(user)
        return self

    def test_the_session_page(self):
        self._in(self.user_ann)
        response = self._get(self._url())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        (component,) = self._page(response).cssselect(
            'owl-component[name="clinic_therapy.session"]'
        )
        self.assertEqual(json.loads(component.get("props")), {"sessionId": self.group.id})
        detail = self._rpc(self._url("detail")).result
        self.assertEqual(detail["result"], "ok")
        self.assertEqual(detail["me"], {"id": self.ann.id, "role": "patient"})
        self.assertEqual(
            [(p["name"], p["role"], p["present"]) for p in detail["participants"]],
            [
                ("Dr. Tess", "therapist", False),
                ("Ann Patient", "patient", False),
                ("Ben Patient", "patient", False),
                ("Cleo Patient", "patient", False),
            ],
        )
        self.assertIsNone(detail["consent"], "not asked yet")
        self.assertFalse(detail["meetingId"])
        self.assertEqual(
            [(a["name"], a["status"]) for a in detail["assessments"]],
            [("Test location", "incomplete"), ("Test feedback", "incomplete")],
        )

    def test_entering_and_leaving(self):
        bus_before = self._last_bus_id()
        meeting_id = self._in(self.user_ann)._rpc(self._url("enter")).result["meetingId"]
        self.assertEqual(self.group.meeting_id.id, meeting_id)
        self.assertEqual(
            self._in(self.user_tess)._rpc(self._url("enter")).result,
            {"result": "ok", "meetingId": meeting_id},
        )
        present = self._rpc(self._url("detail")).result
        self.assertEqual(
            [p["name"] for p in present["participants"] if p["present"]],
            ["Dr. Tess", "Ann Patient"],
        )
        self.assertEqual(present["meetingId"], meeting_id)
        self.assertEqual(self._in(self.user_ann)._rpc(self._url("leave")).result, {"result": "ok"})
        self.assertEqual(self._in(self.user_ann)._rpc(self._url("leave")).result, {"result": "ok"})
        notices = self._in(self.user_cleo)._get_actions_http()["actions"]
        self.assertEqual(
            [(a["type"], a["sender"], a["body"]) for a in notices],
            [
                ("notice", "system", "Ann Patient joined the session"),
                ("notice", "system", "Dr. Tess joined the session"),
                ("notice", "system", "Ann Patient left the session"),
            ],
        )
        detail = self._rpc(self._url("detail")).result
        self.assertEqual([p["name"] for p in detail["participants"] if p["present"]], ["Dr. Tess"])
        # Every notice was announced to every participant.
        announced = {
            (channel[2], n["payload"]["max_id"])
            for channel, n in self._bus_notifications(bus_before)
            if n["type"] == "clinic.therapy/actions"
        }
        for notice in notices:
            for partner in (self.tess, self.ann, self.ben, self.cleo):
                self.assertIn((partner.id, notice["id"]), announced)

    def test_every_action_type_through_the_routes(self):
        bus_before = self._last_bus_id()
        (hello,) = self._in(self.user_ann)._save_http_ok(message("Hello everyone"))
        (reply,) = self._in(self.user_ben)._save_http_ok(
            message("Hi Ann", target=hello, callout=[self.ann.id])
        )
        (secret,) = self._in(self.user_ann)._save_http_ok(
            message("Just for Ben", recipients=[self.ben.id])
        )
        heart, read, board = self._in(self.user_ben)._save_http_ok(
            payload("reaction", target=secret, icon="heart"),
            payload("message_read", target=secret),
            payload("whiteboard", data={"lines": 1}),
        )
        (unheart,) = self._save_http_ok(payload("reaction", target=secret, icon="heart"))
        notice, details, removed = self._in(self.user_tess)._save_http_ok(
            payload("notice", body="Ten minutes left"),
            payload("update_chat_details", data={"topic": "Sleep"}),
            payload("delete", target=reply),
        )
        (gone,) = self._in(self.user_ann)._save_http_ok(payload("delete", target=hello))
        expected = [
            self._message_shape(hello, "", user=self.ann.id, deleted=True),
            self._message_shape(
                reply, "", user=self.ben.id, deleted=True, target=hello, callout=[self.ann.id]
            ),
            self._message_shape(
                secret, "Just for Ben", user=self.ann.id, recipients=[self.ben.id], private=True
            ),
            self._shape(heart, user=self.ben.id, target=secret, icon="heart", on=True),
            self._shape(read, user=self.ben.id, target=secret),
            self._shape(board, user=self.ben.id, data={"lines": 1}),
            self._shape(unheart, user=self.ben.id, target=secret, icon="heart", on=False),
            self._shape(
                notice,
                user=self.tess.id,
                body="Ten minutes left",
                sender="therapist",
                recipients=[],
            ),
            self._shape(details, user=self.tess.id, data={"topic": "Sleep"}),
            self._shape(removed, user=self.tess.id, target=reply),
            self._shape(gone, user=self.ann.id, target=hello),
        ]
        private = {secret, heart, read, unheart}
        for user in (self.user_ann, self.user_ben, self.user_cleo, self.user_tess):
            with self.subTest(reader=user.name):
                answer = self._in(user)._get_actions_http()
                sees = [
                    a
                    for a in expected
                    if user in (self.user_ann, self.user_ben) or a["id"] not in private
                ]
                self.assertEqual(answer["actions"], sees)
                self.assertEqual(answer["max_id"], sees[-1]["id"])
                self.assertIsInstance(answer["server_time"], int)
                # Page by page from any cursor.
                self.assertEqual(
                    self._get_actions_http(notice)["actions"], sees[sees.index(expected[7]) + 1 :]
                )
        # Each batch was announced to each participant, with ids only.
        notifications = self._bus_notifications(bus_before)
        self.assertEqual(len(notifications), 4 * 7, "7 batches, 4 participants")
        for channel, notification in notifications:
            self.assertIn(
                channel[1:], [["res.partner", p.id] for p in self.group._get_participants()]
            )
            self.assertEqual(notification["type"], "clinic.therapy/actions")
            self.assertEqual(set(notification["payload"]), {"session_id", "max_id"})
            self.assertNotIn("Just for Ben", json.dumps(notification))

    def test_the_same_batch_sent_twice(self):
        self._in(self.user_cleo)
        batch = [message("Are you there?"), payload("whiteboard", data={"x": 1})]
        first = self._save_http(batch)
        self.assertEqual(first["result"], "ok")
        again = self._save_http(batch)
        self.assertEqual((again["result"], again["ids"]), ("ok", first["ids"]))
        self.assertEqual(self._log().ids, first["ids"])

    def test_a_wrong_batch_is_refused_whole(self):
        self._in(self.user_ben)
        (hello,) = self._save_http_ok(message("Hello"))
        (elsewhere,) = self._in(self.user_olga)._save_http_ok(
            message("Elsewhere"), session=self.other_group
        )
        self._in(self.user_ben)
        for payloads, error in (
            ([message("Fine"), payload("shout")], "Action 2: unknown type 'shout'."),
            (
                [message("Fine"), message("Hi", target=elsewhere)],
                "Action 2: target must be a message of this session.",
            ),
            (
                [message("Fine"), payload("reaction", target=hello, icon="thumbs-up")],
                "Action 2: icon must be one of heart, smile, sad, angry.",
            ),
            (
                [message("Fine"), message("x" * 10001)],
                "Action 2: the body is too long: 10000 characters at most.",
            ),
            (
                [message("Fine"), message("x", recipients=str(self.ann.id))],
                "Action 2: recipients must be a list of participant ids.",
            ),
            (
                [message("Fine"), message("x", target=str(hello))],
                "Action 2: target must be the id of a message.",
            ),
            ([message("Fine"), "Hello"], "Action 2: an action must be an object."),
            (
                [message("Fine"), {"type": "message", "body": "No client id"}],
                "Action 2: client_id must be a short text (letters, digits, - _ . :).",
            ),
            ([message(f"M{n}") for n in range(201)], "At most 200 actions at once."),
            (message("Not in a list"), "The actions must be a list."),
        ):
            with self.subTest(error=error):
                self.assertEqual(self._save_http(payloads), {"result": "error", "error": error})
        self.assertEqual(
            self._rpc(self._url("save_actions")).result["error"], "The actions must be a list."
        )
        self.assertEqual(self._log().ids, [hello], "nothing of the refused batches")
