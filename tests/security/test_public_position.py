"""A home-based producer's house cannot be found from the public site (issue 16, point 5).

The public pin of a listing with ``location_is_approximate`` is its commune's town hall. An
attacker with curl has three ways to find the house behind it, each tried here the way a
stranger would: trilaterate it from the distances of three ``near=`` searches, bisect the
``bbox`` filter of the API and of the map layer until the box holds one point, or read it
off a cluster of one. Each must end on the town hall, never on the house.
"""

import math
import re

import pytest
from django.contrib.gis.geos import Point
from geopy.distance import geodesic

from directory.layer import CLUSTER_BELOW_ZOOM
from directory.models import Actor, ActorKind, ModerationStatus
from geodata.models import Commune

pytestmark = pytest.mark.django_db

# Romorantin-Lanthenay (Loir-et-Cher): a large commune, so a house 3 km from the town hall
# is still inside it.
COMMUNE = "41194"
HOUSE_FROM_PIN_KM = 3.0
HOUSE_BEARING = 45  # north-east of the town hall


def destination(origin, km, bearing):
    """(lat, lon) ``km`` from ``origin`` (lat, lon) on ``bearing`` degrees, on the ellipsoid."""
    p = geodesic(kilometers=km).destination(origin, bearing)
    return (p.latitude, p.longitude)


def km_between(a, b) -> float:
    return geodesic(a, b).km


class Home:
    """The approximate listing, its private house and its public pin, as (lat, lon)."""

    def __init__(self, actor, house, pin):
        self.actor, self.house, self.pin = actor, house, pin

    def nearer_the_house(self, point) -> bool:
        return km_between(point, self.house) < km_between(point, self.pin)


@pytest.fixture
def home(territories):
    commune = Commune.objects.get(code=COMMUNE)
    centre = commune.center
    pin = (centre.y, centre.x)
    house = destination(pin, HOUSE_FROM_PIN_KM, HOUSE_BEARING)
    actor = Actor.objects.create(
        name="Chèvrerie à la maison",
        kind=ActorKind.PRODUCER,
        status=ModerationStatus.PUBLISHED,
        commune=commune,
        address="12 chemin des Bois",
        postal_code="41200",
        location=Point(house[1], house[0], srid=4326),
        location_is_approximate=True,
    )
    return Home(actor, house, pin)


# --- reading distances and positions off responses -------------------------------------

DISTANCE = re.compile(r"(\d+(?:[.,]\d+)?)(?:\s|&nbsp;|\u00a0|\u202f)*(km|m)\b")


def parse_distance_km(text: str) -> float:
    match = DISTANCE.search(text)
    assert match, f"no distance in {text!r}"
    value = float(match.group(1).replace(",", "."))
    return value if match.group(2) == "km" else value / 1000


def api_distance(client, home, near, radius=30):
    response = client.get(
        "/api/v1/actors/",
        {"near": f"{near[0]},{near[1]}", "radius": radius, "format": "json"},
    )
    assert response.status_code == 200, response.content
    rows = [r for r in response.json()["results"] if r["id"] == home.actor.pk]
    assert rows, f"the listing is missing from a search {radius} km around {near}"
    return rows[0]


def html_distance(client, home, near, radius=30) -> float:
    response = client.get("/", {"near": f"{near[0]},{near[1]}", "radius": radius})
    assert response.status_code == 200
    html = response.content.decode()
    item = re.search(
        rf'<li class="result" id="result-{home.actor.pk}".*?<p class="meta">(.*?)</p>', html, re.S
    )
    assert item, "the listing is missing from the HTML list"
    return parse_distance_km(re.sub(r"<[^>]+>", " ", item.group(1)))


def trilaterate(centres, distances_km):
    """The point whose distances to the three ``centres`` are ``distances_km`` (least squares
    on a local plane), as (lat, lon): what an attacker computes from three searches."""
    lat0, lon0 = centres[0]
    kx = 111.32 * math.cos(math.radians(lat0))
    ky = 110.57

    def xy(p):
        return ((p[1] - lon0) * kx, (p[0] - lat0) * ky)

    (x1, y1), (x2, y2), (x3, y3) = (xy(c) for c in centres)
    d1, d2, d3 = distances_km
    # Subtracting the first circle's equation from the others leaves two linear equations.
    a11, a12, b1 = 2 * (x2 - x1), 2 * (y2 - y1), d1**2 - d2**2 + x2**2 - x1**2 + y2**2 - y1**2
    a21, a22, b2 = 2 * (x3 - x1), 2 * (y3 - y1), d1**2 - d3**2 + x3**2 - x1**2 + y3**2 - y1**2
    det = a11 * a22 - a12 * a21
    x = (b1 * a22 - b2 * a12) / det
    y = (a11 * b2 - a21 * b1) / det
    return (lat0 + y / ky, lon0 + x / kx)


def search_points(home):
    return [destination(home.house, 10, bearing) for bearing in (0, 120, 240)]


def test_trilateration_through_the_api_finds_the_town_hall_not_the_house(client, home):
    centres = search_points(home)
    distances = [api_distance(client, home, c)["distance_km"] for c in centres]
    found = trilaterate(centres, distances)
    assert not home.nearer_the_house(found), (
        f"three near= searches of the API locate the house: the solution {found} is "
        f"{km_between(found, home.house):.3f} km from the house and "
        f"{km_between(found, home.pin):.3f} km from the public pin"
    )
    assert km_between(found, home.pin) < 1.0, "the distances should describe the public pin"


def test_trilateration_through_the_html_list_finds_the_town_hall_not_the_house(client, home):
    centres = search_points(home)
    distances = [html_distance(client, home, c) for c in centres]
    found = trilaterate(centres, distances)
    assert not home.nearer_the_house(found), (
        f"three searches of the HTML list locate the house: the solution {found} is "
        f"{km_between(found, home.house):.3f} km from the house"
    )
    assert km_between(found, home.pin) < 1.0, "the distances should describe the public pin"


def test_distance_at_the_house_is_the_distance_to_the_pin_and_says_so(client, home):
    row = api_distance(client, home, home.house, radius=5)
    assert row["distance_km"] != 0, "distance_km is 0 at the house: the house is found"
    assert row["distance_km"] == pytest.approx(round(HOUSE_FROM_PIN_KM), abs=0.01), (
        "the distance to an approximate listing is the distance to its public pin, to the km"
    )
    assert row["distance_is_approximate"] is True
    assert row["distance"].startswith("environ "), row["distance"]
    html = html_distance(client, home, home.house, radius=5)
    assert html == pytest.approx(round(HOUSE_FROM_PIN_KM)), "the HTML list shows the house"


def test_distances_to_an_approximate_listing_are_whole_kilometres(client, home):
    for near in search_points(home):
        row = api_distance(client, home, near)
        assert row["distance_km"] == int(row["distance_km"]), row
        assert row["distance_is_approximate"] is True


def test_an_exact_listing_keeps_its_exact_distance(client, home, make_actor):
    farm = make_actor(lat=home.pin[0] - 0.05, lon=home.pin[1], name="Ferme sur la route")
    near = home.pin
    response = client.get(
        "/api/v1/actors/", {"near": f"{near[0]},{near[1]}", "radius": 20, "format": "json"}
    )
    row = next(r for r in response.json()["results"] if r["id"] == farm.pk)
    expected = km_between(near, (farm.location.y, farm.location.x))
    assert row["distance_km"] == pytest.approx(expected, abs=0.01)
    assert row["distance_is_approximate"] is False
    assert not row["distance"].startswith("environ")


# --- bbox bisection --------------------------------------------------------------------


def inside(point, bbox) -> bool:
    west, south, east, north = bbox
    return west <= point[1] <= east and south <= point[0] <= north


def halves(bbox, step):
    west, south, east, north = bbox
    if step % 2 == 0:
        middle = (west + east) / 2
        return (west, south, middle, north), (middle, south, east, north)
    middle = (south + north) / 2
    return (west, south, east, middle), (west, middle, east, north)


def start_box(home):
    lats = [home.house[0], home.pin[0]]
    lons = [home.house[1], home.pin[1]]
    return (min(lons) - 0.05, min(lats) - 0.05, max(lons) + 0.05, max(lats) + 0.05)


def present_in_api(client, home, bbox) -> bool:
    response = client.get(
        "/api/v1/actors/", {"bbox": ",".join(f"{v:.10f}" for v in bbox), "format": "json"}
    )
    assert response.status_code == 200, response.content
    return any(r["id"] == home.actor.pk for r in response.json()["results"])


def present_in_layer(client, home, bbox, zoom) -> bool:
    response = client.get(
        "/api/v1/layer/", {"bbox": ",".join(f"{v:.10f}" for v in bbox), "zoom": zoom}
    )
    assert response.status_code == 200, response.content
    for feature in response.json()["features"]:
        props = feature["properties"]
        if props.get("cluster") and props["count"] or props.get("id") == home.actor.pk:
            return True
    return False


def bisect(home, present, steps=24):
    """Halve the box the way an attacker does (keep the half that still has the listing);
    every answer along the way must follow the public pin. Returns the last box."""
    bbox = start_box(home)
    assert present(bbox)
    for step in range(steps):
        for half in halves(bbox, step):
            shown = present(half)
            assert shown == inside(home.pin, half), (
                f"step {step}: a box {half} "
                f"{'holding' if inside(home.house, half) else 'without'} the house "
                f"{'and' if inside(home.pin, half) else 'but not'} the public pin "
                f"{'shows' if shown else 'hides'} the listing"
            )
        kept = [h for h in halves(bbox, step) if present(h)]
        assert kept, f"step {step}: the listing vanished from both halves of {bbox}"
        bbox = kept[0]
    return bbox


def test_bbox_bisection_on_the_api_ends_on_the_pin(client, home):
    bbox = bisect(home, lambda b: present_in_api(client, home, b))
    assert inside(home.pin, bbox) and not inside(home.house, bbox), (
        f"24 halvings of the API's bbox end on {bbox}, not on the public pin {home.pin}"
    )


@pytest.mark.parametrize("zoom", [5, 9, CLUSTER_BELOW_ZOOM, 14, 18])
def test_bbox_bisection_on_the_layer_ends_on_the_pin(client, home, zoom):
    bbox = bisect(home, lambda b: present_in_layer(client, home, b, zoom))
    assert inside(home.pin, bbox) and not inside(home.house, bbox), (
        f"24 halvings of the layer's bbox at zoom {zoom} end on {bbox}, not on the pin"
    )


# --- clusters and markers ---------------------------------------------------------------


@pytest.mark.parametrize("zoom", range(0, 21))
def test_no_cluster_or_marker_sits_nearer_the_house_than_the_pin(client, home, zoom):
    for bbox in ("-5,41,10,51.5", ",".join(f"{v:.6f}" for v in start_box(home))):
        response = client.get("/api/v1/layer/", {"bbox": bbox, "zoom": zoom})
        assert response.status_code == 200, response.content
        features = response.json()["features"]
        assert features, f"zoom {zoom}: the listing is not on the map at all"
        for feature in features:
            lon, lat = feature["geometry"]["coordinates"]
            kind = "cluster" if feature["properties"].get("cluster") else "marker"
            assert not home.nearer_the_house((lat, lon)), (
                f"zoom {zoom}: a {kind} at {(lat, lon)} is "
                f"{km_between((lat, lon), home.house):.3f} km from the house and "
                f"{km_between((lat, lon), home.pin):.3f} km from the public pin"
            )
