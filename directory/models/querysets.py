"""Actor visibility and proximity, as QuerySet methods."""

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db import models, transaction
from django.db.models import ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Round

from geodata.distance import bbox_around, validate_coordinates, validate_radius_km
from geodata.spatial import (
    BOUND_BOX,
    Bound,
    BoundPoint,
    Latitude,
    Longitude,
    bbox_prefilter,
)

from .. import bulk_insert
from ..dataversion import bump, is_public
from .choices import ModerationStatus
from .position import SOURCE_FIELDS, public_location_sql, set_public_locations

# What every public computation reads; ``location`` is for staff and owner pages only.
PUBLIC = "public_location"
# near(BOUND, …): the centre and radius are bound when the statement runs (see
# geodata.spatial.bind and bound_origin()), so a statement compiled once serves every search.
BOUND = "bound"
# pk lists of a bulk UPDATE are refreshed this many at a time (SQLite's variable limit).
REFRESH_CHUNK = 1000


def bound_origin(point, radius_km) -> dict:
    """The values of a ``near(BOUND, …)`` statement's slots for this centre and radius."""
    point = as_point(point)
    radius_km = validate_radius_km(radius_km)
    west, south, east, north = bbox_around(point.y, point.x, radius_km)
    return {
        "lon": point.x,
        "lat": point.y,
        "metres": radius_km * 1000.0,
        "west": west,
        "south": south,
        "east": east,
        "north": north,
    }


def public_metres(distance, approximate):
    """The distance shown to the public, from the exact ``distance`` (an expression, in
    metres): for a pin marked approximate (``approximate``, a condition), whole kilometres
    and never under 1 km. One definition for ``near_metres()`` and the ranking's SQL."""
    exact = ExpressionWrapper(distance, output_field=models.FloatField())
    kilometres = Greatest(
        Round(exact / Value(1000.0)), Value(1.0), output_field=models.FloatField()
    )
    return models.Case(
        models.When(approximate, then=kilometres * Value(1000.0)),
        default=exact,
        output_field=models.FloatField(),
    )


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
        """Annotate ``lon`` and ``lat`` of the public pin (``Actor.public_location``).

        Read in the database: serialising hundreds of features then parses no geometry.
        """
        return self.annotate(lon=Longitude(PUBLIC), lat=Latitude(PUBLIC))

    def near(self, point, radius_km, *, private=False):
        """Actors within ``radius_km`` of ``point``, annotated with ``distance`` and nearest first.

        Measured to the public pin; ``private=True`` measures to the private position, for
        staff pages only (duplicate detection). Two steps, both in the database: the spatial
        index keeps the rows inside a bounding box computed in metres, then the exact
        geodesic distance (on the ellipsoid, not a sphere) filters and orders them.
        Administrative borders play no part.

        ``point`` may be BOUND (``radius_km`` is then ignored): the centre, the radius and
        the box are slots of the compiled statement, bound by ``bound_origin()``'s values.
        """
        radius = Bound("metres") if point is BOUND else D(km=validate_radius_km(radius_km))
        return (
            self.around(point, radius_km, private=private)
            .filter(distance__lte=radius)
            .order_by("distance", "pk")
        )

    def around(self, point, radius_km, *, private=False):
        """The candidates of ``near()``: actors in the box around ``point``, annotated with
        their exact ``distance`` (in metres) but not yet cut to the radius.

        The ranking (directory/ranking.py) cuts them itself, so that the database computes
        each geodesic distance once: a filter on ``distance`` repeats the computation, and
        it is most of what a proximity search costs.
        """
        field = "location" if private else PUBLIC
        if point is BOUND:
            bbox, centre = BOUND_BOX, BoundPoint()
        else:
            centre = as_point(point)
            radius_km = validate_radius_km(radius_km)
            bbox = bbox_around(centre.y, centre.x, radius_km)
        return bbox_prefilter(self, field, bbox).annotate(
            distance=Distance(field, centre, spheroid=True)
        )

    def in_bbox(self, bbox):
        """Actors whose public pin is inside ``bbox`` (west, south, east, north), edges included.

        The spatial index keeps the candidates, then an exact test decides: both indexes
        store single-precision boxes rounded outwards, which let a pin some 30 cm outside
        the box in (enough, halving a box 20 times, to tell where a point is to the metre).
        """
        bbox = tuple(bbox)
        frame = Polygon.from_bbox(bbox)
        frame.srid = 4326
        return bbox_prefilter(self, PUBLIC, bbox).filter(**{f"{PUBLIC}__intersects": frame})

    def near_metres(self, point, radius_km):
        """``near()`` with ``metres``, the distance shown to the public, as a plain number
        (ranking hundreds of results then builds no ``Distance`` object per row).

        To a home-based producer it is the distance to the commune's pin in whole
        kilometres, never under 1 km (« environ 3 km »): nothing finer than the pin.
        """
        return self.near(point, radius_km).annotate(
            metres=public_metres(F("distance"), Q(location_is_approximate=True))
        )

    # Keeping the public position in step with every write of a position.

    def refresh_public_locations(self) -> int:
        """Recompute the public position of these actors in one UPDATE (after bulk writes,
        or when communes' town halls or outlines change). Returns the rows updated."""
        return self.update(public_location=public_location_sql())

    def stale_public_locations(self):
        """Actors whose stored public position is not what it should be (none, ever)."""
        return self.annotate(expected=public_location_sql()).exclude(
            public_location__equals=F("expected")
        )

    def refresh_category_keys(self) -> int:
        """Store these actors' category keys (after their categories changed). Returns the
        rows updated.

        Bumps nothing: the change of categories that calls for it already did, if the public
        sees the actor (directory.dataversion), and a registration nobody sees yet must not
        (QuerySet.update(), not this class's, which bumps on every call)."""
        return super().update(category_keys=_category_keys_sql(self.model))

    def stale_category_keys(self):
        """Actors whose stored category keys are not their categories' (none, ever)."""
        return self.annotate(expected=_category_keys_sql(self.model)).exclude(
            category_keys=F("expected")
        )

    # Every bulk write also bumps the data version (directory.dataversion): signals do not
    # see them, and the map's tiles and the home page's figures are cached under it.

    def update(self, **kwargs):
        """``QuerySet.update()`` that refreshes the public position of the rows it moves."""
        bump(self.db)
        if not (SOURCE_FIELDS & kwargs.keys()) or PUBLIC in kwargs:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            manager = self.model._default_manager.db_manager(self.db)
            for start in range(0, len(pks), REFRESH_CHUNK):
                manager.filter(pk__in=pks[start : start + REFRESH_CHUNK]).refresh_public_locations()
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        """``bulk_create()`` with the public positions computed first (one query)."""
        objs = list(objs)
        # As for a save: listings nobody sees yet (an import's pending ones) change nothing
        # public, and must not empty every cache kept under the data version.
        if any(is_public(obj) for obj in objs):
            bump(self.db)
        set_public_locations(objs)
        update_fields = kwargs.get("update_fields")
        if update_fields and SOURCE_FIELDS & set(update_fields):
            kwargs["update_fields"] = [*update_fields, PUBLIC]
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True

    def insert_new(self, objs):
        """``bulk_create()`` of new listings through directory.bulk_insert (imports): the
        same public positions and data version, without Django's cost per value."""
        self._for_write = True  # self.db: where writes go (not a read replica)
        objs = list(objs)
        if any(is_public(obj) for obj in objs):
            bump(self.db)
        set_public_locations(objs)
        return bulk_insert.insert(objs, using=self.db)

    insert_new.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        """``bulk_update()`` that writes the public position along with a changed position."""
        objs = list(objs)
        bump(self.db)
        if SOURCE_FIELDS & set(fields) and PUBLIC not in fields:
            set_public_locations(objs)
            fields = [*fields, PUBLIC]
        return super().bulk_update(objs, fields, *args, **kwargs)

    bulk_update.alters_data = True

    def delete(self):
        bump(self.db)
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


def _category_keys_sql(model):
    from .expressions import RelatedKeys

    return Coalesce(RelatedKeys(model, "categories"), Value(""), output_field=models.TextField())
