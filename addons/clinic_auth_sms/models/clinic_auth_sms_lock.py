from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL


class ClinicAuthSmsLock(models.Model):
    """A row per key (a hashed phone number) to serialize the requests about it.

    Counting the codes sent to a number and sending one more must not
    interleave between two workers. Each request first upserts the key's
    row: a concurrent request for the same key waits for the first one to
    finish, then fails with a serialization error (REPEATABLE READ), and
    Odoo retries it, now counting the first one's code.
    """

    _name = "clinic.auth.sms.lock"
    _description = "Patient Login Lock"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    locked_at = fields.Datetime(required=True, readonly=True)

    _key_uniq = models.Constraint("UNIQUE(key)", "Lock keys must be unique.")

    @api.model
    def _lock(self, key):
        """Take the lock of ``key`` until the end of the transaction."""
        self.env.cr.execute(
            SQL(
                "INSERT INTO clinic_auth_sms_lock (key, locked_at) VALUES (%s, %s)"
                " ON CONFLICT (key) DO UPDATE SET locked_at = EXCLUDED.locked_at",
                key,
                fields.Datetime.now(),
            )
        )

    @api.autovacuum
    def _gc_locks(self):
        self.env.cr.execute(
            SQL(
                "DELETE FROM clinic_auth_sms_lock WHERE locked_at < %s",
                fields.Datetime.now() - timedelta(days=1),
            )
        )
