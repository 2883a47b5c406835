"""« Ouvert le samedi » and « ouvert maintenant » follow how a listing is reached.

A producer reached through a market or pick-up point in range is there when that place is:
on the link's day, the place open that day (and, now, within the link's hours). Their own
farm's hours, 35 km away, say nothing about it. Before: a producer selling only at a
Thursday market was listed « ouvert le samedi » because their farm opens on Saturdays, and
one selling at a Saturday market in range was missing. Same rule in the API, the HTML list,
the printable sheet, the embed, and a partner's territory."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest

from directory import clock
from directory.models import ActorKind, DistributionLink, OpeningSlot, ScheduleException
from geodata.models import Commune

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
CENTRE = (47.86, 1.90)
FRIDAY_EVENING = datetime.datetime(2026, 12, 4, 18, 0, tzinfo=PARIS)
SATURDAY = datetime.date(2026, 12, 5)


@pytest.fixture
def markets(make_actor):
    olivet = Commune.objects.get(code="45232")
    lat, lon = CENTRE

    def market(name, dlat, weekday):
        place = make_actor(
            name=name, kind=ActorKind.MARKET, lat=lat + dlat, lon=lon, commune=olivet
        )
        OpeningSlot.objects.create(
            actor=place, weekday=weekday, opens=datetime.time(8), closes=datetime.time(13)
        )
        return place

    saturday = market("Marché du samedi", 0.027, 5)
    thursday = market("Marché du jeudi", -0.036, 3)
    # Both farms 35 km away, outside the radius and with no commune of the territory.
    at_saturday = make_actor(name="Ferme du marché du samedi", lat=lat + 0.315, lon=lon)
    DistributionLink.objects.create(
        actor=at_saturday,
        place=saturday,
        weekday=5,
        starts=datetime.time(8),
        ends=datetime.time(12),
    )
    at_thursday = make_actor(name="Ferme du marché du jeudi", lat=lat - 0.315, lon=lon)
    OpeningSlot.objects.create(  # its farm opens on Saturdays: not where it is reached
        actor=at_thursday, weekday=5, opens=datetime.time(9), closes=datetime.time(12)
    )
    DistributionLink.objects.create(actor=at_thursday, place=thursday, weekday=3)
    clock.freeze(FRIDAY_EVENING)
    yield saturday
    clock.thaw()


def api_names(client, **params):
    response = client.get(
        "/api/v1/actors/", {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius": 20, **params}
    )
    assert response.status_code == 200, response.content[:300]
    return response.json()["features"]


def names(features):
    return [f["properties"]["name"] for f in features]


def test_on_saturday_a_producer_is_there_when_its_market_is(client, markets):
    features = api_names(client, open="saturday")
    assert names(features) == ["Marché du samedi", "Ferme du marché du samedi"]
    via = features[1]["properties"]["reached_through"]
    assert via["weekday"] == 5 and via["starts"] == "08:00" and via["ends"] == "12:00"
    assert via["label"] == "à 3,0 km via Marché du samedi, le samedi 8h–12h"
    # Without the filter both farms are reached, each through its own market.
    assert set(names(api_names(client))) == {
        "Marché du samedi",
        "Marché du jeudi",
        "Ferme du marché du samedi",
        "Ferme du marché du jeudi",
    }
    assert names(api_names(client, open="thursday")) == [
        "Marché du jeudi",
        "Ferme du marché du jeudi",
    ]


def test_a_market_closed_that_saturday_takes_its_producers_with_it(client, markets):
    ScheduleException.objects.create(actor=markets, date=SATURDAY, closed=True)
    assert names(api_names(client, open="saturday")) == []
    markets.opening_slots.all().delete()
    ScheduleException.objects.all().delete()
    markets.closed_until = SATURDAY
    markets.save()
    assert names(api_names(client, open="saturday")) == []


def test_open_now_follows_the_link_s_hours(client, markets):
    clock.freeze(datetime.datetime(2026, 12, 5, 10, 0, tzinfo=PARIS))
    assert names(api_names(client, open="now")) == [
        "Marché du samedi",
        "Ferme du marché du samedi",
    ]
    # 12:30: the market is still open (until 13:00), the producer left at noon.
    clock.freeze(datetime.datetime(2026, 12, 5, 12, 30, tzinfo=PARIS))
    assert names(api_names(client, open="now")) == ["Marché du samedi"]
    # Thursday 9:00: the Thursday market's producer has no hours on the link: the market's.
    clock.freeze(datetime.datetime(2026, 12, 10, 9, 0, tzinfo=PARIS))
    assert names(api_names(client, open="now")) == ["Marché du jeudi", "Ferme du marché du jeudi"]


def listed(html: str) -> list[str]:
    found = []
    for name in ("Ferme du marché du samedi", "Ferme du marché du jeudi"):
        if name in html:
            found.append(name)
    return found


@pytest.mark.parametrize(
    "path, params",
    [
        ("/", {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius": 20}),
        ("/fiche/", {"commune": "45232", "radius": 20}),
        ("/embed/", {"near": f"{CENTRE[0]},{CENTRE[1]}", "radius": 20}),
        ("/embed/", {"departement": "45"}),
        ("/api/v1/actors/", {"departement": "45"}),
    ],
)
def test_every_output_applies_the_same_rule(client, markets, path, params):
    response = client.get(path, {**params, "open": "saturday"})
    assert response.status_code == 200, (path, response.content[:300])
    html = response.content.decode()
    assert listed(html) == ["Ferme du marché du samedi"], (path, params)
    assert re.search(r"samedi", html), path
    thursday = client.get(path, {**params, "open": "thursday"}).content.decode()
    assert listed(thursday) == ["Ferme du marché du jeudi"], (path, params)


def test_the_markets_api_and_the_search_agree_on_a_market_closed_for_the_holidays(client, markets):
    """The markets API listed any market with a slot on that weekday: one closed for the
    holidays was « open on Saturday » there and not in the search."""

    def market_names(**params):
        response = client.get("/api/v1/markets/", params)
        assert response.status_code == 200, response.content[:300]
        return sorted(re.findall(r'"name":\s*"(Marché[^"]*)"', response.content.decode()))

    assert market_names(day="saturday") == ["Marché du samedi"]
    assert market_names(day="thursday") == ["Marché du jeudi"]
    markets.closed_until = SATURDAY
    markets.save()
    assert market_names(day="saturday") == []
    assert "Marché du samedi" not in names(api_names(client, open="saturday"))
    assert market_names() == ["Marché du jeudi", "Marché du samedi"]


def test_a_temporary_closure_shows_on_the_result_card(client, markets, make_actor):
    lat, lon = CENTRE
    make_actor(
        name="Ferme en congés",
        lat=lat + 0.01,
        lon=lon,
        closed_until=SATURDAY,
        closed_note="Retour le <b>dimanche</b>",
    )
    near = {"near": f"{lat},{lon}", "radius": 20}
    html = client.get("/", near).content.decode()
    card = html[html.index("Ferme en congés") :][:1500]
    assert "Fermé jusqu'au samedi 5 décembre inclus." in card, card
    assert "Retour le &lt;b&gt;dimanche&lt;/b&gt;" in card
    clock.freeze(datetime.datetime(2026, 12, 6, 9, 0, tzinfo=PARIS))  # the Sunday after
    html = client.get("/", near).content.decode()
    assert "Ferme en congés" in html and "Fermé jusqu" not in html


def test_a_market_s_season_shows_its_dates_and_when_it_is_out_of_it(client, make_actor):
    from directory.models import Season

    lat, lon = CENTRE
    market = make_actor(name="Marché d'été", kind=ActorKind.MARKET, lat=lat, lon=lon + 0.01)
    summer = Season.objects.create(
        actor=market, name="Été", start_month=4, start_day=1, end_month=10, end_day=31
    )
    OpeningSlot.objects.create(
        actor=market,
        weekday=5,
        opens=datetime.time(8),
        closes=datetime.time(12),
        season=summer,
    )
    near = {"near": f"{lat},{lon}", "radius": 20}
    clock.freeze(FRIDAY_EVENING)  # December
    card = client.get("/", near).content.decode()
    assert "Samedi 8h00–12h00 (d’avril à octobre, hors saison)" in card
    clock.freeze(datetime.datetime(2027, 6, 4, 18, 0, tzinfo=PARIS))
    card = client.get("/", near).content.decode()
    assert "Samedi 8h00–12h00 (d’avril à octobre)" in card
    summer.start_day, summer.start_month, summer.end_day = 15, 5, 15
    summer.save()
    card = client.get("/", near).content.decode()
    assert "Samedi 8h00–12h00 (du 15 mai au 15 octobre)" in card
    clock.thaw()
