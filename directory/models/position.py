"""The public position of a listing: its own position, or its commune's for a home-based
producer (``location_is_approximate``), whose house never leaves the staff and owner pages.

It is stored (``Actor.public_location``, spatially indexed) rather than computed per query,
so that every public computation (distance, ordering, bbox, clusters…) reads one column and
the private ``location`` cannot slip into one of them. The same rule is written twice, once
in Python (for a model being saved) and once in SQL (to refresh many rows after territories
or bulk writes change): tests prove they agree.
"""

from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import PointOnSurface, SnapToGrid
from django.contrib.gis.geos import Point
from django.db.models import Case, F, OuterRef, Subquery, When
from django.db.models.functions import Coalesce

# The fields a public position is derived from.
SOURCE_FIELDS = frozenset({"location", "location_is_approximate", "commune", "commune_id"})
# A home-based producer whose commune has neither town hall nor outline is shown on the
# nearest point of a 0.1° grid (about 11 × 7 km here): never their house.
GRID_DEGREES = 0.1


def commune_point():
    """SQL: a commune's public point, its town hall, else a point inside its outline."""
    return Coalesce("townhall", PointOnSurface("outline"), output_field=PointField(srid=4326))


def commune_points(commune_ids) -> dict:
    """{commune pk: public point} for these communes, in one query."""
    from geodata.models import Commune

    ids = {pk for pk in commune_ids if pk is not None}
    if not ids:
        return {}
    rows = Commune.objects.filter(pk__in=ids).annotate(point=commune_point())
    return dict(rows.values_list("pk", "point"))


def on_grid(point: Point) -> Point:
    """``point`` moved to the nearest node of the coarse grid (what SQL's ST_SnapToGrid does)."""
    return Point(
        round(point.x / GRID_DEGREES) * GRID_DEGREES,
        round(point.y / GRID_DEGREES) * GRID_DEGREES,
        srid=4326,
    )


def public_point(location, approximate: bool, commune_point_=None):
    """The public position for a private ``location``."""
    if location is None:
        return None
    if not approximate:
        return location.clone()  # its own object: editing one never moves the other
    if commune_point_ is not None and not commune_point_.empty:
        return commune_point_
    return on_grid(location)


def set_public_locations(actors) -> None:
    """Set ``public_location`` on these (unsaved or changed) actors, one query for all."""
    actors = list(actors)
    points = commune_points(a.commune_id for a in actors if a.location_is_approximate)
    for actor in actors:
        location = actor.location
        if location is not None and location.srid not in (None, 4326):
            location = location.transform(4326, clone=True)
        actor.public_location = public_point(
            location, actor.location_is_approximate, points.get(actor.commune_id)
        )


def public_location_sql():
    """SQL: the public position of each row, from its own columns and its commune's."""
    from geodata.models import Commune

    of_commune = Commune.objects.filter(pk=OuterRef("commune_id")).annotate(point=commune_point())
    return Case(
        When(
            location_is_approximate=True,
            then=Coalesce(
                Subquery(of_commune.values("point")[:1]),
                SnapToGrid("location", GRID_DEGREES),
                output_field=PointField(srid=4326),
            ),
        ),
        default=F("location"),
        output_field=PointField(srid=4326),
    )


def refresh_after_territories(sender, communes, **kwargs):
    """Receiver of geodata's ``territories_imported``: re-pin the home-based producers of
    the communes written (their town hall or outline may have moved)."""
    from .actor import Actor

    Actor.objects.filter(
        location_is_approximate=True, commune__in=communes
    ).refresh_public_locations()
