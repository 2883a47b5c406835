"""Opening rules: "open now" and "open on <day>", computed in Europe/Paris, seasons and exceptions included."""

import datetime
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Q

from . import clock
from .hours.osm import is_public_holiday
from .models import Actor, OpeningSlot, ScheduleException

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


# --- Reached through a place -------------------------------------------------------------
# A producer reached through a market or pick-up point is there when *that place* is: on
# the link's day, the place open that day. The producer's own hours (at the farm) say
# nothing about it. One rule for every output (the ranking, a territory's sellers).


def _without_hours(date: datetime.date):
    """Places keeping no weekly hours of their own (a pick-up point whose links give the
    day and hours) that nothing closes on ``date``."""
    closed = ScheduleException.objects.filter(actor=OuterRef("pk"), date=date, closed=True)
    return not_closed_on(Actor.objects.all(), date).filter(
        ~Exists(OpeningSlot.objects.filter(actor=OuterRef("pk"))), ~Exists(closed)
    )


def _places_open(date: datetime.date, opened):
    """The keys of the places open on ``date`` by ``opened`` (open_on or open_at applied to
    a queryset), or without hours of their own (_without_hours)."""
    return Actor.objects.filter(
        Q(pk__in=opened(Actor.objects.all()).values("pk"))
        | Q(pk__in=_without_hours(date).values("pk"))
    ).values("pk")


def places_open_on(places, weekday: int, today: datetime.date):
    """Markets and pick-up points of ``places`` open on the next ``weekday`` from ``today``:
    by their own hours (seasons, exceptions and closures included, as open_on), or, for a
    place with no weekly hours of its own, when a producer comes that day (its links give
    the day). Returns them and the date: the markets API and the ranking share this rule."""
    from .models import DistributionLink

    date = today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
    opened = open_on(Actor.objects.all(), weekday, today)[0].values("pk")
    served = DistributionLink.objects.filter(weekday=weekday).values("place_id")
    without_hours = _without_hours(date).values("pk")
    return places.filter(Q(pk__in=opened) | Q(pk__in=without_hours) & Q(pk__in=served)), date


def links_open_on(links, weekday: int, today: datetime.date):
    """The DistributionLinks of ``links`` in use on the next ``weekday`` from ``today``: on
    that day, at a place open that day. Returns them and the date."""
    date = today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
    places = _places_open(date, lambda qs: open_on(qs, weekday, today)[0])
    return links.filter(weekday=weekday, place__in=places), date


def links_open_at(links, moment: datetime.datetime):
    """The DistributionLinks of ``links`` in use at ``moment``: that weekday, within the
    link's hours when it has them, else while the place is open."""
    local = moment.astimezone(PARIS)
    date, time = local.date(), local.time()
    on_the_day = _places_open(date, lambda qs: open_on(qs, date.weekday(), date)[0])
    open_now = _places_open(date, lambda qs: open_at(qs, moment))
    timed = Q(starts__isnull=False, ends__isnull=False)
    within = Q(starts__lte=time, ends__gt=time)
    return links.filter(weekday=date.weekday()).filter(
        (timed & within & Q(place__in=on_the_day)) | (~timed & Q(place__in=open_now))
    )
