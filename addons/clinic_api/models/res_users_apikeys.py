import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from odoo.addons.base.models.res_users import INDEX_SIZE, KEY_CRYPT_CONTEXT

_logger = logging.getLogger(__name__)

SCOPE = "clinic_api"
RATE_LIMIT_PER_MINUTE = 600


class ResUsersApikeys(models.Model):
    """Partner keys are Odoo's own API keys with the scope ``clinic_api``:
    hashed, expiring, revocable. Odoo's JSON-2 and XML-RPC accept only keys
    without a scope (or the ``rpc`` one), so a partner key reaches the partner
    API and nothing else; the partner API accepts only partner keys."""

    _inherit = "res.users.apikeys"

    def init(self):
        result = super().init()
        # The per-key request counters, one row a key and minute. Written
        # outside the request's transaction, so that every worker sees them.
        self.env.cr.execute(
            """
            CREATE TABLE IF NOT EXISTS clinic_api_rate (
                key_id integer NOT NULL,
                minute timestamp without time zone NOT NULL,
                count integer NOT NULL DEFAULT 1,
                PRIMARY KEY (key_id, minute)
            )
            """
        )
        return result

    @api.model
    def _clinic_api_check(self, key):
        """The ``(key id, user id)`` of an active, unexpired partner key, or
        ``(None, None)``. Compared as Odoo compares its keys: by their hash."""
        self.env.cr.execute(
            SQL(
                """SELECT k.id, k.user_id, k.key
                     FROM res_users_apikeys k
                     JOIN res_users u ON u.id = k.user_id
                    WHERE u.active AND k.index = %s AND k.scope = %s
                      AND (k.expiration_date IS NULL
                           OR k.expiration_date >= now() at time zone 'utc')""",
                key[:INDEX_SIZE],
                SCOPE,
            )
        )
        for key_id, user_id, hashed in self.env.cr.fetchall():
            if KEY_CRYPT_CONTEXT.verify(key, hashed):
                return key_id, user_id
        return None, None

    @api.model
    def _clinic_api_rate_limit(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_api.rate_limit_per_minute", RATE_LIMIT_PER_MINUTE)
        )

    @api.model
    def _clinic_api_count(self, key_id):
        """Count a request of key ``key_id`` in the current minute.

        The counter is committed at once in a cursor of its own: a request
        that fails and is rolled back still counts, and every worker of every
        server shares it.

        :return: ``(limit, retry_after)``: seconds to wait, 0 when allowed
        """
        limit = self._clinic_api_rate_limit()
        with self.env.registry.cursor() as cr:
            cr.execute(
                """INSERT INTO clinic_api_rate (key_id, minute)
                   VALUES (%s, date_trunc('minute', now() at time zone 'utc'))
                   ON CONFLICT (key_id, minute) DO UPDATE SET count = clinic_api_rate.count + 1
                   RETURNING count, 60 - extract(second FROM now())::integer""",
                (key_id,),
            )
            count, retry_after = cr.fetchone()
        if count > limit:
            return limit, max(retry_after, 1)
        return limit, 0

    @api.autovacuum
    def _gc_clinic_api_rate(self):
        self.env.cr.execute(
            "DELETE FROM clinic_api_rate WHERE minute < %s",
            (fields.Datetime.now() - timedelta(hours=1),),
        )

    def action_clinic_api_revoke(self):
        """A clinic manager revokes partner keys (and only those)."""
        if not self.env.user.has_group("clinic_meeting.group_clinic_manager"):
            raise AccessError(self.env._("Only clinic managers revoke partner API keys."))
        keys = self.filtered(lambda key: key.scope == SCOPE)
        # sudo: res.users.apikeys - Odoo lets only a key's owner or an
        # administrator remove it; clinic managers manage partner keys
        keys.sudo()._remove()
        return True

    @api.model
    def _clinic_api_generate(self, user, name, expiration_date):
        """A new partner key for ``user``; the clear key is returned once."""
        # sudo: res.users.apikeys - a manager makes a key for an integration user
        return self.with_user(user).sudo()._generate(SCOPE, name, expiration_date)

    @api.model
    def _clinic_api_demo_key(self, user_xmlid, name, key):
        """Demo data only: a partner key with a known value, for the README's
        walkthrough (a real key is only ever made by ``_generate``)."""
        user = self.env.ref(user_xmlid)
        self.env.cr.execute(
            "SELECT 1 FROM res_users_apikeys WHERE user_id = %s AND name = %s", (user.id, name)
        )
        if self.env.cr.fetchone():
            return
        self.env.cr.execute(
            SQL(
                "INSERT INTO res_users_apikeys (name, user_id, scope, key, index)"
                " VALUES (%s, %s, %s, %s, %s)",
                name,
                user.id,
                SCOPE,
                KEY_CRYPT_CONTEXT.hash(key),
                key[:INDEX_SIZE],
            )
        )
