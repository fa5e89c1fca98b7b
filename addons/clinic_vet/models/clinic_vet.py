import logging

import requests

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from odoo.addons.clinic_lobby.models.clinic_lobby import SLUG_MAX_LENGTH, SLUG_PATTERN

_logger = logging.getLogger(__name__)

DIRECTORY_CHANNEL = "clinic_vet.directory"
CLASSIFIER_TIMEOUT = 4  # seconds: a slow classifier never blocks a booking
EARTH_RADIUS_KM = 6371.0


class ClinicVet(models.Model):
    """A registered vet: a pro with a public profile, a place, and the
    appointment type owners reserve (its slots are the vet's timetable)."""

    _name = "clinic.vet"
    _description = "Clinic Vet"
    _order = "name, id"

    pro_id = fields.Many2one(
        "clinic.pro", string="Professional", required=True, ondelete="restrict", index=True
    )
    name = fields.Char(related="pro_id.name", store=True, readonly=False)
    image_512 = fields.Image(related="pro_id.image_512", readonly=False)
    slug = fields.Char(
        string="URL Slug",
        required=True,
        copy=False,
        help="The vet's page: /vets/<slug>. Lowercase letters, digits and hyphens.",
    )
    description = fields.Text(translate=True, help="A few lines shown on the vet's card and page.")
    location = fields.Char(help="Where the vet is, e.g. 'Gangnam, Seoul'.")
    latitude = fields.Float(digits=(10, 6))
    longitude = fields.Float(digits=(10, 6))
    appointment_type_id = fields.Many2one(
        "clinic.appointment.type",
        required=True,
        ondelete="restrict",
        help="What owners reserve with this vet: duration, working hours, notice.",
    )
    room_open = fields.Boolean(
        help="Online: the vet's room is open; the directory shows it live.",
    )
    active = fields.Boolean(default=True)

    _slug_uniq = models.Constraint("UNIQUE(slug)", "Another vet already uses this URL slug.")
    _pro_uniq = models.Constraint("UNIQUE(pro_id)", "A professional has one vet profile.")
    _coordinates = models.Constraint(
        "CHECK(latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)",
        "Latitude is between -90 and 90, longitude between -180 and 180.",
    )

    @api.constrains("slug")
    def _check_slug(self):
        for vet in self:
            if len(vet.slug) > SLUG_MAX_LENGTH or not SLUG_PATTERN.fullmatch(vet.slug):
                raise ValidationError(
                    self.env._(
                        "The URL slug '%(slug)s' is not valid: use lowercase letters, digits "
                        "and single hyphens, %(max)s characters at most.",
                        slug=vet.slug,
                        max=SLUG_MAX_LENGTH,
                    )
                )

    @api.constrains("pro_id", "appointment_type_id")
    def _check_type_pro(self):
        for vet in self:
            if vet.pro_id not in vet.appointment_type_id.pro_ids:
                raise ValidationError(
                    self.env._(
                        "%(vet)s must be a professional of the appointment type %(type)s.",
                        vet=vet.name,
                        type=vet.appointment_type_id.name,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_open_room(self):
        return self._set_room_open(True)

    def action_close_room(self):
        return self._set_room_open(False)

    def _set_room_open(self, room_open):
        """Open or close the vets' rooms; the directory's pages hear it at once."""
        for vet in self:
            vet.room_open = room_open
            self.env["bus.bus"]._sendone(
                DIRECTORY_CHANNEL, "clinic.vet/status", {"vet_id": vet.id, "online": room_open}
            )
        return True

    # ------------------------------------------------------------
    # DIRECTORY
    # ------------------------------------------------------------

    @api.model
    def _get_by_slug(self, slug):
        if not slug or not SLUG_PATTERN.fullmatch(slug):
            return self.browse()
        return self.search([("slug", "=", slug)], limit=1)

    @api.model
    def _search_directory(self, query=None, latitude=None, longitude=None, limit=200):
        """Active vets for the directory: filtered by name or place, sorted by
        distance from ``(latitude, longitude)`` when given.

        The distance (haversine, km) is computed in PostgreSQL: one query,
        whatever the number of vets.

        :return: ``[(vet, distance_km or None)]``
        """
        Vet = self.with_context(active_test=True)
        domain = [("active", "=", True)]
        if query:
            domain += ["|", ("name", "ilike", query), ("location", "ilike", query)]
        where = Vet._search(domain)
        if latitude is None or longitude is None:
            vets = Vet.search(domain, limit=limit)
            return [(vet, None) for vet in vets]
        distance = SQL(
            "2 * %(r)s * asin(sqrt(power(sin(radians(clinic_vet.latitude - %(lat)s) / 2), 2)"
            " + cos(radians(%(lat)s)) * cos(radians(clinic_vet.latitude))"
            " * power(sin(radians(clinic_vet.longitude - %(lon)s) / 2), 2)))",
            r=EARTH_RADIUS_KM,
            lat=latitude,
            lon=longitude,
        )
        rows = self.env.execute_query(
            SQL(
                "SELECT clinic_vet.id, %s AS distance FROM %s WHERE %s"
                " ORDER BY distance, id LIMIT %s",
                distance,
                where.from_clause,
                where.where_clause or SQL("TRUE"),
                limit,
            )
        )
        vets = Vet.browse([row[0] for row in rows])
        return list(zip(vets, [round(row[1], 1) for row in rows], strict=True))

    @api.model
    def _nearest_open(self, latitude, longitude, exclude=None, limit=3):
        """Open vets nearest to a place (or any open vets without one)."""
        result = self._search_directory(latitude=latitude, longitude=longitude, limit=200)
        vets = [(vet, distance) for vet, distance in result if vet.room_open and vet != exclude]
        return vets[:limit]

    def _card_values(self, distance=None):
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "location": self.location or "",
            "description": self.description or "",
            "online": self.room_open,
            "distance": distance,
            "image_url": f"/vets/{self.slug}/image",
        }

    # ------------------------------------------------------------
    # PHOTO PRE-SCREENING
    # ------------------------------------------------------------

    @api.model
    def _classifier_settings(self):
        ICP = self.env["ir.config_parameter"].sudo()
        return ICP.get_param("clinic_vet.classifier_url"), ICP.get_param(
            "clinic_vet.classifier_key"
        )

    @api.model
    def _prescreen(self, photo, mimetype):
        """Send a photo to the clinic's classifier.

        Request: ``POST <url>`` with ``Authorization: Bearer <key>`` and the
        image as the multipart file ``image``. Response: JSON
        ``{"labels": [{"label": "dermatitis", "confidence": 0.72}, ...]}``.

        :return: the three most confident labels ``[{label, confidence}]``,
            or None when pre-screening is off, slow, failing or answers
            nonsense (the booking goes on without it)
        """
        url, key = self._classifier_settings()
        if not url:
            return None
        try:
            response = requests.post(
                url,
                files={"image": ("photo", photo, mimetype)},
                headers={"Authorization": f"Bearer {key or ''}"},
                timeout=CLASSIFIER_TIMEOUT,
            )
            response.raise_for_status()
            labels = response.json()["labels"]
            result = [
                {"label": str(item["label"])[:100], "confidence": float(item["confidence"])}
                for item in labels
            ]
        except (requests.RequestException, ValueError, KeyError, TypeError) as error:
            _logger.warning("Photo pre-screening unavailable: %s", error)
            return None
        # A confidence outside [0, 1] (NaN included) discredits the whole answer.
        if not all(0 <= r["confidence"] <= 1 for r in result):
            _logger.warning("Photo pre-screening unavailable: a confidence is not in [0, 1]")
            return None
        return sorted(result, key=lambda r: -r["confidence"])[:3]
