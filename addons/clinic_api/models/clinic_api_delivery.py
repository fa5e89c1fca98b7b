import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# Minutes to wait after each failed attempt; then the delivery has failed.
BACKOFF_MINUTES = [1, 5, 30, 120, 720, 1440]
TIMEOUT_SECONDS = 10
BATCH = 50


class ClinicApiDelivery(models.Model):
    """One event to one webhook, and what happened to it (the delivery log)."""

    _name = "clinic.api.delivery"
    _description = "Webhook Delivery"
    _order = "id desc"

    webhook_id = fields.Many2one(
        "clinic.api.webhook", required=True, ondelete="cascade", index=True, readonly=True
    )
    event_id = fields.Char(
        string="Event ID",
        required=True,
        readonly=True,
        index=True,
        help="Sent as X-Clinic-Event-Id.",
    )
    event = fields.Char(required=True, readonly=True)
    payload = fields.Text(required=True, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("done", "Delivered"), ("failed", "Failed")],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    attempt_count = fields.Integer(readonly=True)
    next_attempt_at = fields.Datetime(readonly=True, index=True)
    last_attempt_at = fields.Datetime(readonly=True)
    last_status_code = fields.Integer(string="Last HTTP Status", readonly=True)
    last_response = fields.Text(
        readonly=True, help="The receiver's answer (its start) or the error."
    )

    def _body(self):
        self.ensure_one()
        return json.dumps(
            {
                "id": self.event_id,
                "type": self.event,
                "created_at": self.create_date.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "data": json.loads(self.payload),
            },
            sort_keys=True,
        ).encode()

    def _send(self):
        """One attempt: POST the event, signed; record the answer."""
        self.ensure_one()
        webhook = self.webhook_id.sudo()
        body = self._body()
        timestamp = str(int(time.time()))
        signature = hmac.new(
            webhook.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        now = fields.Datetime.now()
        status, answer = 0, ""
        try:
            response = requests.post(
                webhook.url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "Clinic-Telehealth-Webhooks/1.0",
                    "X-Clinic-Event": self.event,
                    "X-Clinic-Event-Id": self.event_id,
                    "X-Clinic-Timestamp": timestamp,
                    "X-Clinic-Signature": f"t={timestamp},v1={signature}",
                },
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            status, answer = response.status_code, response.text[:1000]
        except requests.RequestException as exc:
            answer = f"{type(exc).__name__}: {exc}"[:1000]
        attempts = self.attempt_count + 1
        values = {
            "attempt_count": attempts,
            "last_attempt_at": now,
            "last_status_code": status,
            "last_response": answer,
        }
        if 200 <= status < 300:
            values.update(state="done", next_attempt_at=False)
        elif attempts > len(BACKOFF_MINUTES):
            values.update(state="failed", next_attempt_at=False)
            _logger.warning(
                "Webhook %s: event %s failed after %s attempts", webhook.id, self.event_id, attempts
            )
        else:
            values["next_attempt_at"] = now + timedelta(minutes=BACKOFF_MINUTES[attempts - 1])
        self.write(values)
        return values.get("state", "pending")

    @api.model
    def _cron_deliver(self, limit=BATCH):
        """Send the deliveries that are due, committing after each one (at
        least once: a crash after a POST and before its commit sends it again,
        with the same event id)."""
        cron = self.env["ir.cron"]
        sent = 0
        while sent < limit:
            self.env.cr.execute(
                """SELECT id FROM clinic_api_delivery
                    WHERE state = 'pending' AND next_attempt_at <= %s
                    ORDER BY next_attempt_at, id
                    LIMIT 1 FOR UPDATE SKIP LOCKED""",
                (fields.Datetime.now(),),
            )
            row = self.env.cr.fetchone()
            if not row:
                break
            self.browse(row[0])._send()
            sent += 1
            cron._commit_progress(processed=1)
        # Wake up for the next retry.
        self.env.cr.execute(
            "SELECT min(next_attempt_at) FROM clinic_api_delivery WHERE state = 'pending'"
        )
        (next_at,) = self.env.cr.fetchone()
        if next_at:
            self.env.ref("clinic_api.ir_cron_deliver_webhooks")._trigger(next_at)
        return sent

    def action_retry(self):
        """Send failed deliveries again (from the delivery log)."""
        self.filtered(lambda d: d.state != "done").write(
            {"state": "pending", "next_attempt_at": fields.Datetime.now(), "attempt_count": 0}
        )
        self.env.ref("clinic_api.ir_cron_deliver_webhooks")._trigger()
        return True
