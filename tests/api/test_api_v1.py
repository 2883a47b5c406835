"""Public API v1: formats, one actor, reference lists, markets, territories, HTTP manners."""

import datetime

import pytest
from django.test import override_settings

from directory.api import places
from directory.models import (
    ActorKind,
    Category,
    DistributionLink,
    ModerationStatus,
    OpeningSlot,
    Season,
)
from directory.models.market import MarketAuthorisation
from geodata.models import Commune

pytestmark = pytest.mark.django_db
BLOIS = (47.5861, 1.3359)
PRIVATE = ("contact_name", "contact_email", "contact_phone", "secret-contact", "06 99 99 99 99")


@pytest.fixture
def market(make_actor, territories):
    blois = Commune.objects.get(code="41018")
    market = make_actor(
        *BLOIS, name="Marché de Blois", kind=ActorKind.MARKET, commune=blois, postal_code="41000"
    )
    OpeningSlot.objects.create(
        actor=market, weekday=5, opens=datetime.time(8), closes=datetime.time(12, 30)
    )
    MarketAuthorisation.objects.create(market=market, status="authorised")
    return market


@pytest.fixture
def home_producer(make_actor, market):
    """Sells from home: its exact position and private contact must never leave the server."""
    vineuil = Commune.objects.get(code="41295")
    farm = make_actor(
        47.5712,
        1.3801,
        name="Chèvrerie des Noues",
        commune=vineuil,
        address="3 chemin des Noues",
        location_is_approximate=True,
        contact_name="secret-contact",
        contact_email="prive@example.org",
        contact_phone="06 99 99 99 99",
        phone="02 54 00 00 01",
    )
    farm.categories.add(Category.objects.get(slug="fromage-laitier"))
    DistributionLink.objects.create(
        actor=farm, place=market, weekday=5, starts=datetime.time(8), ends=datetime.time(12)
    )
    return farm


def test_search_speaks_geojson_by_default_and_flat_json_on_request(client, home_producer):
    near = {"near": f"{BLOIS[0]},{BLOIS[1]}", "radius": 10}
    geo = client.get("/api/v1/actors/", near)
    assert geo["Content-Type"] == "application/geo+json"
    assert geo.json()["type"] == "FeatureCollection"
    flat = client.get("/api/v1/actors/", {**near, "format": "json"})
    assert flat["Content-Type"] == "application/json"
    # Only ?format= chooses: v1 clients of issue #3 sending Accept: application/json
    # (GeoJSON is JSON) keep getting the GeoJSON they were built on.
    by_accept = client.get("/api/v1/actors/", near, HTTP_ACCEPT="application/json")
    assert by_accept["Content-Type"] == "application/geo+json"
    assert by_accept.json() == geo.json()
    rows = flat.json()["results"]
    assert [r["name"] for r in rows] == [f["properties"]["name"] for f in geo.json()["features"]]
    feature = geo.json()["features"][0]
    assert [rows[0]["lon"], rows[0]["lat"]] == feature["geometry"]["coordinates"]
    bad = client.get("/api/v1/actors/", {**near, "format": "xml"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["format"]


def test_one_actor_in_full_without_private_fields_or_home_position(client, home_producer):
    response = client.get(f"/api/v1/actors/{home_producer.slug}/", {"format": "json"})
    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "Chèvrerie des Noues" and data["phone"] == "02 54 00 00 01"
    assert data["categories"] == [
        {"slug": "fromage-laitier", "name": "Fromages et produits laitiers"}
    ]
    assert data["commune"]["insee"] == "41295"
    # Home-based: the commune's centre, no street address, never the farm itself.
    centre = Commune.objects.get(code="41295").center
    assert data["position"]["approximate"] is True
    assert (data["position"]["lon"], data["position"]["lat"]) == (
        round(centre.x, 6),
        round(centre.y, 6),
    )
    assert data["address"] == ""
    body = response.content.decode()
    for private in (*PRIVATE, "3 chemin des Noues", "47.5712", "1.3801"):
        assert private not in body
    (sale,) = data["sells_at"]
    assert sale["place"]["name"] == "Marché de Blois"
    assert (sale["weekday"], sale["weekday_label"], sale["starts"], sale["ends"]) == (
        5,
        "samedi",
        "08:00",
        "12:00",
    )
    feature = client.get(f"/api/v1/actors/{home_producer.slug}/").json()
    assert feature["type"] == "Feature"
    assert feature["geometry"]["coordinates"] == [data["position"]["lon"], data["position"]["lat"]]


def test_a_market_lists_its_days_authorisation_and_producers(client, home_producer, market):
    data = client.get(f"/api/v1/actors/{market.slug}/", {"format": "json"}).json()
    assert data["opening_hours"] == "Sa 08:00-12:30"
    assert data["authorisation"]["status"] == "authorised"
    assert [s["actor"]["name"] for s in data["suppliers"]] == ["Chèvrerie des Noues"]


def test_unpublished_or_malformed_actor_is_a_json_404(client, make_actor):
    draft = make_actor(status=ModerationStatus.PENDING)
    for slug in (draft.slug, "nope", "%C2%88*"):
        response = client.get(f"/api/v1/actors/{slug}/")
        assert response.status_code == 404
        assert response.json()["detail"] == "Aucune fiche publiée à cette adresse."


def test_reference_lists_count_published_actors_only(client, make_actor):
    vegetables = Category.objects.get(slug="fruits-legumes")
    make_actor().categories.add(vegetables)
    make_actor(status=ModerationStatus.PENDING).categories.add(vegetables)
    categories = client.get("/api/v1/categories/").json()["results"]
    assert categories[0] == {"slug": "fruits-legumes", "name": "Fruits et légumes", "actors": 1}
    assert len(categories) == Category.objects.count()
    kinds = client.get("/api/v1/kinds/").json()["results"]
    assert {"value": "market", "label": "Marché de plein air"} in kinds
    labels = client.get("/api/v1/labels/").json()["results"]
    assert labels[0]["slug"] == "bio" and labels[0]["url"].startswith("https://")
    modes = client.get("/api/v1/modes/").json()["results"]
    assert "point-retrait" in [m["slug"] for m in modes]
    assert client.get("/api/v1/kinds/")["Cache-Control"] == "public, max-age=3600"


def test_markets_and_pickup_points_with_their_days(client, market, make_actor, territories):
    pickup = make_actor(47.6, 1.3, name="Drive fermier de Blois", kind=ActorKind.PICKUP)
    OpeningSlot.objects.create(
        actor=pickup, weekday=4, opens=datetime.time(17), closes=datetime.time(19)
    )
    summer = Season.objects.create(
        actor=pickup, name="Été", start_month=6, start_day=1, end_month=9, end_day=30
    )
    OpeningSlot.objects.create(
        actor=pickup, weekday=1, opens=datetime.time(17), closes=datetime.time(19), season=summer
    )
    make_actor(name="Ferme hors liste")  # a producer: not a place
    data = client.get("/api/v1/markets/", {"format": "json"}).json()
    assert [p["name"] for p in data["results"]] == ["Drive fermier de Blois", "Marché de Blois"]
    drive = data["results"][0]
    assert drive["opening_hours"] == "Fr 17:00-19:00; Jun 01-Sep 30 Tu 17:00-19:00"
    assert [d["weekday_label"] for d in drive["days"]] == ["mardi", "vendredi"]
    assert drive["days"][0]["season"] == {"name": "Été", "start": "06-01", "end": "09-30"}
    saturday = client.get("/api/v1/markets/", {"day": "saturday", "format": "json"}).json()
    assert [p["name"] for p in saturday["results"]] == ["Marché de Blois"]
    assert saturday["results"][0]["insee"] == "41018"
    geo = client.get("/api/v1/markets/", {"kind": "pickup", "departement": "41"}).json()
    assert [f["properties"]["name"] for f in geo["features"]] == []  # the drive has no commune
    in_41 = client.get("/api/v1/markets/", {"departement": "41"}).json()
    assert [f["properties"]["name"] for f in in_41["features"]] == ["Marché de Blois"]
    assert client.get("/api/v1/markets/", {"day": "someday"}).status_code == 400


def test_pages_are_stable_when_names_tie_and_listings_change(client, make_actor, monkeypatch):
    monkeypatch.setattr(places, "PAGE_SIZE", 2)
    markets = [make_actor(name="Marché", kind=ActorKind.MARKET) for _ in range(5)]

    def ids():
        out, url = [], "/api/v1/markets/?format=json"
        while url:
            payload = client.get(url).json()
            out += [p["id"] for p in payload["results"]]
            url = payload["next"]
        return out

    first = ids()
    assert first == sorted(m.pk for m in markets)  # ties broken by the unique key
    markets[0].save()  # an edit (updated_at changes) moves nothing
    assert ids() == first
    page2 = client.get("/api/v1/markets/", {"format": "json", "page": 2}).json()
    assert page2["previous"].endswith("page=1") and page2["page"] == 2


def test_territories_and_gazetteer(client, territories):
    regions = client.get("/api/v1/regions/").json()["results"]
    centre = next(r for r in regions if r["code"] == "24")
    assert centre["name"] == "Centre-Val de Loire"
    assert centre["departements"] == ["18", "28", "36", "37", "41", "45"]
    departements = client.get("/api/v1/departements/", {"format": "json"}).json()["results"]
    assert {"code": "41", "name": "Loir-et-Cher", "region": "24"} in departements
    found = client.get("/api/v1/places/", {"q": "41000"}).json()["results"]
    assert found[0]["name"] == "Blois" and found[0]["insee"] == "41018"
    assert client.get("/api/v1/places/", {"q": " "}).status_code == 400


def test_etag_and_conditional_requests(client, home_producer):
    url = f"/api/v1/actors/{home_producer.slug}/"
    first = client.get(url)
    assert first["ETag"] and first["Cache-Control"] == "public, max-age=300"
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    home_producer.name = "Chèvrerie des Noues (renommée)"
    home_producer.save()
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_cors_is_open_for_reading_the_api_only(client, market):
    response = client.get("/api/v1/markets/", HTTP_ORIGIN="https://partenaire.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/markets/",
        HTTP_ORIGIN="https://partenaire.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Access-Control-Allow-Credentials" not in preflight
    page = client.get("/", HTTP_ORIGIN="https://partenaire.example")
    assert "Access-Control-Allow-Origin" not in page
    assert client.post("/api/v1/markets/").status_code == 405


@override_settings(TOUTPRES_API_RATE="3/minute")
def test_rate_limit_answers_a_clear_429(client, market):
    for _ in range(3):
        assert client.get("/api/v1/kinds/").status_code == 200
    response = client.get("/api/v1/markets/")
    assert response.status_code == 429
    # A sliding window: at most the rest of this minute and part of the next.
    assert 0 < int(response["Retry-After"]) <= 120
    body = response.json()
    assert body["detail"].startswith("Trop de requêtes : 3/minute au plus par adresse.")
    assert body["retry_after"] == int(response["Retry-After"])
    assert response["Cache-Control"] == "no-store"
    # Another address has its own allowance.
    assert client.get("/api/v1/kinds/", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_schema_and_docs_are_served_locally_with_the_licence(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["openapi"].startswith("3.1")
    assert schema["info"]["license"]["name"] == "Licence Ouverte 2.0 (Etalab)"
    assert "/api/v1/markets/" in schema["paths"] and "/api/v1/layer/" not in schema["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs


def test_detail_positions_are_public_ones(client, make_actor, territories):
    shop = make_actor(47.59, 1.34, name="Boutique", kind=ActorKind.FARM_SHOP, address="1 rue X")
    data = client.get(f"/api/v1/actors/{shop.slug}/", {"format": "json"}).json()
    assert data["position"] == {"lat": 47.59, "lon": 1.34, "approximate": False}
    assert data["address"] == "1 rue X"


def test_nul_bytes_are_a_400_not_a_database_error(client, territories):
    # Found by schemathesis on PostGIS: PostgreSQL refuses NUL in a string literal.
    for url, params in [
        ("/api/v1/actors/", {"region": "2\x004"}),
        ("/api/v1/actors/", {"departement": "4\x001"}),
        ("/api/v1/markets/", {"commune": "41\x00018"}),
        ("/api/v1/places/", {"q": "Bl\x00ois"}),
    ]:
        response = client.get(url, params)
        assert response.status_code == 400, (url, response.content)
        assert response.json()["errors"]
