from .http import private_response
from .refused_queries import redact_refused_query
from .secret_paths import redact_secret_paths, register_secret_path
from .text import clean_json, clean_text
from .dates import format_clock, format_day, format_short_day
