import json

from odoo import http
from odoo.http import request

from odoo.addons.mail.tools.discuss import add_guest_to_context

from . import api


def describe_schema(schema):
    """A JSON schema in a few words, for people: "string, 100 at most"."""
    if not isinstance(schema, dict):
        return ""
    kinds = schema.get("type", "")
    kinds = " or ".join(kinds) if isinstance(kinds, list) else kinds
    if kinds == "array":
        kinds = f"list of {describe_schema(schema.get('items', {})) or 'values'}"
    if kinds == "object" and schema.get("properties"):
        kinds = "object (" + ", ".join(schema["properties"]) + ")"
    notes = []
    if schema.get("format"):
        notes.append(schema["format"])
    if "enum" in schema:
        notes.append("one of " + ", ".join(map(str, schema["enum"])))
    if "pattern" in schema:
        notes.append(f"matching {schema['pattern']}")
    if schema.get("minLength") == 1:
        notes.append("not empty")
    elif "minLength" in schema:
        notes.append(f"at least {schema['minLength']} characters")
    if "maxLength" in schema:
        notes.append(f"{schema['maxLength']} characters at most")
    if "minimum" in schema and schema["minimum"] > 0:
        notes.append(f"from {schema['minimum']}")
    if "maximum" in schema and schema["maximum"] < api.MAX_ID:
        notes.append(f"up to {schema['maximum']}")
    if "default" in schema:
        notes.append(f"default {json.dumps(schema['default'])}")
    return ", ".join([kinds, *notes]) if kinds else ", ".join(notes)


class ClinicApiController(http.Controller):
    """The partner API's routes (one per declared path), its OpenAPI
    document and reference page, the JSON 404 of unknown API paths, and the
    patient's one-time entry link of an API check-in."""

    locals().update(api.route_endpoints())

    @http.route(
        f"{api.PREFIX}/openapi.json", type="http", auth="none", methods=["GET"], save_session=False
    )
    def openapi_json(self):
        document = api.openapi_document(request.httprequest.host_url.rstrip("/"))
        return api.json_response(document)

    @http.route(
        f"{api.PREFIX}/docs",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def openapi_page(self):
        document = api.openapi_document(request.httprequest.host_url.rstrip("/"))
        return request.render(
            "clinic_api.api_reference",
            {"document": document, "json": json, "describe": describe_schema},
        )

    @http.route(
        [api.PREFIX, f"{api.PREFIX}/<path:subpath>"],
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
    )
    def not_found(self, subpath=None, **kwargs):
        return api.error_response(api.error(404, "There is no such API route."))

    @http.route(
        "/lobby/<string:lobby_slug>/enter/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    @add_guest_to_context
    def lobby_enter(self, lobby_slug, token, **kwargs):
        """The one-time link of a check-in made through the API: this browser
        becomes the patient's (their guest cookie) and goes to the meeting."""
        meeting_sudo = request.env["clinic.meeting"].sudo()._api_get_by_entry_token(token)
        if not meeting_sudo or meeting_sudo.lobby_id.slug != lobby_slug:
            raise request.not_found()
        meeting_sudo.api_entry_token = False
        meeting_sudo.patient_participant_id.guest_id._set_auth_cookie()
        return request.redirect(f"/lobby/{lobby_slug}/meeting/{meeting_sudo.id}")
