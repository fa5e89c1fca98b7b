"""How long a group therapy chat message takes to reach every participant.

Against a running server (``--base-url``, on this machine only) where
``clinic_therapy`` is installed. As the administrator (the login form, then
``/web/dataset/call_kw``, as the web client calls the models), it makes
``--participants`` - 1 portal users whose partners are clinic patients, one
portal user who is a pro (the therapist), all with passwords, and one
``clinic.therapy.session`` with them all (starting now, 60 minutes). Then each
of them logs in over HTTP (``/web/session/authenticate``, a ``requests``
session each) and opens the session's page as far as the chat goes: a
websocket to the bus (``/websocket``, subscribed as Odoo's bus worker does,
which gives the partner's channel) and a ``get_actions`` from 0. Each
participant has three threads, as the page has three actors:

- the websocket: notes when each ``clinic.therapy/actions`` notification of
  the session came (``time.perf_counter``);
- the page's reading: ``get_actions`` from its last id whenever notified
  (one call at a time; notifications during a call make one more), noting
  when each action first came back;
- the page's queue: ``save_actions`` of what the page queued (one call at a
  time), then a ``get_actions``.

Then ``--rounds`` rounds, after ``--warmup`` rounds not counted (the first
also proves that every websocket is subscribed): a participant (each in turn,
the therapist too) queues a message on their page. For each participant, the
sender included, it measures from that moment:

- ``notification``: until their websocket got the notification of the new
  action (``max_id`` at least the message's id);
- ``delivered``: until their page's ``get_actions`` returned the message, and
  the notification came.

It prints each round (the sender's save, the first and last notification,
the last participant to have the message), then the median, 95th percentile
and maximum of: the sender's save; the notifications and deliveries of every
participant of every round; each round's last delivery ("every participant
has it") and its spread of notifications; each kind of call as the pages
timed it; and the errors the pages got, the load average of the machine,
and PASS or FAIL against the goal: the 95th percentile of a round's last
delivery at most ``--goal`` seconds (1.0), none missing after ``--timeout``.
The exit status is 0 either way unless ``--strict``.

``--read-receipts`` makes the pages do what the real page also does: mark the
others' messages as read (a ``message_read`` action each, saved through the
page's queue, which notifies everyone again). One message then makes 29 more
saves, each followed by 30 notifications and their ``get_actions``.

    . bin/_lib.sh && find_odoo && prepare_venv "requirements.txt requirements-test.txt" \\
        && start_postgres && write_odoo_conf .data/clinic_bench_t.conf clinic_bench_t
    .data/venv/bin/python -m odoo server -c .data/clinic_bench_t.conf -d clinic_bench_t \\
        -i clinic_therapy --stop-after-init --log-level=warn     # once (or a copy of a database)
    .data/venv/bin/python -m odoo server -c .data/clinic_bench_t.conf -d clinic_bench_t \\
        --http-port=8075 --workers=0 --max-cron-threads=0 --log-level=warn &
    .data/venv/bin/python bench/therapy_delivery.py --base-url http://127.0.0.1:8075

The threaded server (``--workers=0``) serves the websockets itself; with
workers, they are on the gevent port (``--ws-url ws://127.0.0.1:8072``).
The administrator is admin/admin (``--admin-login``, ``--admin-password``);
the database is the server's only one, else ``--db``. Everything it made is
deleted at the end (users and partners that cannot be are archived); the bus
notifications stay until the bus's own clean-up (a day).
"""

import argparse
import ipaddress
import json
import os
import re
import secrets
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
import websocket

LOOPBACK_NAMES = {"localhost"}
BUS_VERSION = "19.0-2"  # WebsocketConnectionHandler._VERSION of Odoo 19
NOTIFICATION = "clinic.therapy/actions"
HTTP_TIMEOUT = 30
BATCH_MAX = 200  # as the page
PAGE_TICK = 5  # seconds: the page sends its queue again (POLL_INTERVAL)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def check_loopback(url):
    host = urlsplit(url).hostname or ""
    if host in LOOPBACK_NAMES:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"{url}: this benchmark only runs against a server on this machine (127.0.0.1)")


# ----------------------------------------------------------------------
# Setup and clean-up, as the administrator
# ----------------------------------------------------------------------


class RpcError(Exception):
    """An error answered by the server."""


class Admin:
    """The administrator's calls, as the web client makes them
    (``/web/dataset/call_kw``) after logging in with the login form."""

    CONTEXT = {
        "no_reset_password": True,
        "tracking_disable": True,
        "mail_create_nolog": True,
        "mail_create_nosubscribe": True,
        "mail_notrack": True,
    }

    def __init__(self, base_url, db, login, password):
        self.base_url = base_url
        self.http = requests.Session()
        # ?db= picks the database; without it, the server's only one
        page = self.http.get(
            f"{base_url}/web/login", params={"db": db} if db else None, timeout=HTTP_TIMEOUT
        )
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not csrf:
            sys.exit(f"{base_url}/web/login: no login form (several databases? use --db)")
        response = self.http.post(
            f"{base_url}/web/login",
            data={"login": login, "password": password, "csrf_token": csrf[1]},
            allow_redirects=False,
            timeout=HTTP_TIMEOUT,
        )
        if response.status_code not in (301, 302, 303):
            sys.exit(f"{login} cannot log in: see --admin-login and --admin-password")
        self.db = self.rpc("/web/session/get_session_info", {})["db"]

    def rpc(self, path, params):
        body = {"jsonrpc": "2.0", "method": "call", "params": params}
        response = self.http.post(f"{self.base_url}{path}", json=body, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
        if "error" in data:
            raise RpcError(data["error"].get("data", {}).get("message") or str(data["error"]))
        return data["result"]

    def __call__(self, model, method, *args, **kwargs):
        kwargs.setdefault("context", self.CONTEXT)
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def close(self):
        self.http.close()


def make_data(admin, options, token, password, made):
    """The users, the pro and the session, noted in ``made`` as they are
    made (for the clean-up); returns the participants as
    ``[(login, role)]``, the therapist first."""
    portal = admin(
        "ir.model.data",
        "search_read",
        [("module", "=", "base"), ("name", "=", "group_portal")],
        fields=["res_id"],
    )[0]["res_id"]
    count = options.participants
    values = [
        {
            "name": f"Bench Therapy {'Therapist' if number == 0 else 'Patient'} {number:02d}",
            "login": f"bench.therapy.{token}.{number:02d}",
            "password": password,
            "group_ids": [(6, 0, [portal])],
            # the patients' partners are clinic patients (sessions take only them)
            "is_clinic_patient": number > 0,
        }
        for number in range(count)
    ]
    made["users"] = admin("res.users", "create", values)
    users = admin("res.users", "read", made["users"], fields=["login", "partner_id"])
    made["partners"] = [user["partner_id"][0] for user in users]
    made["pros"] = [
        admin("clinic.pro", "create", {"name": values[0]["name"], "user_id": made["users"][0]})
    ]
    start = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    made["sessions"] = [
        admin(
            "clinic.therapy.session",
            "create",
            {
                "name": f"Bench delivery {token}",
                "start": start,
                "duration": 60,
                "therapist_ids": [(6, 0, made["pros"])],
                "patient_ids": [(6, 0, made["partners"][1:])],
            },
        )
    ]
    participants = [
        (user["login"], "therapist" if index == 0 else "patient")
        for index, user in enumerate(users)
    ]
    return participants


def clean_up(admin, made):
    """Delete what ``make_data`` made (the session takes its actions with
    it); archive the users and partners that cannot be deleted."""
    left = []
    for model, key in (
        ("clinic.therapy.session", "sessions"),
        ("clinic.pro", "pros"),
        ("res.users", "users"),
        ("res.partner", "partners"),
    ):
        ids = admin(model, "search", [("id", "in", made[key])], context={"active_test": False})
        if not ids:
            continue
        try:
            admin(model, "unlink", ids)
        except RpcError as error:
            if model not in ("res.users", "res.partner"):
                left.append(f"{len(ids)} {model} ({error})")
                continue
            admin(model, "write", ids, {"active": False})
            left.append(f"{len(ids)} {model} archived")
    return left


# ----------------------------------------------------------------------
# A participant: their websocket and their page
# ----------------------------------------------------------------------


class Participant:
    def __init__(self, bench, index, login, role):
        self.bench, self.index, self.login, self.role = bench, index, login, role
        self.label = f"{role} {index:02d}"
        self.http = requests.Session()
        self.http_writer = None  # the same cookie: the page's writes go on their own
        self.partner_id = None
        self.ws = None
        self.cursor = 0
        self.dirty = False  # notified since the last get_actions
        self.outbox = []  # payloads to save, in order
        self.saved = {}  # client_id: (time its save_actions returned, action id)
        self.wake = threading.Condition()
        self.notified = []  # (time, max_id)
        self.fetched = {}  # action id: time its get_actions returned it
        self.errors = []  # (path, message)
        self.calls = []  # (path, started, seconds) of each call
        self.threads = []

    # --- HTTP ---

    def call(self, path, params, session=None):
        url = f"{self.bench.base_url}/my/therapy/{self.bench.session_id}/{path}"
        body = {"jsonrpc": "2.0", "method": "call", "params": params}
        started = time.perf_counter()
        try:
            response = (session or self.http).post(url, json=body, timeout=HTTP_TIMEOUT)
            response.raise_for_status()
            data = response.json()
            if "error" in data:
                raise RuntimeError(data["error"].get("data", {}).get("message") or data["error"])
            result = data["result"]
            if result.get("result") != "ok":
                raise RuntimeError(result.get("error"))
        except (requests.RequestException, RuntimeError, ValueError) as error:
            message = " ".join(str(error).split())[:120]
            self.errors.append((path, f"{type(error).__name__}: {message}"))
            raise
        self.calls.append((path, started, time.perf_counter() - started))
        return result

    def log_in(self, db, password):
        url = f"{self.bench.base_url}/web/session/authenticate"
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"db": db, "login": self.login, "password": password},
        }
        response = self.http.post(url, json=body, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        data = response.json()
        if "error" in data:
            raise RuntimeError(f"{self.login} cannot log in: {data['error']['data']['message']}")
        self.partner_id = data["result"]["partner_id"]
        self.http_writer = requests.Session()
        self.http_writer.cookies.update(self.http.cookies)

    def log_out(self):
        try:
            self.http.post(
                f"{self.bench.base_url}/web/session/destroy",
                json={"jsonrpc": "2.0", "method": "call", "params": {}},
                timeout=HTTP_TIMEOUT,
            )
        except requests.RequestException:
            pass
        self.http.close()
        if self.http_writer:
            self.http_writer.close()

    # --- the websocket ---

    def connect(self):
        url = f"{self.bench.ws_url}/websocket?version={self.bench.bus_version}"
        try:
            self.ws = websocket.create_connection(
                url, cookie=f"session_id={self.http.cookies['session_id']}", timeout=HTTP_TIMEOUT
            )
        except (websocket.WebSocketException, OSError) as error:
            # with workers, the websocket is on the gevent port
            raise SystemExit(f"{url}: {error} (with workers, see --ws-url)") from error
        self.ws.settimeout(None)
        self.ws.send(json.dumps({"event_name": "subscribe", "data": {"channels": [], "last": 0}}))
        # the page reads the log once when it opens
        self.cursor = self.call("get_actions", {"last_action_id": 0})["max_id"]
        for target in (self.read, self.page, self.write):
            thread = threading.Thread(target=target, name=f"{self.label} {target.__name__}")
            thread.daemon = True
            thread.start()
            self.threads.append(thread)

    def read(self):
        """Note when each notification of the session comes."""
        while not self.bench.stopping.is_set():
            try:
                frame = self.ws.recv()
            except (websocket.WebSocketException, OSError):
                break
            received = time.perf_counter()
            if not frame:
                continue
            for notification in json.loads(frame):
                message = notification.get("message", {})
                payload = message.get("payload") or {}
                if message.get("type") != NOTIFICATION:
                    continue
                if payload.get("session_id") != self.bench.session_id:
                    continue
                with self.wake:
                    self.notified.append((received, payload["max_id"]))
                    self.dirty = True
                    self.wake.notify_all()

    def poke(self):
        with self.wake:
            self.dirty = True
            self.wake.notify_all()

    def page(self):
        """``get_actions`` whenever notified, one call at a time."""
        while True:
            with self.wake:
                while not self.dirty and not self.bench.stopping.is_set():
                    self.wake.wait()
                if self.bench.stopping.is_set():
                    return
                self.dirty = False
            try:
                self.fetch()
            except (requests.RequestException, RuntimeError, ValueError):
                pass  # noted; as the page, ask again when notified again

    def fetch(self):
        while True:
            data = self.call("get_actions", {"last_action_id": self.cursor})
            returned = time.perf_counter()
            fresh = [action for action in data["actions"] if action["id"] not in self.fetched]
            with self.bench.delivered:
                for action in fresh:
                    self.fetched[action["id"]] = returned
                self.bench.delivered.notify_all()
            self.cursor = max(self.cursor, data["max_id"])
            if self.bench.read_receipts:
                self.mark_read(fresh)
            if len(data["actions"]) < 500:
                return

    def mark_read(self, actions):
        """As the page: a read mark for each message of someone else."""
        self.enqueue(
            {"type": "message_read", "target": action["id"], "client_id": secrets.token_hex(8)}
            for action in actions
            if action["type"] == "message" and action["user"] != self.partner_id
        )

    def enqueue(self, payloads):
        with self.wake:
            self.outbox.extend(payloads)
            self.wake.notify_all()

    def write(self):
        """As the page's queue: ``save_actions`` of what is queued, one
        call at a time, then ``get_actions``; after an error, the same
        batch again at the page's next tick."""
        while True:
            with self.wake:
                while not self.outbox and not self.bench.stopping.is_set():
                    self.wake.wait()
                if self.bench.stopping.is_set():
                    return
                batch = self.outbox[:BATCH_MAX]
            try:
                ids = self.call("save_actions", {"payloads": batch}, self.http_writer)["ids"]
            except (requests.RequestException, RuntimeError, ValueError):
                self.bench.stopping.wait(PAGE_TICK)
                continue
            returned = time.perf_counter()
            with self.wake:
                del self.outbox[: len(batch)]
            with self.bench.delivered:
                for payload, action_id in zip(batch, ids, strict=True):
                    self.saved[payload["client_id"]] = (returned, action_id)
                self.bench.delivered.notify_all()
            self.poke()

    def close(self):
        if self.ws:
            try:
                self.ws.send_close()
            except (websocket.WebSocketException, OSError):
                pass
        self.poke()
        for thread in self.threads:
            thread.join(timeout=5)
        if self.ws:
            self.ws.shutdown()

    # --- what it saw ---

    def delays(self, action_id, started):
        """(notification, delivered) seconds after ``started``, or None."""
        with self.wake:
            notified = [t for t, max_id in self.notified if max_id >= action_id and t >= started]
        notification = min(notified) - started if notified else None
        fetched = self.fetched.get(action_id)
        delivered = None
        if fetched is not None and notification is not None:
            delivered = max(fetched - started, notification)
        return notification, delivered


class Bench:
    def __init__(self, options):
        self.base_url = options.base_url.rstrip("/")
        self.ws_url = (options.ws_url or self.base_url.replace("http", "ws", 1)).rstrip("/")
        self.bus_version = options.bus_version
        self.read_receipts = options.read_receipts
        self.session_id = None
        self.stopping = threading.Event()
        self.delivered = threading.Condition()
        self.participants = []

    def send(self, sender, number, timeout):
        """One round: ``sender``'s page sends a message; returns the time of
        its save and each participant's (notification, delivered), or
        ``None, None`` when the save failed."""
        client_id = f"bench-{number}-{secrets.token_hex(4)}"
        payload = {
            "type": "message",
            "client_id": client_id,
            "body": f"Bench message {number} from {sender.label}",
        }
        deadline = time.monotonic() + timeout
        started = time.perf_counter()
        sender.enqueue([payload])
        with self.delivered:
            while client_id not in sender.saved and time.monotonic() < deadline:
                self.delivered.wait(0.05)
        returned, action_id = sender.saved.get(client_id, (None, None))
        if action_id is None:
            return None, None
        with self.delivered:
            while not all(p.delays(action_id, started)[1] is not None for p in self.participants):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.delivered.wait(min(left, 0.05))
        return returned - started, [p.delays(action_id, started) for p in self.participants]


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8069")
    parser.add_argument("--ws-url", help="the websocket's server (the gevent port with workers)")
    parser.add_argument("--db", help="the database (default: the server's only one)")
    parser.add_argument("--admin-login", default="admin")
    parser.add_argument("--admin-password", default="admin")
    parser.add_argument("--participants", type=int, default=30, help="the therapist included")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="rounds not counted")
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between rounds")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for a round")
    parser.add_argument("--goal", type=float, default=1.0, help="seconds, p95 of a round's worst")
    parser.add_argument("--read-receipts", action="store_true", help="pages mark messages read")
    parser.add_argument("--bus-version", default=BUS_VERSION)
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    options = parser.parse_args()
    check_loopback(options.base_url)
    if options.ws_url:
        check_loopback(options.ws_url)
    if not 2 <= options.participants <= 100:
        parser.error("--participants: from 2 to 100")
    if options.rounds < 1 or options.warmup < 1:
        parser.error("--rounds and --warmup: at least 1")
    return options


class Results:
    """What the counted rounds measured, in seconds."""

    def __init__(self):
        self.saves = []  # the sender's save_actions, from the click
        self.notifications = []  # every participant's
        self.deliveries = []  # every participant's
        self.worst = []  # each round's last participant to have the message
        self.spread = []  # each round's first to last notification
        self.missing = 0  # participants that did not have it within --timeout
        self.started = None  # when the counted rounds began (perf_counter)


def run_rounds(bench, options):
    results = Results()
    participants = bench.participants
    for number in range(options.warmup + options.rounds):
        counted = number >= options.warmup
        if number == options.warmup:
            results.started = time.perf_counter()
        sender = participants[number % len(participants)]
        timeout = max(options.timeout, 30.0) if number == 0 else options.timeout
        saved, delays = bench.send(sender, number, timeout)
        label = f"round {number - options.warmup + 1:3d}" if counted else "warm-up  "
        if saved is None:
            if number == 0:
                sys.exit(f"the first message was not saved: {sender.errors[-1:]}")
            print(f"{label}: {sender.label:12s} NOT SAVED within {timeout:g} s")
            if counted:
                results.worst.append(float("inf"))
                results.missing += len(participants)
            continue
        late = [p.label for p, (_n, d) in zip(participants, delays, strict=True) if d is None]
        if number == 0 and late:
            sys.exit(f"the first message did not reach {', '.join(late)}: are the websockets up?")
        notified = [n for n, _d in delays if n is not None] or [float("inf")]
        delivered = [d for _n, d in delays if d is not None]
        worst = max(delivered) if not late else float("inf")
        print(
            f"{label}: {sender.label:12s} save {saved * 1000:6.0f} ms"
            f"   notified {min(notified) * 1000:6.0f} to {max(notified) * 1000:6.0f} ms"
            f"   all delivered {worst * 1000:6.0f} ms"
            + (f"   MISSING for {len(late)}: {', '.join(late)}" if late else "")
        )
        if counted:
            results.saves.append(saved)
            results.notifications += [n for n, _d in delays if n is not None]
            results.deliveries += delivered
            results.worst.append(worst)
            results.spread.append(max(notified) - min(notified))
            results.missing += len(late)
        time.sleep(options.pause)
    return results


def report(bench, options, results):
    mode = ", pages send read marks" if options.read_receipts else ""
    print(
        f"rounds: {options.rounds} after {options.warmup} warm-ups; {options.participants}"
        f" participants{mode}; {len(results.deliveries)} deliveries, {results.missing} missing"
    )
    calls = {}
    for participant in bench.participants:
        for path, started, seconds in participant.calls:
            if started >= results.started:
                calls.setdefault(path, []).append(seconds)
    lines = [
        ("save_actions, the sender's", results.saves),
        ("notification", results.notifications),
        ("delivered (+ get_actions)", results.deliveries),
        ("every participant (round)", results.worst),
        ("notifications first to last", results.spread),
        *((f"{path} calls ({len(values)})", values) for path, values in sorted(calls.items())),
    ]
    for label, values in lines:
        if not values:
            continue
        print(
            f"{label:29s} median {statistics.median(values) * 1000:7.1f} ms"
            f"   p95 {percentile(values, 0.95) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms"
        )
    errors = {}
    for participant in bench.participants:
        for path, message in participant.errors:
            errors.setdefault((path, message), 0)
            errors[path, message] += 1
    for (path, message), count in sorted(errors.items()):
        print(f"errors: {count} x {path}: {message}")
    passed = not results.missing and percentile(results.worst, 0.95) <= options.goal
    print(
        f"goal: every participant has the message within {options.goal:g} s (p95 of the rounds):"
        f" {'PASS' if passed else 'FAIL'}"
    )
    return passed


def main():
    options = parse_options()
    bench = Bench(options)
    admin = Admin(bench.base_url, options.db, options.admin_login, options.admin_password)
    load_before = os.getloadavg()
    token = secrets.token_hex(4)
    password = secrets.token_urlsafe(18)
    made = {"users": [], "partners": [], "pros": [], "sessions": []}
    try:
        began = time.perf_counter()
        logins = make_data(admin, options, token, password, made)
        bench.session_id = made["sessions"][0]
        print(
            f"setup: session {bench.session_id} with 1 therapist and {len(logins) - 1} patients"
            f" in {admin.db}; {time.perf_counter() - began:.1f} s"
        )
        began = time.perf_counter()
        for index, (login, role) in enumerate(logins):
            participant = Participant(bench, index, login, role)
            bench.participants.append(participant)
            participant.log_in(admin.db, password)
            participant.connect()
        print(
            f"{len(bench.participants)} participants logged in, websockets open;"
            f" {time.perf_counter() - began:.1f} s"
        )
        results = run_rounds(bench, options)
        load = os.getloadavg()
    finally:
        bench.stopping.set()
        for participant in bench.participants:
            participant.close()
            participant.log_out()
        left = clean_up(admin, made)
        admin.close()
        print(f"clean-up: everything deleted{'; ' + ', '.join(left) if left else ''}")
    print(
        f"load average (1, 5, 15 min): {load_before[0]:.1f} {load_before[1]:.1f}"
        f" {load_before[2]:.1f} before, {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} after"
        f" ({os.cpu_count()} cores)"
    )
    passed = report(bench, options, results)
    if options.strict and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
