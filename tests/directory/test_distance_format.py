"""One distance format everywhere: the list said « 0,4 km » where the popup and the API said
« 440 m », and the printable sheet put a producer reached through a market 3 km away « à
0 km » or « à 3 km » with no day."""

import datetime

import pytest

from directory.models import ActorKind, DistributionLink
from geodata.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def around_olivet(make_actor):
    olivet = Commune.objects.get(code="45232")
    centre = olivet.townhall
    near = make_actor(name="Ferme à côté", lat=centre.y + 0.004, lon=centre.x, commune=olivet)
    market = make_actor(
        name="Marché d'Olivet",
        kind=ActorKind.MARKET,
        lat=centre.y + 0.0288,
        lon=centre.x,
        commune=olivet,
    )
    far = make_actor(name="Ferme lointaine", lat=centre.y + 0.5, lon=centre.x)
    DistributionLink.objects.create(
        actor=far, place=market, weekday=5, starts=datetime.time(8), ends=datetime.time(12)
    )
    return f"{centre.y},{centre.x}", near


def test_the_list_the_sheet_and_the_api_write_a_distance_the_same_way(client, around_olivet):
    near, _actor = around_olivet
    api = client.get("/api/v1/actors/", {"near": near, "radius": 10}).json()["features"]
    by_name = {f["properties"]["name"]: f["properties"] for f in api}
    written = by_name["Ferme à côté"]["distance"]
    assert written.endswith(" m") and not written.startswith("0,"), written
    via = by_name["Ferme lointaine"]["distance"]
    assert via.endswith(" km") and "," in via, via  # 3,2 km: one decimal under 10 km

    listing = client.get("/", {"near": near, "radius": 10}).content.decode()
    assert f"<strong>{written}</strong>" in listing, written
    assert f"À {via} via Marché d&#x27;Olivet, le samedi" in listing

    sheet = client.get("/fiche/", {"commune": "45232", "radius": 10}).content.decode()
    assert f"à {written}" in sheet
    assert f"à {via}, via Marché d&#x27;Olivet, le samedi" in sheet
    assert "à 0 km" not in sheet


def test_english_pages_write_distances_the_english_way(client, around_olivet):
    near, _actor = around_olivet
    client.cookies["django_language"] = "en"
    listing = client.get(
        "/", {"near": near, "radius": 10}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    api = client.get("/api/v1/actors/", {"near": near, "radius": 10}).json()["features"]
    via = next(
        f["properties"]["distance"] for f in api if f["properties"]["name"] == "Ferme lointaine"
    )
    assert "." in via.replace(" km", "") or "," in via, via
    english = via.replace(",", ".")
    assert f"{english} away via Marché d&#x27;Olivet" in listing, english
