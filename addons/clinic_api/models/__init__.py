from . import res_users_apikeys
from . import clinic_api_key_wizard
from . import clinic_api_webhook
from . import clinic_api_delivery
from . import clinic_meeting
from . import clinic_visit
from . import clinic_appointment
