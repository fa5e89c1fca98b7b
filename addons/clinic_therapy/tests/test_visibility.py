from odoo.tests import tagged

from .common import ClinicTherapyCommon, message, payload

NOT_REACHABLE = "Action 1: target must be a message of this session."


@tagged("post_install", "-at_install")
class TestPrivateMessages(ClinicTherapyCommon):
    """A private message is seen by its sender and its recipients only, and
    so is every action about it: replies, reactions, read marks, deletes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Action = cls.env["clinic.therapy.action"]
        ((cls.public_id,), _error) = Action._save_batch(cls.group, cls.ann, [message("Hello")])
        ((cls.secret_id,), _error) = Action._save_batch(
            cls.group, cls.ann, [message("Secret for Ben", recipients=[cls.ben.id])]
        )

    def test_only_the_sender_and_recipients_see_it(self):
        for user, seen in (
            (self.user_ann, [self.public_id, self.secret_id]),
            (self.user_ben, [self.public_id, self.secret_id]),
            (self.user_cleo, [self.public_id]),
            (self.user_tess, [self.public_id]),
        ):
            with self.subTest(reader=user.name):
                actions, max_id = self._get_actions(user)
                self.assertEqual([a["id"] for a in actions], seen)
                self.assertEqual(max_id, seen[-1])
                # From a cursor past everything they may see: nothing, and the
                # cursor stays (it is no secret that the log grew).
                self.assertEqual(self._get_actions(user, seen[-1]), ([], seen[-1]))

    def test_everything_about_it_stays_between_them(self):
        reply_id, reaction_id, read_id = self._save_ok(
            self.user_ben,
            message("Got it", target=self.secret_id),
            payload("reaction", target=self.secret_id, icon="heart"),
            payload("message_read", target=self.secret_id),
        )
        (private_reply_id,) = self._save_ok(
            self.user_ben, message("Between us", target=self.secret_id, recipients=[self.ann.id])
        )
        (answer_id,) = self._save_ok(self.user_ann, message("Thanks", target=reply_id))
        (delete_id,) = self._save_ok(self.user_ann, payload("delete", target=self.secret_id))
        about = [self.secret_id, reply_id, reaction_id, read_id, private_reply_id, answer_id]
        for user in (self.user_ann, self.user_ben):
            with self.subTest(reader=user.name):
                self.assertEqual(self._seen(user), [self.public_id, *about, delete_id])
        for user in (self.user_cleo, self.user_tess):
            with self.subTest(reader=user.name):
                actions, max_id = self._get_actions(user)
                self.assertEqual([a["id"] for a in actions], [self.public_id])
                self.assertEqual(max_id, self.public_id)
        # Each is stored with who may see it.
        for action in self._log().filtered(lambda a: a.id in (*about, delete_id)):
            self.assertEqual(action.audience_ids, self.ann | self.ben, action.type)
        # The deleted secret's body is gone for its readers too.
        secret = self._get_actions(self.user_ben)[0][1]
        self.assertEqual(
            (secret["id"], secret["body"], secret["deleted"]), (self.secret_id, "", True)
        )

    def test_a_reply_cannot_widen_a_private_conversation(self):
        self.assertEqual(
            self._save(
                self.user_ben,
                [message("Cleo, look", target=self.secret_id, recipients=[self.cleo.id])],
            ),
            ([], "Action 1: a reply to a private message stays between its participants."),
        )
        # Replying to a sender and recipient only is fine.
        self._save_ok(self.user_ben, message("Ok", target=self.secret_id, recipients=[self.ben.id]))
        self.assertEqual(self._seen(self.user_cleo), [self.public_id])

    def test_the_others_cannot_reach_it(self):
        for user in (self.user_cleo, self.user_tess):
            for action in (
                message("Replying", target=self.secret_id),
                payload("reaction", target=self.secret_id, icon="heart"),
                payload("message_read", target=self.secret_id),
                payload("delete", target=self.secret_id),
            ):
                with self.subTest(user=user.name, type=action["type"]):
                    self.assertEqual(self._save(user, [action]), ([], NOT_REACHABLE))
        self.assertEqual(self._log().ids, [self.public_id, self.secret_id])

    def test_the_bus_carries_ids_only(self):
        bus_before = self._last_bus_id()
        (reply_id,) = self._save_ok(self.user_ben, message("Secret answer", target=self.secret_id))
        notifications = self._bus_notifications(bus_before)
        self.assertEqual(len(notifications), 4, "one per participant's partner")
        for _channel, notification in notifications:
            self.assertEqual(
                notification["payload"], {"session_id": self.group.id, "max_id": reply_id}
            )
            self.assertNotIn("Secret", str(notification))
        # Cleo hears that the log grew, and finds nothing for her in it.
        self.assertEqual(self._get_actions(self.user_cleo, self.public_id), ([], self.public_id))
