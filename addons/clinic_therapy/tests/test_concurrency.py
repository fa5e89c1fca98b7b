import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from odoo import api
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import mute_logger

from .common import message


@tagged("-at_install", "post_install")
class TestConcurrentWriters(BaseCase):
    """Participants save batches into one session at the same instant.

    Each save runs in its own transaction and thread, as two HTTP requests
    would, and goes through Odoo's ``retrying`` like a request does; readers
    read in transactions of their own, as ``getActions`` calls do. The rule
    under test: a reader that has everything up to id N never misses an
    action committed later, because writers of a session take its row lock
    before inserting, so that ids are allocated in commit order.
    """

    ROUNDS = 3
    BATCH = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        cls.addClassCleanup(cls._cleanup)
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cls.bus_id_before = env["bus.bus"].search([], order="id desc", limit=1).id
            portal = env.ref("base.group_portal")
            users = env["res.users"].create(
                [
                    {
                        "name": name,
                        "login": f"therapy_race_{name.split()[0].lower()}",
                        "group_ids": [(6, 0, portal.ids)],
                    }
                    for name in ("Dr. Race", "Ann Race", "Ben Race", "Cleo Race")
                ]
            )
            therapist, *patients = users
            env["res.partner"].browse([u.partner_id.id for u in patients]).is_clinic_patient = True
            pro = env["clinic.pro"].create({"name": therapist.name, "user_id": therapist.id})
            session = env["clinic.therapy.session"].create(
                {
                    "name": "Race group",
                    "start": "2026-03-02 18:00:00",
                    "therapist_ids": [(6, 0, pro.ids)],
                    "patient_ids": [(6, 0, [u.partner_id.id for u in patients])],
                }
            )
            cls.user_ids, cls.pro_id, cls.session_id = users.ids, pro.id, session.id
            cls.partner_ids = users.partner_id.ids
            cls.ann_uid, cls.ben_uid, cls.cleo_uid = (u.id for u in patients)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["clinic.therapy.session"].browse(cls.session_id).unlink()  # with its log
            env["bus.bus"].search([("id", ">", cls.bus_id_before)]).filtered(
                lambda n: any(f'"res.partner",{p}]' in n.channel for p in cls.partner_ids)
            ).unlink()
            env["clinic.pro"].browse(cls.pro_id).unlink()
            env["res.users"].browse(cls.user_ids).unlink()
            env["res.partner"].browse(cls.partner_ids).unlink()

    # ------------------------------------------------------------
    # One request each
    # ------------------------------------------------------------

    def _env(self, cr, uid):
        env = api.Environment(cr, uid, {})
        session_sudo = env["clinic.therapy.session"]._get_for_partner(
            self.session_id, env.user.partner_id
        )
        return env, session_sudo

    def _save(self, uid, payloads, before=None, held=None):
        """``saveActions`` of ``uid`` in a transaction of its own.

        :param before: called once the transaction has its snapshot, before
            saving (e.g. to wait at a barrier)
        :param held: called with the ids once they are inserted, before the
            commit
        """
        with self.registry.cursor() as cr:
            env, session_sudo = self._env(cr, uid)
            if before:
                before(cr)

            def save():
                ids, error = env["clinic.therapy.action"]._save_batch(
                    session_sudo, env.user.partner_id, payloads
                )
                if held:
                    held(ids)
                return ids, error

            return retrying(save, env)

    def _read(self, cursor):
        """``getActions(cursor)`` of Cleo, in a transaction of its own:
        ``(ids, max_id)``."""
        with self.registry.cursor() as cr:
            env, session_sudo = self._env(cr, self.cleo_uid)
            actions, max_id = env["clinic.therapy.action"]._get_after(
                session_sudo, env.user.partner_id, cursor
            )
            return [a["id"] for a in actions], max_id

    def _log_ids(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT id FROM clinic_therapy_action WHERE session_id = %s ORDER BY id",
                [self.session_id],
            )
            return [row[0] for row in cr.fetchall()]

    def _batch(self, who, count=BATCH):
        return [message(f"{who} {n}") for n in range(count)]

    def _wait_for(self, condition, what, timeout=20):
        deadline = time.monotonic() + timeout
        while not condition():
            self.assertLess(time.monotonic(), deadline, f"timed out waiting for {what}")
            time.sleep(0.01)

    def _waits_on_a_lock(self, pid):
        with self.registry.cursor() as cr:
            cr.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cr.fetchone()
            return bool(row) and row[0] == "Lock"

    # ------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------

    @mute_logger("odoo.sql_db")
    def test_two_writers_at_the_same_instant(self):
        """Both save at once; a reader polls all along, as the pages do."""
        for _round in range(self.ROUNDS):
            start_cursor = self._read(0)[1]
            barrier, done = threading.Barrier(2), threading.Event()
            polled, cursor = [], start_cursor
            with ThreadPoolExecutor(max_workers=2) as executor:
                futures = [
                    executor.submit(
                        self._save,
                        uid,
                        self._batch(who),
                        before=lambda _cr, barrier=barrier: barrier.wait(timeout=5),
                    )
                    for uid, who in ((self.ann_uid, "Ann"), (self.ben_uid, "Ben"))
                ]
                while not all(f.done() for f in futures) or not done.is_set():
                    if all(f.done() for f in futures):
                        done.set()  # one last read after both committed
                    ids, cursor = self._read(cursor)
                    polled += ids
                    time.sleep(0.005)
                (ann_ids, ann_error), (ben_ids, ben_error) = (f.result(timeout=30) for f in futures)
            # The second writer waited for the first's commit (the log's lock).
            self.assertIsNone(ann_error)
            self.assertIsNone(ben_error)
            # One batch after the other, each in its payloads' order.
            first, second = sorted((ann_ids, ben_ids))
            self.assertEqual(len(first + second), 2 * self.BATCH)
            self.assertLess(max(first), min(second))
            self.assertEqual(first, sorted(first))
            self.assertEqual(second, sorted(second))
            # The reader got every action once, in order, whenever it read.
            self.assertEqual(polled, first + second)
            self.assertEqual([i for i in self._log_ids() if i > start_cursor], first + second)

    @mute_logger("odoo.sql_db")
    def test_a_reader_while_writers_commit(self):
        """Ann's batch is inserted but not committed; Ben saves meanwhile.

        A reader that reads then, and again while Ben's batch waits to be
        committed, gets every action later, none with a smaller id than
        what it already had."""
        start_cursor = self._read(0)[1]
        ann_inserted, ann_commits = threading.Event(), threading.Event()
        ben_inserted, ben_commits = threading.Event(), threading.Event()
        ben = {}

        def hold(inserted, commits, ids):
            inserted.set()
            self.assertTrue(commits.wait(timeout=30))

        def ben_starts(cr):
            cr.execute("SELECT pg_backend_pid()")
            ben["pid"] = cr.fetchone()[0]  # and Ben's snapshot is taken
            self.assertTrue(ann_inserted.wait(timeout=10))

        with ThreadPoolExecutor(max_workers=2) as executor:
            ann = executor.submit(
                self._save,
                self.ann_uid,
                self._batch("Ann"),
                held=partial(hold, ann_inserted, ann_commits),
            )
            self.assertTrue(ann_inserted.wait(timeout=10))
            ben_future = executor.submit(
                self._save,
                self.ben_uid,
                self._batch("Ben"),
                before=ben_starts,
                held=partial(hold, ben_inserted, ben_commits),
            )
            # Ben waits for Ann's transaction: he allocates no id before it ends.
            self._wait_for(
                lambda: (
                    ben_inserted.is_set() or ("pid" in ben and self._waits_on_a_lock(ben["pid"]))
                ),
                "Ben's save to wait or insert",
            )
            self.assertFalse(ben_inserted.is_set(), "Ben inserted while Ann's ids were uncommitted")
            # 1. Nothing is committed yet: the reader's cursor stays.
            seen_1, max_1 = self._read(start_cursor)
            self.assertEqual((seen_1, max_1), ([], start_cursor))
            ann_commits.set()
            ann_ids, ann_error = ann.result(timeout=30)
            self.assertIsNone(ann_error)
            # Ben's transaction gets the lock and inserts after Ann's commit.
            self.assertTrue(ben_inserted.wait(timeout=30))
            # 2. Ann's batch is committed, Ben's inserted but not yet.
            seen_2, max_2 = self._read(max_1)
            self.assertEqual(seen_2, ann_ids)
            self.assertEqual(max_2, max(ann_ids))
            ben_commits.set()
            ben_ids, ben_error = ben_future.result(timeout=30)
            self.assertIsNone(ben_error)
        # 3. Everything after the cursor, and nothing appeared below it.
        seen_3, max_3 = self._read(max_2)
        self.assertEqual(seen_3, ben_ids)
        self.assertEqual(max_3, max(ben_ids))
        self.assertLess(max_2, min(ben_ids), "Ben's ids come after what the reader had")
        log = self._log_ids()
        self.assertEqual([i for i in log if i > start_cursor], seen_1 + seen_2 + seen_3)
        self.assertEqual(
            [i for i in log if i <= max_2], [i for i in log if i <= start_cursor] + ann_ids
        )

    @mute_logger("odoo.sql_db")
    def test_the_same_batch_twice_at_the_same_instant(self):
        """A retry racing its lost original (or two tabs): stored once, both
        answered with the same ids."""
        for _round in range(2):
            batch = self._batch("Twice", 3)
            barrier = threading.Barrier(2)
            with ThreadPoolExecutor(max_workers=2) as executor:
                futures = [
                    executor.submit(
                        self._save,
                        self.ann_uid,
                        batch,
                        before=lambda _cr, barrier=barrier: barrier.wait(timeout=5),
                    )
                    for _twice in range(2)
                ]
                outcomes = [f.result(timeout=30) for f in futures]
            (ids, error), again = outcomes
            self.assertIsNone(error)
            self.assertEqual(again, (ids, None))
            with self.registry.cursor() as cr:
                cr.execute(
                    "SELECT id FROM clinic_therapy_action WHERE session_id = %s AND client_id IN %s"
                    " ORDER BY id",
                    [self.session_id, tuple(p["client_id"] for p in batch)],
                )
                self.assertEqual([row[0] for row in cr.fetchall()], ids)
