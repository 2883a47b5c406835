"""Counting as it happens: one daily row per thing counted, incremented in the database.
Nothing identifying is written: no IP address, user agent, cookie or typed address."""

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


def record_page_view(page: str, entry: bool) -> None:
    bump(PageViewDay, {"day": today(), "page": page}, views=1, entries=int(entry))


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
