"""OpenStreetMap ``opening_hours`` values -> Hours, read by opening-hours-py.

The library parses the whole OSM grammar and evaluates it; it does not hand out rules.
So the value is evaluated over two reference years, day by day, and read back as what our
listings can hold: the same hours on every given weekday of a month (a rule for whole
months becomes a season), the same in both years, and public holidays either like any other
day or closed (``PH off``). Anything else (sunrise, an open end, week numbers, dated days,
comments, « unknown ») is not representable and gives None: the import keeps the text
verbatim.
"""

import calendar
import datetime
import re
from collections import defaultdict
from functools import lru_cache

from opening_hours import OpeningHours, ParserError

from . import DAYS, Hours

# Two years whose 1 January falls on different weekdays, neither a leap year's oddity.
REFERENCE_YEARS = (2029, 2030)
# What the library evaluates without telling us (no position given: sunrise is 07:00, an
# open end "18:00+" is open until midnight): refused before evaluating.
# Rules for given years (« 2021 Apr 10-16 off ») are dated days, and public holidays with
# hours of their own (« PH 10:00-12:00 ») have no place in a weekly timetable either.
UNREPRESENTABLE = re.compile(
    r"sunrise|sunset|dawn|dusk|\d\+|\+\s*(?:$|[;,\"])|\bweek\b|\|\||\bunknown\b|\bSH\b|easter"
    r"|\b(?:19|20)\d\d\b|\bPH\b(?!\s*(?:off|closed)\b)",
    re.IGNORECASE,
)
MIDNIGHT = datetime.time(0)


class Unrepresentable(Exception):
    pass


def _clock(moment: datetime.datetime, day_end: datetime.datetime) -> str:
    return "24:00" if moment >= day_end else moment.strftime("%H:%M")


def _intervals(expression: OpeningHours, year: int) -> dict[datetime.date, tuple]:
    """{date: ((opens, closes), …)} of the open intervals of ``year``, cut at midnight."""
    start, end = datetime.datetime(year, 1, 1), datetime.datetime(year + 1, 1, 1)
    days: dict[datetime.date, list] = defaultdict(list)
    for begins, ends, state, comment in expression.intervals(start, end):
        state = str(state).rsplit(".", 1)[-1].lower()
        if comment or state == "unknown":
            raise Unrepresentable
        if state != "open":
            continue
        moment, ends = begins, min(ends or end, end)
        while moment < ends:
            day_end = datetime.datetime.combine(moment.date() + datetime.timedelta(1), MIDNIGHT)
            cut = min(ends, day_end)
            days[moment.date()].append((moment.strftime("%H:%M"), _clock(cut, day_end)))
            moment = cut
    return {day: tuple(spans) for day, spans in days.items()}


@lru_cache(maxsize=4)
def _holidays(year: int) -> frozenset[datetime.date]:
    """France's public holidays in ``year``, as the library knows them."""
    ph = OpeningHours("PH", country="FR")
    first = datetime.date(year, 1, 1)
    dates = (first + datetime.timedelta(n) for n in range(366))
    return frozenset(
        d
        for d in dates
        if d.year == year and ph.is_open(datetime.datetime(d.year, d.month, d.day, 12))
    )


def is_public_holiday(date: datetime.date) -> bool:
    """Whether ``date`` is a public holiday in France."""
    return date in _holidays(date.year)


def _month_patterns(expression: OpeningHours, year: int):
    """{(month, weekday): intervals} for ``year`` (every such day alike, holidays aside),
    and whether holidays are closed (True), like other days (False)."""
    spans = _intervals(expression, year)
    holidays = _holidays(year)
    patterns: dict[tuple[int, int], tuple] = {}
    for month in range(1, 13):
        for day in range(1, calendar.monthrange(year, month)[1] + 1):
            date = datetime.date(year, month, day)
            if date in holidays:
                continue
            key, value = (month, date.weekday()), spans.get(date, ())
            if patterns.setdefault(key, value) != value:
                raise Unrepresentable  # not the same every week of the month
    closed = usual = 0
    for date in holidays:
        regular, actual = patterns[(date.month, date.weekday())], spans.get(date, ())
        if actual == regular:
            usual += bool(regular)
        elif not actual:
            closed += 1
        else:
            raise Unrepresentable  # other hours on holidays
    if closed and usual:
        raise Unrepresentable  # closed on some holidays only
    holidays_closed = closed > 0
    return patterns, holidays_closed


def _season(months: list[int]) -> str:
    first, last = months[0], months[-1]
    return f"{first:02d}-01/{last:02d}-{calendar.monthrange(2024, last)[1]:02d}"


def _runs(months: set[int]) -> list[list[int]]:
    """Consecutive months, the year wrapping (Nov, Dec, Jan -> one run)."""
    ordered = sorted(months)
    runs: list[list[int]] = []
    for month in ordered:
        if runs and runs[-1][-1] == month - 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    if len(runs) > 1 and runs[0][0] == 1 and runs[-1][-1] == 12:
        runs[0] = runs.pop() + runs[0]
    return runs


@lru_cache(maxsize=4096)
def parse_osm(text: str) -> Hours | None:
    """The weekly hours an OSM ``opening_hours`` value says, or None when it says something
    else (or is not OSM syntax)."""
    text = (text or "").strip()
    if not text or UNREPRESENTABLE.search(text):
        return None
    try:
        expression = OpeningHours(text, country="FR")
        results = [_month_patterns(expression, year) for year in REFERENCE_YEARS]
    except (ParserError, SyntaxError, ValueError, Unrepresentable):
        return None
    if results[0] != results[1]:
        return None  # a rule naming a year
    patterns, holidays_closed = results[0]
    months_of: dict[tuple[int, str, str], set[int]] = defaultdict(set)
    for (month, weekday), spans in patterns.items():
        for opens, closes in spans:
            months_of[(weekday, opens, closes)].add(month)
    slots = []
    for (weekday, opens, closes), months in months_of.items():
        day = DAYS[weekday]
        if len(months) == 12:
            slots.append((day, opens, closes, None))
        else:
            slots += [(day, opens, closes, _season(run)) for run in _runs(months)]
    return Hours.checked(slots, holidays_closed)
