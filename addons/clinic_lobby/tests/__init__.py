from . import test_clinic_lobby
from . import test_check_in_http
from . import test_access
from . import test_concurrency
from . import test_performance
from . import test_audit
