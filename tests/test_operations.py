"""Operations: the walk-in waiting room as production runs it, and when
things break.

- A multi-worker server (``--workers=2``: prefork HTTP workers and the
  gevent websocket worker) behind a small reverse proxy that does what the
  documented nginx setup does: ``/websocket`` to the gevent port, the rest
  to the HTTP port.
- Two nodes on one database, each with its own websocket: a check-in on
  one shows live on the other, a join on the other updates the first (the
  bus between processes is PostgreSQL's NOTIFY).
- Faults: a server killed with SIGKILL in the middle of check-ins; a pro's
  websocket cut for 30 seconds; PostgreSQL restarted under a running server
  (a throwaway cluster with a copy of the test database, so that the shared
  cluster of the rest of the suite is never restarted).

Every server started here writes its log (at ``info``, what production logs)
under the run's ``odoo-server-logs`` folder, which
``test_zz_log_privacy.py`` reads at the end of the run.
"""

import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg2
import pytest
import requests
from playwright.sync_api import expect

import odoo
from odoo import Command, api
from odoo.modules.registry import Registry

LOBBY = "/lobby/smith-brown-inc"
LIVE = 30_000  # ms: how long a live update may take on a loaded machine
CATCH_UP = 90_000  # ms: the bus reconnects with a backoff of up to ~25 s after a 30 s cut
LOG_FOLDER = "odoo-server-logs"  # under pytest's basetemp; read by test_zz_log_privacy.py
# A launcher instead of ``python -m odoo``: a prefork server starts its
# websocket worker as ``sys.executable sys.argv[0] gevent ...``, and with
# ``-m odoo`` argv[0] is odoo/__main__.py, whose relative import fails when
# run as a script (the gevent worker then crash-loops).
LAUNCHER = "import odoo.cli\n\nodoo.cli.main()\n"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until(condition, timeout, message):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.05)


@contextlib.contextmanager
def committed_env():
    """A superuser environment on the test database whose work is committed."""
    registry = Registry(odoo.tools.config["db_name"][0])
    with registry.cursor() as cr:
        yield api.Environment(cr, api.SUPERUSER_ID, {})


@pytest.fixture(scope="session")
def server_log_dir(tmp_path_factory):
    folder = tmp_path_factory.getbasetemp() / LOG_FOLDER
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def launcher(tmp_path_factory):
    path = tmp_path_factory.mktemp("odoo-launcher") / "odoo_launcher.py"
    path.write_text(LAUNCHER)
    return path


class OdooServer:
    """An Odoo server process on the test database (or a copy of it)."""

    def __init__(self, launcher, log, *, workers=0, db_host=None, db_port=None):
        self.launcher = launcher
        self.log = log
        self.workers = workers
        self.db_host, self.db_port = db_host, db_port
        self.http_port = _free_port()
        self.gevent_port = _free_port() if workers else None
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def start(self):
        config = odoo.tools.config
        cmd = [
            sys.executable,
            str(self.launcher),
            "server",
            f"--config={config['config']}",
            f"--database={config['db_name'][0]}",
            f"--http-port={self.http_port}",
            "--http-interface=127.0.0.1",
            f"--workers={self.workers}",
            "--max-cron-threads=0",
            "--log-level=info",
            f"--logfile={self.log}",
        ]
        if self.workers:
            cmd.append(f"--gevent-port={self.gevent_port}")
        if self.db_host:
            cmd += [f"--db_host={self.db_host}", f"--db_port={self.db_port}"]
        # its own process group: the prefork master, its workers and its
        # gevent worker can be reaped together if they do not stop
        self.process = subprocess.Popen(cmd, start_new_session=True)
        ports = [self.http_port] + ([self.gevent_port] if self.workers else [])
        deadline = time.monotonic() + 120
        for port in ports:
            while not self._healthy(port):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"Odoo did not start on port {port}:\n{self.log_tail()}")
                time.sleep(0.2)

    @staticmethod
    def _healthy(port):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/web/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def log_tail(self):
        return self.log.read_text()[-4000:] if self.log.exists() else "(no log)"

    def kill(self):
        """SIGKILL, as the OOM killer or a power cut would."""
        self.process.kill()
        self.process.wait()
        self._reap_group()

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            self._reap_group()
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reap_group()

    def _reap_group(self):
        # the process group is the one this object started (start_new_session)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


class EdgeProxy:
    """A reverse proxy in front of a multi-worker Odoo, as the documented
    nginx setup: ``/websocket`` (the upgrade included) goes to the gevent
    port, everything else to the HTTP workers. Connections are routed on
    their first request (browsers never reuse a websocket's connection).

    ``cut_websockets()`` closes the websockets that go through it and
    refuses new ones until ``restore_websockets()``; plain HTTP still goes
    through. Given to one browser only, it is that person's websocket cut.
    """

    def __init__(self, http_port, websocket_port):
        self.http_port, self.websocket_port = http_port, websocket_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.websockets = {}  # (client, upstream) -> upgrade request head
        self.websocket_count = 0
        self.refused_count = 0
        self.websockets_cut = False
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = None
        pair = None
        try:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk or len(head) > 1 << 20:
                    return
                head += chunk
            target = head.split(b"\r\n", 1)[0].split(b" ")
            websocket = len(target) > 1 and target[1].startswith(b"/websocket")
            if websocket:
                with self.lock:
                    if self.closed or self.websockets_cut:
                        self.refused_count += 1
                        return
                    self.websocket_count += 1
            port = self.websocket_port if websocket else self.http_port
            upstream = socket.create_connection(("127.0.0.1", port))
            if websocket:
                pair = (client, upstream)
                with self.lock:
                    self.websockets[pair] = head
            upstream.sendall(head)
            back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
            back.start()
            self._pump(client, upstream)
            back.join()
        except OSError:
            pass
        finally:
            if pair:
                with self.lock:
                    self.websockets.pop(pair, None)
            for sock in (client, upstream):
                if sock is not None:
                    sock.close()

    @staticmethod
    def _pump(source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        with contextlib.suppress(OSError):
            destination.shutdown(socket.SHUT_WR)

    def _cut(self, pairs):
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut_websockets(self):
        """Close the open websockets and refuse new ones; return how many."""
        with self.lock:
            self.websockets_cut = True
            pairs = list(self.websockets)
        self._cut(pairs)
        return len(pairs)

    def restore_websockets(self):
        with self.lock:
            self.websockets_cut = False

    def close(self):
        with self.lock:
            self.closed = True
            pairs = list(self.websockets)
        self.listener.close()
        self._cut(pairs)


@pytest.fixture(scope="module")
def prefork_node(launcher, server_log_dir):
    """A ``--workers=2`` server behind its proxy; ``.base_url`` is the proxy's."""
    server = OdooServer(launcher, server_log_dir / f"prefork-{uuid.uuid4().hex[:6]}.log", workers=2)
    server.start()
    proxy = EdgeProxy(server.http_port, server.gevent_port)
    server.proxy = proxy
    server.base_url = proxy.url
    try:
        yield server
    finally:
        proxy.close()
        server.stop()


@pytest.fixture(scope="module")
def threaded_node(launcher, server_log_dir):
    """A threaded server (``--workers=0``), serving its websocket itself."""
    server = OdooServer(launcher, server_log_dir / f"threaded-{uuid.uuid4().hex[:6]}.log")
    server.start()
    server.base_url = server.url
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def open_page(browser):
    """Open a page of a given server in a fresh browser context (one person),
    logged in as ``login`` (password = login, as in the demo) if given.
    Console errors fail the test, but for those in ``expected_errors``."""
    contexts, errors = [], []

    def open_(base_url, path, login=None):
        context = browser.new_context(
            base_url=base_url,
            permissions=["camera", "microphone"],
            viewport={"width": 1280, "height": 800},
        )
        context.set_default_timeout(LIVE)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        if login:
            page.goto(f"/web/login?redirect={path}")
            page.fill("input[name=login]", login)
            page.fill("input[name=password]", login)
            page.click("button[type=submit]")
            page.wait_for_url(f"**{path}")
        else:
            page.goto(path)
        return page

    open_.expected_errors = []
    yield open_
    for context in contexts:
        context.close()
    errors = [e for e in errors if not any(x in e for x in open_.expected_errors)]
    assert not errors, f"errors in the browser console: {errors}"


def check_in(page, name, birthdate="1980-05-04"):
    """Check in on the lobby page; return the new meeting's id."""
    page.fill("#o_clinic_name", name)
    page.fill("#o_clinic_birthdate", birthdate)
    page.click("form.o_clinic_lobby_check_in_form button[type=submit]")
    page.wait_for_url("**/meeting/*")
    return int(page.url.rsplit("/", 1)[1])


def queue_item(page, meeting_id):
    return page.locator(f".o_clinic_lobby_queue_item[data-meeting-id='{meeting_id}']")


def form_fields(html):
    fields = {}
    for name in ("csrf_token", "check_in_key"):
        match = re.search(rf'name="{name}" value="([^"]*)"', html)
        assert match, f"no {name} in the check-in form"
        fields[name] = match.group(1)
    return fields


def http_check_in(base_url, slug, name, birthdate="1979-11-23"):
    """A stranger checks in without a browser: GET the form, POST it.
    Return ``(session, response)``; a completed check-in is a 303 to the
    meeting."""
    session = requests.Session()
    form = session.get(f"{base_url}/lobby/{slug}", timeout=60)
    form.raise_for_status()
    data = {**form_fields(form.text), "name": name, "birthdate": birthdate}
    response = session.post(
        f"{base_url}/lobby/{slug}/check-in", data=data, allow_redirects=False, timeout=60
    )
    return session, response


def meeting_id_of(response, slug):
    location = response.headers["Location"]
    match = re.fullmatch(rf"(?:https?://[^/]+)?/lobby/{slug}/meeting/(\d+)", location)
    assert match, location
    return int(match.group(1))


def new_lobby(unique):
    """A lobby of Dr. Smith's of its own; return its slug."""
    with committed_env() as env:
        lobby = env["clinic.lobby"].create(
            {
                "name": f"Operations office {unique}",
                "slug": f"operations-{unique}",
                "pro_ids": [Command.set(env.ref("clinic_lobby.pro_smith").ids)],
            }
        )
        return lobby.slug


# ---------------------------------------------------------------------------
# A multi-worker run
# ---------------------------------------------------------------------------


def test_waiting_room_on_a_multi_worker_server(prefork_node, open_page):
    """The waiting-room flow against ``--workers=2``: the live parts go
    through the gevent websocket worker, the pages through the HTTP workers."""
    base = prefork_node.base_url
    websockets_before = prefork_node.proxy.websocket_count
    smith = open_page(base, "/my/clinic", login="smith")
    brown = open_page(base, "/my/clinic", login="brown")
    expect(smith.locator(".o_clinic_lobby_no_current")).to_be_visible(timeout=LIVE)

    stranger = open_page(base, LOBBY)
    name = f"Prefork Patient {uuid.uuid4().hex[:6]}"
    meeting_id = check_in(stranger, name)
    expect(stranger.locator("h1")).to_have_text(f"Hello, {name}!", timeout=LIVE)

    # Both pros see the new meeting without reloading their page.
    expect(queue_item(smith, meeting_id)).to_contain_text(name, timeout=LIVE)
    expect(queue_item(brown, meeting_id)).to_be_visible(timeout=LIVE)

    queue_item(smith, meeting_id).locator(".o_clinic_lobby_join").click()
    expect(smith.locator(".o_clinic_lobby_current_meeting")).to_contain_text(name, timeout=LIVE)
    expect(queue_item(brown, meeting_id)).to_have_count(0, timeout=LIVE)
    taken = brown.locator(f".o_clinic_lobby_in_progress_item[data-meeting-id='{meeting_id}']")
    expect(taken.locator(".o_clinic_lobby_participants")).to_have_text(
        "2 participants, 1 pro", timeout=LIVE
    )
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "Dr. Smith joined your meeting.", timeout=LIVE
    )

    smith.locator(".o_clinic_lobby_leave").click()
    expect(smith.locator(".o_clinic_lobby_no_current")).to_be_visible(timeout=LIVE)
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "This visit has ended.", timeout=LIVE
    )
    # The three pages' websockets went to the gevent worker, through the proxy.
    assert prefork_node.proxy.websocket_count - websockets_before >= 3


def test_a_check_in_posted_twice_at_once_on_two_workers(prefork_node):
    """A double click on *Check in*: the same form posted four times at the
    same instant, served by both HTTP workers, makes one meeting, and every
    answer leads to it. (The losers of the race fail on the unique key and
    are retried by Odoo: what PostgreSQL refused must not put the patient's
    name in the log, see test_zz_log_privacy.py.)"""
    base = prefork_node.base_url
    slug = LOBBY.rsplit("/", 1)[1]
    for _round in range(3):
        session = requests.Session()
        form = form_fields(session.get(f"{base}{LOBBY}", timeout=60).text)
        data = {**form, "name": f"Double Click {uuid.uuid4().hex[:6]}", "birthdate": "1990-01-02"}
        barrier = threading.Barrier(4)
        answers = []

        def post(data=data, session=session, barrier=barrier, answers=answers):
            barrier.wait(timeout=30)
            answers.append(
                session.post(
                    f"{base}{LOBBY}/check-in", data=data, allow_redirects=False, timeout=60
                )
            )

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert [a.status_code for a in answers] == [303] * 4
        assert len({meeting_id_of(a, slug) for a in answers}) == 1
        with committed_env() as env:
            meetings = env["clinic.meeting"].search([("check_in_key", "=", form["check_in_key"])])
            assert len(meetings) == 1 and meetings.name == data["name"]


# ---------------------------------------------------------------------------
# Two nodes
# ---------------------------------------------------------------------------


def test_two_nodes_share_the_live_queue(prefork_node, threaded_node, open_page):
    """A stranger on node A (multi-worker), a pro on node B (threaded), one
    database: each node's websocket hears what the other committed."""
    node_a, node_b = prefork_node.base_url, threaded_node.base_url
    pro = open_page(node_b, "/my/clinic", login="smith")
    expect(pro.locator(".o_clinic_lobby_no_current")).to_be_visible(timeout=LIVE)

    stranger = open_page(node_a, LOBBY)
    name = f"Two Nodes {uuid.uuid4().hex[:6]}"
    meeting_id = check_in(stranger, name)
    expect(queue_item(pro, meeting_id)).to_contain_text(name, timeout=LIVE)

    queue_item(pro, meeting_id).locator(".o_clinic_lobby_join").click()
    expect(pro.locator(".o_clinic_lobby_current_meeting")).to_contain_text(name, timeout=LIVE)
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "Dr. Smith joined your meeting.", timeout=LIVE
    )
    pro.locator(".o_clinic_lobby_leave").click()
    expect(stranger.locator(".o_clinic_lobby_waiting_status")).to_contain_text(
        "This visit has ended.", timeout=LIVE
    )


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------


def test_a_pro_websocket_cut_for_30_s_catches_up(prefork_node, open_page):
    """The pro's websocket is cut (and refused) for 30 s while strangers check
    in and the front desk cancels one: once it reconnects, the dashboard shows
    every waiting meeting and nothing stale, without a reload."""
    unique = uuid.uuid4().hex[:8]
    slug = new_lobby(unique)
    base = prefork_node.base_url
    # the pro's own way to the server, which the test cuts
    network = EdgeProxy(prefork_node.http_port, prefork_node.gevent_port)
    pro = open_page(network.url, "/my/clinic", login="smith")
    try:
        # Seen live before the cut: the websocket is up.
        _wait_until(lambda: network.websockets, 60, "the dashboard opened no websocket")
        _session, response = http_check_in(base, slug, f"Before Cut {unique}")
        gone_id = meeting_id_of(response, slug)
        expect(queue_item(pro, gone_id)).to_be_visible(timeout=LIVE)

        assert network.cut_websockets() >= 1, "no websocket to cut"
        cut_at = time.monotonic()
        waiting = []
        for n in range(4):
            _session, response = http_check_in(base, slug, f"During Cut {unique} {n}")
            assert response.status_code == 303
            waiting.append(meeting_id_of(response, slug))
        with committed_env() as env:  # the front desk cancels the first one meanwhile
            env["clinic.meeting"].browse(gone_id).action_cancel()
        time.sleep(max(0.0, 30 - (time.monotonic() - cut_at)))
        # Nothing reached the dashboard during the cut...
        for meeting_id in waiting:
            expect(queue_item(pro, meeting_id)).to_have_count(0)
        expect(queue_item(pro, gone_id)).to_be_visible(timeout=LIVE)
        assert network.refused_count >= 1, "the page did not try to reconnect"
        network.restore_websockets()

        # ...and everything after it reconnects.
        for meeting_id in waiting:
            expect(queue_item(pro, meeting_id)).to_be_visible(timeout=CATCH_UP)
        expect(queue_item(pro, gone_id)).to_have_count(0, timeout=LIVE)
        # and it is live again
        _session, response = http_check_in(base, slug, f"After Cut {unique}")
        expect(queue_item(pro, meeting_id_of(response, slug))).to_be_visible(timeout=LIVE)
    finally:
        pro.context.close()
        network.close()


class Strangers:
    """Strangers checking in over and over from threads, each with their own
    cookies, until the server goes away."""

    def __init__(self, base_url, slug, count):
        self.base_url, self.slug = base_url, slug
        self.lock = threading.Lock()
        self.attempted = []  # names whose check-in was posted
        self.completed = []  # (name, session, meeting id): redirected to their meeting
        self.unexpected = []
        self.posting = 0
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self, n):
        for i in range(10_000):
            if self.stop.is_set():
                return
            name = f"Killed Check In {self.slug[-8:]} {n} {i}"
            session = requests.Session()
            try:
                form = session.get(f"{self.base_url}/lobby/{self.slug}", timeout=60)
                data = {**form_fields(form.text), "name": name, "birthdate": "1971-02-03"}
                with self.lock:
                    self.attempted.append(name)
                    self.posting += 1
                try:
                    response = session.post(
                        f"{self.base_url}/lobby/{self.slug}/check-in",
                        data=data,
                        allow_redirects=False,
                        timeout=60,
                    )
                finally:
                    with self.lock:
                        self.posting -= 1
            except (requests.RequestException, AssertionError):
                return  # the server is gone
            if response.status_code != 303:
                self.unexpected.append((name, response.status_code))
                return
            with self.lock:
                self.completed.append((name, session, meeting_id_of(response, self.slug)))

    def join(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)


def test_sigkill_in_the_middle_of_check_ins(threaded_node):
    """Six strangers check in over and over while the server is killed with
    SIGKILL: no meeting is half made, and after a restart every stranger
    whose check-in completed finds their meeting by reloading the lobby."""
    slug = new_lobby(uuid.uuid4().hex[:8])
    base = threaded_node.base_url
    strangers = Strangers(base, slug, 6)
    # killed once a few check-ins went through, while at least two are posted
    _wait_until(
        lambda: len(strangers.completed) >= 6 and strangers.posting >= 2,
        120,
        f"check-ins did not get going: {strangers.completed}, {strangers.unexpected}",
    )
    threaded_node.kill()
    strangers.join()
    assert not strangers.unexpected
    assert len(strangers.attempted) > len(strangers.completed), "no check-in was cut short"

    with committed_env() as env:
        lobby = env["clinic.lobby"].search([("slug", "=", slug)])
        meetings = (
            env["clinic.meeting"]
            .with_context(active_test=False)
            .search([("lobby_id", "=", lobby.id)])
        )
        for meeting in meetings:
            patients = meeting.participant_ids.filtered(lambda p: p.role == "patient")
            assert len(patients) == 1, f"meeting {meeting.id} has {len(patients)} patients"
            assert patients.guest_id, f"meeting {meeting.id}'s patient has no guest"
            assert patients.name == meeting.name and patients.birthdate
            assert meeting.state == "waiting"
        # no guest made by an attempt is left without its meeting
        guests = env["mail.guest"].search([("name", "in", strangers.attempted)])
        assert set(guests.ids) <= set(meetings.participant_ids.guest_id.ids)
        assert {m for _n, _s, m in strangers.completed} <= set(meetings.ids)

    threaded_node.start()  # a restart, on the same port
    for name, session, meeting_id in strangers.completed:
        reload = session.get(f"{base}/lobby/{slug}", allow_redirects=False, timeout=60)
        assert reload.status_code == 303, name
        assert meeting_id_of(reload, slug) == meeting_id
        page = session.get(f"{base}/lobby/{slug}/meeting/{meeting_id}", timeout=60)
        assert page.status_code == 200 and f"Hello, {name}!" in page.text


def _pg_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for bindir in reversed(found):
        if os.access(os.path.join(bindir, "initdb"), os.X_OK):
            return bindir
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if os.access(os.path.join(bindir, "initdb"), os.X_OK):
            return bindir
    return None


class ThrowawayCluster:
    """A PostgreSQL cluster of its own, on a Unix socket, as bin/_lib.sh makes
    the test cluster (run as ``postgres`` when we are root)."""

    def __init__(self, bindir, user, dbname):
        self.bindir, self.user, self.dbname = bindir, user, dbname
        self.root = Path(tempfile.mkdtemp(prefix="clinic-pg-"))
        self.data, self.run_dir = self.root / "data", self.root / "run"
        self.run_dir.mkdir()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.run_dir, "postgres")
        self.pg(
            "initdb", "-D", self.data, "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"
        )

    def pg(self, tool, *args):
        cmd = [os.path.join(self.bindir, tool), *map(str, args)]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self):
        options = f"-c listen_addresses='' -k {self.run_dir} -p 5432 -c fsync=off"
        log = self.root / "server.log"
        self.pg("pg_ctl", "-D", self.data, "-l", log, "-w", "-o", options, "start")

    def stop(self):
        self.pg("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def restart(self):
        # the server's options are kept (postmaster.opts), not its log file
        log = self.root / "server.log"
        self.pg("pg_ctl", "-D", self.data, "-l", log, "-m", "fast", "-w", "restart")

    def connect(self):
        return psycopg2.connect(
            host=str(self.run_dir), port=5432, user=self.user, dbname=self.dbname
        )

    def destroy(self):
        with contextlib.suppress(subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def copied_database(tmp_path):
    """A throwaway cluster holding a copy of the test database, under the
    same name (so that it shares the filestore: the assets are there)."""
    bindir = _pg_bindir()
    if not bindir:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    config = odoo.tools.config
    db = config["db_name"][0]
    user = config["db_user"] or "odoo"
    cluster = ThrowawayCluster(bindir, user, db)
    try:
        cluster.start()
        env = {**os.environ, "PGPASSWORD": config["db_password"] or ""}
        source = ["-h", config["db_host"] or "localhost", "-p", str(config["db_port"] or 5432)]
        dump = tmp_path / "test-db.dump"
        subprocess.run(
            [os.path.join(bindir, "pg_dump"), *source, "-U", user, "-Fc", "-Z0", "-f", dump, db],
            check=True,
            env=env,
            timeout=300,
        )
        target = ["-h", str(cluster.run_dir), "-p", "5432", "-U", user]
        subprocess.run([os.path.join(bindir, "createdb"), *target, db], check=True, timeout=60)
        subprocess.run(
            [os.path.join(bindir, "pg_restore"), *target, "-d", db, "--no-owner", dump],
            check=True,
            timeout=300,
        )
        yield cluster
    finally:
        cluster.destroy()


def login_session(base_url, login):
    session = requests.Session()
    form = session.get(f"{base_url}/web/login", timeout=60)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = session.post(
        f"{base_url}/web/login",
        data={"login": login, "password": login, "csrf_token": csrf},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 303, response.status_code
    return session


def jsonrpc(session, url, timeout):
    return session.post(
        url, json={"jsonrpc": "2.0", "method": "call", "params": {}}, timeout=timeout
    )


def test_postgresql_restarted_under_a_running_server(copied_database, launcher, server_log_dir):
    """PostgreSQL restarted (``pg_ctl restart -m fast``) between two requests:
    the next ones succeed. Stopped for a while: every request answers at once
    with an error (no hang, nothing made); once it is back, the same Odoo
    process serves again: the waiting patient's page, a check-in posted from
    a form opened before, a pro's dashboard.

    The error is Odoo's: its dispatch, finding no database, falls back to
    the database-less routes, so pages answer 404 (``/web/health`` 500), and
    it logs out the session of a request made meanwhile; a pro idle during
    the outage stays logged in, a patient keeps their meeting (the guest
    cookie)."""
    unique = uuid.uuid4().hex[:8]
    server = OdooServer(
        launcher,
        server_log_dir / f"pg-restart-{unique}.log",
        db_host=copied_database.run_dir,
        db_port=5432,
    )
    server.start()
    try:
        base = server.url
        slug = LOBBY.rsplit("/", 1)[1]
        patient, response = http_check_in(base, slug, f"Before Restart {unique}")
        assert response.status_code == 303
        meeting_url = f"{base}/lobby/{slug}/meeting/{meeting_id_of(response, slug)}"
        pro = login_session(base, "smith")  # idle while PostgreSQL is down
        assert pro.get(f"{base}/my/clinic", allow_redirects=False, timeout=60).status_code == 200
        late = requests.Session()  # opened the form before, posts it during
        form = form_fields(late.get(f"{base}{LOBBY}", timeout=60).text)
        late_form = {**form, "name": f"During Restart {unique}", "birthdate": "1966-06-06"}

        # A restart between two requests: the pool's connections are dead,
        # the next request gets new ones.
        copied_database.restart()
        page = patient.get(meeting_url, timeout=60)
        assert page.status_code == 200 and f"Hello, Before Restart {unique}!" in page.text
        assert pro.get(f"{base}/my/clinic", allow_redirects=False, timeout=60).status_code == 200
        _session, response = http_check_in(base, slug, f"Across Restart {unique}")
        assert response.status_code == 303

        # Down for a while, with requests meanwhile.
        copied_database.stop()
        down = [
            lambda t: requests.get(f"{base}{LOBBY}", timeout=t),
            lambda t: late.post(f"{base}{LOBBY}/check-in", data=late_form, timeout=t),
            lambda t: patient.get(meeting_url, timeout=t),
            lambda t: jsonrpc(patient, f"{meeting_url}/status", t),
            lambda t: requests.get(f"{base}/web/health?db_server_status=1", timeout=t),
        ]
        for n, call in enumerate(down):
            started = time.monotonic()
            try:
                answer = call(20)
            except requests.ConnectionError:
                continue  # refused or reset: a clean failure too
            except requests.Timeout:
                pytest.fail(f"request {n} hung while PostgreSQL was down")
            assert answer.status_code >= 400, (n, answer.status_code)
            assert time.monotonic() - started < 10, f"request {n} was slow to fail"

        copied_database.start()
        page = patient.get(meeting_url, timeout=60)
        assert page.status_code == 200 and f"Hello, Before Restart {unique}!" in page.text
        assert jsonrpc(patient, f"{meeting_url}/status", 60).json()["result"]
        response = late.post(
            f"{base}{LOBBY}/check-in", data=late_form, allow_redirects=False, timeout=60
        )
        assert response.status_code == 303
        assert pro.get(f"{base}/my/clinic", allow_redirects=False, timeout=60).status_code == 200
        health = requests.get(f"{base}/web/health?db_server_status=1", timeout=60)
        assert health.status_code == 200
        assert server.process.poll() is None, "Odoo stopped"
        with contextlib.closing(copied_database.connect()) as cnx, cnx.cursor() as cr:
            cr.execute("SELECT count(*) FROM clinic_meeting WHERE name = %s", [late_form["name"]])
            assert cr.fetchone()[0] == 1  # once: nothing was made while down
    finally:
        server.stop()
