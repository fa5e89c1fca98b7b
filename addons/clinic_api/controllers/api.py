"""The partner API's machinery: routes declared with their OpenAPI operation,
bearer keys of our own scope, per-key rate limits, request validation against
the declared schemas, and JSON errors for everything a client can send.

Routes are plain ``type="http"``, ``auth="none"`` Odoo routes: the key is
checked here, not by Odoo's ``auth="bearer"`` (which accepts only global keys
and answers errors with HTML), and the request then runs as the key's user,
so access rights and record rules apply to everything it reads.
"""

import json
import logging
import re
from datetime import UTC, date, datetime

import psycopg2
import werkzeug.exceptions

from odoo import http
from odoo.exceptions import (
    AccessDenied,
    AccessError,
    ConcurrencyError,
    MissingError,
    UserError,
    ValidationError,
)
from odoo.http import request
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from odoo.addons.clinic_meeting.tools import clean_json

_logger = logging.getLogger(__name__)

PREFIX = "/api/v1"
SCOPE = "clinic_api"
JSON_MAX_BYTES = 1024 * 1024
JSON_MAX_DEPTH = 32
MAX_ID = 2**31 - 1
BEARER = re.compile(r"bearer[ \t]+([0-9a-f]{40})[ \t]*", re.IGNORECASE)

# Every operation, in declaration order: the OpenAPI document is built from it.
OPERATIONS = []
# path -> {method: operation}; one Odoo route per path, dispatching on the method.
PATHS = {}


class ApiError(Exception):
    """An error answered to the client as ``{"error": {"code", "message"}}``."""

    def __init__(self, status, code, message, details=None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


ERRORS = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "A valid API key is required."),
    403: ("forbidden", "This key may not do that."),
    404: ("not_found", "Nothing here."),
    405: ("method_not_allowed", "This method is not allowed here."),
    409: ("conflict", "This conflicts with the current state."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send JSON (application/json)."),
    422: ("invalid", "Some values are invalid."),
    429: ("rate_limited", "Too many requests: slow down."),
}


def error(status, message=None, details=None, code=None):
    """An ``ApiError`` with the usual code of ``status``."""
    default_code, default_message = ERRORS[status]
    return ApiError(status, code or default_code, message or default_message, details)


def json_response(data, status=200, headers=None):
    body = b"" if status == 204 else json.dumps(data, ensure_ascii=False).encode()
    response = request.make_response(
        body,
        headers=[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Cache-Control", "no-store"),
            *(headers or {}).items(),
        ],
        status=status,
    )
    return response


def error_response(err):
    payload = {"code": err.code, "message": err.message}
    if err.details:
        payload["details"] = err.details
    return json_response({"error": payload}, status=err.status, headers=err.headers)


# ------------------------------------------------------------
# SCHEMAS
# ------------------------------------------------------------


def obj(properties, required=(), additional=False):
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": additional,
    }


def array(items, **kwargs):
    return {"type": "array", "items": items, **kwargs}


def text(max_length=None, min_length=None, nullable=False, **kwargs):
    schema = {"type": ["string", "null"] if nullable else "string", **kwargs}
    if max_length is not None:
        schema["maxLength"] = max_length
    if min_length is not None:
        schema["minLength"] = min_length
    return schema


def integer(nullable=False, **kwargs):
    return {"type": ["integer", "null"] if nullable else "integer", **kwargs}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}
BOOLEAN = {"type": "boolean"}
BINARY = {"type": "string", "contentMediaType": "application/octet-stream"}
DATE = {
    "type": "string",
    "format": "date",
    "description": "YYYY-MM-DD, from 1900-01-01 to 9998-12-31.",
}
DATETIME = {
    "type": "string",
    "format": "date-time",
    "description": "RFC 3339 with a time zone (e.g. 2026-12-03T09:00:00Z), years 1900 to 9998.",
}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}
ERROR_SCHEMA = obj(
    {
        "error": obj(
            {
                "code": text(),
                "message": text(),
                "details": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            required=("code", "message"),
        )
    },
    required=("error",),
)


def _type_ok(value, kind):
    if kind == "null":
        return value is None
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return False


# The days a client may name: the clinic's time-zone arithmetic (a day or
# some hours more or less) must stay within Python's dates.
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(9998, 12, 31)


def _parse_date(value):
    """A ``YYYY-MM-DD`` day from ``MIN_DAY`` to ``MAX_DAY``, or None."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if MIN_DAY <= day <= MAX_DAY else None


def parse_datetime(value):
    """An RFC 3339 date-time as a naive UTC datetime (Odoo's), or None."""
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})", value
    ):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        return None
    return parsed if MIN_DAY <= parsed.date() <= MAX_DAY else None


def validate(value, schema, path="body"):  # noqa: C901 - one branch a keyword
    """Check ``value`` against the subset of JSON Schema this API uses.

    :return: a dict ``{path: message}``, empty when the value is valid
    """
    kinds = schema.get("type")
    if kinds:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_type_ok(value, kind) for kind in kinds):
            return {path: f"must be of type {' or '.join(kinds)}"}
    if value is None:
        return {}
    if "enum" in schema and value not in schema["enum"]:
        return {path: f"must be one of {', '.join(map(str, schema['enum']))}"}
    if isinstance(value, str):
        if len(value) > schema.get("maxLength", len(value)):
            return {path: f"must be at most {schema['maxLength']} characters"}
        if len(value) < schema.get("minLength", 0):
            return {path: f"must be at least {schema['minLength']} characters"}
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return {path: f"must match {schema['pattern']}"}
        if "\x00" in value:
            return {path: "must not contain NUL characters"}
        fmt = schema.get("format")
        if fmt == "date" and not _parse_date(value):
            return {path: f"must be a date, YYYY-MM-DD, from {MIN_DAY} to {MAX_DAY}"}
        if fmt == "date-time" and not parse_datetime(value):
            return {
                path: f"must be a date-time, e.g. 2026-12-03T09:00:00Z, from {MIN_DAY} to {MAX_DAY}"
            }
        if fmt == "uri" and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", value):
            return {path: "must be an http(s) URL"}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return {path: f"must be at least {schema['minimum']}"}
        if "maximum" in schema and value > schema["maximum"]:
            return {path: f"must be at most {schema['maximum']}"}
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            return {path: f"must have at most {schema['maxItems']} items"}
        if len(value) < schema.get("minItems", 0):
            return {path: f"must have at least {schema['minItems']} items"}
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) != len(value):
            return {path: "must not repeat items"}
        for index, item in enumerate(value):
            if errors := validate(item, schema.get("items", {}), f"{path}[{index}]"):
                return errors
    if isinstance(value, dict):
        errors = {}
        properties = schema.get("properties", {})
        for name in schema.get("required", ()):
            if name not in value:
                errors[f"{path}.{name}"] = "is required"
        for name, item in value.items():
            if name in properties:
                errors.update(validate(item, properties[name], f"{path}.{name}"))
            elif schema.get("additionalProperties") is False:
                errors[f"{path}.{name[:64]}"] = "is not a known field"
            elif isinstance(schema.get("additionalProperties"), dict):
                errors.update(validate(item, schema["additionalProperties"], f"{path}.{name[:64]}"))
        return errors
    return {}


def _depth(value, limit):
    """Whether JSON ``value`` nests deeper than ``limit`` (iteratively)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return False


# ------------------------------------------------------------
# AUTHENTICATION AND RATE LIMITS
# ------------------------------------------------------------


def authenticate():
    """Switch the request to the user of the bearer key; return the key's id."""
    header = request.httprequest.headers.get("Authorization", "")
    match = BEARER.fullmatch(header)
    if not match:
        raise ApiError(
            401,
            "unauthorized",
            "Send your API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": 'Bearer realm="clinic"'},
        )
    key_id, user_id = request.env["res.users.apikeys"]._clinic_api_check(match.group(1))
    if not user_id:
        raise ApiError(
            401,
            "unauthorized",
            "This API key is unknown, expired or revoked.",
            headers={"WWW-Authenticate": 'Bearer realm="clinic", error="invalid_token"'},
        )
    request.update_env(user=user_id)
    request.update_context(lang=request.env.user.lang or "en_US")
    if not request.env.user.has_group("clinic_meeting.group_clinic_user"):
        raise error(403, "This key's user is not in the clinic's staff.")
    return key_id


def check_rate(key_id):
    """Count the request against its key's limit per minute (shared by every
    worker: the counter is a row in PostgreSQL, committed at once)."""
    limit, retry_after = request.env["res.users.apikeys"]._clinic_api_count(key_id)
    if retry_after:
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests: this key may send {limit} a minute.",
            headers={"Retry-After": str(retry_after)},
        )


# ------------------------------------------------------------
# REQUESTS
# ------------------------------------------------------------


class ApiRequest:
    """What a handler receives: the environment, the validated body and query."""

    def __init__(self, env, body=None, query=None, files=None):
        self.env = env
        self.body = body if body is not None else {}
        self.query = query or {}
        self.files = files or []


def _json_number(literal):
    """A JSON number with a fraction or an exponent: an integer when it has no
    fractional part, as JSON Schema's "integer" counts it (``2.0``, ``1e3``)."""
    number = float(literal)
    return int(number) if number.is_integer() and abs(number) <= 2**53 else number


def _read_json(operation):
    httprequest = request.httprequest
    mimetype = httprequest.mimetype
    if mimetype != "application/json":
        raise error(415, "Send a JSON body with 'Content-Type: application/json'.")
    length = httprequest.content_length
    if length is not None and length > JSON_MAX_BYTES:
        raise error(413, f"A JSON body is {JSON_MAX_BYTES // 1024} KB at most.")
    # Kept (cached): Odoo runs the request again after a serialization failure.
    data = httprequest.get_data()
    if len(data) > JSON_MAX_BYTES:
        raise error(413, f"A JSON body is {JSON_MAX_BYTES // 1024} KB at most.")
    if not data.strip():
        body = {}
    else:
        try:
            body = json.loads(data, parse_float=_json_number)
            # A lone surrogate ("\ud800") is no text: UTF-8 and PostgreSQL refuse it.
            json.dumps(body, ensure_ascii=False).encode()
        except (ValueError, RecursionError) as exc:
            raise error(400, "The body is not valid JSON.") from exc
    if _depth(body, JSON_MAX_DEPTH):
        raise error(400, "The JSON body nests too deeply.")
    body = clean_json(body) if isinstance(body, dict) else body
    if errors := validate(body, operation["body"]):
        raise error(422, "Some fields are missing or invalid.", details=errors)
    return body


def _read_files():
    httprequest = request.httprequest
    if httprequest.mimetype != "multipart/form-data":
        raise error(415, "Send the files as multipart/form-data.")
    max_size = request.env["clinic.visit.message"].sudo()._document_max_size()
    length = httprequest.content_length
    if length is not None and length > max_size * 10 + 65536:
        raise error(413, f"A file is {max_size // (1024 * 1024)} MB at most.")
    files = []
    for storage in httprequest.files.getlist("file"):
        data = storage.read(max_size + 1)
        if len(data) > max_size:
            raise error(413, f"A file is {max_size // (1024 * 1024)} MB at most.")
        files.append((storage.filename or "document", storage.mimetype or "", data))
    if not files:
        raise error(422, "Send one or more files in the field 'file'.", {"file": "is required"})
    return files


def _read_query(operation):
    query, errors = {}, {}
    args = request.httprequest.args
    for param in operation["query"]:
        name, schema = param["name"], param["schema"]
        raw = args.get(name)
        if raw is None:
            if param.get("required"):
                errors[f"query.{name}"] = "is required"
            elif "default" in schema:
                query[name] = schema["default"]
            continue
        value = raw
        if schema["type"] == "integer":
            if not re.fullmatch(r"-?\d{1,10}", raw):
                errors[f"query.{name}"] = "must be an integer"
                continue
            value = int(raw)
        elif schema["type"] == "boolean":
            if raw not in ("true", "false"):
                errors[f"query.{name}"] = "must be true or false"
                continue
            value = raw == "true"
        errors.update(validate(value, schema, f"query.{name}"))
        query[name] = value
    if errors:
        raise error(422, "Some query parameters are invalid.", details=errors)
    return query


def _dispatch(path, path_args):
    methods = PATHS[path]
    method = request.httprequest.method
    if method == "HEAD" and "GET" in methods:
        method = "GET"
    operation = methods.get(method)
    if not operation:
        allowed = ", ".join(sorted(methods))
        raise ApiError(
            405,
            "method_not_allowed",
            f"Use {allowed} here.",
            headers={"Allow": allowed},
        )
    for value in path_args.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise error(404)
    if operation["auth"]:
        check_rate(authenticate())
    else:
        request.update_env(user=request.env.ref("base.public_user").id)
    if operation["body"] == "multipart":
        api = ApiRequest(request.env, files=_read_files())
    elif operation["body"]:
        api = ApiRequest(request.env, body=_read_json(operation))
    else:
        api = ApiRequest(request.env)
    api.query = _read_query(operation)
    result = operation["handler"](api, **path_args)
    status, data = result if isinstance(result, tuple) else (200, result)
    return json_response(data, status=status)


def serve(path, path_args):
    """Run an API request; every failure becomes a JSON error, with nothing
    it did kept (the transaction is rolled back)."""
    try:
        return _dispatch(path, path_args)
    except (*PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, ConcurrencyError):
        raise  # Odoo retries the whole request
    except ApiError as err:
        request.env.cr.rollback()
        return error_response(err)
    except (AccessError, AccessDenied) as exc:
        request.env.cr.rollback()
        return error_response(error(403, str(exc.args[0]) if exc.args else None))
    except MissingError:
        request.env.cr.rollback()
        return error_response(error(404))
    except (UserError, ValidationError) as exc:
        request.env.cr.rollback()
        return error_response(error(422, str(exc.args[0]) if exc.args else None))
    except werkzeug.exceptions.RequestEntityTooLarge:
        request.env.cr.rollback()
        return error_response(error(413))
    except werkzeug.exceptions.HTTPException as exc:
        request.env.cr.rollback()
        status = exc.code if exc.code in ERRORS else 400
        return error_response(error(status))
    except psycopg2.Error:
        request.env.cr.rollback()
        _logger.exception("Partner API: database error on %s", path)
        return error_response(
            ApiError(503, "unavailable", "The clinic cannot answer now: try again later.")
        )
    except Exception:
        request.env.cr.rollback()
        _logger.exception("Partner API: unexpected error on %s", path)
        return error_response(ApiError(500, "internal", "Something went wrong on our side."))


# ------------------------------------------------------------
# DECLARING ROUTES
# ------------------------------------------------------------


def _openapi_path(path):
    return re.sub(r"<(?:int|string):(\w+)>", r"{\1}", path)


def _route_endpoint(path):
    """One Odoo route for ``path``, whatever the method."""

    names = re.findall(r"<\w+:(\w+)>", path)

    def endpoint(self, **params):
        # Odoo passes the query string's arguments too: keep the path's.
        return serve(path, {name: params[name] for name in names})

    endpoint.__name__ = "api_" + re.sub(r"\W+", "_", path).strip("_")
    return http.route(
        PREFIX + path,
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,
    )(endpoint)


def operation(
    method,
    path,
    *,
    summary,
    tag,
    response,
    status=200,
    body=None,
    query=(),
    errors=(),
    auth=True,
    description=None,
):
    """Declare an API operation: its handler, and its OpenAPI description.

    :param path: an Odoo route path under ``/api/v1``, ``<int:x>`` for ids
    :param response: the JSON schema of a successful response (``None`` for 204)
    :param body: the JSON schema of the body, ``"multipart"`` for files
    :param query: ``[{"name", "schema", "required"?, "description"?}]``
    :param errors: the statuses this operation may answer beside the usual ones
    """

    def decorate(handler):
        op = {
            "method": method,
            "path": path,
            "summary": summary,
            "description": description,
            "tag": tag,
            "response": response,
            "status": status,
            "body": body,
            "query": list(query),
            "errors": set(errors),
            "auth": auth,
            "handler": handler,
            "operation_id": handler.__name__.strip("_"),
        }
        OPERATIONS.append(op)
        PATHS.setdefault(path, {})[method] = op
        return handler

    return decorate


def route_endpoints():
    """A Controller's methods: one Odoo route per declared path."""
    return {
        f"api_{index}": _route_endpoint(path) for index, path in enumerate(sorted(PATHS), start=1)
    }


# ------------------------------------------------------------
# THE OPENAPI DOCUMENT
# ------------------------------------------------------------


def _path_parameters(path):
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": ID if kind == "int" else text(max_length=128),
        }
        for kind, name in re.findall(r"<(int|string):(\w+)>", path)
    ]


def _error_response(status):
    return {
        "description": ERRORS[status][1] if status in ERRORS else "Unavailable",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document(base_url):
    """The OpenAPI 3.1 document of every declared operation."""
    paths = {}
    for op in OPERATIONS:
        responses = {}
        if op["response"] is None:
            responses[str(op["status"])] = {"description": "Done."}
        else:
            responses[str(op["status"])] = {
                "description": "Success.",
                "content": {"application/json": {"schema": op["response"]}},
            }
        statuses = set(op["errors"]) | {405}
        if op["auth"]:
            statuses |= {401, 403, 429}
        if op["path"].count("<"):
            statuses.add(404)
        if op["query"]:
            statuses.add(422)
        if op["body"]:
            statuses |= {400, 413, 415, 422}
        for status_code in sorted(statuses):
            responses[str(status_code)] = _error_response(status_code)
        spec = {
            "operationId": op["operation_id"],
            "summary": op["summary"],
            "tags": [op["tag"]],
            "parameters": _path_parameters(op["path"])
            + [
                {
                    "name": param["name"],
                    "in": "query",
                    "required": bool(param.get("required")),
                    "schema": param["schema"],
                    **({"description": param["description"]} if param.get("description") else {}),
                }
                for param in op["query"]
            ],
            "responses": responses,
        }
        if op["description"]:
            spec["description"] = op["description"]
        if not op["auth"]:
            spec["security"] = []
        if op["body"] == "multipart":
            spec["requestBody"] = {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": obj(
                            {"file": array(BINARY, minItems=1)},
                            required=("file",),
                        ),
                        "encoding": {"file": {"contentType": "application/octet-stream"}},
                    }
                },
            }
        elif op["body"]:
            spec["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op["body"]}},
            }
        paths.setdefault(PREFIX + _openapi_path(op["path"]), {})[op["method"].lower()] = spec
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clinic Telehealth partner API",
            "version": "1.0.0",
            "description": (
                "Run the clinic from another system: pros, lobbies and walk-ins, "
                "one-to-one visits, appointments, webhooks. Every request but the "
                "device list sends 'Authorization: Bearer <key>', a key made by a clinic "
                "manager under Clinic > Configuration > API Keys. Errors are "
                '{"error": {"code", "message", "details"?}}.'
            ),
        },
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
        "paths": paths,
    }
