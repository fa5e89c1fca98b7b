from . import test_directory
from . import test_reservation
from . import test_prescreen
from . import test_access
from . import test_concurrency
from . import test_performance
