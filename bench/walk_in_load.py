"""A walk-in lobby under load: 50 strangers checking in and waiting while two
pros take them, on a multi-worker server, beside Odoo Live Chat's sessions.

The script starts its own Odoo server on ``--db`` with ``--workers`` (2) and
its websocket (gevent) worker, and drives it with locust (headless, from
``.data/bench-venv``, made here from ``bench/requirements.txt`` if missing)
for ``--run-time`` seconds (60). Three kinds of users, all at once:

- ``--strangers`` (50) strangers, each in a browser session of their own:
  the check-in form (``GET /lobby/<slug>``), the check-in (``POST
  .../check-in``, its CSRF token and key from the form), the waiting page
  (``GET .../meeting/<id>``), then the meeting's status (``.../status``,
  JSON-RPC) every ``--poll`` seconds (2), as the waiting page asks for it
  whenever the queue moves; once a pro has come and gone, or after
  ``--patience`` seconds (45) of waiting (they then leave: ``POST
  .../leave``), a new stranger takes their place;
- two pros, the demo's ``smith`` and ``brown`` (password = login), logged in
  through ``/web/login``: each reads the dashboard (``/my/clinic/data``),
  joins the oldest waiting patient of the bench's lobby
  (``/my/clinic/meeting/<id>/join``; the second pro takes the second oldest),
  stays ``--visit`` seconds (3) and leaves (``.../leave``);
- ``--visitors`` (10) Live Chat visitors, each a new browser session every
  ``--visitor-wait`` seconds (5): ``/im_livechat/get_session`` (persisted,
  as the chat window does on the visitor's first message), which makes a
  guest and a ``discuss.channel`` with the operator, the Live Chat's
  counterpart of a check-in.

Before the run, in the database: a lobby of its own with smith and brown
(``Bench walk-in <token>``), smith and brown out of any meeting, and for
Live Chat a channel (``Bench live chat <token>``) with one operator of its
own, online (a ``mail.presence``, as an open Discuss tab keeps it). If
``im_livechat`` is not installed, it is installed first (``-i im_livechat``,
a database of the bench's only; ``--no-livechat`` runs without it). After:
the bench's meetings still live are cancelled, its lobby archived, its Live
Chat sessions and channel deleted.

It prints, per kind of request, the number, failures, requests per second,
median, 95th percentile and maximum (locust's), the totals, the check-ins,
joins and Live Chat sessions per minute, the strangers' waits from check-in
to a pro's join, the errors (locust's failures and the server's ERROR
lines) and the load average; ``--markdown`` prints the table for
docs/PERFORMANCE.md.

The database is a copy of the development one, or any database with every
clinic module and the demo data (smith, brown); its configuration file is
``.data/<db>.conf`` (``-c`` for another), e.g.:

    . bin/_lib.sh && find_odoo && prepare_venv "requirements.txt requirements-test.txt" \\
        && start_postgres && write_odoo_conf .data/clinic_bench_w.conf clinic_bench_w
    psql_cmd -c 'CREATE DATABASE clinic_bench_w TEMPLATE clinic_dev'      # once, with
    cp -r .data/filestore/filestore/clinic_dev .data/filestore/filestore/clinic_bench_w
    .data/venv/bin/python bench/walk_in_load.py --db clinic_bench_w

Not part of the test command: nothing in it is asserted.
"""

import argparse
import csv
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".data" / "bench-venv"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHECK_IN_KEY = re.compile(r'name="check_in_key" value="([^"]+)"')
LIVE = ("waiting", "in_progress")

# ------------------------------------------------------------
# THE LOCUST USERS (this file is also locust's locustfile; the settings come
# from the environment, set by main() below)
# ------------------------------------------------------------

try:
    import locust
except ImportError:  # run by Odoo's python, to drive the run
    locust = None

if locust:
    import gevent
    from locust import HttpUser, constant, events, task

    SETTINGS = json.loads(os.environ.get("WALK_IN_LOAD", "{}"))
    WAITS = []  # seconds from a check-in to a pro's join
    PRO_TURN = iter(range(1_000_000))

    def rpc(client, url, name, params=None):
        """A JSON-RPC call as the pages make it; the result, or None (the
        failure is recorded)."""
        body = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params or {}}
        with client.post(url, json=body, name=name, catch_response=True) as response:
            if response.status_code == 0:  # no answer: keep the client's error
                response.failure(response.error)
                return None
            try:
                answer = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            if "error" in answer:
                error = answer["error"].get("data", {}).get("name") or answer["error"]
                response.failure(f"JSON-RPC error {error}")
                return None
            return answer.get("result")

    class Stranger(HttpUser):
        """Checks in, waits (asking for the status), is seen, goes; again."""

        fixed_count = SETTINGS.get("strangers", 0)
        wait_time = constant(0)

        @task
        def walk_in(self):
            slug, poll = SETTINGS["lobby"], SETTINGS["poll"]
            self.client.cookies.clear()
            form = self.client.get(f"/lobby/{slug}", name="GET /lobby/[slug] (the form)")
            csrf, key = CSRF.search(form.text), CHECK_IN_KEY.search(form.text)
            if not (csrf and key):
                return
            name = "Bench " + "".join(secrets.choice("abcdefghij") for _ in range(6)).title()
            with self.client.post(
                f"/lobby/{slug}/check-in",
                data={
                    "name": name,
                    "birthdate": "1980-05-04",
                    "csrf_token": csrf[1],
                    "check_in_key": key[1],
                },
                allow_redirects=False,
                name="POST /lobby/[slug]/check-in",
                catch_response=True,
            ) as response:
                match = re.search(r"/meeting/(\d+)$", response.headers.get("Location", ""))
                if response.status_code != 303 or not match:
                    response.failure(f"HTTP {response.status_code}, no meeting")
                    return
            checked_in = time.monotonic()
            meeting = f"/lobby/{slug}/meeting/{match[1]}"
            self.client.get(meeting, name="GET /lobby/[slug]/meeting/[id] (waiting page)")
            seen = False
            while True:
                gevent.sleep(poll)
                status = rpc(self.client, f"{meeting}/status", "RPC .../meeting/[id]/status")
                state = (status or {}).get("state")
                if state == "in_progress" and not seen:
                    seen = True
                    WAITS.append(time.monotonic() - checked_in)
                if state not in LIVE:
                    return
                if not seen and time.monotonic() - checked_in > SETTINGS["patience"]:
                    self.client.post(
                        f"{meeting}/leave",
                        data={"csrf_token": csrf[1]},
                        name="POST .../meeting/[id]/leave (gave up)",
                    )
                    return

    class Pro(HttpUser):
        """Takes the oldest waiting patient of the lobby, sees them, leaves."""

        fixed_count = len(SETTINGS.get("pros", []))
        wait_time = constant(0)

        def on_start(self):
            self.turn = next(PRO_TURN)
            login = SETTINGS["pros"][self.turn % len(SETTINGS["pros"])]
            page = self.client.get("/web/login", name="GET /web/login")
            self.client.post(
                "/web/login",
                data={"login": login, "password": login, "csrf_token": CSRF.search(page.text)[1]},
                name="POST /web/login",
            )

        @task
        def see_a_patient(self):
            data = rpc(self.client, "/my/clinic/data", "RPC /my/clinic/data") or {}
            queue = [m for m in data.get("queue", []) if m["lobby"] == SETTINGS["lobby_name"]]
            queue = [m for m in queue if m["state"] == "waiting"]
            if not queue:
                gevent.sleep(0.5)
                return
            meeting = queue[min(self.turn, len(queue) - 1)]
            url = f"/my/clinic/meeting/{meeting['id']}"
            joined = rpc(self.client, f"{url}/join", "RPC /my/clinic/meeting/[id]/join") or {}
            if joined.get("error") or not joined.get("current"):
                return  # the other pro was first
            gevent.sleep(SETTINGS["visit"])
            rpc(self.client, f"{url}/leave", "RPC /my/clinic/meeting/[id]/leave")

    class LiveChatVisitor(HttpUser):
        """Opens a Live Chat session (a new visitor each time)."""

        fixed_count = SETTINGS.get("visitors", 0) if SETTINGS.get("livechat") else 0
        wait_time = constant(SETTINGS.get("visitor_wait", 5))

        @task
        def chat(self):
            self.client.cookies.clear()
            params = {
                "channel_id": SETTINGS["livechat"],
                "anonymous_name": "Visitor",
                "persisted": True,
            }
            result = rpc(
                self.client, "/im_livechat/get_session", "RPC /im_livechat/get_session", params
            )
            if result is not None and not (result or {}).get("channel_id"):
                events.request.fire(
                    request_type="RPC",
                    name="RPC /im_livechat/get_session (no operator)",
                    response_time=0,
                    response_length=0,
                    exception=RuntimeError("no operator available"),
                )

    @events.quitting.add_listener
    def save_waits(environment, **kwargs):
        Path(SETTINGS["waits_file"]).write_text(json.dumps(WAITS))


# ------------------------------------------------------------
# DRIVING THE RUN (Odoo's python)
# ------------------------------------------------------------


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="clinic_bench_w")
    parser.add_argument("-c", "--config", help="Odoo configuration file (.data/<db>.conf)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strangers", type=int, default=50)
    parser.add_argument("--pros", default="smith,brown", help="logins (= passwords)")
    parser.add_argument("--visitors", type=int, default=10, help="Live Chat visitors")
    parser.add_argument("--run-time", type=int, default=60, help="seconds")
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started a second")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between status calls")
    parser.add_argument("--patience", type=float, default=45.0, help="seconds before giving up")
    parser.add_argument("--visit", type=float, default=3.0, help="seconds a pro stays")
    parser.add_argument("--visitor-wait", type=float, default=5.0, help="seconds between chats")
    parser.add_argument("--no-livechat", action="store_true", help="without Live Chat")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    return parser.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def odoo_command(options, config_file, *args, launcher=None):
    """``odoo server`` with this python. A server with workers starts its
    websocket worker as ``sys.argv[0] gevent``, which fails when argv[0] is
    ``odoo/__main__.py`` (``python -m odoo``): it then runs ``launcher``."""
    return [
        sys.executable,
        *([str(launcher)] if launcher else ["-m", "odoo"]),
        "server",
        "-c",
        str(config_file),
        "-d",
        options.db,
        "--log-level=warn",
        *args,
    ]


def ensure_livechat(options, config_file, registry):
    """Live Chat's module installed (installed here if needed), or a reason why not."""
    with registry.cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = 'im_livechat'")
        row = cr.fetchone()
    if row and row[0] == "installed":
        return None
    if not row:
        return "im_livechat is not in this Odoo's addons path"
    print(f"installing im_livechat in {options.db} ...", flush=True)
    result = subprocess.run(
        odoo_command(options, config_file, "-i", "im_livechat", "--stop-after-init"),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        return f"im_livechat could not be installed: {result.stderr.strip()[-500:]}"
    return None


def set_up(env, options, token, livechat):
    """The bench's lobby (smith and brown), Live Chat's channel and its
    operator, online; smith and brown out of any meeting."""
    from odoo.fields import Command

    logins = options.pros.split(",")
    pros = env["clinic.pro"].search([("user_id.login", "in", logins)])
    if len(pros) != len(logins):
        sys.exit(f"pros not found: {logins} (the demo data's smith and brown)")
    for pro in pros:
        if participation := pro._get_current_participation():
            participation.meeting_id._leave_pro(pro)
    lobby = env["clinic.lobby"].create(
        {"name": f"Bench walk-in {token}", "slug": f"bench-{token}", "pro_ids": pros.ids}
    )
    settings = {"lobby": lobby.slug, "lobby_name": lobby.name, "lobby_id": lobby.id}
    if livechat:
        operator = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": f"Bench operator {token}",
                    "login": f"bench-operator-{token}",
                    "group_ids": [Command.set([env.ref("im_livechat.im_livechat_group_user").id])],
                }
            )
        )
        channel = env["im_livechat.channel"].create(
            {"name": f"Bench live chat {token}", "user_ids": [Command.set(operator.ids)]}
        )
        if "max_sessions_mode" in channel._fields:
            channel.max_sessions_mode = "unlimited"
        env["mail.presence"]._update_presence(operator)
        settings.update(livechat=channel.id, operator=operator.id)
    return settings


def clean_up(env, settings):
    lobby = env["clinic.lobby"].browse(settings["lobby_id"])
    meetings = env["clinic.meeting"].search([("lobby_id", "=", lobby.id), ("state", "in", LIVE)])
    for meeting in meetings:
        for pro in meeting.participant_ids.filtered(lambda p: not p.left_at).pro_id:
            meeting._leave_pro(pro)
        if meeting.state == "waiting":
            meeting._leave_patient()
    lobby.active = False
    if settings.get("livechat"):
        channel = env["im_livechat.channel"].browse(settings["livechat"])
        sessions = env["discuss.channel"].search([("livechat_channel_id", "=", channel.id)])
        sessions.unlink()
        channel.unlink()
        env["res.users"].browse(settings["operator"]).active = False


def wait_for(url, process, log):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server stopped; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit(f"the server did not start; see {log}")


def locust_executable():
    locust_bin = BENCH_VENV / "bin" / "locust"
    if not locust_bin.exists():
        print(f"making {BENCH_VENV} with bench/requirements.txt ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [
                str(BENCH_VENV / "bin" / "pip"),
                "install",
                "-q",
                "-r",
                str(ROOT / "bench" / "requirements.txt"),
            ],
            check=True,
        )
    return locust_bin


def read_stats(prefix):
    with open(f"{prefix}_stats.csv", encoding="utf-8") as stats_file:
        rows = list(csv.DictReader(stats_file))
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", encoding="utf-8") as failures_file:
            failures = list(csv.DictReader(failures_file))
    return rows, failures


def report(rows, failures, *, waits, server_errors, settings, options, elapsed):
    def ms(value):
        return f"{float(value):.0f}" if value not in ("", "N/A") else "-"

    header = ("request", "count", "failures", "req/s", "p50 ms", "p95 ms", "max ms")
    lines = []
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all requests**"
        lines.append(
            (
                name,
                row["Request Count"],
                row["Failure Count"],
                f"{float(row['Requests/s']):.1f}",
                ms(row["50%"]),
                ms(row["95%"]),
                ms(row["Max Response Time"]),
            )
        )
    if options.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
        for line in (header, *lines):
            print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)))

    def per_minute(prefix):
        count = sum(
            int(r["Request Count"]) - int(r["Failure Count"])
            for r in rows
            if r["Name"].startswith(prefix)
        )
        return count * 60 / elapsed

    print(
        f"\nper minute: {per_minute('POST /lobby/[slug]/check-in'):.0f} check-ins, "
        f"{per_minute('RPC /my/clinic/meeting/[id]/join'):.0f} joins"
        + (
            f", {per_minute('RPC /im_livechat/get_session'):.0f} Live Chat sessions"
            if settings.get("livechat")
            else ""
        )
    )
    if waits:
        ordered = sorted(waits)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"strangers seen: {len(waits)}; wait from check-in to a pro's join: "
            f"median {statistics.median(waits):.1f} s, p95 {p95:.1f} s"
        )
    print(f"errors: {sum(int(f['Occurrences']) for f in failures)} failed requests")
    for failure in failures:
        print(
            f"  {failure['Occurrences']} x {failure['Method']} {failure['Name']}: "
            f"{failure['Error'][:200]}"
        )
    print(f"server log: {len(server_errors)} ERROR lines")
    for line in server_errors[:10]:
        print(f"  {line[:300]}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main():
    options = parse_options()
    config_file = Path(options.config or ROOT / ".data" / f"{options.db}.conf")
    if not config_file.is_file():
        sys.exit(f"{config_file} not found: write it first (see this script's docstring) or use -c")
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config_file), "-d", options.db, "--log-level=warn"])
    threading.current_thread().dbname = options.db
    registry = Registry(options.db)
    why_not = None if options.no_livechat else ensure_livechat(options, config_file, registry)
    if why_not:
        print(f"Live Chat: {why_not}; the run goes on without it.")
    livechat = not options.no_livechat and not why_not
    if livechat and "im_livechat.channel" not in registry:
        registry = Registry.new(options.db)  # just installed: with its models
    token = secrets.token_hex(3)
    with registry.cursor() as cr:
        settings = set_up(api.Environment(cr, api.SUPERUSER_ID, {}), options, token, livechat)

    port, gevent_port = free_port(), free_port()
    workdir = Path(f"/tmp/walk_in_load_{token}")
    workdir.mkdir()
    log = workdir / "server.log"
    launcher = workdir / "odoo_launcher.py"
    launcher.write_text("import odoo.cli\n\nodoo.cli.main()\n")
    server = subprocess.Popen(
        odoo_command(
            options,
            config_file,
            f"--http-port={port}",
            f"--gevent-port={gevent_port}",
            "--http-interface=127.0.0.1",
            f"--workers={options.workers}",
            "--max-cron-threads=0",
            f"--logfile={log}",
            launcher=launcher,
        )
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/web/health", server, log)
        wait_for(f"http://127.0.0.1:{gevent_port}/web/health", server, log)  # websocket worker
        for path in (f"/lobby/{settings['lobby']}", "/web/login"):  # warm the workers up
            for _ in range(options.workers * 2):
                urllib.request.urlopen(base + path, timeout=60).read()
        settings.update(
            strangers=options.strangers,
            pros=options.pros.split(","),
            visitors=options.visitors,
            poll=options.poll,
            patience=options.patience,
            visit=options.visit,
            visitor_wait=options.visitor_wait,
            waits_file=str(workdir / "waits.json"),
        )
        users = options.strangers + len(settings["pros"]) + (options.visitors if livechat else 0)
        print(
            f"{options.db}, {options.workers} workers: {options.strangers} strangers, "
            f"{len(settings['pros'])} pros"
            + (f", {options.visitors} Live Chat visitors" if livechat else "")
            + f" for {options.run_time} s ...",
            flush=True,
        )
        started = time.monotonic()
        subprocess.run(
            [
                str(locust_executable()),
                "-f",
                __file__,
                "--headless",
                "--host",
                base,
                "-u",
                str(users),
                "-r",
                str(options.spawn_rate),
                "-t",
                f"{options.run_time}s",
                "--csv",
                str(workdir / "locust"),
                "--only-summary",
                "--stop-timeout",
                "5",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            env={**os.environ, "WALK_IN_LOAD": json.dumps(settings)},
            check=True,
            stdout=(workdir / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        elapsed = min(time.monotonic() - started, options.run_time)
    finally:
        server.terminate()
        server.wait(timeout=60)
    rows, failures = read_stats(workdir / "locust")
    waits_file = workdir / "waits.json"
    waits = json.loads(waits_file.read_text()) if waits_file.exists() else []
    server_errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
    report(
        rows,
        failures,
        waits=waits,
        server_errors=server_errors,
        settings=settings,
        options=options,
        elapsed=elapsed,
    )
    with registry.cursor() as cr:
        clean_up(api.Environment(cr, api.SUPERUSER_ID, {}), settings)
    print(f"(locust's output and CSV files, the server log: {workdir})")


if __name__ == "__main__":
    main()
