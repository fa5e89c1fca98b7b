"""How long the booking page takes to compute the free slots of a busy month.

In-process, through Odoo's registry (no HTTP server needed), on a database
where ``clinic_appointment`` is installed. In one transaction that is rolled
back at the end, so that nothing is left behind, it makes:

- a ``resource.calendar``, Monday to Friday 09:00 to 17:00, Europe/Brussels;
- ``--pros`` pros (20), each with their own portal user;
- one ``clinic.appointment.type`` with them all: 30-minute appointments,
  10 minutes of buffer, 2 hours of notice, bookable 30 days ahead;
- appointments on about ``--fill`` (half) of each pro's slots of the month,
  picked at random (seeded), made with the model's ``create`` (each with its
  calendar event, as a booking makes);
- a few busy events in the pros' own calendars: a weekly staff meeting with
  every pro, and ``--events`` personal ones per pro (plus one shown as free,
  which must not count).

Then it times ``_get_slots(today, today + --days)``, as the public booking
page calls it (public user, sudo), ``--runs`` times after ``--warmup`` runs,
each with an empty ORM cache (``env.invalidate_all()``). Prints the median
and the 95th percentile, the SQL queries of a run, how many slots are free,
and PASS or FAIL against the goal (median under ``--goal-ms``, 150 ms); the
exit status is 0 either way unless ``--strict``.

    .data/venv/bin/python bench/appointment_slots.py --db clinic_bench --runs 20

The database needs ``clinic_appointment``; the configuration file defaults
to ``.data/<db>.conf``, as ``bin/test`` writes it (``-c`` for another), e.g.:

    . bin/_lib.sh && find_odoo && prepare_venv "requirements.txt requirements-test.txt" \\
        && start_postgres && write_odoo_conf .data/clinic_bench.conf clinic_bench
    .data/venv/bin/python -m odoo server -c .data/clinic_bench.conf -d clinic_bench \\
        -i clinic_appointment --with-demo --stop-after-init --log-level=warn

``--profile`` adds one run under cProfile and prints where its time went.
"""

import argparse
import cProfile
import pstats
import random
import secrets
import statistics
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytz

from odoo import api
from odoo.fields import Command
from odoo.modules.registry import Registry
from odoo.tools import config

ROOT = Path(__file__).resolve().parent.parent
TZ = "Europe/Brussels"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def local_to_utc(day, hours):
    """Naive UTC datetime of ``hours`` after midnight of ``day`` in Brussels."""
    naive = datetime.combine(day, datetime.min.time()) + timedelta(hours=hours)
    return pytz.timezone(TZ).localize(naive).astimezone(pytz.utc).replace(tzinfo=None)


def make_data(env, options, token):
    """The calendar, pros, type, appointments and events; returns the type
    and a line saying what was made."""
    # No chatter, tracking or invitation emails: they do not change the slots.
    env = env(
        context=dict(
            env.context,
            tracking_disable=True,
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_notrack=True,
            no_mail_to_attendees=True,
            dont_notify=True,
            no_reset_password=True,
        )
    )
    rng = random.Random(options.seed)
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    calendar = env["resource.calendar"].create(
        {
            "name": f"Bench {token}: Monday to Friday, 09:00 to 17:00",
            "tz": TZ,
            "attendance_ids": [Command.clear()]
            + [
                Command.create(
                    {
                        "name": name,
                        "dayofweek": str(day),
                        "hour_from": 9,
                        "hour_to": 17,
                        "day_period": "full_day",
                    }
                )
                for day, name in enumerate(days)
            ],
        }
    )
    portal = env.ref("base.group_portal")
    users = env["res.users"].create(
        [
            {
                "name": f"Dr. Bench {number:02d}",
                "login": f"bench.slots.{token}.{number:02d}",
                "tz": TZ,
                "group_ids": [Command.set(portal.ids)],
            }
            for number in range(options.pros)
        ]
    )
    pros = env["clinic.pro"].create([{"name": user.name, "user_id": user.id} for user in users])
    appointment_type = env["clinic.appointment.type"].create(
        {
            "name": "Bench video consultation",
            "slug": f"bench-slots-{token}",
            "duration": 30,
            "buffer_minutes": 10,
            "min_notice_hours": 2,
            "max_days_ahead": 30,
            "resource_calendar_id": calendar.id,
            "pro_ids": [Command.set(pros.ids)],
        }
    )
    first = appointment_type._get_today()
    last = first + timedelta(days=options.days)
    grid = appointment_type._get_grid(first, last)

    # Appointments on a random share of each pro's slots (grid slots never
    # overlap, so the exclusion constraint holds).
    appointment_values = [
        {
            "type_id": appointment_type.id,
            "pro_id": pro.id,
            "start": start,
            "stop": stop,
            "patient_name": f"Bench Patient {pro.id}-{index}",
            "email": f"patient.{pro.id}.{index}@example.com",
        }
        for pro in pros
        for index, (start, stop) in enumerate(grid)
        if rng.random() < options.fill
    ]
    appointments = env["clinic.appointment"].create(appointment_values)

    # Busy time in the pros' own calendars, not appointments.
    working_days = sorted({appointment_type._to_local(start).date() for start, _stop in grid})
    event_values = [
        {
            "name": "Staff meeting",
            "start": local_to_utc(day, 12),
            "stop": local_to_utc(day, 13),
            "user_id": users[0].id,
            "partner_ids": [Command.set(users.partner_id.ids)],
            "show_as": "busy",
        }
        for day in working_days
        if day.weekday() == 0
    ]
    for user in users:
        for number in range(options.events + 1):
            day = rng.choice(working_days)
            hours = rng.choice(range(18, 32)) / 2  # 09:00 to 15:30
            event_values.append(
                {
                    "name": f"Bench busy {number}",
                    "start": local_to_utc(day, hours),
                    "stop": local_to_utc(day, hours + rng.choice([0.5, 1, 1.5, 2])),
                    "user_id": user.id,
                    "partner_ids": [Command.set(user.partner_id.ids)],
                    # the last one of each pro does not keep them busy
                    "show_as": "free" if number == options.events else "busy",
                }
            )
    events = env["calendar.event"].create(event_values)
    env.flush_all()
    made = (
        f"{len(pros)} pros, {len(grid)} slots a pro over {len(working_days)} working days, "
        f"{len(appointments)} appointments ({len(appointments) / (len(grid) * len(pros)):.0%} "
        f"of the pros' slots; {len(appointments.calendar_event_id)} calendar events of theirs), "
        f"{len(events)} other events "
        f"({len(users)} shown as free)"
    )
    return appointment_type, made


def parse_options():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="clinic_bench")
    parser.add_argument("-c", "--config", help="Odoo configuration file (.data/<db>.conf)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2, help="runs not counted")
    parser.add_argument("--pros", type=int, default=20)
    parser.add_argument("--days", type=int, default=30, help="slots of today + this many days")
    parser.add_argument("--fill", type=float, default=0.5, help="share of the slots booked")
    parser.add_argument("--events", type=int, default=3, help="busy events per pro")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--goal-ms", type=float, default=150.0, help="goal for the median")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    parser.add_argument("--profile", action="store_true", help="one more run under cProfile")
    return parser.parse_args()


def time_slots(appointment_type, options):
    """Time ``_get_slots`` with an empty ORM cache each run; returns the
    timings (ms), the queries of each run and the last run's slots."""
    env, cr = appointment_type.env, appointment_type.env.cr
    first = appointment_type._get_today()
    last = first + timedelta(days=options.days)
    print(f"_get_slots({first}, {last}): {options.runs} runs after {options.warmup} warm-ups")
    timings, queries = [], []
    for run in range(options.warmup + options.runs):
        env.invalidate_all()
        count = cr.sql_log_count
        started = time.perf_counter()
        slots = appointment_type._get_slots(first, last)
        elapsed = (time.perf_counter() - started) * 1000
        if run >= options.warmup:
            timings.append(elapsed)
            queries.append(cr.sql_log_count - count)
            print(f"run {run - options.warmup + 1:3d}: {elapsed:7.1f} ms, {queries[-1]} queries")
    if options.profile:
        env.invalidate_all()
        profiler = cProfile.Profile()
        profiler.runcall(appointment_type._get_slots, first, last)
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
    return timings, queries, slots


def main():
    options = parse_options()
    config_file = Path(options.config or ROOT / ".data" / f"{options.db}.conf")
    if not config_file.is_file():
        sys.exit(f"{config_file} not found: write it first (see this script's docstring) or use -c")

    config.parse_config(
        ["-c", str(config_file), "-d", options.db, "--log-level=warn"], setup_logging=True
    )
    threading.current_thread().dbname = options.db
    registry = Registry(options.db)
    token = secrets.token_hex(4)
    cr = registry.cursor()
    try:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        if "clinic.appointment.type" not in env:
            sys.exit(f"clinic_appointment is not installed in {options.db}")
        began = time.perf_counter()
        appointment_type, made = make_data(env, options, token)
        print(f"setup: {made}; {time.perf_counter() - began:.1f} s (rolled back at the end)")
        # As the public booking page calls it: the public user, sudo.
        public = env.ref("base.public_user")
        timings, queries, slots = time_slots(appointment_type.with_user(public).sudo(), options)
    finally:
        cr.rollback()
        cr.close()

    # Nothing left behind: the pros' users went with the rest of the transaction.
    with registry.cursor() as check:
        check.execute(
            "SELECT count(*) FROM res_users WHERE login LIKE %s", [f"bench.slots.{token}.%"]
        )
        left = check.fetchone()[0]

    states = [slot["state"] for slot in slots]
    median = statistics.median(timings)
    print(f"runs: {options.runs}; _get_slots for {options.pros} pros over {options.days} days")
    print(
        f"time      median {median:.1f} ms   p95 {percentile(timings, 0.95):.1f} ms"
        f"   min {min(timings):.1f} ms   max {max(timings):.1f} ms"
    )
    spread = "" if min(queries) == max(queries) else f" to {max(queries)}"
    print(f"queries   {min(queries)}{spread} a run")
    print(
        f"slots     {len(slots)}: {states.count('free')} free, {states.count('taken')} taken,"
        f" {states.count('closed')} closed"
    )
    print(f"left behind: {left} bench users")
    passed = median < options.goal_ms
    print(f"goal: median under {options.goal_ms:g} ms: {'PASS' if passed else 'FAIL'}")
    if options.strict and not passed:
        sys.exit(1)


if __name__ == "__main__":
    main()
