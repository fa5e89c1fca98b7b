from odoo.addons.clinic_meeting.tools import register_secret_path

from . import controllers, models

# /visit/<visit token>/<participant token>[/...]: the link is the credential.
register_secret_path(
    r"(?P<prefix>/visit/)(?P<secret_visit>[\w-]{43})(?P<slash>/)(?P<secret_participant>[\w-]{43})"
)
# A waiting device's status: /visit/<visit token>/request/status
register_secret_path(r"(?P<prefix>/visit/)(?P<secret_visit>[\w-]{43})(?P<rest>/request/)")
