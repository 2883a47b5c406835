"""Counting as it happens: one daily row per thing counted, incremented in the database.
Nothing identifying is written: no IP address, user agent, cookie or typed address.

Page views, one per public HTML page served, are counted in the shared cache first (an
atomic ``incr`` per day, page and counter) and flushed into PageViewDay in batches
(flush_page_views: the ``flush_page_views`` command on a timer, the first page view every
PAGE_VIEWS_FLUSH_SECONDS, and the staff figures before they are read), so a page view
costs a cache increment, not a database write."""

import datetime
import logging
import random
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from geodata.text import normalize

from .. import clock
from ..models import PageViewDay, SearchDay

PRODUCT_LENGTH = 80


def bump(model, lookup: dict, **increments) -> None:
    """Adds ``increments`` to the row ``lookup`` designates, creating it if needed."""
    rows = model.objects.filter(**lookup)
    expressions = {name: F(name) + value for name, value in increments.items()}
    if rows.update(**expressions):
        return
    try:
        with transaction.atomic():
            model.objects.create(**lookup, **increments)
    except IntegrityError:  # another request created the row in between
        rows.update(**expressions)


def today():
    return timezone.localtime(clock.now()).date()


# Counts wait in the cache at most this long; flush_page_views reads back as many days.
PENDING_DAYS = 7
FLUSH_LOCK = "pageviews:flushing"
FLUSH_DUE = "pageviews:flush-due"


# Each counter is spread over a few cache entries, one drawn at random per view: with the
# database cache, views of one page from every server process would otherwise queue for
# the lock of one row. The flush adds them up.
SHARDS = 8


def _pending_key(day: datetime.date, page: str, field: str, shard: int = 0) -> str:
    return f"pageviews:{day.isoformat()}:{page}:{field}:{shard}"


def _cache_incr(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # the day's first view of this page (another process may add it first)
        if not cache.add(key, 1, (PENDING_DAYS + 1) * 86400):
            cache.incr(key)


def record_page_view(page: str, entry: bool) -> None:
    """One page view, counted in the shared cache; flushed into PageViewDay later."""
    day = today()
    shard = random.randrange(SHARDS)  # noqa: S311 (spreading, not secrecy)
    _cache_incr(_pending_key(day, page, "views", shard))
    if entry:
        _cache_incr(_pending_key(day, page, "entries", shard))
    every = getattr(settings, "TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS", 60)
    if every > 0 and _flush_check_due(every) and cache.add(FLUSH_DUE, 1, every):
        flush_page_views()  # one request per period flushes


# When this process next asks the shared cache whether a flush is due: once per period
# per process, not on every view (with the database cache, an ``add`` is a transaction
# and a COUNT(*) of the cache table).
_next_flush_check = 0.0


def _flush_check_due(every: int) -> bool:
    global _next_flush_check
    now = time.monotonic()
    if now < _next_flush_check:
        return False
    _next_flush_check = now + every
    return True


def page_names() -> list[str]:
    from .middleware import PAGES

    return sorted({*PAGES.values(), "autre"})


def flush_page_views() -> int:
    """Moves the page views counted in the cache into PageViewDay; returns how many.

    One process at a time (a cache lock). For each counter, the count read is subtracted
    from the cache atomically (``decr``) before it is added to the table, so views counted
    meanwhile stay in the cache for the next flush: none lost, none counted twice. If the
    table write fails, the count is given back to the cache.
    """
    if not cache.add(FLUSH_LOCK, 1, 300):
        return 0  # another process is flushing
    moved = 0
    try:
        last = today()
        days = [last - datetime.timedelta(days=n) for n in range(PENDING_DAYS)]
        fields = ("views", "entries")
        keys = {
            (day, page): {
                (field, shard): _pending_key(day, page, field, shard)
                for field in fields
                for shard in range(SHARDS)
            }
            for day in days
            for page in page_names()
        }
        pending = cache.get_many([key for names in keys.values() for key in names.values()])
        for (day, page), names in keys.items():
            found = {part: int(pending.get(key) or 0) for part, key in names.items()}
            if not any(found.values()):
                continue
            taken = {}
            try:
                for part, count in found.items():
                    if count:
                        cache.decr(names[part], count)
                        taken[part] = count
                counts = {f: sum(c for (g, _), c in found.items() if g == f) for f in fields}
                bump(PageViewDay, {"day": day, "page": page}, **counts)
                moved += counts["views"]
            except Exception:  # noqa: BLE001 - given back: the next flush retries
                for part, count in taken.items():
                    cache.incr(names[part], count)
                logging.getLogger(__name__).exception("page views of %s %s not flushed", day, page)
    finally:
        cache.delete(FLUSH_LOCK)
    return moved


def record_search(place: str, product: str, found: int) -> None:
    """``place``: the commune label of the point searched around (or the territory chosen);
    ``product``: the words searched for, normalised, or the categories chosen."""
    bump(
        SearchDay,
        {"day": today(), "place": place[:120], "product": product_key(product)},
        searches=1,
        empty=int(found == 0),
    )


def product_key(text: str) -> str:
    return normalize(text)[:PRODUCT_LENGTH]
