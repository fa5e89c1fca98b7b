"""Webhooks of the partner API against a local receiver.

Events are queued as deliveries in the transaction that makes them and sent
by the cron job after the commit: here the job runs in this process
(``clinic.api.delivery._cron_deliver()``), the receiver is an HTTP server in
a thread of this process, and the events are made through the real server
process by the API, as a partner would.

Every process caches which webhooks listen; like Odoo around each request
and cron job, the transactions of this process first hear of the other
processes' cache invalidations and then signal their own (``odoo_job``).
"""

import contextlib
import hashlib
import hmac
import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

import odoo
from odoo import Command, api, fields
from odoo.modules.registry import Registry

ALL_EVENTS = [
    "meeting.checked_in",
    "meeting.started",
    "meeting.ended",
    "appointment.booked",
    "appointment.cancelled",
    "visit.created",
    "visit.killed",
]
PATIENT = {"name": "Ann Lee-Fuentes", "birthdate": "1980-05-04"}


class Receiver:
    """A partner's endpoint: records every request; answers 500 to the next
    ``fail_next`` ones, then 200."""

    def __init__(self):
        self.requests = []
        self.fail_next = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    failing = receiver.fail_next > 0
                    receiver.fail_next -= failing
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "answered": 500 if failing else 200,
                        }
                    )
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"oops" if failing else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def at(self, path):
        """The requests received at ``path``."""
        with self.lock:
            return [r for r in self.requests if r["path"] == path]


@pytest.fixture
def receiver():
    endpoint = Receiver()
    endpoint.thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def registry():
    return Registry(odoo.tools.config["db_name"][0]).check_signaling()


@pytest.fixture
def odoo_job(commit_env):
    """A committed transaction of this process, as Odoo runs a request or a
    cron job: it hears of the other processes' cache invalidations first, and
    signals its own after the commit."""

    @contextlib.contextmanager
    def job():
        current = registry()
        with commit_env() as env:
            yield env
        current.signal_changes()

    return job


@pytest.fixture
def rolled_back_env():
    """An environment whose work is rolled back at the end (never committed)."""

    @contextlib.contextmanager
    def env_context():
        current = registry()
        cr = current.cursor()
        try:
            yield api.Environment(cr, api.SUPERUSER_ID, {})
        finally:
            cr.rollback()
            cr.close()
            current.reset_changes()

    return env_context


def new_clinic(env, unique, company):
    """A pro, a lobby, an appointment type open every day, an integration
    user with a partner key, in ``company``."""
    users = env["res.users"].with_context(no_reset_password=True)

    def user(login, groups):
        return users.create(
            {
                "name": login,
                "login": login,
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [Command.set([env.ref(group).id for group in groups])],
            }
        )

    integration = user(
        f"hooks-{unique}-{company.id}", ["base.group_user", "clinic_meeting.group_clinic_manager"]
    )
    pro = env["clinic.pro"].create(
        {
            "name": "Dr Hook",
            "company_id": company.id,
            "user_id": user(f"dr-hook-{unique}-{company.id}@example.com", ["base.group_portal"]).id,
        }
    )
    lobby = env["clinic.lobby"].create(
        {
            "name": "Hooks",
            "slug": f"hooks-{unique}-{company.id}",
            "company_id": company.id,
            "pro_ids": [Command.set(pro.ids)],
        }
    )
    calendar = env["resource.calendar"].create(
        {
            "name": f"Hooks {unique}",
            "tz": "UTC",
            "company_id": company.id,
            "attendance_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "name": f"Day {day}",
                        "dayofweek": str(day),
                        "hour_from": 8,
                        "hour_to": 18,
                        "day_period": "full_day",
                    }
                )
                for day in range(7)
            ],
        }
    )
    appointment_type = env["clinic.appointment.type"].create(
        {
            "name": "Hooks",
            "slug": f"hooks-{unique}-{company.id}",
            "company_id": company.id,
            "resource_calendar_id": calendar.id,
            "pro_ids": [Command.set(pro.ids)],
        }
    )
    key = env["res.users.apikeys"]._clinic_api_generate(integration, "hooks", None)
    return {
        "unique": unique,
        "company": company.id,
        "pro": pro.id,
        "lobby": lobby.id,
        "type": appointment_type.id,
        "key": key,
    }


@pytest.fixture
def clinic(odoo_job, unique, odoo_server):
    """The main company's clinic of this test, and an API session with its
    partner key."""
    with odoo_job() as env:
        world = new_clinic(env, unique, env.ref("base.main_company"))
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {world['key']}"
    world["api"] = lambda method, path, **kw: session.request(
        method, f"{odoo_server}/api/v1{path}", timeout=30, **kw
    )
    return world


@pytest.fixture
def webhook(clinic, receiver, unique):
    """A webhook of the clinic for every event, registered by API, at
    ``/a-<unique>`` of the receiver; deleted by API after the test."""
    response = clinic["api"](
        "POST",
        "/webhooks",
        json={"name": f"Hooks {unique}", "url": f"{receiver.url}/a-{unique}", "events": ALL_EVENTS},
    )
    assert response.status_code == 201, response.text
    registered = response.json()
    assert registered["events"] == ALL_EVENTS
    hook = {"id": registered["id"], "secret": registered["secret"], "path": f"/a-{unique}"}
    yield hook
    if not hook.get("deleted"):
        assert clinic["api"]("DELETE", f"/webhooks/{registered['id']}").status_code == 204


def deliver(commit_env):
    """Run the delivery job once, as the cron would."""
    with commit_env() as env:
        return env["clinic.api.delivery"]._cron_deliver()


def deliveries(commit_env, webhook_id):
    with commit_env() as env:
        rows = env["clinic.api.delivery"].search([("webhook_id", "=", webhook_id)], order="id")
        return [
            {
                "id": d.id,
                "event": d.event,
                "event_id": d.event_id,
                "state": d.state,
                "attempt_count": d.attempt_count,
                "last_status_code": d.last_status_code,
                "next_attempt_at": d.next_attempt_at,
                "payload": json.loads(d.payload),
            }
            for d in rows
        ]


def check_in(clinic):
    response = clinic["api"]("POST", f"/lobbies/{clinic['lobby']}/check-ins", json=PATIENT)
    assert response.status_code == 201, response.text
    return response.json()["meeting"]["id"]


def verify(request, secret):
    """The event of a delivery, after checking its signature and event id."""
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert headers["content-type"] == "application/json"
    parts = dict(part.split("=", 1) for part in headers["x-clinic-signature"].split(","))
    assert parts["t"] == headers["x-clinic-timestamp"]
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected), "the signature verifies with the secret"
    event = json.loads(request["body"])
    assert headers["x-clinic-event-id"] == event["id"]
    assert headers["x-clinic-event"] == event["type"]
    assert set(event) == {"id", "type", "created_at", "data"}
    return event


def test_check_in_by_api_is_delivered_signed_without_patient_data(
    clinic, webhook, receiver, commit_env
):
    meeting_id = check_in(clinic)
    [queued] = deliveries(commit_env, webhook["id"])
    assert (queued["event"], queued["state"]) == ("meeting.checked_in", "pending")
    assert not receiver.at(webhook["path"]), "nothing is sent before the job runs"

    deliver(commit_env)

    [request] = receiver.at(webhook["path"])
    event = verify(request, webhook["secret"])
    assert event["id"] == queued["event_id"]
    assert event["type"] == "meeting.checked_in"
    meeting = event["data"]["meeting"]
    assert (meeting["id"], meeting["state"], meeting["lobby_id"]) == (
        meeting_id,
        "waiting",
        clinic["lobby"],
    )
    # Ids, states and times only: no health data, not even who the patient is.
    for secret in ("Ann", "Lee", "Fuentes", "1980-05-04", "birth", "name"):
        assert secret.encode() not in request["body"], secret
    [done] = deliveries(commit_env, webhook["id"])
    assert (done["state"], done["attempt_count"], done["last_status_code"]) == ("done", 1, 200)

    # Delivered once: running the job again sends nothing more.
    deliver(commit_env)
    assert len(receiver.at(webhook["path"])) == 1


def test_failed_delivery_is_retried_later_with_the_same_event_id(
    clinic, webhook, receiver, commit_env
):
    receiver.fail_next = 1
    check_in(clinic)
    before_attempt = fields.Datetime.now()
    deliver(commit_env)

    [failed] = receiver.at(webhook["path"])
    assert failed["answered"] == 500
    [pending] = deliveries(commit_env, webhook["id"])
    assert pending["state"] == "pending"
    assert (pending["attempt_count"], pending["last_status_code"]) == (1, 500)
    assert pending["next_attempt_at"] > fields.Datetime.now(), "in the future"
    assert pending["next_attempt_at"] > before_attempt + timedelta(seconds=30), "backs off"

    # Not due yet: the job leaves it.
    deliver(commit_env)
    assert len(receiver.at(webhook["path"])) == 1

    with commit_env() as env:
        env.cr.execute(
            "UPDATE clinic_api_delivery SET next_attempt_at = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(minutes=1), pending["id"]],
        )
    deliver(commit_env)

    first, second = receiver.at(webhook["path"])
    assert second["answered"] == 200
    assert verify(second, webhook["secret"])["id"] == verify(first, webhook["secret"])["id"]
    assert json.loads(second["body"]) == json.loads(first["body"]), "the same event again"
    assert second["headers"]["X-Clinic-Event-Id"] == pending["event_id"]
    [done] = deliveries(commit_env, webhook["id"])
    assert (done["state"], done["attempt_count"], done["last_status_code"]) == ("done", 2, 200)
    assert not done["next_attempt_at"]


def test_nothing_is_sent_for_a_rolled_back_transaction(
    clinic, webhook, receiver, commit_env, rolled_back_env
):
    with rolled_back_env() as env:
        lobby = env["clinic.lobby"].browse(clinic["lobby"])
        meeting, errors = lobby._check_in(PATIENT["name"], PATIENT["birthdate"])
        assert not errors
        appointment_type = env["clinic.appointment.type"].browse(clinic["type"])
        tomorrow = date.today() + timedelta(days=1)
        slot = next(s for s in appointment_type._get_slots(tomorrow) if s["state"] == "free")
        _appointment, errors = env["clinic.appointment"]._book(
            appointment_type, slot["start"], name="Bo Chen", email="bo@example.com"
        )
        assert not errors
        env.flush_all()
        # Queued in the transaction that made them...
        queued = env["clinic.api.delivery"].search([("webhook_id", "=", webhook["id"])])
        assert sorted(queued.mapped("event")) == ["appointment.booked", "meeting.checked_in"]
        meeting_id = meeting.id
    # ...and gone with it.
    assert deliveries(commit_env, webhook["id"]) == []
    deliver(commit_env)
    assert receiver.at(webhook["path"]) == []
    with commit_env() as env:
        assert not env["clinic.meeting"].browse(meeting_id).exists()


def test_every_event_is_delivered_with_its_type(clinic, webhook, receiver, commit_env):
    api_call = clinic["api"]

    # A walk-in: checked in, started when the pro joins, ended when they leave.
    meeting_id = check_in(clinic)
    joined = api_call("POST", f"/meetings/{meeting_id}/join", json={"pro_id": clinic["pro"]})
    assert joined.status_code == 200, joined.text
    left = api_call("POST", f"/meetings/{meeting_id}/leave", json={"pro_id": clinic["pro"]})
    assert left.status_code == 200, left.text
    assert left.json()["state"] == "done"

    # An appointment: booked, then cancelled.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    slots = api_call("GET", f"/appointment-types/{clinic['type']}/slots", params={"from": tomorrow})
    assert slots.status_code == 200, slots.text
    start = slots.json()["slots"][0]["start"]
    booked = api_call(
        "POST",
        "/appointments",
        json={
            "type_id": clinic["type"],
            "start": start,
            "name": "Bo Chen",
            "email": "bo@example.com",
        },
    )
    assert booked.status_code == 201, booked.text
    appointment_id = booked.json()["id"]
    cancelled = api_call("POST", f"/appointments/{appointment_id}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text

    # A one-to-one visit: created, then destroyed.
    visit = api_call("POST", "/visits", json={"pro_id": clinic["pro"], "name": "Cy Dorr"})
    assert visit.status_code == 201, visit.text
    visit_id = visit.json()["id"]
    killed = api_call("DELETE", f"/visits/{visit_id}")
    assert killed.status_code == 200, killed.text

    deliver(commit_env)

    events = [verify(request, webhook["secret"]) for request in receiver.at(webhook["path"])]
    received = sorted((event["type"], next(iter(event["data"].values()))["id"]) for event in events)
    assert received == sorted(
        [
            ("meeting.checked_in", meeting_id),
            ("meeting.started", meeting_id),
            ("meeting.ended", meeting_id),
            ("appointment.booked", appointment_id),
            ("appointment.cancelled", appointment_id),
            ("visit.created", visit_id),
            ("visit.killed", visit_id),
        ]
    )
    by_type = {event["type"]: event["data"] for event in events}
    assert by_type["meeting.started"]["meeting"]["state"] == "in_progress"
    assert by_type["meeting.ended"]["meeting"]["state"] == "done"
    assert by_type["appointment.cancelled"]["appointment"]["state"] == "cancelled"
    assert by_type["appointment.booked"]["appointment"]["start"] == start
    assert by_type["visit.killed"]["visit"]["id"] == visit_id
    assert len({event["id"] for event in events}) == len(events), "one event id per event"
    assert all(d["state"] == "done" for d in deliveries(commit_env, webhook["id"]))


def test_a_webhook_hears_only_its_own_company(clinic, webhook, receiver, commit_env, odoo_job):
    unique = clinic["unique"]
    with odoo_job() as env:
        company_b = env["res.company"].create({"name": f"Other clinic {unique}"})
        clinic_b = new_clinic(env, unique, company_b)
        webhook_b = env["clinic.api.webhook"].create(
            {
                "name": f"Other {unique}",
                "url": f"{receiver.url}/b-{unique}",
                "events": ",".join(ALL_EVENTS),
                "company_id": company_b.id,
            }
        )
        webhook_b_id, secret_b = webhook_b.id, webhook_b.secret
    try:
        meeting_a = check_in(clinic)
        with odoo_job() as env:
            lobby_b = env["clinic.lobby"].browse(clinic_b["lobby"])
            meeting_b = lobby_b._check_in("Bo Chen", "1990-01-02")[0].id

        deliver(commit_env)

        [to_a] = receiver.at(webhook["path"])
        [to_b] = receiver.at(f"/b-{unique}")
        assert verify(to_a, webhook["secret"])["data"]["meeting"]["id"] == meeting_a
        assert verify(to_b, secret_b)["data"]["meeting"]["id"] == meeting_b
        assert [d["payload"]["meeting"]["id"] for d in deliveries(commit_env, webhook["id"])] == [
            meeting_a
        ]
        assert [d["payload"]["meeting"]["id"] for d in deliveries(commit_env, webhook_b_id)] == [
            meeting_b
        ]
    finally:
        with odoo_job() as env:
            env["clinic.api.webhook"].browse(webhook_b_id).unlink()


def test_a_webhook_deleted_elsewhere_does_not_break_check_ins(
    clinic, webhook, receiver, commit_env
):
    """The server caches which webhooks listen; another process deletes one
    and has not signaled it yet (it does after its request): a check-in still
    works, and nothing is queued for the deleted webhook."""
    check_in(clinic)  # the server now has the webhook in its cache
    with commit_env() as env:  # a transaction that does not signal its changes
        env["clinic.api.webhook"].browse(webhook["id"]).unlink()
    try:
        check_in(clinic)
    finally:
        # As the deleting process would have done after its transaction.
        registry().signal_changes()
    deliver(commit_env)
    assert len(receiver.at(webhook["path"])) == 0, "its deliveries went with it"
    webhook["deleted"] = True
