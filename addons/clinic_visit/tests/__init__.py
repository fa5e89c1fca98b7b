from . import test_visit
from . import test_visit_http
from . import test_access
from . import test_kill
from . import test_concurrency
from . import test_performance
