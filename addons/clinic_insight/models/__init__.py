from . import clinic_lobby
from . import clinic_meeting
from . import clinic_pro
from . import clinic_insight_visit
from . import ir_websocket
