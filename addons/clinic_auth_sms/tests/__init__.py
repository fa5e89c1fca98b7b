from . import test_clinic_auth_sms_concurrency
from . import test_clinic_auth_sms_queries
from . import test_clinic_auth_sms_send
from . import test_clinic_auth_sms_session
from . import test_clinic_auth_sms_twilio
from . import test_clinic_auth_sms_verify
from . import test_clinic_auth_sms_redirect
