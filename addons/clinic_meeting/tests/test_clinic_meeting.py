from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError

from .common import ClinicMeetingCommon


class TestClinicMeeting(ClinicMeetingCommon):
    def test_first_pro_claims_then_last_pro_ends(self):
        with freeze_time("2026-03-01 10:00:00"):
            meeting = self._create_meeting()
        self.assertEqual(meeting.state, "waiting")
        self.assertEqual((meeting.participant_count, meeting.pro_count), (1, 0))

        with freeze_time("2026-03-01 10:06:30"):
            meeting._join_pro(self.pro_a)
        self.assertEqual(meeting.state, "in_progress")
        self.assertEqual((meeting.participant_count, meeting.pro_count), (2, 1))
        self.assertAlmostEqual(meeting.wait_minutes, 6.5)

        with self.assertRaisesRegex(UserError, "Already taken by Dr. Alpha"):
            meeting._join_pro(self.pro_b)
        meeting._join_pro(self.pro_b, take_over=True)
        self.assertEqual((meeting.participant_count, meeting.pro_count), (3, 2))

        meeting.with_user(self.user_pro_a).action_leave()
        self.assertEqual(meeting.state, "in_progress", "Dr. Beta is still there")
        meeting.with_user(self.user_pro_b).action_leave()
        self.assertEqual(meeting.state, "done")
        self.assertTrue(meeting.ended_at)
        self.assertEqual(meeting.participant_count, 0)

    def test_join_is_idempotent_and_one_meeting_at_a_time(self):
        first, second = self._create_meeting("A Patient"), self._create_meeting("B Patient")
        first._join_pro(self.pro_a)
        first.with_user(self.user_pro_a).action_join()
        self.assertEqual(first.pro_count, 1)
        with self.assertRaisesRegex(UserError, "still in the meeting with A Patient"):
            second._join_pro(self.pro_a)
        first.with_user(self.user_pro_a).action_leave()
        second._join_pro(self.pro_a)
        self.assertEqual(second.state, "in_progress")

    def test_ended_meeting_cannot_be_joined(self):
        meeting = self._create_meeting()
        meeting._leave_patient()
        self.assertEqual(meeting.state, "cancelled")
        with self.assertRaisesRegex(UserError, "already ended"):
            meeting._join_pro(self.pro_a)

    def test_pro_cannot_join_a_meeting_they_cannot_see(self):
        meeting = self._create_meeting()
        with self.assertRaises(AccessError):
            meeting.with_user(self.user_pro_a).action_join()
        self.assertEqual(meeting.state, "waiting")

    def test_non_pro_cannot_join(self):
        meeting = self._create_meeting()
        with self.assertRaisesRegex(UserError, "Only clinic professionals"):
            meeting.with_user(self.user_manager).action_join()
