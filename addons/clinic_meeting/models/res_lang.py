from odoo import api, fields, models


class ResLang(models.Model):
    _inherit = "res.lang"

    @api.model
    def _clinic_install_languages(self, codes):
        """Activate languages and load the installed modules' translations,
        as Settings > Languages > Add does (for the demo data)."""
        langs = self.with_context(active_test=False).search([("code", "in", codes)])
        missing = langs.filtered(lambda lang: not lang.active)
        if missing:
            self.env["base.language.install"].create(
                {"lang_ids": [fields.Command.set(missing.ids)], "overwrite": False}
            ).lang_install()
        return True
