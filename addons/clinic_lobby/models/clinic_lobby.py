import re
import secrets
from datetime import timedelta

from psycopg2.errors import UniqueViolation

from odoo import api, fields, models
from odoo.exceptions import ConcurrencyError, ValidationError

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX_LENGTH = 64
# How long a double submission of the check-in form finds the first one's meeting.
CHECK_IN_KEY_LIFETIME = timedelta(minutes=10)
# Waiting longer than this (hours), a walk-in is taken for gone; see the cron.
ABANDONED_AFTER_HOURS = 6
WALK_IN_RETENTION_DAYS = 30


class ClinicLobby(models.Model):
    """A virtual office where walk-in patients wait for one of its pros."""

    _name = "clinic.lobby"
    _description = "Clinic Lobby"
    _inherit = ["bus.listener.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, help="Shown to patients, e.g. 'Dr. Smith's Office'.")
    slug = fields.Char(
        string="URL Slug",
        required=True,
        copy=False,
        help="The lobby's address: /lobby/<slug>. Lowercase letters, digits and hyphens.",
    )
    pro_ids = fields.Many2many(
        "clinic.pro",
        "clinic_lobby_pro_rel",
        "lobby_id",
        "pro_id",
        string="Professionals",
        help="Professionals who see this lobby's queue and take its patients.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="The clinic of this office; its pros belong to the same clinic.",
    )
    meeting_ids = fields.One2many("clinic.meeting", "lobby_id", string="Meetings")
    queue_count = fields.Integer(compute="_compute_queue_count", string="Waiting")
    url = fields.Char(compute="_compute_url", string="Check-in Page")

    _slug_uniq = models.Constraint("UNIQUE(slug)", "Another lobby already uses this URL slug.")

    def _compute_queue_count(self):
        counts = dict(
            self.env["clinic.meeting"]._read_group(
                [("lobby_id", "in", self.ids), ("state", "=", "waiting")],
                ["lobby_id"],
                ["__count"],
            )
        )
        for lobby in self:
            lobby.queue_count = counts.get(lobby, 0)

    @api.depends("slug")
    def _compute_url(self):
        # One base URL for all (get_base_url() wants a single record).
        base_url = self[:1].get_base_url()
        for lobby in self:
            lobby.url = f"{base_url}/lobby/{lobby.slug}" if lobby.slug else False

    @api.constrains("slug")
    def _check_slug(self):
        for lobby in self:
            if len(lobby.slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(lobby.slug):
                raise ValidationError(
                    self.env._(
                        "The URL slug '%(slug)s' is not valid: use lowercase letters, digits "
                        "and single hyphens (e.g. 'smith-brown-inc'), %(max)s characters at most.",
                        slug=lobby.slug,
                        max=SLUG_MAX_LENGTH,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_queue(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "clinic_meeting.clinic_meeting_action"
        )
        action["domain"] = [("lobby_id", "=", self.id)]
        action["context"] = {"search_default_waiting": 1}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _get_by_slug(self, slug):
        """The active lobby at ``/lobby/<slug>``, or an empty recordset."""
        if not slug or not SLUG_PATTERN.fullmatch(slug):
            return self.browse()
        return self.search([("slug", "=", slug)], limit=1)

    @api.model
    def _new_check_in_key(self):
        """A fresh key for one rendering of the check-in form."""
        return secrets.token_urlsafe(24)

    def _get_active_meeting(self, guest):
        """The meeting ``guest`` is waiting or being seen in, in this lobby."""
        self.ensure_one()
        if not guest:
            return self.env["clinic.meeting"]
        return self.env["clinic.meeting"].search(
            [
                ("lobby_id", "=", self.id),
                ("state", "in", ("waiting", "in_progress")),
                ("participant_ids.guest_id", "=", guest.id),
                ("participant_ids.role", "=", "patient"),
            ],
            limit=1,
        )

    def _check_in(self, name, birthdate, guest=None, check_in_key=None):
        """Check a walk-in patient into this lobby.

        Nothing is created when the input is wrong. Submitting the same form
        twice (same ``check_in_key``), or checking in again while already
        waiting here (same ``guest``), returns the meeting of the first time.

        :param str name: the patient's name, as typed
        :param str birthdate: their date of birth, ``YYYY-MM-DD``
        :param guest: the visitor's ``mail.guest`` if they already have one
        :param str check_in_key: the key of the rendered form
        :return: ``(meeting, errors)``; ``errors`` maps a field to a message
        """
        self.ensure_one()
        Meeting = self.env["clinic.meeting"]
        if meeting := self._get_active_meeting(guest):
            return meeting, {}
        if check_in_key and (meeting := Meeting.search([("check_in_key", "=", check_in_key)])):
            if (
                meeting.lobby_id == self
                and meeting.state == "waiting"
                and meeting.checked_in_at > fields.Datetime.now() - CHECK_IN_KEY_LIFETIME
            ):
                return meeting, {}
            check_in_key = None  # an old form: check in anew
        values, errors = self.env["clinic.meeting.participant"]._parse_patient_identity(
            name, birthdate
        )
        if errors:
            return Meeting, errors
        if not guest:
            guest = self.env["mail.guest"].create(
                {"name": values["name"], "lang": self.env.lang or False}
            )
        try:
            with self.env.cr.savepoint():
                meeting = Meeting.create(
                    {
                        "name": values["name"],
                        "lobby_id": self.id,
                        "company_id": self.company_id.id,
                        "check_in_key": check_in_key or False,
                        "participant_ids": [
                            fields.Command.create(
                                {
                                    "role": "patient",
                                    "name": values["name"],
                                    "birthdate": values["birthdate"],
                                    "guest_id": guest.id,
                                }
                            )
                        ],
                    }
                )
        except UniqueViolation as error:
            # The same form is being submitted concurrently: let Odoo retry the
            # request, which then finds the other submission's meeting.
            raise ConcurrencyError("Concurrent check-in with the same form") from error
        self.env["clinic.audit.log"]._log("checked_in", meeting, guest=guest)
        meeting._notify_changed()
        return meeting, {}

    @api.model
    def _cron_cancel_abandoned_check_ins(self):
        """Cancel walk-ins still waiting after hours: the patient closed the page.

        The delay is the system parameter ``clinic_lobby.abandoned_after_hours``.
        """
        hours = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_lobby.abandoned_after_hours", ABANDONED_AFTER_HOURS)
        )
        abandoned = self.env["clinic.meeting"].search(
            [
                ("lobby_id", "!=", False),
                ("state", "=", "waiting"),
                ("checked_in_at", "<", fields.Datetime.now() - timedelta(hours=hours)),
            ]
        )
        abandoned.action_cancel()
        return abandoned

    @api.model
    def _cron_erase_walk_in_personal_data(self, limit=500):
        """Erase the personal data of walk-in meetings ended more than
        ``clinic_lobby.walk_in_retention_days`` days ago (30 by default): the
        patient's name and date of birth, their guest and the call's channel
        (its messages). Times and states stay, for the statistics.
        """
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_lobby.walk_in_retention_days", WALK_IN_RETENTION_DAYS)
        )
        Meeting = self.env["clinic.meeting"].sudo()
        meetings = Meeting.search(
            [
                ("lobby_id", "!=", False),
                ("state", "in", ("done", "cancelled")),
                ("ended_at", "<", fields.Datetime.now() - timedelta(days=days)),
                ("personal_data_erased_at", "=", False),
            ],
            limit=limit,
        )
        if not meetings:
            return meetings
        patients = meetings.participant_ids.filtered(lambda p: p.role == "patient")
        guests = patients.guest_id
        meetings._unlink_call_channel()
        patients.write({"name": "-", "birthdate": False, "guest_id": False, "partner_id": False})
        meetings.write({"name": "-", "personal_data_erased_at": fields.Datetime.now()})
        # A guest still used elsewhere (another meeting, a visit) stays.
        used = (
            self.env["clinic.meeting.participant"]
            .sudo()
            .search([("guest_id", "in", guests.ids)])
            .guest_id
        )
        (guests - used).sudo().unlink()
        self.env["clinic.audit.log"]._log("erased", meetings)
        return meetings

    def _get_pro_dashboard_meetings(self, pro):
        """Meetings of these lobbies that ``pro`` sees on their dashboard.

        Read with the caller's rights: record rules decide what is visible.
        """
        Meeting = self.env["clinic.meeting"]
        queue = Meeting.search(
            [("lobby_id", "in", self.ids), ("state", "=", "waiting")],
            order="checked_in_at, id",
        )
        in_progress = Meeting.search(
            [("lobby_id", "in", self.ids), ("state", "=", "in_progress")],
            order="first_pro_joined_at, id",
        )
        return queue, in_progress
