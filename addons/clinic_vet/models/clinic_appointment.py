import base64
import re
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.image import ImageProcess

from odoo.addons.clinic_meeting.models.clinic_meeting import ENDED_STATES
from odoo.addons.clinic_meeting.tools import clean_text

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PET_NAME_MAX = 60
PET_DESCRIPTION_MAX = 2000
# What an image's first bytes must be, for each accepted type.
IMAGE_SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


class ClinicAppointment(models.Model):
    """A vet reservation is an appointment with a pet, made by its owner
    logged in (``partner_id``), optionally with a photo and what the
    classifier said of it."""

    _inherit = "clinic.appointment"

    vet_id = fields.Many2one("clinic.vet", ondelete="set null", index="btree_not_null")
    pet_name = fields.Char()
    pet_species = fields.Selection(
        [
            ("dog", "Dog"),
            ("cat", "Cat"),
            ("rabbit", "Rabbit"),
            ("bird", "Bird"),
            ("reptile", "Reptile"),
            ("other", "Other"),
        ],
        string="Species",
    )
    pet_problem = fields.Text(string="The Problem")
    photo = fields.Image(
        max_width=1920,
        max_height=1920,
        help="The owner's photo for pre-screening (an attachment: the owner, the vet "
        "and managers read it).",
    )
    prescreen_labels = fields.Json(string="Pre-screening", readonly=True)
    prescreen_state = fields.Selection(
        [("none", "No photo"), ("done", "Done"), ("unavailable", "Unavailable")],
        string="Pre-screening State",
        default="none",
        readonly=True,
    )

    # ------------------------------------------------------------
    # RESERVING
    # ------------------------------------------------------------

    def _parse_reservation(self, values, photo_file):
        """Check the owner's form: pet name and species, the problem, the
        optional photo (JPEG, PNG or WebP, 10 MB at most, its content
        matching its type).

        :param photo_file: ``(filename, mimetype, bytes)`` or None
        :return: ``(vals, photo, errors)``
        """
        vals, errors = {}, {}

        def text(key):  # a file or a list where a text is expected is no text
            value = values.get(key)
            return clean_text(value) if isinstance(value, str) else ""

        pet_name = re.sub(r"\s+", " ", text("pet_name")).strip()
        if not pet_name:
            errors["pet_name"] = self.env._("Please enter your pet's name.")
        elif len(pet_name) > PET_NAME_MAX:
            errors["pet_name"] = self.env._(
                "The name is too long: %(max)s characters at most.", max=PET_NAME_MAX
            )
        else:
            vals["pet_name"] = pet_name
        species = text("pet_species")
        if species not in dict(self._fields["pet_species"].selection):
            errors["pet_species"] = self.env._("Please choose your pet's species.")
        else:
            vals["pet_species"] = species
        problem = text("pet_problem").strip()
        if not problem:
            errors["pet_problem"] = self.env._("Please describe the problem in a few words.")
        elif len(problem) > PET_DESCRIPTION_MAX:
            errors["pet_problem"] = self.env._(
                "The description is too long: %(max)s characters at most.",
                max=PET_DESCRIPTION_MAX,
            )
        else:
            vals["pet_problem"] = problem
        photo = None
        if photo_file and photo_file[2]:
            _name, mimetype, data = photo_file
            if mimetype not in IMAGE_SIGNATURES:
                errors["photo"] = self.env._("The photo must be a JPEG, PNG or WebP image.")
            elif len(data) > PHOTO_MAX_BYTES:
                errors["photo"] = self.env._("The photo is too large: 10 MB at most.")
            elif not data.startswith(IMAGE_SIGNATURES[mimetype]) or (
                mimetype == "image/webp" and data[8:12] != b"WEBP"
            ):
                errors["photo"] = self.env._(
                    "This file is not the image it claims to be. Please choose a photo."
                )
            else:
                try:
                    # what the photo field checks when it is stored, before
                    # anything is reserved or sent to the classifier
                    ImageProcess(data, verify_resolution=True)
                except UserError as error:
                    errors["photo"] = str(error)
                else:
                    photo = (mimetype, data)
        return vals, photo, errors

    def _attach_photo(self, photo):
        """Keep the photo and what the classifier says of it."""
        self.ensure_one()
        mimetype, data = photo
        labels = self.env["clinic.vet"]._prescreen(data, mimetype)
        # sudo: clinic.appointment - the owner's own reservation, just made
        self.sudo().write(
            {
                "photo": base64.b64encode(data),
                "prescreen_labels": labels,
                "prescreen_state": "done" if labels else "unavailable",
            }
        )

    def _send_confirmation(self):
        """An owner without an email gets the confirmation by SMS."""
        result = super()._send_confirmation()
        if not self.email and self.partner_id.phone:
            when = self._format_local(self.start, "EEEE d MMMM y, HH:mm")
            # sudo: sms.sms - the confirmation of the owner's own reservation
            self.env["sms.sms"].sudo().create(
                {
                    "number": self.partner_id.phone_sanitized or self.partner_id.phone,
                    "partner_id": self.partner_id.id,
                    "body": self.env._(
                        "Your video consultation with %(vet)s is booked: %(when)s (%(tz)s). "
                        "Enter the room from %(url)s",
                        vet=self.pro_id.name,
                        when=when,
                        tz=self.type_id.tz or "UTC",
                        url=f"{self.get_base_url()}/my/vet",
                    ),
                }
            )
        return result

    def _owner_can_cancel(self):
        """Owners cancel up to ``clinic_vet.cancel_hours`` before the time."""
        self.ensure_one()
        hours = int(self.env["ir.config_parameter"].sudo().get_param("clinic_vet.cancel_hours", 2))
        return self.state == "confirmed" and fields.Datetime.now() <= self.start - timedelta(
            hours=hours
        )

    # ------------------------------------------------------------
    # THE ROOM
    # ------------------------------------------------------------

    def _room_role(self, user):
        """``owner``, ``vet``, or False: who ``user`` is for this reservation."""
        self.ensure_one()
        if user.partner_id == self.partner_id:
            return "owner"
        if user == self.pro_id.user_id:
            return "vet"
        return False

    def _room_window(self):
        """``(opens_at, closes_at)`` of the reservation's room."""
        self.ensure_one()
        return self._get_patient_opens_at(), self._get_links_end()

    def _room_is_open(self):
        self.ensure_one()
        opens_at, closes_at = self._room_window()
        now = fields.Datetime.now()
        live = self.meeting_id.state == "in_progress"
        return self.state == "confirmed" and opens_at <= now and (now <= closes_at or live)

    def _enter_room(self, role):
        """The owner or the vet enters the room: the reservation's meeting."""
        self.ensure_one()
        meeting = self._get_or_create_meeting()
        if meeting.state in ENDED_STATES:
            return meeting
        if role == "vet":
            meeting._join_pro(self.pro_id.sudo(), take_over=True)
            return meeting
        participant = meeting.participant_ids.filtered(lambda p: p.role == "patient")[:1]
        if participant.partner_id != self.partner_id or participant.left_at:
            meeting._lock_for_update()
            participant.write(
                {"partner_id": self.partner_id.id, "guest_id": False, "left_at": False}
            )
            meeting._notify_changed()
        return meeting

    def _my_vet_values(self):
        """What the owner's *My reservations* shows of one."""
        self.ensure_one()
        opens_at, closes_at = self._room_window()
        now = fields.Datetime.now()
        return {
            "id": self.id,
            "pet_name": self.pet_name or "",
            "pet_species": dict(self._fields["pet_species"].selection).get(self.pet_species, ""),
            "vet": self.pro_id.name,
            "vet_slug": self.vet_id.slug,
            "when": self._format_local(self.start, "EEEE d MMMM y, HH:mm"),
            "tz": self.type_id.tz or "UTC",
            "state": self.state,
            "past": closes_at < now and self.meeting_id.state != "in_progress",
            "opens_at": fields.Datetime.to_string(opens_at),
            "opens_at_label": self._format_local(opens_at, "HH:mm"),
            "closes_at": fields.Datetime.to_string(closes_at),
            "room_url": f"/my/vet/{self.id}/room",
        }
