from odoo import fields, models
from odoo.tools import SQL

from .clinic_visit import new_token


class ClinicVisitAccessRequest(models.Model):
    """A patient's link opened by a new browser, waiting for the pro."""

    _name = "clinic.visit.access.request"
    _description = "Clinic Visit Device Request"
    _inherit = ["bus.listener.mixin"]
    _order = "id"

    participant_id = fields.Many2one(
        "clinic.visit.participant", required=True, ondelete="cascade", index=True
    )
    visit_id = fields.Many2one(related="participant_id.visit_id", store=True, index=True)
    guest_id = fields.Many2one("mail.guest", required=True, ondelete="cascade", string="New Device")
    token = fields.Char(
        default=lambda self: new_token(),
        required=True,
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The secret the waiting page listens with.",
    )
    state = fields.Selection(
        [("pending", "Waiting"), ("accepted", "Let in"), ("refused", "Refused")],
        default="pending",
        required=True,
        readonly=True,
    )
    decided_at = fields.Datetime(readonly=True)

    _token_uniq = models.Constraint("UNIQUE(token)", "Request tokens must be unique.")

    def _decide(self, accept):
        """The pro lets the new device in (the old one is let go) or refuses it.

        Of two decisions at the same instant, the first wins: the row lock is
        taken with an UPDATE, and the second sees the request decided.

        :return: the request's state after the call
        """
        self.ensure_one()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE clinic_visit_access_request SET write_date = write_date"
                " WHERE id = %s RETURNING state",
                self.id,
            )
        )
        (state,) = self.env.cr.fetchone()
        self.invalidate_recordset()
        if state != "pending":
            return state
        participant = self.participant_id
        visit = participant.visit_id
        now = fields.Datetime.now()
        if accept:
            old_guest = participant.guest_id
            participant.write(
                {"guest_id": self.guest_id.id, "bound_at": participant.bound_at or now}
            )
            meeting = visit.meeting_id
            if meeting and old_guest:
                # The old device leaves the call; the new one takes its place.
                meeting._lock_for_update()
                meeting.participant_ids.filtered(lambda p: p.guest_id == old_guest).write(
                    {"guest_id": self.guest_id.id, "left_at": now}
                )
                meeting._call_end_sessions()
                meeting._notify_changed()
            # The old device's page hears that it was replaced.
            visit._bus_send("clinic.visit/replaced", {"participant_id": participant.id})
        self.write({"state": "accepted" if accept else "refused", "decided_at": now})
        self.env["clinic.audit.log"]._log(
            "validated" if accept else "refused", visit, detail=f"device request {self.id}"
        )
        # Any other request for the same link is settled by this decision.
        self._bus_send("clinic.visit/request", {"request_id": self.id, "state": self.state})
        visit._notify_changed()
        return self.state

    def _room_values(self):
        self.ensure_one()
        return {
            "id": self.id,
            "participant_id": self.participant_id.id,
            "name": self.participant_id.name,
            "created_at": fields.Datetime.to_string(self.create_date),
        }
