"""Actor visibility and proximity, as QuerySet methods."""

from django.contrib.gis.db.models.functions import Distance, PointOnSurface
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce

from geodata.distance import bbox_around, validate_coordinates, validate_radius_km
from geodata.spatial import Latitude, Longitude, bbox_prefilter

from .choices import ModerationStatus


def as_point(point) -> Point:
    """A validated WGS84 Point from a Point or a (lat, lon) pair."""
    if isinstance(point, Point):
        if point.srid not in (None, 4326):
            point = point.transform(4326, clone=True)
        lat, lon = validate_coordinates(point.y, point.x)
    else:
        lat, lon = validate_coordinates(*point)
    return Point(lon, lat, srid=4326)


class ActorQuerySet(models.QuerySet):
    def from_source(self, source: str, keys):
        """Listings imported from ``source`` under these keys. The ``source_key <> ''`` term
        repeats the unique constraint's condition so SQLite uses that partial index."""
        return self.filter(~Q(source_key=""), source=source, source_key__in=keys)

    def published(self):
        """Listings the public may see."""
        return self.filter(status=ModerationStatus.PUBLISHED)

    def visible_to(self, user):
        """Published listings, plus the user's own, plus everything for staff who may view them."""
        if user is None or not user.is_authenticated:
            return self.published()
        if user.is_superuser or user.has_perm("directory.view_actor"):
            return self
        return self.filter(models.Q(status=ModerationStatus.PUBLISHED) | models.Q(owner=user))

    def with_places(self, *more):
        """Join the commune and département (plus ``more`` relations) without their outlines.

        Outlines are the heaviest columns of the database: a page of 100 listings
        dragged 90 ms of département polygons along on SpatiaLite for nothing.
        """
        relations = ("commune__departement", *more)
        outlines = ["commune__outline", "commune__departement__outline"]
        outlines += [f"{r}__outline" for r in more if r.startswith("commune__departement__")]
        return self.select_related(*relations).defer(*outlines)

    def with_public_coordinates(self):
        """Annotate ``lon`` and ``lat`` of the public pin (see ``Actor.public_location``).

        Read in the database: serialising hundreds of features then parses no geometry.
        """

        def coordinate(axis):
            # The town hall, else a point inside the commune's outline; the actor's own
            # position when neither gives a coordinate (no commune, empty or invalid
            # geometry): NULL never reaches a serializer.
            commune_point = Coalesce(
                axis("commune__townhall"), axis(PointOnSurface("commune__outline"))
            )
            return Coalesce(
                models.Case(
                    models.When(location_is_approximate=True, then=commune_point),
                    default=None,
                    output_field=models.FloatField(),
                ),
                axis("location"),
            )

        return self.annotate(lon=coordinate(Longitude), lat=coordinate(Latitude))

    def near(self, point, radius_km):
        """Actors within ``radius_km`` of ``point``, annotated with ``distance`` and nearest first.

        Two steps, both in the database: the spatial index keeps the rows inside a
        bounding box computed in metres, then the exact geodesic distance (on the
        ellipsoid, not a sphere) filters and orders them. Administrative borders play
        no part.
        """
        point = as_point(point)
        radius = validate_radius_km(radius_km)
        bbox = bbox_around(point.y, point.x, radius)
        return (
            bbox_prefilter(self, "location", bbox)
            .annotate(distance=Distance("location", point, spheroid=True))
            .filter(distance__lte=D(km=radius))
            .order_by("distance", "pk")
        )

    def near_metres(self, point, radius_km):
        """``near()`` with ``metres``, the same distance as a plain number: ranking hundreds of
        results then builds no ``Distance`` object per row."""
        return self.near(point, radius_km).annotate(
            metres=ExpressionWrapper(F("distance"), output_field=models.FloatField())
        )
