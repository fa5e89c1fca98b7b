from odoo.addons.clinic_meeting.tools import register_secret_path

from . import controllers
from . import models

register_secret_path(r"(?P<prefix>/lobby/[\w-]+/enter/)(?P<secret_token>[\w-]{20,128})")
