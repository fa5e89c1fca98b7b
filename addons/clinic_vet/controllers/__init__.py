from . import clinic_vet, portal
