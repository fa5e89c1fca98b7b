from . import clinic_auth_sms
