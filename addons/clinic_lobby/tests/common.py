import re

from lxml import html

from odoo.tests import HttpCase, new_test_user

from odoo.addons.clinic_meeting.tests.common import (
    ClinicMeetingCommon,
    create_meeting,
    setup_clinic_pros,
)


def setup_lobbies(cls):
    """Lobby A with pros Alpha and Beta, lobby B with pro Gamma."""
    cls.user_pro_c = new_test_user(
        cls.env, login="test_pro_c", groups="base.group_portal", name="Dr. Gamma"
    )
    cls.user_portal = new_test_user(
        cls.env, login="test_portal", groups="base.group_portal", name="Not A Pro"
    )
    cls.pro_c = cls.env["clinic.pro"].create({"name": "Dr. Gamma", "user_id": cls.user_pro_c.id})
    cls.lobby_a, cls.lobby_b = cls.env["clinic.lobby"].create(
        [
            {
                "name": "Alpha & Beta's Office",
                "slug": "test-alpha-beta",
                "pro_ids": [(6, 0, (cls.pro_a | cls.pro_b).ids)],
            },
            {"name": "Gamma's Office", "slug": "test-gamma", "pro_ids": [(6, 0, cls.pro_c.ids)]},
        ]
    )


class ClinicLobbyCommon(ClinicMeetingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_lobbies(cls)

    def _check_in(self, lobby=None, name="John Doe", birthdate="1980-05-04", **kwargs):
        meeting, errors = (lobby or self.lobby_a)._check_in(name, birthdate, **kwargs)
        self.assertFalse(errors)
        return meeting


class ClinicLobbyHttpCommon(HttpCase):
    """Public pages, through HTTP: each ``Opener`` is one browser (cookies)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_clinic_pros(cls)
        setup_lobbies(cls)

    @classmethod
    def _create_meeting(cls, *args, **kwargs):
        return create_meeting(cls.env, *args, **kwargs)

    def _get_form(self, slug="test-alpha-beta"):
        response = self.url_open(f"/lobby/{slug}")
        self.assertEqual(response.status_code, 200)
        form = html.fromstring(response.content).cssselect("form.o_clinic_lobby_check_in_form")[0]
        return {field.name: field.value for field in form.inputs if field.name}

    def _post_check_in(self, slug="test-alpha-beta", form=None, **values):
        data = {**(form if form is not None else self._get_form(slug)), **values}
        return self.url_open(f"/lobby/{slug}/check-in", data=data, allow_redirects=False)

    def _csrf_token(self, response):
        """The CSRF token a frontend page gives its scripts."""
        return re.search(r'csrf_token: "([^"]+)"', response.text)[1]

    def _meetings(self, lobby=None):
        return self.env["clinic.meeting"].search([("lobby_id", "=", (lobby or self.lobby_a).id)])
