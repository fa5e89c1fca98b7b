from . import clinic_meeting
