import logging
import re
import secrets
from datetime import timedelta

import pytz
from psycopg2.errors import ExclusionViolation, UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, UserError
from odoo.tools import SQL, consteq, email_normalize, format_datetime

from odoo.addons.clinic_meeting.models.clinic_meeting import ENDED_STATES
from odoo.addons.clinic_meeting.tools import clean_text, format_clock, format_day

_logger = logging.getLogger(__name__)

COMMENT_MAX_LENGTH = 2000
# What secrets.token_urlsafe makes: anything else is no token, and never a query.
TOKEN_PATTERN = re.compile(r"[\w-]{20,128}")
EMAIL_MAX_LENGTH = 254
# After the appointment's end, its links still work this long (minutes); see
# the system parameter ``clinic_appointment.grace_minutes``.
GRACE_MINUTES = 30
# How long a second submission of the booking form finds the first booking.
BOOKING_KEY_LIFETIME = timedelta(hours=1)


class ClinicAppointment(models.Model):
    """A video appointment booked by a patient, with one pro, at one time.

    No pro is ever booked twice at the same time: PostgreSQL refuses it
    (an exclusion constraint on the pro and the time range of appointments
    that are not cancelled), whatever writes the rows. Booking goes through
    ``clinic.appointment.type._book``, which also takes the chosen pro's row
    lock so that concurrent bookings of one pro are serialized.
    """

    _name = "clinic.appointment"
    _description = "Clinic Video Appointment"
    _inherit = ["mail.thread"]
    _order = "start, id"
    _rec_name = "patient_name"

    type_id = fields.Many2one(
        "clinic.appointment.type",
        string="Appointment Type",
        required=True,
        ondelete="restrict",
        index=True,
    )
    pro_id = fields.Many2one(
        "clinic.pro",
        string="Professional",
        required=True,
        ondelete="restrict",
        index=True,
        tracking=True,
    )
    company_id = fields.Many2one(related="type_id.company_id", store=True, index=True)
    start = fields.Datetime(required=True, index=True, tracking=True)
    stop = fields.Datetime(required=True)
    state = fields.Selection(
        [("confirmed", "Confirmed"), ("cancelled", "Cancelled")],
        default="confirmed",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    patient_name = fields.Char(string="Patient", required=True)
    lang = fields.Selection(
        "_lang_get",
        string="Language",
        default=lambda self: self.env.lang,
        help="The patient's language: the one they booked in (or their account's). "
        "Their emails and calendar file are written in it.",
    )
    email = fields.Char(help="Where the confirmation, the reminder and the links go.")
    partner_id = fields.Many2one(
        "res.partner",
        string="Patient Account",
        ondelete="set null",
        index="btree_not_null",
        help="The patient's contact when they booked logged in (e.g. a pet owner).",
    )
    comment = fields.Text(help="What the patient would like to talk about.")
    meeting_id = fields.Many2one(
        "clinic.meeting",
        string="Video Meeting",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The call of this appointment, made when the first side opens it.",
    )
    meeting_state = fields.Selection(related="meeting_id.state", string="Call")
    guest_id = fields.Many2one(
        "mail.guest",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The patient's identity in the call, given to the browser that opens their link.",
    )
    calendar_event_id = fields.Many2one(
        "calendar.event", readonly=True, copy=False, ondelete="set null"
    )
    access_token = fields.Char(
        default=lambda self: secrets.token_urlsafe(32),
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The secret of the patient's links: join, cancel, calendar file.",
    )
    booking_key = fields.Char(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="Key of the form that booked this appointment: a second submission "
        "of the same form finds this appointment instead of booking another.",
    )
    booked_at = fields.Datetime(default=fields.Datetime.now, readonly=True, copy=False)
    reminder_sent_at = fields.Datetime(readonly=True, copy=False)
    cancelled_at = fields.Datetime(readonly=True, copy=False)
    cancel_reason = fields.Text(readonly=True, copy=False)
    tz = fields.Selection(related="type_id.tz")

    _access_token_uniq = models.Constraint("UNIQUE(access_token)", "Access tokens must be unique.")
    _booking_key_uniq = models.Constraint(
        "UNIQUE(booking_key)", "This booking form was already submitted."
    )
    _start_before_stop = models.Constraint(
        "CHECK(start < stop)", "An appointment ends after it starts."
    )
    # int4range(pro_id, pro_id, '[]') WITH = compares pros without needing the
    # btree_gist extension; Odoo datetimes are naive UTC, hence tsrange.
    _no_double_booking = models.Constraint(
        "EXCLUDE USING gist (int4range(pro_id, pro_id, '[]') WITH =, "
        "tsrange(start, stop, '[)') WITH &&) WHERE (state <> 'cancelled')",
        "This professional already has an appointment at that time.",
    )

    @api.depends("patient_name", "start")
    def _compute_display_name(self):
        for appointment in self:
            when = appointment.start and appointment._format_local_start()
            appointment.display_name = " - ".join(filter(None, [appointment.patient_name, when]))

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        appointments = super().create(vals_list)
        appointments.filtered(lambda a: a.state == "confirmed")._create_calendar_events()
        return appointments

    @api.ondelete(at_uninstall=False)
    def _unlink_calendar_event(self):
        # sudo: calendar.event - the appointment's own event goes with it
        self.calendar_event_id.sudo().unlink()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_cancel(self, reason=None):
        """Cancel appointments: their time is free again, their links stop
        working, their calls end and the patients are told by email."""
        now = fields.Datetime.now()
        to_cancel = self.filtered(lambda a: a.state == "confirmed")
        for appointment in to_cancel:
            appointment._lock_for_update()
        to_cancel.write(
            {
                "state": "cancelled",
                "cancelled_at": now,
                "cancel_reason": clean_text(reason) or False,
            }
        )
        # sudo: calendar.event / clinic.meeting - the appointment's own event and call
        to_cancel.calendar_event_id.sudo().unlink()
        to_cancel.meeting_id.sudo().filtered(lambda m: m.state not in ENDED_STATES).action_cancel()
        for appointment in to_cancel:
            appointment._send_email("clinic_appointment.mail_template_cancelled")
        to_cancel._notify_changed()
        return True

    def _action_cancel_as_pro(self, reason=None):
        """The appointment's pro cancels it from their dashboard."""
        self.ensure_one()
        pro = self.env["clinic.pro"]._get_current()
        if not pro or pro != self.pro_id:
            raise UserError(self.env._("Only the professional of this appointment can cancel it."))
        self.check_access("read")
        # sudo: clinic.appointment - pros read their appointments; cancelling writes them
        return self.sudo().action_cancel(reason=reason)

    def action_start_call(self):
        """The pro starts the appointment's call: they join its meeting, which
        becomes their current meeting on ``/my/clinic``."""
        self.ensure_one()
        pro = self.env["clinic.pro"]._get_current()
        if not pro or pro != self.pro_id:
            raise UserError(
                self.env._("Only the professional of this appointment can start its call.")
            )
        self.check_access("read")
        # sudo: clinic.appointment - the pro reached it through the record rules
        appointment_sudo = self.sudo()
        now = fields.Datetime.now()
        if appointment_sudo.state == "cancelled":
            raise UserError(self.env._("This appointment was cancelled."))
        if now < appointment_sudo._get_pro_opens_at():
            raise UserError(
                self.env._(
                    "The call can be started %(minutes)s minutes before the appointment.",
                    minutes=appointment_sudo.type_id.pro_opens_minutes,
                )
            )
        if now > appointment_sudo._get_links_end() and not appointment_sudo._is_call_live():
            raise UserError(self.env._("This appointment is over."))
        meeting_sudo = appointment_sudo._get_or_create_meeting()
        if meeting_sudo.state in ENDED_STATES:
            raise UserError(self.env._("The call of this appointment has ended."))
        return meeting_sudo._join_pro(pro.sudo(), take_over=True)

    # ------------------------------------------------------------
    # BOOKING
    # ------------------------------------------------------------

    @api.model
    def _new_booking_key(self):
        """A fresh key for one rendering of the booking form."""
        return secrets.token_urlsafe(24)

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    @api.model
    def _parse_booking(self, name, email, comment, email_required=True):
        """Validate what the patient typed in the booking form.

        :param bool email_required: False for a patient logged in, whose
            account may have no email (they then get an SMS)

        :return: ``(values, errors)``: cleaned ``patient_name``, ``email`` and
            ``comment``, and a message per wrong field
        """
        values, errors = {}, {}
        name_values, name_errors = self.env["clinic.meeting.participant"]._parse_patient_name(name)
        if name_errors:
            errors["name"] = name_errors["name"]
        else:
            values["patient_name"] = name_values["name"]
        email = clean_text(email if isinstance(email, str) else "").strip()
        normalized = email_normalize(email) if len(email) <= EMAIL_MAX_LENGTH else False
        if not email and not email_required:
            values["email"] = False
        elif not email:
            errors["email"] = self.env._("Please enter your email address.")
        elif not normalized or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", normalized):
            errors["email"] = self.env._(
                "Please enter a valid email address, e.g. name@example.com."
            )
        else:
            values["email"] = normalized
        comment = clean_text(comment if isinstance(comment, str) else "").strip()
        if len(comment) > COMMENT_MAX_LENGTH:
            errors["comment"] = self.env._(
                "Your comment is too long: %(max)s characters at most.", max=COMMENT_MAX_LENGTH
            )
        else:
            values["comment"] = comment or False
        return values, errors

    @api.model
    def _book(
        self,
        appointment_type,
        start,
        *,
        name,
        email,
        comment="",
        booking_key=None,
        partner=None,
        extra_values=None,
    ):
        """Book the slot of ``appointment_type`` starting at ``start`` for a
        patient.

        Nothing is made when the input is wrong or the time is taken. The
        same form submitted twice (same ``booking_key``) returns the first
        booking. The appointment goes to a pro free then, the one with the
        fewest appointments that day; that pro's row is locked first (an
        UPDATE: a concurrent booking of the same pro makes this transaction
        fail with a serialization error, which Odoo retries with fresh data).

        :param start: naive UTC datetime of the slot
        :param partner: the patient's contact when they are logged in (their
            email is then optional)
        :param dict extra_values: more values of the appointment (other
            modules': a pet, a photo)
        :return: ``(appointment, errors)``; ``errors`` maps a field (or
            ``slot`` for the time itself) to a message
        """
        appointment_type.ensure_one()
        if booking_key:
            # sudo: clinic.appointment - the form's own key finds its booking
            first = self.sudo().search([("booking_key", "=", booking_key)], limit=1)
            if first:
                if (
                    first.type_id == appointment_type
                    and first.booked_at > fields.Datetime.now() - BOOKING_KEY_LIFETIME
                ):
                    return first, {}
                booking_key = None  # an old form: book anew
        values, errors = self._parse_booking(name, email, comment, email_required=not partner)
        slot, slot_error = appointment_type._check_slot(start) if start else (None, None)
        if not start:
            errors["slot"] = self.env._("Please choose a time.")
        elif slot_error:
            errors["slot"] = slot_error
        if errors:
            return self.browse(), errors
        pro = self._choose_pro(appointment_type, slot)
        pro._lock_for_booking()
        try:
            with self.env.cr.savepoint():
                # sudo: clinic.appointment - patients book without an account
                appointment = self.sudo().create(
                    {
                        **values,
                        **(extra_values or {}),
                        "partner_id": partner.id if partner else False,
                        "lang": (partner and partner.lang) or self.env.lang or False,
                        "type_id": appointment_type.id,
                        "pro_id": pro.id,
                        "start": slot["start"],
                        "stop": slot["stop"],
                        "booking_key": booking_key or False,
                    }
                )
        except ExclusionViolation:
            # The pro's lock makes this unexpected; the database has the last word.
            return self.browse(), {
                "slot": self.env._("This time was just taken. Please choose another time.")
            }
        except UniqueViolation as error:
            # The same form is being submitted concurrently: let Odoo retry the
            # request, which then finds the other submission's appointment.
            raise ConcurrencyError("Concurrent booking with the same form") from error
        if appointment.start - fields.Datetime.now() <= timedelta(hours=24):
            appointment.reminder_sent_at = (
                fields.Datetime.now()
            )  # the confirmation is reminder enough
        appointment._send_confirmation()
        appointment._notify_changed()
        return appointment, {}

    @api.model
    def _choose_pro(self, appointment_type, slot):
        """The pro free at ``slot`` with the fewest appointments that day."""
        _busy, per_day = appointment_type._get_busy(
            slot["start"] - timedelta(days=1), slot["stop"] + timedelta(days=1)
        )
        day = slot["local"].date()
        pro_id = min(slot["pro_ids"], key=lambda pro_id: (per_day.get((pro_id, day), 0), pro_id))
        # sudo: clinic.pro - the public booking page assigns a pro
        return self.env["clinic.pro"].sudo().browse(pro_id)

    def _create_calendar_events(self):
        """Put the appointments in their pros' Odoo calendars (no invitation
        email: the pro sees them on their dashboard)."""
        # sudo: calendar.event - bookings are made by visitors
        events = (
            self.env["calendar.event"]
            .sudo()
            .with_context(no_mail_to_attendees=True, dont_notify=True, mail_create_nosubscribe=True)
            .create(
                [
                    {
                        "name": self.env._(
                            "%(type)s: %(patient)s",
                            type=appointment.type_id.name,
                            patient=appointment.patient_name,
                        ),
                        "start": appointment.start,
                        "stop": appointment.stop,
                        "user_id": appointment.pro_id.user_id.id,
                        "partner_ids": [
                            fields.Command.set(appointment.pro_id.user_id.partner_id.ids)
                        ],
                        "videocall_location": f"{appointment.get_base_url()}/my/clinic",
                        "description": appointment.comment or False,
                        "privacy": "private",
                        "show_as": "busy",
                        "clinic_appointment_id": appointment.id,
                    }
                    for appointment in self
                ]
            )
        )
        for appointment, event in zip(self, events, strict=True):
            appointment.calendar_event_id = event

    # ------------------------------------------------------------
    # THE PATIENT'S LINKS
    # ------------------------------------------------------------

    @api.model
    def _get_by_token(self, token):
        """The appointment whose patient links carry ``token``, or nothing."""
        if not isinstance(token, str) or not TOKEN_PATTERN.fullmatch(token):
            return self.browse()
        # sudo: clinic.appointment - the token is the patient's credential
        appointment_sudo = self.sudo().search([("access_token", "=", token)], limit=1)
        if not appointment_sudo or not consteq(appointment_sudo.access_token, token):
            return self.browse()
        return appointment_sudo

    def _get_visit_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}/appointment/visit/{self.sudo().access_token}"

    def _get_cancel_url(self):
        return f"{self._get_visit_url()}/cancel"

    def _get_ics_url(self):
        return f"{self._get_visit_url()}/appointment.ics"

    def _get_links_end(self):
        """When the patient's links stop opening the call."""
        grace = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_appointment.grace_minutes", GRACE_MINUTES)
        )
        return self.stop + timedelta(minutes=grace)

    def _is_call_live(self):
        return bool(self.meeting_id) and self.meeting_id.state == "in_progress"

    def _get_patient_opens_at(self):
        """When the patient's link opens the call."""
        self.ensure_one()
        return self.start - timedelta(minutes=self.type_id.patient_opens_minutes)

    def _get_pro_opens_at(self):
        """When the pro may start the call."""
        self.ensure_one()
        return self.start - timedelta(minutes=self.type_id.pro_opens_minutes)

    def _get_visit_phase(self):
        """What the patient's link shows now: ``cancelled``, ``early``
        (before the call opens), ``open`` (the call), ``ended`` (the pro
        ended the call) or ``over`` (past the end and its grace period)."""
        self.ensure_one()
        now = fields.Datetime.now()
        if self.state == "cancelled":
            return "cancelled"
        if self.meeting_id.state == "done":
            return "ended"
        if now < self._get_patient_opens_at():
            return "early"
        if now > self._get_links_end() and not self._is_call_live():
            return "over"
        return "open"

    def _get_or_create_meeting(self):
        """The appointment's meeting, made by whichever side comes first."""
        self.ensure_one()
        if self.meeting_id:
            return self.meeting_id
        self._lock_for_update()
        if self.meeting_id:
            return self.meeting_id
        # sudo: clinic.meeting - the meeting of an appointment the caller may open
        meeting = (
            self.env["clinic.meeting"]
            .sudo()
            .create(
                {
                    "name": self.patient_name,
                    "appointment_id": self.id,
                    "company_id": self.company_id.id,
                    "participant_ids": [
                        fields.Command.create(
                            {
                                "role": "patient",
                                "name": self.patient_name,
                                "guest_id": self.guest_id.id,
                            }
                        )
                    ],
                }
            )
        )
        self.sudo().meeting_id = meeting
        return meeting

    def _enter_as_patient(self):
        """The patient opened their link while the call is open: make sure the
        meeting exists, that they are in it (again, after leaving) and that
        they have a guest identity for the call.

        :return: ``(meeting, guest)``; the caller gives the browser the
            guest's cookie
        """
        self.ensure_one()
        meeting = self._get_or_create_meeting()
        if not self.guest_id:
            # sudo: mail.guest - the patient's identity in the call
            self.guest_id = (
                self.env["mail.guest"]
                .sudo()
                .create({"name": self.patient_name, "lang": self.env.lang or False})
            )
        patient = meeting.participant_ids.filtered(lambda p: p.role == "patient")
        if patient.guest_id != self.guest_id or (
            patient.left_at and meeting.state not in ENDED_STATES
        ):
            meeting._lock_for_update()
            patient.write({"guest_id": self.guest_id.id, "left_at": False})
            meeting._notify_changed()
        self.env["clinic.audit.log"]._log("opened", self, guest=self.guest_id)
        return meeting, self.guest_id

    def _lock_for_update(self):
        """Take the appointment's row lock (see ``clinic.meeting._lock_for_update``)."""
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_appointment SET write_date = write_date WHERE id = %s",
                self.id,
            )
        )
        self.invalidate_recordset()

    # ------------------------------------------------------------
    # FORMATTING, EMAILS, CALENDAR FILE
    # ------------------------------------------------------------

    def _format_local_start(self, dt_format="medium"):
        """The appointment's start in the clinic's time zone, for people."""
        self.ensure_one()
        return format_datetime(
            self.env, self.start, tz=self.type_id.tz or "UTC", dt_format=dt_format
        )

    def _format_local(self, value, pattern):
        """A datetime in the clinic's time zone, in the context's language.

        ``pattern`` names the parts shown ("EEEE d MMMM y" the day, "HH:mm"
        the time); each is written in the language's own format (a Korean
        reader gets "2026년 12월 3일 (목), 14:30", a French one "jeudi 3
        décembre 2026, 14:30"), see ``clinic_meeting.tools.dates``.
        """
        self.ensure_one()
        local = pytz.utc.localize(value).astimezone(pytz.timezone(self.type_id.tz or "UTC"))
        parts = []
        if "d" in pattern:
            parts.append(format_day(self.env, local))
        if "H" in pattern or "h" in pattern:
            parts.append(format_clock(self.env, local))
        return ", ".join(parts)

    def _send_confirmation(self):
        """Tell the patient their appointment is booked: an email with the
        calendar file (other modules add an SMS for patients without email)."""
        self.ensure_one()
        self._send_email("clinic_appointment.mail_template_confirmation", ics=True)

    def _send_email(self, template_xmlid, ics=False):
        """Queue an email to the patient. It is a row of ``mail.mail``, sent by
        the mail queue after this transaction commits (a rolled back booking
        sends nothing)."""
        self.ensure_one()
        if not self.email:
            return
        template = self.env.ref(template_xmlid, raise_if_not_found=False)
        if not template:
            return
        email_values = {}
        if ics:
            # sudo: ir.attachment - the calendar file of the patient's email
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": "appointment.ics",
                        "raw": self.with_context(lang=self.lang or self.env.lang)._get_ics(),
                        "mimetype": "text/calendar",
                        "res_model": self._name,
                        "res_id": self.id,
                    }
                )
            )
            email_values["attachment_ids"] = [fields.Command.link(attachment.id)]
        # sudo: mail.template - a visitor's booking queues the clinic's email
        template.sudo().send_mail(
            self.id, email_values=email_values, email_layout_xmlid="mail.mail_notification_light"
        )

    def _get_ics(self):
        """The appointment as an iCalendar file: a stable UID, the times in
        the clinic's time zone (with its VTIMEZONE), and the join link."""
        import vobject

        self.ensure_one()
        tz = self.type_id._get_tz()
        cal = vobject.iCalendar()
        cal.add("method").value = "PUBLISH" if self.state == "confirmed" else "CANCEL"
        event = cal.add("vevent")
        dbuuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        event.add("uid").value = f"clinic-appointment-{self.id}@{dbuuid}"
        event.add("dtstamp").value = pytz.utc.localize(fields.Datetime.now())
        event.add("dtstart").value = pytz.utc.localize(self.start).astimezone(tz)
        event.add("dtend").value = pytz.utc.localize(self.stop).astimezone(tz)
        event.add("summary").value = self.env._(
            "%(type)s with %(pro)s", type=self.type_id.name, pro=self.pro_id.name
        )
        event.add("description").value = self.env._(
            "Join the video call: %(url)s\nCancel: %(cancel)s",
            url=self._get_visit_url(),
            cancel=self._get_cancel_url(),
        )
        event.add("url").value = self._get_visit_url()
        event.add("location").value = self._get_visit_url()
        event.add("status").value = "CONFIRMED" if self.state == "confirmed" else "CANCELLED"
        return cal.serialize().encode()

    @api.model
    def _cron_send_reminders(self):
        """Email patients whose appointment is in the next 24 hours."""
        now = fields.Datetime.now()
        due = self.search(
            [
                ("state", "=", "confirmed"),
                ("reminder_sent_at", "=", False),
                ("start", ">", now),
                ("start", "<=", now + timedelta(hours=24)),
            ],
            limit=500,
        )
        for appointment in due:
            appointment._send_email("clinic_appointment.mail_template_reminder")
        due.reminder_sent_at = now
        return due

    def _notify_changed(self):
        """Tell the pros' dashboards (after commit) that their day changed."""
        for appointment in self:
            appointment.pro_id.user_id.partner_id._bus_send(
                "clinic.appointment/changed", {"appointment_id": appointment.id}
            )
