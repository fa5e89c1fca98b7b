import bisect
from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.clinic_lobby.models.clinic_lobby import SLUG_MAX_LENGTH, SLUG_PATTERN


class ClinicAppointmentType(models.Model):
    """What patients can book: a kind of video appointment, its pros and rules.

    Its slots are laid on the working hours of one ``resource.calendar``, in
    that calendar's time zone, every ``duration`` minutes from the start of
    each working period. A slot is free while at least one of its pros is
    free then: no appointment (of any type) and no busy event in their Odoo
    calendar within ``buffer_minutes`` of it.
    """

    _name = "clinic.appointment.type"
    _description = "Clinic Appointment Type"
    _order = "name, id"

    def _default_resource_calendar_id(self):
        return self.env.company.resource_calendar_id

    name = fields.Char(
        required=True, translate=True, help="Shown to patients, e.g. 'Video consultation'."
    )
    slug = fields.Char(
        string="URL Slug",
        required=True,
        copy=False,
        help="The booking page's address: /appointment/<slug>. "
        "Lowercase letters, digits and hyphens.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="The clinic offering these appointments.",
    )
    duration = fields.Integer(
        string="Duration (minutes)", default=30, required=True, help="Length of one appointment."
    )
    pro_ids = fields.Many2many(
        "clinic.pro",
        "clinic_appointment_type_pro_rel",
        "type_id",
        "pro_id",
        string="Professionals",
        help="Professionals who take these appointments; each booking goes to one who is free.",
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        required=True,
        default=_default_resource_calendar_id,
        help="When appointments can take place, in this calendar's time zone.",
    )
    tz = fields.Selection(related="resource_calendar_id.tz", string="Time Zone")
    min_notice_hours = fields.Float(
        string="Minimum Notice (hours)",
        default=2.0,
        help="Patients cannot book a time that starts sooner than this.",
    )
    max_days_ahead = fields.Integer(
        string="Bookable Days Ahead",
        default=30,
        required=True,
        help="How many days after today patients may book.",
    )
    patient_opens_minutes = fields.Integer(
        string="Patient's Call Opens (minutes before)",
        default=10,
        required=True,
        help="How long before the appointment the patient's link opens the call.",
    )
    pro_opens_minutes = fields.Integer(
        string="Pro May Start (minutes before)",
        default=60,
        required=True,
        help="How long before the appointment the professional may start its call.",
    )
    buffer_minutes = fields.Integer(
        string="Buffer (minutes)",
        default=0,
        help="Free time a professional keeps before and after each appointment.",
    )
    appointment_ids = fields.One2many("clinic.appointment", "type_id", string="Appointments")
    upcoming_count = fields.Integer(compute="_compute_upcoming_count", string="Upcoming")
    url = fields.Char(compute="_compute_url", string="Booking Page")

    _slug_uniq = models.Constraint(
        "UNIQUE(slug)", "Another appointment type already uses this URL slug."
    )
    _duration_range = models.Constraint(
        "CHECK(duration BETWEEN 5 AND 480)", "An appointment lasts between 5 minutes and 8 hours."
    )
    _notice_positive = models.Constraint(
        "CHECK(min_notice_hours >= 0)", "The minimum notice cannot be negative."
    )
    _days_ahead_range = models.Constraint(
        "CHECK(max_days_ahead BETWEEN 0 AND 365)",
        "Patients may book from today up to 365 days ahead.",
    )
    _opens_range = models.Constraint(
        "CHECK(patient_opens_minutes BETWEEN 0 AND 1440 AND pro_opens_minutes BETWEEN 0 AND 1440)",
        "A call opens at most a day before its appointment.",
    )
    _buffer_range = models.Constraint(
        "CHECK(buffer_minutes BETWEEN 0 AND 240)", "The buffer is between 0 and 240 minutes."
    )

    def _compute_upcoming_count(self):
        counts = dict(
            self.env["clinic.appointment"]._read_group(
                [
                    ("type_id", "in", self.ids),
                    ("state", "=", "confirmed"),
                    ("stop", ">=", fields.Datetime.now()),
                ],
                ["type_id"],
                ["__count"],
            )
        )
        for appointment_type in self:
            appointment_type.upcoming_count = counts.get(appointment_type, 0)

    @api.depends("slug")
    def _compute_url(self):
        # One base URL for all (get_base_url() wants a single record).
        base_url = self[:1].get_base_url()
        for appointment_type in self:
            appointment_type.url = (
                f"{base_url}/appointment/{appointment_type.slug}"
                if appointment_type.slug
                else False
            )

    @api.constrains("slug")
    def _check_slug(self):
        for appointment_type in self:
            slug = appointment_type.slug
            if len(slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(slug):
                raise ValidationError(
                    self.env._(
                        "The URL slug '%(slug)s' is not valid: use lowercase letters, "
                        "digits and single hyphens (e.g. 'video-consultation'), "
                        "%(max)s characters at most.",
                        slug=slug,
                        max=SLUG_MAX_LENGTH,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_appointments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_appointment.clinic_appointment_action"
        )
        action["domain"] = [("type_id", "=", self.id)]
        action["context"] = {"search_default_upcoming": 1, "default_type_id": self.id}
        return action

    # ------------------------------------------------------------
    # TIME
    # ------------------------------------------------------------

    @api.model
    def _get_by_slug(self, slug):
        """The active type at ``/appointment/<slug>``, or an empty recordset."""
        if not slug or not SLUG_PATTERN.fullmatch(slug):
            return self.browse()
        return self.search([("slug", "=", slug)], limit=1)

    def _get_tz(self):
        """The clinic's time zone for this type: its working hours'."""
        self.ensure_one()
        return pytz.timezone(self.resource_calendar_id.tz or "UTC")

    def _to_local(self, utc_naive):
        """A stored (naive UTC) datetime in the type's time zone."""
        return pytz.utc.localize(utc_naive).astimezone(self._get_tz())

    def _local_day_bounds(self, day):
        """``day``'s first and last instant in the clinic, as naive UTC."""
        tz = self._get_tz()
        start = tz.localize(datetime.combine(day, time.min))
        stop = tz.localize(datetime.combine(day + timedelta(days=1), time.min))
        return (
            start.astimezone(pytz.utc).replace(tzinfo=None),
            stop.astimezone(pytz.utc).replace(tzinfo=None),
        )

    def _get_today(self):
        """Today, in the clinic."""
        return self._to_local(fields.Datetime.now()).date()

    def _get_bookable_days(self):
        """``(first, last)`` days patients may book (clinic dates)."""
        today = self._get_today()
        return today, today + timedelta(days=self.max_days_ahead)

    # ------------------------------------------------------------
    # SLOTS
    # ------------------------------------------------------------

    def _get_grid(self, first_day, last_day):
        """The start and stop (naive UTC) of every slot of the working hours,
        from ``first_day`` to ``last_day`` included (clinic dates).

        Work intervals come from ``resource.calendar`` (attendances minus the
        calendar's leaves) in the calendar's time zone; the grid is stepped in
        UTC, so that a slot lasts ``duration`` real minutes on a day when the
        clocks change.
        """
        self.ensure_one()
        tz = self._get_tz()
        range_start = tz.localize(datetime.combine(first_day, time.min))
        range_stop = tz.localize(datetime.combine(last_day + timedelta(days=1), time.min))
        intervals = self.resource_calendar_id._work_intervals_batch(range_start, range_stop, tz=tz)[
            False
        ]
        step = timedelta(minutes=self.duration)
        grid = []
        for work_start, work_stop, _attendance in intervals:
            slot_start = work_start.astimezone(pytz.utc).replace(tzinfo=None)
            last_stop = work_stop.astimezone(pytz.utc).replace(tzinfo=None)
            if work_stop.time() == time.max:
                # resource.calendar ends a period at 24:00 as 23:59:59.999999
                last_stop += timedelta(microseconds=1)
            while slot_start + step <= last_stop:
                grid.append((slot_start, slot_start + step))
                slot_start += step
        return grid

    def _get_busy(self, start, stop, pros=None):
        """What keeps the type's pros busy between ``start`` and ``stop``
        (naive UTC): ``{pro_id: sorted [(start, stop)]}`` and the number of
        appointments per pro and clinic day ``{(pro_id, date): count}``.

        Two queries whatever the number of pros and appointments: the
        appointments of the pros (any type), and the busy events of their
        Odoo calendars that are not appointments (an all-day event takes its
        whole days, in the clinic's time zone).
        """
        self.ensure_one()
        pros = self.pro_ids if pros is None else pros
        buffer = timedelta(minutes=self.buffer_minutes)
        # Plain rows rather than records: this runs over a month of a busy
        # clinic on every page view (see bench/appointment_slots.py).
        Appointment = self.env["clinic.appointment"]
        Appointment.flush_model(["pro_id", "state", "start", "stop"])
        rows = self.env.execute_query(
            SQL(
                "SELECT pro_id, start, stop FROM clinic_appointment"
                " WHERE pro_id = ANY(%s) AND state != 'cancelled' AND start < %s AND stop > %s"
                " ORDER BY start",
                pros.ids,
                stop + buffer,
                start - buffer,
            )
        )
        tz = self._get_tz()
        busy = defaultdict(list)
        per_day = defaultdict(int)
        for pro_id, appointment_start, appointment_stop in rows:
            busy[pro_id].append((appointment_start, appointment_stop))
            local_day = pytz.utc.localize(appointment_start).astimezone(tz).date()
            per_day[pro_id, local_day] += 1
        partner_pros = defaultdict(list)
        for pro in pros:
            partner_pros[pro.user_id.partner_id.id].append(pro.id)
        # An all-day event is stored from 08:00 to 18:00 UTC: it is found by its
        # dates and takes its whole days in the clinic.
        first_day = self._to_local(start - buffer).date()
        last_day = self._to_local(stop + buffer).date()
        # sudo: calendar.event - only when the pros are busy, not what they do
        events = (
            self.env["calendar.event"]
            .sudo()
            .search_fetch(
                Domain("partner_ids", "in", list(partner_pros))
                & Domain("show_as", "=", "busy")
                & Domain("clinic_appointment_id", "=", False)
                & (
                    Domain(
                        [
                            ("allday", "=", False),
                            ("start", "<", stop + buffer),
                            ("stop", ">", start - buffer),
                        ]
                    )
                    | Domain(
                        [
                            ("allday", "=", True),
                            ("start_date", "<=", last_day),
                            ("stop_date", ">=", first_day),
                        ]
                    )
                ),
                ["start", "stop", "allday", "start_date", "stop_date", "partner_ids"],
            )
        )
        for event in events:
            if event.allday:
                interval = (
                    self._local_day_bounds(event.start_date)[0],
                    self._local_day_bounds(event.stop_date)[1],
                )
            else:
                interval = (event.start, event.stop)
            for partner_id in event.partner_ids.ids:
                for pro_id in partner_pros.get(partner_id, ()):
                    busy[pro_id].append(interval)
        for intervals in busy.values():
            intervals.sort()
        return busy, per_day

    def _get_slots(self, first_day, last_day=None):
        """Every slot from ``first_day`` to ``last_day`` (clinic dates), with
        whether a patient may choose it now.

        :return: a list of dicts: ``start``, ``stop`` (naive UTC), ``local``
            (aware, clinic time zone), ``state`` (``free``, ``taken``: no pro
            free then, or ``closed``: past, inside the minimum notice or
            beyond the horizon), ``pro_ids`` (the pros free then)
        """
        self.ensure_one()
        last_day = last_day or first_day
        grid = self._get_grid(first_day, last_day)
        if not grid:
            return []
        busy, _per_day = self._get_busy(grid[0][0], grid[-1][1])
        now = fields.Datetime.now()
        earliest = now + timedelta(hours=self.min_notice_hours)
        _today, horizon = self._get_bookable_days()
        buffer = timedelta(minutes=self.buffer_minutes)
        # Busy intervals are sorted by start and never longer than a day or so;
        # a bisect on their starts finds those that may overlap a slot.
        starts = {
            pro_id: [interval[0] for interval in intervals] for pro_id, intervals in busy.items()
        }
        longest = {
            pro_id: max((b - a for a, b in intervals), default=timedelta(0))
            for pro_id, intervals in busy.items()
        }
        pro_ids = self.pro_ids.ids
        tz = self._get_tz()
        slots = []
        for start, stop in grid:
            local = pytz.utc.localize(start).astimezone(tz)
            free_pro_ids = []
            for pro_id in pro_ids:
                intervals = busy.get(pro_id)
                if intervals:
                    low, high = start - buffer, stop + buffer
                    index = bisect.bisect_left(starts[pro_id], low - longest[pro_id])
                    end = bisect.bisect_left(starts[pro_id], high)
                    if any(b > low for _a, b in intervals[index:end]):
                        continue
                free_pro_ids.append(pro_id)
            if start < earliest or local.date() > horizon:
                state = "closed"
            elif not free_pro_ids:
                state = "taken"
            else:
                state = "free"
            slots.append(
                {
                    "start": start,
                    "stop": stop,
                    "local": local,
                    "state": state,
                    "pro_ids": free_pro_ids,
                }
            )
        return slots

    def _check_slot(self, start):
        """Whether a patient may book the slot starting at ``start`` now.

        :param start: naive UTC datetime
        :return: ``(slot, error)``: the slot (see ``_get_slots``) or ``None``,
            and a message for the patient when it cannot be booked
        """
        self.ensure_one()
        now = fields.Datetime.now()
        day = self._to_local(start).date()
        _today, horizon = self._get_bookable_days()
        if start < now:
            return None, self.env._("This time has already passed. Please choose another time.")
        if day > horizon:
            return None, self.env._(
                "Appointments can be booked at most %(days)s days ahead.", days=self.max_days_ahead
            )
        if start < now + timedelta(hours=self.min_notice_hours):
            return None, self.env._(
                "This time is too soon: please book at least %(hours)s hours ahead.",
                hours=f"{self.min_notice_hours:g}",
            )
        slots = self._get_slots(day)
        if not slots:
            return None, self.env._("There are no appointments on this day.")
        slot = next((s for s in slots if s["start"] == start), None)
        if not slot:
            return None, self.env._(
                "This time is not one of the appointment times. Please choose a time in the list."
            )
        if slot["state"] != "free":
            return None, self.env._("This time was just taken. Please choose another time.")
        return slot, None
