import logging
import re
import unicodedata

from odoo import Command, fields, models

from odoo.addons.auth_signup.models.res_partner import SignupError

_logger = logging.getLogger(__name__)


def _name_words(name):
    """The words of a name, compared without case, accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.findall(r"\w+", plain)


class ResPartner(models.Model):
    _inherit = "res.partner"

    is_clinic_patient = fields.Boolean(
        string="Clinic Patient",
        copy=False,
        help="Patients log in on the patient login page with this contact's phone number, "
        "their last name and a code sent by SMS.",
    )

    # the login page looks patients up by their normalised (E.164) phone number
    _clinic_patient_phone_idx = models.Index("(phone_sanitized) WHERE is_clinic_patient")

    def _clinic_auth_sms_find_patient(self, number, last_name):
        """The patient with phone ``number`` (E.164) whose name ends with ``last_name``.

        Names are compared word by word, without case, accents or
        punctuation: "García-López" matches "Ana Garcia Lopez". Nobody is
        returned when several patients share the number and the last name,
        as nobody could tell which of them is logging in.
        """
        # sudo: res.partner - anonymous visitors read nothing of the patients;
        # only whether one matches both the number and the name is used
        patients = self.sudo().search_fetch(
            [("is_clinic_patient", "=", True), ("phone_sanitized", "=", number)],
            ["name", "lang", "phone_sanitized"],
        )
        words = _name_words(last_name)
        matches = patients.filtered(lambda p: words and _name_words(p.name)[-len(words) :] == words)
        if len(matches) > 1:
            _logger.info(
                "Patient login: patients %s share a phone number and a last name; no code sent",
                matches.ids,
            )
            return self.browse()
        return matches

    def _clinic_auth_sms_get_user(self, company):
        """The portal user this patient logs in as, created on their first login.

        Nothing is returned when the patient may not log in by SMS: they are
        no longer a patient, or their user is archived, or is an internal
        user (staff log in with their password and, maybe, a second factor;
        an SMS code must not open an employee account).
        """
        self.ensure_one()
        if not (self.active and self.is_clinic_patient):
            return self.env["res.users"]
        users = self.with_context(active_test=False).user_ids
        if users:
            return users.filtered(lambda u: u.active and u._is_portal())[:1]
        try:
            return (
                self.env["res.users"]
                .sudo()
                .with_context(no_reset_password=True)
                ._create_user_from_template(
                    {
                        # not the phone number: Odoo logs logins, and numbers
                        # stay out of the logs; the patient never types it
                        "login": f"clinic-patient-{self.id}",
                        "partner_id": self.id,
                        "company_id": company.id,
                        "company_ids": [Command.set(company.ids)],
                    }
                )
            )
        except SignupError:
            _logger.warning("Patient login: could not create a user for partner %s", self.id)
            return self.env["res.users"]
