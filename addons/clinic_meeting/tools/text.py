"""What a person typed, made safe to store.

PostgreSQL refuses a NUL character in any text (and ``\\u0000`` in jsonb):
a value carrying one would make the request fail with a server error. Every
parser of the clinic's forms and JSON calls passes what it got through
``clean_text`` (or ``clean_json``) first; control characters other than
newlines and tabs are dropped, as nobody types them.
"""

import re

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """``value`` without control characters (a non-string is returned as is)."""
    return CONTROL.sub("", value) if isinstance(value, str) else value


def clean_json(value):
    """``clean_text`` through a JSON value's strings and keys."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): clean_json(item) for key, item in value.items()}
    return value
