import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from odoo import api
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

from odoo.addons.clinic_appointment.tests.common import create_calendar, create_type

TAKEN = "This time was just taken. Please choose another time."


@tagged("-at_install", "post_install")
class TestReservationRace(BaseCase):
    """Two owners reserve the same time of the same vet at the same instant.

    Each reservation runs in its own transaction and thread, as two HTTP
    requests would, and goes through Odoo's ``retrying`` like a request
    does; both see the time free before either reserves. What the test
    commits, it deletes at the end.
    """

    ROUNDS = 3

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._cleanup)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cls.bus_id_before = env["bus.bus"].search([], order="id desc", limit=1).id
            portal = env.ref("base.group_portal")
            users = env["res.users"].create(
                [
                    {
                        "name": name,
                        "login": f"vet_race_{login}",
                        "group_ids": [(6, 0, portal.ids)],
                    }
                    for name, login in (
                        ("Dr. Racer", "vet"),
                        ("Ann Racer", "ann"),
                        ("Bob Racer", "bob"),
                    )
                ]
            )
            for user, phone in zip(users[1:], ("+12025550181", "+12025550182"), strict=True):
                user.partner_id.write({"is_clinic_patient": True, "phone": phone})
            pro = env["clinic.pro"].create({"name": "Dr. Racer", "user_id": users[0].id})
            # Open around the clock in UTC, so that the rounds run at any hour.
            calendar = create_calendar(env, "UTC", days=range(7), hours=(0, 24))
            appointment_type = create_type(env, "test-vet-race", pro, calendar)
            vet = env["clinic.vet"].create(
                {"pro_id": pro.id, "slug": "test-race", "appointment_type_id": appointment_type.id}
            )
            cls.user_ids, cls.pro_id, cls.vet_id = users.ids, pro.id, vet.id
            cls.calendar_id, cls.type_id = calendar.id, appointment_type.id

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.users"].browse(cls.user_ids).partner_id
            appointments = env["clinic.appointment"].search([("type_id", "=", cls.type_id)])
            env["sms.sms"].search([("partner_id", "in", partners.ids)]).unlink()
            appointments.unlink()  # with their events and messages
            env["clinic.vet"].browse(cls.vet_id).unlink()
            env["clinic.appointment.type"].browse(cls.type_id).unlink()
            env["resource.calendar"].browse(cls.calendar_id).unlink()
            env["bus.bus"].search([("id", ">", cls.bus_id_before)]).filtered(
                lambda n: any(f'"res.partner",{p}]' in n.channel for p in partners.ids)
            ).unlink()
            env["clinic.pro"].browse(cls.pro_id).unlink()
            env["res.users"].browse(cls.user_ids).unlink()
            partners.unlink()

    def _slot(self, hours):
        """A time of the grid ``hours`` after tomorrow 00:00 UTC."""
        tomorrow = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return tomorrow + timedelta(days=1, hours=hours)

    def _reserve(self, uid, start, pet_name, barrier):
        """What POST /vets/<slug>/reserve does for the owner ``uid``."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            # sudo: as the route reads the public directory
            vet_sudo = env["clinic.vet"].sudo().browse(self.vet_id)
            _slot, error = vet_sudo.appointment_type_id._check_slot(start)
            self.assertIsNone(error)
            partner = env.user.partner_id
            barrier.wait(timeout=5)
            reserve = partial(
                env["clinic.appointment"]._book,
                vet_sudo.appointment_type_id,
                start,
                name=partner.name,
                email="",
                comment="Limps.",
                partner=partner,
                extra_values={
                    "pet_name": pet_name,
                    "pet_species": "dog",
                    "pet_problem": "Limps.",
                    "vet_id": vet_sudo.id,
                },
            )
            appointment, errors = retrying(reserve, env)
            return appointment.id, errors.get("slot")

    @mute_logger("odoo.sql_db")
    def test_one_vet_one_reservation(self):
        ann_uid, bob_uid = self.user_ids[1:]
        for hours in range(10, 10 + self.ROUNDS):
            start = self._slot(hours)
            barrier = threading.Barrier(2)
            with (
                ThreadPoolExecutor(max_workers=2) as executor,
                # logging.INFO: Odoo names another level "INFO".
                self.assertLogs("odoo.service.model", logging.INFO) as retries,
            ):
                futures = [
                    executor.submit(self._reserve, uid, start, pet, barrier)
                    for uid, pet in ((ann_uid, "Ann's dog"), (bob_uid, "Bob's dog"))
                ]
                outcomes = [future.result(timeout=30) for future in futures]
            # The loser's transaction failed on the vet's lock and was retried.
            self.assertTrue(any("SERIALIZATION_FAILURE" in line for line in retries.output))
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                reservation = env["clinic.appointment"].search(
                    [("vet_id", "=", self.vet_id), ("start", "=", start)]
                )
                self.assertEqual(len(reservation), 1, "exactly one reservation")
                self.assertCountEqual(outcomes, [(reservation.id, None), (False, TAKEN)])
                winner = ann_uid if outcomes[0][0] else bob_uid
                self.assertEqual(reservation.partner_id, env["res.users"].browse(winner).partner_id)
                pet_name = "Ann's dog" if winner == ann_uid else "Bob's dog"
                self.assertEqual(reservation.pet_name, pet_name)
                owners = env["res.users"].browse(self.user_ids[1:]).partner_id
                sms = env["sms.sms"].search([("partner_id", "in", owners.ids)], order="id")
                self.assertEqual(len(sms), hours - 9, "none from the rolled back attempt")
                self.assertEqual(sms[-1].partner_id, reservation.partner_id)
