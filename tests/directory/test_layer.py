"""The viewport layer: clusters at low zoom, markers zoomed in, never the whole directory."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.layer import CLUSTER_BELOW_ZOOM, MAX_MARKERS
from directory.models import ActorKind, ModerationStatus
from geodata.geojson import rfc7946_problems

pytestmark = pytest.mark.django_db
URL = "/api/v1/layer/"
REGION = "0.0,46.3,3.2,48.95"


@pytest.fixture
def spread(make_actor):
    import random

    rng = random.Random(3)
    return [make_actor(lat=rng.uniform(46.5, 48.8), lon=rng.uniform(0.2, 3.0)) for _ in range(200)]


def test_low_zoom_gives_counts_per_cell_adding_up_to_everything_in_view(client, spread, make_actor):
    make_actor(lat=43.6, lon=3.88)  # Montpellier: out of view
    make_actor(lat=47.5, lon=1.5, status=ModerationStatus.PENDING)  # not public
    data = client.get(URL, {"bbox": REGION, "zoom": 7}).json()
    assert data["type"] == "FeatureCollection"
    assert all(f["properties"]["cluster"] for f in data["features"])
    assert sum(f["properties"]["count"] for f in data["features"]) == 200
    assert len(data["features"]) < 200


def test_zoomed_in_gives_markers_with_filters(client, make_actor):
    a = make_actor(name="Marché du samedi", kind=ActorKind.MARKET, lat=47.90, lon=1.90)
    make_actor(name="Ferme", lat=47.91, lon=1.91)
    make_actor(name="Hors vue", lat=48.5, lon=1.91)
    bbox = "1.85,47.85,1.95,47.95"
    data = client.get(URL, {"bbox": bbox, "zoom": CLUSTER_BELOW_ZOOM}).json()
    assert sorted(f["properties"]["name"] for f in data["features"]) == [
        "Ferme",
        "Marché du samedi",
    ]
    data = client.get(URL, {"bbox": bbox, "zoom": 13, "kind": "market"}).json()
    assert data["features"] == [
        {
            "type": "Feature",
            "id": a.pk,
            "geometry": {"type": "Point", "coordinates": [1.9, 47.9]},
            "properties": {
                "id": a.pk,
                "name": "Marché du samedi",
                "kind": "market",
                "url": a.get_absolute_url(),
            },
        }
    ]


def test_too_many_markers_fall_back_to_clusters(client, make_actor, monkeypatch):
    monkeypatch.setattr("directory.layer.MAX_MARKERS", 5)
    for i in range(6):
        make_actor(lat=47.9 + i * 0.001, lon=1.9)
    data = client.get(URL, {"bbox": "1.85,47.85,1.95,47.95", "zoom": 14}).json()
    assert all(f["properties"].get("cluster") for f in data["features"])
    assert MAX_MARKERS > 5


def test_conditional_get_answers_304_from_the_data_version(client, spread):
    first = client.get(URL, {"bbox": REGION, "zoom": 8})
    assert first["Cache-Control"] == "public, max-age=60"
    assert "Last-Modified" not in first, "Last-Modified read MAX(updated_at) over the table"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, {"bbox": REGION, "zoom": 8}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert not [q["sql"] for q in queries if "directory_actor" in q["sql"]], (
        "the 304 read the actor table"
    )
    other = client.get(URL, {"bbox": REGION, "zoom": 9}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert other.status_code == 200, "another view must not match the first one's ETag"


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"zoom": 8}, "bbox"),
        ({"bbox": REGION}, "zoom"),
        ({"bbox": REGION, "zoom": 30}, "zoom"),
        ({"bbox": "a,b,c,d", "zoom": 8}, "bbox"),
    ],
)
def test_layer_bad_input(client, params, parameter):
    response = client.get(URL, params)
    assert response.status_code == 400 and parameter in response.json()["errors"]


def test_departement_outlines_for_orientation(client):
    response = client.get("/api/v1/departements/")
    data = response.json()
    assert response["Content-Type"] == "application/geo+json"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    assert response["ETag"]
    codes = {f["properties"]["code"] for f in data["features"]}
    assert {"45", "89", "18"} <= codes
    loiret = next(f for f in data["features"] if f["properties"]["code"] == "45")
    assert loiret["properties"]["name"] == "Loiret"
    assert loiret["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(response.content) < 200_000  # simplified: light enough for a phone
    # No "crs" member, rings wound right-hand, valid polygons (checked on the geometry).
    assert rfc7946_problems(data) == []
    assert (
        client.get("/api/v1/departements/", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    )
