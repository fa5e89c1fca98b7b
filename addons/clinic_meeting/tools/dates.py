"""Dates and times for people, in the page's (or the email's) language.

Odoo's ``format_date`` takes a babel pattern, whose field order is the
pattern's, not the language's ("EEEE d MMMM y" reads wrong in Korean).
These helpers use CLDR's own formats instead: a day reads "Thursday,
December 3, 2026", "jeudi 3 décembre 2026", "jueves, 3 de diciembre de
2026" or "2026년 12월 3일 (목)"; a time "2:30 PM", "14:30" or "14:30".
"""

from babel.dates import format_date, format_skeleton, format_time

from odoo.tools.misc import babel_locale_parse

# Where a language's custom differs from CLDR's full date or short time.
DAY_SKELETONS = {"ko": "yMMMEd", "ja": "yMMMEd", "zh": "yMMMEd"}
TIME_SKELETONS = {"ko": "Hm"}


def _locale(env):
    return babel_locale_parse(env.lang or "en_US")


def format_day(env, day):
    """A date (``date``, or the date of a local ``datetime``) in full."""
    locale = _locale(env)
    value = day.date() if hasattr(day, "date") else day
    if skeleton := DAY_SKELETONS.get(locale.language):
        return format_skeleton(skeleton, value, locale=locale)
    return format_date(value, format="full", locale=locale)


def format_short_day(env, day):
    """A date without its year, short: "Thu, Dec 3", "jeu. 3 déc.", "12월 3일 (목)"."""
    value = day.date() if hasattr(day, "date") else day
    return format_skeleton("MMMEd", value, locale=_locale(env))


def format_clock(env, value):
    """The time of a local ``datetime`` (or a ``time``), as people read it."""
    locale = _locale(env)
    value = value.time() if hasattr(value, "time") else value
    if skeleton := TIME_SKELETONS.get(locale.language):
        return format_skeleton(skeleton, value, locale=locale)
    return format_time(value, format="short", locale=locale)
