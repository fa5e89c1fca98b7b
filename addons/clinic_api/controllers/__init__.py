from . import routes
from . import main
