"""Browser tests against a real Odoo server.

pytest-odoo loads Odoo in this process (for the modules' own tests). The tests
in this folder go further: they start the same Odoo, on the same fresh test
database, as a separate server process with its websocket and bus, and drive
it with Debian's Chromium through Playwright, as patients and pros would. What
they create is committed for real; each test makes its own names so that tests
do not depend on each other.
"""

import contextlib
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

import odoo
from odoo import api
from odoo.modules.registry import Registry

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A fake camera and microphone, granted without a prompt; peer connections
    # on loopback (a machine with only loopback gathers no other candidate).
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
# The log file of the running server process (see the odoo_server_log fixture).
SERVER_LOG = {}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory):
    """Base URL of an Odoo server process serving the test database."""
    config = odoo.tools.config
    port = _free_port()
    log = tmp_path_factory.mktemp("odoo") / "server.log"
    SERVER_LOG["path"] = log
    cmd = [
        sys.executable,
        "-m",
        "odoo",
        "server",
        f"--config={config['config']}",
        f"--database={config['db_name'][0]}",
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        "--workers=0",
        "--max-cron-threads=0",
        "--log-level=warn",
        f"--logfile={log}",
    ]
    with subprocess.Popen(cmd) as process:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/web/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"Odoo server did not start; see {log}:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        try:
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            errors = [line for line in log.read_text().splitlines() if " ERROR " in line]
            if errors:
                print(f"Odoo server logged errors ({log}):", *errors[-20:], sep="\n")


@pytest.fixture(scope="session")
def odoo_server_log(odoo_server):
    """The log file of the server process of ``odoo_server`` (a Path)."""
    return SERVER_LOG["path"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("chromium not found on PATH: install Debian's chromium package")
    # Odoo's HTTP server in this process capped its address space
    # (limit_memory_hard); Chromium reserves far more than it uses.
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def browser_without_devices(browser):
    """A second Chromium with no fake camera or microphone: on a machine
    without devices, as this one, getUserMedia finds none, for real."""
    fake_media = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
    chromium = browser.browser_type.launch(
        executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
        args=[arg for arg in CHROMIUM_ARGS if arg not in fake_media],
    )
    yield chromium
    chromium.close()


@pytest.fixture
def new_page(browser, odoo_server):
    """Open a page in a fresh browser context (its own cookies: one person).

    Console errors of the page fail the test, but for those the test lists
    in ``new_page.expected_errors``.
    """
    contexts, errors = [], []

    def open_page(path="/", *, camera=True, viewport=None, chromium=None):
        context = (chromium or browser).new_context(
            base_url=odoo_server,
            permissions=["camera", "microphone"] if camera else [],
            viewport=viewport or {"width": 1280, "height": 800},
        )
        context.set_default_timeout(15000)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: message.type == "error" and errors.append(message.text),
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path)
        return page

    # A test that provokes an error on purpose lists its text here.
    open_page.expected_errors = []
    yield open_page
    for context in contexts:
        context.close()
    errors = [e for e in errors if not any(x in e for x in open_page.expected_errors)]
    assert not errors, f"errors in the browser console: {errors}"


@pytest.fixture
def login(new_page):
    """Open a page logged in as ``login`` (password = login, as in the demo)."""

    def open_as(login, path="/my", **kwargs):
        page = new_page(f"/web/login?redirect={path}", **kwargs)
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", login)
        page.click("button[type=submit]")
        page.wait_for_url(f"**{path}")
        return page

    return open_as


@pytest.fixture
def commit_env(odoo_server):
    """A context manager giving a superuser environment whose work is committed,
    so that the server process sees it."""

    @contextlib.contextmanager
    def env_context():
        # As Odoo runs a request: hear the other processes' invalidations
        # first, and signal this one's after the commit, so that the server
        # process drops what it cached (system parameters, webhooks...).
        registry = Registry(odoo.tools.config["db_name"][0]).check_signaling()
        with registry.cursor() as cr:
            yield api.Environment(cr, api.SUPERUSER_ID, {})
        registry.signal_changes()

    return env_context


@pytest.fixture
def unique():
    """A short unique suffix for names made by a test."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def screenshot(tmp_path):
    """Save a screenshot of a page: under docs/screenshots/ (shown in the
    README) when CLINIC_SCREENSHOTS=1, else in the test's temporary folder."""
    folder = SCREENSHOTS if os.environ.get("CLINIC_SCREENSHOTS") == "1" else tmp_path

    def take(page, name):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take
