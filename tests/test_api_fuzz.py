"""Fuzzing of the partner API from its own OpenAPI document, with schemathesis.

Every operation of ``/api/v1/openapi.json`` gets requests generated from the
document against the real server process: valid ones (positive), invalid
ones (negative), and valid ones aimed at records that exist (known ids in the
path and the body, names and dates that the clinic accepts, free slots), so
that the fuzz reaches past the 404s and 422s into the clinic's methods. Every
answer must be documented and valid against the document (schemathesis's
checks), no answer is a server error, the server logs no unexpected error,
and only answers 2xx create records. Deterministic (derandomized Hypothesis).
"""

import re
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from odoo import Command

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Generated examples per operation and per way of generating them (positive,
# negative, aimed at known records). Hypothesis stops earlier for operations
# with few possible requests (no parameters, no body).
EXAMPLES = 12
MIN_REQUESTS = 1000
LOG_ERRORS = re.compile(r"Partner API: unexpected error|database error|Traceback")
NAMES = ["Ann Lee", "José Álvarez-Núñez", "Jean-Luc O'Neil", "Kim Min-jun", "Zoë Brontë"]
ANSWERS = ["Fine, thank you", "37.5", 37.5, True, False, "2026-01-31", "", None]
BIRTHDATES = ["1980-05-04", "2001-12-31", "1947-02-28", "2020-01-01"]
# The table of the record each operation creates when it answers 201.
CREATES = {
    "create_pro": "clinic_pro",
    "create_lobby": "clinic_lobby",
    "check_in": "clinic_meeting",
    "create_visit": "clinic_visit",
    "book": "clinic_appointment",
    "create_webhook": "clinic_api_webhook",
}
TABLES = sorted(set(CREATES.values()))
# The clinic's records that belong to a company: those of other companies
# than the fuzz's must not change.
COMPANY_TABLES = [
    "clinic_pro",
    "clinic_lobby",
    "clinic_meeting",
    "clinic_visit",
    "clinic_appointment_type",
    "clinic_appointment",
    "clinic_api_webhook",
]


@pytest.fixture
def fuzz_world(commit_env, unique):
    """A clinic of its own (a company), with an integration user and their
    partner key, and records to aim at; a high rate limit for the run
    (restored after). Record rules keep the key to this company: the fuzz
    cannot touch the demo clinic that other tests use."""
    with commit_env() as env:
        company = env["res.company"].create({"name": f"Fuzz clinic {unique}"})
        users = env["res.users"].with_context(no_reset_password=True)

        def new_user(name, login, groups):
            return users.create(
                {
                    "name": name,
                    "login": login,
                    "email": login if "@" in login else False,
                    "company_id": company.id,
                    "company_ids": [Command.set(company.ids)],
                    "group_ids": [Command.set([env.ref(group).id for group in groups])],
                }
            )

        manager = new_user(
            f"Fuzz {unique}",
            f"fuzz-{unique}",
            ["base.group_user", "clinic_meeting.group_clinic_manager"],
        )
        key = env["res.users.apikeys"]._clinic_api_generate(manager, "fuzz", None)
        Pro = env["clinic.pro"]
        pro, pro_two, pro_patch, pro_victim = (
            Pro.create(
                {
                    "name": f"Dr Fuzz {name}",
                    "company_id": company.id,
                    "user_id": new_user(
                        f"Dr Fuzz {name}",
                        f"fuzz-{name.lower()}-{unique}@example.com",
                        ["base.group_portal"],
                    ).id,
                }
            )
            for name in ("Main", "Two", "Patch", "Victim")
        )
        Lobby = env["clinic.lobby"].with_context(default_company_id=company.id)
        lobby = Lobby.create(
            {"name": "Fuzz", "slug": f"fuzz-{unique}", "pro_ids": [Command.set(pro.ids)]}
        )
        lobby_patch = Lobby.create({"name": "Fuzz patch", "slug": f"fuzz-patch-{unique}"})
        lobby_victim = Lobby.create({"name": "Fuzz victim", "slug": f"fuzz-victim-{unique}"})
        meetings = env["clinic.meeting"]
        for n in range(4):
            meeting, errors = lobby._check_in(NAMES[n], BIRTHDATES[n])
            assert not errors
            meetings |= meeting
        Visit = env["clinic.visit"]
        visit, errors = Visit._create_for_pro(pro, {"name": "Ann Lee", "companion_name": "Bo"})
        assert not errors
        visit_victim, errors = Visit._create_for_pro(pro, {"name": "Zoë Brontë"})
        assert not errors
        patient = visit.participant_ids.filtered(lambda p: p.role == "patient")
        access_requests = env["clinic.visit.access.request"].create(
            [
                {"participant_id": patient.id, "guest_id": env["mail.guest"].create({"name": n}).id}
                for n in ("Phone", "Tablet", "Laptop", "Watch", "Car", "TV")
            ]
        )
        # Dr Two is in the first meeting: Dr Main may take it over, either may leave.
        meetings[0]._join_pro(pro_two)
        calendar = env["resource.calendar"].create(
            {
                "name": f"Fuzz hours {unique}",
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
                "name": "Fuzz consultation",
                "slug": f"fuzz-{unique}",
                "company_id": company.id,
                "resource_calendar_id": calendar.id,
                "pro_ids": [Command.set((pro | pro_two).ids)],
            }
        )
        tomorrow = date.today() + timedelta(days=1)
        slots = [
            s["start"]
            for s in appointment_type._get_slots(tomorrow, tomorrow + timedelta(days=6))
            if s["state"] == "free"
        ]
        assert len(slots) > 20, "the fuzz's appointment type has free slots"
        Appointment = env["clinic.appointment"]
        appointments = Appointment
        for start in slots[-3:]:
            appointment, errors = Appointment._book(
                appointment_type, start, name="Ann Lee", email="ann.lee@example.com"
            )
            assert not errors
            appointments |= appointment
        webhooks = env["clinic.api.webhook"].create(
            [
                {"name": f"Fuzz {n}", "url": "http://127.0.0.1:9/hook", "company_id": company.id}
                for n in range(3)
            ]
        )
        Param = env["ir.config_parameter"]
        old_limit = Param.get_param("clinic_api.rate_limit_per_minute")
        Param.set_param("clinic_api.rate_limit_per_minute", 1_000_000)
        world = {
            "unique": unique,
            "key": key,
            "company_id": company.id,
            "pro": [pro.id, pro_two.id],
            "pro_patch": [pro_patch.id],
            "pro_victim": [pro_victim.id],
            "lobby": [lobby.id],
            "lobby_patch": [lobby_patch.id],
            "lobby_victim": [lobby_victim.id],
            "meeting": meetings.ids,
            "visit": [visit.id],
            "visit_victim": [visit_victim.id],
            "participant": visit.participant_ids.ids,
            "request": access_requests[:3].ids,
            "request_refuse": access_requests[3:].ids,
            "question": env["clinic.visit.question"].search([]).ids,
            "type": [appointment_type.id],
            "slot": [s.strftime("%Y-%m-%dT%H:%M:%SZ") for s in slots[:-3]],
            "appointment": appointments[:1].ids,
            "appointment_victim": appointments[1:].ids,
            "webhook": webhooks.ids,
        }
    # As Odoo does after a transaction: the server process hears that the
    # webhooks it may have cached changed.
    env.registry.signal_changes()
    try:
        yield world
    finally:
        with commit_env() as env:
            Param = env["ir.config_parameter"]
            Param.set_param("clinic_api.rate_limit_per_minute", old_limit or False)
            # Webhooks of the run point anywhere: none may hear of later tests.
            env["clinic.api.webhook"].with_context(active_test=False).search(
                [("company_id", "=", company.id)]
            ).unlink()
        env.registry.signal_changes()


def known_path(operation, world):
    """Ids of existing records for the path parameters of ``operation``."""
    method, path = operation.method.upper(), operation.path
    choices = {}
    if "{pro_id}" in path:
        choices["pro_id"] = {
            "PATCH": world["pro_patch"],
            "DELETE": world["pro_victim"] if path.startswith("/api/v1/pros") else world["pro"],
        }.get(method, world["pro"])
    if "{lobby_id}" in path:
        choices["lobby_id"] = world["lobby"]
        if path == "/api/v1/lobbies/{lobby_id}":
            choices["lobby_id"] = {
                "PATCH": world["lobby_patch"],
                "DELETE": world["lobby_victim"],
            }.get(method, world["lobby"])
    if "{meeting_id}" in path:
        # Dr Two is in the first meeting: leaving ends it.
        choices["meeting_id"] = world["meeting"][:1] if "leave" in path else world["meeting"]
    if "{visit_id}" in path:
        choices["visit_id"] = world["visit_victim" if method == "DELETE" else "visit"]
    if "{request_id}" in path:
        choices["request_id"] = world["request_refuse" if "refuse" in path else "request"]
    if "{type_id}" in path:
        choices["type_id"] = world["type"]
    if "{appointment_id}" in path:
        choices["appointment_id"] = world[
            "appointment_victim" if "cancel" in path else "appointment"
        ]
    if "{webhook_id}" in path:
        choices["webhook_id"] = world["webhook"]
    return choices


def aim(case, data, world):
    """Point a positive case at known records and values the clinic accepts
    (3 times out of 4 for each field, so that refusals are reached too)."""

    def maybe(strategy):
        return data.draw(strategy) if data.draw(st.integers(0, 3)) else None

    for name, ids in known_path(case.operation, world).items():
        if (value := maybe(st.sampled_from(ids))) is not None:
            case.path_parameters[name] = value
    if case.query and "from" in case.query:
        first = date.today() + timedelta(days=data.draw(st.integers(-2, 8)))
        if maybe(st.just(True)):
            case.query["from"] = first.isoformat()
        if "to" in case.query and maybe(st.just(True)):
            case.query["to"] = (first + timedelta(days=data.draw(st.integers(0, 3)))).isoformat()
    body = case.body
    if not isinstance(body, dict):
        return
    substitutes = {
        "pro_id": st.sampled_from(world["pro"]),
        "type_id": st.sampled_from(world["type"]),
        "participant_id": st.sampled_from(world["participant"]),
        "start": st.sampled_from(world["slot"]),
        "birthdate": st.sampled_from(BIRTHDATES),
        "pro_ids": st.lists(st.sampled_from(world["pro"]), max_size=2, unique=True),
        "company_id": st.sampled_from([None, world["company_id"]]),
        "email": st.integers(0, 10**6).map(lambda n: f"fuzz.{n}.{world['unique']}@example.com"),
        "slug": st.integers(0, 10**6).map(lambda n: f"fuzz-{n}-{world['unique']}"),
    }
    if case.operation.path not in ("/api/v1/webhooks",):
        substitutes["name"] = st.sampled_from(NAMES)
    for field, strategy in substitutes.items():
        if field in body and (value := maybe(strategy)) is not None:
            body[field] = value
    if isinstance(body.get("answers"), list) and maybe(st.just(True)):
        body["answers"] = body["answers"][:1]  # one wrong answer refuses them all
    for answer in body.get("answers") or ():
        if isinstance(answer, dict) and (value := maybe(st.sampled_from(world["question"]))):
            answer["question_id"] = value
            answer["value"] = data.draw(st.sampled_from(ANSWERS))


def destructiveness(operation):
    """Reads and creations first, then changes, then archiving, deleting and
    cancelling: random ids reach the records aimed at too."""
    method = operation.method.upper()
    if method == "DELETE" or operation.path.endswith("/cancel"):
        return 2
    return 1 if method in ("PATCH", "PUT") else 0


def table_ids(cr, table):
    cr.execute(f"SELECT id FROM {table}")
    return {row[0] for row in cr.fetchall()}


def other_companies(cr, company_id):
    """Every row of another company, with its last write, table by table."""
    rows = {}
    for table in COMPANY_TABLES:
        cr.execute(f"SELECT id, write_date FROM {table} WHERE company_id != %s", [company_id])
        rows[table] = dict(cr.fetchall())
    return rows


class Fuzzer:
    """Sends generated requests with a key, checks every answer against the
    document, and counts the statuses and the records answered by a 201."""

    def __init__(self, world):
        self.world = world
        self.session = requests.Session()
        self.headers = {"Authorization": f"Bearer {world['key']}"}
        self.statuses = defaultdict(Counter)  # operation id -> status -> count
        self.created = defaultdict(set)  # table -> ids answered by a 201
        self.deleted = defaultdict(set)  # table -> ids deleted by a 204
        self.failures = []

    def send(self, case):
        operation_id = case.operation.definition.raw.get("operationId")
        try:
            response = case.call(session=self.session, headers=self.headers, timeout=30)
        except requests.RequestException as exc:
            self.failures.append(f"{case.operation.label}: no answer ({exc})")
            return
        self.statuses[operation_id][response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=self.headers)
        except FailureGroup as exc:
            self.failures.append(f"{case.operation.label}:\n{exc}")
        if response.status_code == 201 and operation_id in CREATES:
            answer = response.json()
            self.created[CREATES[operation_id]].add(answer.get("meeting", answer)["id"])
        if response.status_code == 204 and operation_id == "delete_webhook":
            # Random ids reach the webhooks the run made too.
            self.deleted["clinic_api_webhook"].add(case.path_parameters["webhook_id"])

    def fuzz(self, operation, mode, aimed):
        """Up to ``EXAMPLES`` requests of ``operation`` (derandomized)."""
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @given(data=st.data())
        def run(data):
            case = data.draw(strategy)
            if aimed:
                aim(case, data, self.world)
            self.send(case)

        try:
            run()
        except Unsatisfiable:
            pass  # nothing to negate in this operation

    @property
    def total(self):
        return sum(sum(counter.values()) for counter in self.statuses.values())


def test_fuzz_every_operation(odoo_server, odoo_server_log, commit_env, fuzz_world):
    schema = schemathesis.openapi.from_url(f"{odoo_server}/api/v1/openapi.json")
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()), key=destructiveness
    )
    assert len(operations) >= 30, "every route of the installed modules is documented"
    fuzzer = Fuzzer(fuzz_world)
    log_start = odoo_server_log.stat().st_size
    with commit_env() as env:
        before = {table: table_ids(env.cr, table) for table in TABLES}
        others_before = other_companies(env.cr, fuzz_world["company_id"])
    started = time.monotonic()
    for operation in operations:
        fuzzer.fuzz(operation, GenerationMode.POSITIVE, aimed=False)
        fuzzer.fuzz(operation, GenerationMode.NEGATIVE, aimed=False)
        if known_path(operation, fuzz_world) or "requestBody" in operation.definition.raw:
            fuzzer.fuzz(operation, GenerationMode.POSITIVE, aimed=True)
    duration = time.monotonic() - started
    with commit_env() as env:
        new = {table: table_ids(env.cr, table) - before[table] for table in TABLES}
        others_after = other_companies(env.cr, fuzz_world["company_id"])

    statuses = fuzzer.statuses
    summary = {op: dict(sorted(counter.items())) for op, counter in sorted(statuses.items())}
    print(f"\n{fuzzer.total} requests in {duration:.0f} s; statuses per operation: {summary}")
    assert fuzzer.total >= MIN_REQUESTS, summary
    assert not fuzzer.failures, f"{len(fuzzer.failures)} failed checks, the first ones:\n" + (
        "\n".join(fuzzer.failures[:20])
    )
    assert not any(status >= 500 for counter in statuses.values() for status in counter)
    # Only the 201 answers created records, one each; refusals created nothing.
    for table in TABLES:
        expected = fuzzer.created[table] - fuzzer.deleted[table]
        assert new[table] == expected, (
            f"{table}: created {sorted(new[table])}, answered 201 for "
            f"{sorted(fuzzer.created[table])}, then deleted {sorted(fuzzer.deleted[table])}"
        )
    # The fuzz got past the refusals: every creation succeeded at least once.
    for operation_id in CREATES:
        assert statuses[operation_id][201], f"{operation_id} never answered 201: {summary}"
    # The key reached its own company only.
    assert others_after == others_before

    log = odoo_server_log.read_bytes()[log_start:].decode(errors="replace")
    unexpected = [line for line in log.splitlines() if LOG_ERRORS.search(line)]
    assert not unexpected, "the server logged:\n" + "\n".join(unexpected[:20])
