import re

from lxml import html

import odoo.http
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestPatientLoginRedirect(HttpCase):
    """After the code, the patient lands where they were going, even when a
    request of the page they came from saved the session over the one that
    remembered it (the login form carries it too)."""

    def setUp(self):
        super().setUp()
        self.env.company.country_id = self.env.ref("base.us")
        ICP = self.env["ir.config_parameter"].sudo()
        ICP.set_param("clinic_auth_sms.provider", "sms")
        ICP.set_param("clinic_auth_sms.ip_hourly_limit", 0)
        self.env["res.partner"].create(
            {"name": "Rita Redirect", "phone": "+1 201-555-0177", "is_clinic_patient": True}
        )

    def _form(self, response):
        form = html.fromstring(response.content).cssselect("form")[0]
        return {field.name: field.value for field in form.inputs if field.name}

    def _log_in(self, lose_the_session_key):
        self.opener.cookies.clear()
        page = self.url_open("/patient/login?redirect=/vets")
        form = self._form(page)
        self.assertEqual(form.get("redirect"), "/vets")
        if lose_the_session_key:
            store = odoo.http.root.session_store
            session = store.get(self.opener.cookies["session_id"])
            session.pop("clinic_auth_sms_redirect", None)
            store.save(session)
        sent = self.url_open(
            "/patient/login/send",
            data={**form, "phone": "(201) 555-0177", "last_name": "Redirect"},
        )
        sms = self.env["sms.sms"].sudo().search([("number", "like", "5550177")], limit=1)
        code = re.search(r"\b(\d{6})\b", sms.body)[1]
        answer = self.url_open(
            "/patient/login/verify", data={**self._form(sent), "code": code}, allow_redirects=False
        )
        self.assertEqual(answer.status_code, 303)
        return answer.headers["Location"]

    def test_back_where_they_were_going(self):
        self.assertTrue(self._log_in(lose_the_session_key=False).endswith("/vets"))

    def test_back_there_even_when_the_session_lost_it(self):
        self.assertTrue(self._log_in(lose_the_session_key=True).endswith("/vets"))

    def test_only_a_path_of_this_site(self):
        page = self.url_open("/patient/login?redirect=//evil.example.com/x")
        self.assertNotIn("redirect", self._form(page))
