from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from .clinic_visit import new_token

try:
    import phonenumbers
except ImportError:  # pragma: no cover - phonenumbers is in Odoo's requirements
    phonenumbers = None


class ClinicVisitParticipant(models.Model):
    """One person of a visit, with their own link."""

    _name = "clinic.visit.participant"
    _description = "Clinic Visit Participant"
    _order = "visit_id, id"

    visit_id = fields.Many2one("clinic.visit", required=True, ondelete="cascade", index=True)
    role = fields.Selection(
        [("pro", "Professional"), ("patient", "Patient"), ("companion", "Companion")],
        required=True,
        readonly=True,
    )
    name = fields.Char(required=True)
    email = fields.Char()
    phone = fields.Char()
    token = fields.Char(
        default=lambda self: new_token(),
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The secret of this participant's link.",
    )
    user_id = fields.Many2one(
        "res.users", ondelete="cascade", help="The pro's account: their link needs them logged in."
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Patient Account",
        ondelete="set null",
        help="A patient with an account who is logged in as this contact is never "
        "asked for approval on a new device.",
    )
    guest_id = fields.Many2one(
        "mail.guest",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The browser this link is bound to.",
    )
    bound_at = fields.Datetime(readonly=True, copy=False, help="When the link was first opened.")

    _token_uniq = models.Constraint("UNIQUE(token)", "Participant tokens must be unique.")

    @api.model
    def _normalize_email(self, email):
        normalized = email_normalize(email) if len(email) <= 254 else False
        return normalized if normalized and "." in normalized.split("@")[-1] else False

    @api.model
    def _sanitize_phone(self, phone):
        """The number in E.164, or False."""
        if not phonenumbers or len(phone) > 32:
            return False
        try:
            parsed = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException:
            return False
        if not phonenumbers.is_valid_number(parsed):
            return False
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def _get_path(self):
        self.ensure_one()
        # sudo: clinic.visit.participant - the pro reads the links of their visit
        self_sudo = self.sudo()
        return f"/visit/{self_sudo.visit_id.token}/{self_sudo.token}"

    def _questionnaire_part(self):
        return "doctor" if self.role == "pro" else "patient"

    def _is_caller(self, user, guest):
        """Whether the browser asking (``user`` logged in, or ``guest`` cookie)
        is this participant, without asking the pro."""
        self.ensure_one()
        if self.role == "pro":
            return bool(user) and user == self.user_id
        if user and self.partner_id and user.partner_id == self.partner_id:
            return True
        return bool(guest) and guest == self.guest_id

    def _bind(self):
        """The first opening of a patient's link: the browser gets a guest of
        its own, and the link is used.

        :return: the new guest (the caller sets its cookie)
        """
        self.ensure_one()
        # sudo: mail.guest - the visitor's identity for this link
        guest = (
            self.env["mail.guest"]
            .sudo()
            .create({"name": self.name, "lang": self.env.lang or False})
        )
        self.sudo().write({"guest_id": guest.id, "bound_at": fields.Datetime.now()})
        self.visit_id._notify_changed()
        return guest

    def _room_values(self):
        self.ensure_one()
        meeting = self.visit_id.meeting_id
        connected = False
        if meeting:
            connected = bool(
                meeting.participant_ids.filtered(
                    lambda p: (
                        not p.left_at
                        and (
                            (self.role == "pro" and p.pro_id == self.visit_id.pro_id)
                            or (
                                self.role != "pro" and self.guest_id and p.guest_id == self.guest_id
                            )
                            or (
                                self.role != "pro"
                                and self.partner_id
                                and p.partner_id == self.partner_id
                            )
                        )
                    )
                )
            )
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "used": bool(self.bound_at) or self.role == "pro",
            "connected": connected,
        }

    def _send_link(self, channel):
        """Send this participant their link by ``email`` or ``sms`` (queued:
        it leaves after the transaction commits)."""
        self.ensure_one()
        if self.visit_id.lang and self.env.lang != self.visit_id.lang:
            # The link goes out in the visit's language, whoever sends it.
            return self.with_context(lang=self.visit_id.lang)._send_link(channel)
        visit = self.visit_id
        url = f"{self.get_base_url()}{self._get_path()}"
        if channel == "email":
            if not self.email:
                raise UserError(self.env._("This participant has no email address."))
            body = self.env["ir.qweb"]._render(
                "clinic_visit.mail_visit_link",
                {"participant": self, "visit": visit, "url": url},
            )
            # sudo: mail.mail - the pro sends the link of their own visit
            self.env["mail.mail"].sudo().create(
                {
                    "email_to": self.email,
                    "subject": self.env._("Your video visit with %(pro)s", pro=visit.pro_id.name),
                    "body_html": body,
                    "auto_delete": True,
                }
            )
        elif channel == "sms":
            if not self.phone:
                raise UserError(self.env._("This participant has no phone number."))
            # sudo: sms.sms - the pro sends the link of their own visit
            self.env["sms.sms"].sudo().create(
                {
                    "number": self.phone,
                    "body": self.env._(
                        "Your video visit with %(pro)s: %(url)s", pro=visit.pro_id.name, url=url
                    ),
                }
            )
        else:
            raise UserError(self.env._("Send the link by email or SMS."))
        return True
