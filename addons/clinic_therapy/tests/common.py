import itertools
import json
from collections import namedtuple
from datetime import timedelta

from lxml import html

from odoo import Command, fields
from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import Opener

# What a page call answers, as an HTTP status: JSON-RPC errors come back with
# a 200 and the name of the exception.
RPC_ERRORS = {
    "werkzeug.exceptions.NotFound": 404,
    "werkzeug.exceptions.Forbidden": 403,
    "odoo.http.SessionExpiredException": 401,
}
Answer = namedtuple("Answer", ["status", "result", "text"])
NOT_ALLOWED = "You are not allowed in this session."
RESEARCHER_GROUP = "clinic_therapy.group_clinic_researcher"
# Every client id of a test run is new: a batch never finds another test's actions.
CLIENT_IDS = itertools.count(1)


def create_patient(env, login, name):
    """A patient with an account (a portal user), as the SMS login makes them."""
    user = new_test_user(env, login=login, groups="base.group_portal", name=name)
    user.partner_id.is_clinic_patient = True
    return user


def create_therapist(env, login, name):
    """A pro on a portal user: ``(user, pro)``."""
    user = new_test_user(env, login=login, groups="base.group_portal", name=name)
    return user, env["clinic.pro"].create({"name": name, "user_id": user.id})


def create_survey(env, title, question):
    """A survey of one text question on one page, open to token holders."""
    return env["survey.survey"].create(
        {
            "title": title,
            "access_mode": "token",
            "questions_layout": "one_page",
            "question_and_page_ids": [
                Command.create({"title": question, "question_type": "char_box"})
            ],
        }
    )


def create_session(env, name, pros, patients, *, start=None, duration=60, **values):
    """A session starting tomorrow at this time unless ``start`` is given."""
    return env["clinic.therapy.session"].create(
        {
            "name": name,
            "start": start or fields.Datetime.now() + timedelta(days=1),
            "duration": duration,
            "therapist_ids": [Command.set(pros.ids)],
            "patient_ids": [Command.set(patients.ids)],
            **values,
        }
    )


def setup_therapy(cls):
    """Dr. Tess leads "Test group" (tomorrow) with Ann, Ben and Cleo, who
    answer "Test location" before it and "Test feedback" after it; Dr. Otto
    leads "Other group" with Olga. Rita is a researcher, Sid clinic staff
    (not a researcher); neither takes part in a session."""
    cls.user_tess, cls.pro_tess = create_therapist(cls.env, "test_therapist_tess", "Dr. Tess")
    cls.user_otto, cls.pro_otto = create_therapist(cls.env, "test_therapist_otto", "Dr. Otto")
    cls.user_ann = create_patient(cls.env, "test_patient_ann", "Ann Patient")
    cls.user_ben = create_patient(cls.env, "test_patient_ben", "Ben Patient")
    cls.user_cleo = create_patient(cls.env, "test_patient_cleo", "Cleo Patient")
    cls.user_olga = create_patient(cls.env, "test_patient_olga", "Olga Other")
    cls.user_rita = new_test_user(
        cls.env, login="test_researcher_rita", groups=f"base.group_user,{RESEARCHER_GROUP}"
    )
    cls.user_sid = new_test_user(
        cls.env,
        login="test_clinic_staff_sid",
        groups="base.group_user,clinic_meeting.group_clinic_user",
    )
    cls.tess, cls.otto = cls.user_tess.partner_id, cls.user_otto.partner_id
    cls.ann, cls.ben = cls.user_ann.partner_id, cls.user_ben.partner_id
    cls.cleo, cls.olga = cls.user_cleo.partner_id, cls.user_olga.partner_id
    cls.survey_location = create_survey(cls.env, "Test location", "Where are you?")
    cls.survey_feedback = create_survey(cls.env, "Test feedback", "How do you feel?")
    cls.group = create_session(cls.env, "Test group", cls.pro_tess, cls.ann | cls.ben | cls.cleo)
    cls.assessment_location, cls.assessment_feedback = cls.env["clinic.therapy.assessment"].create(
        [
            {"session_id": cls.group.id, "survey_id": cls.survey_location.id, "timing": "before"},
            {"session_id": cls.group.id, "survey_id": cls.survey_feedback.id, "timing": "after"},
        ]
    )
    cls.other_group = create_session(cls.env, "Other group", cls.pro_otto, cls.olga)


def payload(action_type, **values):
    """One action as the page's queue sends it, with a new client id."""
    return {
        "type": action_type,
        "client_id": f"test-{next(CLIENT_IDS)}",
        "client_ts": "2026-03-02T18:01:02.345Z",
        **values,
    }


def message(body, **values):
    return payload("message", body=body, **values)


class TherapyMixin:
    """Helpers shared by the model and the HTTP tests."""

    def _log(self, session=None):
        """Every action of the session, as stored."""
        return (
            self.env["clinic.therapy.action"]
            .sudo()
            .search([("session_id", "=", (session or self.group).id)])
        )

    def _shape(self, action_id, **values):
        """An action as ``getActions`` answers it: the seed's fields every
        action has, then ``values``."""
        action = self.env["clinic.therapy.action"].sudo().browse(action_id)
        shape = {
            "id": action.id,
            "type": action.type,
            "user": action.author_id.id or False,
            "timestamp": action.create_date.isoformat(timespec="milliseconds") + "Z",
        }
        if action.client_id:
            shape["client_id"] = action.client_id
        return {**shape, **values}

    def _message_shape(self, action_id, body, **values):
        """A message as ``getActions`` answers it (public, no target by default)."""
        return self._shape(
            action_id,
            **{
                "body": body,
                "deleted": False,
                "recipients": [],
                "private": False,
                "target": None,
                "callout": [],
                **values,
            },
        )

    def _bus_notifications(self, since_id):
        """The bus notifications sent after ``since_id``, as ``[(channel,
        message)]``, the pending ones included."""
        self.env.cr.precommit.run()
        return [
            (json.loads(n.channel), json.loads(n.message))
            for n in self.env["bus.bus"].sudo().search([("id", ">", since_id)], order="id")
        ]

    def _last_bus_id(self):
        self.env.cr.precommit.run()
        return self.env["bus.bus"].sudo().search([], order="id desc", limit=1).id


class ClinicTherapyCommon(TherapyMixin, TransactionCase):
    """The model methods, called as the controllers call them: the caller's
    environment, the session found by ``_get_for_partner`` (sudo)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_therapy(cls)

    def _session_for(self, user, session=None):
        return (
            self.env["clinic.therapy.session"]
            .with_user(user)
            ._get_for_partner((session or self.group).id, user.partner_id)
        )

    def _save(self, user, payloads, session=None):
        """``saveActions`` of ``user``: ``(ids, error)``."""
        session_sudo = self._session_for(user, session)
        return (
            self.env["clinic.therapy.action"]
            .with_user(user)
            ._save_batch(session_sudo, user.partner_id, payloads)
        )

    def _save_ok(self, user, *payloads, session=None):
        """``saveActions`` of ``user`` that must succeed: the ids."""
        ids, error = self._save(user, list(payloads), session)
        self.assertIsNone(error)
        self.assertEqual(len(ids), len(payloads))
        return ids

    def _get_actions(self, user, last_action_id=0, session=None):
        """``getActions`` of ``user``: ``(actions, max_id)``."""
        session_sudo = self._session_for(user, session)
        return (
            self.env["clinic.therapy.action"]
            .with_user(user)
            ._get_after(
                session_sudo,
                user.partner_id,
                last_action_id,
                researcher=user.has_group(RESEARCHER_GROUP),
            )
        )

    def _seen(self, user, last_action_id=0, session=None):
        """The ids of the actions ``user`` sees after ``last_action_id``."""
        return [a["id"] for a in self._get_actions(user, last_action_id, session)[0]]


class ClinicTherapyHttpCommon(TherapyMixin, HttpCase):
    """The module's routes through HTTP. Each browser of a test has its own
    cookies (``_browser``); ``self.opener`` is the current one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_therapy(cls)

    def setUp(self):
        super().setUp()
        self.browsers = {}

    def _browser(self, name, login=None):
        """Switch to the browser ``name``, logged in as ``login`` when given
        (created on first use). Several browsers may be logged in at once."""
        if name not in self.browsers:
            if login:
                # HttpCase.authenticate ends the previous session: keep it,
                # it belongs to another browser.
                self.session = None
                self.authenticate(login, login)
                self.browsers[name] = self.opener
            else:
                self.browsers[name] = Opener(self)
        self.opener = self.browsers[name]
        return self.opener

    def _as(self, user):
        """Switch to ``user``'s browser (``None``: a visitor with no cookie)."""
        if user is None:
            self._browser("anonymous")
            self.opener.cookies.clear()
        else:
            self._browser(user.login, user.login)

    def _get(self, path):
        return self.url_open(path, allow_redirects=False)

    def _rpc(self, path, **params):
        """A JSON-RPC call as the pages make it."""
        response = self.url_open(path, json={"jsonrpc": "2.0", "id": 1, "params": params})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        if "error" in body:
            return Answer(RPC_ERRORS.get(body["error"]["data"]["name"], 500), None, response.text)
        return Answer(200, body["result"], response.text)

    def _url(self, route="", session=None):
        path = f"/my/therapy/{(session or self.group).id}"
        return f"{path}/{route}" if route else path

    def _save_http(self, payloads, session=None):
        """``saveActions`` through its route, as the current browser."""
        return self._rpc(self._url("save_actions", session), payloads=payloads).result

    def _save_http_ok(self, *payloads, session=None):
        result = self._save_http(list(payloads), session)
        self.assertEqual(result["result"], "ok", result.get("error"))
        return result["ids"]

    def _get_actions_http(self, last_action_id=0, session=None):
        """``getActions`` through its route, as the current browser."""
        result = self._rpc(self._url("get_actions", session), last_action_id=last_action_id).result
        self.assertEqual(result["result"], "ok", result)
        return result

    def _page(self, response):
        return html.fromstring(response.content)

    def _text(self, response):
        """What a page says: its text, scripts left out, white space collapsed."""
        page = self._page(response)
        for script in page.xpath("//script"):
            script.drop_tree()
        return " ".join(page.text_content().split())
