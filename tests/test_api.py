"""The partner API (clinic_api) against the real server process: seed 000's
set-up and a walk-in by API, seed 003's visit life by API, appointments,
keys, JSON errors, the rate limit, and the OpenAPI document held to the
server's routes. Every answer of an operation is checked against the
document's schema for it; the pages the links open are driven in Chromium.
"""

import json
import re
import secrets
import threading
import time
import xmlrpc.client
from datetime import date, datetime, timedelta

import jsonschema
import pytest
import requests
import werkzeug.routing
from playwright.sync_api import expect

import odoo
from odoo import api as odoo_api
from odoo import http as odoo_http
from odoo.modules.registry import Registry

API = "/api/v1"
MANAGER = "clinic_meeting.group_clinic_manager"
CLINIC_USER = "clinic_meeting.group_clinic_user"
JSON_TYPE = "application/json"
RATE_PARAM = "clinic_api.rate_limit_per_minute"


# ------------------------------------------------------------
# HELPERS
# ------------------------------------------------------------


def db_name():
    return odoo.tools.config["db_name"][0]


def make_user(env, name, login, groups, *, company=None):
    """An internal user in ``groups`` (xmlids), of ``company`` only if given."""
    values = {
        "name": name,
        "login": login,
        "email": f"{login}@example.com",
        "group_ids": [odoo.fields.Command.set([env.ref(xmlid).id for xmlid in groups])],
    }
    if company:
        values.update(company_id=company.id, company_ids=[odoo.fields.Command.set(company.ids)])
    return env["res.users"].with_context(no_reset_password=True).create(values)


def make_key(env, user, expiration=None, name="test key"):
    """A partner key of ``user``, made as the backend's wizard makes it."""
    return env["res.users.apikeys"]._clinic_api_generate(user, name, expiration)


def path_of(url):
    """The path of a link (links carry the database's base URL, not the test server's)."""
    return re.sub(r"^https?://[^/]+", "", url)


def assert_json_error(response, status, code=None):
    """``response`` is the JSON error ``status``: ``{"error": {"code", "message"}}``."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith(JSON_TYPE), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


class Api:
    """A partner's client: one key, every answer of a documented operation
    checked against the OpenAPI document (status documented, body valid)."""

    def __init__(self, base_url, document, key=None):
        self.base_url = base_url
        self.document = document
        self.key = key
        self.user_id = None  # the key's user, when the test made it
        self.session = requests.Session()

    def request(self, method, path, *, expect=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if self.key and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.key}"
        response = self.session.request(
            method, self.base_url + API + path, headers=headers, timeout=60, **kwargs
        )
        assert response.status_code < 500, response.text[:1000]
        check_against_document(self.document, method, API + path, response)
        if expect is not None:
            assert response.status_code == expect, (
                method,
                path,
                response.status_code,
                response.text[:1000],
            )
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def list_all(self, path):
        """Every item of a paginated listing."""
        items, offset = [], 0
        while True:
            page = self.get(path, params={"limit": 200, "offset": offset}, expect=200).json()
            items += page["items"]
            offset += 200
            if offset >= page["count"]:
                return items


def document_operation(document, method, path):
    """The documented operation of ``method`` ``path`` (a concrete path), or None."""
    path = path.split("?", 1)[0]
    for template, item in document["paths"].items():
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return item.get(method.lower())
    return None


def check_against_document(document, method, path, response):
    """An answer of a documented operation has a documented status and,
    when JSON, a body valid against that status's schema."""
    operation = document_operation(document, method, path)
    if operation is None:
        if response.status_code >= 400:
            assert_json_error(response, response.status_code)
        return
    status = str(response.status_code)
    assert status in operation["responses"], (
        f"{method} {path} answered {status}, not documented: {response.text[:300]}"
    )
    content = operation["responses"][status].get("content")
    if not content:
        assert not response.content, response.content[:300]
        return
    assert response.headers["Content-Type"].startswith(JSON_TYPE)
    schema = {**content[JSON_TYPE]["schema"], "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(response.json())


def login_with_password(new_page, login, password, path="/my/clinic"):
    """A page logged in as ``login`` with ``password``."""
    page = new_page(f"/web/login?redirect={path}")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    return page


def queue_item(page, meeting_id):
    return page.locator(f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}']")


def question(page, question_id):
    return page.locator(
        f".o_clinic_visit_question[data-question-id='{question_id}'] .o_clinic_visit_answer"
    )


@pytest.fixture(scope="module")
def openapi(odoo_server):
    """The server's OpenAPI document."""
    response = requests.get(f"{odoo_server}{API}/openapi.json", timeout=30)
    assert response.status_code == 200, response.text[:500]
    return response.json()


@pytest.fixture
def client(odoo_server, openapi):
    """A client with ``key`` (None: no key)."""

    def make(key=None):
        return Api(odoo_server, openapi, key)

    return make


@pytest.fixture
def manager(commit_env, client, unique):
    """A client with the key of a new integration user, a clinic manager of
    the main company."""
    with commit_env() as env:
        user = make_user(
            env, f"Integration {unique}", f"integration-{unique}", ["base.group_user", MANAGER]
        )
        key = make_key(env, user)
    api = client(key)
    api.user_id = user.id
    return api


def create_pro(api, name, email, password=None):
    body = {"name": name, "email": email, "title": "MD"}
    if password:
        body["password"] = password
    pro = api.post("/pros", json=body, expect=201).json()
    assert (pro["name"], pro["login"], pro["email"]) == (name, email, email)
    return pro


# ------------------------------------------------------------
# SEED 000: THE SET-UP AND A WALK-IN, BY API
# ------------------------------------------------------------


def set_up_office(manager, unique, password, odoo_server):
    """Seed 000's set-up by API: two pros with a password, a lobby, its pros."""
    smith = create_pro(manager, f"Dr. Smith {unique}", f"smith-{unique}@example.com", password)
    brown = create_pro(manager, f"Dr. Brown {unique}", f"brown-{unique}@example.com", password)
    lobby_name = f"Dr. Smith & Dr. Brown's Office {unique}"
    slug = f"smith-brown-{unique}"
    lobby = manager.post("/lobbies", json={"name": lobby_name, "slug": slug}, expect=201).json()
    assert (lobby["name"], lobby["slug"], lobby["pro_ids"]) == (lobby_name, slug, [])
    assert lobby["url"].endswith(f"/lobby/{slug}")
    for pro in (smith, brown):
        manager.put(f"/lobbies/{lobby['id']}/pros/{pro['id']}", expect=200)
    lobby = manager.get(f"/lobbies/{lobby['id']}", expect=200).json()
    assert sorted(lobby["pro_ids"]) == sorted([smith["id"], brown["id"]])
    assert manager.get(f"/pros/{smith['id']}", expect=200).json()["lobby_ids"] == [lobby["id"]]
    # The lobby's public page is live.
    response = requests.get(f"{odoo_server}/lobby/{slug}", timeout=30)
    assert response.status_code == 200 and f"Office {unique}" in response.text
    return smith, brown, lobby


def test_seed_000_walkthrough_by_api(manager, new_page, unique, odoo_server):
    """Seed 000 through the API: two pros, a lobby and its pros; a stranger
    checked in by API reaches their meeting page with the one-time link; the
    pros' queues show them live; a pro joins by API and everyone sees it;
    the link does not work twice."""
    password = f"pw-{secrets.token_hex(8)}"
    smith, brown, lobby = set_up_office(manager, unique, password, odoo_server)
    slug, lobby_name = lobby["slug"], lobby["name"]

    # Both new pros log in with the password given and wait on their dashboard.
    smith_page = login_with_password(new_page, smith["login"], password)
    brown_page = login_with_password(new_page, brown["login"], password)
    for page in (smith_page, brown_page):
        expect(page.locator(".o_clinic_lobby_no_current")).to_have_text(
            "Not currently in any meeting."
        )
        expect(page.locator(".o_clinic_lobby_queue_empty")).to_be_visible()

    # A stranger checks in through a headless front end.
    name = f"John Carter {unique}"
    answer = manager.post(
        f"/lobbies/{lobby['id']}/check-ins",
        json={"name": name, "birthdate": "1980-05-04"},
        expect=201,
    ).json()
    meeting = answer["meeting"]
    assert (meeting["state"], meeting["lobby_id"], meeting["pro_count"]) == (
        "waiting",
        lobby["id"],
        0,
    )
    assert [(p["role"], p["name"]) for p in meeting["participants"]] == [("patient", name)]
    entry_path = path_of(answer["patient_url"])
    assert re.fullmatch(rf"/lobby/{slug}/enter/[\w-]{{43}}", entry_path), entry_path
    # Both queues show the stranger at once, without a reload.
    expect(queue_item(smith_page, meeting["id"])).to_contain_text(name)
    expect(queue_item(brown_page, meeting["id"])).to_contain_text(name)
    queue = manager.get(f"/lobbies/{lobby['id']}/meetings", expect=200).json()
    assert [m["id"] for m in queue["items"]] == [meeting["id"]]

    # The link of another lobby is no link; the right one lets the browser in.
    wrong = requests.get(
        odoo_server + entry_path.replace(f"/lobby/{slug}/", "/lobby/smith-brown-inc/"),
        timeout=30,
        allow_redirects=False,
    )
    assert wrong.status_code == 404
    patient = new_page(entry_path)
    expect(patient).to_have_url(re.compile(rf"/lobby/{slug}/meeting/{meeting['id']}$"))
    expect(patient.locator("h1")).to_have_text(f"Hello, {name}!")
    expect(patient.locator(".o_clinic_lobby_welcome")).to_contain_text(
        f"You are now in a meeting in {lobby_name}."
    )
    expect(patient.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "You are in the queue."
    )

    # Dr. Smith joins by API: the stranger's page, his dashboard and Dr. Brown's follow.
    meeting = manager.post(
        f"/meetings/{meeting['id']}/join", json={"pro_id": smith["id"]}, expect=200
    ).json()
    assert (meeting["state"], meeting["pro_count"]) == ("in_progress", 1)
    expect(patient.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        f"{smith['name']} joined your meeting."
    )
    expect(smith_page.locator(".o_clinic_lobby_current_meeting")).to_contain_text(name)
    expect(queue_item(brown_page, meeting["id"])).to_have_count(0)
    taken = brown_page.locator(
        f".o_clinic_lobby_in_progress_item[data-meeting-id='{meeting['id']}']"
    )
    expect(taken.locator(".o_clinic_lobby_participants")).to_have_text("2 participants, 1 pro")
    meeting = manager.get(f"/meetings/{meeting['id']}", expect=200).json()
    assert (meeting["state"], meeting["pro_count"], meeting["participant_count"]) == (
        "in_progress",
        1,
        2,
    )
    assert meeting["first_pro_joined_at"]
    assert [p["pro_id"] for p in meeting["participants"] if p["role"] == "pro"] == [smith["id"]]
    # Dr. Brown may not take it without take_over.
    error = assert_json_error(
        manager.post(f"/meetings/{meeting['id']}/join", json={"pro_id": brown["id"]}),
        409,
        "conflict",
    )
    assert smith["name"] in error["message"]

    # The link was for one browser only.
    new_page.expected_errors.append("status of 404 (NOT FOUND)")
    again = new_page()
    response = again.goto(entry_path)
    assert response.status == 404
    expect(again.locator("h1", has_text="Hello")).to_have_count(0)
    # The stranger's own browser keeps its meeting.
    patient.reload()
    expect(patient.locator("h1")).to_have_text(f"Hello, {name}!")

    # Dr. Smith leaves by API: the meeting is over for everyone.
    meeting = manager.post(
        f"/meetings/{meeting['id']}/leave", json={"pro_id": smith["id"]}, expect=200
    ).json()
    assert meeting["state"] == "done" and meeting["ended_at"]
    expect(patient.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "This visit has ended."
    )
    expect(smith_page.locator(".o_clinic_lobby_no_current")).to_be_visible()


# ------------------------------------------------------------
# SEED 003: A VISIT'S LIFE, BY API
# ------------------------------------------------------------


def test_seed_003_visit_life_by_api(manager, client, new_page, commit_env, unique):  # noqa: PLR0915
    """Seed 003 through the API: a visit with a link per participant; the
    patient's link binds to the first browser, a second one waits until the
    API validates it; answers of each side (a wrong part refused, nothing
    saved); a document uploaded shows on the patient's page; the kill ends
    every page and link, twice harmlessly; the device list is public."""
    pro = create_pro(manager, f"Dr. Hill {unique}", f"hill-{unique}@example.com")
    name = f"Lucie Martin {unique}"
    visit = manager.post(
        "/visits",
        json={"pro_id": pro["id"], "name": name, "email": "lucie@example.com"},
        expect=201,
    ).json()
    assert (visit["name"], visit["pro_id"], visit["state"]) == (name, pro["id"], "open")
    roles = {p["role"]: p for p in visit["participants"]}
    assert set(roles) == {"pro", "patient"}
    patient_path = path_of(roles["patient"]["url"])
    assert re.fullmatch(r"/visit/[\w-]{43}/[\w-]{43}", patient_path), patient_path
    assert path_of(roles["pro"]["url"]) != patient_path
    assert not roles["patient"]["used"]

    # The first browser gets the visit; the second waits for the pro.
    first = new_page(patient_path)
    expect(first.locator(".o_clinic_visit_room h1")).to_contain_text(
        f"Video visit with {pro['name']}"
    )
    second = new_page(patient_path)
    expect(second.locator(".o_clinic_visit_waiting")).to_contain_text(
        f"Waiting for {pro['name']} to let you in"
    )
    visit = manager.get(f"/visits/{visit['id']}", expect=200).json()
    assert [r["participant_id"] for r in visit["requests"]] == [roles["patient"]["id"]]
    patient = next(p for p in visit["participants"] if p["role"] == "patient")
    assert patient["used"]
    request_id = visit["requests"][0]["id"]
    decision = manager.post(
        f"/visits/{visit['id']}/requests/{request_id}/validate", expect=200
    ).json()
    assert decision == {"id": request_id, "state": "accepted"}
    # The second browser goes on into the visit; the first is let go.
    expect(second.locator(".o_clinic_visit_room h1")).to_contain_text(
        f"Video visit with {pro['name']}"
    )
    expect(first.locator(".o_clinic_visit_replaced")).to_be_visible()
    assert_json_error(
        manager.post(f"/visits/{visit['id']}/requests/{request_id}/refuse"), 409, "conflict"
    )
    assert not manager.get(f"/visits/{visit['id']}", expect=200).json()["requests"]

    # The questionnaire, each side its part; the page shows the answers live.
    questions = manager.get("/visit-questions", expect=200).json()["items"]
    patient_text = next(q for q in questions if q["part"] == "patient" and q["kind"] == "text")
    patient_number = next(q for q in questions if q["part"] == "patient" and q["kind"] == "number")
    doctor_text = next(q for q in questions if q["part"] == "doctor" and q["kind"] == "text")
    answers_path = f"/visits/{visit['id']}/answers"
    visit = manager.put(
        answers_path,
        json={
            "participant_id": roles["patient"]["id"],
            "answers": [
                {"question_id": patient_text["id"], "value": "Ear pain since Sunday"},
                {"question_id": patient_number["id"], "value": 38.2},
            ],
        },
        expect=200,
    ).json()
    assert {a["question_id"]: a["value"] for a in visit["answers"]} == {
        patient_text["id"]: "Ear pain since Sunday",
        patient_number["id"]: "38.2",
    }
    expect(question(second, patient_text["id"])).to_have_value("Ear pain since Sunday")
    manager.put(
        answers_path,
        json={
            "participant_id": roles["pro"]["id"],
            "answers": [{"question_id": doctor_text["id"], "value": "Red eardrum"}],
        },
        expect=200,
    )
    expect(question(second, doctor_text["id"])).to_have_value("Red eardrum")
    # A wrong answer refuses the whole call: the good one beside it is not saved.
    error = assert_json_error(
        manager.put(
            answers_path,
            json={
                "participant_id": roles["patient"]["id"],
                "answers": [
                    {"question_id": patient_text["id"], "value": "Changed"},
                    {"question_id": doctor_text["id"], "value": "Not mine"},
                ],
            },
        ),
        422,
        "invalid",
    )
    assert set(error["details"]) == {"body.answers[1]"}, error
    assert_json_error(
        manager.put(
            answers_path,
            json={
                "participant_id": roles["patient"]["id"],
                "answers": [{"question_id": patient_number["id"], "value": "hot"}],
            },
        ),
        422,
    )
    answers = {
        a["question_id"]: a["value"]
        for a in manager.get(f"/visits/{visit['id']}", expect=200).json()["answers"]
    }
    assert answers[patient_text["id"]] == "Ear pain since Sunday"
    assert answers[patient_number["id"]] == "38.2"

    # A document shared by the pro shows on the patient's page and downloads.
    document = b"%PDF-1.4 a prescription " + unique.encode()
    uploaded = manager.post(
        f"/visits/{visit['id']}/documents",
        files=[("file", ("prescription.pdf", document, "application/pdf"))],
        expect=201,
    ).json()["documents"]
    assert [(d["name"], d["mimetype"], d["size"]) for d in uploaded] == [
        ("prescription.pdf", "application/pdf", len(document))
    ]
    shared = second.locator(".o_clinic_visit_document_link", has_text="prescription.pdf")
    expect(shared).to_be_visible()
    response = second.request.get(shared.get_attribute("href"))
    assert response.status == 200 and response.body() == document
    assert_json_error(
        manager.post(
            f"/visits/{visit['id']}/documents", files=[("file", ("empty.txt", b"", "text/plain"))]
        ),
        422,
    )
    assert_json_error(
        manager.post(f"/visits/{visit['id']}/documents", json={"file": "x"}),
        415,
        "unsupported_media_type",
    )

    # The kill: every page and link says the visit ended; a second kill is harmless.
    new_page.expected_errors.append("status of 410 (GONE)")
    killed = manager.delete(f"/visits/{visit['id']}", expect=200).json()
    assert killed["state"] == "killed" and killed["killed_at"]
    assert not killed["answers"] and not killed["requests"]
    assert all(p["url"] is None for p in killed["participants"])
    expect(second.locator(".o_clinic_visit_ended")).to_have_text("This visit has ended")
    response = second.goto(patient_path)
    assert response.status == 410
    expect(second.locator(".o_clinic_visit_ended")).to_have_text("This visit has ended")
    again = manager.delete(f"/visits/{visit['id']}", expect=200).json()
    assert (again["state"], again["killed_at"]) == ("killed", killed["killed_at"])
    assert_json_error(
        manager.put(
            answers_path,
            json={
                "participant_id": roles["patient"]["id"],
                "answers": [{"question_id": patient_text["id"], "value": "After"}],
            },
        ),
        409,
    )
    with commit_env() as env:
        visit_record = env["clinic.visit"].browse(visit["id"])
        assert not visit_record.message_ids and not visit_record.answer_ids

    # The device list, as the seed's GET /settings: no key needed.
    devices = client().get("/devices", expect=200).json()["devices"]
    with commit_env() as env:
        names = env["clinic.visit.device"].search([]).mapped("name")
    assert sorted(d["name"] for d in devices) == sorted(names) and names


# ------------------------------------------------------------
# APPOINTMENTS
# ------------------------------------------------------------


@pytest.fixture
def appointment_type(commit_env, unique):
    """An appointment type of its own with two new pros, on the demo's
    clinic hours, so that bookings here touch no other test's slots."""
    with commit_env() as env:
        pros = env["clinic.pro"]
        for index in range(2):
            user = make_user(
                env, f"Dr. Slot {index} {unique}", f"slot{index}-{unique}", ["base.group_portal"]
            )
            pros |= env["clinic.pro"].create({"name": user.name, "user_id": user.id})
        appointment_type = env["clinic.appointment.type"].create(
            {
                "name": f"API consultation {unique}",
                "slug": f"api-consultation-{unique}",
                "duration": 30,
                "resource_calendar_id": env.ref("clinic_appointment.resource_calendar_clinic").id,
                "min_notice_hours": 2,
                "max_days_ahead": 30,
                "pro_ids": [odoo.fields.Command.set(pros.ids)],
            }
        )
        return {"id": appointment_type.id, "pro_ids": sorted(pros.ids)}


def test_appointments_by_api(manager, appointment_type):
    """Types, free slots of a day, booking until no pro is free (409), the
    slot taken then freed by a cancel, a second cancel refused, bad days."""
    types = manager.list_all("/appointment-types")
    mine = next(t for t in types if t["id"] == appointment_type["id"])
    assert sorted(mine["pro_ids"]) == appointment_type["pro_ids"]
    assert (mine["duration_minutes"], mine["tz"]) == (30, "Europe/Brussels")
    slots_path = f"/appointment-types/{appointment_type['id']}/slots"

    # The first day from three days ahead with free slots (a working day).
    for days in range(3, 10):
        day = (date.today() + timedelta(days=days)).isoformat()
        slots = manager.get(slots_path, params={"from": day}, expect=200).json()["slots"]
        if slots:
            break
    assert slots, "no free slot within a week"
    assert {s["state"] for s in slots} == {"free"}
    assert all(s["local_start"].startswith(day) for s in slots)
    start = slots[0]["start"]

    def book(patient):
        return manager.post(
            "/appointments",
            json={
                "type_id": appointment_type["id"],
                "start": start,
                "name": patient,
                "email": "patient@example.com",
            },
        )

    first = book("Ann Lee")
    assert first.status_code == 201, first.text
    first = first.json()
    second = book("Bob Lee")
    assert second.status_code == 201, second.text
    second = second.json()
    assert (first["start"], first["state"], first["type_id"]) == (
        start,
        "confirmed",
        appointment_type["id"],
    )
    assert sorted([first["pro_id"], second["pro_id"]]) == appointment_type["pro_ids"]
    error = assert_json_error(book("Carl Lee"), 409, "conflict")
    assert error["details"] == {"body.start": error["message"]}
    everything = manager.get(slots_path, params={"from": day, "state": "all"}, expect=200).json()
    assert next(s for s in everything["slots"] if s["start"] == start)["state"] == "taken"
    free = manager.get(slots_path, params={"from": day}, expect=200).json()["slots"]
    assert start not in [s["start"] for s in free]
    assert manager.get(f"/appointments/{first['id']}", expect=200).json() == first

    # A cancel frees the slot; a second cancel is refused.
    cancelled = manager.post(
        f"/appointments/{first['id']}/cancel", json={"reason": "Sick"}, expect=200
    ).json()
    assert cancelled["state"] == "cancelled" and cancelled["visit_url"] is None
    assert_json_error(manager.post(f"/appointments/{first['id']}/cancel", json={}), 409)
    free = manager.get(slots_path, params={"from": day}, expect=200).json()["slots"]
    assert start in [s["start"] for s in free]
    manager.post(f"/appointments/{second['id']}/cancel", json={}, expect=200)

    # Bad days, bad ranges, bad times.
    last = (date.fromisoformat(day) + timedelta(days=30)).isoformat()
    manager.get(slots_path, params={"from": day, "to": last}, expect=200)
    too_far = (date.fromisoformat(day) + timedelta(days=31)).isoformat()
    before = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
    for params in (
        {"from": "2026-02-30"},
        {"from": "tomorrow"},
        {"from": day, "to": before},
        {"from": day, "to": too_far},
        {},
        {"from": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": day, "state": "taken"},
    ):
        assert_json_error(manager.get(slots_path, params=params), 422, "invalid")
    for bad_start in ("tomorrow 9am", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"):
        response = manager.post(
            "/appointments",
            json={
                "type_id": appointment_type["id"],
                "start": bad_start,
                "name": "Ann Lee",
                "email": "ann@example.com",
            },
        )
        assert_json_error(response, 422, "invalid")
    assert_json_error(manager.get("/appointment-types/99999999/slots", params={"from": day}), 404)


# ------------------------------------------------------------
# KEYS
# ------------------------------------------------------------


def test_requests_without_a_valid_partner_key_get_401(manager, client, commit_env, unique):
    """No key, malformed headers, a wrong key, an expired one, a revoked one,
    one of an archived user and Odoo's own RPC key: 401 JSON with
    WWW-Authenticate, where the valid key works (and the revoked and the
    archived user's keys worked before)."""
    with commit_env() as env:
        user = env["res.users"].browse(manager.user_id)
        expired = make_key(env, user, datetime.now() - timedelta(minutes=1))
        revoked = make_key(env, user, name=f"to revoke {unique}")
        record = env["res.users.apikeys"].search([("name", "=", f"to revoke {unique}")])
        rpc_key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "rpc", None)
        gone = make_user(env, f"Gone {unique}", f"gone-{unique}", ["base.group_user", MANAGER])
        gone_key = make_key(env, gone)
    anonymous = client()
    client(gone_key).get("/lobbies", expect=200)
    with commit_env() as env:
        env["res.users"].browse(gone.id).active = False
    anonymous.get("/lobbies", expect=200, headers={"Authorization": f"Bearer {manager.key}"})
    # The revoked key works until a clinic manager revokes it.
    client(revoked).get("/lobbies", expect=200)
    with commit_env() as env:
        keys = env["res.users.apikeys"].browse(record.id).with_user(manager.user_id)
        keys.action_clinic_api_revoke()
    headers = [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer abc"},
        {"Authorization": f"Basic {manager.key}"},
        {"Authorization": manager.key},
        {"Authorization": f"Bearer {manager.key}junk"},
        {"Authorization": f"Bearer {manager.key} junk"},
        {"Authorization": f"Bearer {manager.key[:-1]}"},
        {"Authorization": f"Bearer {manager.key.upper()}x"},
        {"Authorization": f"Bearer {secrets.token_hex(20)}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {revoked}"},
        {"Authorization": f"Bearer {rpc_key}"},
        {"Authorization": f"Bearer {gone_key}"},
    ]
    for header in headers:
        response = anonymous.get("/lobbies", headers=header)
        assert_json_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), header
    # A body is not even read without a key.
    response = anonymous.post("/pros", data="{bad", headers={"Content-Type": "text/plain"})
    assert_json_error(response, 401)


def test_a_key_reaches_what_its_user_may(client, commit_env, unique):
    """A key of a user outside the clinic's staff: 403 everywhere; a front
    desk (clinic user) key reads but does not configure; a manager's does."""
    with commit_env() as env:
        outsider = make_user(env, f"Outsider {unique}", f"outsider-{unique}", ["base.group_user"])
        desk = make_user(
            env, f"Front desk {unique}", f"desk-{unique}", ["base.group_user", CLINIC_USER]
        )
        boss = make_user(env, f"Manager {unique}", f"boss-{unique}", ["base.group_user", MANAGER])
        keys = {user: make_key(env, user) for user in (outsider, desk, boss)}
        demo_lobby = env["clinic.lobby"].search([("slug", "=", "smith-brown-inc")])
        keys = {user.login: key for user, key in keys.items()}
    outsider, desk, boss = (client(keys[f"{who}-{unique}"]) for who in ("outsider", "desk", "boss"))
    for path in ("/lobbies", "/pros", f"/lobbies/{demo_lobby.id}", "/visit-questions"):
        assert_json_error(outsider.get(path), 403, "forbidden")
    pro = {"name": f"Dr. Desk {unique}", "email": f"desk-pro-{unique}@example.com"}
    assert_json_error(outsider.post("/pros", json=pro), 403)

    lobbies = desk.get("/lobbies", expect=200).json()["items"]
    assert "smith-brown-inc" in [lobby["slug"] for lobby in lobbies]
    desk.get(f"/lobbies/{demo_lobby.id}", expect=200)
    assert_json_error(desk.post("/pros", json=pro), 403, "forbidden")
    lobby = {"name": f"Desk lobby {unique}", "slug": f"desk-{unique}"}
    assert_json_error(desk.post("/lobbies", json=lobby), 403)
    assert_json_error(desk.patch(f"/lobbies/{demo_lobby.id}", json={"name": "Mine"}), 403)
    assert_json_error(desk.get("/webhooks"), 403)
    assert desk.get(f"/lobbies/{demo_lobby.id}", expect=200).json()["name"] != "Mine"

    created = boss.post("/pros", json=pro, expect=201).json()
    assert created["email"] == pro["email"]
    boss.post("/lobbies", json=lobby, expect=201)


def test_a_key_sees_its_own_company_only(manager, client, commit_env, unique):
    """A key of company A finds none of company B's lobbies, pros, visits
    and meetings (404, not listed), and B's key none of A's."""
    with commit_env() as env:
        company_b = env["res.company"].create({"name": f"Clinic B {unique}"})
        user_b = make_user(
            env,
            f"Integration B {unique}",
            f"integration-b-{unique}",
            ["base.group_user", MANAGER],
            company=company_b,
        )
        key_b = make_key(env, user_b)
        demo_lobby_id = env["clinic.lobby"].search([("slug", "=", "smith-brown-inc")]).id
    b = client(key_b)
    pro_b = create_pro(b, f"Dr. Bee {unique}", f"bee-{unique}@example.com")
    assert pro_b["company_id"] == company_b.id
    lobby_b = b.post(
        "/lobbies",
        json={"name": f"B office {unique}", "slug": f"b-office-{unique}", "pro_ids": [pro_b["id"]]},
        expect=201,
    ).json()
    assert lobby_b["company_id"] == company_b.id
    meeting_b = b.post(
        f"/lobbies/{lobby_b['id']}/check-ins",
        json={"name": "Bea Patient", "birthdate": "1990-01-01"},
        expect=201,
    ).json()["meeting"]
    visit_b = b.post(
        "/visits", json={"pro_id": pro_b["id"], "name": "Bea Patient"}, expect=201
    ).json()
    # B's key: its own records only.
    assert [lobby["id"] for lobby in b.list_all("/lobbies")] == [lobby_b["id"]]
    assert [pro["id"] for pro in b.list_all("/pros")] == [pro_b["id"]]
    assert_json_error(b.get(f"/lobbies/{demo_lobby_id}"), 404, "not_found")
    assert_json_error(
        b.post(
            f"/lobbies/{demo_lobby_id}/check-ins",
            json={"name": "Bea Patient", "birthdate": "1990-01-01"},
        ),
        404,
    )
    assert b.get("/appointment-types", expect=200).json() == {"items": [], "count": 0}

    # A's key: none of B's.
    a = manager
    for path in (
        f"/lobbies/{lobby_b['id']}",
        f"/pros/{pro_b['id']}",
        f"/visits/{visit_b['id']}",
        f"/meetings/{meeting_b['id']}",
        f"/lobbies/{lobby_b['id']}/meetings",
    ):
        assert_json_error(a.get(path), 404, "not_found")
    assert_json_error(a.delete(f"/visits/{visit_b['id']}"), 404)
    assert_json_error(a.patch(f"/lobbies/{lobby_b['id']}", json={"name": "Taken"}), 404)
    assert_json_error(
        a.post(f"/meetings/{meeting_b['id']}/join", json={"pro_id": pro_b["id"]}), 404
    )
    assert lobby_b["id"] not in [lobby["id"] for lobby in a.list_all("/lobbies")]
    assert pro_b["id"] not in [pro["id"] for pro in a.list_all("/pros")]
    a_lobby = a.post(
        "/lobbies", json={"name": f"A office {unique}", "slug": f"a-office-{unique}"}, expect=201
    ).json()
    assert_json_error(a.put(f"/lobbies/{a_lobby['id']}/pros/{pro_b['id']}"), 404)
    second_lobby = {"name": f"A second office {unique}", "slug": f"a-second-{unique}"}
    assert_json_error(a.post("/lobbies", json={**second_lobby, "company_id": company_b.id}), 422)
    # B's records were left as they were.
    assert b.get(f"/visits/{visit_b['id']}", expect=200).json()["state"] == "open"
    assert b.get(f"/meetings/{meeting_b['id']}", expect=200).json()["state"] == "waiting"


def test_a_partner_key_is_refused_by_json2_and_xmlrpc(manager, commit_env, odoo_server):
    """A partner key reaches the partner API only: Odoo's JSON-2 answers 401
    and XML-RPC refuses it, while a key of Odoo's own RPC scope of the same
    user works there."""
    with commit_env() as env:
        user = env["res.users"].browse(manager.user_id)
        login = user.login
        rpc_key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "rpc", None)
    body = {"domain": [], "fields": ["name"], "limit": 1}
    json2 = f"{odoo_server}/json/2/res.partner/search_read"
    for key, status in ((manager.key, 401), (rpc_key, 200)):
        response = requests.post(
            json2,
            json=body,
            headers={"Authorization": f"bearer {key}", "X-Odoo-Database": db_name()},
            timeout=30,
        )
        assert response.status_code == status, (key == rpc_key, response.text[:300])

    common = xmlrpc.client.ServerProxy(f"{odoo_server}/xmlrpc/2/common")
    assert common.authenticate(db_name(), login, manager.key, {}) is False
    assert common.authenticate(db_name(), login, rpc_key, {}) == manager.user_id
    models = xmlrpc.client.ServerProxy(f"{odoo_server}/xmlrpc/2/object")
    with pytest.raises(xmlrpc.client.Fault):
        models.execute_kw(db_name(), manager.user_id, manager.key, "res.partner", "search", [[]])
    assert models.execute_kw(db_name(), manager.user_id, rpc_key, "res.users", "search", [[]])


# ------------------------------------------------------------
# ERRORS
# ------------------------------------------------------------


def raw(data, content_type=JSON_TYPE):
    """Keyword arguments of a request sending ``data`` as it is."""
    return {"data": data, "headers": {"Content-Type": content_type}}


def nested(levels, opening="[", closing="]", inner=""):
    return opening * levels + inner + closing * levels


BAD_REQUESTS = [
    # (what, method, path, request keyword arguments, status)
    ("unknown path", "GET", "/nothing-here", {}, 404),
    ("the API's root", "GET", "", {}, 404),
    ("unknown path, POST", "POST", "/lobbies/1/nothing", {"json": {}}, 404),
    ("id too large", "GET", "/lobbies/99999999999", {}, 404),
    ("id past int4", "GET", "/meetings/2147483648", {}, 404),
    ("id zero", "GET", "/visits/0", {}, 404),
    ("negative id", "GET", "/pros/-1", {}, 404),
    ("unknown id", "GET", "/appointments/2147483647", {}, 404),
    ("NUL in the path", "GET", "/lobbies/1%00", {}, 404),
    ("text body", "POST", "/lobbies", raw("x", "text/plain"), 415),
    ("form body", "POST", "/lobbies", {"data": {"name": "x", "slug": "y"}}, 415),
    ("no content type", "POST", "/lobbies", {"data": b'{"name": "x"}'}, 415),
    ("invalid JSON", "POST", "/lobbies", raw("{bad"), 400),
    ("invalid UTF-8", "POST", "/lobbies", raw(b'{"name": "\xff"}'), 400),
    ("lone surrogate", "POST", "/lobbies", raw('{"name": "a\\ud800b", "slug": "x"}'), 400),
    ("lone surrogate key", "POST", "/lobbies", raw('{"\\udfff": 1}'), 400),
    ("100,000 nested lists", "POST", "/lobbies", raw(nested(100_000)), 400),
    ("100,000 nested objects", "POST", "/lobbies", raw(nested(100_000, '{"a":', "}", "1")), 400),
    ("40 nested lists in a field", "POST", "/lobbies", raw(nested(40, '{"pro_ids":[', "]}")), 400),
    ("a 5,000-digit number", "POST", "/lobbies", raw('{"pro_ids": [' + "9" * 5000 + "]}"), 400),
    ("body too large", "POST", "/lobbies", raw('{"name": "' + "x" * 1_100_000 + '"}'), 413),
    ("a list body", "POST", "/lobbies", {"json": [1, 2]}, 422),
    ("a string body", "POST", "/lobbies", {"json": "lobby"}, 422),
    ("a null body", "POST", "/lobbies", raw("null"), 422),
    ("a number body", "POST", "/meetings/1/join", {"json": 5}, 422),
    ("unknown field", "POST", "/lobbies", {"json": {"name": "x", "slug": "y", "colour": 1}}, 422),
    ("missing fields", "POST", "/visits", {"json": {}}, 422),
    ("wrong types", "POST", "/visits", {"json": {"pro_id": "1", "name": 5}}, 422),
    ("NaN", "POST", "/meetings/1/join", raw('{"pro_id": NaN}'), 422),
    ("id past int4 in a body", "POST", "/meetings/1/join", {"json": {"pro_id": 2**40}}, 422),
    ("a boolean id", "POST", "/meetings/1/join", {"json": {"pro_id": True}}, 422),
    ("bad slug", "POST", "/lobbies", {"json": {"name": "x", "slug": "Not A Slug"}}, 422),
    ("bad query integer", "GET", "/lobbies", {"params": {"limit": "ten"}}, 422),
    ("query integer too large", "GET", "/lobbies", {"params": {"limit": "9" * 14}}, 422),
    ("NUL in a query", "GET", "/lobbies", {"params": {"active": "tr\x00ue"}}, 422),
    ("bad boolean", "GET", "/pros", {"params": {"active": "yes"}}, 422),
    (
        "bad webhook URL",
        "POST",
        "/webhooks",
        {"json": {"name": "x", "url": "javascript:alert(1)", "events": ["visit.killed"]}},
        422,
    ),
    (
        "unknown event",
        "POST",
        "/webhooks",
        {"json": {"name": "x", "url": "https://example.com/h", "events": ["visit.exploded"]}},
        422,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS],
)
def test_bad_requests_get_json_errors(manager, method, path, kwargs, status):
    """Whatever a client sends gets a JSON error, never HTML, never a 500;
    a 422 says which fields or parameters are wrong."""
    error = assert_json_error(manager.request(method, path, **kwargs), status)
    if status == 422:
        assert error["details"], error
        assert all(re.match(r"(body|query)\b", name) for name in error["details"]), error


def test_errors_explain_themselves(manager, unique, commit_env):
    """405 names the allowed methods; 422 points at the field; a taken slug
    is a 409; NUL bytes in text are dropped, not stored, not a 500."""
    response = manager.delete("/lobbies")
    assert_json_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    response = manager.request("PATCH", "/appointments")
    assert_json_error(response, 405)
    assert response.headers["Allow"] == "POST"

    error = assert_json_error(
        manager.post("/lobbies", json={"name": "x", "slug": f"s-{unique}", "colour": "red"}), 422
    )
    assert error["details"] == {"body.colour": "is not a known field"}
    error = assert_json_error(manager.post("/visits", json={"name": "x"}), 422)
    assert error["details"] == {"body.pro_id": "is required"}

    error = assert_json_error(
        manager.post("/lobbies", json={"name": "Copy", "slug": "smith-brown-inc"}), 409, "conflict"
    )
    assert error["details"] == {"body.slug": "is taken"}
    lobby = manager.post(
        "/lobbies", json={"name": f"Nul\x00 lobby {unique}", "slug": f"nul-{unique}"}, expect=201
    ).json()
    assert lobby["name"] == f"Nul lobby {unique}"
    error = assert_json_error(
        manager.patch(f"/lobbies/{lobby['id']}", json={"slug": "smith-brown-inc"}), 409
    )
    meeting = manager.post(
        f"/lobbies/{lobby['id']}/check-ins",
        json={"name": "Ann\x00 Lee", "birthdate": "1980-01-01"},
        expect=201,
    ).json()["meeting"]
    assert meeting["participants"][0]["name"] == "Ann Lee"
    error = assert_json_error(
        manager.post(
            f"/lobbies/{lobby['id']}/check-ins", json={"name": "\x00", "birthdate": "2999-01-01"}
        ),
        422,
    )
    assert set(error["details"]) == {"body.name", "body.birthdate"}
    assert_json_error(
        manager.post(f"/lobbies/{lobby['id']}/check-ins", json={"name": "x", "birthdate": "\x00"}),
        422,
    )
    with commit_env() as env:
        record = env["clinic.lobby"].browse(lobby["id"])
        assert record.name == f"Nul lobby {unique}"
        assert record.queue_count == 1  # the refused check-ins made nothing
    manager.delete(f"/lobbies/{lobby['id']}", expect=204)
    assert_json_error(
        manager.post(
            f"/lobbies/{lobby['id']}/check-ins", json={"name": "Ann Lee", "birthdate": "1980-01-01"}
        ),
        422,
    )


def test_a_request_retried_after_a_conflict_keeps_its_body(manager, unique):
    """A join that meets a concurrent update of its meeting is run again by
    Odoo (serialization failure): the retry reads the same JSON body."""
    pro = create_pro(manager, f"Dr. Retry {unique}", f"retry-{unique}@example.com")
    lobby = manager.post(
        "/lobbies",
        json={"name": f"Retry office {unique}", "slug": f"retry-{unique}", "pro_ids": [pro["id"]]},
        expect=201,
    ).json()
    meeting = manager.post(
        f"/lobbies/{lobby['id']}/check-ins",
        json={"name": "Rita Retry", "birthdate": "1970-03-03"},
        expect=201,
    ).json()["meeting"]
    answers = []
    registry = Registry(db_name())
    with registry.cursor() as cr:
        # Another transaction updates the meeting and holds its row...
        cr.execute("UPDATE clinic_meeting SET write_date = now() WHERE id = %s", [meeting["id"]])
        join = threading.Thread(
            target=lambda: answers.append(
                manager.post(f"/meetings/{meeting['id']}/join", json={"pro_id": pro["id"]})
            )
        )
        join.start()
        # ...until the join waits for it; then it commits: the join must start over.
        with registry.cursor() as watcher:
            for _attempt in range(100):
                watcher.execute(
                    """SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'
                          AND query ILIKE %s""",
                    ["%UPDATE clinic_meeting%"],
                )
                waiting = watcher.fetchone()[0]
                watcher.rollback()  # the next look takes a new snapshot of the activity
                if waiting:
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the join never waited for the meeting's row")
    join.join(timeout=60)
    assert answers, "the join did not answer"
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["state"] == "in_progress"
    manager.post(f"/meetings/{meeting['id']}/leave", json={"pro_id": pro["id"]}, expect=200)


# ------------------------------------------------------------
# RATE LIMIT
# ------------------------------------------------------------


def test_too_many_requests_get_429(manager, client, commit_env, unique):
    """With a limit of 5 a minute, a key's 6th request within the minute is
    refused with 429 and Retry-After; another key is not counted with it."""
    with commit_env() as env:
        user = env["res.users"].browse(manager.user_id)
        key = make_key(env, user)
        Param = env["ir.config_parameter"]
        previous = Param.get_param(RATE_PARAM)
        Param.set_param(RATE_PARAM, 5)
        registry = env.registry
    registry.signal_changes()  # the server process drops its cached parameters
    try:
        # Six requests within one minute of the clock (the counter's window).
        if datetime.now().second > 45:
            time.sleep(61 - datetime.now().second)
        limited = client(key)
        for _index in range(5):
            limited.get("/lobbies", expect=200)
        response = limited.get("/lobbies")
        error = assert_json_error(response, 429, "rate_limited")
        assert "5" in error["message"]
        assert re.fullmatch(r"\d+", response.headers["Retry-After"])
        assert 1 <= int(response.headers["Retry-After"]) <= 60
        # Every route of the key is refused now; another key has its own counter.
        assert_json_error(limited.post("/lobbies", json={}), 429)
        manager.get("/lobbies", expect=200)
    finally:
        with commit_env() as env:
            env["ir.config_parameter"].set_param(RATE_PARAM, previous or False)
            registry = env.registry
        registry.signal_changes()
    manager.get("/lobbies", expect=200)


# ------------------------------------------------------------
# THE OPENAPI DOCUMENT
# ------------------------------------------------------------


def api_routes():
    """The server's routes under /api/v1, as Odoo builds its routing map for
    the test database's installed modules: a werkzeug Map."""
    registry = Registry(db_name())
    with registry.cursor() as cr:
        env = odoo_api.Environment(cr, odoo_api.SUPERUSER_ID, {})
        converters = env["ir.http"]._get_converters()
    modules = sorted(registry._init_modules | set(odoo.tools.config["server_wide_modules"]))
    routing_map = werkzeug.routing.Map(strict_slashes=False, converters=converters)
    urls = []
    for url, endpoint in odoo_http._generate_routing_rules(modules, False, converters):
        if url == API or url.startswith(API + "/"):
            routing_map.add(
                werkzeug.routing.Rule(url, endpoint=url, methods=endpoint.routing["methods"])
            )
            urls.append(url)
    return routing_map, urls


def test_openapi_document_and_routes_agree(openapi, odoo_server):
    """The document is OpenAPI 3.1.0; every documented operation is served
    by its own route and method; every route under /api/v1 is documented."""
    assert openapi["openapi"] == "3.1.0"
    assert openapi["servers"] == [{"url": odoo_server}]
    routing_map, urls = api_routes()
    adapter = routing_map.bind("localhost")
    documented = {
        (template, method.upper()) for template, item in openapi["paths"].items() for method in item
    }
    assert len(documented) >= 30, documented

    # Every documented operation has its route (not the JSON 404 catch-all)...
    special = {f"{API}/openapi.json", f"{API}/docs", API, f"{API}/<path:subpath>"}
    for template, method in sorted(documented):
        concrete = re.sub(r"\{\w+\}", "7", template)
        route, _args = adapter.match(concrete, method=method)
        assert route not in special, (template, method, route)
        assert re.sub(r"<(?:int|string):(\w+)>", r"{\1}", route) == template
        # ...and the server answers that method there (no key: 401, not 405/404).
        response = requests.request(method, odoo_server + concrete, timeout=30)
        operation = openapi["paths"][template][method.lower()]
        expected = 200 if operation.get("security") == [] else 401
        assert response.status_code == expected, (template, method, response.text[:300])

    # Every route under /api/v1 is documented, with exactly its methods.
    methods = ("GET", "POST", "PUT", "PATCH", "DELETE")
    for url in sorted(set(urls) - special):
        template = re.sub(r"<(?:int|string):(\w+)>", r"{\1}", url)
        assert template in openapi["paths"], f"{url} is not documented"
        concrete = re.sub(r"\{\w+\}", "7", template)
        for method in methods:
            response = requests.request(method, odoo_server + concrete, timeout=30)
            if (template, method) in documented:
                assert response.status_code != 405, (template, method)
            else:
                assert_json_error(response, 405, "method_not_allowed")
                allowed = {m for t, m in documented if t == template}
                assert set(response.headers["Allow"].split(", ")) == allowed
    assert special <= set(urls)

    # Every operation documents its errors with the shared schema.
    for template, method in documented:
        operation = openapi["paths"][template][method.lower()]
        assert operation["operationId"] and operation["summary"]
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                schema = answer["content"][JSON_TYPE]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (template, status)


def test_openapi_page_renders_every_operation(openapi, odoo_server):
    """/api/v1/docs is an HTML page with every documented path and operation."""
    response = requests.get(f"{odoo_server}{API}/docs", timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.text
    assert openapi["info"]["title"] in page
    for template, item in openapi["paths"].items():
        assert f"<code>{template}</code>" in page, template
        for operation in item.values():
            assert f'id="{operation["operationId"]}"' in page, operation["operationId"]
    assert page.count('<section class="border-top') == sum(map(len, openapi["paths"].values()))
    body = json.dumps(openapi)
    assert "Traceback" not in page and "Traceback" not in body


def test_screenshot_of_the_api_reference(new_page, screenshot):
    """The README's picture of the readable reference at /api/v1/docs."""
    page = new_page("/api/v1/docs")
    expect(page.locator("h1")).to_have_text("Clinic Telehealth partner API")
    expect(page.locator("section#check_in")).to_contain_text("/api/v1/lobbies/{lobby_id}/check-ins")
    # The top of the page: the introduction and the first operations.
    page.evaluate("document.querySelectorAll('section:nth-of-type(n+4)').forEach(s => s.remove())")
    screenshot(page, "api-reference")
