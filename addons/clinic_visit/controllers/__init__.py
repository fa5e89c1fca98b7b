from . import clinic_visit, portal
