import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.http import request

_logger = logging.getLogger(__name__)

AUDIT_RETENTION_DAYS = 6 * 366  # HIPAA keeps documentation six years


class ClinicAuditLog(models.Model):
    """Who opened, joined, left, validated, downloaded or destroyed what, and
    when (HIPAA 164.312(b)).

    Append-only: the clinic's code adds lines with ``_log``; nobody, managers
    and administrators included, may change or delete one (only the cron that
    drops lines past the retention period). Managers read it in the backend.
    Lines name the record and the actor (a user, or a patient's guest), never
    the patient's health data.
    """

    _name = "clinic.audit.log"
    _description = "Clinic Audit Trail"
    _order = "id desc"
    _rec_name = "action"

    action = fields.Selection(
        [
            ("checked_in", "Checked in"),
            ("opened", "Opened"),
            ("joined", "Joined"),
            ("left", "Left"),
            ("cancelled", "Cancelled"),
            ("validated", "Let a device in"),
            ("refused", "Refused a device"),
            ("downloaded", "Downloaded"),
            ("killed", "Destroyed"),
            ("erased", "Personal data erased"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    res_model = fields.Char(string="Record Type", required=True, readonly=True, index=True)
    res_id = fields.Integer(string="Record ID", required=True, readonly=True, index=True)
    record_name = fields.Char(
        compute="_compute_record_name", string="Record", help="What the line is about."
    )
    user_id = fields.Many2one("res.users", readonly=True, ondelete="set null")
    guest_id = fields.Many2one(
        "mail.guest",
        readonly=True,
        ondelete="set null",
        help="The patient's browser, when the actor is a patient without an account.",
    )
    ip_address = fields.Char(string="IP Address", readonly=True)
    detail = fields.Char(readonly=True, help="e.g. the document's id, the device request.")

    def _compute_record_name(self):
        for line in self:
            model = self.env.get(line.res_model)
            record = model.browse(line.res_id).exists() if model is not None else None
            label = model._description if record else line.res_model
            line.record_name = f"{label} #{line.res_id}"

    @api.model
    def _log(self, action, records, guest=None, detail=None):
        """Append a line per record of ``records`` for ``action``, by the
        current user (or ``guest``, a patient's browser), from the request's
        address."""
        if not records:
            return self.browse()
        user = self.env.user
        ip = None
        if request and request.httprequest:
            ip = request.httprequest.remote_addr
        if guest is None and request:
            # sudo: mail.guest - the caller's own guest cookie, if any
            guest = self.env["mail.guest"].sudo()._get_guest_from_context()
        # sudo: clinic.audit.log - every actor appends; nobody else writes
        return (
            self.sudo()
            .with_context(clinic_audit_append=True)
            .create(
                [
                    {
                        "action": action,
                        "res_model": record._name,
                        "res_id": record.id,
                        "user_id": user.id if user and not user._is_public() else False,
                        "guest_id": guest.id if guest else False,
                        "ip_address": ip,
                        "detail": detail,
                    }
                    for record in records
                ]
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.context.get("clinic_audit_append"):
            raise AccessError(self.env._("The audit trail is written by the clinic only."))
        return super().create(vals_list)

    def write(self, vals):
        if self:
            raise AccessError(self.env._("The audit trail cannot be changed."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_never(self):
        if not self.env.context.get("clinic_audit_gc"):
            raise AccessError(self.env._("The audit trail cannot be deleted."))

    @api.autovacuum
    def _gc_audit_log(self):
        """Drop the lines older than ``clinic_meeting.audit_retention_days``."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_meeting.audit_retention_days", AUDIT_RETENTION_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        old = self.sudo().search([("create_date", "<", limit)])
        old.with_context(clinic_audit_gc=True).unlink()
        _logger.info("Clinic audit trail: %s lines past %s days dropped", len(old), days)
