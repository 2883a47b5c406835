"""The figures, read from the daily counts, the moderation log and the listings."""

import statistics
from collections import defaultdict
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ..models import (
    Actor,
    ActorKind,
    EmbedView,
    ListingCountDay,
    ModerationEvent,
    ModerationStatus,
    PageViewDay,
    Partner,
    SearchDay,
)
from ..models.moderation import Event
from .counting import today
from .period import Period

DECISIONS = (Event.APPROVED, Event.REJECTED)


def _per_bucket(period: Period, model, fields: tuple[str, ...]) -> list[dict]:
    """Daily counters summed per day or week of the period, empty buckets included (a chart
    needs its zeros)."""
    rows = defaultdict(lambda: dict.fromkeys(fields, 0))
    for day, *counts in model.objects.filter(day__range=(period.start, period.end)).values_list(
        "day", *fields
    ):
        bucket = rows[period.bucket(day)]
        for field, count in zip(fields, counts, strict=True):
            bucket[field] += count
    return [{"bucket": b, "label": period.label(b), **rows[b]} for b in period.buckets()]


def visits(period: Period) -> list[dict]:
    return _per_bucket(period, PageViewDay, ("views", "entries"))


def pages(period: Period) -> list[dict]:
    return list(
        PageViewDay.objects.filter(day__range=(period.start, period.end))
        .values("page")
        .annotate(views=Sum("views"), entries=Sum("entries"))
        .order_by("-views", "page")
    )


def searches(period: Period) -> list[dict]:
    return _per_bucket(period, SearchDay, ("searches", "empty"))


def searches_by(period: Period, field: str, limit: int | None = 25) -> list[dict]:
    """Searches grouped by ``place`` or ``product``, most frequent first."""
    rows = (
        SearchDay.objects.filter(day__range=(period.start, period.end))
        .values(field)
        .annotate(searches=Sum("searches"), empty=Sum("empty"))
        .order_by("-searches", field)
    )
    return list(rows[:limit] if limit else rows)


def empty_searches(period: Period, limit: int | None = 50) -> list[dict]:
    """Searches that found nothing, by place and product: where producers are missing."""
    rows = (
        SearchDay.objects.filter(day__range=(period.start, period.end), empty__gt=0)
        .values("place", "product")
        .annotate(empty=Sum("empty"), searches=Sum("searches"))
        .order_by("-empty", "place", "product")
    )
    return list(rows[:limit] if limit else rows)


@transaction.atomic
def take_snapshot(day=None) -> int:
    """Today's counts of listings by kind, status and département (replaces the day's)."""
    day = day or today()
    rows = (
        Actor.objects.values("kind", "status", "commune__departement__code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    ListingCountDay.objects.filter(day=day).delete()
    ListingCountDay.objects.bulk_create(
        ListingCountDay(
            day=day,
            kind=row["kind"],
            status=row["status"],
            departement=row["commune__departement__code"] or "",
            count=row["n"],
        )
        for row in rows
    )
    return len(rows)


def listings_over_time(period: Period) -> list[dict]:
    """Published listings by kind at the end of each bucket (its last snapshot)."""
    totals: dict = defaultdict(lambda: defaultdict(int))
    last_day: dict = {}
    for day, kind, count in (
        ListingCountDay.objects.filter(
            day__range=(period.start, period.end), status=ModerationStatus.PUBLISHED
        )
        .values_list("day", "kind")
        .annotate(n=Sum("count"))
        .order_by("day")
    ):
        bucket = period.bucket(day)
        if last_day.get(bucket) != day:
            last_day[bucket] = day
            totals[bucket] = defaultdict(int)
        totals[bucket][kind] += count
    return [
        {
            "bucket": b,
            "label": period.label(b),
            "kinds": {k.value: totals[b].get(k.value) for k in ActorKind},
        }
        for b in period.buckets()
    ]


def listings_now() -> dict:
    """The latest snapshot: kind × status, and département × kind (published)."""
    latest = ListingCountDay.objects.order_by("-day").values_list("day", flat=True).first()
    rows = list(ListingCountDay.objects.filter(day=latest)) if latest else []
    by_status: dict = defaultdict(lambda: defaultdict(int))
    by_departement: dict = defaultdict(lambda: defaultdict(int))
    for row in rows:
        by_status[row.kind][row.status] += row.count
        if row.status == ModerationStatus.PUBLISHED:
            by_departement[row.departement or "—"][row.kind] += row.count
    return {
        "day": latest,
        "by_status": by_status,
        "by_departement": dict(sorted(by_departement.items())),
    }


def registrations(period: Period) -> list[dict]:
    """Registrations sent, decisions made and the time from one to the other, per bucket."""
    events = ModerationEvent.objects.filter(at__date__range=(period.start, period.end))
    rows = {b: {"submitted": 0, "decided": 0, "delays": []} for b in period.buckets()}
    for at in events.filter(action=Event.SUBMITTED).values_list("at", flat=True):
        rows[period.bucket(_local_day(at))]["submitted"] += 1
    decisions = list(
        events.filter(action__in=DECISIONS).exclude(actor=None).values_list("actor_id", "at")
    )
    submitted: dict = defaultdict(list)
    for actor_id, at in (
        ModerationEvent.objects.filter(
            action=Event.SUBMITTED, actor_id__in={a for a, _ in decisions}
        )
        .values_list("actor_id", "at")
        .order_by("at")
    ):
        submitted[actor_id].append(at)
    for actor_id, at in decisions:
        bucket = rows[period.bucket(_local_day(at))]
        bucket["decided"] += 1
        before = [s for s in submitted.get(actor_id, []) if s <= at]
        if before:
            bucket["delays"].append((at - before[-1]).total_seconds() / 3600)
    out = []
    for b in period.buckets():
        delays = rows[b]["delays"]
        out.append(
            {
                "bucket": b,
                "label": period.label(b),
                "submitted": rows[b]["submitted"],
                "decided": rows[b]["decided"],
                "median_hours": round(statistics.median(delays), 1) if delays else None,
                "mean_hours": round(statistics.fmean(delays), 1) if delays else None,
            }
        )
    return out


def _local_day(moment):
    return timezone.localtime(moment).date()


def embeds(period: Period) -> list[dict]:
    """Embedded map loads per partner site; the partner's name when its web site matches."""
    partners = {}
    for partner in Partner.objects.exclude(website=""):
        host = (urlsplit(partner.website).hostname or "").removeprefix("www.")
        if host:
            partners[host] = partner.name
    rows = (
        EmbedView.objects.filter(day__range=(period.start, period.end))
        .values("origin")
        .annotate(views=Sum("views"))
        .order_by("-views", "origin")
    )
    out = []
    for row in rows:
        host = (urlsplit(row["origin"]).hostname or "").removeprefix("www.")
        out.append(
            {"origin": row["origin"], "partner": partners.get(host, ""), "views": row["views"]}
        )
    return out
