"""Per-weekday columns -> Hours: a column per day (« LUNDI » … « DIMANCHE ») holding 0/1,
oui/non, x, or the day's hours (« 8h-13h »), with opening and closing hour columns beside
them: for every day, for the weekdays, for Saturday, for Sunday (the shape of Paris's list
of open-air markets)."""

import re

from . import DAYS, Hours
from .french import Unreadable, _clock, parse_french

# Mapping fields (directory.imports.mapping): one per weekday, then the hour columns.
DAY_FIELDS = tuple(f"day_{day}" for day in DAYS)
HOUR_FIELDS = (
    "opens",
    "closes",
    "opens_weekdays",
    "closes_weekdays",
    "opens_saturday",
    "closes_saturday",
    "opens_sunday",
    "closes_sunday",
)
YES = {"1", "oui", "o", "x", "yes", "y", "true", "vrai", "ouvert"}
NO = {"", "0", "non", "n", "no", "false", "faux", "ferme", "fermé", "-"}
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def _group(day_index: int) -> str:
    return "weekdays" if day_index < 5 else ("saturday" if day_index == 5 else "sunday")


def _hours_for(values: dict, day_index: int) -> tuple[str, str] | None:
    group = _group(day_index)
    for opens_field, closes_field in ((f"opens_{group}", f"closes_{group}"), ("opens", "closes")):
        opens, closes = (
            (values.get(opens_field) or "").strip(),
            (values.get(closes_field) or "").strip(),
        )
        if opens or closes:
            if not (opens and closes):
                raise Unreadable("half an interval")
            return _clock(opens), _clock(closes)
    return None


def days_in(values: dict) -> list[str]:
    """The French names of the days the columns mark open (for the verbatim text)."""
    return [
        FRENCH_DAYS[i]
        for i, field in enumerate(DAY_FIELDS)
        if (values.get(field) or "").strip().lower() not in NO
    ]


def from_columns(values: dict) -> Hours | None:
    """The weekly hours the day and hour columns of one row say; None when a day is marked
    without hours (or anything cannot be read)."""
    if not any(field in values for field in DAY_FIELDS):
        return None
    slots = []
    try:
        for index, field in enumerate(DAY_FIELDS):
            raw = (values.get(field) or "").strip()
            flag = raw.lower()
            if flag in NO:
                continue
            if flag in YES:
                span = _hours_for(values, index)
                if span is None:
                    return None  # open that day, at hours the file does not say
                slots.append((DAYS[index], *span, None))
                continue
            # The day's hours written in the day's column (no timetable is that long).
            if len(raw) > 200:
                return None
            parsed = parse_french(f"{FRENCH_DAYS[index]} {raw}")
            if parsed is None or re.fullmatch(r"\d+", flag):
                return None
            slots += list(parsed.slots)
    except Unreadable:
        return None
    for _day, opens, closes, _season in slots:
        if closes <= opens and closes != "24:00":
            return None
    return Hours.checked(slots)
