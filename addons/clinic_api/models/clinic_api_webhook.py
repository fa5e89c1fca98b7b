import json
import secrets
import uuid

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

EVENTS = [
    ("meeting.checked_in", "A walk-in checked in"),
    ("meeting.started", "A meeting started (the first pro joined)"),
    ("meeting.ended", "A meeting ended or was cancelled"),
    ("appointment.booked", "An appointment was booked"),
    ("appointment.cancelled", "An appointment was cancelled"),
    ("visit.created", "A one-to-one visit was created"),
    ("visit.killed", "A one-to-one visit was destroyed"),
]
EVENT_NAMES = [name for name, _label in EVENTS]


class ClinicApiWebhook(models.Model):
    """A partner's URL that hears of the clinic's events.

    Events are queued as deliveries in the transaction that makes them, so a
    rolled-back change sends nothing, and posted by a cron job after the
    commit, signed with the webhook's secret, retried with backoff.
    """

    _name = "clinic.api.webhook"
    _description = "Partner Webhook"
    _order = "id"

    name = fields.Char(required=True, help="e.g. 'Practice system'.")
    url = fields.Char(string="URL", required=True, help="Where events are POSTed (https).")
    secret = fields.Char(
        required=True,
        copy=False,
        default=lambda self: secrets.token_hex(32),
        groups="clinic_meeting.group_clinic_manager",
        help="Signs every delivery: the X-Clinic-Signature header is the "
        "HMAC-SHA256 of '<timestamp>.<body>' with this secret.",
    )
    events = fields.Char(
        required=True,
        default=",".join(EVENT_NAMES),
        help="Comma-separated: " + ", ".join(EVENT_NAMES),
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        help="Only this clinic's events are sent.",
    )
    active = fields.Boolean(default=True)
    delivery_ids = fields.One2many("clinic.api.delivery", "webhook_id", string="Deliveries")
    delivery_failed_count = fields.Integer(compute="_compute_delivery_failed_count")

    @api.constrains("url")
    def _check_url(self):
        for webhook in self:
            if not webhook.url.startswith(("https://", "http://")) or any(
                c.isspace() for c in webhook.url
            ):
                raise ValidationError(self.env._("A webhook URL starts with https://."))

    @api.constrains("events")
    def _check_events(self):
        for webhook in self:
            names = webhook._get_events()
            if not names or set(names) - set(EVENT_NAMES):
                raise ValidationError(
                    self.env._(
                        "Events are a comma-separated list of: %(events)s.",
                        events=", ".join(EVENT_NAMES),
                    )
                )

    def _compute_delivery_failed_count(self):
        counts = dict(
            self.env["clinic.api.delivery"]._read_group(
                [("webhook_id", "in", self.ids), ("state", "=", "failed")],
                ["webhook_id"],
                ["__count"],
            )
        )
        for webhook in self:
            webhook.delivery_failed_count = counts.get(webhook, 0)

    def _get_events(self):
        self.ensure_one()
        return [name.strip() for name in (self.events or "").split(",") if name.strip()]

    def action_open_deliveries(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "clinic.api.delivery",
            "name": self.env._("Deliveries"),
            "view_mode": "list,form",
            "domain": [("webhook_id", "=", self.id)],
        }

    @api.model
    @tools.ormcache("company_id", "event")
    def _get_webhook_ids(self, company_id, event):
        """The active webhooks of a company that want ``event`` (cached: an
        event costs no query when nobody listens)."""
        webhooks = (
            self.sudo()
            .with_context(active_test=True)
            .search([("company_id", "=", company_id), ("events", "like", event)])
        )
        return tuple(webhooks.filtered(lambda w: event in w._get_events()).ids)

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    def _emit(self, event, company, data):
        """Queue ``event`` for the webhooks of ``company`` that want it.

        :param data: a function returning the event's object, ids and states
            only (receivers fetch what else they need with their key); called
            only when a webhook listens
        """
        webhook_ids = self._get_webhook_ids(company.id, event)
        if not webhook_ids:
            return
        # sudo: clinic.api.webhook - any change of the clinic may emit an event
        # exists(): another process may have deleted a cached webhook since
        # (its cache is cleared only at its next request): no delivery for it,
        # rather than a foreign-key error that fails the patient's check-in.
        webhooks = self.sudo().browse(webhook_ids).exists()
        if not webhooks:
            return
        now = fields.Datetime.now()
        payload = json.dumps(data(), sort_keys=True)
        self.env["clinic.api.delivery"].sudo().create(
            [
                {
                    "webhook_id": webhook.id,
                    "event_id": str(uuid.uuid4()),
                    "event": event,
                    "payload": payload,
                    "next_attempt_at": now,
                }
                for webhook in webhooks
            ]
        )
        self.env.ref("clinic_api.ir_cron_deliver_webhooks").sudo()._trigger()
