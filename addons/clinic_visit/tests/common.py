import json
import re
from collections import namedtuple

from lxml import html

from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import Opener

from odoo.addons.clinic_meeting.tests.common import setup_clinic_pros

# What a page call answers, as an HTTP status: JSON-RPC errors come back with
# a 200 and the name of the exception.
RPC_ERRORS = {
    "werkzeug.exceptions.NotFound": 404,
    "werkzeug.exceptions.Forbidden": 403,
    "odoo.http.SessionExpiredException": 401,
}
Answer = namedtuple("Answer", ["status", "result", "text"])
ENDED = "This visit has ended"


def setup_questions(cls):
    """The questionnaire of these tests; the demo's questions are archived."""
    Question = cls.env["clinic.visit.question"]
    Question.search([]).active = False
    (
        cls.q_reason,
        cls.q_since,
        cls.q_temperature,
        cls.q_pain,
        cls.q_allergies,
        cls.q_findings,
        cls.q_follow_up,
    ) = Question.create(
        [
            {"name": "Test reason?", "kind": "text", "part": "patient", "sequence": 1},
            {"name": "Test since when?", "kind": "date", "part": "patient", "sequence": 2},
            {"name": "Test temperature", "kind": "number", "part": "patient", "sequence": 3},
            {
                "name": "Test pain",
                "kind": "choice",
                "choices": "None\nMild\nModerate\nSevere",
                "part": "patient",
                "sequence": 4,
            },
            {"name": "Test allergies?", "kind": "boolean", "part": "patient", "sequence": 5},
            {"name": "Test findings", "kind": "text", "part": "doctor", "sequence": 6},
            {"name": "Test follow-up?", "kind": "boolean", "part": "doctor", "sequence": 7},
        ]
    )


def create_visit(env, pro, name="Paula Patient", **values):
    """A visit opened by ``pro`` through the *New visit* form; it must succeed."""
    visit, errors = env["clinic.visit"]._create_for_pro(pro, {"name": name, **values})
    assert not errors, errors
    return visit


def setup_visits(cls):
    """Dr. Alpha's visit of Paula Patient, with Carl Companion; Dr. Beta's
    visit of Olga Other. Plus the pros and manager of ``setup_clinic_pros``
    and a user with no pro profile."""
    setup_clinic_pros(cls)
    setup_questions(cls)
    cls.user_portal = new_test_user(
        cls.env, login="test_visit_portal", groups="base.group_portal", name="Not A Pro"
    )
    cls.visit = create_visit(
        cls.env,
        cls.pro_a,
        "Paula Patient",
        email="paula@example.com",
        phone="+1 202 555 0161",
        companion_name="Carl Companion",
    )
    cls.other_visit = create_visit(cls.env, cls.pro_b, "Olga Other", email="olga@example.com")


class VisitMixin:
    """Helpers shared by the model and the HTTP tests."""

    def _participant(self, role, visit=None):
        return (visit or self.visit).participant_ids.filtered(lambda p: p.role == role)

    def _path(self, role, visit=None):
        """The link of the participant of ``visit`` with ``role``, without the host."""
        return self._participant(role, visit)._get_path()

    def _tokens(self, visit=None):
        """The secrets of every link of ``visit``."""
        visit = (visit or self.visit).sudo()
        return [visit.token, *visit.participant_ids.mapped("token")]


class ClinicVisitCommon(VisitMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_visits(cls)


class ClinicVisitHttpCommon(VisitMixin, HttpCase):
    """The visit's pages through HTTP. Each browser of a test has its own
    cookies (``_browser``); ``self.opener`` is the current one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_visits(cls)

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

    def _page(self, response):
        return html.fromstring(response.content)

    def _text(self, response):
        """What a page says: its text, scripts left out, white space collapsed."""
        page = self._page(response)
        for script in page.xpath("//script"):
            script.drop_tree()
        return " ".join(page.text_content().split())

    def _kind(self, response):
        """Which page a link showed: ``room``, ``waiting``, ``refused``,
        ``ended`` or ``None``."""
        page = self._page(response)
        for kind, selector in (
            ("room", 'owl-component[name="clinic_visit.visit_room"]'),
            ("waiting", 'owl-component[name="clinic_visit.waiting_approval"]'),
            ("refused", ".o_clinic_visit_refused"),
            ("ended", ".o_clinic_visit_ended"),
        ):
            if page.cssselect(selector):
                return kind
        return None

    def _owl_props(self, response, name):
        (component,) = self._page(response).cssselect(f'owl-component[name="{name}"]')
        return json.loads(component.get("props"))

    def _csrf_token(self, response=None):
        """The CSRF token a frontend page gives its scripts (the login page's
        when no page is given)."""
        response = response or self.url_open("/web/login")
        return re.search(r'csrf_token: "([^"]+)"', response.text)[1]

    def _open(self, browser, path, login=None):
        """``browser`` opens ``path``; return the page."""
        self._browser(browser, login)
        response = self._get(path)
        self.assertEqual(response.status_code, 200)
        return response

    def _upload(self, path, files, csrf_token=None):
        """Send ``files`` (``[(name, bytes)]``) to the upload of ``path``."""
        token = csrf_token or self._csrf_token()
        return self.url_open(
            f"{path}/upload",
            data={"csrf_token": token},
            files=[("files", (name, data, "application/octet-stream")) for name, data in files],
        )
