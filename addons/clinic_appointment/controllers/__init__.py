from . import clinic_appointment, portal
