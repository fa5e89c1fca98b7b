from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from odoo import fields
from odoo.tests import tagged

from .common import ClinicTherapyCommon, ClinicTherapyHttpCommon, create_session


def to_string(value):
    return fields.Datetime.to_string(value)


@tagged("post_install", "-at_install")
class TestMySessions(ClinicTherapyCommon):
    """A patient's sessions, upcoming first, with their assessments."""

    def _answer(self, assessment, partner, state="done", **values):
        return self.env["survey.user_input"].create(
            {
                "survey_id": assessment.survey_id.id,
                "partner_id": partner.id,
                "clinic_therapy_session_id": assessment.session_id.id,
                "state": state,
                **values,
            }
        )

    def test_upcoming_first_then_the_past_newest_first(self):
        now = fields.Datetime.now()
        sessions = {
            name: create_session(
                self.env, name, self.pro_tess, self.ann, start=now + delta, **values
            )
            for name, delta, values in (
                ("Two weeks ago", timedelta(days=-14), {"state": "done"}),
                ("Next week", timedelta(days=7), {}),
                ("Last week", timedelta(days=-7), {"state": "done"}),
                ("Going on", timedelta(minutes=-30), {}),
                ("Cancelled", timedelta(days=2), {"state": "cancelled"}),
            )
        }
        Session = self.env["clinic.therapy.session"].with_user(self.user_ann)
        self.assertEqual(
            Session._search_for_partner(self.ann).mapped("name"),
            ["Going on", "Test group", "Next week", "Last week", "Two weeks ago"],
        )
        self.assertEqual(
            Session._search_for_partner(self.tess).mapped("name"),
            ["Going on", "Test group", "Next week", "Last week", "Two weeks ago"],
        )
        self.assertEqual(Session._search_for_partner(self.ben), self.group)
        self.assertEqual(Session._search_for_partner(self.otto), self.other_group)
        self.assertFalse(Session._search_for_partner(self.user_rita.partner_id))
        self.assertEqual(
            sessions["Going on"]._get_home_values(self.ann),
            {
                "id": sessions["Going on"].id,
                "name": "Going on",
                "date": to_string(sessions["Going on"].start),
                "url": f"/my/therapy/{sessions['Going on'].id}",
                "assessments": [],
            },
        )

    def test_assessments_with_status_and_url_while_incomplete(self):
        location, feedback = self.assessment_location, self.assessment_feedback
        url = f"/my/therapy/{self.group.id}/assessment"
        self.assertEqual(
            self.group._get_assessments_for(self.ann),
            [
                {
                    "id": location.id,
                    "name": "Test location",
                    "timing": "before",
                    "status": "incomplete",
                    "url": f"{url}/{location.id}",
                },
                {
                    "id": feedback.id,
                    "name": "Test feedback",
                    "timing": "after",
                    "status": "incomplete",
                    "url": f"{url}/{feedback.id}",
                },
            ],
        )
        # Started is not done; a test entry, another session's answer or
        # another patient's answer is not Ann's.
        self._answer(location, self.ann, state="in_progress")
        self._answer(location, self.ann, test_entry=True)
        self._answer(location, self.ben)
        second = create_session(self.env, "Second", self.pro_tess, self.ann)
        self.env["clinic.therapy.assessment"].create(
            {"session_id": second.id, "survey_id": self.survey_location.id}
        )
        self._answer(second.assessment_ids, self.ann)
        self.assertEqual(
            [a["status"] for a in self.group._get_assessments_for(self.ann)],
            ["incomplete", "incomplete"],
        )
        self.assertEqual(
            [a["status"] for a in self.group._get_assessments_for(self.ben)],
            ["complete", "incomplete"],
        )
        self._answer(location, self.ann)
        self.assertEqual(
            self.group._get_assessments_for(self.ann)[0],
            {"id": location.id, "name": "Test location", "timing": "before", "status": "complete"},
        )
        # Therapists have none to answer.
        self.assertEqual(self.group._get_assessments_for(self.tess), [])
        self.assertEqual(self.group._get_assessments_for(self.olga), [])

    def test_a_finished_answer_tells_the_session(self):
        answer = self._answer(self.assessment_feedback, self.ann, state="in_progress")
        unlinked = self.env["survey.user_input"].create(
            {"survey_id": self.survey_feedback.id, "partner_id": self.ann.id}
        )
        bus_before = self._last_bus_id()
        unlinked._mark_done()
        self.assertFalse(self._log())
        answer._mark_done()
        (update,) = self._log()
        self.assertEqual(
            (update.type, update.sender, update.author_id),
            ("update_assessments", "system", self.env["res.partner"]),
        )
        for user in (self.user_ben, self.user_tess):
            self.assertEqual(self._get_actions(user)[0], [self._shape(update.id)])
        self.assertEqual(
            sorted(channel[2] for channel, _n in self._bus_notifications(bus_before)),
            sorted((self.tess | self.ann | self.ben | self.cleo).ids),
        )


@tagged("post_install", "-at_install")
class TestAssessmentsHttp(ClinicTherapyHttpCommon):
    """A patient answers an assessment through the survey's own pages."""

    def test_answer_an_assessment(self):
        self._as(self.user_ann)
        listed = self._get("/my/therapy/sessions")
        self.assertEqual(listed.headers["Cache-Control"], "no-store")
        (session,) = listed.json()["therapy_sessions"]
        self.assertEqual(
            session,
            {
                "id": self.group.id,
                "name": "Test group",
                "date": to_string(self.group.start),
                "url": f"/my/therapy/{self.group.id}",
                "assessments": [
                    {
                        "id": assessment.id,
                        "name": name,
                        "timing": timing,
                        "status": "incomplete",
                        "url": f"/my/therapy/{self.group.id}/assessment/{assessment.id}",
                    }
                    for assessment, name, timing in (
                        (self.assessment_location, "Test location", "before"),
                        (self.assessment_feedback, "Test feedback", "after"),
                    )
                ],
            },
        )
        page = self._get("/my/therapy")
        self.assertEqual(
            [
                item.get("data-status")
                for item in self._page(page).cssselect(".o_clinic_therapy_assessment")
            ],
            ["incomplete", "incomplete"],
        )
        # The link starts Ann's answer for this session, then the survey's pages.
        response = self._get(session["assessments"][0]["url"])
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        token = self.survey_location.access_token
        self.assertEqual(location.path, f"/survey/start/{token}")
        (answer_token,) = parse_qs(location.query)["answer_token"]
        answer = self.env["survey.user_input"].search([("access_token", "=", answer_token)])
        self.assertEqual(
            (answer.partner_id, answer.clinic_therapy_session_id, answer.state),
            (self.ann, self.group, "new"),
        )
        # The same link again: the same answer.
        self.assertEqual(
            self._get(session["assessments"][0]["url"]).headers["Location"],
            response.headers["Location"],
        )
        self.assertEqual(self.url_open(response.headers["Location"]).status_code, 200)
        self.url_open(
            f"/survey/begin/{token}/{answer_token}", json={"params": {"lang_code": "en_US"}}
        )
        question = self.survey_location.question_ids
        self.assertEqual(len(question), 1)
        self._as(self.user_ben)
        (cursor,) = self._save_http_ok({"type": "message", "client_id": "ben-1", "body": "Hi"})
        bus_before = self._last_bus_id()
        self._as(self.user_ann)
        submitted = self.url_open(
            f"/survey/submit/{token}/{answer_token}",
            json={"params": {str(question.id): "At home"}},
        )
        self.assertEqual(submitted.status_code, 200)
        self.assertNotIn("error", submitted.json())
        self.assertEqual(answer.state, "done")
        # Everyone's page hears of it and reads it; Ann's home page shows it done.
        notified = self._bus_notifications(bus_before)
        self.assertEqual(len(notified), 4)
        self._as(self.user_ben)
        (update,) = self._get_actions_http(cursor)["actions"]
        self.assertEqual(update, self._shape(update["id"]))
        self.assertEqual(update["type"], "update_assessments")
        self._as(self.user_ann)
        assessments = self._get("/my/therapy/sessions").json()["therapy_sessions"][0]["assessments"]
        self.assertEqual(
            [(a["name"], a["status"], "url" in a) for a in assessments],
            [("Test location", "complete", False), ("Test feedback", "incomplete", True)],
        )
        detail = self._rpc(self._url("detail")).result
        self.assertEqual([a["status"] for a in detail["assessments"]], ["complete", "incomplete"])
        page = self._get("/my/therapy")
        self.assertEqual(
            [
                item.get("data-status")
                for item in self._page(page).cssselect(".o_clinic_therapy_assessment")
            ],
            ["complete", "incomplete"],
        )

    def test_my_sessions_upcoming_first(self):
        now = fields.Datetime.now()
        for name, delta in (("Last week", -7), ("Next week", 7), ("Two weeks ago", -14)):
            create_session(
                self.env, name, self.pro_tess, self.ann, start=now + timedelta(days=delta)
            )
        self._as(self.user_ann)
        listed = self._get("/my/therapy/sessions").json()["therapy_sessions"]
        self.assertEqual(
            [s["name"] for s in listed], ["Test group", "Next week", "Last week", "Two weeks ago"]
        )
        self.assertEqual([len(s["assessments"]) for s in listed], [2, 0, 0, 0])
        page = self._get("/my/therapy")
        self.assertEqual(
            [
                " ".join(item.text_content().split())
                for item in self._page(page).cssselect(".o_clinic_therapy_session_name")
            ],
            ["Test group", "Next week", "Last week", "Two weeks ago"],
        )
