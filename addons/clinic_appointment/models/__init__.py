from . import calendar_event
from . import clinic_appointment_type
from . import clinic_appointment
from . import clinic_meeting
from . import clinic_pro
