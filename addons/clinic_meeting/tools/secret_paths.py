"""Keep the secrets of patients' links out of the server's request log.

Odoo's HTTP server logs every request line ("GET /path HTTP/1.1" 200 ...)
through the ``werkzeug`` logger. Links whose path is their credential (a
visit's or an appointment's token) must not land in log files: each module
registers the pattern of its links, and a filter on that logger replaces
the secret parts with ``<secret>`` before any handler sees the line.
"""

import logging
import re

_SECRET_PATHS = []


def redact_secret_paths(text):
    """``text`` with the secret parts of the registered paths replaced."""
    for pattern in _SECRET_PATHS:
        text = pattern.sub(
            lambda match: "".join(
                "<secret>" if name.startswith("secret") else value
                for name, value in match.groupdict().items()
            ),
            text,
        )
    return text


class SecretPathFilter(logging.Filter):
    """Redacts the request lines of the ``werkzeug`` logger."""

    def filter(self, record):
        if _SECRET_PATHS and isinstance(record.args, tuple):
            record.args = tuple(
                redact_secret_paths(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if _SECRET_PATHS and isinstance(record.msg, str):
            record.msg = redact_secret_paths(record.msg)
        return True


_FILTER = SecretPathFilter()


def register_secret_path(pattern):
    """Redact a kind of link in the request log.

    :param str pattern: a regular expression whose named groups, in order,
        cover the whole match; groups named ``secret...`` are replaced, e.g.
        ``r"(?P<prefix>/visit/)(?P<secret_visit>[\\w-]{43})"``
    """
    compiled = re.compile(pattern)
    if compiled.pattern not in {p.pattern for p in _SECRET_PATHS}:
        _SECRET_PATHS.append(compiled)
    logger = logging.getLogger("werkzeug")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
