import base64
import contextlib
import io
import json
import re
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from lxml import html
from PIL import Image

from odoo.tests import HttpCase, TransactionCase, new_test_user
from odoo.tests.common import Opener

from odoo.addons.clinic_appointment.tests.common import create_calendar, create_type
from odoo.addons.clinic_appointment.tests.common import start_param as _start_param
from odoo.addons.clinic_appointment.tests.common import to_utc as _to_utc

SEOUL = "Asia/Seoul"
# Most tests live on Monday 2 March 2026, 09:00 in Seoul (UTC+9, no summer
# time), and reserve Wednesday 4 March.
NOW = "2026-03-02 00:00:00"
# The demo's places.
COORDINATES = {
    "gangnam": (37.4979, 127.0276),
    "mapo": (37.5663, 126.9016),
    "jongno": (37.5735, 126.979),
}
UNAVAILABLE = "Pre-screening is unavailable right now"
# What a page call answers, as an HTTP status: JSON-RPC errors come back with
# a 200 and the name of the exception.
RPC_ERRORS = {
    "werkzeug.exceptions.NotFound": 404,
    "werkzeug.exceptions.Forbidden": 403,
    "odoo.http.SessionExpiredException": 401,
}


def to_utc(local):
    """``"2026-03-04 10:00"`` in Seoul as a naive UTC datetime, as stored."""
    return _to_utc(local, SEOUL)


def start_param(local):
    """A time of the timetable as its links write it (``?start=``)."""
    return _start_param(local, SEOUL)


# A 1x1 WebP image (Odoo keeps Pillow's WebP plugin unloaded: no encoder here).
WEBP = base64.b64decode("UklGRiQAAABXRUJQVlA4IBgAAAAwAQCdASoBAAEAAwA0JaQAA3AA/vuUAAA=")


def image_bytes(image_format="PNG", size=(64, 48), mode="RGB"):
    """A real photo in ``image_format`` (PNG, JPEG)."""
    buffer = io.BytesIO()
    Image.new(mode, size, 1 if mode == "1" else (200, 120, 90)).save(buffer, format=image_format)
    return buffer.getvalue()


def create_owner(env, login, name, phone, email=False):
    """A pet owner: a portal user (password = login) whose partner is a
    clinic patient, as the SMS login makes them."""
    user = new_test_user(env, login=login, groups="base.group_portal", name=name, email=email)
    user.partner_id.write({"is_clinic_patient": True, "phone": phone})
    return user


def create_vet(env, key, name, place, calendar, *, coordinates=(0.0, 0.0), **values):
    """A vet with their own portal login (``test_vet_<key>``), pro profile and
    appointment type (30 minutes, 1 hour's notice, 14 days ahead, the room
    open 5 minutes before), at ``/vets/test-<key>``."""
    user = new_test_user(env, login=f"test_vet_{key}", groups="base.group_portal", name=name)
    pro = env["clinic.pro"].create({"name": name, "user_id": user.id})
    appointment_type = create_type(
        env,
        f"test-vet-{key}",
        pro,
        calendar,
        min_notice_hours=1,
        max_days_ahead=14,
        patient_opens_minutes=5,
        pro_opens_minutes=5,
    )
    return env["clinic.vet"].create(
        {
            "pro_id": pro.id,
            "slug": f"test-{key}",
            "location": place,
            "latitude": coordinates[0],
            "longitude": coordinates[1],
            "description": f"{name} sees dogs and cats.",
            "appointment_type_id": appointment_type.id,
            **values,
        }
    )


def setup_vets(cls):
    """Three vets in Seoul, Mon-Fri 09:00-18:00 (the demo's are archived):
    Dr. Kim in Gangnam (room open), Dr. Park in Mapo, Dr. Lee in Jongno. Two
    owners: Ann, without email (confirmations by SMS), and Bob, with one; a
    portal user who is neither; a clinic manager."""
    env = cls.env
    env["clinic.vet"].search([]).active = False
    cls.calendar = create_calendar(env, SEOUL, hours=(9, 18))
    cls.vet_kim = create_vet(
        env,
        "kim",
        "Dr. Kim Hana",
        "Gangnam, Seoul",
        cls.calendar,
        coordinates=COORDINATES["gangnam"],
        room_open=True,
    )
    cls.vet_lee = create_vet(
        env, "lee", "Dr. Lee Dara", "Jongno, Seoul", cls.calendar, coordinates=COORDINATES["jongno"]
    )
    cls.vet_park = create_vet(
        env, "park", "Dr. Park Mira", "Mapo, Seoul", cls.calendar, coordinates=COORDINATES["mapo"]
    )
    cls.user_ann = create_owner(env, "test_owner_ann", "Ann Owner", "+1 202-555-0171")
    cls.user_bob = create_owner(
        env, "test_owner_bob", "Bob Owner", "+1 202-555-0172", email="bob.owner@example.com"
    )
    cls.user_portal = new_test_user(
        env, login="test_vet_nobody", groups="base.group_portal", name="Not An Owner"
    )
    cls.user_manager = new_test_user(
        env,
        login="test_vet_manager",
        groups="base.group_user,clinic_meeting.group_clinic_manager",
        name="Clinic Manager",
    )


def reserve(env, user, vet, local, *, pet_name="Coco", species="dog", problem="Itchy ears."):
    """``user`` reserves ``vet`` at ``local`` (Seoul) as the reservation form
    does; it must succeed. The reservation, as the superuser reads it."""
    partner = user.partner_id
    appointment, errors = (
        env["clinic.appointment"]
        .with_user(user)
        ._book(
            vet.appointment_type_id.sudo(),
            to_utc(local),
            name=partner.name,
            email=partner.email or "",
            comment=problem,
            partner=partner,
            extra_values={
                "pet_name": pet_name,
                "pet_species": species,
                "pet_problem": problem,
                "vet_id": vet.id,
            },
        )
    )
    assert not errors, errors
    return env["clinic.appointment"].browse(appointment.id)


def photo_attachment(env, reservation):
    """The attachment that holds the photo of ``reservation``."""
    return (
        env["ir.attachment"]
        .sudo()
        .search(
            [
                ("res_model", "=", "clinic.appointment"),
                ("res_id", "=", reservation.id),
                ("res_field", "=", "photo"),
            ]
        )
    )


class FakeClassifier:
    """The clinic's photo classifier, played by a small HTTP server on
    127.0.0.1 that the module reaches with its real HTTP client.

    It records every request (``Authorization`` and the multipart parts) and
    answers what ``answer`` set: an HTTP status and a body, after ``delay``
    seconds.
    """

    def __init__(self):
        self.requests = []
        self.status, self.body, self.delay = 200, b'{"labels": []}', 0
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message = BytesParser(policy=HTTP).parsebytes(
                    f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
                )
                fake.requests.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "parts": {
                            part.get_param("name", header="content-disposition"): (
                                part.get_content_type(),
                                part.get_payload(decode=True),
                            )
                            for part in message.iter_parts()
                        },
                    }
                )
                if fake.delay and fake.release.wait(fake.delay):
                    return  # the test is over; the client gave up long ago
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    # the client may have given up waiting
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(fake.body)))
                    self.end_headers()
                    self.wfile.write(fake.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/labels"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def answer(self, status=200, payload=None, body=None, delay=0):
        """What the next requests get: ``payload`` as JSON, or ``body`` as is."""
        self.status, self.delay = status, delay
        self.body = body if body is not None else json.dumps(payload).encode()


def start_classifier(test_case, key="test-key"):
    """Start a fake classifier for ``test_case`` and configure the clinic
    with it; stopped at the end of the test."""
    classifier = FakeClassifier().start()
    test_case.addCleanup(classifier.stop)
    ICP = test_case.env["ir.config_parameter"]
    ICP.set_param("clinic_vet.classifier_url", classifier.url)
    ICP.set_param("clinic_vet.classifier_key", key)
    return classifier


class VetMixin:
    """Helpers shared by the model and the HTTP tests."""

    def _reservations(self, vet=None):
        """The reservations made with ``vet`` (all of the test's vets by default)."""
        vets = vet or (self.vet_kim | self.vet_lee | self.vet_park)
        return self.env["clinic.appointment"].sudo().search([("vet_id", "in", vets.ids)])

    def _counts(self):
        """What a reservation leaves behind: appointments, attachments, SMS and emails."""
        env = self.env
        return {
            "appointments": env["clinic.appointment"].sudo().search_count([]),
            "attachments": env["ir.attachment"]
            .sudo()
            .search_count([("res_model", "=", "clinic.appointment"), ("id", "!=", False)]),
            "sms": env["sms.sms"].sudo().search_count([]),
            "mails": env["mail.mail"].sudo().search_count([]),
        }

    def _photo_attachment(self, reservation):
        return photo_attachment(self.env, reservation)


class ClinicVetCommon(VetMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_vets(cls)


class ClinicVetHttpCommon(VetMixin, HttpCase):
    """The vet pages through HTTP. Each browser of a test has its own cookies
    (``_browser``); ``self.opener`` is the current one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_vets(cls)

    def setUp(self):
        super().setUp()
        self.browsers = {}

    def _browser(self, name, login=None):
        """Switch to the browser ``name``, logged in as ``login`` when given
        (created on first use). Several browsers may be logged in at once."""
        if name not in self.browsers:
            if login:
                # HttpCase.authenticate ends the previous session: keep it,
                # it belongs to another browser.
                self.session = None
                self.authenticate(login, login)
                self.browsers[name] = self.opener
            else:
                self.browsers[name] = Opener(self)
        self.opener = self.browsers[name]
        return self.opener

    def _get(self, path):
        return self.url_open(path, allow_redirects=False)

    def _post(self, path, data=None, files=None):
        return self.url_open(
            path, data=data or {}, files=files, allow_redirects=False, method="POST"
        )

    def _rpc(self, path, **params):
        """A JSON-RPC call as the pages make it: ``(status, result)``."""
        response = self.url_open(path, json={"jsonrpc": "2.0", "id": 1, "params": params})
        self.assertEqual(response.status_code, 200)
        body = response.json()
        if "error" in body:
            return RPC_ERRORS.get(body["error"]["data"]["name"], 500), None
        return 200, body["result"]

    def _page(self, response):
        return html.fromstring(response.content)

    def _text(self, response):
        """What a page says: its text, scripts left out, white space collapsed."""
        page = self._page(response)
        for script in page.xpath("//script"):
            script.drop_tree()
        return " ".join(page.text_content().split())

    def _csrf_token(self, response=None):
        """The CSRF token a frontend page gives its scripts (the directory's
        when no page is given)."""
        response = response or self.url_open("/vets")
        return re.search(r'csrf_token: "([^"]+)"', response.text)[1]

    def _login_redirect(self, response):
        """Where a redirection to a login page sends back: ``(login path, redirect)``."""
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        return location.path, parse_qs(location.query).get("redirect", [None])[0]

    def _get_form(self, vet, local):
        """The reservation form's fields for ``vet`` at ``local`` (Seoul)."""
        response = self._get(f"/vets/{vet.slug}/reserve?start={start_param(local)}")
        self.assertEqual(response.status_code, 200)
        (form,) = self._page(response).cssselect("form.o_clinic_vet_reserve_form")
        return {field.name: field.value for field in form.inputs if field.name}

    def _post_reserve(self, vet, form=None, local="2026-03-04 10:00", photo=None, **values):
        """Send the reservation form as a browser does (multipart, an empty
        file part when no photo is chosen); ``photo`` is ``(filename, bytes,
        mimetype)``."""
        data = {
            **(form if form is not None else self._get_form(vet, local)),
            "pet_name": "Coco",
            "pet_species": "dog",
            "pet_problem": "Red, itchy patch on the belly.",
            **values,
        }
        data.pop("photo", None)
        photo = photo or ("", b"", "application/octet-stream")
        return self._post(f"/vets/{vet.slug}/reserve", data=data, files={"photo": photo})
