from . import test_clinic_meeting
