from . import clinic_lobby
from . import portal
