import base64

from odoo.exceptions import AccessError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from .common import ClinicVisitCommon, ClinicVisitHttpCommon

# The browsers of the participant matrix: the visit's patient (the browser
# their link is bound to), a second browser that opened the patient's link
# and waits, the companion, the pro, another pro, the patient of another
# visit, a visitor with no cookie at all, and a clinic manager.
CALLERS = (
    "patient",
    "second_device",
    "companion",
    "pro",
    "other_pro",
    "other_patient",
    "anonymous",
    "manager",
)
LOGINS = {"pro": "test_pro_a", "other_pro": "test_pro_b", "manager": "test_clinic_manager"}
LOGGED_IN = set(LOGINS)
DOCUMENT = b"%PDF-1.4 the secret report of Paula"


@tagged("security")
class TestVisitAccessRights(ClinicVisitCommon):
    """Pros read their own visits through record rules, never write them;
    patients have no account: they go through their links only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        patient, pro = (
            cls.visit.participant_ids.filtered(lambda p, r=r: p.role == r)
            for r in ("patient", "pro")
        )
        patient._bind()
        cls.visit._save_answer(patient, cls.q_reason.id, "Headache")
        cls.visit._post_message(patient, "Hello")
        cls.visit._add_documents(pro, [("report.pdf", "application/pdf", DOCUMENT)])
        cls.visit._enter_call(pro)
        cls.env["clinic.visit.access.request"].create(
            {
                "participant_id": patient.id,
                "guest_id": cls.env["mail.guest"].create({"name": "x"}).id,
            }
        )

    def _content(self, visit):
        return {
            "clinic.visit": visit,
            "clinic.visit.participant": visit.participant_ids,
            "clinic.visit.answer": visit.answer_ids,
            "clinic.visit.message": visit.message_ids,
            "clinic.visit.access.request": visit.request_ids,
            "clinic.meeting": visit.meeting_ids,
        }

    @users("test_pro_b")
    def test_other_pro_reads_nothing_of_the_visit(self):
        for model, records in self._content(self.visit.sudo()).items():
            with self.subTest(model=model):
                self.assertTrue(records)
                self.assertFalse(self.env[model].search([("id", "in", records.ids)]))
                with self.assertRaises(AccessError):
                    self.env[model].browse(records.ids).read(["create_date"])
        self.assertEqual(self.env["clinic.visit"].search([]), self.other_visit)
        data = self.env["clinic.pro"]._get_current()._get_visits_data()
        self.assertEqual([v["name"] for v in data["visits"]], ["Olga Other"])

    @users("test_pro_a")
    def test_pro_reads_their_visit_but_no_secret_and_writes_nothing(self):
        for model, records in self._content(self.visit.sudo()).items():
            with self.subTest(model=model):
                self.assertEqual(self.env[model].search([("id", "in", records.ids)]), records)
        visit = self.env["clinic.visit"].browse(self.visit.id)
        self.assertEqual(visit.name, "Paula Patient")
        for records, field in (
            (visit, "token"),
            (visit.participant_ids, "token"),
            (visit.request_ids, "token"),
            (visit.message_ids, "file_data"),
        ):
            with self.subTest(field=f"{records._name}.{field}"), self.assertRaises(AccessError):
                records.read([field])
        for records, values in (
            (visit, {"name": "x"}),
            (visit.participant_ids, {"name": "x"}),
            (visit.answer_ids, {"value": "x"}),
            (visit.message_ids, {"body": "x"}),
        ):
            with self.subTest(model=records._name), self.assertRaises(AccessError):
                records.write(values)
        with self.assertRaises(AccessError):
            self.env["clinic.visit.stat"].search([])

    @users("test_pro_b", "test_pro_a", "test_visit_portal")
    def test_kill_from_the_backend_is_for_managers_only(self):
        """Any logged-in user (portal users too) may call a public method
        through ``/web/dataset/call_kw``: ``action_kill`` checks its caller."""
        with self.assertRaises(AccessError):
            self.env["clinic.visit"].browse(self.visit.id).action_kill()
        self.assertFalse(self.visit.killed_at)
        self.assertTrue(self.visit.message_ids)

    @users("test_visit_portal")
    def test_portal_user_without_profile_sees_nothing(self):
        for model in self._content(self.visit.sudo()):
            self.assertFalse(self.env[model].search([]), model)
        self.assertFalse(self.env["clinic.pro"]._get_current())

    @users("test_clinic_manager")
    def test_manager_sees_and_kills_every_visit(self):
        visits = self.env["clinic.visit"].search(
            [("id", "in", (self.visit | self.other_visit).ids)]
        )
        self.assertEqual(visits, self.visit | self.other_visit)
        visit = visits.filtered(lambda v: v.id == self.visit.id)
        self.assertEqual(visit.message_ids.mapped("body"), ["Hello", False])
        visit.action_kill()
        self.assertEqual(visit.state, "killed")
        stat = self.env["clinic.visit.stat"].search([("pro_id", "=", self.pro_a.id)])
        self.assertEqual(stat.killed_by_id, self.user_manager)


@tagged("post_install", "-at_install", "security")
class TestVisitRouteMatrix(ClinicVisitHttpCommon):
    """Every route of the module, for every browser of the matrix."""

    def setUp(self):
        super().setUp()
        self.links = {role: self._path(role) for role in ("patient", "companion", "pro")}
        # A link of this visit with another visit's participant: no link at all.
        self.links["wrong"] = (
            f"/visit/{self.visit.token}/{self._participant('patient', self.other_visit).token}"
        )
        self._open("patient", self.links["patient"])
        self._open("companion", self.links["companion"])
        self._open("other_patient", self._path("patient", self.other_visit))
        self._open("second_device", self.links["patient"])
        self.request = self.visit.request_ids
        self.assertEqual(self.request.state, "pending")
        for caller, login in LOGINS.items():
            self._browser(caller, login)
        patient, pro = self._participant("patient"), self._participant("pro")
        self.visit._save_answer(patient, self.q_reason.id, "Secret symptom")
        self.visit._post_message(patient, "Secret message")
        self.document = self.visit._add_documents(
            pro, [("secret-report.pdf", "application/pdf", DOCUMENT)]
        )[0]
        # What no outsider may read.
        self.secrets = [
            "Paula",
            "Carl",
            "Secret symptom",
            "Secret message",
            "secret-report",
            "paula@example.com",
            "+12025550161",
            base64.b64encode(DOCUMENT).decode(),
            self._participant("pro").sudo().token,
            self._participant("companion").sudo().token,
        ]

    def _as(self, caller):
        """Switch to ``caller``'s browser; the anonymous one never keeps a cookie."""
        self._browser(caller, LOGINS.get(caller))
        if caller == "anonymous":
            self.opener.cookies.clear()

    def _assert_no_leak(self, text, context, link=None):
        """``text`` shows none of the secrets (but the link it answers, which
        the caller has)."""
        own = self.links[link].split("/") if link else ()
        for secret in self.secrets:
            if secret not in own:
                self.assertNotIn(secret, text, f"{context} leaks {secret!r}")

    def _call(self, route, link):
        """Call ``route`` of ``link`` as the page would: ``(status, text)``."""
        path = self.links[link]
        if route == "page":
            response = self._get(path)
            kind = self._kind(response) if response.status_code in (200, 403) else None
            return (response.status_code, kind), response.text
        if route == "document":
            response = self._get(f"{path}/document/{self.document.id}")
            return response.status_code, response.text
        if route == "upload":
            response = self._upload(path, [("scan.txt", b"scan")])
            return response.status_code, response.text
        params = {
            "data": {},
            "enter": {},
            "leave": {},
            "answer": {"question_id": self.q_temperature.id, "value": "37"},
            "message": {"body": "Hi"},
        }[route]
        if link == "pro" and route == "answer":
            params["question_id"] = self.q_findings.id
        answer = self._rpc(f"{path}/{route}", **params)
        return answer.status, answer.text

    def test_links(self):
        """A patient's or companion's link shows the visit to the browser it is
        bound to, and a wait for the pro's approval to any other; the pro's
        link needs the pro logged in."""
        for link in ("patient", "companion", "pro", "wrong"):
            for caller in CALLERS:
                if link == "wrong":
                    expected = (404, None)
                elif caller == link:
                    expected = (200, "room")
                elif link == "pro":
                    expected = (404, None) if caller in LOGGED_IN else (303, None)
                else:
                    expected = (200, "waiting")
                with self.subTest(link=link, caller=caller), mute_logger("odoo.http"):
                    self._as(caller)
                    outcome, text = self._call("page", link)
                    self.assertEqual(outcome, expected)
                    if expected != (200, "room"):
                        self._assert_no_leak(text, f"{link} page for {caller}", link)
        self.assertFalse(self._participant("patient", self.other_visit).visit_id.request_ids)

    def test_page_calls(self):
        """The page's calls answer its participant only: 403 on a real link of
        someone else, 404 on a wrong link."""
        routes = ("data", "enter", "answer", "message", "document", "upload", "leave")
        answers, messages = len(self.visit.answer_ids), len(self.visit.message_ids)
        for link in ("patient", "companion", "pro", "wrong"):
            for caller in CALLERS:
                self._as(caller)
                for route in routes:
                    if link == "wrong":
                        expected = 404
                    elif caller != link:
                        expected = 403
                    elif route == "upload" and link != "pro":
                        expected = 400  # only the pro shares documents
                    else:
                        expected = 200
                    with (
                        self.subTest(link=link, caller=caller, route=route),
                        mute_logger("odoo.http"),
                    ):
                        status, text = self._call(route, link)
                        self.assertEqual(status, expected)
                        if expected != 200:
                            self._assert_no_leak(
                                text, f"{route} of the {link} link for {caller}", link
                            )
        # Only the participants' own calls left something.
        self.assertEqual(len(self.visit.answer_ids), answers + 2)
        self.assertEqual(
            len(self.visit.message_ids), messages + 3 + 1, "3 messages and the pro's upload"
        )
        self.assertEqual(self.request.state, "pending")

    def test_page_calls_after_approval(self):
        """Once the pro lets the second device in, it is the patient: the
        first browser is let go."""
        self.assertEqual(self.request._decide(True), "accepted")
        for caller, page, expected in (
            ("second_device", (200, "room"), 200),
            ("patient", (200, "waiting"), 403),
        ):
            self._as(caller)
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                self.assertEqual(self._call("page", "patient")[0], page)
                for route in ("data", "enter", "answer", "message", "document", "leave"):
                    status, text = self._call(route, "patient")
                    self.assertEqual(status, expected, route)
                    if expected != 200:
                        self._assert_no_leak(text, f"{route} for {caller}", "patient")

    def test_request_status(self):
        """Only the waiting browser reads where its request stands."""
        url = f"/visit/{self.visit.token}/request/status"
        for caller in CALLERS:
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                self._as(caller)
                answer = self._rpc(url, request_id=self.request.id)
                if caller == "second_device":
                    self.assertEqual(answer.result, {"state": "pending"})
                else:
                    self.assertEqual(answer.status, 404)
        self._as("second_device")
        with mute_logger("odoo.http"):
            for visit_token, request_id in (
                (self.other_visit.token, self.request.id),
                ("A" * 43, self.request.id),
                (self.visit.token, 999999999),
                (self.visit.token, None),
            ):
                with self.subTest(visit_token=visit_token, request_id=request_id):
                    url = f"/visit/{visit_token}/request/status"
                    self.assertEqual(self._rpc(url, request_id=request_id).status, 404)

    def test_decide_and_kill(self):
        """Only the pro lets a device in or destroys the visit, from their
        link or their dashboard."""
        decide = f"/request/{self.request.id}/decide"
        portal = f"/my/clinic/visit/{self.visit.id}"
        for caller in CALLERS:
            self._as(caller)
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                for link in ("patient", "companion", "pro", "wrong"):
                    for route, params in ((decide, {"accept": True}), ("/kill", {})):
                        if link == "wrong" or (caller == link and link != "pro"):
                            expected = 404
                        elif caller != link:
                            expected = 403
                        else:
                            continue  # the pro's own calls: below
                        answer = self._rpc(f"{self.links[link]}{route}", **params)
                        self.assertEqual(answer.status, expected, f"{route} of {link}")
                        self._assert_no_leak(answer.text, f"{route} of {link} for {caller}")
                if caller == "pro":
                    continue
                for route, params in (
                    (f"{portal}/request/{self.request.id}/decide", {"accept": True}),
                    (f"{portal}/kill", {}),
                    (
                        f"{portal}/send",
                        {"participant_id": self._participant("patient").id, "channel": "email"},
                    ),
                ):
                    answer = self._rpc(route, **params)
                    if caller == "other_pro":
                        self.assertEqual(
                            answer.result["error"], "This visit is not available to you."
                        )
                        self.assertEqual(
                            [v["name"] for v in answer.result["visits"]], ["Olga Other"]
                        )
                    elif caller == "manager":
                        self.assertEqual(answer.result, {"is_pro": False})
                    else:
                        self.assertEqual(answer.status, 401, "login needed")
                    self._assert_no_leak(answer.text, f"{route} for {caller}")
        self.assertEqual(self.request.state, "pending")
        self.assertFalse(self.visit.killed_at)
        self.assertFalse(self.env["mail.mail"].search([("email_to", "=", "paula@example.com")]))
        # The pro does it all.
        self._as("pro")
        answer = self._rpc(f"{self.links['pro']}{decide}", accept=False)
        self.assertEqual(answer.result, {"state": "refused"})
        answer = self._rpc(
            f"{portal}/send", participant_id=self._participant("patient").id, channel="email"
        )
        self.assertFalse(answer.result["error"])
        self.assertTrue(self.env["mail.mail"].search([("email_to", "=", "paula@example.com")]))
        self.assertEqual(self._rpc(f"{self.links['pro']}/kill").result, True)
        self.assertTrue(self.visit.killed_at)
        # Refused attempts leave no line; the pro's decision and kill do, by the pro.
        lines = self.env["clinic.audit.log"].search(
            [("res_model", "=", "clinic.visit"), ("res_id", "=", self.visit.id)], order="id"
        )
        self.assertEqual(lines.mapped("action")[-2:], ["refused", "killed"])
        self.assertEqual(lines[-1].user_id, self._participant("pro").user_id)
        self.assertTrue(all(line.ip_address for line in lines[-2:]))

    def test_backend_rpc_cannot_kill(self):
        """Portal users may call public model methods: ``action_kill`` is not
        a way around the dashboard's check."""
        for caller in ("other_pro", "pro", "anonymous"):
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                self._as(caller)
                answer = self._rpc(
                    "/web/dataset/call_kw/clinic.visit.action_kill",
                    model="clinic.visit",
                    method="action_kill",
                    args=[[self.visit.id]],
                    kwargs={},
                )
                self.assertNotEqual(answer.status, 200)
                if caller != "anonymous":
                    self.assertIn("odoo.exceptions.AccessError", answer.text)
        self.assertFalse(self.visit.killed_at)
        self.assertTrue(self.visit.message_ids)
        self._as("manager")
        answer = self._rpc(
            "/web/dataset/call_button/clinic.visit.action_kill",
            model="clinic.visit",
            method="action_kill",
            args=[[self.visit.id]],
            kwargs={},
        )
        self.assertEqual(answer.status, 200)
        self.assertTrue(self.visit.killed_at)

    def test_pro_dashboard_routes(self):
        """``/my/clinic/visits`` and *New visit*: a pro's own visits only."""
        for caller in CALLERS:
            self._as(caller)
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                answer = self._rpc("/my/clinic/visits")
                if caller == "pro":
                    (visit,) = [v for v in answer.result["visits"] if v["id"] == self.visit.id]
                    self.assertEqual(
                        [p["path"] for p in visit["participants"]],
                        [self.links["pro"], self.links["patient"], self.links["companion"]],
                    )
                    self.assertEqual([r["id"] for r in visit["requests"]], [self.request.id])
                    continue
                if caller == "other_pro":
                    self.assertEqual([v["name"] for v in answer.result["visits"]], ["Olga Other"])
                elif caller == "manager":
                    self.assertEqual(answer.result, {"is_pro": False})
                else:
                    self.assertEqual(answer.status, 401)
                self._assert_no_leak(answer.text, f"/my/clinic/visits for {caller}")
                created = self._rpc("/my/clinic/visit/create", name="New Patient")
                if caller == "other_pro":
                    self.assertFalse(created.result["errors"])
                    self.assertEqual(
                        self.env["clinic.visit"].browse(created.result["created_id"]).pro_id,
                        self.pro_b,
                    )
                elif caller == "manager":
                    self.assertEqual(created.result, {"is_pro": False})
                else:
                    self.assertEqual(created.status, 401)
        self.assertEqual(self.env["clinic.visit"].search_count([("name", "=", "New Patient")]), 1)

    def test_device_list_is_the_same_for_everyone(self):
        bodies = set()
        for caller in CALLERS:
            self._as(caller)
            response = self._get("/visit/settings")
            self.assertEqual(response.status_code, 200)
            bodies.add(response.text)
        self.assertEqual(len(bodies), 1)
        self._assert_no_leak(bodies.pop(), "/visit/settings")


@tagged("post_install", "-at_install", "security")
class TestVisitCallChannel(ClinicVisitHttpCommon):
    """The visit's call is a Discuss channel: Discuss's own routes show it
    to the people in the call, and to nobody else."""

    def test_discuss_routes_are_closed_to_outsiders(self):
        patient_path, pro_path = self._path("patient"), self._path("pro")
        self._open("patient", patient_path)
        meeting_id = self._rpc(f"{patient_path}/enter").result["meetingId"]
        self.assertTrue(self._rpc(f"/clinic/meeting/{meeting_id}/call/join").result["sessionId"])
        self._open("pro", pro_path, login="test_pro_a")
        self._rpc(f"{pro_path}/enter")
        self.assertTrue(self._rpc(f"/clinic/meeting/{meeting_id}/call/join").result["sessionId"])
        channel = self.env["discuss.channel"].search([("clinic_meeting_id", "=", meeting_id)])
        self.assertEqual(self.visit.meeting_id.id, meeting_id)
        channel.message_post(
            body="Private words", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        self._open("companion", self._path("companion"))
        self._open("other_patient", self._path("patient", self.other_visit))
        self._open("second_device", patient_path)
        for caller, login in LOGINS.items():
            self._browser(caller, login)
        for caller in CALLERS:
            with self.subTest(caller=caller), mute_logger("odoo.http"):
                self._browser(caller)
                if caller == "anonymous":
                    self.opener.cookies.clear()
                messages = self._rpc("/discuss/channel/messages", channel_id=channel.id)
                thread = self._rpc(
                    "/mail/thread/messages", thread_model="discuss.channel", thread_id=channel.id
                )
                call = self._rpc(f"/clinic/meeting/{meeting_id}/call/join")
                if caller in ("patient", "pro"):
                    self.assertEqual(messages.status, 200)
                    self.assertIn("Private words", messages.text)
                    self.assertEqual(call.status, 200)
                    continue
                self.assertEqual(messages.status, 404)
                # Logged-in users get the messages they may read, of any thread.
                if thread.status == 200:
                    self.assertFalse(set(thread.result["messages"]) & set(channel.message_ids.ids))
                self.assertEqual(call.status, 404)
                join = self._rpc("/mail/rtc/channel/join_call", channel_id=channel.id)
                self.assertEqual(join.status, 404)
                for answer in (messages, thread, call, join):
                    self.assertNotIn("Private words", answer.text)
                    self.assertNotIn("Paula", answer.text)
        self.assertEqual(
            {m.partner_id or m.guest_id for m in channel.channel_member_ids},
            {self._participant("patient").guest_id, self.user_pro_a.partner_id},
            "nobody else became a member",
        )
