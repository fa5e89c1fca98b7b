import base64
import re
from datetime import datetime, timedelta

import psycopg2.errors
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from .common import ClinicVisitCommon, create_visit

NOW = "2026-03-02 09:00:00"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class TestVisitCreation(ClinicVisitCommon):
    @freeze_time(NOW)
    def test_new_visit_has_a_link_per_participant(self):
        visit = create_visit(
            self.env,
            self.pro_a,
            "  Jane   Roe ",
            email=" Jane.Roe@Example.com ",
            phone="+1 (202) 555-0161",
            companion_name="John Roe",
            end_date="2026-03-10",
        )
        self.assertRecordValues(
            visit,
            [
                {
                    "name": "Jane Roe",
                    "pro_id": self.pro_a.id,
                    "state": "open",
                    "end_date": datetime(2026, 3, 10, 23, 59, 59),
                }
            ],
        )
        self.assertRecordValues(
            visit.participant_ids,
            [
                {"role": "pro", "name": "Dr. Alpha", "email": False, "phone": False},
                {
                    "role": "patient",
                    "name": "Jane Roe",
                    "email": "jane.roe@example.com",
                    "phone": "+12025550161",
                },
                {"role": "companion", "name": "John Roe", "email": False, "phone": False},
            ],
        )
        self.assertEqual(visit.participant_ids.user_id, self.user_pro_a)
        self.assertFalse(visit.participant_ids.guest_id, "no link is bound before it is opened")
        paths = visit.participant_ids.mapped(lambda p: p._get_path())
        self.assertEqual(len(set(paths)), 3)
        for participant, path in zip(visit.participant_ids, paths, strict=True):
            self.assertEqual(path, f"/visit/{visit.token}/{participant.token}")
        pro_list = self.pro_a.with_user(self.user_pro_a)._get_visits_data()["visits"]
        self.assertEqual([v["id"] for v in pro_list], [visit.id, self.visit.id])
        self.assertEqual(
            [p["path"] for p in pro_list[0]["participants"]], paths, "the pro sees every link"
        )

    @freeze_time(NOW)
    def test_default_end_date_comes_from_the_settings(self):
        visit = create_visit(self.env, self.pro_a, "Jane Roe")
        self.assertEqual(visit.end_date, datetime(2026, 4, 1, 9, 0))
        self.env["ir.config_parameter"].set_param("clinic_visit.validity_days", "7")
        visit = create_visit(self.env, self.pro_a, "Jane Roe")
        self.assertEqual(visit.end_date, datetime(2026, 3, 9, 9, 0))
        self.assertEqual(len(visit.participant_ids), 2, "no companion unless named")

    @freeze_time(NOW)
    def test_bad_new_visit_forms_get_a_message_and_create_nothing(self):
        Visit = self.env["clinic.visit"].sudo()
        visits_before = Visit.search([])
        participants_before = self.env["clinic.visit.participant"].search_count([])
        good = {"name": "Jane Roe", "email": "", "phone": "", "companion_name": "", "end_date": ""}
        cases = [
            ("empty name", {"name": "   "}, "name", "Please enter the name."),
            ("no name", {"name": None}, "name", "Please enter the name."),
            ("long name", {"name": "J" * 101}, "name", "The name is too long: 100 characters"),
            ("no letters", {"name": "12345"}, "name", "Please enter the name with letters."),
            (
                "long companion",
                {"companion_name": "C" * 101},
                "companion_name",
                "The name is too long: 100 characters",
            ),
            ("email", {"email": "jane@"}, "email", "Please enter a valid email address."),
            ("email domain", {"email": "jane@localhost"}, "email", "a valid email address."),
            ("email 255", {"email": "j" * 243 + "@example.com"}, "email", "a valid email"),
            ("phone", {"phone": "12345"}, "phone", "Please enter a valid phone number"),
            ("phone no country", {"phone": "202 555 0143"}, "phone", "with its country code"),
            ("phone letters", {"phone": "call me"}, "phone", "Please enter a valid phone number"),
            ("yesterday", {"end_date": "2026-03-01"}, "end_date", "cannot be in the past."),
            ("a year and a day", {"end_date": "2027-03-03"}, "end_date", "one year at most."),
            ("no such day", {"end_date": "2026-02-30"}, "end_date", "as YYYY-MM-DD."),
            ("not a date", {"end_date": "next week"}, "end_date", "as YYYY-MM-DD."),
        ]
        for case, values, field, message in cases:
            with self.subTest(case=case):
                visit, errors = Visit._create_for_pro(self.pro_a, {**good, **values})
                self.assertFalse(visit)
                self.assertEqual(list(errors), [field])
                self.assertIn(message, errors[field])
        self.assertEqual(Visit.search([]), visits_before)
        self.assertEqual(self.env["clinic.visit.participant"].search_count([]), participants_before)
        # The limits themselves are accepted: today, a year from today.
        for end_date in ("2026-03-02", "2027-03-02"):
            visit, errors = Visit._create_for_pro(self.pro_a, {**good, "end_date": end_date})
            self.assertFalse(errors)
            self.assertEqual(visit.end_date.date().isoformat(), end_date)

    def test_tokens_are_256_bits_unique_and_url_safe(self):
        visits = self.visit | self.other_visit
        for n in range(20):
            visits |= create_visit(self.env, self.pro_a, f"Patient {chr(65 + n)}")
        tokens = visits.mapped("token") + visits.participant_ids.mapped("token")
        self.assertEqual(len(tokens), 22 + 22 * 2 + 1)
        self.assertEqual(len(set(tokens)), len(tokens))
        for token in tokens:
            self.assertRegex(token, TOKEN)
            self.assertEqual(len(base64.urlsafe_b64decode(token + "=")), 32)
        # The database refuses a copy, whatever writes it.
        for table, record, taken in (
            ("clinic_visit", self.other_visit, self.visit.token),
            (
                "clinic_visit_participant",
                self.other_visit.participant_ids[0],
                self.visit.participant_ids[0].token,
            ),
        ):
            with (
                self.subTest(table=table),
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.UniqueViolation),
                self.env.cr.savepoint(),
            ):
                self.env.cr.execute(
                    SQL(
                        "UPDATE %s SET token = %s WHERE id = %s",
                        SQL.identifier(table),
                        taken,
                        record.id,
                    )
                )

    def test_link_lookup_needs_both_secrets(self):
        Visit = self.env["clinic.visit"]
        patient, other_patient = (
            self._participant("patient"),
            self._participant("patient", self.other_visit),
        )
        vt, pt = self.visit.token, patient.token
        self.assertEqual(Visit._get_participant_by_tokens(vt, pt), patient)
        for case, visit_token, participant_token in (
            ("wrong visit token", self.other_visit.token, pt),
            ("wrong participant token", vt, pt[:-1] + ("A" if pt[-1] != "A" else "B")),
            ("another visit's participant", vt, other_patient.token),
            ("swapped", pt, vt),
            ("the visit token twice", vt, vt),
            ("short", vt[:19], pt),
            ("long", vt, pt + "x" * 30),
            ("not a string", None, pt),
            ("a number", vt, 12345678901234567890123),
        ):
            with self.subTest(case=case):
                self.assertFalse(Visit._get_participant_by_tokens(visit_token, participant_token))


class TestVisitQuestionnaire(ClinicVisitCommon):
    def _answers(self, visit=None):
        return {a.question_id: a.value for a in (visit or self.visit).answer_ids}

    def test_each_side_saves_its_part(self):
        visit = self.visit
        patient, pro, companion = (self._participant(r) for r in ("patient", "pro", "companion"))
        for participant, question, value, stored in (
            (patient, self.q_reason, "  A cough  ", "A cough"),
            (patient, self.q_temperature, "37,5", "37.5"),
            (patient, self.q_since, "2026-02-27", "2026-02-27"),
            (patient, self.q_pain, "Moderate", "Moderate"),
            (patient, self.q_allergies, True, "yes"),
            (companion, self.q_temperature, 38, "38"),
            (pro, self.q_findings, "Mild fever", "Mild fever"),
            (pro, self.q_follow_up, "no", "no"),
        ):
            with self.subTest(question=question.name, value=value):
                saved, error = visit._save_answer(participant, question.id, value)
                self.assertIsNone(error)
                self.assertEqual(
                    saved,
                    {"question_id": question.id, "value": stored, "participant_id": participant.id},
                )
                self.assertEqual(self._answers()[question], stored)
        self.assertEqual(len(visit.answer_ids), 7, "one answer per question")
        self.assertEqual(
            visit.answer_ids.filtered(lambda a: a.question_id == self.q_temperature).participant_id,
            self._participant("companion"),
        )
        # Clearing a text saves an empty answer.
        saved, error = visit._save_answer(patient, self.q_reason.id, "")
        self.assertEqual((saved["value"], error), ("", None))
        self.assertFalse(self._answers()[self.q_reason])
        # The pro's page reads them all.
        data = visit._get_room_data(pro)
        self.assertEqual(data["answers"][self.q_findings.id], "Mild fever")
        self.assertEqual(
            [q["id"] for q in data["questions"]],
            (
                self.q_reason
                | self.q_since
                | self.q_temperature
                | self.q_pain
                | self.q_allergies
                | self.q_findings
                | self.q_follow_up
            ).ids,
        )
        self.assertEqual(data["questions"][3]["choices"], ["None", "Mild", "Moderate", "Severe"])

    def test_bad_answers_get_a_message_and_change_nothing(self):
        patient, pro = self._participant("patient"), self._participant("pro")
        visit = self.visit
        for participant, question, value in (
            (patient, self.q_reason, "Headache"),
            (patient, self.q_temperature, "37.5"),
            (patient, self.q_since, "2026-02-27"),
            (patient, self.q_pain, "Mild"),
            (patient, self.q_allergies, "no"),
            (pro, self.q_findings, "Nothing special"),
        ):
            self.assertIsNone(visit._save_answer(participant, question.id, value)[1])
        archived = self.q_reason.copy({"name": "Test archived", "active": False})
        before = self._answers()
        cases = [
            ("no value", patient, self.q_reason.id, None, "Nothing to save."),
            ("a list", patient, self.q_reason.id, ["Headache"], "This answer is not valid."),
            ("an object", patient, self.q_reason.id, {"a": 1}, "This answer is not valid."),
            ("2001 characters", patient, self.q_reason.id, "x" * 2001, "2000 characters at most"),
            ("number: words", patient, self.q_temperature.id, "hot", "Please enter a number"),
            ("number: yes", patient, self.q_temperature.id, True, "Please enter a number"),
            ("number: two dots", patient, self.q_temperature.id, "37.5.1", "enter a number"),
            ("number: exponent", patient, self.q_temperature.id, 1e20, "Please enter a number"),
            ("date: format", patient, self.q_since.id, "27/02/2026", "a date as YYYY-MM-DD."),
            ("date: no such day", patient, self.q_since.id, "2026-02-30", "does not exist."),
            ("date: number", patient, self.q_since.id, 20260227, "a date as YYYY-MM-DD."),
            ("choice: unknown", patient, self.q_pain.id, "Terrible", "one of the answers"),
            ("choice: case", patient, self.q_pain.id, "mild", "one of the answers"),
            ("boolean: maybe", patient, self.q_allergies.id, "maybe", "answer yes or no."),
            ("boolean: number", patient, self.q_allergies.id, 1, "answer yes or no."),
            ("doctor's part", patient, self.q_findings.id, "Fine", "filled by the other side."),
            ("patient's part", pro, self.q_reason.id, "Fine", "filled by the other side."),
            ("unknown id", patient, 999999999, "x", "This question does not exist."),
            ("id as text", patient, str(self.q_reason.id), "x", "This question does not exist."),
            ("no id", patient, None, "x", "This question does not exist."),
            ("archived", patient, archived.id, "x", "This question does not exist."),
        ]
        for case, participant, question_id, value, message in cases:
            with self.subTest(case=case):
                saved, error = visit._save_answer(participant, question_id, value)
                self.assertIsNone(saved)
                self.assertIn(message, error)
                self.assertEqual(self._answers(), before)
        self.assertEqual(len(visit.answer_ids), 6)
        self.assertFalse(self.other_visit.answer_ids)


class TestVisitMessages(ClinicVisitCommon):
    def test_messages_and_their_bad_input(self):
        visit, patient = self.visit, self._participant("patient")
        message, error = visit._post_message(patient, "  Hello doctor  ")
        self.assertIsNone(error)
        self.assertEqual(message.body, "Hello doctor")
        self.assertEqual(message.participant_id, patient)
        message, error = visit._post_message(patient, "x" * 10000)
        self.assertIsNone(error, "10,000 characters are allowed")
        before = visit.message_ids
        for case, body, expected in (
            ("empty", "", "Please write a message."),
            ("blank", " \n\t ", "Please write a message."),
            ("none", None, "Please write a message."),
            ("not text", 42, "Please write a message."),
            ("10,001 characters", "x" * 10001, "10000 characters at most."),
        ):
            with self.subTest(case=case):
                message, error = visit._post_message(patient, body)
                self.assertIsNone(message)
                self.assertIn(expected, error)
        self.assertEqual(visit.message_ids, before)

    def test_documents_and_their_bad_input(self):
        visit, pro, patient = self.visit, self._participant("pro"), self._participant("patient")
        self.env["ir.config_parameter"].set_param("clinic_visit.document_max_mb", "1")
        mb = 1024 * 1024
        messages, error = visit._add_documents(
            pro, [("scan.pdf", "application/pdf", b"%PDF-1.4 scan"), ("x.bin", None, b"\0" * mb)]
        )
        self.assertFalse(error)
        self.assertRecordValues(
            messages,
            [
                {"file_name": "scan.pdf", "file_mimetype": "application/pdf", "file_size": 13},
                {
                    "file_name": "x.bin",
                    "file_mimetype": "application/octet-stream",
                    "file_size": mb,
                },
            ],
        )
        self.assertEqual(base64.b64decode(messages[0].file_data), b"%PDF-1.4 scan")
        values = messages[0]._room_values(patient)
        self.assertEqual(values["url"], f"{patient._get_path()}/document/{messages[0].id}")
        self.assertEqual((values["file_name"], values["file_size"]), ("scan.pdf", 13))
        before = visit.message_ids
        good = ("good.txt", "text/plain", b"good")
        for case, participant, files, expected in (
            ("by the patient", patient, [good], "Only the professional shares documents."),
            (
                "by the companion",
                self._participant("companion"),
                [good],
                "Only the professional shares documents.",
            ),
            ("no file", pro, [], "Please choose at least one file."),
            ("empty file", pro, [good, ("empty.txt", "text/plain", b"")], "empty.txt is empty."),
            (
                "over the limit",
                pro,
                [good, ("big.bin", None, b"\0" * (mb + 1))],
                "The file big.bin is too large: 1 MB at most.",
            ),
        ):
            with self.subTest(case=case):
                messages, error = visit._add_documents(participant, files)
                self.assertFalse(messages)
                self.assertIn(expected, error)
        self.assertEqual(visit.message_ids, before, "nothing saved when one file is wrong")


class TestVisitLinksSent(ClinicVisitCommon):
    def test_send_link_by_email_and_sms(self):
        patient, companion = self._participant("patient"), self._participant("companion")
        url = f"{patient.get_base_url()}{patient._get_path()}"
        patient._send_link("email")
        mail = self.env["mail.mail"].search([("email_to", "=", "paula@example.com")])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.subject, "Your video visit with Dr. Alpha")
        self.assertIn(url, mail.body_html)
        self.assertIn("Hello Paula Patient,", mail.body_html)
        patient._send_link("sms")
        sms = self.env["sms.sms"].search([("number", "=", "+12025550161")])
        self.assertEqual(sms.body, f"Your video visit with Dr. Alpha: {url}")
        with self.assertRaisesRegex(UserError, "no email address"):
            companion._send_link("email")
        with self.assertRaisesRegex(UserError, "no phone number"):
            companion._send_link("sms")
        with self.assertRaisesRegex(UserError, "by email or SMS"):
            patient._send_link("fax")


class TestVisitState(ClinicVisitCommon):
    def test_state_follows_the_call_and_the_dates(self):
        visit = self.visit
        self.assertEqual(visit.state, "open")
        visit._enter_call(self._participant("pro"))
        self.assertEqual(visit.state, "in_progress")
        self.assertTrue(visit.first_call_at)
        visit._leave_call(self._participant("pro"))
        self.assertEqual(visit.meeting_id.state, "done")
        self.assertEqual(visit.state, "open")
        with freeze_time(visit.end_date + timedelta(seconds=1)):
            visit.invalidate_recordset(["state"])
            self.assertEqual(visit.state, "ended")
            self.assertFalse(visit._is_live())
        visit.invalidate_recordset(["state"])
        self.assertTrue(visit._is_live())
