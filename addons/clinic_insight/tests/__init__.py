from . import test_access
from . import test_estimate
from . import test_performance
from . import test_report
from . import test_status_http
