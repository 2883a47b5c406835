"""Opening rules: "open now" and "open on <day>", computed in Europe/Paris, seasons and exceptions included."""

import datetime
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q

from . import clock
from .hours.osm import is_public_holiday
from .models import OpeningSlot, ScheduleException

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def paris_now(now: datetime.datetime | None = None) -> datetime.datetime:
    """The current time in Europe/Paris: ``now``, else the site's clock (directory.clock),
    the one the page cache expires by."""
    now = now or clock.now()
    return now.astimezone(PARIS)


def _slots_on(date: datetime.date):
    """OpeningSlot rows that apply on ``date`` (its weekday, its season)."""
    day = date.month * 100 + date.day
    slots = OpeningSlot.objects.filter(actor=OuterRef("pk"), weekday=date.weekday()).annotate(
        _start=F("season__start_month") * 100 + F("season__start_day"),
        _end=F("season__end_month") * 100 + F("season__end_day"),
    )
    in_season = (
        Q(season__isnull=True)
        | Q(_start__lte=F("_end")) & Q(_start__lte=day, _end__gte=day)
        | Q(_start__gt=F("_end")) & (Q(_start__lte=day) | Q(_end__gte=day))
    )
    return slots.filter(in_season)


def open_at(queryset, moment: datetime.datetime):
    """Actors open at ``moment`` (aware datetime): a slot covers it and no exception closes them,
    or an exception opens them at that time."""
    local = moment.astimezone(PARIS)
    date, time = local.date(), local.time()
    exceptions = ScheduleException.objects.filter(actor=OuterRef("pk"), date=date)
    regular = Exists(_slots_on(date).filter(opens__lte=time, closes__gt=time)) & ~Exists(exceptions)
    special = Exists(exceptions.filter(closed=False, opens__lte=time, closes__gt=time))
    return not_closed_on(queryset, date).filter(regular | special)


def not_closed_on(queryset, date: datetime.date):
    """Without the actors closed for holidays on ``date`` ("fermé jusqu'au …", included),
    nor, on a public holiday, those closed on public holidays."""
    queryset = queryset.filter(Q(closed_until__isnull=True) | Q(closed_until__lt=date))
    if is_public_holiday(date):
        queryset = queryset.filter(closed_on_public_holidays=False)
    return queryset


def open_on(queryset, weekday: int, today: datetime.date):
    """Actors open at some time on the next ``weekday`` (0 = Monday) from ``today`` included."""
    date = today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
    exceptions = ScheduleException.objects.filter(actor=OuterRef("pk"), date=date)
    regular = Exists(_slots_on(date)) & ~Exists(exceptions.filter(closed=True))
    special = Exists(exceptions.filter(closed=False))
    return not_closed_on(queryset, date).filter(regular | special), date
