import re
from datetime import datetime, timedelta

import pytz
from lxml import html

from odoo import Command
from odoo.tests import HttpCase, TransactionCase

from odoo.addons.clinic_meeting.tests.common import setup_clinic_pros

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Most tests live on Monday 2 March 2026, 09:00 in Brussels (UTC+1), and book
# Wednesday 4 March.
NOW = "2026-03-02 08:00:00"
BRUSSELS = "Europe/Brussels"


def create_calendar(env, tz, days=range(5), hours=(9, 17), name=None):
    """Working hours: ``hours`` local time on each of ``days`` (0 is Monday)."""
    return env["resource.calendar"].create(
        {
            "name": name or f"Test hours ({tz})",
            "tz": tz,
            "attendance_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "name": WEEKDAYS[day],
                        "dayofweek": str(day),
                        "hour_from": hours[0],
                        "hour_to": hours[1],
                        "day_period": "full_day",
                    }
                )
                for day in days
            ],
        }
    )


def create_type(env, slug, pros, calendar, **values):
    """An appointment type of 30 minutes, 2 hours' notice, 30 days ahead."""
    return env["clinic.appointment.type"].create(
        {
            "name": f"Test {slug}",
            "slug": slug,
            "duration": 30,
            "min_notice_hours": 2,
            "max_days_ahead": 30,
            "buffer_minutes": 0,
            "resource_calendar_id": calendar.id,
            "pro_ids": [Command.set(pros.ids)],
            **values,
        }
    )


def to_utc(local, tz=BRUSSELS):
    """``"2026-03-04 10:00"`` in ``tz`` as a naive UTC datetime, as stored."""
    aware = pytz.timezone(tz).localize(datetime.fromisoformat(local))
    return aware.astimezone(pytz.utc).replace(tzinfo=None)


def start_param(local, tz=BRUSSELS):
    """A slot's start as the booking links write it."""
    return to_utc(local, tz).strftime("%Y-%m-%dT%H:%MZ")


def setup_appointment_types(cls):
    """Mon-Fri 09:00-17:00 in Brussels; Dr. Alpha's type and Alpha & Beta's."""
    cls.calendar = create_calendar(cls.env, BRUSSELS)
    cls.type_alpha = create_type(cls.env, "test-alpha", cls.pro_a, cls.calendar)
    cls.type_both = create_type(cls.env, "test-alpha-beta", cls.pro_a | cls.pro_b, cls.calendar)


class AppointmentMixin:
    """Helpers shared by the model and the HTTP tests."""

    def _book(self, local, appointment_type=None, name="Jane Roe", email="jane@example.com", **kw):
        """Book through ``_book`` as the public page does; it must succeed."""
        appointment_type = appointment_type or self.type_alpha
        appointment, errors = self.env["clinic.appointment"]._book(
            appointment_type.sudo(),
            to_utc(local, appointment_type.tz),
            name=name,
            email=email,
            **kw,
        )
        self.assertFalse(errors)
        return appointment

    def _create_appointment(self, pro, local, minutes=30, appointment_type=None, **values):
        """An appointment written directly (no slot check), e.g. to make a pro busy."""
        appointment_type = appointment_type or self.type_alpha
        start = to_utc(local, appointment_type.tz)
        return self.env["clinic.appointment"].create(
            {
                "type_id": appointment_type.id,
                "pro_id": pro.id,
                "start": start,
                "stop": start + timedelta(minutes=minutes),
                "patient_name": "Busy Maker",
                "email": "busy@example.com",
                **values,
            }
        )

    def _appointments(self, appointment_type=None):
        return (
            self.env["clinic.appointment"]
            .sudo()
            .search([("type_id", "=", (appointment_type or self.type_alpha).id)])
        )

    def _mail_count(self):
        return self.env["mail.mail"].sudo().search_count([])


class ClinicAppointmentCommon(AppointmentMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_clinic_pros(cls)
        setup_appointment_types(cls)


class ClinicAppointmentHttpCommon(AppointmentMixin, HttpCase):
    """Public pages through HTTP: ``self.opener`` is one browser (cookies)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_clinic_pros(cls)
        setup_appointment_types(cls)

    def _page(self, response):
        return html.fromstring(response.content)

    def _text(self, response):
        """The page's text, white space collapsed."""
        return " ".join(self._page(response).text_content().split())

    def _get_form(self, local, slug="test-alpha"):
        """The booking form's fields for the slot starting at ``local`` (Brussels)."""
        response = self.url_open(f"/appointment/{slug}/book?start={start_param(local)}")
        self.assertEqual(response.status_code, 200)
        form = self._page(response).cssselect("form.o_clinic_appointment_form")[0]
        return {field.name: field.value for field in form.inputs if field.name}

    def _post_book(self, slug="test-alpha", form=None, local="2026-03-04 10:00", **values):
        data = {
            **(form if form is not None else self._get_form(local, slug)),
            "name": "Jane Roe",
            "email": "jane@example.com",
            "comment": "",
            **values,
        }
        return self.url_open(f"/appointment/{slug}/book", data=data, allow_redirects=False)

    def _csrf_token(self, response):
        """The CSRF token a frontend page gives its scripts."""
        return re.search(r'csrf_token: "([^"]+)"', response.text)[1]
