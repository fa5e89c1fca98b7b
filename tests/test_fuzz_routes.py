"""Fuzzing of every public and portal route of the clinic modules, with
Hypothesis, against the real server process.

The routes come from Odoo's own routing map (``odoo.http._generate_routing_rules``
for the installed modules, as ``ir.http.routing_map`` builds it), restricted
to the endpoints written in a clinic module: a route added tomorrow is fuzzed
without anyone listing it. The partner API (``/api/v1``) is left out: it has
its own fuzz from its OpenAPI document (tests/test_api_fuzz.py).

For each route, Hypothesis generates requests (derandomized: a fixed seed per
route, no example database, so a run is reproducible):

- path parameters: the ids, slugs and tokens of real records made here (a
  lobby and its walk-ins, an appointment, a visit and its links, a therapy
  session, a vet and a reservation), or junk (huge and negative numbers,
  non-ASCII, a NUL byte, ``%00``, very long strings);
- fields (query string, form, multipart, JSON-RPC params): the route's own
  parameter names (``inspect.signature`` of the endpoint, the names its code
  reads, the names of the clinic's forms) and junk names, with values of
  every kind: valid ones, text with NUL bytes, control characters, a
  right-to-left override, non-ASCII, 100 KB strings, numbers, lists,
  objects, files where text is expected;
- the CSRF token of POST forms: a valid one of the same session, another
  session's, none, non-ASCII, a file, a NUL byte, 100 KB;
- cookies: the persona's own, none, a garbage ``session_id``, a malformed
  ``dgid`` guest cookie (``abc|def``, a non-ASCII token, a huge id);
- JSON-RPC bodies: a valid envelope, ``params`` that is not an object, a list
  body, JSON nested 100,000 levels deep, invalid JSON, a form;
- as an anonymous visitor, a stranger with a real guest cookie (a walk-in
  checked in for real), a logged-in pro (demo smith) and a logged-in patient.

Every known class of the hardening issue (a field sent as a file, a file or
a non-ASCII CSRF token, a NUL byte in a field and in the path, a malformed
guest cookie, JSON-RPC params that are not an object, deep JSON) is an
explicit example of every route it applies to, before the generated ones.

Then: no answer is a server error (HTTP 5xx, a JSON-RPC error naming another
exception than a refusal, a traceback in a page); the known classes get a
clean 400 or 404 (a JSON answer on JSON routes); no refused request (4xx, a
JSON-RPC error or a refusal result) created a row in the clinic's tables
(counted before and after each request); and the server logged no error or
traceback during the run.

While developing: ``CLINIC_FUZZ_ROUTES=<regex>`` fuzzes only the routes whose
``"<methods> <url>"`` it finds (without the minimum count), and
``CLINIC_FUZZ_DEBUG=1`` prints every answer's status and plan (with ``-s``).
"""

import inspect
import json
import os
import re
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg2
import pytest
import requests
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st

import odoo
from odoo import api as odoo_api
from odoo import http as odoo_http
from odoo.fields import Command
from odoo.modules.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1"
# Generated requests per route and method, after the explicit examples.
EXAMPLES = 25
MIN_REQUESTS = 2000
TIMEOUT = 60
# Longer request lines (64 KB) are refused by Python's http.server before
# Odoo; Odoo's request handler then fails to send the 414 (its send_header
# reads headers not parsed yet) and drops the connection. A proxy refuses
# them first in production (nginx: 8 KB).
MAX_URL = 16_000
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CHECK_IN_KEY = re.compile(r'name="check_in_key" value="([^"]+)"')
# JSON-RPC errors that are refusals, not server errors.
REFUSALS = {
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.AccessError",
    "odoo.exceptions.AccessDenied",
    "odoo.exceptions.MissingError",
    "odoo.http.SessionExpiredException",
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.BadRequest",
    "werkzeug.exceptions.Forbidden",
    "werkzeug.exceptions.Gone",
    "werkzeug.exceptions.MethodNotAllowed",
    "werkzeug.exceptions.UnprocessableEntity",
    "werkzeug.exceptions.RequestEntityTooLarge",
}
# The clinic's tables (and Odoo's that its routes write): a refused request
# must not add a row to any of them.
TABLES = [
    "clinic_meeting",
    "clinic_meeting_participant",
    "clinic_lobby",
    "clinic_visit",
    "clinic_visit_participant",
    "clinic_visit_access_request",
    "clinic_visit_message",
    "clinic_visit_answer",
    "clinic_appointment",
    "clinic_therapy_action",
    "clinic_therapy_consent",
    "clinic_auth_sms_challenge",
    "clinic_audit_log",
    "mail_guest",
    "mail_mail",
    "sms_sms",
    "res_users",
    "res_partner",
    "calendar_event",
    "discuss_channel",
    "discuss_channel_member",
    "discuss_channel_rtc_session",
    "survey_user_input",
]
LOG_PROBLEM = re.compile(r"Traceback|\d ERROR ")
ENDING = re.compile(r"/(kill|leave|cancel|decide)$")

# ------------------------------------------------------------
# THE ROUTES, FROM ODOO'S ROUTING MAP
# ------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    url: str  # the rule, e.g. /lobby/<string:lobby_slug>/meeting/<int:meeting_id>
    methods: tuple  # ("GET",), ("POST",), ("GET", "POST"); () for any
    type: str  # http | jsonrpc
    auth: str
    csrf: bool  # Odoo checks the CSRF token of a POST itself
    path_params: tuple  # ((name, converter), ...)
    names: tuple  # the route's own field names
    takes_csrf: bool  # the endpoint takes csrf_token (and checks it itself)

    @property
    def key(self):
        return f"{'|'.join(self.methods) or '*'} {self.url}"


def db_name():
    return odoo.tools.config["db_name"][0]


def form_names():
    """The names of every input, select and textarea of the clinic's pages
    and components (the fields their forms really send)."""
    names = set()
    pattern = re.compile(r"<(?:input|select|textarea)\b[^>]*?\bname=\"([A-Za-z_]\w*)\"", re.DOTALL)
    for template in ROOT.glob("addons/clinic_*/**/*.xml"):
        names.update(pattern.findall(template.read_text(encoding="utf-8")))
    return sorted(names)


def endpoint_names(endpoint, path_names):
    """The field names of an endpoint: its signature, and the names its code
    reads from the request (``kwargs.get("x")``, ``files.getlist("x")``, a
    module's tuple of field names it uses)."""
    function = inspect.unwrap(endpoint)
    names = [
        name
        for name, parameter in inspect.signature(endpoint).parameters.items()
        if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
        and name not in path_names
    ]
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = ""
    names += re.findall(r"\.get(?:list)?\(\s*[\"'](\w+)[\"']", source)
    module_globals = getattr(inspect.getmodule(function), "__dict__", {})
    for identifier in set(re.findall(r"\b([A-Z][A-Z_]+)\b", source)):
        value = module_globals.get(identifier)
        if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
            names += list(value)
    return tuple(dict.fromkeys(n for n in names if n not in ("self", "csrf_token")))


def clinic_routes():
    """Every route whose endpoint is written in a clinic module, but the
    partner API's, as Odoo builds its routing map for the installed modules."""
    registry = Registry(db_name())
    with registry.cursor() as cr:
        converters = odoo_api.Environment(cr, odoo_api.SUPERUSER_ID, {})[
            "ir.http"
        ]._get_converters()
    modules = sorted(registry._init_modules | set(odoo.tools.config["server_wide_modules"]))
    routes = []
    for url, endpoint in odoo_http._generate_routing_rules(modules, False, converters):
        if not re.match(r"odoo\.addons\.clinic_\w+\.", endpoint.__module__ or ""):
            continue
        if url == API or url.startswith(API + "/"):
            continue
        routing = endpoint.routing
        path_params = tuple(re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", url))
        path_params = tuple((name, converter or "default") for converter, name in path_params)
        path_names = {name for name, _converter in path_params}
        parameters = inspect.signature(endpoint).parameters
        routes.append(
            Route(
                url=url,
                methods=tuple(sorted(routing["methods"] or ())),
                type=routing["type"],
                auth=routing["auth"],
                csrf=routing.get("csrf", True),
                path_params=path_params,
                names=endpoint_names(endpoint, path_names),
                takes_csrf="csrf_token" in parameters,
            )
        )
    # The routes that end what others aim at (a visit destroyed, a meeting
    # left, a device let in) last, so that the others find it alive.
    return sorted(routes, key=lambda route: (bool(ENDING.search(route.url)), route.key))


# ------------------------------------------------------------
# VALUES
# ------------------------------------------------------------


@dataclass(frozen=True)
class File:
    """A file upload (multipart) where the route may expect text."""

    filename: str
    content: bytes
    mimetype: str


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
FILES = [
    File("name.txt", b"Ann Lee", "text/plain"),
    File("x.bin", b"\x00\x01\xff" * 20, "application/octet-stream"),
    File("photo.png", PNG, "image/png"),
    File("évil\x00.png", b"not a png", "image/png"),
    File("", b"", "application/octet-stream"),
]
NUL = "Ann\x00Lee"
JUNK_TEXT = [
    "",
    " ",
    "\x00",
    NUL,
    "\x01\x02\x07\x1b[31m",
    "Ann\r\nSet-Cookie: x=1",
    "\u202eeeL nnA",
    "\u2067Ann\u2069 \u200f",
    "é€😀 名前 اسم",
    "x" * 100_000,
    "é" * 50_000,
    "%00",
    "%",
    "'; DROP TABLE clinic_meeting; --",
    '"',
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "null",
    "NaN",
    "-1",
    "0",
    "1e308",
    "99999999999999999999",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-12-01T25:61Z",
    "9999-12-31T23:59Z",
    "true",
    "{}",
    "[]",
]
JUNK_NAMES = ["x", "é", "\x00", "a" * 300, "context", "id", "params", "jsonrpc", "0", "__proto__"]
JUNK_PATH = {
    "int": [
        "99999999999999999999",
        "2147483648",
        "-1",
        "0",
        "1.5",
        "abc",
        "\x00",
        "1\x00",
        "%00",
        "é",
        "9" * 5000,
    ],
    "default": [
        "\x00",
        "a\x00b",
        "%00",
        "é€😀",
        "\u202e",
        "x" * 5000,
        "..",
        " ",
        "99999999999999999999",
        "-1",
        "a|b",
        "'",
    ],
}
JUNK_PATH["string"] = JUNK_PATH["default"]
SCALARS = st.one_of(
    st.sampled_from(JUNK_TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
JSON_VALUES = st.recursive(
    st.one_of(SCALARS, st.just("\ud800 lone surrogate")),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
FORM_VALUES = st.one_of(
    SCALARS,
    st.lists(st.one_of(st.sampled_from(JUNK_TEXT), st.text(max_size=20)), max_size=3),
    st.sampled_from(FILES),
)

# ------------------------------------------------------------
# A REQUEST PLAN, AND SENDING IT
# ------------------------------------------------------------

# Half the forms have a valid token and two thirds of the requests the
# persona's own cookies, so that many reach the routes' own code.
CSRF_CHOICES = ["valid"] * 7 + ["missing", "non_ascii", "non_ascii_hmac", "file", "nul", "huge",
                                "other_session"]  # fmt: skip
COOKIE_CHOICES = ["keep"] * 16 + ["none", "garbage_session", "dgid_abc", "dgid_non_ascii",
                  "dgid_real_non_ascii", "dgid_huge", "dgid_nul", "dgid_empty"]  # fmt: skip
MALFORMED_DGID = {"dgid_abc", "dgid_non_ascii", "dgid_real_non_ascii", "dgid_huge", "dgid_nul"}
RPC_BODIES = ["envelope"] * 8 + ["params_list", "params_string", "params_null", "params_number",
              "list_body", "string_body", "deep", "deep_params", "invalid_json", "empty",
              "form", "no_params"]  # fmt: skip
BAD_ENVELOPES = {"params_list", "params_string", "params_number", "list_body", "string_body",
                 "deep", "deep_params", "invalid_json", "empty"}  # fmt: skip
DEEP = 100_000


@dataclass(frozen=True)
class Plan:
    persona: str  # anonymous | stranger | pro | patient
    method: str
    path: tuple  # ((name, raw value), ...)
    fields: tuple  # ((name, value), ...)
    csrf: str = "valid"  # see CSRF_CHOICES (POST http routes)
    cookies: str = "keep"  # see COOKIE_CHOICES
    body: str = "auto"  # auto | form | multipart; for jsonrpc, see RPC_BODIES
    label: str = ""  # the known class of an explicit example


def build_path(route, path):
    values = dict(path)

    def replace(match):
        return quote(str(values[match[2]]), safe="")

    path = re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", replace, route.url)
    return path if route.path_params else path + values.get("__suffix__", "")


def form_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def cookie_header(world, persona, choice):
    cookies = dict(world.personas[persona]["cookies"])
    if choice == "none":
        cookies = {}
    elif choice == "garbage_session":
        cookies["session_id"] = "garbage-é-" + "x" * 60
    elif choice.startswith("dgid_"):
        cookies["dgid"] = {
            "dgid_abc": "abc|def",
            "dgid_non_ascii": "1|é€😀",
            "dgid_real_non_ascii": f"{world.guest_id}|{'é' * 20}",
            "dgid_huge": "99999999999999999999|abc",
            "dgid_nul": f"{world.guest_id}|\x00",
            "dgid_empty": "|",
        }[choice]
    return "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()


def csrf_value(world, persona, choice):
    return {
        "valid": world.personas[persona]["csrf"],
        "missing": None,
        "non_ascii": "é€😀",
        # the shape of a token (an HMAC, "o", a time to come) with non-ASCII
        # where the HMAC goes: Odoo's validate_csrf compares it with consteq
        "non_ascii_hmac": "é" * 40 + "o" + str(int(time.time()) + 86_400),
        "file": File("csrf.txt", world.personas[persona]["csrf"].encode(), "text/plain"),
        "nul": "\x00" + world.personas[persona]["csrf"],
        "huge": "a" * 100_000,
        "other_session": world.personas["pro" if persona != "pro" else "patient"]["csrf"],
    }[choice]


def rpc_body(plan, params):
    envelope = {"jsonrpc": "2.0", "method": "call", "id": 7, "params": params}
    if plan.body in ("envelope", "auto"):
        return json.dumps(envelope).encode(), "application/json"
    if plan.body == "no_params":
        envelope.pop("params")
        return json.dumps(envelope).encode(), "application/json"
    if plan.body.startswith("params_"):
        envelope["params"] = {
            "params_list": list(params.items()) or [1, 2],
            "params_string": "abc",
            "params_null": None,
            "params_number": 42,
        }[plan.body]
        return json.dumps(envelope).encode(), "application/json"
    if plan.body == "list_body":
        return json.dumps([envelope]).encode(), "application/json"
    if plan.body == "string_body":
        return b'"call"', "application/json"
    if plan.body == "deep":
        return b"[" * DEEP + b"]" * DEEP, "application/json"
    if plan.body == "deep_params":
        head = b'{"jsonrpc": "2.0", "method": "call", "id": 7, "params": {"x": '
        return head + b"[" * DEEP + b"]" * DEEP + b"}}", "application/json"
    if plan.body == "invalid_json":
        return b'{"jsonrpc": "2.0", "params": {"a": ', "application/json"
    if plan.body == "empty":
        return b"", "application/json"
    assert plan.body == "form", plan.body
    return urlencode({k: form_value(v) for k, v in params.items()}).encode(), (
        "application/x-www-form-urlencoded"
    )


def send(http, world, route, plan):
    """Send ``plan`` to the server; return the response."""
    url = world.base + build_path(route, plan.path)
    headers = {"Cookie": cookie_header(world, plan.persona, plan.cookies)}
    if route.type == "jsonrpc" and plan.method == "POST":
        params = {}
        for name, value in plan.fields:
            params[name] = value.content.decode("latin-1") if isinstance(value, File) else value
        body, content_type = rpc_body(plan, params)
        headers["Content-Type"] = content_type
        return http.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    fields = list(plan.fields)
    if plan.method == "POST" and route.type == "http":
        token = csrf_value(world, plan.persona, plan.csrf)
        if token is not None:
            fields.append(("csrf_token", token))
    data, files = [], []
    for name, value in fields:
        if isinstance(value, File):
            files.append((name, (value.filename, value.content, value.mimetype)))
        elif isinstance(value, list):
            data.extend((name, form_value(v)) for v in value)
        else:
            data.append((name, form_value(value)))
    if plan.method in ("GET", "HEAD", "DELETE"):
        # a file in a query string: its content as text
        data += [(name, f[1].decode("latin-1")) for name, f in files]
        # A request line over 64 KB never reaches Odoo (see MAX_URL).
        url = (url + "?" + urlencode(data) if data else url)[:MAX_URL]
        return http.request(
            plan.method,
            url,
            headers=headers,
            timeout=TIMEOUT,
            allow_redirects=False,
        )
    if plan.body == "multipart" and not files:
        files = [("__multipart__", ("", b"", "text/plain"))]
    return http.request(
        plan.method,
        url,
        data=data,
        files=files or None,
        headers=headers,
        timeout=TIMEOUT,
        allow_redirects=False,
    )


# ------------------------------------------------------------
# STRATEGIES
# ------------------------------------------------------------


def path_candidates(world, route):
    """The valid path arguments of the route: each a dict of all its params."""
    names = [name for name, _converter in route.path_params]
    found = [
        {name: combo[name] for name in names}
        for pattern, combo in world.paths
        if re.match(pattern, route.url) and all(name in combo for name in names)
    ]
    return found or [dict.fromkeys(names, 1)]


def value_for(world, name):
    valid = world.valid.get(name)
    choices = [FORM_VALUES, FORM_VALUES]
    if valid:
        choices += [st.sampled_from(valid)] * 3
    return st.one_of(*choices)


def plan_strategy(world, route, method, all_names):
    own = list(route.names)
    personas = ["anonymous", "stranger", "stranger", "pro", "patient"]
    if route.auth == "user":
        personas = ["anonymous", "stranger", "pro", "pro", "patient", "patient"]
    candidates = path_candidates(world, route)

    @st.composite
    def plans(draw):
        persona = draw(st.sampled_from(personas))
        combo = draw(st.sampled_from(candidates))
        path = []
        for name, converter in route.path_params:
            if draw(st.integers(0, 4)) == 0:
                path.append(
                    (name, draw(st.sampled_from(JUNK_PATH.get(converter, JUNK_PATH["default"]))))
                )
            else:
                path.append((name, combo[name]))
        if not route.path_params and draw(st.integers(0, 5)) == 0:
            path.append(("__suffix__", draw(st.sampled_from(["/%00", "%00", "/x", "/é"]))))
        name_pool = own * 3 + JUNK_NAMES + all_names if own else JUNK_NAMES + all_names
        fields = []
        mode = draw(st.sampled_from(["random", "random", "one wrong", "valid"]))
        if own and mode != "random":
            # the route's own fields, valid where we know how, maybe one wrong
            for name in own:
                valid = world.valid.get(name)
                fields.append((name, draw(st.sampled_from(valid)) if valid else "x"))
            if mode == "one wrong":
                wrong = draw(st.integers(0, len(fields) - 1))
                fields[wrong] = (fields[wrong][0], draw(FORM_VALUES))
        for _ in range(draw(st.integers(0, 4))):
            name = draw(st.one_of(st.sampled_from(name_pool), st.text(max_size=12)))
            value = draw(JSON_VALUES if route.type == "jsonrpc" else value_for(world, name))
            fields.append((name, value))
        kwargs = {"cookies": draw(st.sampled_from(COOKIE_CHOICES))}
        if route.type == "jsonrpc":
            kwargs["body"] = draw(st.sampled_from(RPC_BODIES))
        elif method == "POST":
            kwargs["csrf"] = draw(st.sampled_from(CSRF_CHOICES))
            kwargs["body"] = draw(st.sampled_from(["form", "multipart"]))
        return Plan(persona, method, tuple(path), tuple(fields), **kwargs)

    return plans()


def explicit_plans(world, route, method):
    """The known classes of the hardening issue, on this route."""
    if route.auth == "user":
        persona = "patient" if re.match(r"/my/(therapy|vet)|/vets", route.url) else "pro"
    else:
        persona = "stranger"
    path = tuple(path_candidates(world, route)[0].items())
    own = route.names or ("name",)

    def valid(name):
        return (world.valid.get(name) or ["x"])[0]

    base = tuple((name, valid(name)) for name in own)
    plans = []

    def add(label, **kwargs):
        values = {"persona": persona, "method": method, "path": path, "fields": base, **kwargs}
        plans.append(Plan(label=label, **values))

    # %00 in the path: a string parameter, after an id, or after the path
    strings = [name for name, converter in route.path_params if converter != "int"]
    if route.path_params:
        target = strings[0] if strings else route.path_params[0][0]
        nul = {target: "\x00" if target in strings else f"{dict(path)[target]}\x00"}
        # after an id, the path no longer matches the route: Odoo's own 404
        label = "nul-in-path" if strings else "nul-in-path-unmatched"
        add(label, path=tuple((n, nul.get(n, v)) for n, v in path))
    else:
        add("nul-in-path-unmatched", path=(("__suffix__", "%00"),))
    add("dgid-abc", cookies="dgid_abc")
    add("dgid-non-ascii", cookies="dgid_real_non_ascii")
    add("garbage-session", cookies="garbage_session")
    # the fields as a visitor without a meeting (a waiting stranger's check-in
    # finds their meeting before reading the form)
    fields_persona = "anonymous" if persona == "stranger" else persona
    add("nul-in-field", fields=tuple((name, NUL) for name in own), persona=fields_persona)
    if route.type == "jsonrpc":
        for body in ("params_list", "params_string", "list_body", "deep", "deep_params",
                     "invalid_json"):  # fmt: skip
            add(f"rpc-{body}", body=body)
    elif method == "POST":
        add(
            "field-as-file",
            fields=tuple((name, FILES[0]) for name in own),
            body="multipart",
            persona=fields_persona,
        )
        add("csrf-non-ascii", csrf="non_ascii_hmac")
        add("csrf-file", csrf="file", body="multipart")
    return plans


# ------------------------------------------------------------
# VERDICTS
# ------------------------------------------------------------


def is_json(response):
    return response.headers.get("Content-Type", "").startswith("application/json")


def judge(route, plan, response):
    """``(problems, refused)`` for one answer."""
    problems, refused = [], 400 <= response.status_code < 500
    if response.status_code >= 500:
        problems.append(f"HTTP {response.status_code}")
    body = None
    if is_json(response):
        try:
            body = response.json()
        except ValueError:
            problems.append("invalid JSON answer")
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        refused = True
        name = (body["error"].get("data") or {}).get("name")
        if name and name not in REFUSALS:
            problems.append(f"JSON-RPC error {name}: {body['error']['data'].get('message')!r:.200}")
    elif isinstance(body, dict) and isinstance(body.get("result"), dict):
        result = body["result"]
        refused = refused or bool(result.get("error")) or result.get("result") == "error"
    elif isinstance(body, dict) and body.get("error"):
        refused = True
    elif "Traceback (most recent call last)" in response.text:
        problems.append("a traceback in the answer")
    # The known classes: a clean refusal (400 or 404; JSON on JSON routes).
    label = plan.label
    envelope = label.startswith("rpc-")
    csrf = label.startswith("csrf-") and (route.csrf or route.takes_csrf)
    if label.startswith("nul-in-path") or envelope or csrf:
        expected = (404, 400) if label.startswith("nul-in-path") else (400,)
        error = body.get("error") if isinstance(body, dict) else None
        # JSON-RPC answers Odoo's own 404 with HTTP 200 and a NotFound error
        rpc_not_found = isinstance(error, dict) and (error.get("data") or {}).get("name") in (
            "werkzeug.exceptions.NotFound",
            "werkzeug.exceptions.BadRequest",
        )
        if response.status_code not in expected and not rpc_not_found:
            problems.append(f"{label}: HTTP {response.status_code}, expected {expected}")
        if route.type == "jsonrpc" and label != "nul-in-path-unmatched" and not is_json(response):
            problems.append(f"{label}: not a JSON answer")
    return problems, refused


# ------------------------------------------------------------
# THE WORLD
# ------------------------------------------------------------


class World:
    pass


def committed_env():
    registry = Registry(db_name())

    class Context:
        def __enter__(self):
            self.cr = registry.cursor()
            return odoo_api.Environment(self.cr, odoo_api.SUPERUSER_ID, {})

        def __exit__(self, kind, value, traceback):
            if kind is None:
                self.cr.commit()
            self.cr.close()

    return Context()


def count_rows():
    with Registry(db_name()).cursor() as cr:
        cr.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t})" for t in TABLES))
        return dict(zip(TABLES, cr.fetchone(), strict=True))


def around_the_clock(env, name, pros):
    calendar = env["resource.calendar"].create(
        {
            "name": f"Fuzz hours {name}",
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
            "name": f"Fuzz consultation {name}",
            "slug": f"fuzz-{name}",
            "resource_calendar_id": calendar.id,
            "min_notice_hours": 0,
            "max_days_ahead": 30,
            "pro_ids": [Command.set(pros.ids)],
        }
    )


def log_in(base, login):
    session = requests.Session()
    csrf = CSRF.search(session.get(f"{base}/web/login", timeout=TIMEOUT).text)[1]
    response = session.post(
        f"{base}/web/login",
        data={"login": login, "password": login, "csrf_token": csrf},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, f"{login} could not log in"
    return session


@pytest.fixture(scope="module")
def world(odoo_server):  # noqa: PLR0915
    """Records to aim at, and the four personas' cookies and CSRF tokens."""
    w = World()
    w.base = odoo_server
    u = f"{zlib.crc32(str(time.time()).encode()):08x}"
    now = odoo.fields.Datetime.now()
    with committed_env() as env:
        w.max_ids = {}
        for table in ("clinic_meeting", "clinic_visit", "clinic_appointment",
                      "clinic_auth_sms_challenge", "sms_sms", "mail_mail"):  # fmt: skip
            env.cr.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            w.max_ids[table] = env.cr.fetchone()[0]
        Users = env["res.users"].with_context(no_reset_password=True)

        def user(login, name):
            return Users.create(
                {
                    "name": name,
                    "login": login,
                    "password": login,
                    "email": f"{login}@example.com",
                    "group_ids": [Command.set([env.ref("base.group_portal").id])],
                }
            )

        smith = env["clinic.pro"].search([("user_id.login", "=", "smith")])
        assert smith, "the demo pro smith"
        patient = user(f"fuzz-patient-{u}", f"Pat Fuzzmann{u}")
        phone = f"+3247{int(u, 16) % 10_000_000:07d}"
        patient.partner_id.write({"is_clinic_patient": True, "phone": phone})
        w.patient_login = patient.login
        Pro = env["clinic.pro"]
        helper = Pro.create({"name": f"Dr Helper {u}", "user_id": user(f"fuzz-h-{u}", "H").id})
        vet_pro = Pro.create({"name": f"Dr Vet {u}", "user_id": user(f"fuzz-v-{u}", "V").id})

        lobby = env["clinic.lobby"].create(
            {"name": f"Fuzz lobby {u}", "slug": f"fuzz-{u}", "pro_ids": smith.ids}
        )
        other_meeting = lobby._check_in("Otto Other", "1970-01-01")[0]
        w.lobby = lobby.id
        w.entry_token = other_meeting._api_new_entry_link().rsplit("/", 1)[1]

        # Appointments: bookable with a pro of the fuzz's own (smith's days
        # stay free for the other tests); one of smith's, far away.
        book_type = around_the_clock(env, u, helper)
        tomorrow = (now + timedelta(days=1)).date()
        starts = [
            slot["start"].strftime("%Y-%m-%dT%H:%MZ")
            for slot in book_type._get_slots(tomorrow)
            if slot["state"] == "free"
        ]
        Appointment = env["clinic.appointment"]

        def appointment(type_, pro, start, **values):
            return Appointment.create(
                {
                    "type_id": type_.id,
                    "pro_id": pro.id,
                    "patient_name": "Anna Fuzz",
                    "email": "anna@example.com",
                    "start": start,
                    "stop": start + timedelta(minutes=30),
                    **values,
                }
            )

        soon = appointment(book_type, helper, now + timedelta(minutes=5))
        soon._get_or_create_meeting()
        far = datetime.combine(now.date() + timedelta(days=25), datetime.min.time())
        for half_hours in range(48 * 4):  # a time when smith is free
            try:
                with env.cr.savepoint():
                    smiths = appointment(book_type, smith, far + timedelta(minutes=30 * half_hours))
                break
            except psycopg2.errors.ExclusionViolation:
                continue
        w.smith_appointment = smiths.id

        # A visit of smith's (its patient's link bound to the stranger below)
        visit, errors = env["clinic.visit"]._create_for_pro(
            smith, {"name": "Vera Fuzz", "email": "v@example.com", "companion_name": "Bo"}
        )
        assert not errors, errors
        links = {p.role: p for p in visit.participant_ids}
        visit._add_documents(links["pro"], [("note.txt", "text/plain", b"Take care")])
        message = visit.message_ids.filtered("file_size")
        access = env["clinic.visit.access.request"].create(
            {
                "participant_id": links["patient"].id,
                "guest_id": env["mail.guest"].create({"name": "D"}).id,
            }
        )
        questions = env["clinic.visit.question"].search([], limit=4)

        # Therapy: smith leads the patient's session
        session = env["clinic.therapy.session"].create(
            {
                "name": f"Fuzz group {u}",
                "start": now - timedelta(minutes=5),
                "duration": 120,
                "therapist_ids": smith.ids,
                "patient_ids": patient.partner_id.ids,
            }
        )
        assessment = env["clinic.therapy.assessment"].create(
            {
                "session_id": session.id,
                "survey_id": env.ref("clinic_therapy.survey_location").id,
                "timing": "before",
            }
        )
        # A vet (far from the demo's) and the patient's reservation
        vet_type = around_the_clock(env, f"vet-{u}", vet_pro)
        vet = env["clinic.vet"].create(
            {
                "pro_id": vet_pro.id,
                "slug": f"fuzz-vet-{u}",
                "location": "Ushuaia",
                "latitude": -54.8,
                "longitude": -68.3,
                "appointment_type_id": vet_type.id,
            }
        )
        reservation = appointment(
            vet_type,
            vet_pro,
            now - timedelta(minutes=3),
            vet_id=vet.id,
            partner_id=patient.partner_id.id,
            pet_name="Rex",
            pet_species="dog",
            pet_problem="Itches.",
        )
        vet_starts = [
            slot["start"].strftime("%Y-%m-%dT%H:%MZ")
            for slot in vet_type._get_slots(tomorrow)
            if slot["state"] == "free"
        ]
        w.cleanup = {"lobby": lobby.id, "smith": smith.id}
        ids = {
            "other_meeting": other_meeting.id,
            "soon_meeting": soon.meeting_id.id,
            "soon_token": soon.access_token,
            "smiths": smiths.id,
            "smiths_token": smiths.access_token,
            "book_slug": book_type.slug,
            "visit": visit.id,
            "visit_token": visit.token,
            "links": {role: (p.id, p.token) for role, p in links.items()},
            "message": message.id or 1,
            "access": access.id,
            "session": session.id,
            "assessment": assessment.id,
            "vet_slug": vet.slug,
            "reservation": reservation.id,
            "questions": questions.ids,
        }

    # The stranger checks in for real: their guest cookie is their identity.
    stranger = requests.Session()
    page = stranger.get(f"{odoo_server}/lobby/fuzz-{u}", timeout=TIMEOUT).text
    response = stranger.post(
        f"{odoo_server}/lobby/fuzz-{u}/check-in",
        data={"name": "Mona Fuzz", "birthdate": "1985-04-12", "csrf_token": CSRF.search(page)[1]},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code == 303, response.text[:300]
    meeting_id = int(response.headers["Location"].rsplit("/", 1)[1])
    slug = f"fuzz-{u}"
    with committed_env() as env:
        guest = env["clinic.meeting"].browse(meeting_id).patient_participant_id.guest_id
        w.guest_id = guest.id
        env["clinic.visit.participant"].browse(ids["links"]["patient"][0]).write(
            {"guest_id": guest.id, "bound_at": now}
        )
        w.paths = [
            (r"/lobby/", {"lobby_slug": slug, "meeting_id": meeting_id, "token": w.entry_token}),
            (r"/lobby/", {"lobby_slug": slug, "meeting_id": ids["other_meeting"], "token": "x"}),
            (r"/clinic/meeting/", {"meeting_id": meeting_id}),
            (r"/clinic/meeting/", {"meeting_id": ids["soon_meeting"]}),
            (r"/appointment/", {"type_slug": ids["book_slug"], "token": ids["soon_token"]}),
            (r"/appointment/", {"type_slug": ids["book_slug"], "token": ids["smiths_token"]}),
            *[
                (
                    r"/visit/",
                    {
                        "visit_token": ids["visit_token"],
                        "participant_token": token,
                        "message_id": ids["message"],
                        "request_id": ids["access"],
                    },
                )
                for _id, token in ids["links"].values()
            ],
            (r"/my/clinic/meeting/", {"meeting_id": meeting_id}),
            (r"/my/clinic/meeting/", {"meeting_id": ids["other_meeting"]}),
            (r"/my/clinic/appointment/", {"appointment_id": ids["smiths"]}),
            (r"/my/clinic/visit/", {"visit_id": ids["visit"], "request_id": ids["access"]}),
            (
                r"/(my|clinic)/therapy/",
                {"session_id": ids["session"], "assessment_id": ids["assessment"]},
            ),
            (r"/vets/", {"slug": ids["vet_slug"]}),
            (r"/my/vet/", {"reservation_id": ids["reservation"]}),
        ]
    day = tomorrow.isoformat()
    w.valid = {
        "name": ["Ann Lee", "José Álvarez-Núñez"],
        "birthdate": ["1980-05-04", "2001-12-31"],
        "start": (starts[:3] + vet_starts[:3]) or ["2026-12-01T10:00Z"],
        "email": ["ann.lee@example.com"],
        "comment": ["Hello"],
        "booking_key": ["fuzz-key"],
        "date": [day],
        "day": [day],
        "week": [day],
        "phone": [phone],
        "last_name": [f"Fuzzmann{u}"],
        "code": ["123456"],
        "redirect": ["/my", "//evil.example.com", "javascript:alert(1)"],
        "q": ["Ushuaia", "Dr"],
        "lat": ["-54.8"],
        "lon": ["-68.3"],
        "question_id": ids["questions"],
        "value": ["Fine", 37.5, True],
        "accept": [True, False],
        "body": ["Hello doctor"],
        "session_id": [1],
        "take_over": [True],
        "participant_id": [pid for pid, _token in ids["links"].values()],
        "channel": ["email", "sms"],
        "last_action_id": [0],
        "payloads": [[{"type": "message", "client_id": "fuzz-1", "body": "Hi"}]],
        "consented": [True],
        "open": [True, False],
        "reason": ["Sick"],
        "new": ["1"],
        "request_id": [ids["access"]],
        "companion_name": ["Bo"],
        "end_date": [(now + timedelta(days=3)).date().isoformat()],
        "pet_name": ["Rex"],
        "pet_species": ["dog", "cat"],
        "pet_problem": ["Itches"],
        "photo": [FILES[2]],
        "files": [FILES[0], FILES[2]],
    }
    # The personas: cookies, and a CSRF token of their own session (the
    # check-in form has it, and the stranger's check-in key).
    sessions = {
        "anonymous": requests.Session(),
        "stranger": stranger,
        "pro": log_in(odoo_server, "smith"),
        "patient": log_in(odoo_server, w.patient_login),
    }
    w.personas = {}
    keys = []
    for persona, session in sessions.items():
        page = session.get(f"{odoo_server}/lobby/fuzz-{u}", timeout=TIMEOUT).text
        csrf = CSRF.search(page)
        if not csrf:  # the stranger, already waiting, is sent to their meeting page
            page = session.get(f"{odoo_server}/web/login", timeout=TIMEOUT).text
            csrf = CSRF.search(page)
        keys += CHECK_IN_KEY.findall(page)
        w.personas[persona] = {"cookies": session.cookies.get_dict(), "csrf": csrf[1]}
        assert "session_id" in w.personas[persona]["cookies"], persona
    assert "dgid" in w.personas["stranger"]["cookies"]
    w.valid["check_in_key"] = keys or ["nokey"]
    yield w
    cleanup(w)


def cleanup(w):
    """Leave the demo as the other tests expect it: smith in no meeting, no
    queue, visit or appointment of the fuzz's on his dashboard, no SMS
    challenge of the fuzz counting against this address."""
    for attempt in range(5):
        try:
            with committed_env() as env:
                smith = env["clinic.pro"].browse(w.cleanup["smith"])
                if participation := smith._get_current_participation():
                    participation.meeting_id._leave_pro(smith)
                lobby = env["clinic.lobby"].browse(w.cleanup["lobby"])
                waiting = env["clinic.meeting"].search(
                    [("lobby_id", "=", lobby.id), ("state", "in", ("waiting", "in_progress"))]
                )
                for meeting in waiting:
                    for pro in meeting.participant_ids.pro_id:
                        meeting._leave_pro(pro)
                    if meeting.state == "waiting":
                        meeting._leave_patient()
                # archived, smith still its pro: his past meetings there stay
                # readable on his dashboard (the lobby's record rule)
                lobby.active = False
                visits = env["clinic.visit"].search(
                    [("id", ">", w.max_ids["clinic_visit"]), ("killed_at", "=", False)]
                )
                for visit in visits:
                    visit._kill()
                appointments = env["clinic.appointment"].search(
                    [("id", ">", w.max_ids["clinic_appointment"])]
                )
                appointments.calendar_event_id.unlink()
                appointments.write({"state": "cancelled"})
                for table in ("clinic_auth_sms_challenge", "sms_sms", "mail_mail"):
                    env.cr.execute(
                        f"DELETE FROM {table} WHERE id > %s",
                        [w.max_ids[table]],
                    )
            return
        except psycopg2.errors.SerializationFailure:
            time.sleep(0.5 * (attempt + 1))


# ------------------------------------------------------------
# THE TESTS
# ------------------------------------------------------------


def fuzz_route(route, method, strategy, explicit, run_one):
    """Run Hypothesis on one route and method: the explicit examples, then
    the generated ones, from a seed of its own (reproducible)."""

    @seed(zlib.crc32(f"{method} {route.url}".encode()))
    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(plan=strategy)
    def fuzz(plan):
        run_one(route, plan)

    for plan in explicit:
        fuzz = example(plan=plan)(fuzz)
    fuzz()


def test_routes_come_from_the_routing_map():
    """Every clinic route but the partner API's is fuzzed, found in Odoo's
    routing map (not listed by hand)."""
    routes = clinic_routes()
    urls = {route.url for route in routes}
    assert len(routes) >= 60, len(routes)
    assert "/lobby/<string:lobby_slug>/check-in" in urls
    assert "/my/clinic/meeting/<int:meeting_id>/join" in urls
    assert not any(url.startswith(API) for url in urls)
    check_in = next(r for r in routes if r.url == "/lobby/<string:lobby_slug>/check-in")
    assert {"name", "birthdate", "check_in_key"} <= set(check_in.names)
    assert check_in.takes_csrf and not check_in.csrf
    create = next(r for r in routes if r.url == "/my/clinic/visit/create")
    assert {"name", "phone", "email"} <= set(create.names)


REQUIRED_CLASSES = {
    "nul-in-path", "nul-in-path-unmatched", "dgid-abc", "dgid-non-ascii", "nul-in-field",
    "field-as-file", "csrf-non-ascii", "csrf-file", "rpc-params_list", "rpc-params_string",
    "rpc-list_body", "rpc-deep", "rpc-deep_params", "rpc-invalid_json",
}  # fmt: skip


class Run:
    """What the fuzz sent and found."""

    def __init__(self, world, server_log):
        self.world, self.server_log = world, server_log
        self.log_offset = server_log.stat().st_size
        self.http = requests.Session()
        self.problems = defaultdict(list)  # route key -> [(plan, problem)]
        self.grown = []  # (route key, plan, status, {table: +n})
        self.log_errors = []  # (route key, plan, lines)
        self.stats, self.statuses, self.classes = Counter(), Counter(), Counter()
        self.per_route = defaultdict(Counter)  # route key -> {status: n}

    def __call__(self, route, plan):
        """Send one request; judge the answer, the tables and the server log."""
        before = count_rows()
        try:
            response = send(self.http, self.world, route, plan)
        except requests.RequestException as e:
            self.problems[route.key].append((plan, f"no answer: {e!r:.200}"))
            return
        self.http.cookies.clear()
        found, refused = judge(route, plan, response)
        self.problems[route.key] += [(plan, problem) for problem in found]
        after = count_rows()
        growth = {t: after[t] - before[t] for t in TABLES if after[t] > before[t]}
        if refused and growth:
            self.grown.append((route.key, plan, response.status_code, growth))
        elif growth:
            self.stats["allowed requests that created rows"] += 1
        if lines := self.new_log_problems():
            self.log_errors.append((route.key, plan, lines))
        self.stats["requests"] += 1
        self.statuses[response.status_code // 100 * 100] += 1
        self.per_route[route.key][response.status_code] += 1
        if os.environ.get("CLINIC_FUZZ_DEBUG"):
            print(response.status_code, route.key, f"{plan!r:.300}")
        if plan.label:
            self.classes[plan.label] += 1
        if plan.cookies in MALFORMED_DGID:
            self.classes["generated-malformed-dgid"] += 1
        if any(isinstance(v, File) for _n, v in plan.fields):
            self.classes["generated-file-in-field"] += 1

    def new_log_problems(self):
        """The Traceback and ERROR lines the server logged since last time."""
        size = self.server_log.stat().st_size
        if size <= self.log_offset:
            return []
        with self.server_log.open(encoding="utf-8", errors="replace") as log:
            log.seek(self.log_offset)
            text = log.read()
        self.log_offset = size
        return [line for line in text.splitlines() if LOG_PROBLEM.search(line)]

    def report(self):
        lines = []
        for key, found in self.problems.items():
            lines += [f"{key}: {problem}\n    {plan!r:.600}" for plan, problem in found[:5]]
        for key, plan, status, growth in self.grown[:30]:
            lines.append(f"{key}: refused ({status}) but created rows {growth}\n    {plan!r:.600}")
        for key, plan, log_lines in self.log_errors[:30]:
            shown = "\n      ".join(line[:300] for line in log_lines[:6])
            lines.append(f"{key}: the server logged\n      {shown}\n    {plan!r:.600}")
        return lines


def test_fuzz_every_public_and_portal_route(world, odoo_server_log):
    routes = clinic_routes()
    # CLINIC_FUZZ_ROUTES=<regex>: only the routes it finds (while developing)
    only = os.environ.get("CLINIC_FUZZ_ROUTES")
    routes = [route for route in routes if not only or re.search(only, route.key)]
    all_names = form_names()
    run = Run(world, odoo_server_log)
    started = time.monotonic()
    for route in routes:
        methods = [m for m in route.methods if m in ("GET", "POST")] or (
            ["POST"] if route.type == "jsonrpc" else ["GET", "POST"]
        )
        for method in methods:
            strategy = plan_strategy(world, route, method, all_names)
            fuzz_route(route, method, strategy, explicit_plans(world, route, method), run)

    stats = run.stats
    summary = (
        f"{stats['requests']} requests to {len(routes)} routes in "
        f"{time.monotonic() - started:.0f} s ({stats['allowed requests that created rows']} "
        f"allowed ones created rows); answers by class: {dict(sorted(run.statuses.items()))}; "
        f"known classes: {dict(run.classes)}"
    )
    print(summary)
    for key, answers in sorted(run.per_route.items()):
        print(f"  {key}: {dict(sorted(answers.items()))}")
    report = run.report()
    assert not report, summary + "\n" + "\n".join(report)
    if only:
        return
    assert stats["requests"] >= MIN_REQUESTS, summary
    # the count sees what a request creates (check-ins, bookings, visits...)
    assert stats["allowed requests that created rows"] > 10, summary
    missing = REQUIRED_CLASSES - set(run.classes)
    assert not missing, f"known classes never sent: {missing}"
