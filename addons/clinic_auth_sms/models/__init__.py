from . import clinic_auth_sms_challenge
from . import clinic_auth_sms_lock
from . import ir_http
from . import res_config_settings
from . import res_partner
from . import res_users
