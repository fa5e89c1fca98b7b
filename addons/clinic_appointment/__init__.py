from odoo.addons.clinic_meeting.tools import register_secret_path

from . import controllers, models

# /appointment/visit/<token>[/...]: the patient's links are their credential.
register_secret_path(r"(?P<prefix>/appointment/visit/)(?P<secret_token>[\w-]{20,128})")
