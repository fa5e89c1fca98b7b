from odoo.addons.clinic_meeting.tools import register_secret_path

from . import controllers, models

# The links of visits are their credential. A waiting device's status,
# /visit/<visit token>/request/status, first; then
# /visit/<visit token>/<participant token>[/...].
register_secret_path(r"(?P<prefix>/visit/)(?P<secret_visit>[\w-]{43})(?P<rest>/request/)")
# Any length for the second part: a link cut short must not leak the first.
register_secret_path(
    r"(?P<prefix>/visit/)(?P<secret_visit>[\w-]{43})(?P<slash>/)(?P<secret_participant>[\w-]+)"
)
