def format_datetime(value):
    """An Odoo (naive UTC) datetime as RFC 3339, or None: how the partner API
    and its webhooks write times."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
