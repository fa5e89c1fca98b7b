import json

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import NOW, ClinicAppointmentCommon, ClinicAppointmentHttpCommon
from .test_emails import ics_lines

# The appointment of these tests: Wednesday 4 March 2026, 10:00-10:30 in
# Brussels, 09:00-09:30 UTC. Its call opens at 08:50 UTC, the pro may start it
# from 08:00 UTC, its links close at 10:00 UTC (30 minutes' grace).
START = "2026-03-04 10:00"


@tagged("post_install", "-at_install")
class TestVisitHttp(ClinicAppointmentHttpCommon):
    """The patient's link, before, during and after the appointment."""

    def setUp(self):
        super().setUp()
        with freeze_time(NOW):
            self.appointment = self._book(START)
        self.visit_url = f"/appointment/visit/{self.appointment.access_token}"

    def _owl_props(self, response, name):
        (component,) = self._page(response).cssselect(f'owl-component[name="{name}"]')
        return json.loads(component.get("props"))

    def _phase(self, response):
        page = self._page(response)
        if page.cssselect(".o_clinic_appointment_visit_open"):
            return "open"
        return page.cssselect(".o_clinic_appointment_visit")[0].get("data-phase")

    def test_early(self):
        for moment, opens_in in (
            ("2026-03-02 08:00:00", 2 * 86400 + 50 * 60 + 1),
            ("2026-03-04 08:49:00", 61),
        ):
            with self.subTest(moment=moment), freeze_time(moment):
                response = self.url_open(self.visit_url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers["Cache-Control"], "no-store")
                self.assertEqual(self._phase(response), "early")
                (early,) = self._page(response).cssselect(".o_clinic_appointment_early")
                self.assertIn(
                    "The video call opens 10 minutes before the appointment.", early.text_content()
                )
                self.assertEqual(int(early.get("data-opens-in")), opens_in)
                when = "Wednesday, March 4, 2026, 10:00 AM\N{EN DASH}10:30 AM (Europe/Brussels)"
                self.assertIn(when, self._text(response))
                self.assertFalse(self._page(response).cssselect("owl-component"))
        self.assertFalse(self.appointment.meeting_id, "no call before it opens")
        self.assertFalse(self.appointment.guest_id)
        self.assertNotIn("dgid", self.opener.cookies)

    @freeze_time("2026-03-04 08:50:00")
    def test_open(self):
        response = self.url_open(self.visit_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertEqual(self._phase(response), "open")
        meeting, guest = self.appointment.meeting_id, self.appointment.guest_id
        self.assertTrue(meeting)
        self.assertEqual(meeting.state, "waiting")
        self.assertEqual(meeting.patient_participant_id.guest_id, guest)
        self.assertEqual(guest.name, "Jane Roe")
        self.assertEqual(
            self._owl_props(response, "clinic_meeting.video_call"),
            {
                "meetingId": meeting.id,
                "role": "patient",
                "busChannel": meeting._patient_bus_channel(),
                "leaveUrl": f"{self.visit_url}/leave",
            },
        )
        self.assertEqual(
            self._owl_props(response, "clinic_lobby.waiting_status")["statusUrl"],
            f"{self.visit_url}/status",
        )
        # The browser is now the patient's guest: the call's routes know it.
        self.assertEqual(self.opener.cookies["dgid"], guest._format_auth_cookie())
        status = self.url_open(f"{self.visit_url}/status", json={"params": {}}).json()
        self.assertEqual(status["result"], {"state": "waiting", "pro_names": []})
        # Coming back (another browser too) enters the same meeting as the same guest.
        self.opener.cookies.clear()
        self.assertEqual(self._phase(self.url_open(self.visit_url)), "open")
        self.assertEqual(self.appointment.meeting_id, meeting)
        self.assertEqual(self.appointment.guest_id, guest)
        self.assertEqual(self.opener.cookies["dgid"], guest._format_auth_cookie())
        self.assertEqual(len(meeting.participant_ids), 1)

    @freeze_time("2026-03-04 09:10:00")
    def test_leave_and_come_back(self):
        page = self.url_open(self.visit_url)
        meeting = self.appointment.meeting_id
        left = self.url_open(f"{self.visit_url}/leave", data={"csrf_token": self._csrf_token(page)})
        self.assertIn("You have left the call.", self._text(left))
        self.assertTrue(meeting.patient_participant_id.left_at)
        self.assertEqual(meeting.state, "waiting", "the appointment's call goes on")
        self.assertEqual(self._phase(self.url_open(self.visit_url)), "open")
        self.assertFalse(meeting.patient_participant_id.left_at)

    def test_over_after_the_grace_period(self):
        with freeze_time("2026-03-04 10:00:01"):
            response = self.url_open(self.visit_url)
            self.assertEqual(self._phase(response), "over")
            self.assertIn("This appointment is over", self._text(response))
            self.assertFalse(self._page(response).cssselect("owl-component"))
            # Too late to cancel.
            cancel = self.url_open(f"{self.visit_url}/cancel", allow_redirects=False)
            self.assertEqual(cancel.status_code, 303)
        self.assertFalse(self.appointment.meeting_id, "no call made once it is over")
        self.assertNotIn("dgid", self.opener.cookies)
        self.assertEqual(self.appointment.state, "confirmed")
        # Up to 30 minutes after its end, the call still opens.
        with freeze_time("2026-03-04 10:00:00"):
            self.assertEqual(self._phase(self.url_open(self.visit_url)), "open")
        self.assertTrue(self.appointment.meeting_id)

    def test_live_call_stays_open_after_the_grace_period(self):
        with freeze_time("2026-03-04 09:20:00"):
            self.appointment.with_user(self.user_pro_a).action_start_call()
        with freeze_time("2026-03-04 10:30:00"):
            self.assertEqual(self._phase(self.url_open(self.visit_url)), "open")
        self.appointment.meeting_id._leave_pro(self.pro_a)  # the pro ends the call
        with freeze_time("2026-03-04 10:31:00"):
            response = self.url_open(self.visit_url)
            self.assertEqual(self._phase(response), "ended")
            self.assertIn("This appointment is over", self._text(response))

    @freeze_time(NOW)
    def test_calendar_file(self):
        response = self.url_open(f"{self.visit_url}/appointment.ics")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "text/calendar; charset=utf-8")
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        lines = ics_lines(response.content)
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "clinic.appointment"), ("res_id", "=", self.appointment.id)]
        )
        emailed = ics_lines(attachment.raw)
        self.assertEqual(
            [line for line in lines if line.startswith("UID:")],
            [line for line in emailed if line.startswith("UID:")],
        )
        self.assertIn("DTSTART;TZID=Europe/Brussels:20260304T100000", lines)

    @freeze_time(NOW)
    def test_cancelled_link(self):
        self.appointment.action_cancel(reason="Dr. Alpha is ill.")
        response = self.url_open(self.visit_url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._phase(response), "cancelled")
        self.assertIn("This appointment was cancelled", self._text(response))
        self.assertEqual(self.url_open(f"{self.visit_url}/appointment.ics").status_code, 404)
        confirmed = self.url_open(f"{self.visit_url}/confirmed", allow_redirects=False)
        self.assertEqual(confirmed.status_code, 303)
        self.assertTrue(confirmed.headers["Location"].endswith(self.visit_url))
        cancel = self.url_open(f"{self.visit_url}/cancel", allow_redirects=False)
        self.assertEqual(cancel.status_code, 303)
        with freeze_time("2026-03-04 09:00:00"):
            # Even at its time, a cancelled appointment opens no call.
            self.assertEqual(self._phase(self.url_open(self.visit_url)), "cancelled")
        self.assertFalse(self.appointment.meeting_id)


class TestProActions(ClinicAppointmentCommon):
    """The pro starts the call of their appointment from their dashboard."""

    def setUp(self):
        super().setUp()
        with freeze_time(NOW):
            self.appointment = self._book(START)

    def _start_call(self, user, moment):
        with freeze_time(moment):
            return self.appointment.with_user(user).action_start_call()

    def test_start_call_from_one_hour_before(self):
        with self.assertRaisesRegex(UserError, "^The call can be started 60 minutes before"):
            self._start_call(self.user_pro_a, "2026-03-04 07:59:00")
        self.assertFalse(self.appointment.meeting_id)
        participant = self._start_call(self.user_pro_a, "2026-03-04 08:00:00")
        meeting = self.appointment.meeting_id
        self.assertEqual(participant.meeting_id, meeting)
        self.assertEqual(meeting.state, "in_progress")
        self.assertRecordValues(
            participant, [{"role": "pro", "pro_id": self.pro_a.id, "left_at": False}]
        )
        self.assertEqual(self.pro_a._get_current_participation(), participant)
        # The patient then enters the same meeting.
        with freeze_time("2026-03-04 08:55:00"):
            self.assertEqual(self.appointment._enter_as_patient()[0], meeting)
        self.assertEqual(meeting.participant_count, 2)
        # Starting again (another tab) is the same participation.
        self.assertEqual(self._start_call(self.user_pro_a, "2026-03-04 09:00:00"), participant)

    def test_another_pro_cannot_start_the_call(self):
        # Dr. Beta cannot even read it (record rules).
        with self.assertRaises(AccessError):
            self._start_call(self.user_pro_b, "2026-03-04 08:55:00")
        # A pro of the front desk reads every appointment, yet starts only theirs.
        user_desk = new_test_user(
            self.env,
            login="test_pro_desk",
            groups="base.group_user,clinic_meeting.group_clinic_user",
            name="Dr. Desk",
        )
        self.env["clinic.pro"].create({"name": "Dr. Desk", "user_id": user_desk.id})
        for user in (user_desk, self.user_manager):
            with self.subTest(user=user.login):
                self.assertEqual(self.appointment.with_user(user).patient_name, "Jane Roe")
                with self.assertRaisesRegex(
                    UserError, "^Only the professional of this appointment can start its call."
                ):
                    self._start_call(user, "2026-03-04 08:55:00")
        self.assertFalse(self.appointment.meeting_id)

    def test_cannot_start_a_cancelled_or_past_appointment(self):
        with self.assertRaisesRegex(UserError, "^This appointment is over."):
            self._start_call(self.user_pro_a, "2026-03-04 10:01:00")
        self.assertFalse(self.appointment.meeting_id)
        self.appointment.action_cancel()
        with self.assertRaisesRegex(UserError, "^This appointment was cancelled."):
            self._start_call(self.user_pro_a, "2026-03-04 09:00:00")
        self.assertFalse(self.appointment.meeting_id)
