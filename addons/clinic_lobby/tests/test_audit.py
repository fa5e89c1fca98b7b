from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ClinicLobbyCommon


@tagged("post_install", "-at_install")
class TestAuditTrail(ClinicLobbyCommon):
    def _lines(self, meeting):
        return self.env["clinic.audit.log"].search(
            [("res_model", "=", "clinic.meeting"), ("res_id", "=", meeting.id)], order="id"
        )

    def test_a_walk_in_leaves_a_trail(self):
        """Check-in (by the patient's guest), a pro joining and leaving: each
        a line with who did it; no patient data in the lines."""
        meeting = self._check_in(name="Audit Patient")
        guest = meeting.patient_participant_id.guest_id
        meeting.with_user(self.user_pro_a).action_join()
        meeting.with_user(self.user_pro_a).action_leave()
        lines = self._lines(meeting)
        self.assertEqual(lines.mapped("action"), ["checked_in", "joined", "left"])
        self.assertEqual(lines[0].guest_id, guest)
        self.assertEqual(lines[1].user_id, self.user_pro_a)
        self.assertEqual(lines[2].detail, "Dr. Alpha")
        for line in lines:
            self.assertNotIn("Audit Patient", line.detail or "")
            self.assertNotIn("1980", line.detail or "")

    def test_the_trail_is_append_only(self):
        """Managers read it; nobody changes or deletes it, not even an
        administrator or sudo, and nobody writes a line by hand."""
        meeting = self._check_in()
        line = self._lines(meeting)
        self.assertEqual(line.with_user(self.user_manager).action, "checked_in")
        for env in (self.env(user=self.user_manager), self.env(su=True)):
            with self.subTest(env=env.uid), self.assertRaises(AccessError):
                line.with_env(env).write({"action": "opened"})
            with self.subTest(env=env.uid), self.assertRaises(AccessError):
                line.with_env(env).unlink()
            with self.subTest(env=env.uid), self.assertRaises(AccessError):
                env["clinic.audit.log"].create(
                    {"action": "opened", "res_model": "clinic.meeting", "res_id": 1}
                )
        with self.assertRaises(AccessError):
            line.with_user(self.user_pro_a).read(["action"])

    def test_old_lines_go_after_the_retention_period(self):
        meeting = self._check_in()
        self.env["ir.config_parameter"].set_param("clinic_meeting.audit_retention_days", 10)
        with freeze_time(fields.Datetime.now() + timedelta(days=9)):
            self.env["clinic.audit.log"]._gc_audit_log()
        self.assertTrue(self._lines(meeting))
        with freeze_time(fields.Datetime.now() + timedelta(days=11)):
            self.env["clinic.audit.log"]._gc_audit_log()
        self.assertFalse(self._lines(meeting))


@tagged("post_install", "-at_install")
class TestWalkInRetention(ClinicLobbyCommon):
    def test_personal_data_erased_after_the_period_statistics_kept(self):
        self.env["ir.config_parameter"].set_param("clinic_lobby.walk_in_retention_days", 30)
        old = self._check_in(name="Old Patient", birthdate="1950-01-02")
        old._join_pro(self.pro_a)
        old._leave_pro(self.pro_a)
        recent = self._check_in(lobby=self.lobby_b, name="Recent Patient")
        recent._leave_patient()
        waiting = self._check_in(name="Waiting Patient")
        guest = old.patient_participant_id.guest_id
        wait, ended = old.wait_minutes, old.ended_at
        Lobby = self.env["clinic.lobby"]
        with freeze_time(fields.Datetime.now() + timedelta(days=29)):
            self.assertFalse(Lobby._cron_erase_walk_in_personal_data() & (old | recent))
        with freeze_time(fields.Datetime.now() + timedelta(days=31)):
            erased = Lobby._cron_erase_walk_in_personal_data()
        self.assertEqual(erased & (old | recent | waiting), old | recent)
        patient = old.participant_ids.filtered(lambda p: p.role == "patient")
        self.assertEqual((old.name, patient.name), ("-", "-"))
        self.assertFalse(patient.birthdate)
        self.assertFalse(guest.exists(), "the patient's guest is gone")
        self.assertEqual((old.wait_minutes, old.ended_at, old.state), (wait, ended, "done"))
        self.assertEqual(old.participant_ids.filtered(lambda p: p.role == "pro").name, "Dr. Alpha")
        self.assertEqual(waiting.name, "Waiting Patient", "a live meeting is kept whole")
        self.assertTrue(old.personal_data_erased_at)
        line = self.env["clinic.audit.log"].search(
            [("res_id", "=", old.id), ("action", "=", "erased")]
        )
        self.assertEqual(len(line), 1)
