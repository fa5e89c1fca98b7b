from datetime import datetime, timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.clinic_appointment.tests.common import setup_appointment_types

from .common import ClinicInsightCommon, create_visit

DAY_1 = datetime(2025, 3, 3)
DAY_2 = datetime(2025, 3, 4)
MEASURES = [
    "visit_count:sum",
    "wait_median:sum",
    "wait_p95:sum",
    "visit_median:sum",
    "visit_p95:sum",
    "abandoned_count:sum",
    "no_show_count:sum",
]


def at(day, hhmm):
    hours, minutes = map(int, hhmm.split(":"))
    return day + timedelta(hours=hours, minutes=minutes)


@tagged("post_install", "-at_install")
class TestReport(ClinicInsightCommon):
    """``clinic.insight.visit`` against figures computed by hand.

    ``percentile_cont(f)`` over n sorted values interpolates linearly at
    position ``f * (n - 1)`` (0-based): the 95th percentile of 1, 1, 2, 3,
    4, 5, 7, 20 is at 6.65, so 7 + 0.65 * (20 - 7) = 15.45.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_appointment_types(cls)
        visit = cls._visit
        # Lobby A, day 1 (UTC): check-in, first pro in, end, pro.
        visit(
            at(DAY_1, "09:00"), at(DAY_1, "09:02"), at(DAY_1, "09:12"), cls.pro_a
        )  # wait 2, visit 10
        visit(at(DAY_1, "09:05"), at(DAY_1, "09:12"), at(DAY_1, "09:20"), cls.pro_a)  # 7, 8
        visit(at(DAY_1, "09:10"), at(DAY_1, "09:15"), at(DAY_1, "09:30"), cls.pro_b)  # 5, 15
        visit(at(DAY_1, "09:20"), at(DAY_1, "09:40"), at(DAY_1, "09:46"), cls.pro_a)  # 20, 6
        visit(at(DAY_1, "09:25"), ended_at=at(DAY_1, "09:35"), state="cancelled")  # abandoned
        visit(at(DAY_1, "10:00"), at(DAY_1, "10:03"), at(DAY_1, "10:15"), cls.pro_b)  # 3, 12
        visit(at(DAY_1, "10:30"), at(DAY_1, "10:31"), pro=cls.pro_a)  # 1, still in progress
        # Day 2.
        visit(at(DAY_2, "09:00"), at(DAY_2, "09:04"), at(DAY_2, "09:14"), cls.pro_b)  # 4, 10
        visit(at(DAY_2, "09:10"), ended_at=at(DAY_2, "09:12"), state="cancelled")  # abandoned
        # Cancelled after a pro came in: waited 1, not abandoned, no visit length.
        visit(
            at(DAY_2, "09:20"), at(DAY_2, "09:21"), at(DAY_2, "09:22"), cls.pro_a, state="cancelled"
        )
        # Lobby B, not in lobby A's figures.
        visit(
            at(DAY_1, "09:00"), at(DAY_1, "09:30"), at(DAY_1, "09:40"), cls.pro_c, lobby=cls.lobby_b
        )

        # Dr. Alpha's past appointments: one held (20 minutes), one whose
        # call was never opened, one whose call nobody joined; a cancelled
        # one and a future one are no figures.
        held = visit(
            at(DAY_1, "14:00"), at(DAY_1, "14:01"), at(DAY_1, "14:21"), cls.pro_a, lobby=False
        )
        unjoined = visit(at(DAY_1, "15:55"), lobby=False)
        cls._appointment(at(DAY_1, "14:00"), meeting_id=held.id)
        cls._appointment(at(DAY_1, "15:00"))
        cls._appointment(at(DAY_1, "16:00"), meeting_id=unjoined.id)
        cls._appointment(at(DAY_1, "13:00"), state="cancelled")
        cls._appointment(fields.Datetime.now().replace(microsecond=0) + timedelta(days=2))

    @classmethod
    def _visit(
        cls, checked_in_at, joined_at=None, ended_at=None, pro=None, *, lobby=None, state=None
    ):
        """A walk-in of lobby A (or ``lobby``; False: an appointment's call)."""
        return create_visit(
            cls.env,
            cls.lobby_a if lobby is None else lobby,
            checked_in_at,
            joined_at=joined_at,
            ended_at=ended_at,
            pro=pro,
            state=state,
        )

    @classmethod
    def _appointment(cls, start, **values):
        return cls.env["clinic.appointment"].create(
            {
                "type_id": cls.type_alpha.id,
                "pro_id": cls.pro_a.id,
                "start": start,
                "stop": start + timedelta(minutes=30),
                "patient_name": "Jane Roe",
                "email": "jane@example.com",
                **values,
            }
        )

    def _figures(self, domain, groupby):
        report = self.env["clinic.insight.visit"].with_user(self.user_manager)
        names = (
            "count",
            "wait_median",
            "wait_p95",
            "visit_median",
            "visit_p95",
            "abandoned",
            "no_show",
        )
        return {
            group[: len(groupby)] if len(groupby) > 1 else group[0]: dict(
                zip(names, group[len(groupby) :], strict=True)
            )
            for group in report._read_group(domain, groupby, MEASURES)
        }

    def _assert_figures(self, actual, expected):
        self.assertEqual(actual.keys(), expected.keys())
        for key, figures in expected.items():
            for name, value in figures.items():
                with self.subTest(group=key, figure=name):
                    if value is None:  # no figure: a NULL percentile, read as False
                        self.assertIs(actual[key][name], False)
                    else:
                        self.assertAlmostEqual(actual[key][name], value, places=6)

    def test_by_lobby(self):
        # Waits 2 7 5 20 3 1 4 1 -> 1 1 2 3 4 5 7 20; visits 6 8 10 10 12 15.
        figures = self._figures(
            [("lobby_id", "in", (self.lobby_a | self.lobby_b).ids)], ["lobby_id"]
        )
        self._assert_figures(
            figures,
            {
                self.lobby_a: {
                    "count": 10,
                    "wait_median": 3.5,
                    "wait_p95": 15.45,
                    "visit_median": 10,
                    "visit_p95": 14.25,  # at 4.75: 12 + 0.75 * 3
                    "abandoned": 2,
                    "no_show": 0,
                },
                self.lobby_b: {"count": 1, "wait_median": 30, "wait_p95": 30, "visit_median": 10},
            },
        )

    def test_by_day(self):
        figures = self._figures([("lobby_id", "=", self.lobby_a.id)], ["date:day"])
        self._assert_figures(
            figures,
            {
                # Waits 1 2 3 5 7 20: median 4, p95 at 4.75: 7 + 0.75 * 13.
                DAY_1: {
                    "count": 7,
                    "wait_median": 4,
                    "wait_p95": 16.75,
                    "visit_median": 10,
                    "abandoned": 1,
                },
                # Waits 1 4: p95 at 0.95: 1 + 0.95 * 3.
                DAY_2: {
                    "count": 3,
                    "wait_median": 2.5,
                    "wait_p95": 3.85,
                    "visit_median": 10,
                    "visit_p95": 10,
                    "abandoned": 1,
                },
            },
        )

    def test_by_pro(self):
        figures = self._figures([("lobby_id", "=", self.lobby_a.id)], ["pro_id"])
        self._assert_figures(
            figures,
            {
                # Waits 1 1 2 7 20 (p95 at 3.8: 7 + 0.8 * 13); visits 6 8 10.
                self.pro_a: {
                    "count": 5,
                    "wait_median": 2,
                    "wait_p95": 17.4,
                    "visit_median": 8,
                    "abandoned": 0,
                },
                # Waits 3 4 5 (p95 at 1.9: 4 + 0.9); visits 10 12 15.
                self.pro_b: {
                    "count": 3,
                    "wait_median": 4,
                    "wait_p95": 4.9,
                    "visit_median": 12,
                    "abandoned": 0,
                },
                # The abandoned: nobody's, no wait.
                self.env["clinic.pro"]: {
                    "count": 2,
                    "wait_median": None,
                    "visit_median": None,
                    "abandoned": 2,
                },
            },
        )

    def test_by_hour(self):
        figures = self._figures([("lobby_id", "=", self.lobby_a.id)], ["hour"])
        self._assert_figures(
            figures,
            {
                # Waits 1 2 4 5 7 20 (p95 at 4.75: 7 + 0.75 * 13); visits 6 8 10 10 15.
                9: {
                    "count": 8,
                    "wait_median": 4.5,
                    "wait_p95": 16.75,
                    "visit_median": 10,
                    "abandoned": 2,
                },
                10: {
                    "count": 2,
                    "wait_median": 2,
                    "wait_p95": 2.9,
                    "visit_median": 12,
                    "abandoned": 0,
                },
            },
        )

    def test_lobby_pro_and_day_together(self):
        figures = self._figures(
            [("lobby_id", "=", self.lobby_a.id), ("pro_id", "=", self.pro_a.id)],
            ["lobby_id", "pro_id", "date:day"],
        )
        # Dr. Alpha in lobby A: waits 2 7 20 on day 1, 1 1 on day 2 (one of
        # them still in a visit, one cancelled after he came in).
        self._assert_figures(
            figures,
            {
                (self.lobby_a, self.pro_a, DAY_1): {
                    "count": 4,
                    "wait_median": 4.5,
                    "visit_median": 8,
                },
                (self.lobby_a, self.pro_a, DAY_2): {
                    "count": 1,
                    "wait_median": 1,
                    "visit_median": None,
                },
            },
        )

    def test_appointments(self):
        figures = self._figures([("appointment_type_id", "=", self.type_alpha.id)], ["pro_id"])
        self._assert_figures(
            figures,
            {
                self.pro_a: {
                    "count": 3,
                    "wait_median": None,
                    "visit_median": 20,
                    "visit_p95": 20,
                    "abandoned": 0,
                    "no_show": 2,
                }
            },
        )
