from odoo import fields, models

DOCUMENT_MAX_MB = 25


class ClinicVisitMessage(models.Model):
    """A message of a visit, or a document the pro shared in it.

    A document's content is kept in this table (not in the filestore), so
    that destroying the visit leaves nothing of it behind.
    """

    _name = "clinic.visit.message"
    _description = "Clinic Visit Message"
    _order = "id"

    visit_id = fields.Many2one("clinic.visit", required=True, ondelete="cascade", index=True)
    participant_id = fields.Many2one(
        "clinic.visit.participant", string="Author", required=True, ondelete="cascade"
    )
    body = fields.Text()
    file_name = fields.Char()
    file_mimetype = fields.Char()
    file_size = fields.Integer()
    file_data = fields.Binary(attachment=False, groups="base.group_system")

    def _document_max_size(self):
        mb = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("clinic_visit.document_max_mb", DOCUMENT_MAX_MB)
        )
        return mb * 1024 * 1024

    def _room_values(self, viewer):
        self.ensure_one()
        values = {
            "id": self.id,
            "author": self.participant_id.name,
            "author_role": self.participant_id.role,
            "mine": self.participant_id == viewer,
            "body": self.body or "",
            "date": fields.Datetime.to_string(self.create_date),
        }
        if self.file_size:
            values.update(
                file_name=self.file_name,
                file_size=self.file_size,
                url=f"{viewer._get_path()}/document/{self.id}",
            )
        return values
