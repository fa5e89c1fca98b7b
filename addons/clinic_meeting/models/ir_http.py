import re

from werkzeug.exceptions import BadRequest, NotFound, abort

from odoo import models
from odoo.http import SAFE_HTTP_METHODS, request

# A well-formed guest cookie: "<mail.guest id>|<ASCII token>".
GUEST_COOKIE = re.compile(r"[0-9]{1,10}\|[!-~]+")
MAX_ID = 2**31 - 1


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_default_lang(cls):
        """The visitor's browser language, among the installed ones.

        Odoo's frontend picks the language of a page from its URL
        (``/fr/...``), then the ``frontend_lang`` cookie that the language
        selector sets, then the user's own language, then this default: a
        patient without an account gets the first installed language of
        their browser's ``Accept-Language`` instead of the database's default.
        """
        if request and request.httprequest:
            IrHttp = request.env["ir.http"]
            for code in request.httprequest.accept_languages.values():
                if code == "*" or len(code) > 16:
                    continue
                nearest = IrHttp.get_nearest_lang(code.replace("-", "_"))
                if nearest:
                    return request.env["res.lang"]._get_data(code=nearest)
        return super()._get_default_lang()

    # ------------------------------------------------------------
    # Malformed requests: a clean 400 or 404, not a server error.
    # Odoo's dispatch fails on these before our code runs (see
    # docs/ARCHITECTURE.md, "Hardening and privacy").
    # ------------------------------------------------------------

    @classmethod
    def _sanitize_cookies(cls, cookies):
        """Drop a malformed guest cookie (``dgid``): ``mail.guest`` parses it
        with ``int()`` and ``consteq``, which raise on ``abc|def``, an id out of
        PostgreSQL's range or a non-ASCII token. The visitor is then no guest."""
        result = super()._sanitize_cookies(cookies)
        name = cls.pool["mail.guest"]._cookie_name
        value = cookies.get(name)
        if value is not None and not (
            GUEST_COOKIE.fullmatch(value) and int(value.split("|", 1)[0]) <= MAX_ID
        ):
            cookies.pop(name)
        return result

    @classmethod
    def _match(cls, path_info):
        """A path that no converter can read is not found: werkzeug's ``int``
        converter raises ``ValueError`` on more than 4,300 digits."""
        try:
            return super()._match(path_info)
        except ValueError as e:
            raise NotFound() from e

    @classmethod
    def _serve_fallback(cls):
        """No attachment has a URL with a NUL byte (PostgreSQL refuses NUL in
        text): skip the look-up, which would fail, and answer 404."""
        if "\x00" in request.httprequest.path:
            return None
        return super()._serve_fallback()

    @classmethod
    def _pre_dispatch(cls, rule, args):
        """On the clinic's routes: a NUL byte in the path is a 404 (PostgreSQL
        refuses it in a query); a CSRF token that is a file or not ASCII is a
        400 (Odoo's ``validate_csrf`` raises on both); a JSON-RPC body that is
        not JSON, nested too deep to parse, not an object, or whose ``params``
        is not an object is a 400 with a JSON-RPC error (Odoo's dispatcher
        raises on each). The partner API's routes (``auth="none"``) answer
        such requests themselves, with their own JSON errors."""
        endpoint = rule.endpoint
        ours = (endpoint.__module__ or "").startswith("odoo.addons.clinic_") and (
            endpoint.routing["auth"] != "none"
        )
        if ours and any(isinstance(value, str) and "\x00" in value for value in args.values()):
            raise NotFound()
        super()._pre_dispatch(rule, args)
        if not ours:
            return
        routing_type = endpoint.routing["type"]
        if routing_type == "http" and request.httprequest.method not in SAFE_HTTP_METHODS:
            token = request.get_http_params().get("csrf_token")
            if token is not None and not (isinstance(token, str) and token.isascii()):
                raise BadRequest("Session expired (invalid CSRF token)")
        elif routing_type == "jsonrpc":
            try:
                body = request.get_json_data()
            except (ValueError, RecursionError):
                cls._clinic_jsonrpc_abort("Invalid JSON data")
            if not isinstance(body, dict) or not isinstance(body.get("params", {}), dict):
                cls._clinic_jsonrpc_abort("Invalid JSON-RPC data: params must be an object")

    @classmethod
    def _clinic_jsonrpc_abort(cls, message):
        error = {
            "code": 400,
            "message": message,
            "data": {
                "name": "werkzeug.exceptions.BadRequest",
                "message": message,
                "arguments": [message],
                "context": {},
            },
        }
        response = {"jsonrpc": "2.0", "id": None, "error": error}
        abort(request.make_json_response(response, status=400))
