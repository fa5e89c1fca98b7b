import csv
import io
import json

from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import ClinicTherapyCommon, ClinicTherapyHttpCommon, create_session, message, payload

# What a patient typed: "I am fime", two backspaces, "ne".
KEYS = ["I", " ", "a", "m", " ", "f", "i", "m", "e", "Backspace", "Backspace", "n", "e"]
RESEARCH_FIELDS = ["character_history", "time_to_complete"]


def typed(body="I am fine", **values):
    """A message with its research fields, as the page sends it."""
    return message(body, character_history=KEYS, time_to_complete="671ms", **values)


def research_values(action):
    """The research fields of ``action`` as stored (read as superuser)."""
    action = action.sudo()
    return action.character_history, action.time_to_complete


@tagged("post_install", "-at_install")
class TestConsent(ClinicTherapyCommon):
    """Keystrokes and typing time are kept only for a participant who said
    yes to the research question of that session, asked once."""

    def _stored(self, action_id):
        return research_values(self.env["clinic.therapy.action"].browse(action_id))

    def test_without_consent_only_the_message_is_stored(self):
        (not_asked,) = self._save_ok(self.user_ann, typed())
        self.group._set_consent(self.ben, False)
        (refused,) = self._save_ok(self.user_ben, typed())
        for action_id in (not_asked, refused):
            self.assertEqual(self._stored(action_id), (False, 0))
        self.assertEqual(
            [a["body"] for a in self._get_actions(self.user_cleo)[0]], ["I am fine", "I am fine"]
        )
        # Wrong research fields are not even looked at: they are not stored.
        self._save_ok(self.user_ann, message("Hi", character_history="x", time_to_complete="?"))

    def test_with_consent_both_research_fields(self):
        self.group._set_consent(self.ann, True)
        (keyed,) = self._save_ok(self.user_ann, typed())
        (plain,) = self._save_ok(self.user_ann, message("No keys", time_to_complete=1500))
        (nothing,) = self._save_ok(self.user_ann, message("Pasted"))
        self.assertEqual(self._stored(keyed), (KEYS, 671))
        self.assertEqual(self._stored(plain), (False, 1500))
        self.assertEqual(self._stored(nothing), (False, 0))
        # Only the author's consent counts: Ben did not give his.
        (ben,) = self._save_ok(self.user_ben, typed(target=keyed))
        self.assertEqual(self._stored(ben), (False, 0))

    def test_asked_once(self):
        first = self.group._set_consent(self.ann, True)
        answered_at = first.answered_at
        self.assertEqual(self.group._set_consent(self.ann, False), first)
        self.assertTrue(first.consented)
        self.assertEqual(first.answered_at, answered_at)
        refusal = self.group._set_consent(self.ben, False)
        self.group._set_consent(self.ben, True)
        self.assertFalse(refusal.consented)
        self.assertEqual(self.group.consent_ids, first | refusal)
        self.assertTrue(self.group._has_research_consent(self.ann))
        self.assertFalse(self.group._has_research_consent(self.ben))
        self.assertFalse(self.group._has_research_consent(self.cleo), "never asked")
        self.assertEqual(self.group._get_detail(self.ann)["consent"], True)
        self.assertEqual(self.group._get_detail(self.ben)["consent"], False)
        self.assertIsNone(self.group._get_detail(self.cleo)["consent"])

    def test_consent_is_per_session(self):
        second = create_session(self.env, "Second group", self.pro_tess, self.ann)
        self.group._set_consent(self.ann, True)
        (action_id,) = self._save_ok(self.user_ann, typed(), session=second)
        self.assertEqual(self._stored(action_id), (False, 0))

    def test_earlier_messages_stay_without_research_fields(self):
        (before,) = self._save_ok(self.user_ann, typed())
        self.group._set_consent(self.ann, True)
        (after,) = self._save_ok(self.user_ann, typed())
        self.assertEqual(self._stored(before), (False, 0))
        self.assertEqual(self._stored(after), (KEYS, 671))

    def test_a_deleted_message_loses_its_keystrokes(self):
        self.group._set_consent(self.ann, True)
        (action_id,) = self._save_ok(self.user_ann, typed())
        self._save_ok(self.user_ann, payload("delete", target=action_id))
        self.assertFalse(self._stored(action_id)[0])


@tagged("post_install", "-at_install", "security")
class TestResearchFieldsAccess(ClinicTherapyCommon):
    """The research fields are the researchers' only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group._set_consent(cls.ann, True)
        Action = cls.env["clinic.therapy.action"]
        cls.action_id = Action._save_batch(cls.group, cls.ann, [typed()])[0][0]

    @users("test_researcher_rita")
    def test_researchers_read_them(self):
        action = self.env["clinic.therapy.action"].browse(self.action_id)
        self.assertEqual(action.read(RESEARCH_FIELDS)[0]["character_history"], KEYS)
        self.assertEqual(action.time_to_complete, 671)
        self.assertTrue(set(RESEARCH_FIELDS) <= set(action.fields_get()))
        self.assertEqual(
            self.env["clinic.therapy.action"].search([("time_to_complete", "=", 671)]), action
        )

    @users("test_clinic_staff_sid")
    def test_clinic_staff_read_the_log_but_not_them(self):
        action = self.env["clinic.therapy.action"].browse(self.action_id)
        self.assertEqual(action.body, "I am fine")
        self.assertFalse(set(RESEARCH_FIELDS) & set(action.fields_get()))
        for field in RESEARCH_FIELDS:
            with self.subTest(field=field), self.assertRaises(AccessError):
                action.read([field])
            with self.subTest(field=field), self.assertRaises(AccessError):
                self.env["clinic.therapy.action"].search([(field, "!=", False)])

    @users("test_therapist_tess", "test_patient_ann", "test_patient_ben")
    def test_participants_read_neither_them_nor_the_model(self):
        action = self.env["clinic.therapy.action"].browse(self.action_id)
        for field in ["body", *RESEARCH_FIELDS]:
            with self.subTest(field=field), self.assertRaises(AccessError):
                action.read([field])
        # What their pages read: the message, not how it was typed.
        actions, _max_id = self._get_actions(self.env.user)
        self.assertEqual(actions[0]["body"], "I am fine")
        for field in RESEARCH_FIELDS:
            self.assertNotIn(field, actions[0])

    def test_the_researchers_view_of_the_log(self):
        """``getActions`` adds the research fields for a researcher."""
        session_sudo = self.group.sudo()
        actions, _max_id = (
            self.env["clinic.therapy.action"]
            .with_user(self.user_rita)
            ._get_after(session_sudo, self.ann, 0, researcher=True)
        )
        self.assertEqual(
            (actions[0]["character_history"], actions[0]["time_to_complete"]), (KEYS, 671)
        )


@tagged("post_install", "-at_install", "security")
class TestResearchHttp(ClinicTherapyHttpCommon):
    """Consent and the research fields through the routes; the export."""

    def _export(self, session=None):
        return self._get(f"/clinic/therapy/{(session or self.group).id}/export.csv")

    def _rows(self, response):
        self.assertEqual(response.status_code, 200)
        return list(csv.DictReader(io.StringIO(response.text)))

    def test_consent_through_the_route(self):
        self._as(self.user_ann)
        self.assertEqual(
            self._rpc(self._url("consent"), consented=True).result,
            {"result": "ok", "consent": True},
        )
        self.assertEqual(
            self._rpc(self._url("consent"), consented=False).result,
            {"result": "ok", "consent": True},
            "asked once",
        )
        # Only a real yes is a yes.
        for user, answer in ((self.user_ben, "yes"), (self.user_cleo, 1)):
            self._as(user)
            self.assertEqual(
                self._rpc(self._url("consent"), consented=answer).result["consent"], False
            )
        self.assertEqual(
            {(c.partner_id, c.consented) for c in self.group.consent_ids},
            {(self.ann, True), (self.ben, False), (self.cleo, False)},
        )
        self._as(self.user_ann)
        self.assertTrue(self._rpc(self._url("detail")).result["consent"])

    def test_participants_never_get_the_research_fields(self):
        self._as(self.user_ann)
        self._rpc(self._url("consent"), consented=True)
        (action_id,) = self._save_http_ok(typed())
        self.assertEqual(
            research_values(self.env["clinic.therapy.action"].browse(action_id)), (KEYS, 671)
        )
        for user in (self.user_ann, self.user_ben, self.user_tess):
            with self.subTest(reader=user.name):
                self._as(user)
                response = self.url_open(
                    self._url("get_actions"),
                    json={"jsonrpc": "2.0", "id": 1, "params": {"last_action_id": 0}},
                )
                (action,) = response.json()["result"]["actions"]
                self.assertEqual(action["body"], "I am fine")
                for field in RESEARCH_FIELDS:
                    self.assertNotIn(field, action)
                self.assertNotIn("Backspace", response.text)

    def test_the_export_is_the_researchers(self):
        self._as(self.user_ann)
        self._rpc(self._url("enter"))
        self._save_http_ok(message("Hello"))
        for user in (self.user_ann, self.user_tess, self.user_olga, self.user_otto, self.user_sid):
            with self.subTest(user=user.name), mute_logger("odoo.http"):
                self._as(user)
                response = self._export()
                self.assertEqual(response.status_code, 404)
                self.assertNotIn("Hello", response.text)
                self.assertNotIn("Ann Patient", response.text)
        self._as(None)
        response = self._export()
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self._as(self.user_rita)
        self.assertEqual(len(self._rows(self._export())), 2)
        with mute_logger("odoo.http"):
            self.assertEqual(self._get("/clinic/therapy/999999999/export.csv").status_code, 404)

    def test_the_export_pseudonymises_participants(self):
        for user in (self.user_tess, self.user_ann, self.user_ben):
            self._as(user)
            self._rpc(self._url("enter"))
        self._as(self.user_ann)
        self._rpc(self._url("consent"), consented=True)
        (hello,) = self._save_http_ok(typed("Hello Ben Patient, how is cleo patient?"))
        (secret,) = self._save_http_ok(message("Just for you", recipients=[self.ben.id]))
        self._as(self.user_ben)
        (reply,) = self._save_http_ok(
            message("Thanks, Ann Patient", target=hello, callout=[self.ann.id])
        )
        self._save_http_ok(payload("reaction", target=secret, icon="heart"))
        (oops,) = self._save_http_ok(message("Oops, my phone is 555-0101"))
        self._save_http_ok(payload("delete", target=oops))
        self._as(self.user_cleo)
        (read,) = self._save_http_ok(payload("message_read", target=hello))
        self._as(self.user_tess)
        (welcome,) = self._save_http_ok(payload("notice", body="Welcome, Dr. Tess here"))
        self._rpc(self._url("leave"))

        self._as(self.user_rita)
        response = self._export()
        self.assertEqual(response.headers["Content-Type"], "text/csv; charset=utf-8")
        self.assertEqual(
            response.headers["Content-Disposition"],
            f'attachment; filename="therapy-session-{self.group.id}.csv"',
        )
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        rows = self._rows(response)
        self.assertEqual([int(r["id"]) for r in rows], self._log().ids)
        for partner in self.tess | self.ann | self.ben | self.cleo:
            self.assertNotIn(partner.name.lower(), response.text.lower())
            self.assertNotIn(partner.email, response.text)
        # One pseudonym per participant, the same in every export.
        by_id = {int(r["id"]): r for r in rows}
        ann, ben = by_id[hello]["user"], by_id[reply]["user"]
        cleo, tess = by_id[read]["user"], by_id[welcome]["user"]
        self.assertEqual(len({ann, ben, cleo, tess}), 4)
        for pseudonym in (ann, ben, cleo, tess):
            self.assertRegex(pseudonym, r"^P-[0-9a-f]{10}$")
        self.assertEqual(by_id[secret]["user"], ann)
        self.assertEqual(by_id[secret]["recipients"], ben)
        self.assertEqual(self._export().text, response.text)
        # Names in the text become the same pseudonyms.
        self.assertEqual(by_id[hello]["body"], f"Hello {ben}, how is {cleo}?")
        self.assertEqual(by_id[reply]["body"], f"Thanks, {ann}")
        self.assertEqual(by_id[welcome]["body"], f"Welcome, {tess} here")
        self.assertEqual(
            [r["body"] for r in rows if r["user"] == "system"],
            [
                f"{tess} joined the session",
                f"{ann} joined the session",
                f"{ben} joined the session",
                f"{tess} left the session",
            ],
        )
        # Researchers read private messages; a deleted message's text is gone.
        self.assertEqual(by_id[secret]["body"], "Just for you")
        self.assertEqual(by_id[oops]["body"], "")
        self.assertNotIn("555-0101", response.text)
        # The research fields, where consented only.
        self.assertEqual(
            (by_id[hello]["character_history"], by_id[hello]["time_to_complete_ms"]),
            (json.dumps(KEYS), "671"),
        )
        self.assertEqual(
            (by_id[reply]["character_history"], by_id[reply]["time_to_complete_ms"]), ("", "")
        )
