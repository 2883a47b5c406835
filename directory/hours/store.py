"""Hours written to a listing as the seasons and weekly slots registration uses, and read
back in the same form (what an import compares, and restores on a rollback)."""

import calendar
import datetime

from django.utils.formats import date_format

from ..models import OpeningSlot, Season
from . import DAYS, Hours

# A slot closing at midnight: TimeField has no 24:00.
MIDNIGHT_CLOSE = datetime.time(23, 59)
MONTH_NAMES = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def _time(value: str) -> datetime.time:
    return MIDNIGHT_CLOSE if value == "24:00" else datetime.time.fromisoformat(value)


def _clock(value: datetime.time) -> str:
    return "24:00" if value == MIDNIGHT_CLOSE else value.strftime("%H:%M")


def _bounds(season: str) -> tuple[int, int, int, int]:
    start, end = season.split("/")
    (sm, sd), (em, ed) = (map(int, start.split("-")), map(int, end.split("-")))
    return sm, sd, em, ed


def season_name(season: str) -> str:
    """« d'avril à octobre » for whole months, else « du 15 avril au 15 octobre »."""
    sm, sd, em, ed = _bounds(season)
    if sd == 1 and ed == calendar.monthrange(2024, em)[1]:
        first = MONTH_NAMES[sm - 1]
        article = "d'" if first[0] in "aeiouyéè" else "de "
        return f"{article}{first} à {MONTH_NAMES[em - 1]}"
    dates = (datetime.date(2024, sm, sd), datetime.date(2024, em, ed))
    return "du {} au {}".format(*(date_format(d, "j F") for d in dates))


def write(actor, hours: Hours | None) -> None:
    """Replace the listing's seasons and weekly slots by ``hours`` (none: all removed)."""
    actor.opening_slots.all().delete()
    actor.seasons.all().delete()
    write_new([(actor, hours)])


def write_new(pairs) -> None:
    """The hours of listings that have none yet, (actor, Hours or None) pairs: their seasons
    (rare, one insert each) and every weekly slot in one insert."""
    slots = []
    for actor, hours in pairs:
        if hours is None:
            continue
        seasons = {}
        for season in sorted({s for *_rest, s in hours.slots if s}):
            sm, sd, em, ed = _bounds(season)
            seasons[season] = Season.objects.create(
                actor=actor,
                name=season_name(season)[:60],
                start_month=sm,
                start_day=sd,
                end_month=em,
                end_day=ed,
            )
        slots += [
            OpeningSlot(
                actor=actor,
                weekday=DAYS.index(day),
                opens=_time(opens),
                closes=_time(closes),
                season=seasons.get(season),
            )
            for day, opens, closes, season in hours.slots
        ]
    if slots:
        OpeningSlot.objects.bulk_create(slots)


def read(actor) -> dict | None:
    """The listing's weekly hours in Hours' JSON form, None when it has none."""
    slots = []
    for slot in actor.opening_slots.select_related("season"):
        season = None
        if slot.season is not None:
            s = slot.season
            season = f"{s.start_month:02d}-{s.start_day:02d}/{s.end_month:02d}-{s.end_day:02d}"
        slots.append((DAYS[slot.weekday], _clock(slot.opens), _clock(slot.closes), season))
    if not slots and not actor.closed_on_public_holidays:
        return None
    return Hours.of(slots, actor.closed_on_public_holidays).as_json()
