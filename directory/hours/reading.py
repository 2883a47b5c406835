"""The hours of one row of a partner's list, from whichever columns the mapping gives."""

import re

from ..plaintext import plain_text
from . import Hours
from .columns import DAY_FIELDS, days_in, from_columns
from .french import _plain, parse_french
from .osm import parse_osm

# Hours read from these words follow conventions (directory.hours.french): the listing
# keeps the source's own words beside them.
CONVENTIONAL = re.compile(r"matin|apres[- ]midi|soir|journee")
CLOCK = re.compile(r"\d\s?(?:h|:)|midi|minuit")
# Longer than any timetable: kept as it is (truncated), never parsed.
LONGEST = 1000


def read_hours(values: dict) -> tuple[Hours | None, str]:
    """(hours, text kept verbatim) for a row's mapped values: the day columns first, then
    the hours text (OpenStreetMap syntax, else French). The text is kept when it could not
    be read, or was read through the half-day conventions."""
    text = plain_text(values.get("opening_hours", ""), multiline=False).strip()
    hours = from_columns(values)
    if hours is None and text and len(text) <= LONGEST:
        hours = parse_osm(text) or parse_french(text)
    if hours is None:
        days = days_in(values) if any(f in values for f in DAY_FIELDS) else []
        return None, text or ", ".join(days)
    plain = _plain(text)
    if text and CONVENTIONAL.search(plain) and not CLOCK.search(plain):
        return hours, text
    return hours, ""
