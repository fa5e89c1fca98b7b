from . import test_actions
from . import test_visibility
from . import test_http
from . import test_research
from . import test_access
from . import test_assessments
from . import test_concurrency
from . import test_performance
