import base64
from datetime import timedelta
from urllib.parse import quote

from odoo import fields, http
from odoo.http import request
from odoo.tools import email_normalize
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.clinic_appointment.controllers.clinic_appointment import (
    format_start,
    parse_day,
    parse_start,
)
from odoo.addons.clinic_meeting.tools import clean_text, format_clock, format_day, format_short_day

from ..models.clinic_vet import DIRECTORY_CHANNEL


def _float(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


class ClinicVetController(http.Controller):
    """The public side of vet tele-consultations: the directory, each vet's
    page and timetable, and reserving (which needs the owner logged in)."""

    def _get_vet_sudo(self, slug):
        # sudo: clinic.vet - the directory is public; only active vets are found
        vet_sudo = request.env["clinic.vet"].sudo()._get_by_slug(slug)
        if not vet_sudo:
            raise request.not_found()
        return vet_sudo

    _parse_start = staticmethod(parse_start)
    _parse_date = staticmethod(parse_day)

    # ------------------------------------------------------------
    # DIRECTORY
    # ------------------------------------------------------------

    @http.route(
        "/vets",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
        readonly=True,
    )
    def vets(self, q="", lat=None, lon=None, **kwargs):
        """Every registered vet; ``q`` filters by name or place, ``lat`` and
        ``lon`` (the browser's position, asked for on *Near me*) sort by distance."""
        query = clean_text(q if isinstance(q, str) else "").strip()[:100]
        latitude, longitude = _float(lat, -90, 90), _float(lon, -180, 180)
        if latitude is None or longitude is None:
            latitude = longitude = None
        # sudo: clinic.vet - the directory is public
        found = request.env["clinic.vet"].sudo()._search_directory(query, latitude, longitude)
        return request.render(
            "clinic_vet.vet_directory",
            {
                "cards": [vet._card_values(distance) for vet, distance in found],
                "query": query,
                "near": latitude is not None,
                "directory_props": {"channel": DIRECTORY_CHANNEL},
            },
        )

    @http.route(
        "/vets/<string:slug>/image", type="http", auth="public", methods=["GET"], readonly=True
    )
    def vet_image(self, slug, **kwargs):
        """The vet's photo (public, as the directory)."""
        vet_sudo = self._get_vet_sudo(slug)
        data = vet_sudo.image_512
        if not data:
            return request.redirect("/web/static/img/placeholder.png")
        image = base64.b64decode(data)
        return request.make_response(
            image,
            headers=[
                ("Content-Type", guess_mimetype(image, default="image/png")),
                ("Cache-Control", "public, max-age=3600"),
            ],
        )

    @http.route(
        "/vets/<string:slug>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
        readonly=True,
    )
    def vet_page(self, slug, week=None, **kwargs):
        """The vet's page and the week's timetable (``?week=YYYY-MM-DD``, any
        day of that week)."""
        vet_sudo = self._get_vet_sudo(slug)
        appointment_type = vet_sudo.appointment_type_id
        first_day, last_day = appointment_type._get_bookable_days()
        this_monday = first_day - timedelta(days=first_day.weekday())
        monday = this_monday
        asked = self._parse_date(week)
        if asked:
            monday = max(this_monday, asked - timedelta(days=asked.weekday()))
        monday = min(monday, last_day - timedelta(days=last_day.weekday()))
        sunday = monday + timedelta(days=6)
        slots = appointment_type._get_slots(monday, sunday)
        days = []
        for offset in range(7):
            day = monday + timedelta(days=offset)
            day_slots = [
                {
                    **slot,
                    "param": format_start(slot["start"]),
                    "time_label": format_clock(request.env, slot["local"]),
                }
                for slot in slots
                if slot["local"].date() == day
            ]
            days.append(
                {
                    "date": day,
                    "label": format_short_day(request.env, day),
                    "slots": day_slots,
                }
            )
        return request.render(
            "clinic_vet.vet_page",
            {
                "vet": vet_sudo,
                "days": days,
                "tz": appointment_type.tz or "UTC",
                "previous_week": monday - timedelta(days=7) if monday > this_monday else None,
                "next_week": monday + timedelta(days=7) if sunday < last_day else None,
                "directory_props": {"channel": DIRECTORY_CHANNEL},
            },
        )

    # ------------------------------------------------------------
    # RESERVING
    # ------------------------------------------------------------

    def _render_form(self, vet_sudo, slot, values=None, errors=None, status=200):
        return request.render(
            "clinic_vet.vet_reserve",
            {
                "vet": vet_sudo,
                "slot": slot,
                "start_param": format_start(slot["start"]),
                "when": f"{format_day(request.env, slot['local'])}, "
                f"{format_clock(request.env, slot['local'])}",
                "tz": vet_sudo.appointment_type_id.tz or "UTC",
                "values": values or {},
                "errors": errors or {},
                "species": request.env["clinic.appointment"]._fields["pet_species"].selection,
                "prescreening": bool(request.env["clinic.vet"]._classifier_settings()[0]),
                "booking_key": request.env["clinic.appointment"]._new_booking_key(),
            },
            status=status,
        )

    def _back_to_week(self, vet_sudo, start, error):
        # the clinic's date: a time early on a Monday in Seoul is a Sunday in UTC
        week = vet_sudo.appointment_type_id._to_local(start).date().isoformat() if start else ""
        return request.redirect(
            f"/vets/{vet_sudo.slug}?week={week}&error={quote(error)}#timetable", local=True
        )

    @http.route(
        "/vets/<string:slug>/reserve",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def vet_reserve_form(self, slug, start=None, **kwargs):
        """The reservation form for one time; a visitor logs in first (phone
        and SMS code) and comes back to the same choice."""
        vet_sudo = self._get_vet_sudo(slug)
        start_dt = self._parse_start(start)
        if request.env.user._is_public():
            back = f"/vets/{vet_sudo.slug}/reserve?start={start or ''}"
            return request.redirect(f"/patient/login?redirect={quote(back)}", local=True)
        if not start_dt:
            raise request.not_found()
        slot, error = vet_sudo.appointment_type_id._check_slot(start_dt)
        if error:
            return self._back_to_week(vet_sudo, start_dt, error)
        return self._render_form(vet_sudo, slot)

    @http.route(
        "/vets/<string:slug>/reserve",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def vet_reserve(self, slug, start=None, booking_key="", **post):
        """Reserve: the pet, the problem, an optional photo. CSRF is checked by
        the route."""
        vet_sudo = self._get_vet_sudo(slug)
        start_dt = self._parse_start(start)
        if not start_dt:
            raise request.not_found()
        Appointment = request.env["clinic.appointment"]
        photo_upload = request.httprequest.files.get("photo")
        photo_file = (
            (photo_upload.filename, photo_upload.mimetype, photo_upload.read())
            if photo_upload
            else None
        )
        vals, photo, errors = Appointment._parse_reservation(post, photo_file)
        if errors:
            slot, slot_error = vet_sudo.appointment_type_id._check_slot(start_dt)
            if slot_error:
                return self._back_to_week(vet_sudo, start_dt, slot_error)
            return self._render_form(vet_sudo, slot, post, errors, status=400)
        partner = request.env.user.partner_id
        # _book checks the time itself, after looking for a first submission
        # of this form (a double click finds its reservation, not a taken time)
        appointment, errors = Appointment._book(
            vet_sudo.appointment_type_id,
            start_dt,
            name=partner.name,
            # An account's email that is not one (e.g. "bob@localhost") is left
            # out: the owner then gets the confirmation by SMS.
            email=email_normalize(partner.email or "") or "",
            comment=vals.get("pet_problem"),
            booking_key=(booking_key or "")[:64] or None,
            partner=partner,
            extra_values={**vals, "vet_id": vet_sudo.id},
        )
        if errors.get("slot"):
            return self._back_to_week(vet_sudo, start_dt, errors["slot"])
        if errors:
            slot, _slot_error = vet_sudo.appointment_type_id._check_slot(start_dt)
            return self._render_form(vet_sudo, slot, post, errors, status=400)
        if photo and appointment.prescreen_state == "none":
            appointment._attach_photo(photo)
        return request.redirect(f"/my/vet/{appointment.id}?new=1")

    # ------------------------------------------------------------
    # THE OWNER'S RESERVATIONS
    # ------------------------------------------------------------

    def _get_reservation(self, reservation_id):
        """A reservation of the caller (owner) or with the caller (vet)."""
        # sudo: clinic.appointment - checked right below against the caller
        reservation_sudo = request.env["clinic.appointment"].sudo().browse(reservation_id).exists()
        if not reservation_sudo or not reservation_sudo.vet_id:
            raise request.not_found()
        role = reservation_sudo._room_role(request.env.user)
        if not role:
            raise request.not_found()
        return reservation_sudo, role

    @http.route("/my/vet", type="http", auth="user", methods=["GET"], website=True, sitemap=False)
    def my_vet(self, **kwargs):
        """My reservations, upcoming and past."""
        # sudo: clinic.appointment - the owner's own reservations
        reservations = (
            request.env["clinic.appointment"]
            .sudo()
            .search(
                [("partner_id", "=", request.env.user.partner_id.id), ("vet_id", "!=", False)],
                order="start desc",
            )
        )
        values = [r._my_vet_values() for r in reservations]
        upcoming = sorted(
            [v for v in values if not v["past"] and v["state"] == "confirmed"],
            key=lambda v: v["opens_at"],
        )
        past = [v for v in values if v not in upcoming]
        response = request.render(
            "clinic_vet.my_vet",
            {
                "page_name": "clinic_vet",
                "upcoming": upcoming,
                "past": past,
                "now": fields.Datetime.to_string(fields.Datetime.now()),
            },
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @http.route(
        "/my/vet/<int:reservation_id>",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def my_vet_reservation(self, reservation_id, new=None, **kwargs):
        """One reservation: its details, the pre-screening, nearby open vets."""
        reservation_sudo, role = self._get_reservation(reservation_id)
        vet = reservation_sudo.vet_id
        suggestions = []
        if reservation_sudo.prescreen_state == "done":
            suggestions = [
                v._card_values(distance)
                for v, distance in request.env["clinic.vet"]
                .sudo()
                ._nearest_open(vet.latitude, vet.longitude, exclude=vet)
            ]
        response = request.render(
            "clinic_vet.my_vet_reservation",
            {
                "page_name": "clinic_vet",
                "reservation": reservation_sudo,
                "role": role,
                "values": reservation_sudo._my_vet_values(),
                "new": bool(new),
                "suggestions": suggestions,
                "can_cancel": role == "owner" and reservation_sudo._owner_can_cancel(),
            },
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @http.route(
        "/my/vet/<int:reservation_id>/photo",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
        sitemap=False,
    )
    def my_vet_photo(self, reservation_id, **kwargs):
        """The reservation's photo, for its owner and its vet only."""
        reservation_sudo, _role = self._get_reservation(reservation_id)
        if not reservation_sudo.photo:
            raise request.not_found()
        photo = base64.b64decode(reservation_sudo.photo)
        return request.make_response(
            photo,
            headers=[
                ("Content-Type", guess_mimetype(photo, default="image/png")),
                ("Cache-Control", "no-store"),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )

    @http.route(
        "/my/vet/<int:reservation_id>/cancel",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def my_vet_cancel(self, reservation_id, **kwargs):
        """The owner cancels, up to the clinic's limit before the time."""
        reservation_sudo, role = self._get_reservation(reservation_id)
        if role != "owner":
            raise request.not_found()
        if reservation_sudo._owner_can_cancel():
            reservation_sudo.action_cancel(reason=request.env._("Cancelled by the owner."))
        return request.redirect(f"/my/vet/{reservation_sudo.id}")

    @http.route(
        "/my/vet/<int:reservation_id>/room",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def my_vet_room(self, reservation_id, **kwargs):
        """The room: the reservation's video call, for its owner and its vet,
        from 5 minutes before until its end and a grace period."""
        reservation_sudo, role = self._get_reservation(reservation_id)
        if not reservation_sudo._room_is_open():
            return request.render(
                "clinic_vet.vet_room_closed",
                {"reservation": reservation_sudo, "values": reservation_sudo._my_vet_values()},
                status=403,
            )
        meeting_sudo = reservation_sudo._enter_room(role)
        response = request.render(
            "clinic_vet.vet_room",
            {
                "reservation": reservation_sudo,
                "role": role,
                "video_props": {
                    "meetingId": meeting_sudo.id,
                    "role": "pro" if role == "vet" else "patient",
                },
            },
        )
        response.headers["Cache-Control"] = "no-store"
        return response
