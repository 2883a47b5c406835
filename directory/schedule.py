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


def _moment_condition(moment: datetime.datetime):
    """Open at ``moment`` by its own hours (the actor is the query's row, OuterRef("pk")):
    a slot covers it and no exception closes it, or an exception opens it then."""
    local = moment.astimezone(PARIS)
    date, time = local.date(), local.time()
    exceptions = ScheduleException.objects.filter(actor=OuterRef("pk"), date=date)
    regular = Exists(_slots_on(date).filter(opens__lte=time, closes__gt=time)) & ~Exists(exceptions)
    special = Exists(exceptions.filter(closed=False, opens__lte=time, closes__gt=time))
    return regular | special


def _day_condition(date: datetime.date):
    """Open at some time on ``date`` by its own hours (OuterRef("pk") is the actor)."""
    exceptions = ScheduleException.objects.filter(actor=OuterRef("pk"), date=date)
    regular = Exists(_slots_on(date)) & ~Exists(exceptions.filter(closed=True))
    special = Exists(exceptions.filter(closed=False))
    return regular | special


def open_at(queryset, moment: datetime.datetime):
    """Actors open at ``moment`` (aware datetime): a slot covers it and no exception closes them,
    or an exception opens them at that time."""
    date = moment.astimezone(PARIS).date()
    return not_closed_on(queryset, date).filter(_moment_condition(moment))


def not_closed_on(queryset, date: datetime.date):
    """Without the actors closed for holidays on ``date`` ("fermé jusqu'au …", included),
    nor, on a public holiday, those closed on public holidays."""
    queryset = queryset.filter(Q(closed_until__isnull=True) | Q(closed_until__lt=date))
    if is_public_holiday(date):
        queryset = queryset.filter(closed_on_public_holidays=False)
    return queryset


def _next(weekday: int, today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=(weekday - today.weekday()) % 7)


def open_on(queryset, weekday: int, today: datetime.date):
    """Actors open at some time on the next ``weekday`` (0 = Monday) from ``today`` included."""
    date = _next(weekday, today)
    return not_closed_on(queryset, date).filter(_day_condition(date)), date


# --- Places, and producers reached through them ------------------------------------------
# A producer reached through a market, pick-up point or shop is there when *that place* is:
# on the link's day, the place open that day (a link without a day: goods on the shelf,
# while the place is open by its own hours). The producer's own farm hours say nothing
# about it; its closure (« fermé jusqu'au ») does. A pick-up point that keeps no weekly
# hours of its own is open when a published producer comes (a link that day). One rule for
# every output: the ranking, a territory's sellers, the markets API. Every condition is
# correlated to the row it filters, so it costs what the rows in range cost.


def _without_hours(date: datetime.date):
    """No weekly hours of its own, and no exception closing it on ``date``."""
    closed = ScheduleException.objects.filter(actor=OuterRef("pk"), date=date, closed=True)
    return ~Exists(OpeningSlot.objects.filter(actor=OuterRef("pk"))) & ~Exists(closed)


def _producers_come(**link_filters):
    from .models import DistributionLink, ModerationStatus

    return Exists(
        DistributionLink.objects.filter(
            place=OuterRef("pk"), actor__status=ModerationStatus.PUBLISHED, **link_filters
        )
    )


def places_open_on(places, weekday: int, today: datetime.date):
    """Actors of ``places`` open on the next ``weekday`` from ``today``: by their own hours
    (seasons, exceptions and closures included, as open_on), or, for a place with no weekly
    hours, when a published producer comes that day. Returns them and the date."""
    date = _next(weekday, today)
    served = _without_hours(date) & _producers_come(weekday=weekday)
    return not_closed_on(places, date).filter(_day_condition(date) | served), date


def places_open_at(places, moment: datetime.datetime):
    """Actors of ``places`` open at ``moment``: by their own hours, or, for a place with no
    weekly hours, while a published producer is there (a link that day, within its hours)."""
    local = moment.astimezone(PARIS)
    date, time = local.date(), local.time()
    served = _without_hours(date) & _producers_come(
        weekday=date.weekday(), starts__lte=time, ends__gt=time
    )
    return not_closed_on(places, date).filter(_moment_condition(moment) | served)


def _the_place():
    return Actor.objects.filter(pk=OuterRef("place_id"))


def links_open_on(links, weekday: int, today: datetime.date):
    """The DistributionLinks of ``links`` in use on the next ``weekday`` from ``today``: on
    that day at a place open that day, or without a day at a place open that day by its own
    hours. Returns them and the date."""
    on_the_day = Exists(places_open_on(_the_place(), weekday, today)[0])
    own_hours, date = open_on(_the_place(), weekday, today)
    return links.filter(
        Q(on_the_day, weekday=weekday) | Q(Exists(own_hours), weekday__isnull=True)
    ), date


def links_open_at(links, moment: datetime.datetime):
    """The DistributionLinks of ``links`` in use at ``moment``: that weekday, within the
    link's hours when it has them (at a place open that day), else while the place is open
    by its own hours; a link without a day, while the place is open by its own hours."""
    local = moment.astimezone(PARIS)
    date, time = local.date(), local.time()
    on_the_day = Exists(places_open_on(_the_place(), date.weekday(), date)[0])
    open_now = Exists(open_at(_the_place(), moment))
    timed = Q(starts__isnull=False, ends__isnull=False)
    that_day = Q(weekday=date.weekday()) & (
        (timed & Q(starts__lte=time, ends__gt=time) & Q(on_the_day)) | (~timed & Q(open_now))
    )
    return links.filter(that_day | Q(open_now, weekday__isnull=True))
