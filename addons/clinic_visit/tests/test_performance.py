from odoo.tests import tagged

from .common import ClinicVisitCommon, ClinicVisitHttpCommon

# Query budgets, measured. They must not grow with what the visit holds:
# each is checked with 1 and with 50 messages and answers (50 questions).
# visit._get_room_data(participant), what a page reads: the visit, the active
# questions (ids, values), the answers (ids, values), the participants (ids,
# values), the current call, its participants (ids, values), the pro, the
# messages (ids, values): each read once, in batch.
ROOM_DATA_QUERIES = 14
# visit._save_answer: the question (exists, values), the participant, the
# visit's answer to it, its update, the bus notification.
SAVE_ANSWER_QUERIES = 6
# visit._post_message: the message insert and the bus notification.
POST_MESSAGE_QUERIES = 2
# Whole requests of a bound patient's browser. Each starts with the session's
# user, the guest of the cookie (exists, values) and the link (the participant
# by its token, its values, its visit), 6 queries; then:
# GET /visit/<visit token>/<participant token>: the visitor's defaults
# (ir.default, 2), the devices (ids, values), the layout's user and company,
# the audit line.
PAGE_QUERIES = 14
# .../data: the room data above but the visit and participant, already read.
DATA_CALL_QUERIES = 18
# .../answer: the answer save above, and the user writing the bus row.
ANSWER_CALL_QUERIES = 12
# .../message: the message post above, and the user writing its row.
MESSAGE_CALL_QUERIES = 9


def fill_visit(test, count):
    """``count`` messages and ``count`` answers (``count`` more questions) in
    the visit, and the patient bound and in the call."""
    visit, patient = test.visit, test._participant("patient")
    questions = test.env["clinic.visit.question"].create(
        [{"name": f"Test question {n}", "part": "patient"} for n in range(count)]
    )
    for n, question in enumerate(questions):
        visit._save_answer(patient, question.id, f"Answer {n}")
        visit._post_message(patient if n % 2 else test._participant("pro"), f"Message {n}")
    return visit, patient


@tagged("post_install", "-at_install")
class TestVisitPerformance(ClinicVisitCommon):
    """Budgets of the model methods (1 or 50 messages and answers): the
    page's data 14 queries, an answer 6, a message 2."""

    def _assert_budgets(self, count):
        visit, patient = fill_visit(self, count)
        if not patient.guest_id:
            patient._bind()
        visit._enter_call(patient)
        public = self.env.ref("base.public_user")
        # As the controllers call them: a public user, the records in sudo.
        visit = visit.with_user(public).sudo()
        patient = patient.with_user(public).sudo()
        for measured in (False, True):
            self.env.invalidate_all()
            with self.assertQueryCount(ROOM_DATA_QUERIES if measured else 1000):
                data = visit._get_room_data(patient)
            self.assertEqual(len(data["messages"]), count + measured)
            self.assertEqual(len(data["answers"]), count + measured)
            self.env.invalidate_all()
            with self.assertQueryCount(SAVE_ANSWER_QUERIES if measured else 1000):
                _saved, error = visit._save_answer(patient, self.q_reason.id, f"Why {measured}")
            self.assertFalse(error)
            self.env.invalidate_all()
            with self.assertQueryCount(POST_MESSAGE_QUERIES if measured else 1000):
                _message, error = visit._post_message(patient, f"Hello {measured}")
            self.assertFalse(error)

    def test_budgets_1(self):
        self._assert_budgets(1)

    def test_budgets_50(self):
        self._assert_budgets(50)


@tagged("post_install", "-at_install")
class TestVisitHttpPerformance(ClinicVisitHttpCommon):
    """Budgets of whole requests of a bound patient's browser (1 or 50
    messages and answers): the visit page 14 queries, its data 18, an answer
    12, a message 9."""

    def _assert_budgets(self, count):
        path = self._path("patient")
        self._open("patient", path)  # binds; warms the registry caches
        visit, _patient = fill_visit(self, count)
        self._rpc(f"{path}/enter")
        self._rpc(f"{path}/data")
        self._rpc(f"{path}/answer", question_id=self.q_reason.id, value="Warm")
        self._rpc(f"{path}/message", body="Warm")
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(PAGE_QUERIES):
            response = self._get(path)
        self.assertEqual(self._kind(response), "room")
        with self.assertQueryCount(DATA_CALL_QUERIES):
            data = self._rpc(f"{path}/data").result
        self.assertEqual(len(data["messages"]), count + 1)
        with self.assertQueryCount(ANSWER_CALL_QUERIES):
            saved = self._rpc(f"{path}/answer", question_id=self.q_reason.id, value="Cough")
        self.assertEqual(saved.result["value"], "Cough")
        with self.assertQueryCount(MESSAGE_CALL_QUERIES):
            posted = self._rpc(f"{path}/message", body="Hello")
        self.assertEqual(posted.result["body"], "Hello")
        self.assertEqual(len(visit.message_ids), count + 2)

    def test_http_budgets_1(self):
        self._assert_budgets(1)

    def test_http_budgets_50(self):
        self._assert_budgets(50)
