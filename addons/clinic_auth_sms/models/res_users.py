from odoo import models
from odoo.exceptions import AccessDenied

from .clinic_auth_sms_challenge import ClinicAuthSmsError

CREDENTIAL_TYPE = "clinic_sms"


class ResUsers(models.Model):
    """A credential type for ``session.authenticate``: a code sent by SMS.

    ``{"type": "clinic_sms", "clinic_sms_token": ..., "clinic_sms_code": ...}``
    where the token names the challenge kept in the patient's server session.
    As in ``auth_passkey``, ``_login`` finds who is logging in (here by
    checking the code, which also creates the patient's user on their first
    login) and ``_check_credentials`` grants the login, once.
    """

    _inherit = "res.users"

    def _login(self, credential, user_agent_env):
        if credential.get("type") == CREDENTIAL_TYPE:
            # sudo: clinic.auth.sms.challenge - the visitor is not logged in
            # yet; the token comes from their server session
            challenge_sudo = (
                self.env["clinic.auth.sms.challenge"]
                .sudo()
                ._get_by_token(credential.get("clinic_sms_token"))
            )
            if not challenge_sudo:
                raise ClinicAuthSmsError(
                    self.env._("This code can no longer be used. Please start again."),
                    restart=True,
                )
            user_sudo = challenge_sudo._verify_code(credential.get("clinic_sms_code"))
            credential["login"] = user_sudo.login
        return super()._login(credential, user_agent_env=user_agent_env)

    def _check_credentials(self, credential, env):
        if credential["type"] == CREDENTIAL_TYPE:
            # sudo: clinic.auth.sms.challenge - only a challenge verified for
            # this very user in this transaction is accepted, once
            if (
                not self.env["clinic.auth.sms.challenge"]
                .sudo()
                ._redeem(credential.get("clinic_sms_token"), self.env.user)
            ):
                raise AccessDenied()
            return {
                "uid": self.env.user.id,
                "auth_method": CREDENTIAL_TYPE,
                # a patient who set up a second factor still gets asked for it
                "mfa": "default",
            }
        return super()._check_credentials(credential, env)
