"""The map's tiles: each actor in exactly one tile, clusters from precomputed cells that
count what is there, 304s and cached tiles without reading the actor table, and « ouvert
maintenant » never served stale."""

import datetime
import random
from collections import Counter

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory import clock, dataversion
from directory.layer import (
    CELLS_PER_TILE,
    CLUSTER_BELOW_ZOOM,
    VERSIONED_MAX_AGE,
    tile_count,
    tile_degrees,
    tile_of,
)
from directory.layercells import FINEST, cell_degrees
from directory.models import (
    Actor,
    ActorKind,
    Category,
    LayerCell,
    ModerationStatus,
    OpeningSlot,
)
from geodata.models import Commune

pytestmark = pytest.mark.django_db
PARIS = datetime.timezone(datetime.timedelta(hours=1))  # a winter date: Paris is UTC+1
WEST, SOUTH, EAST, NORTH = 0.2, 46.5, 3.0, 48.8


def tile_url(z, x, y):
    return f"/api/v1/layer/{z}/{x}/{y}.geojson"


def tiles_covering(zoom, west=WEST, south=SOUTH, east=EAST, north=NORTH):
    x0, y0 = tile_of(west, south, zoom)
    x1, y1 = tile_of(east, north, zoom)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def features_in(client, zoom, tiles=None, **params):
    """{(x, y): features} of the tiles covering the test area."""
    out = {}
    for x, y in tiles or tiles_covering(zoom):
        response = client.get(tile_url(zoom, x, y), params)
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "application/geo+json"
        out[(x, y)] = response.json()["features"]
    return out


def on_edges(zoom):
    """Points exactly on tile and cell edges inside the test area."""
    size, cell = tile_degrees(zoom), cell_degrees(zoom)
    lon = (int((1.5 + 180) / size) * size) - 180  # a vertical tile edge
    lat = (int((47.5 + 90) / size) * size) - 90  # a horizontal one
    return [(lon, lat), (lon, lat + cell / 3), (lon + cell, lat), (lon - 1e-12, lat - 1e-12)]


@pytest.fixture
def spread(make_actor):
    rng = random.Random(5)
    actors = [
        make_actor(lat=rng.uniform(SOUTH, NORTH), lon=rng.uniform(WEST, EAST)) for _ in range(80)
    ]
    for zoom in (5, 6, 9, 12):
        actors += [
            make_actor(name=f"Bord {zoom} {lon} {lat}", lat=lat, lon=lon)
            for lon, lat in on_edges(zoom)
        ]
    return actors


@pytest.mark.parametrize("zoom", [5, 6, 8, 9, CLUSTER_BELOW_ZOOM - 1, 12, 14])
def test_every_actor_is_in_exactly_one_tile(client, spread, make_actor, zoom):
    make_actor(lat=47.5, lon=1.5, status=ModerationStatus.PENDING)  # never on the map
    # Every tile an actor could be in: its own and, for those on edges, the neighbours.
    wanted = set()
    for a in spread:
        x, y = tile_of(a.public_location.x, a.public_location.y, zoom)
        around = (
            [(0, 0)]
            if a.name.startswith("Ferme")
            else [(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)]
        )
        wanted |= {(x + i, y + j) for i, j in around}
    tiles = features_in(client, zoom, sorted(wanted))
    seen = Counter()
    clustered = 0
    for (x, y), features in tiles.items():
        size = tile_degrees(zoom)
        for f in features:
            lon, lat = f["geometry"]["coordinates"]
            # Rounded to 1e-5° in the output: a feature sits in its tile, give or take that.
            assert x * size - 180 - 1e-5 <= lon <= (x + 1) * size - 180 + 1e-5, (zoom, x, f)
            assert y * size - 90 - 1e-5 <= lat <= (y + 1) * size - 90 + 1e-5, (zoom, y, f)
            if f["properties"].get("cluster"):
                clustered += f["properties"]["count"]
            else:
                seen[f["properties"]["id"]] += 1
    assert not [pk for pk, n in seen.items() if n > 1], "an actor in two tiles"
    assert sum(seen.values()) + clustered == len(spread), (
        f"zoom {zoom}: {sum(seen.values())} markers + {clustered} in clusters, "
        f"for {len(spread)} published actors"
    )
    if zoom >= CLUSTER_BELOW_ZOOM:
        assert set(seen) == {a.pk for a in spread}


def cells_in_python(actors, zoom, kinds=None):
    """{(cx, cy): (count, mean lon, mean lat)} from the public pins, computed here."""
    cell = cell_degrees(zoom)
    sums = {}
    for a in actors:
        if kinds and a.kind not in kinds:
            continue
        p = a.public_location
        key = (int((p.x + 180) // cell), int((p.y + 90) // cell))
        n, sx, sy = sums.get(key, (0, 0.0, 0.0))
        sums[key] = (n + 1, sx + p.x, sy + p.y)
    return {k: (n, sx / n, sy / n) for k, (n, sx, sy) in sums.items()}


@pytest.mark.parametrize("zoom", [4, 7, FINEST, CLUSTER_BELOW_ZOOM - 1])
def test_clusters_count_what_is_there_at_the_mean_of_public_pins(client, spread, zoom):
    for a in spread[::3]:
        Actor.objects.filter(pk=a.pk).update(kind=ActorKind.SHOP)
    actors = list(Actor.objects.published())
    for kinds in (None, [ActorKind.SHOP]):
        expected = cells_in_python(actors, zoom, kinds)
        tiles = {(cx // CELLS_PER_TILE, cy // CELLS_PER_TILE) for cx, cy in expected}
        got = Counter()
        params = {"kind": kinds} if kinds else {}
        for features in features_in(client, zoom, sorted(tiles), **params).values():
            for f in features:
                got[(f["properties"]["count"], *f["geometry"]["coordinates"])] += 1
        want = Counter((n, round(lon, 5), round(lat, 5)) for n, lon, lat in expected.values())
        assert got == want, f"kinds {kinds}: clusters are not the counts and mean public pins"
    if zoom <= FINEST:
        assert LayerCell.objects.filter(zoom=zoom).exists(), "clusters not precomputed"


def test_a_cluster_of_one_home_producer_is_its_commune_pin(client, make_actor):
    commune = Commune.objects.get(code="41194")  # Romorantin-Lanthenay
    house = Point(1.78, 47.40, srid=4326)
    actor = make_actor(lat=house.y, lon=house.x, commune=commune, location_is_approximate=True)
    pin = actor.public_location
    assert pin.distance(house) > 0.01
    for zoom in (3, 8, 13):
        x, y = tile_of(pin.x, pin.y, zoom)
        (f,) = client.get(tile_url(zoom, x, y)).json()["features"]
        assert f["geometry"]["coordinates"] == [round(pin.x, 5), round(pin.y, 5)], zoom
        hx, hy = tile_of(house.x, house.y, zoom)
        if (hx, hy) != (x, y):
            assert client.get(tile_url(zoom, hx, hy)).json()["features"] == []


def test_filters_are_applied_to_tiles(client, make_actor):
    cheese = Category.objects.get(slug="fromage-laitier")
    a = make_actor(name="Chèvrerie du Loir", lat=47.70, lon=1.10)
    a.categories.add(cheese)
    make_actor(name="Maraîcher", lat=47.71, lon=1.11)
    make_actor(name="Marché", kind=ActorKind.MARKET, lat=47.72, lon=1.12)
    zoom = 8
    x, y = tile_of(1.1, 47.7, zoom)

    def total(**params):
        features = client.get(tile_url(zoom, x, y), params).json()["features"]
        return sum(f["properties"]["count"] for f in features)

    assert total() == 3
    assert total(category="fromage-laitier") == 1
    assert total(q="chevrerie") == 1
    assert total(kind="market") == 1
    assert total(kind=["market", "producer"]) == 3
    names = [
        f["properties"]["name"]
        for f in client.get(tile_url(13, *tile_of(1.1, 47.7, 13)), {"q": "loir"}).json()["features"]
    ]
    assert names == ["Chèvrerie du Loir"]


def no_actor_query(queries) -> list[str]:
    return [q["sql"] for q in queries if "directory_actor" in q["sql"]]


def test_304_and_cached_tiles_never_read_the_actor_table(client, spread):
    x, y = tile_of(1.5, 47.5, 7)
    first = client.get(tile_url(7, x, y), {"kind": "producer"})
    assert first.status_code == 200
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(tile_url(7, x, y), {"kind": "producer"}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert not no_actor_query(queries), f"the 304 read the actor table: {no_actor_query(queries)}"
    assert len(queries) == 1, "a 304 costs the data version's primary-key read, nothing more"
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(tile_url(7, x, y), {"kind": "producer"})
    assert cached.status_code == 200 and cached.content == first.content
    assert not no_actor_query(queries), f"the cached tile read the actor table: {queries}"
    # The same filters in another order are the same tile.
    assert (
        client.get(f"{tile_url(7, x, y)}?kind=producer&q=bio", HTTP_IF_NONE_MATCH=etag).status_code
        == 200
    ), "an extra filter must not match"
    # An empty search is no search: the same tile.
    assert (
        client.get(f"{tile_url(7, x, y)}?q=+&kind=producer", HTTP_IF_NONE_MATCH=etag).status_code
        == 304
    )


def test_a_write_gives_new_tiles(client, make_actor, django_capture_on_commit_callbacks):
    make_actor(lat=47.5, lon=1.5)
    x, y = tile_of(1.5, 47.5, 6)
    first = client.get(tile_url(6, x, y))
    assert first.json()["features"][0]["properties"]["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_actor(lat=47.51, lon=1.51)
    again = client.get(tile_url(6, x, y), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200, "the ETag survived a write"
    assert again.json()["features"][0]["properties"]["count"] == 2, "stale cells or cached tile"
    assert int(again["X-Data-Version"]) == int(first["X-Data-Version"]) + 1


def test_versioned_urls_are_cached_long_and_others_briefly(client, make_actor):
    make_actor(lat=47.5, lon=1.5)
    x, y = tile_of(1.5, 47.5, 6)
    version = dataversion.current()
    current = client.get(tile_url(6, x, y), {"v": version})
    assert current["Cache-Control"] == (
        f"public, max-age={VERSIONED_MAX_AGE}, s-maxage={7 * VERSIONED_MAX_AGE}"
    )
    for stale in ({"v": version - 1}, {}):
        response = client.get(tile_url(6, x, y), stale)
        assert response["Cache-Control"] == "public, max-age=60, s-maxage=60", stale
        assert response.content == current.content


@pytest.fixture
def frozen():
    yield clock.freeze
    clock.thaw()


def test_open_now_is_never_served_stale(client, make_actor, frozen):
    actor = make_actor(lat=47.5, lon=1.5)
    # Tuesday 1 December 2026, 10:00 to 12:00.
    OpeningSlot.objects.create(
        actor=actor, weekday=1, opens=datetime.time(10), closes=datetime.time(12)
    )
    x, y = tile_of(1.5, 47.5, 12)
    url = tile_url(12, x, y)

    def shown(**params):
        return [f["properties"]["id"] for f in client.get(url, params).json()["features"]]

    frozen(datetime.datetime(2026, 12, 1, 9, 59, 30, tzinfo=PARIS))
    before = client.get(url, {"open": "now"})
    assert before.json()["features"] == []
    assert before["Cache-Control"] == "public, max-age=30, s-maxage=30", (
        "kept past the end of the minute"
    )
    frozen(datetime.datetime(2026, 12, 1, 10, 0, 5, tzinfo=PARIS))
    # Same URL, same data version: only the clock moved.
    assert client.get(url, {"open": "now"}, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 200
    assert shown(open="now") == [actor.pk], "a cached « closed » outlived its minute"
    frozen(datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=PARIS))
    assert shown(open="now") == []
    assert shown(open="tuesday") == [actor.pk]
    frozen(datetime.datetime(2026, 12, 2, 8, 0, 0, tzinfo=PARIS))
    assert shown(open="tuesday") == [actor.pk], "next Tuesday"
    response = client.get(url, {"open": "tuesday"})
    assert "max-age=3600" in response["Cache-Control"]


def test_tiles_out_of_the_grid_and_bad_filters(client):
    across, up = tile_count(3)
    assert (across, up) == (2**3 // 2, 2**3 // 4)
    for path in (tile_url(3, across, 0), tile_url(3, 0, up), tile_url(21, 0, 0)):
        assert client.get(path).status_code == 404, path
    response = client.get(tile_url(3, 0, 0), {"kind": "volcano"})
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    assert tile_degrees(3) == cell_degrees(3) * CELLS_PER_TILE == 90.0
