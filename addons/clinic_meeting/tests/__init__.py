from . import test_clinic_meeting
from . import test_meeting_call
