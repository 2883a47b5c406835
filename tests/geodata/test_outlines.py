"""Département outlines are simplified once, at import (geodata.outlines), and the map
reads them at a versioned URL that browsers and CDNs keep for a year."""

import gzip
import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geodata import outlines
from geodata.geojson import rfc7946_problems
from geodata.models import Departement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_document():
    outlines.forget()
    yield
    outlines.forget()


def test_the_import_stores_a_simplified_rfc_7946_outline(territories):
    loir_et_cher = Departement.objects.get(code="41")
    geometry = json.loads(loir_et_cher.outline_geojson)
    assert geometry["type"] in ("Polygon", "MultiPolygon")
    stored = sum(len(ring) for ring in _rings(geometry))
    full = sum(len(ring) for polygon in loir_et_cher.outline for ring in polygon)
    assert stored < full / 3, f"{stored} points kept of {full}: not simplified"
    text = loir_et_cher.outline_geojson
    assert all(len(n.split(".")[-1]) <= 5 for n in _numbers(text)), "more than 5 decimals"
    document = {"type": "Feature", "properties": {}, "geometry": geometry}
    assert rfc7946_problems(document) == [], "not RFC 7946"


def test_requests_compute_nothing_and_read_the_outlines_once_per_process(client, territories):
    first = client.get("/api/v1/departements/")
    assert first.status_code == 200
    codes = {f["properties"]["code"] for f in first.json()["features"]}
    assert {"18", "28", "36", "37", "41", "45"} <= codes
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/departements/")
    assert again.json() == first.json()
    read = [q["sql"] for q in queries.captured_queries if "geodata_departement" in q["sql"]]
    assert read == [], f"the outlines were read again: {read}"
    assert not any("ST_Simplify" in q["sql"] for q in queries.captured_queries)


def test_the_map_fetches_a_versioned_url_cached_for_a_year(client, territories):
    page = client.get("/").content.decode()
    version = outlines.version()
    url = f"/carte/departements/{version}.geojson"
    assert f'"departementsUrl": "{url}"' in page, "the page does not use the versioned URL"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["ETag"] == f'"{version}"'
    body = response.content
    assert json.loads(body) == client.get("/api/v1/departements/").json(), "two contracts"
    assert len(gzip.compress(body)) < len(body) / 2, "not gzip-friendly"
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"{version}"').status_code == 304
    stale = client.get("/carte/departements/0123456789abcdef.geojson")
    assert stale.status_code == 302 and stale["Location"] == url
    assert "immutable" not in stale["Cache-Control"]


def test_an_import_that_changes_an_outline_changes_the_url(
    territories, django_capture_on_commit_callbacks
):
    before = outlines.version()
    loir_et_cher = Departement.objects.get(code="41")
    square = MultiPolygon(Polygon.from_bbox((1.0, 47.0, 2.0, 48.0)), srid=4326)
    Departement.objects.filter(pk=loir_et_cher.pk).update(outline=square)
    with django_capture_on_commit_callbacks(execute=True):  # forgotten once committed
        outlines.store_simplified_outlines(Departement.objects.filter(pk=loir_et_cher.pk))
    after = outlines.version()
    assert after != before, "the version did not follow the outline"
    feature = next(
        f for f in outlines.document()["data"]["features"] if f["properties"]["code"] == "41"
    )
    corners = {tuple(p) for ring in _rings(feature["geometry"]) for p in ring}
    assert corners == {(1.0, 47.0), (2.0, 47.0), (2.0, 48.0), (1.0, 48.0)}, corners


def _rings(geometry):
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return [ring for polygon in polygons for ring in polygon]


def _numbers(text):
    import re

    return re.findall(r"-?\d+\.\d+", text)
