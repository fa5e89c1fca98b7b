"""Who may use each route: an access matrix over every HTTP route of the
clinic modules, called for real as each role against the server process.

The routes come from Odoo's own routing map (``odoo.http._generate_routing_rules``,
as ``ir.http.routing_map`` builds it for the installed modules), filtered to
the endpoints written in a clinic module: a route added tomorrow fails
``test_every_route_is_declared`` until ``ROUTES`` says who may use it, and a
route that disappears fails it too.

Each declared route is then called as each role in ``ROLES`` (``requests``
sessions: a walk-in's guest cookie from a real check-in, password logins for
accounts) on records made for this module, and must answer:

- *allowed*: 200/303 (a redirect elsewhere than a login page) or a JSON-RPC
  result that is not a refusal (``is_pro: False``, ``result: "error"``, an
  ``error`` message);
- *denied*: 403/404/410, a redirect to a login page (``/web/login``,
  ``/patient/login?redirect=``), a JSON-RPC error (not found, forbidden,
  session expired, access error) or a refusal result; and then none of the
  records' personal data (names, pet, chat, document) in the answer.

Besides the roles of the issue, a clinic researcher is a role too (the only
one who exports therapy logs). Side effects (leave, kill, cancel, decide,
book) act on records made for them; allowed roles are called after the
denied ones.

The partner API (``/api/v1``) has its own tests (tests/test_api.py: keys,
scopes, companies); here it is declared as a family, and every operation is
checked to refuse every role's browser session without a key.

Audiences used in ``ROUTES`` (the roles are listed in ``ROLES``):

- public: anyone, with or without an account;
- user: anyone logged in (the page shows them their own things only);
- patient-own: the stranger whose meeting, visit link, appointment link it is
  (a link that is its own credential: the others try a forged one);
- pros: any clinic professional, on their own dashboard data;
- pro-own: the pro of the lobby, visit, appointment, session, reservation;
- participants: the session's therapist and patient, the visit's pro and
  patient, the reservation's vet and owner;
- manager, researcher: those clinic groups.
"""

import base64
import contextlib
import io
import random
import re
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

import psycopg2
import pytest
import requests
from PIL import Image, PngImagePlugin

import odoo
from odoo import api as odoo_api
from odoo import http as odoo_http
from odoo.fields import Command
from odoo.modules.registry import Registry

API = "/api/v1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
JSON_DENIALS = (
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.Forbidden",
    "odoo.http.SessionExpiredException",
    "odoo.exceptions.AccessError",
    "odoo.exceptions.AccessDenied",
)
# A login page that sends back to where the visitor was going: "log in first".
LOGIN_FIRST = re.compile(r"/web/login\b|/patient/login\?(.*&)?redirect=")

# Denied roles are called first, allowed ones after (an allowed call may end
# what it acts on); the pro of the records last of all.
ROLES = (
    "anonymous",  # no session at all
    "stranger",  # the walk-in whose meeting (visit link, appointment link) it is
    "other_stranger",  # another walk-in, with a meeting of their own
    "patient",  # a portal patient: the session's and the reservation's
    "other_patient",  # another portal patient, with a session of their own
    "portal",  # a portal user who is neither a pro nor a patient of anything
    "internal",  # an internal user outside the clinic groups
    "manager",  # a clinic manager
    "researcher",  # a clinic researcher (therapy logs)
    "other_pro",  # a pro of another lobby (another vet, another session)
    "pro",  # the pro of the lobby, visit, appointment, session and reservation
)
EVERYONE = frozenset(ROLES)
ACCOUNTS = EVERYONE - {"anonymous", "stranger", "other_stranger"}
PROS = frozenset({"pro", "other_pro"})
PRO = frozenset({"pro"})
STRANGER = frozenset({"stranger"})
MANAGER = frozenset({"manager"})


def db_name():
    return odoo.tools.config["db_name"][0]


@contextlib.contextmanager
def committed_env():
    """A superuser environment whose work is committed for the server process."""
    registry = Registry(db_name())
    with registry.cursor() as cr:
        yield odoo_api.Environment(cr, odoo_api.SUPERUSER_ID, {})


def leave_all(*logins):
    """Take these pros out of the meeting they are in (a call may have put
    them there); a concurrent hang-up of the server is retried."""
    for attempt in range(5):
        try:
            with committed_env() as env:
                for pro in env["clinic.pro"].search([("user_id.login", "in", list(logins))]):
                    if participation := pro._get_current_participation():
                        participation.meeting_id._leave_pro(pro)
            return
        except psycopg2.errors.SerializationFailure:
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError(f"could not take {logins} out of their meetings")


# ------------------------------------------------------------
# THE ROUTES OF THE CLINIC MODULES, FROM ODOO'S ROUTING MAP
# ------------------------------------------------------------


def clinic_routes():
    """``{(url, methods): endpoint}`` of every route whose endpoint is written
    in a clinic module, as Odoo builds its routing map for the installed
    modules; ``methods`` is ``"GET"``, ``"GET,POST"``, or ``"*"`` (any)."""
    registry = Registry(db_name())
    with registry.cursor() as cr:
        converters = odoo_api.Environment(cr, odoo_api.SUPERUSER_ID, {})[
            "ir.http"
        ]._get_converters()
    modules = sorted(registry._init_modules | set(odoo.tools.config["server_wide_modules"]))
    routes = {}
    for url, endpoint in odoo_http._generate_routing_rules(modules, False, converters):
        module = endpoint.__module__ or ""
        if not re.match(r"odoo\.addons\.clinic_\w+\.", module):
            continue
        methods = endpoint.routing["methods"]
        routes[(url, ",".join(sorted(methods)) if methods else "*")] = endpoint
    return routes


# Families of routes declared by their prefix rather than one by one.
FAMILIES = {
    API: "api-key: the partner API (every route under it, its OpenAPI document and "
    "page, its JSON 404): keys, scopes and companies are tested in tests/test_api.py; "
    "here, no role's browser session opens it (test_api_refuses_every_browser_session)",
}


def family_of(url):
    """The prefix of ``FAMILIES`` that ``url`` is under, or None."""
    for prefix in FAMILIES:
        if url == prefix or url.startswith(prefix + "/"):
            return prefix
    return None


# ------------------------------------------------------------
# CALLS AND VERDICTS
# ------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    params: dict = field(default_factory=dict)  # query string, or JSON-RPC params
    data: dict | None = None  # a form
    files: dict | None = None
    rpc: bool = False
    csrf: bool = False


def get(path, **params):
    return Call("GET", path, params=params)


def form(path, data=None, files=None, csrf=True):
    return Call("POST", path, data=dict(data or {}), files=files, csrf=csrf)


def rpc(path, **params):
    return Call("POST", path, params=params, rpc=True)


@dataclass
class Route:
    url: str
    methods: str
    audience: str
    allowed: frozenset
    call: object  # (world, role) -> Call or [Call, ...]
    marker: str | None = None  # world.markers key: what the allowed roles must see
    sees: frozenset | None = None  # who must see it (default: allowed)
    prepare: object = None  # (world) -> None, before the roles' calls
    ok: object = None  # (response) -> bool: a 200 that really lets in
    refusal: tuple = ()  # other HTTP statuses that mean "denied" here

    @property
    def key(self):
        return (self.url, self.methods)


def verdict(route, response):
    """``("allowed" | "denied" | "unexpected", why)``."""
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = re.sub(r"^https?://[^/]+", "", response.headers.get("Location", ""))
        if LOGIN_FIRST.match(location):
            return "denied", f"redirect to {location[:60]}"
        return "allowed", f"redirect to {location[:60]}"
    if status in (403, 404, 410):
        return "denied", f"HTTP {status}"
    if status in route.refusal:
        # the route's own refusal (a JSON error), not Odoo's CSRF page
        is_json = response.headers.get("Content-Type", "").startswith("application/json")
        if is_json and "error" in response.json():
            return "denied", f"HTTP {status}: {response.json()['error']}"
        return "unexpected", f"HTTP {status}: {response.text[:300]}"
    if status != 200:
        return "unexpected", f"HTTP {status}: {response.text[:300]}"
    if response.headers.get("Content-Type", "").startswith("application/json") and (
        response.request.body or b""
    ).startswith(b'{"jsonrpc"'):
        body = response.json()
        if "error" in body:
            name = body["error"].get("data", {}).get("name", "")
            if name in JSON_DENIALS:
                return "denied", f"JSON-RPC error {name}"
            return "unexpected", f"JSON-RPC error {body['error']}"[:400]
        result = body.get("result")
        if isinstance(result, dict):
            if result.get("is_pro") is False or result.get("is_vet") is False:
                return "denied", "not a pro"
            if result.get("result") == "error" or result.get("error"):
                return "denied", f"refused: {result.get('error')}"
        return "allowed", "JSON-RPC result"
    if route.ok and not route.ok(response):
        return "denied", "HTTP 200 without the room"
    return "allowed", "HTTP 200"


# ------------------------------------------------------------
# THE WORLD: RECORDS AND PEOPLE MADE FOR THIS MODULE
# ------------------------------------------------------------


def letters(n=8):
    return "".join(random.choices(string.ascii_lowercase, k=n))


def around_the_clock(env, name, pros, **values):
    """An appointment type open at any hour of any day, in UTC, no notice."""
    calendar = env["resource.calendar"].create(
        {
            "name": f"Around the clock {name}",
            "tz": "UTC",
            "attendance_ids": [Command.clear()]
            + [
                Command.create(
                    {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0, "hour_to": 24}
                )
                for day in range(7)
            ],
        }
    )
    return env["clinic.appointment.type"].create(
        {
            "name": f"Matrix consultation {name}",
            "slug": f"matrix-{name}",
            "resource_calendar_id": calendar.id,
            "min_notice_hours": 0,
            "max_days_ahead": 30,
            "patient_opens_minutes": 10,
            "pro_opens_minutes": 60,
            "pro_ids": [Command.set(pros.ids)],
            **values,
        }
    )


def free_starts(appointment_type, day):
    """The free slots of ``day`` as the pages write them (``...T..:..Z``)."""
    return [
        slot["start"].strftime("%Y-%m-%dT%H:%MZ")
        for slot in appointment_type._get_slots(day)
        if slot["state"] == "free"
    ]


def png_with(text):
    buffer = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    Image.new("RGB", (32, 24), (200, 120, 90)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def csrf_of(session, base, lobby_slug):
    """A CSRF token of ``session`` (any form page of that session has one)."""
    match = CSRF.search(session.get(f"{base}/lobby/{lobby_slug}", timeout=60).text)
    assert match, "no CSRF token on the check-in page"
    return match[1]


def check_in(session, base, slug, name, birthdate="1985-04-12"):
    """A real check-in at ``/lobby/<slug>``; return the meeting id."""
    page = session.get(f"{base}/lobby/{slug}", timeout=60).text
    response = session.post(
        f"{base}/lobby/{slug}/check-in",
        data={"name": name, "birthdate": birthdate, "csrf_token": CSRF.search(page)[1]},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 303, response.text[:500]
    return int(re.search(rf"/lobby/{slug}/meeting/(\d+)$", response.headers["Location"])[1])


def log_in(base, login):
    session = requests.Session()
    csrf = CSRF.search(session.get(f"{base}/web/login", timeout=60).text)[1]
    response = session.post(
        f"{base}/web/login",
        data={"login": login, "password": login, "csrf_token": csrf},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 303, f"{login} could not log in: {response.text[:300]}"
    assert "/web/login" not in response.headers["Location"], login
    return session


@pytest.fixture(scope="module")
def world(odoo_server):  # noqa: PLR0915
    """Every record of the matrix, and a logged-in session per role."""
    u = letters()
    U = u.capitalize()
    w = SimpleNamespace(base=odoo_server, u=u)
    now = odoo.fields.Datetime.now()  # naive UTC, as Odoo stores it
    today = now.date()
    w.markers = {
        "m1": f"Mona Qm{U}",  # the stranger's walk-in
        "m2": f"Otto Qm{U}",  # the other stranger's walk-in
        "m_join": f"Jon Qm{U}",  # a walk-in the pro joins
        "a1": f"Anna Qa{U}",  # the stranger's appointment
        "v1": f"Vera Qv{U}",  # the stranger's visit
        "doc": f"Prescription Qd{U}",  # a document of that visit
        "s1": f"Group Qs{U}",  # the patient's therapy session
        "note": f"Chat note Qn{U}",  # a message in it
        "pet": f"Rex Qp{U}",  # the patient's pet, reserved with the vet
        "l1": f"Matrix lobby Ql{U}",  # the lobby (a public name: the board's marker)
    }
    personal = ("m1", "m2", "m_join", "a1", "v1", "doc", "s1", "note", "pet")
    w.personal = [w.markers[key] for key in personal]
    m = w.markers

    with committed_env() as env:
        Users = env["res.users"].with_context(no_reset_password=True)

        def user(role, groups, name):
            login = f"matrix-{role.replace('_', '-')}-{u}"
            return Users.create(
                {
                    "name": name,
                    "login": login,
                    "password": login,
                    "email": f"{login}@example.com",
                    "group_ids": [Command.set([env.ref(g).id for g in groups])],
                }
            )

        portal = "base.group_portal"
        users = {
            "pro": user("pro", [portal], f"Doctor Pro {U}"),
            "other_pro": user("other_pro", [portal], f"Doctor Other {U}"),
            "helper_pro": user("helper_pro", [portal], f"Doctor Helper {U}"),
            "patient": user("patient", [portal], f"Pat Patient {U}"),
            "other_patient": user("other_patient", [portal], f"Olive Patient {U}"),
            "portal": user("portal", [portal], f"Paula Portal {U}"),
            "internal": user("internal", ["base.group_user"], f"Ivan Internal {U}"),
            "manager": user("manager", ["clinic_meeting.group_clinic_manager"], f"Mia Mgr {U}"),
            "researcher": user(
                "researcher", ["clinic_therapy.group_clinic_researcher"], f"Rita Res {U}"
            ),
        }
        w.logins = {role: users[role].login for role in users}
        for role in ("patient", "other_patient"):
            users[role].partner_id.write({"is_clinic_patient": True})
        Pro = env["clinic.pro"]
        pro = Pro.create({"name": users["pro"].name, "user_id": users["pro"].id})
        other_pro = Pro.create({"name": users["other_pro"].name, "user_id": users["other_pro"].id})
        helper = Pro.create({"name": users["helper_pro"].name, "user_id": users["helper_pro"].id})

        Lobby = env["clinic.lobby"]
        lobby = {
            "l1": Lobby.create({"name": m["l1"], "slug": f"matrix-a-{u}", "pro_ids": pro.ids}),
            "l2": Lobby.create(
                {"name": f"Other lobby {U}", "slug": f"matrix-b-{u}", "pro_ids": other_pro.ids}
            ),
            # the stranger's other walk-ins: a live call, a leave
            "call": Lobby.create(
                {
                    "name": f"Call lobby {U}",
                    "slug": f"matrix-call-{u}",
                    "pro_ids": (pro | helper).ids,
                }
            ),
            "leave": Lobby.create(
                {"name": f"Leave lobby {U}", "slug": f"matrix-leave-{u}", "pro_ids": pro.ids}
            ),
            # where every role checks in (and where CSRF tokens are read)
            "open": Lobby.create(
                {"name": f"Open lobby {U}", "slug": f"matrix-open-{u}", "pro_ids": helper.ids}
            ),
        }
        w.slug = {key: record.slug for key, record in lobby.items()}
        w.m_join = lobby["l1"]._check_in(m["m_join"], "1990-01-01")[0].id
        entry = lobby["l1"]._check_in(f"Ella Qe{U}", "1990-01-01")[0]
        w.entry_path = re.sub(r"^https?://[^/]+", "", entry._api_new_entry_link())

        # Appointments: the stranger's (its call about to open), one the pro
        # starts, one the pro cancels, one the patient cancels; a type to book.
        t_a = around_the_clock(env, f"a-{u}", pro)
        t_book = around_the_clock(env, f"book-{u}", helper)
        w.t_book = t_book.slug
        Appointment = env["clinic.appointment"]

        def appointment(name, start, type_=t_a, the_pro=pro, **values):
            return Appointment.create(
                {
                    "type_id": type_.id,
                    "pro_id": the_pro.id,
                    "patient_name": name,
                    "email": "anna@example.com",
                    "start": start,
                    "stop": start + timedelta(minutes=30),
                    **values,
                }
            )

        a1 = appointment(m["a1"], now + timedelta(minutes=6))
        a_leave = appointment(f"Lea Qa{U}", now + timedelta(minutes=6), t_book, helper)
        for record in a1 | a_leave:
            record._get_or_create_meeting()
        w.a1_token, w.a_leave_token = a1.access_token, a_leave.access_token
        w.a1_day = (now + timedelta(minutes=6)).date().isoformat()
        w.a_start = appointment(f"Stan Qa{U}", now + timedelta(minutes=40)).id
        day2 = datetime.combine(today + timedelta(days=2), datetime.min.time())
        w.a_cancel = appointment(f"Cole Qa{U}", day2 + timedelta(hours=12)).id
        w.a_pcancel_token = appointment(f"Pia Qa{U}", day2 + timedelta(hours=14)).access_token
        day3 = today + timedelta(days=3)
        w.book_starts = free_starts(t_book, day3)

        # Visits of the pro: the stranger's (their link bound to their
        # browser: see below), one to destroy from each side, one whose
        # new-device request belongs to the stranger; the other pro's visit
        # with the other stranger.
        Visit = env["clinic.visit"]

        def visit(name, the_pro=pro):
            values = {"name": name, "email": "v@example.com"}
            record, errors = Visit._create_for_pro(the_pro, values)
            assert not errors, errors
            return record

        v1, v_kill, v_kill2, v_req = (
            visit(m["v1"]),
            visit(f"Kim Qv{U}"),
            visit(f"Kai Qv{U}"),
            visit(f"Rob Qv{U}"),
        )
        v2 = visit(f"Vic Qv{U}", other_pro)
        w.v_kill2, w.v2_id = v_kill2.id, v2.id
        v1_pro = v1.participant_ids.filtered(lambda p: p.role == "pro")
        v1._add_documents(v1_pro, [("prescription.txt", "text/plain", m["doc"].encode())])
        w.doc_id = v1.message_ids.filtered("file_size").id
        Question = env["clinic.visit.question"]
        w.question = {
            "patient": Question.search(
                [("part", "=", "patient"), ("kind", "=", "text")], limit=1
            ).id,
            "doctor": Question.search([("part", "=", "doctor"), ("kind", "=", "text")], limit=1).id,
        }
        Guest = env["mail.guest"]
        Request = env["clinic.visit.access.request"]

        def new_device(visit_record):
            patient = visit_record.participant_ids.filtered(lambda p: p.role == "patient")
            return Request.create(
                {"participant_id": patient.id, "guest_id": Guest.create({"name": "Device"}).id}
            ).id

        w.request_public, w.request_portal = new_device(v1), new_device(v1)
        v_req.participant_ids.filtered(lambda p: p.role == "patient").write(
            {"guest_id": Guest.create({"name": "First device"}).id, "bound_at": now}
        )

        def links(visit_record):
            return {
                p.role: p._get_path() for p in visit_record.participant_ids if p.role != "companion"
            }

        w.v1_links, w.v_kill_links, w.v2_links = links(v1), links(v_kill), links(v2)
        w.link_part = {
            path: "doctor" if role == "pro" else "patient"
            for visit_links in (w.v1_links, w.v_kill_links, w.v2_links)
            for role, path in visit_links.items()
        }
        w.v1_id, w.v1_patient = v1.id, v1.participant_ids.filtered(lambda p: p.role == "patient")
        w.v1_patient = w.v1_patient.id
        w.v_req_token = v_req.token
        visits_to_bind = (v1 | v_kill).participant_ids.filtered(lambda p: p.role == "patient").ids
        v_req_patient = v_req.participant_ids.filtered(lambda p: p.role == "patient").id
        v2_patient = v2.participant_ids.filtered(lambda p: p.role == "patient").id

        # Therapy: the pro leads the patient's session; the other pro the
        # other patient's.
        Session = env["clinic.therapy.session"]
        s1 = Session.create(
            {
                "name": m["s1"],
                "start": now - timedelta(minutes=5),
                "duration": 120,
                "therapist_ids": pro.ids,
                "patient_ids": users["patient"].partner_id.ids,
            }
        )
        w.s2 = Session.create(
            {
                "name": f"Other group {U}",
                "start": now + timedelta(days=1),
                "duration": 60,
                "therapist_ids": other_pro.ids,
                "patient_ids": users["other_patient"].partner_id.ids,
            }
        ).id
        w.s1 = s1.id
        w.assessment = (
            env["clinic.therapy.assessment"]
            .create(
                {
                    "session_id": s1.id,
                    "survey_id": env.ref("clinic_therapy.survey_location").id,
                    "timing": "before",
                }
            )
            .id
        )
        env["clinic.therapy.action"].create(
            {
                "session_id": s1.id,
                "type": "message",
                "author_id": users["patient"].partner_id.id,
                "body": m["note"],
            }
        )

        # Vets (in Busan, far from the demo's, whose distances other tests
        # check): the pro's (the patient's reservation, its room open now;
        # one the patient cancels) and the other pro's.
        t_vet = around_the_clock(env, f"vet-{u}", pro)
        t_vet_b = around_the_clock(env, f"vet-b-{u}", other_pro)
        Vet = env["clinic.vet"]
        vet = Vet.create(
            {
                "pro_id": pro.id,
                "slug": f"matrix-vet-{u}",
                "location": "Busan",
                "latitude": 35.1,
                "longitude": 129.0,
                "appointment_type_id": t_vet.id,
            }
        )
        Vet.create(
            {
                "pro_id": other_pro.id,
                "slug": f"matrix-vet-b-{u}",
                "location": "Busan",
                "latitude": 35.1,
                "longitude": 129.0,
                "appointment_type_id": t_vet_b.id,
            }
        )
        w.vet = vet.slug
        pet = {
            "vet_id": vet.id,
            "partner_id": users["patient"].partner_id.id,
            "pet_species": "dog",
            "pet_problem": "Scratches his ear.",
        }
        r1 = appointment(
            users["patient"].name,
            now - timedelta(minutes=40),
            type_=t_vet,
            pet_name=m["pet"],
            photo=base64.b64encode(png_with(m["pet"])),
            **pet,
        )
        w.r1 = r1.id
        w.photo_has_marker = m["pet"].encode() in base64.b64decode(r1.photo)
        w.r_cancel = appointment(
            users["patient"].name,
            datetime.combine(today + timedelta(days=5), datetime.min.time()) + timedelta(hours=12),
            type_=t_vet,
            pet_name=f"Fido Qp{U}",
            **pet,
        ).id
        w.vet_starts = free_starts(t_vet, day3)
        w.helper_login = users["helper_pro"].login

    # The strangers check in for real: their guest cookies are their identity.
    base = odoo_server
    stranger, other_stranger = requests.Session(), requests.Session()
    w.m1 = check_in(stranger, base, w.slug["l1"], m["m1"])
    w.m_call = check_in(stranger, base, w.slug["call"], f"Mona Call Qm{U}")
    w.m_leave = check_in(stranger, base, w.slug["leave"], f"Mona Leave Qm{U}")
    w.m2 = check_in(other_stranger, base, w.slug["l1"], m["m2"])

    with committed_env() as env:
        guest = env["clinic.meeting"].browse(w.m1).patient_participant_id.guest_id
        assert guest, "the check-in gave the stranger no guest"
        # The stranger opened their visit links first (binding is tested in
        # test_visits.py), and asked to come into another visit on a new device.
        env["clinic.visit.participant"].browse(visits_to_bind).write(
            {"guest_id": guest.id, "bound_at": now}
        )
        other_guest = env["clinic.meeting"].browse(w.m2).patient_participant_id.guest_id
        env["clinic.visit.participant"].browse(v2_patient).write(
            {"guest_id": other_guest.id, "bound_at": now}
        )
        w.request_status = (
            env["clinic.visit.access.request"]
            .create({"participant_id": v_req_patient, "guest_id": guest.id})
            .id
        )
        # A second pro stays in the stranger's call meeting, so that the pro
        # can join and leave it as often as the matrix needs.
        meeting = env["clinic.meeting"].browse(w.m_call)
        meeting.with_user(env["res.users"].search([("login", "=", w.helper_login)])).action_join()

    w.sessions = {"stranger": stranger, "other_stranger": other_stranger}
    for role, login in w.logins.items():
        if role != "helper_pro":
            w.sessions[role] = log_in(base, login)
    w.csrf = {role: csrf_of(session, base, w.slug["open"]) for role, session in w.sessions.items()}
    yield w
    leave_all(w.logins["pro"], w.logins["other_pro"])


# ------------------------------------------------------------
# WHAT EACH ROLE CALLS
# ------------------------------------------------------------


def forge(token):
    """A token of the same shape as ``token`` that is nobody's."""
    return secrets.token_urlsafe(len(token))[: len(token)]


def forge_match(match):
    return forge(match[0])


def own(role, token, holder=STRANGER):
    """The link's real token for its holder; a forged one for anyone else."""
    return token if role in holder else forge(token)


def visit_links(w, role, links=None, own_visit=False):
    """The links of a visit a role tries: the stranger their own (the
    patient's, bound to their browser), the pro theirs; anyone else both
    (a link found or forwarded is not enough). With ``own_visit``, the other
    stranger and the other pro also try their own link of their own visit,
    with the record ids of the first one."""
    links = links or w.v1_links
    if role == "stranger":
        return [links["patient"]]
    if role == "pro":
        return [links["pro"]]
    tried = [links["patient"], links["pro"]]
    if own_visit and role in ("other_stranger", "other_pro"):
        tried.append(w.v2_links["pro" if role == "other_pro" else "patient"])
    return tried


def visit_rpc(w, role, suffix, **params):
    return [rpc(f"{link}{suffix}", **params) for link in visit_links(w, role)]


def answer(w, role):
    return [
        rpc(f"{link}/answer", question_id=w.question[w.link_part[link]], value="Fine")
        for link in visit_links(w, role)
    ]


def by_others_also_on_their_own(role, holder, target, own_record):
    """``[target]``, and for ``holder`` (who has records of their own) also
    ``own_record``: their own record with the target's ids in it."""
    return [target, own_record] if role == holder else [target]


def has_room(response):
    return b"clinic_visit.visit_room" in response.content


def pro_joins_call(w):
    leave_all(w.logins["pro"])
    with committed_env() as env:
        pro_user = env["res.users"].search([("login", "=", w.logins["pro"])])
        env["clinic.meeting"].browse(w.m_call).with_user(pro_user).action_join(take_over=True)


BOOKED = {role: index for index, role in enumerate(ROLES)}

ROUTES = [
    # ---- clinic_meeting: a meeting's video call, for its participants
    Route(
        "/clinic/meeting/<int:meeting_id>/call/join",
        "POST",
        "participants: the stranger (its patient) and the pros in it",
        STRANGER | PRO,
        lambda w, r: rpc(f"/clinic/meeting/{w.m_call}/call/join"),
        prepare=pro_joins_call,
    ),
    Route(
        "/clinic/meeting/<int:meeting_id>/call/ping",
        "POST",
        "participants: the stranger (its patient) and the pros in it",
        STRANGER | PRO,
        lambda w, r: rpc(f"/clinic/meeting/{w.m_call}/call/ping", session_id=0),
        prepare=pro_joins_call,
    ),
    # ---- clinic_lobby: walk-ins
    Route(
        "/lobby/<string:lobby_slug>",
        "GET",
        "public (the stranger already waiting there is sent to their meeting)",
        EVERYONE,
        lambda w, r: get(f"/lobby/{w.slug['l1']}"),
    ),
    Route(
        "/lobby/<string:lobby_slug>/check-in",
        "POST",
        "public",
        EVERYONE,
        lambda w, r: form(
            f"/lobby/{w.slug['open']}/check-in",
            {"name": f"Walk Qw{w.u.capitalize()}", "birthdate": "1970-01-01"},
        ),
    ),
    Route(
        "/lobby/<string:lobby_slug>/meeting/<int:meeting_id>",
        "GET",
        "patient-own: the stranger of the meeting, by their guest cookie",
        STRANGER,
        lambda w, r: get(f"/lobby/{w.slug['l1']}/meeting/{w.m1}"),
        marker="m1",
    ),
    Route(
        "/lobby/<string:lobby_slug>/meeting/<int:meeting_id>/status",
        "*",
        "patient-own",
        STRANGER,
        lambda w, r: rpc(f"/lobby/{w.slug['l1']}/meeting/{w.m1}/status"),
    ),
    Route(
        "/lobby/<string:lobby_slug>/meeting/<int:meeting_id>/leave",
        "POST",
        "patient-own",
        STRANGER,
        lambda w, r: form(f"/lobby/{w.slug['leave']}/meeting/{w.m_leave}/leave"),
    ),
    Route(
        "/my/clinic",
        "GET",
        "user (the dashboard's data comes from /my/clinic/data)",
        ACCOUNTS,
        lambda w, r: get("/my/clinic"),
    ),
    Route(
        "/my/clinic/data",
        "*",
        "pros: each their own lobbies' queue and meetings",
        PROS,
        lambda w, r: rpc("/my/clinic/data"),
        marker="m1",
        sees=PRO,
    ),
    Route(
        "/my/clinic/meeting/<int:meeting_id>/join",
        "*",
        "pro-own: a pro of the meeting's lobby",
        PRO,
        lambda w, r: rpc(f"/my/clinic/meeting/{w.m_join}/join"),
        marker="m_join",
    ),
    Route(
        "/my/clinic/meeting/<int:meeting_id>/leave",
        "*",
        "pro-own: a pro of the meeting's lobby",
        PRO,
        lambda w, r: rpc(f"/my/clinic/meeting/{w.m1}/leave"),
        marker="m1",
    ),
    # ---- clinic_appointment: booking, the patient's link, the pro's day
    Route(
        "/appointment/<string:type_slug>",
        "GET",
        "public",
        EVERYONE,
        lambda w, r: get(f"/appointment/{w.t_book}"),
    ),
    Route(
        "/appointment/<string:type_slug>/book",
        "GET",
        "public",
        EVERYONE,
        lambda w, r: get(f"/appointment/{w.t_book}/book", start=w.book_starts[-1]),
    ),
    Route(
        "/appointment/<string:type_slug>/book",
        "POST",
        "public",
        EVERYONE,
        lambda w, r: form(
            f"/appointment/{w.t_book}/book",
            {
                "start": w.book_starts[BOOKED[r]],
                "name": "Bea Booker",
                "email": f"booker{BOOKED[r]}@example.com",
                "booking_key": secrets.token_urlsafe(24),
            },
        ),
    ),
    Route(
        "/appointment/visit/<string:token>/confirmed",
        "GET",
        "patient-own: the holder of the appointment's link",
        STRANGER,
        lambda w, r: get(f"/appointment/visit/{own(r, w.a1_token)}/confirmed"),
    ),
    Route(
        "/appointment/visit/<string:token>",
        "GET",
        "patient-own: the holder of the appointment's link",
        STRANGER,
        lambda w, r: get(f"/appointment/visit/{own(r, w.a1_token)}"),
        marker="a1",
    ),
    Route(
        "/appointment/visit/<string:token>/status",
        "*",
        "patient-own: the holder of the appointment's link",
        STRANGER,
        lambda w, r: rpc(f"/appointment/visit/{own(r, w.a1_token)}/status"),
    ),
    Route(
        "/appointment/visit/<string:token>/leave",
        "POST",
        "patient-own: the holder of the appointment's link",
        STRANGER,
        lambda w, r: form(f"/appointment/visit/{own(r, w.a_leave_token)}/leave"),
    ),
    Route(
        "/appointment/visit/<string:token>/cancel",
        "GET,POST",
        "patient-own: the holder of the appointment's link",
        STRANGER,
        lambda w, r: [
            get(f"/appointment/visit/{own(r, w.a_pcancel_token)}/cancel"),
            form(f"/appointment/visit/{own(r, w.a_pcancel_token)}/cancel"),
        ],
    ),
    Route(
        "/appointment/visit/<string:token>/appointment.ics",
        "GET",
        "patient-own: the holder of the appointment's link",
        STRANGER,
        lambda w, r: get(f"/appointment/visit/{own(r, w.a1_token)}/appointment.ics"),
    ),
    Route(
        "/my/clinic/appointments",
        "*",
        "pros: each their own day",
        PROS,
        lambda w, r: rpc("/my/clinic/appointments", day=w.a1_day),
        marker="a1",
        sees=PRO,
    ),
    Route(
        "/my/clinic/appointment/<int:appointment_id>/start",
        "*",
        "pro-own: the appointment's pro",
        PRO,
        lambda w, r: rpc(f"/my/clinic/appointment/{w.a_start}/start"),
    ),
    Route(
        "/my/clinic/appointment/<int:appointment_id>/cancel",
        "*",
        "pro-own: the appointment's pro",
        PRO,
        lambda w, r: rpc(f"/my/clinic/appointment/{w.a_cancel}/cancel", reason="Matrix"),
    ),
    # ---- clinic_visit: a link per participant, bound to the first browser
    Route(
        "/visit/<string:visit_token>/<string:participant_token>",
        "GET",
        "participants: the browser the patient's link is bound to, the pro logged in "
        "(another browser with the patient's link waits for the pro: no room)",
        STRANGER | PRO,
        lambda w, r: [get(link) for link in visit_links(w, r)],
        ok=has_room,
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/data",
        "*",
        "participants",
        STRANGER | PRO,
        lambda w, r: visit_rpc(w, r, "/data"),
        marker="v1",
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/enter",
        "*",
        "participants",
        STRANGER | PRO,
        lambda w, r: visit_rpc(w, r, "/enter"),
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/leave",
        "*",
        "participants",
        STRANGER | PRO,
        lambda w, r: visit_rpc(w, r, "/leave"),
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/answer",
        "*",
        "participants (each their part of the questionnaire)",
        STRANGER | PRO,
        answer,
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/message",
        "*",
        "participants",
        STRANGER | PRO,
        lambda w, r: visit_rpc(w, r, "/message", body="Hello"),
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/upload",
        "POST",
        "pro-own: the visit's pro shares documents (the patient gets a 400 refusal)",
        PRO,
        lambda w, r: [
            form(f"{link}/upload", files={"files": ("note.txt", b"A note", "text/plain")})
            for link in visit_links(w, r)
        ],
        refusal=(400,),
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/document/<int:message_id>",
        "GET",
        "participants",
        STRANGER | PRO,
        lambda w, r: [
            get(f"{link}/document/{w.doc_id}") for link in visit_links(w, r, own_visit=True)
        ],
        marker="doc",
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/request/<int:request_id>/decide",
        "*",
        "pro-own: the visit's pro decides on a new device",
        PRO,
        lambda w, r: [
            rpc(f"{link}/request/{w.request_public}/decide", accept=False)
            for link in visit_links(w, r, own_visit=True)
        ],
    ),
    Route(
        "/visit/<string:visit_token>/<string:participant_token>/kill",
        "*",
        "pro-own: the visit's pro destroys it",
        PRO,
        lambda w, r: [rpc(f"{link}/kill") for link in visit_links(w, r, w.v_kill_links)],
    ),
    Route(
        "/visit/<string:visit_token>/request/status",
        "*",
        "patient-own: the browser that asked to come in",
        STRANGER,
        lambda w, r: rpc(f"/visit/{w.v_req_token}/request/status", request_id=w.request_status),
    ),
    Route(
        "/visit/settings",
        "GET",
        "public (the clinic's device list)",
        EVERYONE,
        lambda w, r: get("/visit/settings"),
    ),
    Route(
        "/my/clinic/visits",
        "*",
        "pros: each their own visits",
        PROS,
        lambda w, r: rpc("/my/clinic/visits"),
        marker="v1",
        sees=PRO,
    ),
    Route(
        "/my/clinic/visit/create",
        "*",
        "pros: each opens their own visits",
        PROS,
        lambda w, r: rpc("/my/clinic/visit/create", name="Walt Visit", email="w@example.com"),
    ),
    Route(
        "/my/clinic/visit/<int:visit_id>/send",
        "*",
        "pro-own: the visit's pro",
        PRO,
        lambda w, r: [
            rpc(f"/my/clinic/visit/{visit_id}/send", participant_id=w.v1_patient, channel="email")
            for visit_id in by_others_also_on_their_own(r, "other_pro", w.v1_id, w.v2_id)
        ],
        marker="v1",
    ),
    Route(
        "/my/clinic/visit/<int:visit_id>/request/<int:request_id>/decide",
        "*",
        "pro-own: the visit's pro",
        PRO,
        lambda w, r: [
            rpc(f"/my/clinic/visit/{visit_id}/request/{w.request_portal}/decide", accept=False)
            for visit_id in by_others_also_on_their_own(r, "other_pro", w.v1_id, w.v2_id)
        ],
    ),
    Route(
        "/my/clinic/visit/<int:visit_id>/kill",
        "*",
        "pro-own: the visit's pro",
        PRO,
        lambda w, r: rpc(f"/my/clinic/visit/{w.v_kill2}/kill"),
    ),
    # ---- clinic_therapy: sessions, for their therapists and patients
    Route(
        "/my/therapy",
        "GET",
        "user: each their own sessions",
        ACCOUNTS,
        lambda w, r: get("/my/therapy"),
        marker="s1",
        sees=frozenset({"pro", "patient"}),
    ),
    Route(
        "/my/therapy/sessions",
        "GET",
        "user: each their own sessions",
        ACCOUNTS,
        lambda w, r: get("/my/therapy/sessions"),
        marker="s1",
        sees=frozenset({"pro", "patient"}),
    ),
    Route(
        "/my/therapy/<int:session_id>",
        "GET",
        "participants: the session's therapist and patients",
        frozenset({"pro", "patient"}),
        lambda w, r: get(f"/my/therapy/{w.s1}"),
        marker="s1",
    ),
    Route(
        "/my/therapy/<int:session_id>/assessment/<int:assessment_id>",
        "GET",
        "patient-own: the session's patients answer its assessments",
        frozenset({"patient"}),
        lambda w, r: [
            get(f"/my/therapy/{session_id}/assessment/{w.assessment}")
            for session_id in by_others_also_on_their_own(r, "other_patient", w.s1, w.s2)
        ],
    ),
    Route(
        "/my/therapy/<int:session_id>/detail",
        "*",
        "participants",
        frozenset({"pro", "patient"}),
        lambda w, r: rpc(f"/my/therapy/{w.s1}/detail"),
        marker="s1",
    ),
    Route(
        "/my/therapy/<int:session_id>/get_actions",
        "*",
        "participants",
        frozenset({"pro", "patient"}),
        lambda w, r: rpc(f"/my/therapy/{w.s1}/get_actions", last_action_id=0),
        marker="note",
    ),
    Route(
        "/my/therapy/<int:session_id>/save_actions",
        "*",
        "participants",
        frozenset({"pro", "patient"}),
        lambda w, r: rpc(
            f"/my/therapy/{w.s1}/save_actions",
            payloads=[{"type": "message", "client_id": f"{r}-{w.u}", "body": "Hi all"}],
        ),
    ),
    Route(
        "/my/therapy/<int:session_id>/enter",
        "*",
        "participants",
        frozenset({"pro", "patient"}),
        lambda w, r: rpc(f"/my/therapy/{w.s1}/enter"),
    ),
    Route(
        "/my/therapy/<int:session_id>/leave",
        "*",
        "participants",
        frozenset({"pro", "patient"}),
        lambda w, r: rpc(f"/my/therapy/{w.s1}/leave"),
    ),
    Route(
        "/my/therapy/<int:session_id>/consent",
        "*",
        "participants",
        frozenset({"pro", "patient"}),
        lambda w, r: rpc(f"/my/therapy/{w.s1}/consent", consented=True),
    ),
    Route(
        "/clinic/therapy/<int:session_id>/export.csv",
        "GET",
        "researcher (participants pseudonymised)",
        frozenset({"researcher"}),
        lambda w, r: get(f"/clinic/therapy/{w.s1}/export.csv"),
        marker="note",
    ),
    # ---- clinic_insight
    Route(
        "/clinic/insight/board",
        "*",
        "manager",
        MANAGER,
        lambda w, r: rpc("/clinic/insight/board"),
        marker="l1",
    ),
    # ---- clinic_vet: directory, reserving, the owner's reservations, the room
    Route("/vets", "GET", "public", EVERYONE, lambda w, r: get("/vets")),
    Route(
        "/vets/<string:slug>/image",
        "GET",
        "public",
        EVERYONE,
        lambda w, r: get(f"/vets/{w.vet}/image"),
    ),
    Route("/vets/<string:slug>", "GET", "public", EVERYONE, lambda w, r: get(f"/vets/{w.vet}")),
    Route(
        "/vets/<string:slug>/reserve",
        "GET",
        "user (a visitor is sent to the patient login first)",
        ACCOUNTS,
        lambda w, r: get(f"/vets/{w.vet}/reserve", start=w.vet_starts[-1]),
    ),
    Route(
        "/vets/<string:slug>/reserve",
        "POST",
        "user: anyone logged in reserves for their own pet",
        ACCOUNTS,
        lambda w, r: form(
            f"/vets/{w.vet}/reserve",
            {
                "start": w.vet_starts[BOOKED[r]],
                "booking_key": secrets.token_urlsafe(24),
                "pet_name": "Bobby",
                "pet_species": "dog",
                "pet_problem": "Limps a little.",
            },
        ),
    ),
    Route(
        "/my/vet",
        "GET",
        "user: each their own reservations",
        ACCOUNTS,
        lambda w, r: get("/my/vet"),
        marker="pet",
        sees=frozenset({"patient"}),
    ),
    Route(
        "/my/vet/<int:reservation_id>",
        "GET",
        "participants: the reservation's owner and vet",
        frozenset({"patient", "pro"}),
        lambda w, r: get(f"/my/vet/{w.r1}"),
        marker="pet",
    ),
    Route(
        "/my/vet/<int:reservation_id>/photo",
        "GET",
        "participants: the reservation's owner and vet",
        frozenset({"patient", "pro"}),
        lambda w, r: get(f"/my/vet/{w.r1}/photo"),
        marker="pet",
    ),
    Route(
        "/my/vet/<int:reservation_id>/cancel",
        "POST",
        "patient-own: the reservation's owner",
        frozenset({"patient"}),
        lambda w, r: form(f"/my/vet/{w.r_cancel}/cancel"),
    ),
    Route(
        "/my/vet/<int:reservation_id>/room",
        "GET",
        "participants: the reservation's owner and vet",
        frozenset({"patient", "pro"}),
        lambda w, r: get(f"/my/vet/{w.r1}/room"),
        marker="pet",
    ),
    Route(
        "/my/clinic/vet",
        "*",
        "pros who are vets: each their own reservations",
        PROS,
        lambda w, r: rpc("/my/clinic/vet"),
        marker="pet",
        sees=PRO,
    ),
    Route(
        "/my/clinic/vet/room",
        "*",
        "pros who are vets: each their own room",
        PROS,
        lambda w, r: rpc("/my/clinic/vet/room", open=True),
    ),
    # ---- clinic_auth_sms: the patient login (the same answer for everyone)
    Route("/patient/login", "GET", "public", EVERYONE, lambda w, r: get("/patient/login")),
    Route(
        "/patient/login/send",
        "POST",
        "public",
        EVERYONE,
        lambda w, r: form(
            "/patient/login/send",
            {"phone": f"+1212557{random.randrange(10000):04d}", "last_name": "Nobody"},
        ),
    ),
    Route(
        "/patient/login/code", "GET", "public", EVERYONE, lambda w, r: get("/patient/login/code")
    ),
    Route(
        "/patient/login/verify",
        "POST",
        "public",
        EVERYONE,
        lambda w, r: form("/patient/login/verify", {"code": "000000"}),
    ),
    Route(
        "/patient/login/resend",
        "POST",
        "public",
        EVERYONE,
        lambda w, r: form("/patient/login/resend"),
    ),
    # ---- clinic_api: the one-time entry link of an API check-in
    Route(
        "/lobby/<string:lobby_slug>/enter/<string:token>",
        "GET",
        "patient-own: the holder of the one-time link",
        STRANGER,
        lambda w, r: get(
            w.entry_path
            if r == "stranger"
            else re.sub(r"[^/]+$", lambda t: forge(t[0]), w.entry_path)
        ),
    ),
]
ROUTES_BY_KEY = {route.key: route for route in ROUTES}
assert len(ROUTES_BY_KEY) == len(ROUTES), "a route is declared twice"


# ------------------------------------------------------------
# THE TESTS
# ------------------------------------------------------------


def test_every_route_is_declared(odoo_server):
    """Every route of the clinic modules is in ``ROUTES`` or in one of the
    ``FAMILIES``, and every declared route and family still exists."""
    routes = clinic_routes()
    found = {key for key in routes if not family_of(key[0])}
    assert len(found) >= 60, sorted(found)
    undeclared = sorted(found - set(ROUTES_BY_KEY))
    gone = sorted(set(ROUTES_BY_KEY) - found)
    messages = [
        f"route {methods} {url} ({routes[(url, methods)].__module__}) is not declared in "
        f"ROUTES of {__name__}: say who may use it"
        for url, methods in undeclared
    ] + [f"route {methods} {url} is declared but no longer exists" for url, methods in gone]
    assert not messages, "\n".join(messages)
    for prefix in FAMILIES:
        assert any(family_of(url) == prefix for url, _ in routes), f"no route under {prefix}"


def perform(w, role, session, call):
    """Send ``call`` in ``session``; a form carries the role's CSRF token."""
    url = w.base + call.path
    kwargs = {"allow_redirects": False, "timeout": 60}
    if call.rpc:
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": call.params}
        return session.post(url, json=payload, **kwargs)
    if call.method == "GET":
        return session.get(url, params=call.params, **kwargs)
    data = dict(call.data or {})
    if call.csrf:
        data["csrf_token"] = (
            w.csrf[role] if role in w.csrf else csrf_of(session, w.base, w.slug["open"])
        )
    return session.post(url, data=data, files=call.files, **kwargs)


def session_of(w, role):
    """A copy of the role's browser (its cookies): what a call sets in it, a
    guest cookie for instance, does not follow the role to the next route."""
    session = requests.Session()
    if role != "anonymous":
        session.cookies.update(w.sessions[role].cookies)
    return session


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.methods} {route.url}")
def test_route_access(world, route):
    """The route as each role: allowed for its audience, denied to everyone
    else with none of the records' personal data in the answer."""
    w = world
    pros = (w.logins["pro"], w.logins["other_pro"])
    leave_all(*pros)
    if route.prepare:
        route.prepare(w)
    failures = []
    order = sorted(ROLES, key=lambda role: (role in route.allowed, ROLES.index(role)))
    try:
        for role in order:
            expected = "allowed" if role in route.allowed else "denied"
            session = session_of(w, role)
            calls = route.call(w, role)
            for call in calls if isinstance(calls, list) else [calls]:
                response = perform(w, role, session, call)
                got, why = verdict(route, response)
                where = f"{call.method} {call.path} as {role}"
                if got != expected:
                    failures.append(f"{where}: expected {expected}, got {got} ({why})")
                    continue
                sees = route.sees if route.sees is not None else route.allowed
                marker = w.markers.get(route.marker) if route.marker else None
                if route.key[0].endswith("/photo") and not w.photo_has_marker:
                    marker = None
                if role in sees and expected == "allowed":
                    if marker and marker.encode() not in response.content:
                        failures.append(f"{where}: allowed, but without {marker!r}")
                else:
                    shown = [
                        text
                        for text in [*w.personal, marker]
                        if text and text.encode() in response.content
                    ]
                    if shown:
                        failures.append(f"{where}: {expected}, but the answer shows {shown}")
    finally:
        leave_all(*pros)
    if failures:
        header = f"{route.methods} {route.url} ({route.audience}):"
        pytest.fail("\n".join([header, *failures]), pytrace=False)


def test_api_refuses_every_browser_session(world):
    """The /api/v1 family is for partner keys (tests/test_api.py): no role's
    browser session, logged in or not, opens any of its operations."""
    w = world
    document = requests.get(f"{w.base}{API}/openapi.json", timeout=60).json()
    operations = [
        (template, method.upper(), operation.get("security") == [])
        for template, item in document["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 30, operations
    failures = []
    for role in ROLES:
        session = session_of(w, role)
        for template, method, public in operations:
            path = re.sub(r"\{\w+\}", "7", template)
            kwargs = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            response = session.request(
                method, w.base + path, allow_redirects=False, timeout=60, **kwargs
            )
            expected = 200 if public else 401
            if response.status_code != expected:
                failures.append(
                    f"{method} {path} as {role}: HTTP {response.status_code}, expected {expected}"
                )
    assert not failures, "\n".join(failures)
