"""Offline gazetteer: communes by name or postal code, and the territory a point falls in."""

from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.utils.translation import gettext

from .distance import validate_coordinates
from .models import Commune, Departement, Region
from .places import nearest

MAX_RESULTS = 50


def search(query: str, limit: int = 10) -> list[Commune]:
    """Communes matching ``query`` (name prefix or postal code), best first, postal codes prefetched."""
    limit = max(1, min(int(limit), MAX_RESULTS))
    return list(
        Commune.objects.search(query)
        .select_related("departement")
        .prefetch_related("postal_codes")[:limit]
    )


def suggest(query: str, limit: int = 5) -> list[Commune]:
    """The communes whose names are closest to a misspelt one ("Bloiss" -> Blois), best first."""
    limit = max(1, min(int(limit), MAX_RESULTS))
    pks = nearest(query, limit)
    found = Commune.objects.defer("outline").prefetch_related("postal_codes").in_bulk(pks)
    return [found[pk] for pk in pks if pk in found]


def did_you_mean(query: str, limit: int = 3) -> str:
    """« Vouliez-vous dire Blois (41000) ? » for a place nobody could find, or "" if no
    commune comes close."""
    found = suggest(query, limit)
    if not found:
        return ""
    names = gettext(" ou ").join(c.label for c in found)
    return gettext("Vouliez-vous dire %(names)s ?") % {"names": names}


@dataclass(frozen=True)
class Place:
    """Where a point lies, administratively."""

    commune: Commune | None
    departement: Departement | None
    region: Region | None


def locate(latitude, longitude) -> Place:
    """Reverse geocoding: the commune, département and région containing a point."""
    lat, lon = validate_coordinates(latitude, longitude)
    point = Point(lon, lat, srid=4326)
    commune = Commune.objects.containing(point).select_related("departement__region").first()
    if commune:
        return Place(commune, commune.departement, commune.departement.region)
    # Outside every imported commune (sea, or a département not imported): the
    # département outlines may still answer.
    departement = Departement.objects.containing(point).select_related("region").first()
    return Place(None, departement, departement.region if departement else None)
