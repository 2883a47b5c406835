"""Every geometry column has a live spatial index on both backends."""

import pytest
from django.apps import apps
from django.contrib.gis.db.models import GeometryField
from django.db import connection

from geodata.spatial import rtree_table
from geodata.spatialite import repair_spatial_indexes

pytestmark = pytest.mark.django_db


def spatial_fields():
    for model in apps.get_models():
        if model._meta.app_label not in ("geodata", "directory"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, GeometryField) and field.spatial_index:
                yield model, field


def test_there_are_indexed_geometry_columns():
    assert {(m.__name__, f.name) for m, f in spatial_fields()} >= {
        ("Actor", "location"),
        ("Actor", "public_location"),
        ("Commune", "outline"),
        ("Departement", "outline"),
    }


@pytest.mark.parametrize(
    "model, field",
    list(spatial_fields()),
    ids=lambda v: getattr(v, "__name__", getattr(v, "name", "")),
)
def test_spatial_index_covers_every_row(model, field, make_actor):
    make_actor()  # at least one actor: an empty table would prove nothing
    rows = model.objects.filter(**{f"{field.name}__isnull": False}).count()
    assert rows > 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = %s AND f_geometry_column = %s",
                [model._meta.db_table, field.column],
            )
            assert cursor.fetchone() == (1,)
            # An R-tree left without its triggers (e.g. by a table rebuild) silently
            # returns nothing: count its entries against the table.
            cursor.execute(f'SELECT COUNT(*) FROM "{rtree_table(model, field.name)}"')  # noqa: S608
            assert cursor.fetchone()[0] == rows
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [model._meta.db_table]
            )
            defs = [r[0] for r in cursor.fetchall()]
            assert any("USING gist" in d and f"({field.column})" in d for d in defs), defs


def test_a_lost_spatialite_index_is_rebuilt_after_migrate(make_actor):
    from directory.models import Actor

    first = make_actor(lat=47.9, lon=1.9)
    if connection.vendor != "sqlite":
        assert repair_spatial_indexes() == []  # PostGIS keeps its indexes by itself
        return
    with connection.cursor() as cursor:
        # What a table rebuild does to SpatiaLite: index disabled, triggers gone. (Public
        # searches read the public position's index.)
        cursor.execute("SELECT DisableSpatialIndex('directory_actor', 'public_location')")
    second = make_actor(lat=47.91, lon=1.91)
    assert list(Actor.objects.near((47.9, 1.9), 5)) == [first]  # the stale index misses it
    assert repair_spatial_indexes() == ["directory_actor.public_location"]
    assert list(Actor.objects.near((47.9, 1.9), 5)) == [first, second]
    assert repair_spatial_indexes() == []


def test_shapely_keeps_its_own_geos_after_spatialite_is_loaded():
    # mod_spatialite is loaded RTLD_GLOBAL; geodata.apps imports shapely first so its
    # bundled GEOS is not replaced by Debian's (which rejects 4-dimension WKB output).
    import shapely

    connection.ensure_connection()
    assert shapely.from_wkb(shapely.to_wkb(shapely.Point(1, 2))).equals(shapely.Point(1, 2))
