from . import test_slots
from . import test_booking
from . import test_booking_http
from . import test_emails
from . import test_visit
from . import test_access
from . import test_concurrency
from . import test_performance
