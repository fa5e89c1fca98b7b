from odoo import fields, models


class CalendarEvent(models.Model):
    _inherit = "calendar.event"

    clinic_appointment_id = fields.Many2one(
        "clinic.appointment",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        help="The video appointment this event shows in its pro's calendar.",
    )
