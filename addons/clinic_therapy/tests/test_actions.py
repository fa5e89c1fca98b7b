from datetime import datetime

from odoo.tests import tagged

from .common import ClinicTherapyCommon, message, payload

BAD_CLIENT_ID = "client_id must be a short text (letters, digits, - _ . :)."
NOT_RECIPIENTS = "recipients must be participants of this session."
NOT_A_TARGET = "target must be a message of this session."
BAD_ICON = "icon must be one of heart, smile, sad, angry."
BAD_DATA = "data must be an object of 10,000 characters at most."
BAD_HISTORY = "character_history must be a list of keys."
BAD_DURATION = "time_to_complete must be milliseconds, e.g. 671."
TOO_LONG = "the body is too long: 10000 characters at most."
NOT_YOURS = "you cannot send %s actions."


def reaction(target, icon):
    return payload("reaction", target=target, icon=icon)


@tagged("post_install", "-at_install")
class TestActionTypes(ClinicTherapyCommon):
    """Every action type of the seed, saved by ``saveActions`` and read back
    by ``getActions`` in the seed's shape."""

    def test_messages_replies_private_messages_and_callouts(self):
        hello = message("Hello everyone")
        (hello_id,) = self._save_ok(self.user_ann, hello)
        reply = message("Hi Ann!", target=hello_id, callout=[self.ann.id, self.cleo.id])
        private = message("Only for you, Ann", recipients=[self.ann.id])
        reply_id, private_id = self._save_ok(self.user_tess, reply, private)
        self.assertLess(hello_id, reply_id)
        self.assertLess(reply_id, private_id)

        actions, max_id = self._get_actions(self.user_ann)
        self.assertEqual(max_id, private_id)
        self.assertEqual(
            actions,
            [
                self._message_shape(hello_id, "Hello everyone", user=self.ann.id),
                self._message_shape(
                    reply_id,
                    "Hi Ann!",
                    user=self.tess.id,
                    target=hello_id,
                    callout=[self.ann.id, self.cleo.id],
                ),
                self._message_shape(
                    private_id,
                    "Only for you, Ann",
                    user=self.tess.id,
                    recipients=[self.ann.id],
                    private=True,
                ),
            ],
        )
        self.assertEqual(actions[0]["client_id"], hello["client_id"])
        # The cursor: only what came after it.
        self.assertEqual(self._seen(self.user_ann, hello_id), [reply_id, private_id])
        self.assertEqual(self._get_actions(self.user_ann, private_id), ([], private_id))
        # Who may see the private message: its sender and recipient.
        self.assertEqual(self._seen(self.user_ben), [hello_id, reply_id])
        self.assertEqual(self._seen(self.user_tess), [hello_id, reply_id, private_id])
        stored = self._log().filtered(lambda a: a.id == private_id)
        self.assertEqual(stored.audience_ids, self.ann | self.tess)
        self.assertEqual(stored.recipient_ids, self.ann)
        self.assertEqual(stored.client_ts, datetime(2026, 3, 2, 18, 1, 2, 345000))

    def test_a_message_of_exactly_the_longest_body(self):
        (message_id,) = self._save_ok(self.user_ben, message("x" * 10000))
        self.assertEqual(self._get_actions(self.user_cleo)[0][0]["body"], "x" * 10000)
        self.assertEqual(self._log().ids, [message_id])

    def test_patients_delete_their_own_messages_therapists_any(self):
        ann_1, ann_2 = self._save_ok(self.user_ann, message("Oops"), message("Keep me"))
        (ben_1,) = self._save_ok(self.user_ben, message("Something I regret"))
        # Ann cannot delete Ben's message; nothing of her batch is stored.
        ids, error = self._save(
            self.user_ann,
            [payload("delete", target=ann_1), payload("delete", target=ben_1)],
        )
        self.assertEqual((ids, error), ([], "Action 2: you can only delete your own messages."))
        self.assertEqual(len(self._log()), 3)
        (delete_ann,) = self._save_ok(self.user_ann, payload("delete", target=ann_1))
        (delete_ben,) = self._save_ok(self.user_tess, payload("delete", target=ben_1))
        for user in (self.user_ann, self.user_ben, self.user_cleo, self.user_tess):
            with self.subTest(reader=user.name):
                actions, _max_id = self._get_actions(user)
                self.assertEqual(
                    actions,
                    [
                        self._message_shape(ann_1, "", user=self.ann.id, deleted=True),
                        self._message_shape(ann_2, "Keep me", user=self.ann.id),
                        self._message_shape(ben_1, "", user=self.ben.id, deleted=True),
                        self._shape(delete_ann, user=self.ann.id, target=ann_1),
                        self._shape(delete_ben, user=self.tess.id, target=ben_1),
                    ],
                )
        # The bodies are gone from the database, not only from the answer.
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, body, deleted FROM clinic_therapy_action WHERE id IN %s ORDER BY id",
            [(ann_1, ben_1)],
        )
        self.assertEqual(self.env.cr.fetchall(), [(ann_1, None, True), (ben_1, None, True)])
        # A deleted message cannot be deleted again, nor reacted to.
        for action in (
            payload("delete", target=ann_1),
            payload("reaction", target=ann_1, icon="sad"),
        ):
            with self.subTest(type=action["type"]):
                self.assertEqual(
                    self._save(self.user_tess, [action]),
                    ([], "Action 1: this message was deleted."),
                )

    def test_notices_are_the_therapists(self):
        (notice_id,) = self._save_ok(self.user_tess, payload("notice", body="Five minutes left"))
        self.assertEqual(
            self._get_actions(self.user_cleo)[0],
            [
                self._shape(
                    notice_id,
                    user=self.tess.id,
                    body="Five minutes left",
                    sender="therapist",
                    recipients=[],
                )
            ],
        )
        self.assertEqual(
            self._save(self.user_ann, [payload("notice", body="I am the therapist now")]),
            ([], "Action 1: you cannot send notice actions."),
        )
        self.assertEqual(self._log().ids, [notice_id])

    def test_system_notices_when_participants_enter_and_leave(self):
        self.group._enter(self.ann)
        self.group._enter(self.ann)  # a second tab: no second notice
        self.group._leave(self.ann)
        self.group._leave(self.ann)  # already gone
        joined, left = self._log()
        self.assertEqual(
            self._get_actions(self.user_ben)[0],
            [
                self._shape(
                    joined.id,
                    user=False,
                    body="Ann Patient joined the session",
                    sender="system",
                    recipients=[],
                ),
                self._shape(
                    left.id,
                    user=False,
                    body="Ann Patient left the session",
                    sender="system",
                    recipients=[],
                ),
            ],
        )

    def test_read_marks(self):
        (hello_id,) = self._save_ok(self.user_ann, message("Hello"))
        (read_id,) = self._save_ok(self.user_ben, payload("message_read", target=hello_id))
        self.assertEqual(
            self._get_actions(self.user_ann, hello_id)[0],
            [self._shape(read_id, user=self.ben.id, target=hello_id)],
        )
        # A deleted message may still be marked read (it was shown before).
        self._save_ok(self.user_ann, payload("delete", target=hello_id))
        self._save_ok(self.user_cleo, payload("message_read", target=hello_id))
        self.assertEqual(
            self._save(self.user_cleo, [payload("message_read")]),
            ([], "Action 1: message_read needs a target message."),
        )

    def test_a_reaction_sent_again_removes_it(self):
        (hello_id,) = self._save_ok(self.user_ann, message("Hello"))
        heart = payload("reaction", target=hello_id, icon="heart")
        on_id, off_id = self._save_ok(
            self.user_ben, heart, payload("reaction", target=hello_id, icon="heart")
        )
        (again_id,) = self._save_ok(
            self.user_ben, payload("reaction", target=hello_id, icon="heart")
        )
        (smile_id,) = self._save_ok(
            self.user_ben, payload("reaction", target=hello_id, icon="smile")
        )
        # Cleo's heart is hers: Ben's being on does not turn hers off.
        (cleo_id,) = self._save_ok(
            self.user_cleo, payload("reaction", target=hello_id, icon="heart")
        )
        self.assertEqual(
            self._get_actions(self.user_tess, hello_id)[0],
            [
                self._shape(on_id, user=self.ben.id, target=hello_id, icon="heart", on=True),
                self._shape(off_id, user=self.ben.id, target=hello_id, icon="heart", on=False),
                self._shape(again_id, user=self.ben.id, target=hello_id, icon="heart", on=True),
                self._shape(smile_id, user=self.ben.id, target=hello_id, icon="smile", on=True),
                self._shape(cleo_id, user=self.cleo.id, target=hello_id, icon="heart", on=True),
            ],
        )
        # The batch is retried (its answer was lost): nothing toggles again.
        self.assertEqual(self._save_ok(self.user_ben, heart), [on_id])
        (off_again_id,) = self._save_ok(
            self.user_ben, payload("reaction", target=hello_id, icon="heart")
        )
        self.assertFalse(self._get_actions(self.user_ann, off_again_id - 1)[0][0]["on"])

    def test_whiteboard_and_chat_details(self):
        board = {"strokes": [[0, 0, 10, 10]], "color": "#000"}
        (board_id,) = self._save_ok(self.user_cleo, payload("whiteboard", data=board))
        (empty_id,) = self._save_ok(self.user_ann, payload("whiteboard"))
        details = {"topic": "Sleep", "slow_mode": False}
        (details_id,) = self._save_ok(self.user_tess, payload("update_chat_details", data=details))
        self.assertEqual(
            self._get_actions(self.user_ben)[0],
            [
                self._shape(board_id, user=self.cleo.id, data=board),
                self._shape(empty_id, user=self.ann.id, data={}),
                self._shape(details_id, user=self.tess.id, data=details),
            ],
        )
        self.assertEqual(
            self._save(self.user_ann, [payload("update_chat_details", data={"topic": "Mine"})]),
            ([], "Action 1: you cannot send update_chat_details actions."),
        )

    def test_update_assessments_is_the_server_s(self):
        for user in (self.user_ann, self.user_tess):
            with self.subTest(sender=user.name):
                self.assertEqual(
                    self._save(user, [payload("update_assessments")]),
                    ([], "Action 1: you cannot send update_assessments actions."),
                )
        self.assertFalse(self._log())

    def test_every_participant_is_told_after_each_batch(self):
        bus_before = self._last_bus_id()
        ids = self._save_ok(self.user_ann, message("One"), message("Two"))
        notifications = self._bus_notifications(bus_before)
        self.assertCountEqual(
            [channel[1:] for channel, _message in notifications],
            [["res.partner", p.id] for p in (self.tess, self.ann, self.ben, self.cleo)],
        )
        for _channel, notification in notifications:
            self.assertEqual(
                notification,
                {
                    "type": "clinic.therapy/actions",
                    "payload": {"session_id": self.group.id, "max_id": ids[-1]},
                },
            )
        # An empty batch stores nothing and tells nobody.
        bus_before = self._last_bus_id()
        self.assertEqual(self._save(self.user_ann, []), ([], None))
        self.assertFalse(self._bus_notifications(bus_before))
        self.assertEqual(self._log().ids, ids)


@tagged("post_install", "-at_install")
class TestIdempotentRetry(ClinicTherapyCommon):
    """A batch sent again (its answer was lost) is stored once: its client ids
    find the actions of the first try."""

    def test_the_same_batch_twice_is_stored_once(self):
        (hello_id,) = self._save_ok(self.user_ben, message("Hello"))
        batch = [
            message("First"),
            payload("reaction", target=hello_id, icon="heart"),
            payload("message_read", target=hello_id),
        ]
        ids = self._save_ok(self.user_ann, *batch)
        log = self._log()
        bus_before = self._last_bus_id()
        self.assertEqual(self._save_ok(self.user_ann, *batch), ids)
        self.assertEqual(self._log(), log)
        self.assertFalse(self._bus_notifications(bus_before), "nothing new to announce")
        # The retry of a longer batch: the first actions again, then new ones.
        more = message("Second")
        retried = self._save_ok(self.user_ann, *batch, more)
        self.assertEqual(retried[:3], ids)
        self.assertEqual(self._log(), log | log.browse(retried[3]))
        self.assertEqual(self._get_actions(self.user_cleo, ids[-1])[0][0]["body"], "Second")

    def test_a_retry_finds_its_actions_whatever_happened_since(self):
        (hello_id,) = self._save_ok(self.user_ann, message("Hello"))
        batch = [payload("reaction", target=hello_id, icon="smile")]
        ids = self._save_ok(self.user_ben, *batch)
        self._save_ok(self.user_ann, payload("delete", target=hello_id))
        # The target is deleted now: the retry is still the same action.
        self.assertEqual(self._save_ok(self.user_ben, *batch), ids)

    def test_a_client_id_is_per_session_and_author(self):
        hello = message("Hello")
        (ann_id,) = self._save_ok(self.user_ann, hello)
        (ben_id,) = self._save_ok(self.user_ben, {**hello, "body": "Hello from Ben"})
        (olga_id,) = self._save_ok(
            self.user_olga, {**hello, "body": "Hello from Olga"}, session=self.other_group
        )
        self.assertEqual(len({ann_id, ben_id, olga_id}), 3)
        self.assertEqual(
            [a["body"] for a in self._get_actions(self.user_cleo)[0]],
            ["Hello", "Hello from Ben"],
        )
        self.assertEqual(
            [a["body"] for a in self._get_actions(self.user_olga, session=self.other_group)[0]],
            ["Hello from Olga"],
        )
        self.assertEqual(
            set((self._log() | self._log(self.other_group)).mapped("client_id")),
            {hello["client_id"]},
        )

    def test_the_same_client_id_twice_in_a_batch_is_refused(self):
        hello = message("Hello")
        ids, error = self._save(self.user_ann, [hello, {**hello, "body": "Hello again"}])
        self.assertEqual(ids, [])
        self.assertEqual(
            error, f"Action 2: client_id {hello['client_id']!r} is twice in the batch."
        )
        self.assertFalse(self._log())


@tagged("post_install", "-at_install")
class TestBadPayloads(ClinicTherapyCommon):
    """A wrong payload gets a clear error, and nothing of its batch is stored
    (the good actions before it included) nor announced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hello_id = cls.env["clinic.therapy.action"]._save_batch(
            cls.group, cls.ann, [message("Hello")]
        )[0][0]
        cls.notice_id = cls.env["clinic.therapy.action"]._save_batch(
            cls.group, cls.tess, [payload("notice", body="Welcome")]
        )[0][0]
        cls.other_id = cls.env["clinic.therapy.action"]._save_batch(
            cls.other_group, cls.olga, [message("Elsewhere")]
        )[0][0]

    def _assert_refused(self, user, payloads, error):
        log, bus_before = self._log(), self._last_bus_id()
        self.assertEqual(self._save(user, payloads), ([], error))
        self.assertEqual(self._log(), log, "nothing of the batch is stored")
        self.assertFalse(self._bus_notifications(bus_before), "nothing is announced")

    def test_wrong_actions(self):
        too_long = "x" * 10001
        not_a_list = "recipients must be a list of participant ids."
        for wrong, error in (
            # Types
            (payload("shout"), "unknown type 'shout'."),
            ({"client_id": "no-type"}, "unknown type 'None'."),
            (payload(["message"], body="x"), "unknown type \"['message']\"."),
            (payload({"message": 1}), "unknown type \"{'message': 1}\"."),
            # Not an object at all
            ("Hello", "an action must be an object."),
            (None, "an action must be an object."),
            ([message("Hello")], "an action must be an object."),
            # The client id
            ({"type": "message", "body": "No id"}, BAD_CLIENT_ID),
            (message("x", client_id=12), BAD_CLIENT_ID),
            (message("x", client_id=["a"]), BAD_CLIENT_ID),
            (message("x", client_id={"a": 1}), BAD_CLIENT_ID),
            (message("x", client_id="a" * 65), BAD_CLIENT_ID),
            (message("x", client_id="a b"), BAD_CLIENT_ID),
            # Bodies
            (message(too_long), TOO_LONG),
            (message(""), "the body cannot be empty."),
            (message("   "), "the body cannot be empty."),
            (message(12), "the body cannot be empty."),
            (payload("message"), "the body cannot be empty."),
            (payload("notice", body=too_long), TOO_LONG),
            # Recipients and callouts
            (message("x", recipients="P456"), not_a_list),
            (message("x", recipients=self.ben.id), not_a_list),
            (message("x", recipients={"id": self.ben.id}), not_a_list),
            (message("x", recipients=0), not_a_list),
            (message("x", recipients=""), not_a_list),
            (message("x", recipients={}), not_a_list),
            (message("x", recipients=[str(self.ben.id)]), not_a_list),
            (message("x", recipients=[True]), not_a_list),
            (message("x", recipients=[self.olga.id]), NOT_RECIPIENTS),
            (message("x", recipients=[self.ben.id, 999999999]), NOT_RECIPIENTS),
            (message("x", callout="Ben"), "callout must be a list of participant ids."),
            (message("x", callout=[self.otto.id]), "callout must be participants of this session."),
            # Targets
            (message("x", target=str(self.hello_id)), "target must be the id of a message."),
            (message("x", target=True), "target must be the id of a message."),
            (message("x", target=[self.hello_id]), "target must be the id of a message."),
            (message("x", target=float(self.hello_id)), "target must be the id of a message."),
            (message("x", target=self.other_id), NOT_A_TARGET),
            (payload("reaction", target=self.other_id, icon="heart"), NOT_A_TARGET),
            (payload("delete", target=self.other_id), NOT_A_TARGET),
            (payload("message_read", target=self.notice_id), NOT_A_TARGET),
            (message("x", target=999999999), NOT_A_TARGET),
            (payload("delete"), "delete needs a target message."),
            (payload("reaction", icon="heart"), "reaction needs a target message."),
            # Icons
            (payload("reaction", target=self.hello_id, icon="thumbs-up"), BAD_ICON),
            (payload("reaction", target=self.hello_id), BAD_ICON),
            (payload("reaction", target=self.hello_id, icon=["heart"]), BAD_ICON),
            # Data
            (payload("whiteboard", data=[1, 2]), BAD_DATA),
            (payload("whiteboard", data=None), BAD_DATA),
            (payload("whiteboard", data={"svg": too_long}), BAD_DATA),
        ):
            with self.subTest(wrong=str(wrong)[:80]):
                self._assert_refused(self.user_tess, [message("Fine"), wrong], f"Action 2: {error}")

    def test_every_error_of_a_batch_is_told(self):
        self._assert_refused(
            self.user_ben,
            [
                payload("shout"),
                message("Fine"),
                payload("reaction", target=self.hello_id, icon="x"),
            ],
            "Action 1: unknown type 'shout'.\n"
            "Action 3: icon must be one of heart, smile, sad, angry.",
        )

    def test_the_batch_itself(self):
        self._assert_refused(self.user_ben, message("Not a list"), "The actions must be a list.")
        self._assert_refused(self.user_ben, None, "The actions must be a list.")
        self._assert_refused(
            self.user_ben,
            [message(f"Message {n}") for n in range(201)],
            "At most 200 actions at once.",
        )
        ids = self._save_ok(self.user_ben, *[message(f"Message {n}") for n in range(200)])
        self.assertEqual(len(set(ids)), 200)
        self.assertEqual(ids, sorted(ids), "in the batch's order")

    def test_research_fields_of_a_consenting_participant_are_checked(self):
        self.group._set_consent(self.ben, True)
        for wrong, error in (
            (message("x", character_history="abc"), BAD_HISTORY),
            (message("x", character_history=["a", 1]), BAD_HISTORY),
            (message("x", character_history=["x" * 33]), BAD_HISTORY),
            (message("x", character_history=["a"] * 20001), BAD_HISTORY),
            (message("x", time_to_complete="fast"), BAD_DURATION),
            (message("x", time_to_complete=-1), BAD_DURATION),
            (message("x", time_to_complete=1.5), BAD_DURATION),
            (message("x", time_to_complete=True), BAD_DURATION),
        ):
            with self.subTest(wrong=str(wrong)[:80]):
                self._assert_refused(self.user_ben, [message("Fine"), wrong], f"Action 2: {error}")

    def test_what_a_participant_may_not_do(self):
        for user, wrong, error in (
            (self.user_ben, payload("notice", body="x"), NOT_YOURS % "notice"),
            (self.user_ben, payload("update_assessments"), NOT_YOURS % "update_assessments"),
            (self.user_tess, payload("update_assessments"), NOT_YOURS % "update_assessments"),
            (
                self.user_ben,
                payload("update_chat_details", data={}),
                NOT_YOURS % "update_chat_details",
            ),
            (
                self.user_ben,
                payload("delete", target=self.hello_id),
                "you can only delete your own messages.",
            ),
        ):
            with self.subTest(user=user.name, type=wrong["type"]):
                self._assert_refused(user, [message("Fine"), wrong], f"Action 2: {error}")
