import json

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import (
    NOW,
    ClinicVetCommon,
    ClinicVetHttpCommon,
    image_bytes,
    photo_attachment,
    reserve,
)

# The browsers of the route matrix and who they are logged in as.
LOGINS = {
    "owner": "test_owner_ann",
    "other_owner": "test_owner_bob",
    "vet": "test_vet_kim",
    "other_vet": "test_vet_park",
    "nobody": "test_vet_nobody",
    "manager": "test_vet_manager",
    "anonymous": None,
}
# Ann's reservation with Dr. Kim: Wednesday 4 March 2026, 10:00-10:30 in Seoul
# (01:00-01:30 UTC). Its room opens at 09:55 (00:55 UTC) and closes at 11:00
# (02:00 UTC), after 30 minutes' grace.
BEFORE, OPENS, CLOSES, AFTER = (
    "2026-03-04 00:54:59",
    "2026-03-04 00:55:00",
    "2026-03-04 02:00:00",
    "2026-03-04 02:00:01",
)
SECRET_PROBLEM = "A secret rash under the left paw."


def setup_reservations(cls):
    """Ann's reservation with Dr. Kim (Wednesday 10:00) and Bob's with Dr.
    Park (same time), each with a photo."""
    cls.ann_photo, cls.bob_photo = image_bytes("PNG", (40, 30)), image_bytes("JPEG", (30, 40))
    with freeze_time(NOW):
        cls.reservation = reserve(
            cls.env,
            cls.user_ann,
            cls.vet_kim,
            "2026-03-04 10:00",
            pet_name="Coco",
            species="cat",
            problem=SECRET_PROBLEM,
        )
        cls.other_reservation = reserve(
            cls.env, cls.user_bob, cls.vet_park, "2026-03-04 10:00", pet_name="Rex"
        )
    cls.reservation._attach_photo(("image/png", cls.ann_photo))
    cls.other_reservation._attach_photo(("image/jpeg", cls.bob_photo))


@tagged("security")
class TestReservationAccessRights(ClinicVetCommon):
    """Through the ORM, as the portal users themselves: an owner reads their
    own reservations, a vet those made with them; nobody writes them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_reservations(cls)
        cls.photo = photo_attachment(cls.env, cls.reservation)
        cls.other_photo = photo_attachment(cls.env, cls.other_reservation)

    def _assert_reads_only(self, mine):
        Appointment = self.env["clinic.appointment"]
        both = self.reservation | self.other_reservation
        self.assertEqual(Appointment.search([("id", "in", both.ids)]), mine)
        for reservation, photo in (
            (self.reservation, self.photo),
            (self.other_reservation, self.other_photo),
        ):
            with self.subTest(reservation=reservation.pet_name):
                records = Appointment.browse(reservation.id)
                attachment = self.env["ir.attachment"].browse(photo.id)
                if reservation in mine:
                    self.assertTrue(records.pet_problem)
                    self.assertTrue(records.photo)
                else:
                    with self.assertRaises(AccessError):
                        records.read(["pet_problem"])
                    with self.assertRaises(AccessError):
                        records.read(["photo"])
                # Portal users read the photo through its reservation only.
                with self.assertRaises(AccessError):
                    attachment.check_access("read")
                with self.assertRaises(AccessError):
                    attachment.read(["raw"])
                self.assertFalse(
                    self.env["ir.attachment"].search([("id", "=", photo.id)]), "not found either"
                )
                # Nobody but managers writes a reservation.
                with self.assertRaises(AccessError):
                    records.write({"pet_name": "Hacked"})
                with self.assertRaises(AccessError):
                    attachment.write({"raw": b"hacked"})

    @users("test_owner_ann")
    def test_owner_reads_own_reservations(self):
        self._assert_reads_only(self.reservation)

    @users("test_owner_bob")
    def test_other_owner_reads_only_theirs(self):
        self._assert_reads_only(self.other_reservation)

    @users("test_vet_kim")
    def test_vet_reads_reservations_made_with_them(self):
        self._assert_reads_only(self.reservation)

    @users("test_vet_park")
    def test_other_vet_reads_only_theirs(self):
        self._assert_reads_only(self.other_reservation)

    @users("test_vet_nobody")
    def test_portal_user_reads_nothing(self):
        self._assert_reads_only(self.env["clinic.appointment"])
        self.assertFalse(self.env["clinic.appointment"].search([]))

    @users("test_vet_manager")
    def test_manager_reads_everything(self):
        both = self.reservation | self.other_reservation
        self.assertEqual(self.env["clinic.appointment"].search([("id", "in", both.ids)]), both)
        photos = self.env["ir.attachment"].browse((self.photo | self.other_photo).ids)
        photos.check_access("read")
        self.assertEqual(photos.mapped("raw"), [self.ann_photo, self.bob_photo])

    @users("test_vet_kim", "test_owner_ann")
    def test_room_status_is_for_the_vet_through_their_dashboard_only(self):
        """``action_open_room`` is public: a portal user could call it
        through ``/web/dataset/call_kw``; they may not write vets."""
        vet = self.env["clinic.vet"].browse(self.vet_park.id)
        with self.assertRaises(AccessError):
            vet.action_open_room()
        self.assertFalse(self.vet_park.room_open)


@tagged("post_install", "-at_install", "security")
class TestReservationRoutes(ClinicVetHttpCommon):
    """Every route of a reservation, for every browser of the matrix."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_reservations(cls)

    def _as(self, caller):
        self._browser(caller, LOGINS[caller])
        if caller == "anonymous":
            self.opener.cookies.clear()

    def _path(self, route, reservation=None):
        path = f"/my/vet/{(reservation or self.reservation).id}"
        return path if route == "page" else f"{path}/{route}"

    def _call(self, route, reservation=None):
        path = self._path(route, reservation)
        if route == "cancel":
            return self._post(path, data={"csrf_token": self._csrf_token()})
        return self._get(path)

    def _assert_no_leak(self, response, context):
        self.assertNotIn(SECRET_PROBLEM, response.text, context)
        self.assertNotIn(self.ann_photo, response.content, context)

    def _assert_login_redirect(self, response, path):
        login, redirect = self._login_redirect(response)
        self.assertIn(login, ("/web/login", "/patient/login"))
        self.assertEqual(redirect.removesuffix("?"), path)

    @freeze_time(NOW)
    def test_reservation_routes(self):
        for caller in LOGINS:
            self._as(caller)
            for route in ("page", "photo", "room", "cancel"):
                if (caller, route) == ("owner", "cancel"):
                    continue  # below
                with self.subTest(caller=caller, route=route), mute_logger("odoo.http"):
                    response = self._call(route)
                    if caller == "anonymous":
                        self._assert_login_redirect(response, self._path(route))
                        self._assert_no_leak(response, f"{route} for {caller}")
                    elif caller in ("owner", "vet") and route != "cancel":
                        # the room is not open yet
                        self.assertEqual(response.status_code, 403 if route == "room" else 200)
                    else:
                        self.assertEqual(response.status_code, 404)
                        self._assert_no_leak(response, f"{route} for {caller}")
        # The owner and the vet see it all; the vet cannot cancel it.
        self._as("owner")
        self.assertIn(SECRET_PROBLEM, self._text(self._call("page")))
        self.assertEqual(self._call("photo").content, self.ann_photo)
        self._as("vet")
        text = self._text(self._call("page"))
        self.assertIn(SECRET_PROBLEM, text)
        self.assertNotIn("Cancel the reservation", text)
        self.assertEqual(self._call("photo").content, self.ann_photo)
        self.assertEqual(self.reservation.state, "confirmed")
        self._as("owner")
        self.assertEqual(self._call("cancel").status_code, 303)
        self.assertEqual(self.reservation.state, "cancelled")
        # Ids that are not reservations of vets are not found.
        plain = self.env["clinic.appointment"].create(
            {
                "type_id": self.vet_kim.appointment_type_id.id,
                "pro_id": self.vet_kim.pro_id.id,
                "partner_id": self.user_ann.partner_id.id,
                "patient_name": "Ann Owner",
                "start": self.reservation.start.replace(hour=5),
                "stop": self.reservation.stop.replace(hour=5),
            }
        )
        self._as("owner")
        for reservation_id in (plain.id, 999999999):
            for route in ("page", "photo", "room"):
                with self.subTest(id=reservation_id, route=route), mute_logger("odoo.http"):
                    path = f"/my/vet/{reservation_id}" + ("" if route == "page" else f"/{route}")
                    self.assertEqual(self._get(path).status_code, 404)

    @freeze_time(NOW)
    def test_my_reservations_lists_mine_only(self):
        for caller, pets in (
            ("owner", ["Coco"]),
            ("other_owner", ["Rex"]),
            ("vet", []),
            ("nobody", []),
        ):
            with self.subTest(caller=caller):
                self._as(caller)
                response = self._get("/my/vet")
                self.assertEqual(response.status_code, 200)
                cards = self._page(response).cssselect(".o_clinic_vet_reservation .fw-bold")
                self.assertEqual([card.text_content().split()[0] for card in cards], pets)
                if caller != "owner":
                    self._assert_no_leak(response, f"/my/vet for {caller}")
        self._as("anonymous")
        self._assert_login_redirect(self._get("/my/vet"), "/my/vet")

    @freeze_time(NOW)
    def test_photo_not_reachable_through_web_content(self):
        photo = self._photo_attachment(self.reservation)
        self.assertEqual(len(photo), 1)
        self.assertFalse(photo.public)
        # Through the reservation's field, the record rules decide; portal
        # users read no attachment directly (Odoo 19 gives them no access).
        by_field = (
            f"/web/image/clinic.appointment/{self.reservation.id}/photo",
            f"/web/content/clinic.appointment/{self.reservation.id}/photo",
        )
        by_attachment = (
            f"/web/image/{photo.id}",
            f"/web/content/{photo.id}",
            f"/web/content/{photo.id}?download=true",
        )
        for caller in ("owner", "vet", "other_owner", "other_vet", "nobody", "anonymous"):
            self._as(caller)
            for path in by_field + by_attachment:
                with self.subTest(caller=caller, path=path), mute_logger("odoo.http"):
                    response = self._get(path)
                    if caller in ("owner", "vet") and path in by_field:
                        self.assertEqual(response.status_code, 200)
                        self.assertEqual(response.content, self.ann_photo)
                    else:
                        # /web/image answers a placeholder image instead
                        self.assertIn(response.status_code, (200, 403, 404))
                        self._assert_no_leak(response, f"{path} for {caller}")
                        if response.status_code == 200:
                            self.assertTrue(path.startswith("/web/image/"))
        self._as("manager")
        for path in by_field + by_attachment:
            with self.subTest(caller="manager", path=path):
                self.assertEqual(self._get(path).content, self.ann_photo)

    def _room(self, caller, moment, reservation=None):
        self._as(caller)
        with freeze_time(moment):
            return self._call("room", reservation)

    def test_room_window(self):
        # Before it opens: a page that says when it does.
        for caller in ("owner", "vet"):
            with self.subTest(caller=caller):
                response = self._room(caller, BEFORE)
                self.assertEqual(response.status_code, 403)
                text = self._text(response)
                self.assertIn("The room is not open", text)
                self.assertIn("It opens at 9:55 AM (Asia/Seoul)", text)
                self.assertFalse(self._page(response).cssselect("owl-component"))
        # After the end and the grace period (nobody in the call): closed.
        for caller in ("owner", "vet"):
            with self.subTest(caller=caller):
                response = self._room(caller, AFTER)
                self.assertEqual(response.status_code, 403)
                self.assertIn("The room is not open", self._text(response))
        self.assertFalse(self.reservation.meeting_id, "nobody entered")
        # Inside: the video call, for the owner as the patient and the vet as its pro.
        for moment in (OPENS, CLOSES):
            for caller, role in (("owner", "patient"), ("vet", "pro")):
                with self.subTest(caller=caller, moment=moment):
                    response = self._room(caller, moment)
                    self.assertEqual(response.status_code, 200)
                    self.assertEqual(response.headers["Cache-Control"], "no-store")
                    (call,) = self._page(response).cssselect(
                        'owl-component[name="clinic_meeting.video_call"]'
                    )
                    props = json.loads(call.get("props"))
                    self.assertEqual(props["role"], role)
                    self.assertEqual(props["meetingId"], self.reservation.meeting_id.id)
                    self.assertIn(SECRET_PROBLEM, self._text(response))
        meeting = self.reservation.meeting_id
        participants = {p.role: p for p in meeting.participant_ids}
        self.assertEqual(participants["patient"].partner_id, self.user_ann.partner_id)
        self.assertEqual(participants["pro"].pro_id, self.vet_kim.pro_id)
        self.assertEqual(meeting.state, "in_progress")
        # Anyone else: not found, inside the window too; a visitor logs in first.
        for caller in ("other_owner", "other_vet", "nobody", "manager"):
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                response = self._room(caller, OPENS)
                self.assertEqual(response.status_code, 404)
                self._assert_no_leak(response, f"room for {caller}")
        self._assert_login_redirect(
            self._room("anonymous", OPENS), f"/my/vet/{self.reservation.id}/room"
        )
        self.assertEqual(len(meeting.participant_ids), 2)

    def test_room_of_a_live_call_stays_open_and_a_cancelled_one_closes(self):
        """A call still going on after the grace period is not cut; a
        cancelled reservation has no room."""
        self.assertEqual(self._room("vet", "2026-03-04 01:50:00").status_code, 200)
        self.assertEqual(self._room("owner", "2026-03-04 02:10:00").status_code, 200)
        with freeze_time(NOW):
            self.other_reservation.action_cancel()
        for caller in ("other_owner", "other_vet"):
            with self.subTest(caller=caller):
                response = self._room(caller, OPENS, self.other_reservation)
                self.assertEqual(response.status_code, 403)

    @freeze_time(NOW)
    def test_vet_dashboard(self):
        for caller, expected in (
            ("vet", [self.reservation]),
            ("other_vet", [self.other_reservation]),
        ):
            with self.subTest(caller=caller):
                self._as(caller)
                status, data = self._rpc("/my/clinic/vet")
                self.assertEqual(status, 200)
                self.assertTrue(data["is_vet"])
                self.assertEqual([r["id"] for r in data["reservations"]], [r.id for r in expected])
                item = data["reservations"][0]
                self.assertEqual(item["photo_url"], f"/my/vet/{expected[0].id}/photo")
                self.assertEqual(item["prescreen_state"], "unavailable")
                if caller == "other_vet":
                    self.assertNotIn(SECRET_PROBLEM, json.dumps(data))
        for caller in ("owner", "nobody", "manager"):
            with self.subTest(caller=caller):
                self._as(caller)
                self.assertEqual(self._rpc("/my/clinic/vet"), (200, {"is_vet": False}))
        self._as("anonymous")
        self.assertEqual(self._rpc("/my/clinic/vet")[0], 401)

    @freeze_time(NOW)
    def test_room_toggle(self):
        Bus = self.env["bus.bus"].sudo()
        last_bus_id = Bus.search([], order="id desc", limit=1).id
        for caller in ("owner", "nobody", "other_vet"):
            with self.subTest(caller=caller):
                self._as(caller)
                status, data = self._rpc("/my/clinic/vet/room", open=True)
                self.assertEqual(status, 200)
                if caller != "other_vet":
                    self.assertEqual(data, {"is_vet": False})
        self._as("anonymous")
        self.assertEqual(self._rpc("/my/clinic/vet/room", open=True)[0], 401)
        self.assertRecordValues(
            self.vet_kim | self.vet_park | self.vet_lee,
            [{"room_open": True}, {"room_open": True}, {"room_open": False}],
        )
        notifications = Bus.search(
            [("id", ">", last_bus_id), ("channel", "like", "clinic_vet.directory")]
        )
        self.assertEqual(
            [(json.loads(n.channel)[1], json.loads(n.message)) for n in notifications],
            [
                (
                    "clinic_vet.directory",
                    {
                        "type": "clinic.vet/status",
                        "payload": {"vet_id": self.vet_park.id, "online": True},
                    },
                )
            ],
        )
        self._as("vet")
        status, data = self._rpc("/my/clinic/vet/room", open=False)
        self.assertEqual(data["vet"]["room_open"], False)
        self.assertFalse(self.vet_kim.room_open)
        self.assertTrue(self.vet_park.room_open)
