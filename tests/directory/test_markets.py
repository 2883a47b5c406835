"""Open-air markets: a page and a map layer, with days, hours, season and authorisation."""

import datetime

import pytest
from django.core.management import call_command

from directory.models import ActorKind, MarketAuthorisation, OpeningSlot, Season
from geodata.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def markets(make_actor):
    olivet = Commune.objects.get(code="45232")
    saturday = make_actor(
        name="Marché du samedi", kind=ActorKind.MARKET, lat=47.86, lon=1.90, commune=olivet
    )
    OpeningSlot.objects.create(
        actor=saturday, weekday=5, opens=datetime.time(8), closes=datetime.time(12, 30)
    )
    MarketAuthorisation.objects.create(
        market=saturday,
        status="authorised",
        since=datetime.date(2020, 5, 12),
        note="Arrêté préfectoral n° 45-2020-12",
    )
    summer = make_actor(
        name="Marché estival", kind=ActorKind.MARKET, lat=47.87, lon=1.91, commune=olivet
    )
    season = Season.objects.create(
        actor=summer, name="Été", start_month=6, start_day=1, end_month=9, end_day=15
    )
    OpeningSlot.objects.create(
        actor=summer, weekday=2, opens=datetime.time(17), closes=datetime.time(21), season=season
    )
    MarketAuthorisation.objects.create(
        market=summer, status="suspended", since=datetime.date(2020, 4, 2)
    )
    make_actor(name="Ferme voisine", lat=47.86, lon=1.90, commune=olivet)
    return saturday, summer


def test_markets_page_lists_only_markets_with_days_and_authorisation(client, markets):
    response = client.get("/marches/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Marchés de plein air</h1>" in html
    assert "Marché du samedi" in html and "Marché estival" in html and "Ferme voisine" not in html
    assert "Samedi 8h00–12h30" in html
    assert "Autorisé depuis le 12 mai 2020 — Arrêté préfectoral n° 45-2020-12" in html
    assert "Suspendu depuis le 2 avril 2020" in html
    assert 'name="kind"' not in html  # the kind is fixed on this page
    assert response.context["map_config"]["fixed"] == {"kind": ["market"]}


def test_markets_page_near_a_place_and_on_a_day(client, markets):
    html = client.get(
        "/marches/", {"where": "Olivet", "radius": 10, "open": "saturday"}
    ).content.decode()
    assert "Marché du samedi" in html and "Marché estival" not in html
    # A kind given in the URL cannot widen the page beyond markets.
    html = client.get("/marches/", {"kind": "producer"}).content.decode()
    assert "Ferme voisine" not in html


def test_market_layer_is_the_layer_filtered_by_kind(client, markets):
    data = client.get(
        "/api/v1/layer/", {"bbox": "1.85,47.85,1.95,47.95", "zoom": 13, "kind": "market"}
    ).json()
    assert sorted(f["properties"]["name"] for f in data["features"]) == [
        "Marché du samedi",
        "Marché estival",
    ]


def test_market_listing_shows_its_season_and_authorisation(client, markets):
    _, summer = markets
    html = client.get(summer.get_absolute_url()).content.decode()
    assert "Mercredi 17h00–21h00 (Été)" in html
    assert "Suspendu depuis le 2 avril 2020" in html


def test_demo_markets_have_authorisations(capsys):
    call_command("demo_data", "--size", "400", "--no-progress")
    statuses = set(MarketAuthorisation.objects.values_list("status", flat=True))
    assert "authorised" in statuses
    assert MarketAuthorisation.objects.exclude(market__kind=ActorKind.MARKET).count() == 0
    assert MarketAuthorisation.objects.count() == 30  # 7.5 % of 400
