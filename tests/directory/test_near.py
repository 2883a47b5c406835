"""near(): geodesic proximity through the spatial index, blind to administrative borders."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import connection
from geopy.distance import geodesic

from directory.models import Actor, ModerationStatus
from geodata.gazetteer import locate
from tests.conftest import backend

pytestmark = pytest.mark.django_db

# Montargis area, on the Loiret (45, Centre-Val de Loire) / Yonne (89, Bourgogne-
# Franche-Comté) border: a département border that is also a region border.
CENTRE = (48.0, 2.95)


@pytest.fixture
def scattered(make_actor):
    rng = random.Random(45)
    actors = []
    for _ in range(300):
        lat = CENTRE[0] + rng.uniform(-0.6, 0.6)
        lon = CENTRE[1] + rng.uniform(-0.9, 0.9)
        actors.append(make_actor(lat=lat, lon=lon))
    return actors


def brute_force(actors, centre, radius_km):
    found = []
    for actor in actors:
        d = geodesic(centre, (actor.location.y, actor.location.x)).km
        if d <= radius_km:
            found.append((d, actor.pk))
    return [pk for _, pk in sorted(found)], {pk: d for d, pk in found}


@pytest.mark.parametrize("radius", [5, 20, 37.5, 60])
def test_near_matches_brute_force_geodesic(scattered, radius):
    expected, distances = brute_force(scattered, CENTRE, radius)
    result = list(Actor.objects.near(Point(CENTRE[1], CENTRE[0], srid=4326), radius))
    assert [a.pk for a in result] == expected
    for actor in result:
        # Geodesic on the ellipsoid on both backends, not a sphere (which errs by ~0.3 %).
        assert actor.distance.km == pytest.approx(distances[actor.pk], abs=0.001)


def test_near_crosses_departement_and_region_borders(scattered):
    results = list(Actor.objects.near(CENTRE, 40))
    departements = {locate(a.location.y, a.location.x).departement.code for a in results}
    assert {"45", "89"} <= departements
    regions = {locate(a.location.y, a.location.x).region.code for a in results}
    assert regions >= {"24", "27"}


def test_nearer_across_the_border_comes_first(make_actor):
    # Someone at Courtenay (Loiret, near the Yonne): the Yonne farm 5 km away comes
    # before the Loiret one 40 km away.
    here = (48.0390, 3.0580)
    yonne = make_actor(lat=48.0390, lon=3.1250, name="Ferme de l'Yonne")
    loiret = make_actor(lat=47.9400, lon=2.5350, name="Ferme du Loiret")
    assert locate(48.0390, 3.1250).departement.code == "89"
    assert locate(47.9400, 2.5350).departement.code == "45"
    assert [a.name for a in Actor.objects.near(here, 50)] == [yonne.name, loiret.name]


def test_near_accepts_a_lat_lon_pair_and_combines_with_other_filters(scattered):
    scattered[0].status = ModerationStatus.PENDING
    scattered[0].save()
    everything = Actor.objects.near(CENTRE, 100)
    published = Actor.objects.published().near(CENTRE, 100)
    assert everything.count() == published.count() + 1


def test_near_includes_the_exact_boundary_and_excludes_just_beyond(make_actor):
    # An actor due north at 10.000 km and one at 10.010 km.
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lon_in, lat_in, _ = geod.fwd(CENTRE[1], CENTRE[0], 0, 9_999)
    lon_out, lat_out, _ = geod.fwd(CENTRE[1], CENTRE[0], 0, 10_010)
    inside = make_actor(lat=lat_in, lon=lon_in)
    make_actor(lat=lat_out, lon=lon_out)
    assert [a.pk for a in Actor.objects.near(CENTRE, 10)] == [inside.pk]


@pytest.mark.parametrize(
    "point, radius",
    [
        (CENTRE, 0),
        (CENTRE, -3),
        (CENTRE, 10_000),
        (CENTRE, float("nan")),
        ((float("nan"), 2.0), 10),
        ((95.0, 2.0), 10),
        ((48.0, 190.0), 10),
    ],
)
def test_near_rejects_bad_input(point, radius):
    with pytest.raises(ValidationError):
        Actor.objects.near(point, radius)


def explain(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if backend(connection) == "spatialite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # With a few hundred rows PostgreSQL rightly prefers a sequential scan; forbid
        # it to prove the query *can* use the GiST index (it will at scale, see bench/).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_near_uses_the_spatial_index(scattered):
    plan = explain(Actor.objects.near(CENTRE, 20))
    if backend(connection) == "spatialite":
        assert "idx_directory_actor_public_location VIRTUAL TABLE INDEX" in plan, plan
        assert "SCAN directory_actor" not in plan, plan
    else:
        assert "directory_actor_public_location" in plan and "Index" in plan, plan
        assert "Seq Scan on directory_actor" not in plan, plan
