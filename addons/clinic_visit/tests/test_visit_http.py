import logging
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import clinic_visit
from .common import ClinicVisitHttpCommon


@contextmanager
def capture_logs(*names):
    """Every record of the loggers ``names``, at INFO level and above,
    whatever level the test run logs at."""
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(logging.INFO)
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


@tagged("post_install", "-at_install")
class TestVisitLinks(ClinicVisitHttpCommon):
    """The links of a visit, as the participants' browsers open them."""

    def test_first_opening_binds_the_link_to_the_browser(self):
        path, patient = self._path("patient"), self._participant("patient")
        response = self._open("patient", path)
        self.assertEqual(self._kind(response), "room")
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        self.assertEqual(response.headers["Referrer-Policy"], "no-referrer")
        guest = patient.guest_id
        self.assertTrue(guest)
        self.assertTrue(patient.bound_at)
        self.assertEqual(guest.name, "Paula Patient")
        self.assertEqual(self.opener.cookies["dgid"], guest._format_auth_cookie())
        props = self._owl_props(response, "clinic_visit.visit_room")
        self.assertEqual(props["basePath"], path)
        self.assertEqual(props["role"], "patient")
        self.assertEqual(props["visitChannel"], f"clinic.visit_{self.visit.token}_{patient.token}")
        # The browser comes back as often as it likes: same guest, no request.
        for _again in range(2):
            self.assertEqual(self._kind(self._get(path)), "room")
        self.assertEqual(patient.guest_id, guest)
        self.assertFalse(self.visit.request_ids)
        # What its page reads.
        data = self._rpc(f"{path}/data")
        self.assertEqual(data.status, 200)
        self.assertEqual(
            data.result["me"], {"id": patient.id, "role": "patient", "name": "Paula Patient"}
        )
        self.assertEqual(data.result["visit"]["pro_name"], "Dr. Alpha")
        self.assertNotIn("requests", data.result, "the pending devices are the pro's business")
        self.assertEqual(
            [(p["role"], p["used"]) for p in data.result["participants"]],
            [("pro", True), ("patient", True), ("companion", False)],
        )
        for other in ("pro", "companion"):
            self.assertNotIn(self._participant(other).sudo().token, data.text)

    def test_new_device_waits_until_the_pro_lets_it_in(self):
        path, patient = self._path("patient"), self._participant("patient")
        self._open("patient", path)
        first_guest = patient.guest_id
        response = self._open("second", path)
        self.assertEqual(self._kind(response), "waiting")
        self.assertIn("Waiting for Dr. Alpha to let you in.", self._text(response))
        self.assertEqual(response.headers["Cache-Control"], "no-store")
        request = self.visit.request_ids
        self.assertEqual(len(request), 1)
        self.assertEqual(request.state, "pending")
        self.assertNotEqual(request.guest_id, first_guest)
        self.assertEqual(self.opener.cookies["dgid"], request.guest_id._format_auth_cookie())
        props = self._owl_props(response, "clinic_visit.waiting_approval")
        self.assertEqual(
            props,
            {
                "channel": f"clinic.visit.request_{request.token}",
                "requestId": request.id,
                "statusUrl": f"/visit/{self.visit.token}/request/status",
                "proName": "Dr. Alpha",
            },
        )
        status = self._rpc(props["statusUrl"], request_id=request.id)
        self.assertEqual(status.result, {"state": "pending"})
        # Reloading keeps the same request.
        self.assertEqual(self._kind(self._get(path)), "waiting")
        self.assertEqual(self.visit.request_ids, request)
        with mute_logger("odoo.http"):
            self.assertEqual(self._rpc(f"{path}/data").status, 403)
        # The pro sees it, on their page and on their dashboard.
        pro_path = self._path("pro")
        self._open("pro", pro_path, login="test_pro_a")
        data = self._rpc(f"{pro_path}/data").result
        self.assertEqual(
            [(r["id"], r["name"]) for r in data["requests"]], [(request.id, "Paula Patient")]
        )
        dashboard = self._rpc("/my/clinic/visits").result["visits"]
        self.assertEqual(
            [r["id"] for v in dashboard if v["id"] == self.visit.id for r in v["requests"]],
            [request.id],
        )
        decided = self._rpc(f"{pro_path}/request/{request.id}/decide", accept=True)
        self.assertEqual(decided.result, {"state": "accepted"})
        self.assertEqual(patient.guest_id, request.guest_id)
        # The new device is in; the old one is let go.
        self._browser("second")
        self.assertEqual(
            self._rpc(props["statusUrl"], request_id=request.id).result["state"], "accepted"
        )
        self.assertEqual(self._kind(self._get(path)), "room")
        self.assertEqual(self._rpc(f"{path}/data").status, 200)
        self._browser("patient")
        with mute_logger("odoo.http"):
            self.assertEqual(self._rpc(f"{path}/data").status, 403)
        self.assertEqual(self._kind(self._get(path)), "waiting")
        self.assertEqual(self.visit.request_ids.mapped("state"), ["accepted", "pending"])
        self.assertEqual(self.visit.request_ids[1].guest_id, first_guest)

    def test_refused_device_reads_access_refused(self):
        path = self._path("patient")
        self._open("patient", path)
        self._open("second", path)
        request = self.visit.request_ids
        self._browser("pro", login="test_pro_a")
        result = self._rpc(
            f"/my/clinic/visit/{self.visit.id}/request/{request.id}/decide", accept=False
        ).result
        self.assertEqual(result["state"], "refused")
        self.assertFalse(result["error"])
        self.assertEqual(
            [v["requests"] for v in result["visits"] if v["id"] == self.visit.id], [[]]
        )
        self._browser("second")
        response = self._get(path)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self._kind(response), "refused")
        self.assertIn("Access refused", self._text(response))
        self.assertNotIn("Paula", response.text)
        status = self._rpc(f"/visit/{self.visit.token}/request/status", request_id=request.id)
        self.assertEqual(status.result, {"state": "refused"})
        with mute_logger("odoo.http"):
            self.assertEqual(self._rpc(f"{path}/data").status, 403)
        self.assertEqual(self.visit.request_ids, request, "no new request after a refusal")
        # The first browser is still the patient.
        self._browser("patient")
        self.assertEqual(self._kind(self._get(path)), "room")

    def test_patient_logged_in_as_the_participant_is_never_asked(self):
        path, patient = self._path("patient"), self._participant("patient")
        self._open("patient", path)
        patient.partner_id = self.user_portal.partner_id
        response = self._open("own account", path, login="test_visit_portal")
        self.assertEqual(self._kind(response), "room")
        self.assertFalse(self.visit.request_ids)
        self.assertEqual(self._rpc(f"{path}/data").status, 200)

    def test_pro_link_needs_the_pro_logged_in(self):
        path = self._path("pro")
        self._browser("anonymous")
        response = self._get(path)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith(f"/web/login?redirect={path}"))
        self.assertFalse(self._participant("pro").guest_id)
        self._browser("other pro", login="test_pro_b")
        with mute_logger("odoo.http"):
            response = self._get(path)
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Paula", response.text)
        response = self._open("pro", path, login="test_pro_a")
        self.assertEqual(self._kind(response), "room")
        self.assertEqual(self._owl_props(response, "clinic_visit.visit_room")["role"], "pro")

    def test_new_visit_form_errors_create_nothing(self):
        self._browser("pro", login="test_pro_a")
        visits_before = self.env["clinic.visit"].search_count([])
        result = self._rpc(
            "/my/clinic/visit/create",
            name="",
            email="not an email",
            phone="12",
            end_date="2020-01-01",
            companion_name=["not", "text"],
        ).result
        self.assertFalse(result["created_id"])
        self.assertEqual(
            result["errors"],
            {
                "name": "Please enter the name.",
                "email": "Please enter a valid email address.",
                "phone": "Please enter a valid phone number with its country code, "
                "e.g. +1 202 555 0143.",
                "end_date": "The end date cannot be in the past.",
            },
        )
        self.assertEqual(self.env["clinic.visit"].search_count([]), visits_before)
        result = self._rpc("/my/clinic/visit/create", name="Jane Roe", phone="+1 202 555 0161")
        visit = self.env["clinic.visit"].browse(result.result["created_id"])
        self.assertEqual(visit.pro_id, self.pro_a)
        self.assertEqual(result.result["visits"][0]["name"], "Jane Roe")

    def test_companion_has_a_link_of_their_own(self):
        path, companion = self._path("companion"), self._participant("companion")
        response = self._open("companion", path)
        self.assertEqual(self._kind(response), "room")
        self.assertTrue(companion.guest_id)
        self.assertNotEqual(companion.guest_id, self._participant("patient").guest_id)
        data = self._rpc(f"{path}/data").result
        self.assertEqual(data["me"]["role"], "companion")
        saved = self._rpc(f"{path}/answer", question_id=self.q_temperature.id, value="38.2")
        self.assertEqual(saved.result["value"], "38.2", "the companion fills the patient's part")


@tagged("post_install", "-at_install")
class TestVisitContentHttp(ClinicVisitHttpCommon):
    """The questionnaire, messages and documents through the page's calls."""

    def setUp(self):
        super().setUp()
        self.patient_path, self.pro_path = self._path("patient"), self._path("pro")
        self.patient_page = self._open("patient", self.patient_path)
        self.pro_page = self._open("pro", self.pro_path, login="test_pro_a")

    def test_questionnaire_and_messages_reach_the_other_side(self):
        self._browser("patient")
        saved = self._rpc(f"{self.patient_path}/answer", question_id=self.q_pain.id, value="Severe")
        self.assertEqual(saved.result["value"], "Severe")
        posted = self._rpc(f"{self.patient_path}/message", body="It hurts here")
        self.assertEqual(posted.result["body"], "It hurts here")
        self.assertTrue(posted.result["mine"])
        self._browser("pro")
        self.assertEqual(
            self._rpc(
                f"{self.pro_path}/answer", question_id=self.q_findings.id, value="Bruise"
            ).result["value"],
            "Bruise",
        )
        data = self._rpc(f"{self.pro_path}/data").result
        self.assertEqual(
            data["answers"], {str(self.q_pain.id): "Severe", str(self.q_findings.id): "Bruise"}
        )
        self.assertEqual(
            [(m["author"], m["author_role"], m["body"], m["mine"]) for m in data["messages"]],
            [("Paula Patient", "patient", "It hurts here", False)],
        )

    def test_bad_answers_and_messages_over_http(self):
        self._browser("patient")
        for params, message in (
            ({"question_id": self.q_temperature.id}, "Nothing to save."),
            ({"question_id": self.q_temperature.id, "value": "warm"}, "Please enter a number"),
            ({"question_id": self.q_findings.id, "value": "ok"}, "filled by the other side."),
            ({"value": "x"}, "This question does not exist."),
        ):
            with self.subTest(params=params):
                answer = self._rpc(f"{self.patient_path}/answer", **params)
                self.assertEqual(answer.status, 200)
                self.assertIn(message, answer.result["error"])
        for body, message in ((None, "Please write a message."), ("x" * 10001, "too long")):
            self.assertIn(
                message, self._rpc(f"{self.patient_path}/message", body=body).result["error"]
            )
        self.assertFalse(self.visit.answer_ids)
        self.assertFalse(self.visit.message_ids)

    def test_documents_reach_the_patient_and_only_them(self):
        self._browser("pro")
        content = b"%PDF-1.4 lab results of Paula"
        response = self._upload(
            self.pro_path,
            [("results.pdf", content), ("x-ray.png", b"\x89PNG x-ray")],
            csrf_token=self._csrf_token(self.pro_page),
        )
        self.assertEqual(response.status_code, 200)
        messages = response.json()["messages"]
        self.assertEqual(
            [(m["file_name"], m["file_size"]) for m in messages],
            [("results.pdf", len(content)), ("x-ray.png", 10)],
        )
        self._browser("patient")
        data = self._rpc(f"{self.patient_path}/data").result
        (document, _png) = data["messages"]
        self.assertEqual(document["url"], f"{self.patient_path}/document/{messages[0]['id']}")
        download = self._get(document["url"])
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.content, content)
        self.assertEqual(download.headers["Content-Type"], "application/octet-stream")
        self.assertEqual(
            download.headers["Content-Disposition"], "attachment; filename*=UTF-8''results.pdf"
        )
        self.assertEqual(download.headers["Cache-Control"], "no-store")
        self.assertEqual(download.headers["X-Content-Type-Options"], "nosniff")
        # Not through another visit's link, nor as a message that is no document.
        other_path = self._path("patient", self.other_visit)
        message = self.visit._post_message(self._participant("patient"), "Thanks")[0]
        with mute_logger("odoo.http"):
            self.assertEqual(
                self._get(f"{self.patient_path}/document/{message.id}").status_code, 404
            )
            self.assertEqual(self._get(f"{self.patient_path}/document/999999999").status_code, 404)
            self._browser("olga")
            self._get(other_path)
            self.assertEqual(
                self._get(f"{other_path}/document/{messages[0]['id']}").status_code, 404
            )

    def test_bad_uploads_get_a_message_and_save_nothing(self):
        self.env["ir.config_parameter"].set_param("clinic_visit.document_max_mb", "1")
        big = b"\0" * (1024 * 1024 + 1)
        self._browser("pro")
        token = self._csrf_token(self.pro_page)
        for case, files, message in (
            ("no file", [], "Please choose at least one file."),
            ("empty file", [("empty.txt", b"")], "The file empty.txt is empty."),
            ("over the limit", [("ok.txt", b"ok"), ("big.bin", big)], "big.bin is too large: 1 MB"),
        ):
            with self.subTest(case=case):
                response = self._upload(self.pro_path, files, csrf_token=token)
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.json()["error"])
        # Without the form's CSRF token.
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"{self.pro_path}/upload", files=[("files", ("ok.txt", b"ok", "text/plain"))]
            )
        self.assertEqual(response.status_code, 400)
        # By the patient, on their own link.
        self._browser("patient")
        response = self._upload(
            self.patient_path, [("ok.txt", b"ok")], csrf_token=self._csrf_token(self.patient_page)
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"error": "Only the professional shares documents."})
        self.assertFalse(self.visit.message_ids)


@tagged("post_install", "-at_install", "security")
class TestVisitTokens(ClinicVisitHttpCommon):
    """A wrong link is a 404 that says nothing; the secrets stay out of the logs."""

    def _assert_not_found(self, path, secrets=()):
        with mute_logger("odoo.http"):
            response = self._get(path)
            data = self._rpc(f"{path}/data")
        self.assertEqual(response.status_code, 404, path)
        self.assertEqual(data.status, 404, path)
        # The page may show the path that was asked for (the footer's language
        # links do): the asker's own input, not a leak. Nothing else may show.
        page = response.text.replace(path, "")
        for secret in ("Paula", "Carl", "Olga", "Dr. Alpha", "Dr. Beta", *secrets):
            self.assertNotIn(secret, page)
            self.assertNotIn(secret, data.text)
        return response

    def test_wrong_links_are_404(self):
        visit, other = self.visit, self.other_visit
        patient, other_patient = self._participant("patient"), self._participant("patient", other)
        self._open("patient", self._path("patient"))
        made_up = "A" * 43
        baseline = self._text(self._assert_not_found(f"/visit/{made_up}/{made_up}"))
        for case, path in (
            ("wrong visit token", f"/visit/{other.token}/{patient.token}"),
            ("made-up visit token", f"/visit/{made_up}/{patient.token}"),
            ("wrong participant token", f"/visit/{visit.token}/{made_up}"),
            ("another visit's participant", f"/visit/{visit.token}/{other_patient.token}"),
            ("swapped", f"/visit/{patient.token}/{visit.token}"),
            ("cut short", f"/visit/{visit.token}/{patient.token[:30]}"),
            ("the visit alone", f"/visit/{visit.token}/{visit.token}"),
        ):
            with self.subTest(case=case):
                response = self._assert_not_found(path, secrets=self._tokens()[2:])
                self.assertEqual(self._text(response), baseline, "no hint that the visit exists")
        self.assertFalse(self.visit.request_ids)
        self.assertFalse(other.request_ids)
        self.assertFalse(other_patient.guest_id, "a wrong link binds nothing")

    def test_secrets_are_compared_in_constant_time(self):
        compared = []

        def consteq(a, b):
            compared.append((a, b))
            return a == b

        patient = self._participant("patient")
        with patch.object(clinic_visit, "consteq", consteq):
            found = self.env["clinic.visit"]._get_participant_by_tokens(
                self.visit.token, patient.token
            )
        self.assertEqual(found, patient)
        self.assertCountEqual(
            compared, [(patient.token, patient.token), (self.visit.token, self.visit.token)]
        )

    def test_tokens_stay_out_of_the_server_log(self):
        """Odoo logs every request line (the ``werkzeug`` logger, INFO): the
        secrets of the visit's paths are written ``<secret>`` there."""
        pro_path, patient_path = self._path("pro"), self._path("patient")
        with capture_logs("werkzeug", "odoo") as records:
            self._open("patient", patient_path)
            self._rpc(f"{patient_path}/data")
            self._rpc(f"{patient_path}/answer", question_id=self.q_reason.id, value="Cough")
            self._browser("anonymous")
            self.url_open(pro_path)  # to the login page, with the link as redirect
            second = self._open("second", patient_path)
            props = self._owl_props(second, "clinic_visit.waiting_approval")
            self._rpc(props["statusUrl"], request_id=props["requestId"])
            self._open("pro", pro_path, login="test_pro_a")
            self._rpc(f"{pro_path}/data")
        lines = [record.getMessage() for record in records]
        request_lines = [line for line in lines if '"GET /visit/' in line or "POST /visit/" in line]
        self.assertGreaterEqual(len(request_lines), 7, "the request lines were captured")
        self.assertTrue(any("GET /visit/<secret>/<secret> " in line for line in request_lines))
        self.assertTrue(any("/visit/<secret>/request/status" in line for line in request_lines))
        tokens = self._tokens() + self.visit.request_ids.mapped("token")
        for line in lines:
            for token in tokens:
                self.assertNotIn(token, line)

    def test_device_list_is_public(self):
        Device = self.env["clinic.visit.device"]
        Device.search([]).active = False
        Device.create(
            [
                {
                    "name": "Test otoscope",
                    "kind": "camera",
                    "label": "USB Camera 0c45",
                    "instructions": "Gently.",
                },
                {"name": "Test old", "kind": "microphone", "label": "old", "active": False},
            ]
        )
        for browser, login in (("anonymous", None), ("pro", "test_pro_a")):
            self._browser(browser, login)
            response = self._get("/visit/settings")
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.headers["Content-Type"], "application/json")
            self.assertEqual(
                response.json(),
                {
                    "devices": [
                        {
                            "name": "Test otoscope",
                            "kind": "camera",
                            "label": "USB Camera 0c45",
                            "instructions": "Gently.",
                        }
                    ]
                },
            )
