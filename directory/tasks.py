"""Work that leaves the request through the task queue (settings.TASKS, ``db_worker``).

Arguments are plain JSON data (numbers, strings, lists): a task never depends on the
request that queued it, and runs the same a second later or an hour later. E-mails
themselves are queued by directory.mail; the tasks here do the lookups before them.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_login_link(email: str, next_path: str | None = None) -> None:
    """« Recevoir le lien »: the address is looked up here, so every request does the same."""
    from .registration import services

    services.send_login_link_to(email, next_path)


@task()
def send_fresh_link(pk: int, next_path: str | None = None) -> None:
    """« Recevoir un nouveau lien » on an expired link's page."""
    from .registration import services

    services.send_fresh_link(pk, next_path)


@task()
def subscribe_alert(
    email: str,
    place: str,
    longitude: float,
    latitude: float,
    radius_km: int,
    categories: list[str],
    language: str,
) -> None:
    """An alert request: looked up and answered by e-mail here, the same page for all."""
    from .alerts import services
    from .models import Category

    services.subscribe(
        email,
        place,
        Point(longitude, latitude, srid=4326),
        radius_km,
        list(Category.objects.filter(slug__in=categories)),
        language,
    )


# Refining a pin: a few tries while the geocoding service is unreachable, then give up
# (the pin stays at the town hall, flagged for the owner and the moderators to check).
REFINE_ATTEMPTS = 6
REFINE_FIRST_DELAY = 60


@task()
def refine_position(
    pk: int, query: str, longitude: float, latitude: float, attempt: int = 1
) -> str:
    """Move a pin placed at the commune's town hall (the service was slow or down during
    the request) to the geocoded address, if nobody has moved it since."""
    from geodata.geocoding import GeocodingError, precise_geocode

    from .models import Actor

    try:
        result = precise_geocode(query)
    except GeocodingError as exc:
        backend = refine_position.get_backend()
        if attempt >= REFINE_ATTEMPTS or not backend.supports_defer:
            logger.warning("Pin of listing %s not refined: %s", pk, exc)
            return "gave up"
        delay = REFINE_FIRST_DELAY * 2 ** (attempt - 1)
        refine_position.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue(
            pk, query, longitude, latitude, attempt + 1
        )
        return "retry"
    if result is None or result.approximate:
        return "not found"
    with transaction.atomic():
        actor = Actor.objects.select_for_update().filter(pk=pk).first()
        placed = Point(longitude, latitude, srid=4326)
        if (
            actor is None
            or actor.location_checked
            or actor.location is None
            or not actor.location.equals_exact(placed, tolerance=1e-9)
        ):
            return "moved meanwhile"
        actor.location = result.point
        actor._change_reason = "geocoded in the background"
        actor.save()
    return "refined"


def refine_later(actor, query: str) -> None:
    """Queue ``refine_position`` for a pin just saved at the town hall, with the BAN on."""
    if settings.TOUTPRES_GEOCODER["BACKEND"] == "offline" or actor.location is None:
        return
    if not refine_position.get_backend().supports_defer:
        # No worker (TASKS_BACKEND=immediate): asking again now would make the request wait
        # for the service a second time. The pin stays « à vérifier ».
        return
    refine_position.enqueue(actor.pk, query, actor.location.x, actor.location.y)
