"""The partner API's operations, capability by capability.

Each handler runs as the key's user: records are found with that user's
rights (record rules included, so another company's records are not found),
and the clinic's own methods, which work in sudo where patients have no
rights, are called only after that check.
"""

from datetime import timedelta

from psycopg2.errors import UniqueViolation

from odoo import fields
from odoo.exceptions import AccessError, UserError

from ..tools import format_datetime
from .api import (
    BOOLEAN,
    DATE,
    DATETIME,
    ID,
    NULLABLE_DATETIME,
    NULLABLE_ID,
    array,
    error,
    integer,
    obj,
    operation,
    parse_datetime,
    text,
)

LIST_QUERY = [
    {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 100}},
    {"name": "offset", "schema": {"type": "integer", "minimum": 0, "maximum": 10**6, "default": 0}},
]
ACTIVE_QUERY = {
    "name": "active",
    "schema": {"type": "boolean", "default": True},
    "description": "false lists the archived records.",
}
NAME = text(max_length=100, min_length=1)
SLUG = text(max_length=64, min_length=1, pattern="^[a-z0-9]+(-[a-z0-9]+)*$")


def listing(schema):
    return obj({"items": array(schema), "count": integer(minimum=0)}, required=("items", "count"))


def get_record(env, model, record_id):
    """Record ``record_id`` of ``model`` as the key's user sees it, or a 404."""
    record = env[model].with_context(active_test=False).search([("id", "=", record_id)])
    if not record:
        raise error(404, "Nothing here, or not yours.")
    return record


def require_group(env, group, what):
    if not env.user.has_group(group):
        raise error(403, f"Only clinic managers may {what}.")


def check_company(env, company_id):
    """The company of a new record: the key user's own, or one of theirs."""
    if company_id is None:
        return env.company
    company = env.user.company_ids.filtered(lambda c: c.id == company_id)
    if not company:
        raise error(422, "Not one of your companies.", {"body.company_id": "is not yours"})
    return company


def user_errors(errors, status=422, message="Some values are invalid."):
    if errors:
        raise error(status, message, details={f"body.{k}": str(v) for k, v in errors.items()})


# ------------------------------------------------------------
# PROS
# ------------------------------------------------------------

PRO = obj(
    {
        "id": ID,
        "name": text(),
        "title": text(nullable=True),
        "login": text(),
        "email": text(nullable=True),
        "company_id": ID,
        "active": BOOLEAN,
        "lobby_ids": array(ID),
    },
    required=("id", "name", "title", "login", "email", "company_id", "active", "lobby_ids"),
)


def pro_values(pro):
    # sudo: res.users - the pro's login and email, for clinic staff
    user = pro.user_id.sudo()
    return {
        "id": pro.id,
        "name": pro.name,
        "title": pro.title or None,
        "login": user.login,
        "email": user.email or None,
        "company_id": pro.company_id.id,
        "active": pro.active,
        "lobby_ids": pro.lobby_ids.ids,
    }


@operation(
    "GET",
    "/pros",
    summary="List the pros",
    tag="Pros",
    response=listing(PRO),
    query=[ACTIVE_QUERY, *LIST_QUERY],
)
def list_pros(api):
    Pro = api.env["clinic.pro"].with_context(active_test=False)
    domain = [("active", "=", api.query["active"])]
    pros = Pro.search(domain, limit=api.query["limit"], offset=api.query["offset"])
    return {"items": [pro_values(p) for p in pros], "count": Pro.search_count(domain)}


@operation(
    "POST",
    "/pros",
    summary="Create a pro and their portal account",
    description="The pro logs in at /web/login with the login (their email) and the "
    "password given here; without one, they set it through 'Reset password'.",
    tag="Pros",
    status=201,
    response=PRO,
    body=obj(
        {
            "name": NAME,
            "email": text(max_length=254, min_length=3, format="email"),
            "title": text(max_length=100, nullable=True),
            "password": text(max_length=128, min_length=8, nullable=True),
            "company_id": NULLABLE_ID,
        },
        required=("name", "email"),
    ),
    errors=(409,),
)
def create_pro(api):
    env, body = api.env, api.body
    require_group(env, "clinic_meeting.group_clinic_manager", "create pros")
    env["clinic.pro"].check_access("create")
    company = check_company(env, body.get("company_id"))
    values, errors = env["clinic.meeting.participant"]._parse_patient_name(
        body["name"], typed_by_patient=False
    )
    user_errors(errors)
    email = env["clinic.visit.participant"]._normalize_email(body["email"])
    user_errors({} if email else {"email": env._("Please enter a valid email address.")})
    # sudo: res.users - the pro's portal account, made for a clinic manager
    Users = env["res.users"].sudo().with_context(no_reset_password=True)
    if Users.with_context(active_test=False).search_count([("login", "=", email)]):
        raise error(409, "A user with this email already exists.", {"body.email": "is taken"})
    user_values = {
        "name": values["name"],
        "login": email,
        "email": email,
        "company_id": company.id,
        "company_ids": [fields.Command.set(company.ids)],
        "group_ids": [fields.Command.set([env.ref("base.group_portal").id])],
    }
    if body.get("password"):
        user_values["password"] = body["password"]
    user = Users.create(user_values)
    pro = env["clinic.pro"].create(
        {
            "name": values["name"],
            "title": (body.get("title") or "").strip() or False,
            "user_id": user.id,
            "company_id": company.id,
        }
    )
    return 201, pro_values(pro)


@operation("GET", "/pros/<int:pro_id>", summary="Read a pro", tag="Pros", response=PRO)
def read_pro(api, pro_id):
    return pro_values(get_record(api.env, "clinic.pro", pro_id))


@operation(
    "PATCH",
    "/pros/<int:pro_id>",
    summary="Update a pro",
    tag="Pros",
    response=PRO,
    body=obj(
        {"name": NAME, "title": text(max_length=100, nullable=True), "active": BOOLEAN},
    ),
)
def update_pro(api, pro_id):
    env, body = api.env, api.body
    pro = get_record(env, "clinic.pro", pro_id)
    require_group(env, "clinic_meeting.group_clinic_manager", "change pros")
    values = {}
    if "name" in body:
        name_values, errors = env["clinic.meeting.participant"]._parse_patient_name(
            body["name"], typed_by_patient=False
        )
        user_errors(errors)
        values["name"] = name_values["name"]
    if "title" in body:
        values["title"] = (body["title"] or "").strip() or False
    if "active" in body:
        values["active"] = body["active"]
    if values:
        pro.write(values)
    return pro_values(pro)


@operation(
    "DELETE",
    "/pros/<int:pro_id>",
    summary="Archive a pro",
    description="The pro no longer takes patients; their history stays.",
    tag="Pros",
    status=204,
    response=None,
)
def archive_pro(api, pro_id):
    pro = get_record(api.env, "clinic.pro", pro_id)
    require_group(api.env, "clinic_meeting.group_clinic_manager", "archive pros")
    pro.active = False
    return 204, None


# ------------------------------------------------------------
# LOBBIES
# ------------------------------------------------------------

LOBBY = obj(
    {
        "id": ID,
        "name": text(),
        "slug": text(),
        "url": text(),
        "company_id": ID,
        "active": BOOLEAN,
        "pro_ids": array(ID),
        "queue_count": integer(minimum=0),
    },
    required=("id", "name", "slug", "url", "company_id", "active", "pro_ids", "queue_count"),
)


def lobby_values(lobby):
    return {
        "id": lobby.id,
        "name": lobby.name,
        "slug": lobby.slug,
        "url": lobby.url,
        "company_id": lobby.company_id.id,
        "active": lobby.active,
        "pro_ids": lobby.pro_ids.ids,
        "queue_count": lobby.queue_count,
    }


def lobby_write(env, lobby, values):
    """Create or update a lobby; a taken slug is a 409, a wrong one a 422."""
    Lobby = env["clinic.lobby"]
    if "slug" in values and Lobby.with_context(active_test=False).sudo().search_count(
        [("slug", "=", values["slug"]), ("id", "!=", lobby.id)]
    ):
        raise error(409, "Another lobby already uses this slug.", {"body.slug": "is taken"})
    try:
        with env.cr.savepoint():
            if lobby:
                lobby.write(values)
            else:
                lobby = Lobby.create(values)
            env.flush_all()
    except UniqueViolation as exc:
        raise error(
            409, "Another lobby already uses this slug.", {"body.slug": "is taken"}
        ) from exc
    return lobby


def visible_pros(env, pro_ids, company):
    pros = env["clinic.pro"].search([("id", "in", pro_ids)])
    if len(pros) != len(set(pro_ids)):
        raise error(422, "Unknown pros.", {"body.pro_ids": "has pros that do not exist"})
    if pros.filtered(lambda p: p.company_id != company):
        raise error(422, "Pros of another company.", {"body.pro_ids": "not of this company"})
    return pros


@operation(
    "GET",
    "/lobbies",
    summary="List the lobbies",
    tag="Lobbies",
    response=listing(LOBBY),
    query=[ACTIVE_QUERY, *LIST_QUERY],
)
def list_lobbies(api):
    Lobby = api.env["clinic.lobby"].with_context(active_test=False)
    domain = [("active", "=", api.query["active"])]
    lobbies = Lobby.search(domain, limit=api.query["limit"], offset=api.query["offset"])
    return {
        "items": [lobby_values(lobby) for lobby in lobbies],
        "count": Lobby.search_count(domain),
    }


@operation(
    "POST",
    "/lobbies",
    summary="Create a lobby (an office with a check-in page at /lobby/<slug>)",
    tag="Lobbies",
    status=201,
    response=LOBBY,
    body=obj(
        {"name": NAME, "slug": SLUG, "pro_ids": array(ID, maxItems=200), "company_id": NULLABLE_ID},
        required=("name", "slug"),
    ),
    errors=(409,),
)
def create_lobby(api):
    env, body = api.env, api.body
    require_group(env, "clinic_meeting.group_clinic_manager", "create lobbies")
    company = check_company(env, body.get("company_id"))
    pros = visible_pros(env, body.get("pro_ids", []), company)
    lobby = lobby_write(
        env,
        env["clinic.lobby"],
        {
            "name": body["name"].strip() or body["name"],
            "slug": body["slug"],
            "company_id": company.id,
            "pro_ids": [fields.Command.set(pros.ids)],
        },
    )
    return 201, lobby_values(lobby)


@operation("GET", "/lobbies/<int:lobby_id>", summary="Read a lobby", tag="Lobbies", response=LOBBY)
def read_lobby(api, lobby_id):
    return lobby_values(get_record(api.env, "clinic.lobby", lobby_id))


@operation(
    "PATCH",
    "/lobbies/<int:lobby_id>",
    summary="Update a lobby",
    tag="Lobbies",
    response=LOBBY,
    body=obj({"name": NAME, "slug": SLUG, "active": BOOLEAN}),
    errors=(409,),
)
def update_lobby(api, lobby_id):
    env = api.env
    lobby = get_record(env, "clinic.lobby", lobby_id)
    require_group(env, "clinic_meeting.group_clinic_manager", "change lobbies")
    values = dict(api.body)
    if "name" in values and not values["name"].strip():
        raise error(422, "A lobby needs a name.", {"body.name": "is empty"})
    if values:
        lobby_write(env, lobby, values)
    return lobby_values(lobby)


@operation(
    "DELETE",
    "/lobbies/<int:lobby_id>",
    summary="Archive a lobby",
    description="Its check-in page answers 404; its meetings stay.",
    tag="Lobbies",
    status=204,
    response=None,
)
def archive_lobby(api, lobby_id):
    lobby = get_record(api.env, "clinic.lobby", lobby_id)
    require_group(api.env, "clinic_meeting.group_clinic_manager", "archive lobbies")
    lobby.active = False
    return 204, None


@operation(
    "PUT",
    "/lobbies/<int:lobby_id>/pros/<int:pro_id>",
    summary="Add a pro to a lobby",
    tag="Lobbies",
    response=LOBBY,
    errors=(422,),
)
def add_lobby_pro(api, lobby_id, pro_id):
    env = api.env
    lobby = get_record(env, "clinic.lobby", lobby_id)
    pro = get_record(env, "clinic.pro", pro_id)
    require_group(env, "clinic_meeting.group_clinic_manager", "change lobbies")
    if pro.company_id != lobby.company_id:
        raise error(422, "This pro works for another company.")
    lobby.pro_ids = [fields.Command.link(pro.id)]
    return lobby_values(lobby)


@operation(
    "DELETE",
    "/lobbies/<int:lobby_id>/pros/<int:pro_id>",
    summary="Remove a pro from a lobby",
    tag="Lobbies",
    response=LOBBY,
)
def remove_lobby_pro(api, lobby_id, pro_id):
    env = api.env
    lobby = get_record(env, "clinic.lobby", lobby_id)
    pro = get_record(env, "clinic.pro", pro_id)
    require_group(env, "clinic_meeting.group_clinic_manager", "change lobbies")
    lobby.pro_ids = [fields.Command.unlink(pro.id)]
    return lobby_values(lobby)


# ------------------------------------------------------------
# WALK-INS AND MEETINGS
# ------------------------------------------------------------

PARTICIPANT = obj(
    {
        "id": ID,
        "role": text(),
        "name": text(),
        "pro_id": NULLABLE_ID,
        "joined_at": NULLABLE_DATETIME,
        "left_at": NULLABLE_DATETIME,
    },
    required=("id", "role", "name", "pro_id", "joined_at", "left_at"),
)
MEETING = obj(
    {
        "id": ID,
        "state": text(enum=["waiting", "in_progress", "done", "cancelled"]),
        "lobby_id": NULLABLE_ID,
        "visit_id": NULLABLE_ID,
        "appointment_id": NULLABLE_ID,
        "checked_in_at": DATETIME,
        "first_pro_joined_at": NULLABLE_DATETIME,
        "ended_at": NULLABLE_DATETIME,
        "participant_count": integer(minimum=0),
        "pro_count": integer(minimum=0),
        "participants": array(PARTICIPANT),
    },
    required=(
        "id",
        "state",
        "lobby_id",
        "visit_id",
        "appointment_id",
        "checked_in_at",
        "first_pro_joined_at",
        "ended_at",
        "participant_count",
        "pro_count",
        "participants",
    ),
)


@operation(
    "POST",
    "/lobbies/<int:lobby_id>/check-ins",
    summary="Check a walk-in patient in (for a headless front end)",
    description="Creates the patient's meeting, queued for the lobby's pros at once. "
    "patient_url is a one-time link: opened in the patient's browser, it lets that "
    "browser into the meeting's page (waiting room, then the call).",
    tag="Walk-ins",
    status=201,
    response=obj(
        {"meeting": MEETING, "patient_url": text(format="uri")},
        required=("meeting", "patient_url"),
    ),
    body=obj(
        {"name": text(max_length=100), "birthdate": text(max_length=10)},
        required=("name", "birthdate"),
    ),
)
def check_in(api, lobby_id):
    env, body = api.env, api.body
    lobby = get_record(env, "clinic.lobby", lobby_id)
    if not lobby.active:
        raise error(422, "This lobby is archived.")
    # sudo: clinic.lobby - the check-in makes the patient's guest and meeting,
    # as the public check-in page does, for a lobby this key sees
    meeting, errors = lobby.sudo()._check_in(body["name"], body["birthdate"])
    user_errors(errors)
    return 201, {
        "meeting": meeting._api_values(),
        "patient_url": meeting._api_new_entry_link(),
    }


@operation(
    "GET",
    "/lobbies/<int:lobby_id>/meetings",
    summary="A lobby's meetings: its queue, or those in progress",
    tag="Walk-ins",
    response=listing(MEETING),
    query=[
        {
            "name": "state",
            "schema": {"type": "string", "enum": ["waiting", "in_progress"], "default": "waiting"},
        },
        *LIST_QUERY,
    ],
)
def lobby_meetings(api, lobby_id):
    lobby = get_record(api.env, "clinic.lobby", lobby_id)
    Meeting = api.env["clinic.meeting"]
    domain = [("lobby_id", "=", lobby.id), ("state", "=", api.query["state"])]
    meetings = Meeting.search(
        domain, order="checked_in_at, id", limit=api.query["limit"], offset=api.query["offset"]
    )
    return {"items": [m._api_values() for m in meetings], "count": Meeting.search_count(domain)}


@operation(
    "GET", "/meetings/<int:meeting_id>", summary="Read a meeting", tag="Walk-ins", response=MEETING
)
def read_meeting(api, meeting_id):
    return get_record(api.env, "clinic.meeting", meeting_id)._api_values()


PRO_ACTION = obj({"pro_id": ID, "take_over": BOOLEAN}, required=("pro_id",))


def meeting_and_pro(api, meeting_id):
    meeting = get_record(api.env, "clinic.meeting", meeting_id)
    pro = get_record(api.env, "clinic.pro", api.body["pro_id"])
    if not pro.active:
        raise error(422, "This pro is archived.", {"body.pro_id": "is archived"})
    return meeting, pro


@operation(
    "POST",
    "/meetings/<int:meeting_id>/join",
    summary="A pro joins a meeting",
    description="The first pro takes a waiting meeting out of the queue; joining a "
    "meeting another pro is in needs take_over. 409 when the meeting ended, is "
    "taken, or the pro is in another meeting.",
    tag="Walk-ins",
    response=MEETING,
    body=PRO_ACTION,
    errors=(409,),
)
def join_meeting(api, meeting_id):
    meeting, pro = meeting_and_pro(api, meeting_id)
    try:
        # sudo: clinic.meeting - the key reaches this meeting and this pro
        meeting.sudo()._join_pro(pro.sudo(), take_over=bool(api.body.get("take_over")))
    except UserError as exc:
        raise error(409, str(exc.args[0])) from exc
    return meeting._api_values()


@operation(
    "POST",
    "/meetings/<int:meeting_id>/leave",
    summary="A pro leaves a meeting (the last pro out ends it)",
    tag="Walk-ins",
    response=MEETING,
    body=obj({"pro_id": ID}, required=("pro_id",)),
    errors=(409,),
)
def leave_meeting(api, meeting_id):
    meeting, pro = meeting_and_pro(api, meeting_id)
    # sudo: clinic.meeting - as join_meeting
    if not meeting.sudo()._leave_pro(pro.sudo()):
        raise error(409, "This pro is not in this meeting.")
    return meeting._api_values()


# ------------------------------------------------------------
# ONE-TO-ONE VISITS
# ------------------------------------------------------------

VISIT_PARTICIPANT = obj(
    {
        "id": ID,
        "name": text(),
        "role": text(enum=["pro", "patient", "companion"]),
        "used": BOOLEAN,
        "connected": BOOLEAN,
        "url": text(nullable=True),
    },
    required=("id", "name", "role", "used", "connected", "url"),
)
ACCESS_REQUEST = obj(
    {"id": ID, "participant_id": ID, "name": text(), "created_at": DATETIME},
    required=("id", "participant_id", "name", "created_at"),
)
VISIT = obj(
    {
        "id": ID,
        "name": text(),
        "state": text(),
        "pro_id": ID,
        "end_date": DATETIME,
        "killed_at": NULLABLE_DATETIME,
        "participants": array(VISIT_PARTICIPANT),
        "requests": array(ACCESS_REQUEST),
        "answers": array(
            obj({"question_id": ID, "value": text()}, required=("question_id", "value"))
        ),
    },
    required=(
        "id",
        "name",
        "state",
        "pro_id",
        "end_date",
        "killed_at",
        "participants",
        "requests",
        "answers",
    ),
)


def get_visit(api, visit_id, live=True):
    visit = get_record(api.env, "clinic.visit", visit_id)
    if live and visit.killed_at:
        raise error(409, "This visit was destroyed.")
    return visit


@operation(
    "POST",
    "/visits",
    summary="Create a one-to-one visit; every participant gets their own link",
    description="The patient's link belongs to the first browser that opens it; "
    "another device then waits for the pro's validation (see the requests).",
    tag="Visits",
    status=201,
    response=VISIT,
    body=obj(
        {
            "pro_id": ID,
            "name": text(max_length=100),
            "email": text(max_length=254, nullable=True),
            "phone": text(max_length=32, nullable=True),
            "companion_name": text(max_length=100, nullable=True),
            "end_date": {"type": ["string", "null"], "format": "date"},
        },
        required=("pro_id", "name"),
    ),
    errors=(404,),  # an unknown pro_id
)
def create_visit(api):
    env, body = api.env, api.body
    pro = get_record(env, "clinic.pro", body["pro_id"])
    env["clinic.visit"].check_access("create")
    if not pro.active:
        raise error(422, "This pro is archived.", {"body.pro_id": "is archived"})
    visit, errors = env["clinic.visit"]._create_for_pro(
        pro.sudo(), {k: v for k, v in body.items() if k != "pro_id" and v is not None}
    )
    user_errors(errors)
    return 201, visit.with_env(env)._api_values()


@operation("GET", "/visits/<int:visit_id>", summary="Read a visit", tag="Visits", response=VISIT)
def read_visit(api, visit_id):
    return get_record(api.env, "clinic.visit", visit_id)._api_values()


QUESTION = obj(
    {
        "id": ID,
        "name": text(),
        "kind": text(enum=["text", "number", "boolean", "choice", "date"]),
        "choices": array(text()),
        "part": text(enum=["patient", "doctor"]),
    },
    required=("id", "name", "kind", "choices", "part"),
)


@operation(
    "GET",
    "/visit-questions",
    summary="The medical questionnaire of every visit",
    tag="Visits",
    response=obj({"items": array(QUESTION)}, required=("items",)),
)
def list_questions(api):
    questions = api.env["clinic.visit.question"].search([])
    return {
        "items": [
            {
                "id": q.id,
                "name": q.name,
                "kind": q.kind,
                "choices": q._get_choices(),
                "part": q.part,
            }
            for q in questions
        ]
    }


@operation(
    "PUT",
    "/visits/<int:visit_id>/answers",
    summary="Save answers of the questionnaire, as one participant",
    description="Each side fills its part (patient or doctor); the visit pages "
    "show the answers live. Nothing is saved when one answer is wrong.",
    tag="Visits",
    response=VISIT,
    body=obj(
        {
            "participant_id": ID,
            "answers": array(
                obj(
                    {
                        "question_id": ID,
                        "value": {
                            "type": ["string", "number", "boolean", "null"],
                            "maxLength": 2000,
                        },
                    },
                    required=("question_id", "value"),
                ),
                minItems=1,
                maxItems=100,
            ),
        },
        required=("participant_id", "answers"),
    ),
    errors=(409,),
)
def save_answers(api, visit_id):
    visit = get_visit(api, visit_id)
    api.env["clinic.visit"].check_access("write")
    participant = visit.participant_ids.filtered(lambda p: p.id == api.body["participant_id"])
    if not participant:
        raise error(422, "Not a participant of this visit.", {"body.participant_id": "unknown"})
    errors = {}
    # sudo: clinic.visit - the clinic's staff fills a participant's part
    for index, answer in enumerate(api.body["answers"]):
        _saved, message = visit.sudo()._save_answer(
            participant, answer["question_id"], answer["value"]
        )
        if message:
            errors[f"body.answers[{index}]"] = str(message)
    if errors:
        raise error(422, "Some answers are invalid.", details=errors)
    return visit._api_values()


@operation(
    "POST",
    "/visits/<int:visit_id>/documents",
    summary="Share documents in a visit, from its pro",
    description="multipart/form-data with one or more 'file' parts; each appears at "
    "once in the visit as a message the patient can download.",
    tag="Visits",
    status=201,
    response=obj(
        {
            "documents": array(
                obj(
                    {"id": ID, "name": text(), "mimetype": text(), "size": integer(minimum=1)},
                    required=("id", "name", "mimetype", "size"),
                )
            )
        },
        required=("documents",),
    ),
    body="multipart",
    errors=(409,),
)
def upload_documents(api, visit_id):
    visit = get_visit(api, visit_id)
    api.env["clinic.visit"].check_access("write")
    pro_participant = visit.participant_ids.filtered(lambda p: p.role == "pro")[:1]
    # sudo: clinic.visit - documents are shared as the visit's pro
    messages, message = visit.sudo()._add_documents(pro_participant, api.files)
    if message:
        raise error(422, str(message), {"file": str(message)})
    return 201, {
        "documents": [
            {"id": m.id, "name": m.file_name, "mimetype": m.file_mimetype, "size": m.file_size}
            for m in messages
        ]
    }


def decide(api, visit_id, request_id, accept):
    visit = get_visit(api, visit_id)
    api.env["clinic.visit"].check_access("write")
    access_request = visit.request_ids.filtered(lambda r: r.id == request_id)
    if not access_request:
        raise error(404, "No such device request in this visit.")
    # sudo: clinic.visit.access.request - the key reaches this visit
    state = access_request.sudo()._decide(accept)
    if state != ("accepted" if accept else "refused"):
        raise error(409, f"This request was already {state}.")
    return {"id": access_request.id, "state": state}


DECISION = obj({"id": ID, "state": text(enum=["accepted", "refused"])}, required=("id", "state"))


@operation(
    "POST",
    "/visits/<int:visit_id>/requests/<int:request_id>/validate",
    summary="Let a new device into the visit (the old one is let go)",
    tag="Visits",
    response=DECISION,
    errors=(409,),
)
def validate_request(api, visit_id, request_id):
    return decide(api, visit_id, request_id, True)


@operation(
    "POST",
    "/visits/<int:visit_id>/requests/<int:request_id>/refuse",
    summary="Refuse a new device",
    tag="Visits",
    response=DECISION,
    errors=(409,),
)
def refuse_request(api, visit_id, request_id):
    return decide(api, visit_id, request_id, False)


@operation(
    "DELETE",
    "/visits/<int:visit_id>",
    summary="Destroy a visit",
    description="Everyone is disconnected; messages, documents, answers and calls are "
    "deleted; only statistics remain, and every link says the visit ended.",
    tag="Visits",
    response=VISIT,
)
def kill_visit(api, visit_id):
    visit = get_record(api.env, "clinic.visit", visit_id)
    api.env["clinic.visit"].check_access("write")
    if not visit.killed_at:
        # sudo: clinic.visit - destroying removes records the key cannot write
        visit.sudo()._kill(reason="manual")
    visit.invalidate_recordset()
    return visit._api_values()


# ------------------------------------------------------------
# APPOINTMENTS
# ------------------------------------------------------------

APPOINTMENT_TYPE = obj(
    {
        "id": ID,
        "name": text(),
        "slug": text(),
        "url": text(),
        "duration_minutes": integer(minimum=1),
        "tz": text(nullable=True),
        "pro_ids": array(ID),
        "company_id": ID,
    },
    required=("id", "name", "slug", "url", "duration_minutes", "tz", "pro_ids", "company_id"),
)
APPOINTMENT = obj(
    {
        "id": ID,
        "type_id": ID,
        "pro_id": ID,
        "state": text(enum=["confirmed", "cancelled"]),
        "start": DATETIME,
        "stop": DATETIME,
        "patient_name": text(),
        "email": text(nullable=True),
        "comment": text(nullable=True),
        "meeting_id": NULLABLE_ID,
        "visit_url": text(nullable=True),
        "ics_url": text(nullable=True),
    },
    required=(
        "id",
        "type_id",
        "pro_id",
        "state",
        "start",
        "stop",
        "patient_name",
        "email",
        "comment",
        "meeting_id",
        "visit_url",
        "ics_url",
    ),
)
MAX_SLOT_DAYS = 31


@operation(
    "GET",
    "/appointment-types",
    summary="List the appointment types",
    tag="Appointments",
    response=listing(APPOINTMENT_TYPE),
    query=LIST_QUERY,
)
def list_appointment_types(api):
    Type = api.env["clinic.appointment.type"]
    types = Type.search([], limit=api.query["limit"], offset=api.query["offset"])
    return {
        "items": [
            {
                "id": t.id,
                "name": t.name,
                "slug": t.slug,
                "url": t.url,
                "duration_minutes": t.duration,
                "tz": t.tz or None,
                "pro_ids": t.pro_ids.ids,
                "company_id": t.company_id.id,
            }
            for t in types
        ],
        "count": Type.search_count([]),
    }


SLOT = obj(
    {
        "start": DATETIME,
        "stop": DATETIME,
        "local_start": text(),
        "state": text(enum=["free", "taken", "closed"]),
    },
    required=("start", "stop", "local_start", "state"),
)


@operation(
    "GET",
    "/appointment-types/<int:type_id>/slots",
    summary="The slots of a day or a range of days",
    description="Days are the clinic's (the type's time zone); start and stop are UTC, "
    "local_start in the clinic's time zone. 31 days at most.",
    tag="Appointments",
    response=obj({"tz": text(), "slots": array(SLOT)}, required=("tz", "slots")),
    query=[
        {"name": "from", "schema": DATE, "required": True},
        {"name": "to", "schema": DATE, "description": "Default: the same day as 'from'."},
        {
            "name": "state",
            "schema": {"type": "string", "enum": ["free", "all"], "default": "free"},
        },
    ],
)
def list_slots(api, type_id):
    appointment_type = get_record(api.env, "clinic.appointment.type", type_id)
    first = fields.Date.to_date(api.query["from"])
    last = fields.Date.to_date(api.query.get("to") or api.query["from"])
    if last < first:
        raise error(422, "'to' is before 'from'.", {"query.to": "is before from"})
    if last - first >= timedelta(days=MAX_SLOT_DAYS):
        raise error(422, f"{MAX_SLOT_DAYS} days at most.", {"query.to": "is too far"})
    slots = appointment_type.sudo()._get_slots(first, last)
    if api.query["state"] == "free":
        slots = [s for s in slots if s["state"] == "free"]
    return {
        "tz": str(appointment_type._get_tz()),
        "slots": [
            {
                "start": format_datetime(s["start"]),
                "stop": format_datetime(s["stop"]),
                "local_start": s["local"].isoformat(),
                "state": s["state"],
            }
            for s in slots
        ],
    }


@operation(
    "POST",
    "/appointments",
    summary="Book a slot for a patient",
    description="The patient gets the confirmation email with the join link and a "
    "calendar file. 409 when the time is no longer free.",
    tag="Appointments",
    status=201,
    response=APPOINTMENT,
    body=obj(
        {
            "type_id": ID,
            "start": DATETIME,
            "name": text(max_length=100),
            "email": text(max_length=254),
            "comment": text(max_length=2000, nullable=True),
        },
        required=("type_id", "start", "name", "email"),
    ),
    errors=(404, 409),  # 404: an unknown type_id
)
def book(api):
    env, body = api.env, api.body
    appointment_type = get_record(env, "clinic.appointment.type", body["type_id"])
    if not appointment_type.active:
        raise error(422, "This appointment type is archived.")
    env["clinic.appointment"].check_access("read")
    appointment, errors = env["clinic.appointment"]._book(
        appointment_type.sudo(),
        parse_datetime(body["start"]),
        name=body["name"],
        email=body["email"],
        comment=body.get("comment") or "",
    )
    if errors.get("slot"):
        # 409 when the time is a slot that was taken; 422 when it is no slot
        # one may book (past, too soon, too far, not a slot time).
        start = parse_datetime(body["start"])
        day = appointment_type._to_local(start).date()
        slot = next(
            (s for s in appointment_type.sudo()._get_slots(day) if s["start"] == start), None
        )
        status = 409 if slot and slot["state"] == "taken" else 422
        raise error(status, str(errors["slot"]), {"body.start": str(errors["slot"])})
    user_errors(errors)
    return 201, appointment.with_env(env)._api_values()


@operation(
    "GET",
    "/appointments/<int:appointment_id>",
    summary="Read an appointment",
    tag="Appointments",
    response=APPOINTMENT,
)
def read_appointment(api, appointment_id):
    return get_record(api.env, "clinic.appointment", appointment_id)._api_values()


@operation(
    "POST",
    "/appointments/<int:appointment_id>/cancel",
    summary="Cancel an appointment (the patient is told by email)",
    tag="Appointments",
    response=APPOINTMENT,
    body=obj({"reason": text(max_length=500, nullable=True)}),
    errors=(409,),
)
def cancel_appointment(api, appointment_id):
    appointment = get_record(api.env, "clinic.appointment", appointment_id)
    if appointment.state == "cancelled":
        raise error(409, "This appointment is already cancelled.")
    try:
        appointment.check_access("write")
    except AccessError as exc:
        raise error(403, "This key may not cancel appointments.") from exc
    # sudo: clinic.appointment - cancelling also ends the call and its event
    appointment.sudo().action_cancel(reason=api.body.get("reason"))
    appointment.invalidate_recordset()
    return appointment._api_values()


# ------------------------------------------------------------
# DEVICES
# ------------------------------------------------------------

DEVICE = obj(
    {
        "name": text(),
        "kind": text(enum=["camera", "microphone"]),
        "label": text(),
        "instructions": text(),
    },
    required=("name", "kind", "label", "instructions"),
)


@operation(
    "GET",
    "/devices",
    summary="The medical devices a visit page offers (public)",
    tag="Devices",
    response=obj({"devices": array(DEVICE)}, required=("devices",)),
    auth=False,
)
def list_devices(api):
    # sudo: clinic.visit.device - the device list is public, as the visit page's
    devices = api.env["clinic.visit.device"].sudo().search([])
    return {"devices": devices._public_values()}


# ------------------------------------------------------------
# WEBHOOKS
# ------------------------------------------------------------

EVENT = text(
    enum=[
        "meeting.checked_in",
        "meeting.started",
        "meeting.ended",
        "appointment.booked",
        "appointment.cancelled",
        "visit.created",
        "visit.killed",
    ]
)
WEBHOOK = obj(
    {
        "id": ID,
        "name": text(),
        "url": text(),
        "events": array(EVENT),
        "active": BOOLEAN,
        "company_id": ID,
        "secret": text(),
    },
    required=("id", "name", "url", "events", "active", "company_id"),
)


def webhook_values(webhook, secret=False):
    values = {
        "id": webhook.id,
        "name": webhook.name,
        "url": webhook.url,
        "events": webhook._get_events(),
        "active": webhook.active,
        "company_id": webhook.company_id.id,
    }
    if secret:
        values["secret"] = webhook.secret
    return values


@operation(
    "GET",
    "/webhooks",
    summary="List your webhooks",
    tag="Webhooks",
    response=listing(WEBHOOK),
    query=LIST_QUERY,
)
def list_webhooks(api):
    require_group(api.env, "clinic_meeting.group_clinic_manager", "manage webhooks")
    Webhook = api.env["clinic.api.webhook"]
    webhooks = Webhook.search([], limit=api.query["limit"], offset=api.query["offset"])
    return {"items": [webhook_values(w) for w in webhooks], "count": Webhook.search_count([])}


@operation(
    "POST",
    "/webhooks",
    summary="Register a webhook",
    description="Each event is POSTed as JSON {id, type, created_at, data} with the "
    "headers X-Clinic-Event-Id (the same on every retry: de-duplicate by it) and "
    "X-Clinic-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>' with the "
    "secret>. Failed deliveries are retried after 1, 5, 30, 120, 720 and 1440 minutes. "
    "The secret is shown in this answer only.",
    tag="Webhooks",
    status=201,
    response=WEBHOOK,
    body=obj(
        {
            "name": NAME,
            "url": text(max_length=2000, format="uri"),
            "events": array(EVENT, minItems=1, uniqueItems=True),
            "company_id": NULLABLE_ID,
        },
        required=("name", "url", "events"),
    ),
)
def create_webhook(api):
    env, body = api.env, api.body
    require_group(env, "clinic_meeting.group_clinic_manager", "manage webhooks")
    company = check_company(env, body.get("company_id"))
    webhook = env["clinic.api.webhook"].create(
        {
            "name": body["name"],
            "url": body["url"],
            "events": ",".join(body["events"]),
            "company_id": company.id,
        }
    )
    return 201, webhook_values(webhook, secret=True)


@operation(
    "DELETE",
    "/webhooks/<int:webhook_id>",
    summary="Delete a webhook",
    tag="Webhooks",
    status=204,
    response=None,
)
def delete_webhook(api, webhook_id):
    require_group(api.env, "clinic_meeting.group_clinic_manager", "manage webhooks")
    get_record(api.env, "clinic.api.webhook", webhook_id).unlink()
    return 204, None
