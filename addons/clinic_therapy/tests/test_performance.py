from odoo.tests import tagged
from odoo.tools import SQL

from ..models.clinic_therapy_action import READ_LIMIT, SQL_VISIBLE
from .common import ClinicTherapyCommon, ClinicTherapyHttpCommon, message

# Query budgets, measured. They must not grow with the session's log nor with
# the batch: each is checked with 10 and with 100,000 actions in the session,
# and saveActions with a batch of 1 and of 10 messages.
# _save_batch: the session's lock (an UPDATE), the batch's client ids, the
# participants (therapists: relation, pros, users; patients: relation,
# partners), the consents, the actions' INSERT (one for the batch, in a
# savepoint: 3) and the bus notifications' INSERT.
SAVE_QUERIES = 12
# _get_after: the range scan of the log, the actions' values, their
# recipients, their audience (private or not) and their callouts.
GET_QUERIES = 5
# Whole requests of a patient's browser. Each starts with the user and the
# session (exists; its participants, 5), then:
# POST .../save_actions: the save above, its participants already read.
SAVE_CALL_QUERIES = 14
# POST .../get_actions: the read above (the researcher check is cached).
GET_CALL_QUERIES = 12

BIG = 100_000


def rows_read(node, relation="clinic_therapy_action"):
    """The rows a plan node and its children read from ``relation``."""
    rows = 0
    if node.get("Relation Name") == relation:
        rows = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
    return rows + sum(rows_read(child, relation) for child in node.get("Plans", []))


def visible_after(cursor, count, last_id, saved=12):
    """How many actions Ann sees after ``cursor`` (a page at most): the
    public messages of ``fill_log`` and the ``saved`` ones of the test."""
    first_id = last_id - count + 1
    public = sum(1 for i in range(max(cursor + 1, first_id), last_id + 1) if i % 10)
    return min(READ_LIMIT, public + saved)


def fill_log(env, session, author, audience, count):
    """``count`` messages of ``author`` in ``session``, inserted by one SQL
    statement; every tenth is private to ``audience``."""
    env.flush_all()
    env.cr.execute(
        """
        WITH inserted AS (
            INSERT INTO clinic_therapy_action
                   (session_id, type, author_id, sender, body, deleted, reaction_on,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(session)s, 'message', %(author)s, 'participant', 'Message ' || n,
                   false, false, 1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
              FROM generate_series(1, %(count)s) n
            RETURNING id
        )
        INSERT INTO clinic_therapy_action_audience_rel (action_id, partner_id)
        SELECT inserted.id, partner_id
          FROM inserted, unnest(%(audience)s) partner_id
         WHERE inserted.id %% 10 = 0
        """,
        {"session": session.id, "author": author.id, "audience": audience.ids, "count": count},
    )
    env.cr.execute(
        "SELECT count(*), max(id) FROM clinic_therapy_action WHERE session_id = %s", [session.id]
    )
    return env.cr.fetchone()


@tagged("post_install", "-at_install")
class TestActionsPerformance(ClinicTherapyCommon):
    """Budgets of the model methods, as the controllers call them (10 or
    100,000 actions in the session): ``_save_batch`` of 1 or 10 messages
    12 queries, ``_get_after`` 4."""

    def _assert_budgets(self, count):
        total, last_id = fill_log(self.env, self.group, self.ben, self.ben | self.cleo, count)
        self.assertEqual(total, count)
        Action = self.env["clinic.therapy.action"].with_user(self.user_ann)
        session_sudo = self.group.with_user(self.user_ann).sudo()
        Action._save_batch(session_sudo, self.ann, [message("Warm")])  # the registry's caches
        for size in (1, 10):
            self.env.invalidate_all()
            with self.assertQueryCount(SAVE_QUERIES):
                ids, error = Action._save_batch(
                    session_sudo, self.ann, [message(f"Batch {n}") for n in range(size)]
                )
            self.assertIsNone(error)
            self.assertEqual(len(ids), size)
        # From the start (a page of READ_LIMIT), then from near the end.
        for cursor in (0, last_id - 20):
            expected = visible_after(cursor, count, last_id)
            self.env.invalidate_all()
            with self.assertQueryCount(GET_QUERIES):
                actions, max_id = Action._get_after(session_sudo, self.ann, cursor)
            self.assertEqual(len(actions), expected)
            self.assertEqual(max_id, actions[-1]["id"])
            self.assertFalse([a for a in actions if a["id"] % 10 == 0 and a["id"] <= last_id])

    def test_budgets_10(self):
        self._assert_budgets(10)

    def test_budgets_100000(self):
        self._assert_budgets(BIG)

    def _rows_read(self, query):
        """How many rows of the log ``query`` (an ``SQL``) reads."""
        self.env.cr.execute(SQL("EXPLAIN (ANALYZE, FORMAT JSON) %s", query))
        ((plan,),) = self.env.cr.fetchone()
        return rows_read(plan["Plan"])

    def test_reads_are_range_scans(self):
        """``getActions`` and a reaction's toggle read a few rows of the log,
        however long it is, this session's or the others'."""
        fill_log(self.env, self.other_group, self.olga, self.olga, BIG)
        _total, last_id = fill_log(self.env, self.group, self.ben, self.ben | self.cleo, BIG // 10)
        self.env.cr.execute("ANALYZE clinic_therapy_action")
        self.env.cr.execute("ANALYZE clinic_therapy_action_audience_rel")
        for cursor in (0, last_id - 20):
            with self.subTest(cursor=cursor):
                params = {
                    "session": self.group.id,
                    "cursor": cursor,
                    "partner": self.ann.id,
                    "limit": READ_LIMIT,
                }
                self.assertLess(self._rows_read(SQL(SQL_VISIBLE, **params)), 2 * READ_LIMIT)
        # _reaction_is_on: Ben's earlier hearts on a message (he wrote the log).
        query = self.env["clinic.therapy.action"]._search(
            [
                ("target_id", "=", last_id),
                ("type", "=", "reaction"),
                ("author_id", "=", self.ben.id),
                ("icon", "=", "heart"),
            ],
            order="id desc",
            limit=1,
        )
        self.assertLess(self._rows_read(query.select()), 10)

    def test_a_long_session_is_deleted_at_once(self):
        """Deleting a session deletes its log; each deleted action is looked
        for as a target of the others: by index, not by scanning the log."""
        fill_log(self.env, self.group, self.ben, self.ben | self.cleo, BIG)
        self.env.cr.execute(
            "SET LOCAL statement_timeout = '60s'"
        )  # undone with the test's savepoint
        self.group.unlink()
        self.assertFalse(self._log())


@tagged("post_install", "-at_install")
class TestActionsHttpPerformance(ClinicTherapyHttpCommon):
    """Budgets of whole requests of a patient's browser (10 or 100,000 actions
    in the session): save_actions of 1 or 10 messages 14 queries, get_actions 12."""

    def _assert_budgets(self, count):
        _total, last_id = fill_log(self.env, self.group, self.ben, self.ben | self.cleo, count)
        self._as(self.user_ann)
        self._save_http_ok(message("Warm"))  # the registry's caches
        self._get_actions_http(last_id)
        for size in (1, 10):
            with self.assertQueryCount(SAVE_CALL_QUERIES):
                ids = self._save_http_ok(*[message(f"Batch {n}") for n in range(size)])
            self.assertEqual(len(ids), size)
        for cursor in (0, last_id - 20):
            expected = visible_after(cursor, count, last_id)
            with self.assertQueryCount(GET_CALL_QUERIES):
                answer = self._get_actions_http(cursor)
            self.assertEqual(len(answer["actions"]), expected)

    def test_http_budgets_10(self):
        self._assert_budgets(10)

    def test_http_budgets_100000(self):
        self._assert_budgets(BIG)
