from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged, users
from odoo.tools import mute_logger

from .common import NOW, ClinicAppointmentCommon, ClinicAppointmentHttpCommon, to_utc


def setup_appointments(cls):
    """Wednesday 4 March 2026: Dr. Alpha at 10:00, Dr. Beta at 11:00."""
    cls.user_portal = new_test_user(
        cls.env, login="test_portal", groups="base.group_portal", name="Not A Pro"
    )
    with freeze_time(NOW):
        book = cls.env["clinic.appointment"]._book
        cls.appointment_a, _errors = book(
            cls.type_both, to_utc("2026-03-04 10:00"), name="Alpha Patient", email="a@example.com"
        )
        cls.appointment_b, _errors = book(
            cls.type_both, to_utc("2026-03-04 10:00"), name="Beta Patient", email="b@example.com"
        )
    assert cls.appointment_a.pro_id == cls.pro_a and cls.appointment_b.pro_id == cls.pro_b


@tagged("security")
class TestAppointmentAccessRights(ClinicAppointmentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_appointments(cls)

    @users("test_pro_b")
    def test_pro_reads_only_own_appointments(self):
        Appointment = self.env["clinic.appointment"]
        self.assertEqual(Appointment.search([]), self.appointment_b)
        self.assertEqual(Appointment.browse(self.appointment_b.id).patient_name, "Beta Patient")
        with self.assertRaises(AccessError):
            Appointment.browse(self.appointment_a.id).patient_name  # noqa: B018
        with self.assertRaises(AccessError):
            Appointment.browse(self.appointment_a.id).check_access("read")
        # Nor its call.
        with freeze_time("2026-03-04 08:55:00"):
            meeting_a = self.appointment_a.sudo()._get_or_create_meeting()
        with self.assertRaises(AccessError):
            self.env["clinic.meeting"].browse(meeting_a.id).name  # noqa: B018
        # The dashboard shows only their own day.
        with freeze_time(NOW):
            day = (
                self.env["clinic.pro"]
                ._get_current()
                ._get_appointments_day(self.appointment_b.start.date())
            )
        self.assertEqual([a["name"] for a in day["appointments"]], ["Beta Patient"])

    @users("test_pro_b")
    def test_pro_cannot_write_cancel_or_see_secrets(self):
        appointment = self.env["clinic.appointment"].browse(self.appointment_b.id)
        with self.assertRaises(AccessError):
            appointment.write({"patient_name": "x"})
        with self.assertRaises(AccessError):
            appointment.action_cancel()
        with self.assertRaises(AccessError):
            appointment.read(["access_token"])
        with self.assertRaises(AccessError):
            self.env["clinic.appointment"].browse(self.appointment_a.id)._action_cancel_as_pro()
        self.assertEqual(self.appointment_a.state, "confirmed")
        self.assertEqual(self.appointment_b.state, "confirmed")

    @users("test_pro_a")
    def test_pro_sees_only_the_types_they_take(self):
        Type = self.env["clinic.appointment.type"]
        self.assertEqual(Type.search([]), self.type_alpha | self.type_both)
        with self.assertRaises(AccessError):
            Type.browse(self.type_alpha.id).write({"name": "x"})
        other = (
            self.env["clinic.appointment.type"]
            .sudo()
            .create(
                {
                    "name": "Beta only",
                    "slug": "test-beta-only",
                    "resource_calendar_id": self.calendar.id,
                    "pro_ids": [(6, 0, self.pro_b.ids)],
                }
            )
        )
        with self.assertRaises(AccessError):
            Type.browse(other.id).name  # noqa: B018

    @users("test_portal")
    def test_portal_user_without_profile_sees_nothing(self):
        self.assertFalse(self.env["clinic.appointment"].search([]))
        self.assertFalse(self.env["clinic.appointment.type"].search([]))
        self.assertFalse(self.env["clinic.pro"]._get_current())

    @users("test_clinic_manager")
    def test_clinic_manager_sees_and_cancels_everything(self):
        appointments = self.env["clinic.appointment"].search([("type_id", "=", self.type_both.id)])
        self.assertEqual(appointments, self.appointment_a | self.appointment_b)
        with freeze_time(NOW):
            appointments[0].action_cancel(reason="Clinic closed")
        self.assertEqual(self.appointment_a.state, "cancelled")


@tagged("post_install", "-at_install", "security")
class TestAppointmentPortalRoutes(ClinicAppointmentHttpCommon):
    """The pro's routes on /my/clinic answer only for their own appointments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_appointments(cls)

    def _call(self, route, **params):
        response = self.url_open(route, json={"params": params})
        self.assertEqual(response.status_code, 200)
        return response.json()

    def _mails(self, appointment):
        return self.env["mail.mail"].search(
            [("model", "=", "clinic.appointment"), ("res_id", "=", appointment.id)], order="id"
        )

    @freeze_time(NOW)
    def test_day_lists_own_appointments(self):
        self.authenticate("test_pro_a", "test_pro_a")
        result = self._call("/my/clinic/appointments", day="2026-03-04")["result"]
        self.assertEqual(result["tz"], "Europe/Brussels")
        self.assertEqual(
            [(a["id"], a["time"], a["name"]) for a in result["appointments"]],
            [(self.appointment_a.id, "10:00 AM", "Alpha Patient")],
        )
        self.assertNotIn("access_token", str(result))

    @freeze_time(NOW)
    @mute_logger("odoo.http")
    def test_cannot_cancel_or_start_another_pros_appointment(self):
        mails_before = len(self._mails(self.appointment_a))
        event = self.appointment_a.calendar_event_id
        self.authenticate("test_pro_b", "test_pro_b")
        for action, params in (("cancel", {"reason": "Mine now"}), ("start", {})):
            with self.subTest(action=action):
                result = self._call(
                    f"/my/clinic/appointment/{self.appointment_a.id}/{action}",
                    day="2026-03-04",
                    **params,
                )["result"]
                self.assertEqual(result["error"], "This appointment is not available to you.")
                self.assertEqual([a["name"] for a in result["appointments"]], ["Beta Patient"])
        self.assertEqual(self.appointment_a.state, "confirmed")
        self.assertFalse(self.appointment_a.cancel_reason)
        self.assertFalse(self.appointment_a.meeting_id)
        self.assertTrue(event.exists())
        self.assertEqual(len(self._mails(self.appointment_a)), mails_before)
        # An id that does not exist answers the same.
        result = self._call("/my/clinic/appointment/999999999/cancel")["result"]
        self.assertEqual(result["error"], "This appointment is not available to you.")

    @freeze_time(NOW)
    def test_pro_cancels_own_appointment_with_a_reason(self):
        self.authenticate("test_pro_a", "test_pro_a")
        result = self._call(
            f"/my/clinic/appointment/{self.appointment_a.id}/cancel",
            day="2026-03-04",
            reason="  I am ill.  ",
        )["result"]
        self.assertFalse(result["error"])
        self.assertEqual(result["appointments"], [])
        self.assertEqual(self.appointment_a.state, "cancelled")
        self.assertEqual(self.appointment_a.cancel_reason, "I am ill.")
        self.assertIn("Reason: I am ill.", self._mails(self.appointment_a)[-1:].body_html)
        self.assertEqual(self.appointment_b.state, "confirmed")

    @freeze_time("2026-03-04 07:30:00")
    def test_start_too_early_is_refused_and_leaves_nothing(self):
        self.authenticate("test_pro_a", "test_pro_a")
        result = self._call(f"/my/clinic/appointment/{self.appointment_a.id}/start")["result"]
        self.assertEqual(
            result["error"], "The call can be started 60 minutes before the appointment."
        )
        self.assertFalse(self.appointment_a.meeting_id)

    @freeze_time("2026-03-04 08:30:00")
    def test_start_within_the_hour(self):
        self.authenticate("test_pro_a", "test_pro_a")
        result = self._call(
            f"/my/clinic/appointment/{self.appointment_a.id}/start", day="2026-03-04"
        )["result"]
        self.assertFalse(result["error"])
        meeting = self.appointment_a.meeting_id
        self.assertEqual(meeting.state, "in_progress")
        self.assertEqual(result["appointments"][0]["meeting_state"], "in_progress")
        pro_participant = meeting.participant_ids.filtered(lambda p: p.role == "pro")
        self.assertEqual(pro_participant.pro_id, self.pro_a)
        self.assertFalse(pro_participant.left_at)

    def test_routes_need_a_pro(self):
        self.assertIn("error", self._call("/my/clinic/appointments"))
        self.authenticate("test_portal", "test_portal")
        self.assertEqual(self._call("/my/clinic/appointments")["result"], {"is_pro": False})
        result = self._call(f"/my/clinic/appointment/{self.appointment_a.id}/cancel")["result"]
        self.assertEqual(result, {"is_pro": False})
        self.assertEqual(self.appointment_a.state, "confirmed")
