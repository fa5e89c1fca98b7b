from . import clinic_lobby
from . import clinic_meeting
from . import clinic_pro
from . import ir_websocket
from . import res_config_settings
