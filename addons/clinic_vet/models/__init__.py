from . import clinic_vet
from . import clinic_appointment
from . import res_config_settings
