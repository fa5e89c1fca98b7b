import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from odoo import api
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger


@tagged("-at_install", "post_install")
class TestDecisionRace(BaseCase):
    """*Let in* and *Refuse* on one device request at the same instant (the
    pro's two windows, or the pro and a manager).

    Each decision runs in its own transaction and thread, as two HTTP
    requests would, and goes through Odoo's ``retrying`` like a request does.
    Both transactions see the request pending before either decides.
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
            user = env["res.users"].create(
                {
                    "name": "Dr. Decides",
                    "login": "visit_race_pro",
                    "group_ids": [(6, 0, env.ref("base.group_portal").ids)],
                }
            )
            pro = env["clinic.pro"].create({"name": user.name, "user_id": user.id})
            visit, errors = env["clinic.visit"]._create_for_pro(pro, {"name": "Raced Patient"})
            assert not errors, errors
            patient = visit.participant_ids.filtered(lambda p: p.role == "patient")
            cls.first_guest_id = patient._bind().id
            cls.user_id, cls.pro_id, cls.visit_id = user.id, pro.id, visit.id
            cls.patient_id = patient.id

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            visit = env["clinic.visit"].browse(cls.visit_id)
            guests = visit.participant_ids.guest_id | visit.request_ids.guest_id
            visit.unlink()  # with its participants and requests
            guests.unlink()
            user = env["res.users"].browse(cls.user_id)
            env["bus.bus"].search([("id", ">", cls.bus_id_before)]).filtered(
                lambda n: (
                    f'"clinic.visit",{cls.visit_id}]' in n.channel
                    or f'"res.partner",{user.partner_id.id}]' in n.channel
                    or '"clinic.visit.access.request",' in n.channel
                    or '"mail.guest",' in n.channel
                )
            ).unlink()
            env["clinic.pro"].browse(cls.pro_id).unlink()
            partner = user.partner_id
            user.unlink()
            partner.unlink()

    def _new_request(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            guest = env["mail.guest"].create({"name": "New Device"})
            request = env["clinic.visit.access.request"].create(
                {"participant_id": self.patient_id, "guest_id": guest.id}
            )
            return request.id, guest.id

    def _decide(self, request_id, accept, barrier):
        with self.registry.cursor() as cr:
            # As the pro's page calls it (the controller found the request by its visit).
            env = api.Environment(cr, self.user_id, {})
            request_sudo = env["clinic.visit.access.request"].sudo().browse(request_id)
            self.assertEqual(request_sudo.state, "pending")
            barrier.wait(timeout=5)
            return retrying(partial(request_sudo._decide, accept), env)

    @mute_logger("odoo.sql_db")
    def test_let_in_and_refuse_at_the_same_instant(self):
        winners = set()
        for _round in range(self.ROUNDS):
            request_id, guest_id = self._new_request()
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                guest_before = env["clinic.visit.participant"].browse(self.patient_id).guest_id.id
            barrier = threading.Barrier(2)
            with (
                ThreadPoolExecutor(max_workers=2) as executor,
                # logging.INFO: Odoo names another level "INFO".
                self.assertLogs("odoo.service.model", logging.INFO) as retries,
            ):
                futures = {
                    accept: executor.submit(self._decide, request_id, accept, barrier)
                    for accept in (True, False)
                }
                outcomes = {accept: future.result(timeout=30) for accept, future in futures.items()}
            # The second decision failed on the request's row lock and was retried.
            self.assertTrue(any("SERIALIZATION_FAILURE" in line for line in retries.output))
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                request = env["clinic.visit.access.request"].browse(request_id)
                participant = env["clinic.visit.participant"].browse(self.patient_id)
                final = request.state
                self.assertIn(final, ("accepted", "refused"))
                # Exactly one won; the other was told the winner's outcome.
                self.assertEqual(outcomes, {True: final, False: final})
                winner = final == "accepted"
                winners.add(winner)
                if winner:
                    self.assertEqual(participant.guest_id.id, guest_id, "the new device is in")
                else:
                    self.assertEqual(participant.guest_id.id, guest_before, "nothing changed")
                self.assertTrue(request.decided_at)
        self.assertTrue(winners)
