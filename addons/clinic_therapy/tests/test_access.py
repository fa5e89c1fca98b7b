from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import NOT_ALLOWED, ClinicTherapyCommon, ClinicTherapyHttpCommon, message, payload

SECRET = "Ann's secret words"
JSON_ROUTES = {
    "detail": {},
    "get_actions": {"last_action_id": 0},
    "save_actions": {"payloads": [message("Let me in")]},
    "enter": {},
    "leave": {},
    "consent": {"consented": True},
}


@tagged("post_install", "-at_install", "security")
class TestTherapyAccessRights(ClinicTherapyCommon):
    """Participants go through the routes, which check who they are; in the
    backend, portal users read only the sessions they lead, and nobody but
    clinic managers writes sessions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.group._set_consent(cls.ann, True)
        Action = cls.env["clinic.therapy.action"]
        Action._save_batch(cls.group, cls.ann, [message(SECRET)])

    def _content(self, session):
        return {
            "clinic.therapy.session": session,
            "clinic.therapy.assessment": session.assessment_ids,
            "clinic.therapy.action": session.action_ids,
            "clinic.therapy.consent": session.consent_ids,
        }

    @users("test_therapist_tess")
    def test_therapist_reads_their_session_only(self):
        Session = self.env["clinic.therapy.session"]
        self.assertEqual(Session.search([]), self.group)
        self.assertEqual(Session.browse(self.group.id).name, "Test group")
        with self.assertRaises(AccessError):
            Session.browse(self.other_group.id).read(["name"])
        with self.assertRaises(AccessError):
            Session.browse(self.group.id).write({"name": "Renamed"})
        # The log goes through the routes only.
        for model, records in self._content(self.group.sudo()).items():
            if model != "clinic.therapy.session":
                with self.subTest(model=model), self.assertRaises(AccessError):
                    self.env[model].browse(records.ids).read(["create_date"])

    @users("test_patient_ann", "test_patient_olga", "test_therapist_otto")
    def test_others_read_nothing_of_the_session(self):
        for model, records in self._content(self.group.sudo()).items():
            with self.subTest(model=model):
                self.assertTrue(records)
                with self.assertRaises(AccessError):
                    self.env[model].browse(records.ids).read(["create_date"])
        with self.assertRaises(AccessError):
            self.env["clinic.therapy.session"].create({"name": "Mine", "start": "2026-03-02"})

    @users("test_patient_olga", "test_therapist_otto", "test_researcher_rita")
    def test_get_for_partner_refuses_non_participants(self):
        for session_id in (self.group.id, 999999999):
            with (
                self.subTest(session_id=session_id),
                self.assertRaisesRegex(AccessError, NOT_ALLOWED),
            ):
                self.env["clinic.therapy.session"]._get_for_partner(
                    session_id, self.env.user.partner_id
                )
        with self.assertRaisesRegex(AccessError, NOT_ALLOWED):
            self.env["clinic.therapy.session"]._get_for_partner(
                self.group.id, self.env["res.partner"]
            )

    @users("test_clinic_staff_sid")
    def test_clinic_staff_read_but_do_not_write(self):
        sessions = self.env["clinic.therapy.session"].search(
            [("id", "in", (self.group | self.other_group).ids)]
        )
        self.assertEqual(sessions, self.group | self.other_group)
        with self.assertRaises(AccessError):
            sessions.write({"name": "Renamed"})
        # The chat is the participants' (and the researchers'): private
        # messages included, the front desk reads none of it.
        with self.assertRaises(AccessError):
            self.env["clinic.therapy.action"].search([("session_id", "=", self.group.id)])
        with self.assertRaises(AccessError):
            self.env["clinic.therapy.action"].create(
                {"session_id": self.group.id, "type": "message", "body": "Backend"}
            )


@tagged("post_install", "-at_install", "security")
class TestTherapyRouteMatrix(ClinicTherapyHttpCommon):
    """Every route of a session, for each caller: its therapist and patient,
    a therapist and a patient of another session, a researcher and clinic
    staff (not in the session), an anonymous visitor."""

    def setUp(self):
        super().setUp()
        self.Action = self.env["clinic.therapy.action"]
        self.Action._save_batch(self.group, self.ann, [message(SECRET)])
        self.Action._save_batch(self.other_group, self.olga, [message("Olga's own words")])
        self.outsiders = {
            "other therapist": self.user_otto,
            "other patient": self.user_olga,
            "researcher": self.user_rita,
            "clinic staff": self.user_sid,
        }
        # What no outsider may read.
        self.secrets = ["Test group", "Ann Patient", "Ben Patient", "Dr. Tess", SECRET]

    def _assert_no_leak(self, text, context):
        for secret in self.secrets:
            self.assertNotIn(secret, text, f"{context} leaks {secret!r}")

    def test_outsiders_get_nothing_from_any_route(self):
        log, meeting = self._log(), self.group.meeting_id
        for caller, user in self.outsiders.items():
            self._as(user)
            for session_id in (self.group.id, 999999999):
                base = f"/my/therapy/{session_id}"
                with self.subTest(caller=caller, session_id=session_id), mute_logger("odoo.http"):
                    for path in (base, f"{base}/assessment/{self.assessment_location.id}"):
                        response = self._get(path)
                        self.assertEqual(response.status_code, 403, path)
                        self.assertIn("You are not allowed in this session", self._text(response))
                        self._assert_no_leak(response.text, f"{path} for {caller}")
                    for route, params in JSON_ROUTES.items():
                        answer = self._rpc(f"{base}/{route}", **params)
                        self.assertEqual(answer.result, {"result": "error", "error": NOT_ALLOWED})
                        self._assert_no_leak(answer.text, f"{route} for {caller}")
        self.assertEqual(self._log(), log)
        self.assertFalse(self.group.consent_ids)
        self.assertEqual(self.group.meeting_id, meeting)

    def test_anonymous_visitors_are_sent_to_log_in(self):
        self._as(None)
        base = self._url()
        for path in (
            "/my/therapy",
            "/my/therapy/sessions",
            base,
            f"{base}/assessment/{self.assessment_location.id}",
        ):
            with self.subTest(path=path):
                response = self._get(path)
                self.assertEqual(response.status_code, 303)
                self.assertIn("/web/login?redirect=", response.headers["Location"])
                self._assert_no_leak(response.text, path)
        for route, params in JSON_ROUTES.items():
            with self.subTest(route=route), mute_logger("odoo.http"):
                answer = self._rpc(f"{base}/{route}", **params)
                self.assertEqual(answer.status, 401)
                self._assert_no_leak(answer.text, route)
        self.assertEqual(len(self._log()), 1)

    def test_participants_of_another_session_see_their_own(self):
        for user, session, name in (
            (self.user_otto, self.other_group, "Other group"),
            (self.user_olga, self.other_group, "Other group"),
            (self.user_ann, self.group, "Test group"),
            (self.user_tess, self.group, "Test group"),
        ):
            with self.subTest(user=user.name):
                self._as(user)
                listed = self._get("/my/therapy/sessions").json()["therapy_sessions"]
                self.assertEqual([(s["id"], s["name"]) for s in listed], [(session.id, name)])
                page = self._get("/my/therapy")
                self.assertEqual(page.status_code, 200)
                self.assertEqual(
                    [
                        int(item.get("data-session-id"))
                        for item in self._page(page).cssselect(".o_clinic_therapy_session_item")
                    ],
                    [session.id],
                )
                self.assertEqual(self._get(self._url(session=session)).status_code, 200)
                detail = self._rpc(self._url("detail", session)).result
                self.assertEqual(detail["name"], name)
        for user in (self.user_rita, self.user_sid):
            with self.subTest(user=user.login):
                self._as(user)
                self.assertEqual(self._get("/my/therapy/sessions").json(), {"therapy_sessions": []})
                page = self._get("/my/therapy")
                self.assertIn("You have no therapy session.", self._text(page))

    def test_participants_use_every_route(self):
        self._as(self.user_ann)
        self.assertEqual(self._get(self._url()).status_code, 200)
        assessment = self._get(self._url(f"assessment/{self.assessment_location.id}"))
        self.assertEqual(assessment.status_code, 303)
        self.assertIn(
            f"/survey/start/{self.survey_location.access_token}", assessment.headers["Location"]
        )
        for route, params in JSON_ROUTES.items():
            with self.subTest(route=route):
                self.assertEqual(self._rpc(self._url(route), **params).result["result"], "ok")
        # A therapist has no assessment to answer, and nobody answers another
        # session's assessment through this one.
        with mute_logger("odoo.http"):
            self._as(self.user_tess)
            self.assertEqual(
                self._get(self._url(f"assessment/{self.assessment_location.id}")).status_code, 404
            )
            self._as(self.user_ann)
            other = self.env["clinic.therapy.assessment"].create(
                {"session_id": self.other_group.id, "survey_id": self.survey_location.id}
            )
            self.assertEqual(self._get(self._url(f"assessment/{other.id}")).status_code, 404)
        self._as(self.user_tess)
        (notice,) = self._save_http_ok(payload("notice", body="Hello all"))
        self.assertEqual(self._get_actions_http(notice - 1)["actions"][0]["id"], notice)
