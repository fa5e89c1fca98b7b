from odoo import models
from odoo.http import request


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
