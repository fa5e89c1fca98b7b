"""Keep patients' data out of the log of a query PostgreSQL refused.

When PostgreSQL refuses a statement, Odoo logs it at ERROR with its values
filled in (``odoo.sql_db``: "bad query: INSERT INTO ... VALUES ('Jane Doe',
'1984-03-12', ...)", then the error, whose DETAIL quotes the conflicting
key). Some refusals are expected and retried: two submissions of one
check-in form, one booking form or one batch of chat messages race on a
unique key, and the loser's INSERT carries the patient's name, email or
message. A filter on that logger keeps the statement, the error and the
constraint's name, and replaces the values: string literals by ``'?'``, the
values of a DETAIL by ``(?)``, a value the error quotes by ``"?"``.
"""

import logging
import re

# a string literal as psycopg2 writes it: '...' ('' for a quote), or E'...'
_LITERAL = re.compile(r"E?'(?:[^'\\]|''|\\.)*'", re.DOTALL)
# DETAIL:  Key (check_in_key)=(...) already exists. / Failing row contains (...).
_DETAIL_VALUES = re.compile(r"(\)=|Failing row contains )\((?:[^()]|\([^()]*\))*\)")
# a value quoted by an error: invalid input syntax for type date: "..."
# (names of constraints, columns and tables are quoted too, never after ": ")
_QUOTED_VALUE = re.compile(r': "(?:[^"]|"")*"')


def redact_refused_query(value):
    """``value`` (a statement or an error) without the values it carries."""
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode("utf-8", "replace")
    elif isinstance(value, Exception):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = _DETAIL_VALUES.sub(r"\1(?)", _LITERAL.sub("'?'", value))
    return _QUOTED_VALUE.sub(': "?"', value)


class RefusedQueryFilter(logging.Filter):
    """Redacts the "bad query" records of the ``odoo.sql_db`` logger."""

    def filter(self, record):
        if (
            isinstance(record.msg, str)
            and record.msg.startswith("bad query")
            and isinstance(record.args, tuple)
        ):
            record.args = tuple(redact_refused_query(arg) for arg in record.args)
        return True


_FILTER = RefusedQueryFilter()
_logger = logging.getLogger("odoo.sql_db")
if not any(isinstance(f, RefusedQueryFilter) for f in _logger.filters):
    _logger.addFilter(_FILTER)
