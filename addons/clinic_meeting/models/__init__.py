from . import clinic_pro
from . import clinic_meeting
from . import clinic_meeting_participant
from . import res_users
from . import ir_websocket
