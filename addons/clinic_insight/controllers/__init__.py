from . import clinic_insight
