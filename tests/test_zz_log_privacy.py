"""No personal data in the server logs (runs last: its name sorts last).

At the end of the run, every patient the database knows (the demo's and the
ones the tests made: walk-ins, visit participants, appointments, SMS-login
patients) is looked for in the logs of the server processes of the run: the
main test server's (``odoo_server_log``) and those that
``test_operations.py`` starts (at ``info``, what production logs) under the
run's ``odoo-server-logs`` folder. Names, phone numbers, emails, dates of
birth and SMS login codes must not appear.
"""

import contextlib
import logging
import re
import urllib.parse
from datetime import date, timedelta

import psycopg2

import odoo
from odoo import api
from odoo.modules.registry import Registry

LOG_FOLDER = "odoo-server-logs"  # test_operations.py writes its servers' logs there
# The demo's patients (addons/*/demo), in case a test erased them.
DEMO = {
    "name": ["Alex Martin", "Jane Doe", "Chloe Dubois", "Emma Wilson", "Liam Johnson"],
    "phone": ["+1 202-555-0143", "+1 202-555-0177", "+1 202-555-0198"],
    "email": ["jane.doe@example.com"],
    "birthdate": [date(1984, 3, 12)],
}
# the start of a log line: "2026-11-30 15:46:47,988 20007 "
LINE_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ ", re.MULTILINE)
# werkzeug's request time: "[30/Nov/2026 15:51:37]"
REQUEST_TIME = re.compile(r"\[\d\d/\w{3}/\d{4} \d\d:\d\d:\d\d\]")


# Words that fuzzing may have left as names, and that logs say for themselves.
GENERIC = {"null", "none", "true", "false", "undefined", "error", "warning", "info", "debug"}
GENERIC |= {"odoo", "werkzeug", "longpolling", "post", "http", "https", "html", "json"}


def _name_variants(name):
    name = " ".join(str(name or "").split())
    # too short or too generic to mean anything: "Max", "Sam", "A0", "null"
    if len(name) < 4 or sum(c.isalpha() for c in name) < 4 or name.lower() in GENERIC:
        return set()
    return {name, urllib.parse.quote(name), urllib.parse.quote_plus(name)}


def _phone_variants(phone):
    phone = str(phone or "").strip()
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return set()
    variants = {phone, digits, digits[-10:] if len(digits) > 10 else digits}
    if phone.startswith("+"):
        variants.add(f"+{digits}")
    return {v for v in variants if len(re.sub(r"\D", "", v)) >= 7}


def _date_variants(day):
    if not day or day > date.today() - timedelta(days=7):  # a date of this run
        return set()
    return {day.isoformat(), day.strftime("%m/%d/%Y"), day.strftime("%d/%m/%Y")}


def _records(env):
    """``(kind, value, where)`` for every patient's datum in the database."""
    for model, fields in (
        ("clinic.meeting.participant", ("name", "birthdate")),
        ("clinic.visit", ("name",)),
        ("clinic.visit.participant", ("name", "email", "phone")),
        ("clinic.appointment", ("patient_name", "email", "pet_name")),
        ("res.partner", ("name", "phone", "email")),
    ):
        if model not in env:
            continue
        Model = env[model].with_context(active_test=False)
        if model == "res.partner":
            if "is_clinic_patient" not in Model._fields:
                continue
            domain = [("is_clinic_patient", "=", True)]
        else:
            domain = [("role", "!=", "pro")] if "role" in Model._fields else []
        present = [f for f in fields if f in Model._fields]
        for row in Model.search_read(domain, present):
            for field in present:
                kind = field if field in ("birthdate", "email", "phone") else "name"
                yield kind, row[field], f"{model}({row['id']})"
    # Login codes are kept hashed; the SMS that carried one has it in clear.
    if "clinic.auth.sms.challenge" in env:
        challenges = env["clinic.auth.sms.challenge"].with_context(active_test=False)
        for challenge in challenges.search([("sms_id", "!=", False)]):
            for code in re.findall(r"(?<!\d)\d{6}(?!\d)", challenge.sms_id.body or ""):
                yield "code", code, f"clinic.auth.sms.challenge({challenge.id})"
    for kind, values in DEMO.items():
        for value in values:
            yield kind, value, "demo"


VARIANTS = {
    "name": _name_variants,
    "phone": _phone_variants,
    "birthdate": _date_variants,
    "email": lambda email: {email.strip()} if email and "@" in email else set(),
    "code": lambda code: {code},
}


def _personal_data(env):
    """What the database knows of patients: ``{kind: {string: where}}``."""
    found = {kind: {} for kind in VARIANTS}
    for kind, value, where in _records(env):
        for variant in VARIANTS[kind](value):
            found[kind].setdefault(variant, where)
    return found


def _pattern(kind, string):
    if kind == "name":  # a whole word: "Coco" is not in "PsycoConnection"
        return re.compile(rf"(?<!\w){re.escape(string)}(?!\w)", re.IGNORECASE)
    if kind == "email":
        return re.compile(re.escape(string), re.IGNORECASE)
    return re.compile(rf"(?<!\d){re.escape(string)}(?!\d)")  # phone, date, code


def _leaks(logs, found):
    """Where the strings of ``found`` appear in ``logs`` (``{path: text}``)."""
    leaks = []
    for kind, strings in found.items():
        for string, where in strings.items():
            pattern = _pattern(kind, string)
            for path, text in logs.items():
                if match := pattern.search(text):
                    line_start = text.rfind("\n", 0, match.start()) + 1
                    line = text[line_start : text.find("\n", match.start())][:300]
                    leaks.append(f"{kind} of {where} in {path.name}: {line}")
    return sorted(leaks)


def _logs(odoo_server_log, folder):
    """The server logs of the run, without their timestamps."""
    paths = [odoo_server_log, *sorted(folder.glob("*.log"))]
    return {
        path: REQUEST_TIME.sub("[]", LINE_START.sub("", path.read_text(errors="replace")))
        for path in paths
        if path.exists()
    }


def test_the_search_finds_what_it_looks_for(tmp_path):
    log = tmp_path / "server.log"
    log.write_text(
        "2026-11-30 15:46:47,988 20007 INFO db odoo.addons.x: checked in Emma Wilson\n"
        "2026-11-30 15:46:48,001 20007 INFO db werkzeug: 127.0.0.1 - - [30/Nov/2026 15:46:48] "
        '"GET /x?phone=%2B12025550143&name=Jane+Doe HTTP/1.1" 200 - 3 0.001 0.002\n'
        "2026-11-30 15:46:49,001 20007 INFO db odoo.addons.y: born 1984-03-12, code 123456\n"
        "2026-11-30 15:46:49,001 1234567 INFO db odoo.addons.z: pid 1234567\n"
        "    self._cnx: PsycoConnection = pool.borrow(dsn)\n"
    )
    found = {kind: {} for kind in VARIANTS}
    for kind, values in DEMO.items():
        for value in values:
            found[kind].update(dict.fromkeys(VARIANTS[kind](value), "demo"))
    found["code"] = {"123456": "a code", "234567": "a pid"}  # a code is 6 digits, not 7
    found["birthdate"]["2026-11-30"] = "a timestamp"  # log lines' dates are not data
    found["name"]["Coco"] = "a pet"  # a name is a whole word
    leaks = _leaks(_logs(log, tmp_path / "none"), found)
    kinds = sorted({leak.split(" ", 1)[0] for leak in leaks})
    assert kinds == ["birthdate", "code", "name", "phone"], leaks
    assert not any(f" {x} " in leak for leak in leaks for x in ("a pid", "a timestamp", "a pet"))


def test_a_refused_statement_is_logged_without_its_values(caplog):
    """PostgreSQL refuses a statement carrying a patient's data: Odoo logs
    the statement and the error, the clinic's filter leaves the values out."""
    registry = Registry(odoo.tools.config["db_name"][0])
    with registry.cursor() as cr, caplog.at_level(logging.ERROR, logger="odoo.sql_db"):
        for query, params in (
            ("SELECT %s::date", ["Jane Doe 1984-03-12"]),
            ("INSERT INTO res_partner (id, name) VALUES (%s, %s)", [1, "Jane Doe"]),
        ):
            with contextlib.suppress(psycopg2.Error):
                cr.execute(query, params)
            cr.rollback()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged.count("bad query") == 2, logged
    assert "::date" in logged and "res_partner_pkey" in logged and "Key (id)=(?)" in logged
    assert "Jane" not in logged and "1984" not in logged, logged


def test_no_personal_data_in_the_server_logs(odoo_server_log, tmp_path_factory):
    registry = Registry(odoo.tools.config["db_name"][0])
    with registry.cursor() as cr:
        found = _personal_data(api.Environment(cr, api.SUPERUSER_ID, {}))
    assert found["name"], "no patient found in the database"
    logs = _logs(odoo_server_log, tmp_path_factory.getbasetemp() / LOG_FOLDER)
    assert logs, "no server log to read"
    leaks = _leaks(logs, found)
    assert not leaks, "personal data in the server logs:\n" + "\n".join(leaks[:50])
