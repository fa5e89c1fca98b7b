import time
from unittest.mock import patch
from urllib.parse import urlsplit

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tests.common import _super_send
from odoo.tools import mute_logger

from odoo.addons.clinic_vet.models import clinic_vet

from .common import (
    NOW,
    UNAVAILABLE,
    WEBP,
    ClinicVetCommon,
    ClinicVetHttpCommon,
    image_bytes,
    start_classifier,
)

MODEL_LOGGER = "odoo.addons.clinic_vet.models.clinic_vet"
MODULE_TIMEOUT = clinic_vet.CLASSIFIER_TIMEOUT
# The module's timeout, made short in these tests; the fake classifier of a
# "slow" case answers well, but only after SLOW seconds.
TEST_TIMEOUT = 0.5
SLOW = 2
LABELS = [
    {"label": "mites", "confidence": 0.2},
    {"label": "dermatitis", "confidence": 0.72},
    {"label": "ringworm", "confidence": 0.05},
    {"label": "allergy", "confidence": 0.41},
]
# What a classifier may do wrong: (status, JSON payload or raw body, delay).
FAILURES = {
    "slow": (200, {"labels": LABELS}, SLOW),
    "HTTP 500": (500, {"labels": LABELS}, 0),
    "HTTP 401": (401, {"error": "bad key"}, 0),
    "malformed JSON": (200, b'{"labels": [{"label": "mites", "confid', 0),
    "HTML": (200, b"<html><body>Bad gateway</body></html>", 0),
    "no labels": (200, {"result": "dermatitis"}, 0),
    "labels not a list": (200, {"labels": "dermatitis"}, 0),
    "a label without confidence": (200, {"labels": [{"label": "mites"}]}, 0),
    "a confidence not a number": (200, {"labels": [{"label": "mites", "confidence": "high"}]}, 0),
    "a confidence above 1": (
        200,
        {
            "labels": [
                {"label": "dermatitis", "confidence": 0.7},
                {"label": "mites", "confidence": 72},
            ]
        },
        0,
    ),
    "a negative confidence": (200, {"labels": [{"label": "mites", "confidence": -0.1}]}, 0),
    "a confidence NaN": (200, b'{"labels": [{"label": "mites", "confidence": NaN}]}', 0),
    "no label at all": (200, {"labels": []}, 0),
    "a list": (200, [{"label": "mites", "confidence": 0.2}], 0),
}


class ClassifierTimeoutMixin:
    """Odoo's test cases raise every request timeout under 10 seconds to 10
    seconds; the classifier's own timeout is what these tests are about, so
    requests to 127.0.0.1 go out as the module makes them."""

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        if urlsplit(r.url).hostname == "127.0.0.1":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    def setUp(self):
        super().setUp()
        self.startPatcher(patch.object(clinic_vet, "CLASSIFIER_TIMEOUT", TEST_TIMEOUT))

    def _answer(self, classifier, case):
        status, payload, delay = FAILURES[case]
        if isinstance(payload, bytes):
            classifier.answer(status, body=payload, delay=delay)
        else:
            classifier.answer(status, payload, delay=delay)


class TestPrescreen(ClassifierTimeoutMixin, ClinicVetCommon):
    """``clinic.vet._prescreen`` against a fake classifier on 127.0.0.1."""

    def test_answer_is_sorted_and_cut_to_three(self):
        classifier = start_classifier(self, key="s3cret")
        classifier.answer(payload={"labels": LABELS})
        photo = image_bytes("JPEG")
        labels = self.env["clinic.vet"]._prescreen(photo, "image/jpeg")
        self.assertEqual(
            labels,
            [
                {"label": "dermatitis", "confidence": 0.72},
                {"label": "allergy", "confidence": 0.41},
                {"label": "mites", "confidence": 0.2},
            ],
        )
        (request,) = classifier.requests
        self.assertEqual(request["path"], "/labels")
        self.assertEqual(request["authorization"], "Bearer s3cret")
        self.assertEqual(request["parts"], {"image": ("image/jpeg", photo)})

    def test_failures_give_nothing(self):
        classifier = start_classifier(self)
        Vet = self.env["clinic.vet"]
        for case in FAILURES:
            with self.subTest(case=case), mute_logger(MODEL_LOGGER):
                self._answer(classifier, case)
                requests_before = len(classifier.requests)
                started = time.monotonic()
                self.assertFalse(Vet._prescreen(WEBP, "image/webp"))
                self.assertLess(time.monotonic() - started, SLOW, "it did not wait")
                self.assertEqual(len(classifier.requests), requests_before + 1)
        # Nobody listening.
        classifier.stop()
        with mute_logger(MODEL_LOGGER):
            self.assertIsNone(Vet._prescreen(WEBP, "image/webp"))

    def test_no_endpoint_no_request(self):
        classifier = start_classifier(self)
        classifier.answer(payload={"labels": LABELS})
        self.env["ir.config_parameter"].set_param("clinic_vet.classifier_url", False)
        self.assertIsNone(self.env["clinic.vet"]._prescreen(WEBP, "image/webp"))
        self.assertFalse(classifier.requests)

    def test_the_timeout_is_a_few_seconds(self):
        self.assertTrue(1 <= MODULE_TIMEOUT <= 5, MODULE_TIMEOUT)


@tagged("post_install", "-at_install")
@freeze_time(NOW)
class TestPrescreenHttp(ClassifierTimeoutMixin, ClinicVetHttpCommon):
    """The photo through the reservation form: whatever the classifier does,
    the reservation is made. It is Monday 2 March 2026, 09:00 in Seoul."""

    def _reserve_with_photo(self, local, photo=None):
        self._browser("ann", "test_owner_ann")
        form = self._get_form(self.vet_park, local)
        response = self._post_reserve(
            self.vet_park, form, photo=photo or ("belly.png", image_bytes("PNG"), "image/png")
        )
        self.assertEqual(response.status_code, 303)
        location = urlsplit(response.headers["Location"])
        reservation = self.env["clinic.appointment"].browse(int(location.path.split("/")[-1]))
        self.assertEqual(reservation.vet_id, self.vet_park)
        page = self._get(f"{location.path}?{location.query}")
        self.assertEqual(page.status_code, 200)
        return reservation, page

    def test_photo_offered_only_with_an_endpoint(self):
        self._browser("ann", "test_owner_ann")
        path = "/vets/test-park/reserve?start=2026-03-04T01:00Z"
        self.assertFalse(self._page(self._get(path)).cssselect("input[type=file]"))
        start_classifier(self)
        (field,) = self._page(self._get(path)).cssselect("input[type=file]")
        self.assertEqual(field.get("name"), "photo")
        self.assertEqual(field.get("accept"), "image/jpeg,image/png,image/webp")

    def test_answer_shown_to_the_owner_and_kept_for_the_vet(self):
        classifier = start_classifier(self)
        classifier.answer(payload={"labels": LABELS})
        photo = image_bytes("JPEG")
        reservation, page = self._reserve_with_photo(
            "2026-03-04 10:00", ("belly.jpg", photo, "image/jpeg")
        )
        self.assertEqual(reservation.prescreen_state, "done")
        self.assertEqual(
            reservation.prescreen_labels,
            [
                {"label": "dermatitis", "confidence": 0.72},
                {"label": "allergy", "confidence": 0.41},
                {"label": "mites", "confidence": 0.2},
            ],
        )
        self.assertEqual(classifier.requests[0]["parts"], {"image": ("image/jpeg", photo)})
        self.assertEqual(len(self._photo_attachment(reservation)), 1)
        (answer,) = self._page(page).cssselect(".o_clinic_vet_prescreen_answer")
        self.assertEqual(
            [strong.text_content() for strong in answer.cssselect("strong")],
            ["dermatitis", "allergy", "mites"],
        )
        text = self._text(page)
        self.assertIn("dermatitis, 72%; allergy, 41%; mites, 20%.", text)
        self.assertIn("This is not a diagnosis.", text)
        self.assertNotIn(UNAVAILABLE, text)
        # The nearest vets online: Dr. Kim (Gangnam), not Dr. Lee (closed).
        suggestions = self._page(page).cssselect(".o_clinic_vet_suggestions li")
        self.assertEqual(
            [" ".join(li.text_content().split()) for li in suggestions], ["Dr. Kim Hana (13.5 km)"]
        )
        # The photo, as sent.
        response = self._get(f"/my/vet/{reservation.id}/photo")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, photo)
        self.assertEqual(response.headers["Content-Type"], "image/jpeg")
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertEqual(response.headers["X-Content-Type-Options"], "nosniff")
        # The vet's dashboard has it all.
        self._browser("vet", "test_vet_park")
        self.assertEqual(self._rpc("/my/clinic/vet")[0], 200)
        (item,) = self._rpc("/my/clinic/vet")[1]["reservations"]
        self.assertEqual(item["prescreen"], reservation.prescreen_labels)
        self.assertEqual(item["prescreen_state"], "done")
        self.assertEqual(item["photo_url"], f"/my/vet/{reservation.id}/photo")
        self.assertEqual(self._get(item["photo_url"]).content, photo)

    def test_answer_reads_as_a_sentence(self):
        """The owner reads "This looks like: dermatitis, 72%.", with its space."""
        classifier = start_classifier(self)
        classifier.answer(payload={"labels": [{"label": "dermatitis", "confidence": 0.72}]})
        _reservation, page = self._reserve_with_photo("2026-03-04 10:00")
        self.assertIn("This looks like: dermatitis, 72%.", self._text(page))

    def test_failing_classifier_never_blocks_the_reservation(self):
        classifier = start_classifier(self)
        photo = image_bytes("PNG")
        moments = [f"2026-03-04 {h:02d}:{m:02d}" for h in range(9, 18) for m in (0, 30)]
        for case, local in zip(FAILURES, moments, strict=False):
            with self.subTest(case=case), mute_logger(MODEL_LOGGER):
                self._answer(classifier, case)
                requests_before = len(classifier.requests)
                reservation, page = self._reserve_with_photo(
                    local, ("belly.png", photo, "image/png")
                )
                self.assertEqual(len(classifier.requests), requests_before + 1)
                self.assertRecordValues(
                    reservation, [{"state": "confirmed", "prescreen_state": "unavailable"}]
                )
                self.assertFalse(reservation.prescreen_labels)
                text = self._text(page)
                self.assertIn("Your reservation is confirmed.", text)
                self.assertIn(UNAVAILABLE, text)
                self.assertNotIn("This looks like", text)
                self.assertFalse(self._page(page).cssselect(".o_clinic_vet_suggestions"))
                # The vet still sees the photo.
                self.assertEqual(self._get(f"/my/vet/{reservation.id}/photo").content, photo)
        self.assertEqual(len(self._reservations()), len(FAILURES))
