from . import test_queries
