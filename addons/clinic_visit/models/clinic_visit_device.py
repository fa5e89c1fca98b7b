from odoo import fields, models


class ClinicVisitDevice(models.Model):
    """A medical device of the clinic: to the browser, a camera or a microphone."""

    _name = "clinic.visit.device"
    _description = "Clinic Medical Device"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True, help="e.g. 'Otoscope'.")
    sequence = fields.Integer(default=10)
    kind = fields.Selection([("camera", "Camera"), ("microphone", "Microphone")], required=True)
    label = fields.Char(
        required=True,
        help="The name the browser gives the device (or a part of it), e.g. 'USB Camera 0c45'.",
    )
    instructions = fields.Text(translate=True, help="Shown when the device is chosen.")
    active = fields.Boolean(default=True)

    def _public_values(self):
        return [
            {
                "name": device.name,
                "kind": device.kind,
                "label": device.label,
                "instructions": device.instructions or "",
            }
            for device in self
        ]
