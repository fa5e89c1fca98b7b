from . import clinic_therapy_session
from . import clinic_therapy_assessment
from . import clinic_therapy_action
from . import clinic_therapy_consent
from . import clinic_meeting
from . import survey_user_input
