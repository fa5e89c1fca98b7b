import base64
import os
import uuid
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL, config, mute_logger

from odoo.addons.clinic_meeting.tests.common import create_meeting

from .common import ENDED, ClinicVisitCommon, ClinicVisitHttpCommon, create_visit

T0 = datetime(2026, 3, 2, 9, 0)


def minutes(n):
    return T0 + timedelta(minutes=n)


class KillMixin:
    def _fill_visit(self):
        """Everything a visit can hold: bound links, two calls (one over, one
        live) with their Discuss channels and a message in the first,
        answers of both sides, messages, two documents, a pending and a
        refused device. Dr. Alpha's first call lasts 10 minutes (09:00-09:10),
        the second one is live since 09:20."""
        visit, marker = self.visit, uuid.uuid4().hex
        patient, pro, companion = (self._participant(r) for r in ("patient", "pro", "companion"))
        self.documents = [
            b"%PDF-1.4 lab results " + marker.encode(),
            b"\x89PNG x-ray " + marker.encode() + b"\0" * 300,
        ]
        self.words = {
            "names": ["Paula Patient", "Carl Companion", "paula@example.com", "+12025550161"],
            "answers": [f"Chest pain since Tuesday {marker}", f"Suspected pneumonia {marker}"],
            "messages": [f"I live at 12 Secret Street {marker}", f"Take care {marker}"],
            "call": [f"Words said in the call {marker}"],
            "documents": [f"lab-results-{marker}.pdf", f"x-ray-{marker}.png"],
        }
        Guest = self.env["mail.guest"]
        with freeze_time(T0):
            patient._bind()
            companion._bind()
            visit._enter_call(patient)
            visit._enter_call(pro)
            self._join_calls()
            self._channels().message_post(
                body=self.words["call"][0], message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        with freeze_time(minutes(10)):
            visit._leave_call(pro)
        with freeze_time(minutes(20)):
            visit._enter_call(pro)
            visit._enter_call(patient)
            visit._enter_call(companion)
            self._join_calls()
            visit._save_answer(patient, self.q_reason.id, self.words["answers"][0])
            visit._save_answer(companion, self.q_temperature.id, "38.5")
            visit._save_answer(pro, self.q_findings.id, self.words["answers"][1])
            visit._post_message(patient, self.words["messages"][0])
            visit._post_message(pro, self.words["messages"][1])
            visit._add_documents(
                pro,
                [
                    (name, None, data)
                    for name, data in zip(self.words["documents"], self.documents, strict=True)
                ],
            )
            Request = self.env["clinic.visit.access.request"]
            for state in ("pending", "refused"):
                guest = Guest.create({"name": "Paula Patient"})
                Request.create({"participant_id": patient.id, "guest_id": guest.id, "state": state})
        self.assertEqual(len(visit.meeting_ids), 2)
        self.assertEqual(visit.meeting_ids.mapped("state"), ["in_progress", "done"])
        # Each step above was a request of its own, committed: its bus
        # notifications are rows of the database.
        self.env.cr.flush()
        return marker

    def _join_calls(self):
        meeting = self.visit.meeting_id
        for participant in meeting.participant_ids.filtered(lambda p: not p.left_at):
            self.assertTrue(meeting._call_join(participant)["sessionId"])

    def _channels(self, meetings=None):
        return self.env["discuss.channel"].search(
            [("clinic_meeting_id", "in", (meetings or self.visit.meeting_ids).ids)]
        )

    def _rows_containing(self, *texts):
        """Where each of ``texts`` is in the database: ``{text: {table: rows}}``
        over every text, JSON and binary column of every table (binary
        columns are searched for the text's bytes)."""
        self.env.flush_all()
        self.env.cr.flush()
        self.env.cr.execute("""
            SELECT c.table_name, c.column_name, c.data_type
              FROM information_schema.columns c
              JOIN information_schema.tables t
                ON t.table_name = c.table_name AND t.table_schema = c.table_schema
             WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
               AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea')
        """)
        columns = {}
        for table, column, data_type in self.env.cr.fetchall():
            columns.setdefault(table, []).append((column, data_type))
        found = {text: {} for text in texts}
        for table, table_columns in columns.items():
            counts = SQL(", ").join(
                SQL(
                    "count(*) FILTER (WHERE %s)",
                    SQL(" OR ").join(
                        SQL("position(%s IN %s) > 0", text.encode(), SQL.identifier(column))
                        if data_type == "bytea"
                        else SQL("strpos(%s::text, %s) > 0", SQL.identifier(column), text)
                        for column, data_type in table_columns
                    ),
                )
                for text in texts
            )
            self.env.cr.execute(SQL("SELECT %s FROM %s", counts, SQL.identifier(table)))
            for text, count in zip(texts, self.env.cr.fetchone(), strict=True):
                if count:
                    found[text][table] = count
        return found

    def _filestore_files_containing(self, data):
        found = []
        for root, _dirs, files in os.walk(config.filestore(self.env.cr.dbname)):
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as file:
                    if data in file.read():
                        found.append(path)
        return found


class TestVisitKill(KillMixin, ClinicVisitCommon):
    def test_kill_leaves_nothing_of_the_visit(self):
        visit = self.visit
        marker = self._fill_visit()
        patient = self._participant("patient")
        meetings = visit.meeting_ids
        channels = self._channels(meetings)
        self.assertEqual(len(channels), 2)
        content = {
            "clinic.visit.message": visit.message_ids,
            "clinic.visit.answer": visit.answer_ids,
            "clinic.visit.access.request": visit.request_ids,
            "clinic.meeting": meetings,
            "clinic.meeting.participant": meetings.participant_ids,
            "discuss.channel": channels,
            "discuss.channel.member": channels.channel_member_ids,
            "discuss.channel.rtc.session": channels.rtc_session_ids,
            "mail.message": self.env["mail.message"].search(
                [("model", "=", "discuss.channel"), ("res_id", "in", channels.ids)]
            ),
            "mail.guest": visit.participant_ids.guest_id | visit.request_ids.guest_id,
        }
        for model, records in content.items():
            self.assertTrue(records, f"the visit has {model} rows to delete")
        self.assertEqual(len(content["mail.guest"]), 4, "patient, companion, two devices")
        self.assertTrue(content["discuss.channel.rtc.session"], "someone is in the call")
        # Before: the search below finds the visit's content.
        texts = [text for kind in self.words.values() for text in kind]
        texts += [base64.b64encode(data).decode() for data in self.documents] + [marker]
        before = self._rows_containing(*texts)
        self.assertEqual(before[marker]["clinic_visit_message"], 4)
        self.assertIn("bus_bus", before[marker], "the answers went over the bus")
        self.assertIn("clinic_visit_answer", before[self.words["answers"][1]])
        self.assertIn("mail_message", before[self.words["call"][0]])
        self.assertIn("mail_guest", before["Paula Patient"])
        self.assertEqual(before[texts[-2]], {"clinic_visit_message": 1})
        self.assertEqual(self._filestore_files_containing(marker.encode()), [])

        with freeze_time(minutes(25)):
            visit.with_user(self.user_pro_a)._kill()

        for model, records in content.items():
            with self.subTest(model=model):
                self.assertFalse(records.exists())
        self.assertFalse(visit.meeting_id)
        self.assertFalse(self._channels(meetings))
        self.assertRecordValues(
            visit,
            [
                {
                    "name": "-",
                    "state": "killed",
                    "killed_at": minutes(25),
                    "killed_by_id": self.user_pro_a.id,
                }
            ],
        )
        self.assertEqual(len(visit.participant_ids), 3, "the links stay, to say the visit ended")
        self.assertRecordValues(
            visit.participant_ids,
            [{"name": "-", "email": False, "phone": False, "guest_id": False, "partner_id": False}]
            * 3,
        )
        # Nothing of it in any table, nor in the filestore.
        self.maxDiff = None
        self.assertEqual(self._rows_containing(*texts), {text: {} for text in texts})
        self.assertEqual(self._filestore_files_containing(marker.encode()), [])
        # The links answer that the visit ended, and bind nothing.
        self.assertFalse(visit._is_live())
        self.assertEqual(
            self.env["clinic.visit"]._get_participant_by_tokens(visit.token, patient.token), patient
        )

    def test_statistics_keep_figures_only(self):
        visit = self.visit
        self._fill_visit()
        created = visit.create_date
        with freeze_time(minutes(25)):
            visit.with_user(self.user_pro_a)._kill()
            visit.with_user(self.user_pro_a)._kill()  # a second time does nothing
        stat = self.env["clinic.visit.stat"].search([("pro_id", "=", self.pro_a.id)])
        self.assertEqual(len(stat), 1)
        self.assertRecordValues(
            stat,
            [
                {
                    "visit_created_at": created,
                    "first_call_at": T0,
                    "end_date": visit.end_date,
                    "killed_at": minutes(25),
                    "killed_by_id": self.user_pro_a.id,
                    "reason": "manual",
                    "call_count": 2,
                    "call_minutes": 15.0,  # 10 minutes, then 5 until the kill
                    "message_count": 2,
                    "document_count": 2,
                    "answer_count": 3,
                    "participant_count": 3,
                }
            ],
        )
        values = str(stat.read()[0])
        self.assertIn("Dr. Alpha", values, "the pro, as killed_by_id and pro_id")
        for text in ("Paula", "Carl", *(t for texts in self.words.values() for t in texts)):
            self.assertNotIn(text, values)

    def test_kill_leaves_a_walk_in_patient_alone(self):
        """The guest of a browser that checked in at a lobby, then asked to
        enter this visit, is still that patient's after the kill."""
        guest = self.env["mail.guest"].create({"name": "Walk In"})
        meeting = create_meeting(self.env, "Walk In", guest=guest)
        patient = self._participant("patient")
        patient._bind()
        self.env["clinic.visit.access.request"].create(
            {"participant_id": patient.id, "guest_id": guest.id}
        )
        self.visit._kill()
        self.assertTrue(guest.exists())
        self.assertEqual(meeting.patient_participant_id.guest_id, guest)

    def test_kill_of_a_visit_never_opened(self):
        self.assertIn("clinic_visit", self._rows_containing("Paula Patient")["Paula Patient"])
        self.visit._kill()
        self.assertEqual(self._rows_containing("Paula Patient"), {"Paula Patient": {}})
        self.assertEqual(self.visit.state, "killed")


class TestVisitExpiry(ClinicVisitCommon):
    def test_cron_kills_the_visits_past_their_end_date_and_only_them(self):
        now = fields.Datetime.now().replace(microsecond=0)
        past, soon, future, gone = (
            create_visit(self.env, self.pro_a, name) for name in ("Past", "Soon", "Future", "Gone")
        )
        past.end_date = now - timedelta(seconds=1)
        soon.end_date = now
        future.end_date = now + timedelta(days=3)
        gone.end_date = now - timedelta(days=2)
        gone._kill()
        stats_before = self.env["clinic.visit.stat"].search([])
        killed_before = self.env["clinic.visit"].search([("killed_at", "!=", False)])
        cron = self.env.ref("clinic_visit.ir_cron_kill_expired")
        self.assertEqual(cron.interval_type, "days")
        with freeze_time(now):
            killed = self.env["clinic.visit"]._cron_kill_expired()
        self.assertIn(past, killed)
        self.assertEqual(
            self.env["clinic.visit"].search([("killed_at", "!=", False)]) - killed_before,
            past,
            "past its end date, not yet killed: nothing else",
        )
        self.assertEqual(past.name, "-")
        stat = self.env["clinic.visit.stat"].search([]) - stats_before
        self.assertRecordValues(
            stat,
            [
                {
                    "reason": "expired",
                    "killed_by_id": False,
                    "killed_at": now,
                    "pro_id": self.pro_a.id,
                }
            ],
        )
        with freeze_time(now):  # (the state is computed with the time of reading)
            soon.invalidate_recordset(["state"])
            future.invalidate_recordset(["state"])
            self.assertEqual((soon.state, future.state), ("open", "open"))
        # A day later, the cron's own code kills the visit ending now.
        with freeze_time(now + timedelta(days=1)):
            cron.ir_actions_server_id.with_user(cron.user_id).run()
        self.assertTrue(soon.killed_at)
        self.assertFalse(future.killed_at)
        self.assertEqual(
            (self.env["clinic.visit.stat"].search([]) - stats_before - stat).reason, "expired"
        )


@tagged("post_install", "-at_install")
class TestVisitKillHttp(KillMixin, ClinicVisitHttpCommon):
    def _assert_ended(self, browsers, paths):
        for browser in browsers:
            self._browser(browser, "test_pro_a" if browser == "pro" else None)
            for path in paths:
                with self.subTest(browser=browser, path=path), mute_logger("odoo.http"):
                    response = self._get(path)
                    self.assertEqual(response.status_code, 410)
                    self.assertEqual(self._kind(response), "ended")
                    self.assertIn(ENDED, self._text(response))
                    self.assertEqual(response.headers["Cache-Control"], "no-store")
                    # (The pro's own name is in their user menu.)
                    for text in ("Paula", "Carl", "Dr. Alpha" if browser != "pro" else "Carl"):
                        self.assertNotIn(text, response.text)
                    for call in ("data", "enter", "message"):
                        self.assertEqual(self._rpc(f"{path}/{call}").status, 404)

    def test_every_link_of_a_killed_visit_says_it_ended(self):
        paths = [self._path(role) for role in ("patient", "companion", "pro")]
        for browser, path in zip(("patient", "companion", "pro"), paths, strict=True):
            self._open(browser, path, login="test_pro_a" if browser == "pro" else None)
        self._open("second", paths[0])
        request = self.visit.request_ids
        pro_page = self._open("pro", paths[2])
        self._upload(paths[2], [("a.pdf", b"%PDF a")], csrf_token=self._csrf_token(pro_page))
        document_url = f"{paths[0]}/document/{self.visit.message_ids.id}"
        self.assertEqual(self._rpc(f"{paths[2]}/kill").result, True)
        self.assertEqual(self.visit.state, "killed")
        self._assert_ended(("patient", "companion", "pro", "second", "new"), paths)
        with mute_logger("odoo.http"):
            self._browser("patient")
            self.assertEqual(self._get(document_url).status_code, 404)
            self._browser("second")
            status = self._rpc(f"/visit/{self.visit.token}/request/status", request_id=request.id)
            self.assertEqual(status.status, 404)
        self.assertFalse(self._participant("patient").guest_id, "nothing bound again")

    def test_kill_leaves_another_visits_link_bound(self):
        """A browser bound to another visit that asked to enter this one keeps
        its own link when this visit is destroyed."""
        own_path = self._path("patient", self.other_visit)
        self._open("patient", self._path("patient"))
        self._open("olga", own_path)
        olga_guest = self._participant("patient", self.other_visit).guest_id
        self.assertEqual(self._kind(self._get(self._path("patient"))), "waiting")
        self.assertEqual(self.visit.request_ids.guest_id, olga_guest)
        self._browser("pro", login="test_pro_a")
        self.assertFalse(self._rpc(f"/my/clinic/visit/{self.visit.id}/kill").result["error"])
        self.assertTrue(self.visit.killed_at)
        self.assertTrue(olga_guest.exists())
        self.assertEqual(self._participant("patient", self.other_visit).guest_id, olga_guest)
        self._browser("olga")
        self.assertEqual(self._kind(self._get(own_path)), "room")
        self._browser("someone else")
        self.assertEqual(self._kind(self._get(own_path)), "waiting")

    def test_links_of_an_expired_visit_say_it_ended(self):
        paths = [self._path(role) for role in ("patient", "companion", "pro")]
        self._open("patient", paths[0])
        with freeze_time(self.visit.end_date + timedelta(seconds=1)):
            self._assert_ended(("patient", "pro", "new"), paths)
        self.assertFalse(self.visit.killed_at, "the cron destroys it")
        self._browser("patient")
        self.assertEqual(self._kind(self._get(paths[0])), "room")
