from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.clinic_appointment.tests.common import create_type

from .common import COORDINATES, NOW, ClinicVetHttpCommon, to_utc

# Query budgets of whole requests by a visitor, measured. They must not grow
# with the number of vets or of reservations.
# GET /vets: the visitor (exists, twice) and their defaults (ir.default, 2);
# the vets: their ids, filtered and sorted, then their values in one batch;
# the layout's user and company.
DIRECTORY_QUERIES = 8
# GET /vets?lat=&lon=: the same; the distance is computed, sorted and cut in
# the ids' query.
DIRECTORY_NEAR_QUERIES = 8
# GET /vets/<slug>: the visitor (4, as above); the vet by its slug (ids,
# values); the week's slots: the appointment type, its working hours
# (calendar, attendances: ids then values, leaves), its pros (relation,
# values), the week's reservations of the pros, their users and the busy
# events of their calendars; the layout's user and company.
VET_PAGE_QUERIES = 18


def add_vets(test, count):
    """``count`` more vets, made in batch, all in Seoul, taking one appointment
    type; the directory then lists ``count + 3`` vets."""
    env = test.env
    users = (
        env["res.users"]
        .with_context(no_reset_password=True, mail_create_nolog=True, mail_notrack=True)
        .create(
            [
                {
                    "name": f"Dr. Many {n:03d}",
                    "login": f"test_vet_many_{n}",
                    "group_ids": [Command.set(env.ref("base.group_portal").ids)],
                }
                for n in range(count)
            ]
        )
    )
    pros = env["clinic.pro"].create([{"name": u.name, "user_id": u.id} for u in users])
    appointment_type = create_type(env, "test-vet-many", pros, test.calendar)
    lat, lon = COORDINATES["jongno"]
    env["clinic.vet"].create(
        [
            {
                "pro_id": pro.id,
                "slug": f"test-many-{n}",
                "location": "Jongno, Seoul",
                "latitude": lat + n / 10000,
                "longitude": lon,
                "description": "Dogs and cats.",
                "appointment_type_id": appointment_type.id,
                "room_open": bool(n % 2),
            }
            for n, pro in enumerate(pros)
        ]
    )


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestDirectoryPerformance(ClinicVetHttpCommon):
    """Budgets (a visitor, 3 or 300 vets): GET /vets 8 queries, with *Near me*
    8; GET /vets/<slug> 18 (1 or 40 reservations in the week)."""

    def _measure(self, path, budget):
        self._get(path)  # warm the registry caches
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(budget):
            response = self._get(path)
        self.assertEqual(response.status_code, 200)
        return self._page(response)

    def _assert_directory_budgets(self, count):
        if count > 3:
            add_vets(self, count - 3)
        page = self._measure("/vets", DIRECTORY_QUERIES)
        self.assertEqual(len(page.cssselect(".o_clinic_vet_card")), min(count, 200))
        lat, lon = COORDINATES["mapo"]
        page = self._measure(f"/vets?lat={lat}&lon={lon}", DIRECTORY_NEAR_QUERIES)
        cards = page.cssselect(".o_clinic_vet_card")
        self.assertEqual(len(cards), min(count, 200))
        self.assertEqual(cards[0].get("href"), "/vets/test-park")

    def test_directory_3_vets(self):
        self._assert_directory_budgets(3)

    def test_directory_300_vets(self):
        self._assert_directory_budgets(300)

    def _assert_vet_page_budget(self, count):
        start = to_utc("2026-03-03 09:00")
        self.env["clinic.appointment"].create(
            [
                {
                    "type_id": self.vet_kim.appointment_type_id.id,
                    "pro_id": self.vet_kim.pro_id.id,
                    "vet_id": self.vet_kim.id,
                    "partner_id": self.user_bob.partner_id.id,
                    "patient_name": "Bob Owner",
                    "pet_name": f"Pet {n}",
                    "start": start + timedelta(days=n // 10, minutes=30 * (n % 10)),
                    "stop": start + timedelta(days=n // 10, minutes=30 * (n % 10) + 30),
                }
                for n in range(count)
            ]
        )
        page = self._measure("/vets/test-kim", VET_PAGE_QUERIES)
        taken = page.cssselect(".o_clinic_vet_slot_taken")
        self.assertEqual(len(taken), count + 2, "and 09:00 and 09:30 today, too soon")

    def test_vet_page_1_reservation(self):
        self._assert_vet_page_budget(1)

    def test_vet_page_40_reservations(self):
        self._assert_vet_page_budget(40)
