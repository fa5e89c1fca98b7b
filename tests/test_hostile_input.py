"""Hostile input on every public and portal route of appointments, visits,
therapy, vets and insight: a NUL byte, non-ASCII, a file where a field is
expected, a missing or non-ASCII CSRF token, a huge body, wrong JSON types.
Each gets a 4xx page or a JSON error, never a server error. Through the real
server process, with ``requests`` (no browser needed).
"""

import json
import re
from urllib.parse import quote

import pytest
import requests

NUL, NON_ASCII, HUGE = "a\x00b", "é€😀", "x" * 200_000
WRONG_TYPES = [None, 1, [], {}, NUL, HUGE, NON_ASCII, True, -1, 10**20, {"a": [1]}, ["x"]]
SERVER_ERRORS = ("TypeError", "ValueError", "AttributeError", "KeyError", "IndexError",
                 "psycopg2", "AssertionError", "UnicodeEncodeError")  # fmt: skip


def assert_no_server_error(response, what):
    assert response.status_code < 500, f"{what}: HTTP {response.status_code}"
    if response.headers.get("Content-Type", "").startswith("application/json"):
        error = json.dumps(response.json().get("error", {}))
        assert not any(name in error for name in SERVER_ERRORS), f"{what}: {error[:300]}"


def jsonrpc(session, base, url, params):
    return session.post(
        base + url,
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
        headers={"Content-Type": "application/json"},
    )


def logged_in(base, login):
    session = requests.Session()
    page = session.get(f"{base}/web/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    session.post(f"{base}/web/login", data={"login": login, "password": login, "csrf_token": csrf})
    return session


def form_csrf(session, url):
    return re.search(r'name="csrf_token" value="([^"]+)"', session.get(url).text)[1]


@pytest.mark.parametrize(
    "path",
    [
        "/appointment/video-consultation?date={v}",
        "/appointment/video-consultation/book?start={v}",
        "/appointment/visit/{v}",
        "/appointment/visit/{v}/cancel",
        "/appointment/visit/{v}/appointment.ics",
        "/vets?q={v}",
        "/vets?lat={v}&lon={v}",
        "/vets/dr-kim-gangnam?week={v}",
        "/vets/dr-kim-gangnam/reserve?start={v}",
        "/vets/{v}",
        "/lobby/{v}",
    ],
)
def test_public_pages_with_hostile_parameters(odoo_server, path):
    session = requests.Session()
    values = [NON_ASCII, "x" * 5000, "2026-02-30", "%", "'", "9999-99-99T99:99Z"]
    if "?" in path:
        # In a path, a NUL byte never reaches our routes: Odoo's own fallback
        # for unmatched URLs answers it with a 500, whatever the path.
        values.append("\x00")
    for value in values:
        url = path.format(v=quote(value))
        assert_no_server_error(session.get(odoo_server + url), url)


def test_public_forms_with_hostile_bodies(odoo_server):
    session = requests.Session()
    base = odoo_server
    day = session.get(f"{base}/appointment/video-consultation?date=2026-12-31").text
    start = (re.findall(r"start=([0-9T:Z-]+)", day) or ["2026-12-07T09:00Z"])[0]
    forms = [
        (
            "/appointment/video-consultation/book",
            {"start": start, "name": "Ann", "email": "ann@example.com", "comment": "Hi"},
            f"{base}/appointment/video-consultation/book?start={start}",
        ),
        (
            "/lobby/smith-brown-inc/check-in",
            {"name": "Ann", "birthdate": "1980-01-01"},
            f"{base}/lobby/smith-brown-inc",
        ),
    ]
    for path, fields, form_url in forms:
        for csrf in (None, NON_ASCII, "\x00", "x" * 100_000):
            data = dict(fields) if csrf is None else {**fields, "csrf_token": csrf}
            assert_no_server_error(
                session.post(base + path, data=data), f"{path} csrf={csrf!r:.10}"
            )
        csrf = form_csrf(session, form_url)
        for name in fields:
            for bad in (NUL, NON_ASCII * 50, "x" * 2_000_000):
                data = {**fields, name: bad, "csrf_token": csrf}
                assert_no_server_error(session.post(base + path, data=data), f"{path} {name}")
        files = {"name": ("x.bin", b"\x00\x01" * 10, "application/octet-stream")}
        assert_no_server_error(
            session.post(base + path, data={**fields, "csrf_token": csrf}, files=files),
            f"{path} file in a field",
        )


@pytest.mark.parametrize(
    ("login", "url", "keys"),
    [
        ("smith", "/my/clinic/appointments", ["day"]),
        ("smith", "/my/clinic/appointment/1/start", ["day"]),
        ("smith", "/my/clinic/appointment/1/cancel", ["day", "reason"]),
        ("smith", "/my/clinic/visits", []),
        (
            "smith",
            "/my/clinic/visit/create",
            ["name", "phone", "email", "companion_name", "end_date"],
        ),
        ("smith", "/my/clinic/visit/1/send", ["participant_id", "channel"]),
        ("smith", "/my/clinic/visit/1/request/1/decide", ["accept"]),
        ("smith", "/my/clinic/visit/1/kill", []),
        ("vet_kim", "/my/clinic/vet", []),
        ("vet_kim", "/my/clinic/vet/room", ["open"]),
        ("brown", "/my/therapy/1/get_actions", ["last_action_id"]),
        ("brown", "/my/therapy/1/save_actions", ["payloads"]),
        ("brown", "/my/therapy/1/consent", ["consented"]),
        ("smith", "/clinic/insight/board", []),
        (None, "/appointment/visit/abc/status", []),
        (None, "/clinic/meeting/1/call/join", []),
        (None, "/clinic/meeting/1/call/ping", ["session_id"]),
    ],
)
def test_json_calls_with_wrong_types(odoo_server, login, url, keys):
    session = logged_in(odoo_server, login) if login else requests.Session()
    for value in WRONG_TYPES:
        response = jsonrpc(session, odoo_server, url, dict.fromkeys(keys, value))
        assert_no_server_error(response, f"{url} {value!r:.20}")


def test_therapy_payloads_with_nul_bytes(odoo_server, commit_env, unique):
    """A message, a whiteboard and keystrokes carrying NUL bytes are stored
    without them (PostgreSQL refuses NUL in text and jsonb)."""
    with commit_env() as env:
        brown = env["clinic.pro"].search([("user_id.login", "=", "brown")])
        session_id = (
            env["clinic.therapy.session"]
            .create(
                {
                    "name": f"Hostile {unique}",
                    "start": "2026-11-30 00:00:00",
                    "therapist_ids": [(6, 0, brown.ids)],
                }
            )
            .id
        )
    session = logged_in(odoo_server, "brown")
    payloads = [
        {"type": "message", "client_id": f"m-{unique}", "body": NUL, "character_history": [NUL]},
        {"type": "whiteboard", "client_id": f"w-{unique}", "data": {NUL: [NUL]}},
    ]
    response = jsonrpc(
        session, odoo_server, f"/my/therapy/{session_id}/save_actions", {"payloads": payloads}
    )
    assert_no_server_error(response, "save_actions with NUL")
    assert response.json()["result"]["result"] == "ok"
    with commit_env() as env:
        bodies = (
            env["clinic.therapy.action"].search([("session_id", "=", session_id)]).mapped("body")
        )
        assert "ab" in bodies


def test_visit_and_vet_forms_with_nul_bytes(odoo_server):
    smith = logged_in(odoo_server, "smith")
    for field in ("name", "email", "phone", "companion_name", "end_date"):
        values = {"name": "Ann Roe", field: NUL}
        assert_no_server_error(
            jsonrpc(smith, odoo_server, "/my/clinic/visit/create", values), field
        )
    owner = logged_in(odoo_server, "vet_lee")  # any logged-in user may reserve
    page = owner.get(f"{odoo_server}/vets/dr-kim-gangnam?week=2026-12-31").text
    start = (re.findall(r"start=([0-9T:Z-]+)", page) or ["2026-12-07T01:00Z"])[-1]
    csrf = form_csrf(owner, f"{odoo_server}/vets/dr-kim-gangnam/reserve?start={start}")
    data = {
        "start": start,
        "csrf_token": csrf,
        "pet_name": NUL,
        "pet_species": "dog",
        "pet_problem": NUL,
    }
    response = owner.post(f"{odoo_server}/vets/dr-kim-gangnam/reserve", data=data)
    assert_no_server_error(response, "vet reservation with NUL")
    response = owner.post(
        f"{odoo_server}/vets/dr-kim-gangnam/reserve",
        data={"start": start, "csrf_token": csrf, "pet_species": "dog"},
        files={"pet_name": ("a.txt", b"Rex", "text/plain")},
    )
    assert_no_server_error(response, "a file as the pet's name")
