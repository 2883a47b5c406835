"""The day rule's edges, found by a review of its first version (each failed then): a
territory's seller in range is open by its own hours, a producer on holiday is not at
its market, a shop's shelf (a link without a day) follows the shop, a pick-up point with
no hours is open when its producers come, and only published producers count."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from directory import clock
from directory.models import ActorKind, DistributionLink, ModerationStatus, OpeningSlot
from directory.ranking import forget_statements
from geodata.models import Commune

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
CENTRE = (47.86, 1.90)
FRIDAY_EVENING = datetime.datetime(2026, 12, 4, 18, 0, tzinfo=PARIS)
SATURDAY = datetime.date(2026, 12, 5)


@pytest.fixture(autouse=True)
def frozen():
    forget_statements()
    clock.freeze(FRIDAY_EVENING)
    yield
    clock.thaw()
    forget_statements()


def saturday_market(make_actor, dlat=0.027, commune=None, **fields):
    lat, lon = CENTRE
    place = make_actor(
        name=fields.pop("name", "Marché du samedi"),
        kind=fields.pop("kind", ActorKind.MARKET),
        lat=lat + dlat,
        lon=lon,
        commune=commune or Commune.objects.get(code="45232"),
        **fields,
    )
    OpeningSlot.objects.create(
        actor=place, weekday=5, opens=datetime.time(8), closes=datetime.time(13)
    )
    return place


def names(client, **params):
    response = client.get("/api/v1/actors/", params)
    assert response.status_code == 200, response.content[:300]
    return [
        (f["properties"]["name"], bool(f["properties"]["reached_through"]))
        for f in response.json()["features"]
    ]


NEAR = {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius": 20}


def test_producer_on_holidays_is_listed_open_on_saturday_through_its_market(client, make_actor):
    """The producer's own « fermé jusqu'au » (closed_until) is ignored once reached
    through a market: own_hours=False drops not_closed_on() for the producer too."""
    market = saturday_market(make_actor)
    farm = make_actor(
        name="Ferme en vacances",
        lat=CENTRE[0] + 0.315,
        lon=CENTRE[1],
        closed_until=SATURDAY + datetime.timedelta(days=30),
    )
    DistributionLink.objects.create(actor=farm, place=market, weekday=5)
    assert ("Ferme en vacances", True) not in names(client, open="saturday", **NEAR)


def test_territory_direct_result_ignores_own_hours(client, make_actor):
    """Territory + point + « ouvert samedi »: a farm in range, closed on Saturdays, outside
    the territory's communes, selling at a Saturday market of the territory far away, is
    listed as a *direct* result (at its farm, open by nobody's hours)."""
    montargis = Commune.objects.get(code="45208")
    far_market = make_actor(
        name="Marché de Montargis",
        kind=ActorKind.MARKET,
        lat=47.997,
        lon=2.733,
        commune=montargis,
    )
    OpeningSlot.objects.create(
        actor=far_market, weekday=5, opens=datetime.time(8), closes=datetime.time(13)
    )
    farm = make_actor(name="Ferme fermée le samedi", lat=CENTRE[0] + 0.02, lon=CENTRE[1])
    OpeningSlot.objects.create(  # farm shop opens on Tuesdays only
        actor=farm, weekday=1, opens=datetime.time(9), closes=datetime.time(12)
    )
    DistributionLink.objects.create(actor=farm, place=far_market, weekday=5)
    # Without a territory the farm (closed on Saturdays, its market 65 km away) is absent:
    assert names(client, open="saturday", **NEAR) == []
    # With the territory, it shows up as open on Saturday at its own farm, 2 km away.
    assert names(client, open="saturday", departement="45", **NEAR) == []


def test_pickup_without_hours_reaches_but_is_not_listed_itself(client, make_actor):
    """A pick-up point without hours of its own: its Saturday producer is listed « via »
    it, the markets API lists it for Saturday, but the search does not list the point."""
    point = make_actor(
        name="Point de retrait",
        kind=ActorKind.PICKUP,
        lat=CENTRE[0] + 0.01,
        lon=CENTRE[1],
        commune=Commune.objects.get(code="45232"),
    )
    farm = make_actor(name="Ferme du point", lat=CENTRE[0] + 0.315, lon=CENTRE[1])
    DistributionLink.objects.create(actor=farm, place=point, weekday=5)
    markets = client.get("/api/v1/markets/", {"day": "saturday", "format": "json"}).json()
    assert [r["name"] for r in markets["results"]] == ["Point de retrait"]
    assert names(client, open="saturday", **NEAR) == [
        ("Point de retrait", False),
        ("Ferme du point", True),
    ]


def test_markets_api_counts_a_link_from_an_unpublished_producer(client, make_actor):
    """places_open_on's « served » ignores the producer's status: a pick-up point without
    hours is « open on Saturday » because a draft/withdrawn producer's link says so."""
    point = make_actor(name="Point de retrait", kind=ActorKind.PICKUP, lat=48.0, lon=1.9)
    draft = make_actor(name="Ferme brouillon", status=ModerationStatus.DRAFT)
    DistributionLink.objects.create(actor=draft, place=point, weekday=5)
    markets = client.get("/api/v1/markets/", {"day": "saturday", "format": "json"}).json()
    assert [r["name"] for r in markets["results"]] == []


def test_shop_link_without_weekday_drops_producer(client, make_actor):
    """A link with no weekday (« sur commande » / on the shelf) at a shop open on
    Saturdays: before, the producer was reached (by its own hours); now never, under any
    « ouvert » filter."""
    shop = saturday_market(make_actor, name="Épicerie", kind=ActorKind.SHOP)
    farm = make_actor(name="Ferme en rayon", lat=CENTRE[0] + 0.315, lon=CENTRE[1])
    OpeningSlot.objects.create(
        actor=farm, weekday=5, opens=datetime.time(9), closes=datetime.time(12)
    )
    DistributionLink.objects.create(actor=farm, place=shop, weekday=None)
    assert ("Ferme en rayon", True) in names(client, **NEAR)
    assert ("Ferme en rayon", True) in names(client, open="saturday", **NEAR)
