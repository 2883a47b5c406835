"""The search endpoint: proximity across borders, filters, text, opening hours, reached through."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from geopy.distance import geodesic

from directory.models import (
    ActorKind,
    Category,
    DistributionLink,
    Label,
    ModerationStatus,
    OpeningSlot,
    SaleMode,
    ScheduleException,
    Season,
)
from directory.search import Search, SearchForm
from geodata.models import Commune

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
URL = "/api/v1/actors/"
# Courtenay (Loiret), 5 km from the Yonne.
HERE = (48.0390, 3.0580)


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def names(payload):
    return [f["properties"]["name"] for f in payload["features"]]


@pytest.fixture
def border_actors(make_actor):
    import random

    rng = random.Random(89)
    return [
        make_actor(lat=HERE[0] + rng.uniform(-0.25, 0.25), lon=HERE[1] + rng.uniform(-0.35, 0.35))
        for _ in range(80)
    ]


def test_results_across_the_border_interleaved_by_distance_match_a_geodesic_oracle(
    client, border_actors
):
    payload = get(client, near=f"{HERE[0]},{HERE[1]}", radius=20)
    oracle = sorted(
        (geodesic(HERE, (a.location.y, a.location.x)).km, a.pk)
        for a in border_actors
        if geodesic(HERE, (a.location.y, a.location.x)).km <= 20
    )
    assert [f["id"] for f in payload["features"]] == [pk for _, pk in oracle]
    assert payload["count"] == len(oracle)
    for feature, (km, _) in zip(payload["features"], oracle, strict=True):
        assert feature["properties"]["distance_km"] == pytest.approx(km, abs=0.01)
    departements = [
        Commune.objects.containing(Point(*f["geometry"]["coordinates"], srid=4326))
        .get()
        .departement.code
        for f in payload["features"]
    ]
    assert {"45", "89"} <= set(departements)
    # Interleaved: the département changes more than once along the sorted list.
    changes = sum(1 for a, b in zip(departements, departements[1:], strict=False) if a != b)
    assert changes >= 2


def test_feature_shape(client, make_actor):
    olivet = Commune.objects.get(code="45232")
    actor = make_actor(lat=47.86, lon=1.9, commune=olivet, phone="02 61 91 00 01")
    actor.categories.add(Category.objects.get(slug="miel"))
    feature = get(client, near="47.86,1.9", radius=5)["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"] == {
        "type": "Point",
        "coordinates": [1.9, 47.86],
    }
    props = feature["properties"]
    assert {
        k: props[k] for k in ("id", "slug", "name", "kind", "categories", "commune", "departement")
    } == {
        "id": actor.pk,
        "slug": actor.slug,
        "name": actor.name,
        "kind": "producer",
        "categories": ["miel"],
        "commune": "Olivet",
        "departement": "45",
    }
    assert props["distance_km"] == 0 and props["reached_through"] is None
    assert props["url"] == f"http://testserver/acteurs/{actor.slug}/"


def test_feature_categories_follow_the_reference_order(client, make_actor):
    # Read by the database in the page's own statement (RelatedSlugs): both backends must
    # keep the reference list's order, whatever the order they were added in.
    actor = make_actor(lat=47.86, lon=1.9)
    ordered = list(Category.objects.order_by("position", "name")[:4])
    actor.categories.add(*reversed(ordered))
    make_actor(lat=47.861, lon=1.9)  # no category: an empty list, not [""] or None
    features = get(client, near="47.86,1.9", radius=5)["features"]
    assert [f["properties"]["categories"] for f in features] == [[c.slug for c in ordered], []]


def test_home_based_producer_is_shown_at_the_commune(client, make_actor):
    olivet = Commune.objects.get(code="45232")
    make_actor(lat=47.84, lon=1.88, commune=olivet, location_is_approximate=True)
    feature = get(client, near="47.84,1.88", radius=5)["features"][0]
    assert feature["geometry"]["coordinates"] == [
        round(olivet.townhall.x, 6),
        round(olivet.townhall.y, 6),
    ]


def test_filters_by_kind_category_label_and_mode(client, make_actor):
    cheese, bio, phone = (
        Category.objects.get(slug="fromage-laitier"),
        Label.objects.get(slug="bio"),
        SaleMode.objects.get(slug="telephone"),
    )
    a = make_actor(name="Chèvrerie bio", lat=47.9, lon=1.9)
    a.categories.add(cheese)
    a.labels.add(bio)
    a.sale_modes.add(phone)
    b = make_actor(name="Fromagerie", lat=47.9, lon=1.91, kind=ActorKind.ARTISAN)
    b.categories.add(cheese)
    make_actor(name="Maraîcher", lat=47.9, lon=1.92)
    near = {"near": "47.9,1.9", "radius": 10}
    assert names(get(client, **near, category="fromage-laitier")) == ["Chèvrerie bio", "Fromagerie"]
    assert names(get(client, **near, kind="artisan")) == ["Fromagerie"]
    assert names(get(client, **near, kind=["artisan", "producer"])) == [
        "Chèvrerie bio",
        "Fromagerie",
        "Maraîcher",
    ]
    assert names(get(client, **near, label="bio")) == ["Chèvrerie bio"]
    assert names(get(client, **near, mode="telephone", category="fromage-laitier")) == [
        "Chèvrerie bio"
    ]


@pytest.mark.parametrize("query", ["chevre", "CHÈVRE", "chèvr", "fromage chevre"])
def test_text_search_is_accent_insensitive_and_uses_products_and_categories(
    client, make_actor, query
):
    goat = make_actor(
        name="Ferme du Val", products="Fromages de chèvre fermiers", lat=47.9, lon=1.9
    )
    goat.categories.add(Category.objects.get(slug="fromage-laitier"))
    make_actor(name="Boulangerie", products="pain", lat=47.9, lon=1.91)
    assert names(get(client, q=query, near="47.9,1.9", radius=10)) == ["Ferme du Val"]


def test_text_search_matches_category_names(client, make_actor):
    bakery = make_actor(name="Chez Paul", lat=47.9, lon=1.9)
    bakery.categories.add(Category.objects.get(slug="pain"))
    assert names(get(client, q="pain")) == ["Chez Paul"]
    assert names(get(client, q="boulanger")) == []


def test_unpublished_never_appear(client, make_actor):
    make_actor(name="En attente", status=ModerationStatus.PENDING)
    assert get(client)["count"] == 0


# Friday 2026-06-12 and Saturday 2026-06-13; seasons are May–October.
FRIDAY_6PM = datetime.datetime(2026, 6, 12, 18, 0, tzinfo=PARIS)


@pytest.fixture
def schedules(make_actor):
    market = make_actor(name="Marché du samedi", kind=ActorKind.MARKET)
    OpeningSlot.objects.create(
        actor=market, weekday=5, opens=datetime.time(8), closes=datetime.time(12, 30)
    )
    farm = make_actor(name="Ferme du vendredi soir")
    OpeningSlot.objects.create(
        actor=farm, weekday=4, opens=datetime.time(16), closes=datetime.time(19)
    )
    winter = make_actor(name="Vente d'hiver")
    season = Season.objects.create(
        actor=winter, name="Hiver", start_month=11, start_day=1, end_month=3, end_day=31
    )
    OpeningSlot.objects.create(
        actor=winter, weekday=4, opens=datetime.time(9), closes=datetime.time(20), season=season
    )
    summer = make_actor(name="Cueillette d'été")
    season = Season.objects.create(
        actor=summer, name="Été", start_month=5, start_day=1, end_month=10, end_day=31
    )
    OpeningSlot.objects.create(
        actor=summer, weekday=5, opens=datetime.time(9), closes=datetime.time(12), season=season
    )
    closed = make_actor(name="Fermée pour congés")
    OpeningSlot.objects.create(
        actor=closed, weekday=4, opens=datetime.time(9), closes=datetime.time(20)
    )
    ScheduleException.objects.create(actor=closed, date=datetime.date(2026, 6, 12), closed=True)
    special = make_actor(name="Ouverture exceptionnelle")
    ScheduleException.objects.create(
        actor=special,
        date=datetime.date(2026, 6, 12),
        closed=False,
        opens=datetime.time(17),
        closes=datetime.time(21),
    )


def run(now, **params):
    form = SearchForm(params)
    assert form.is_valid(), form.errors
    search = Search.from_form(form, now=now)
    from directory.models import Actor

    return sorted(
        Actor.objects.filter(pk__in=[r.pk for r in search.results()]).values_list("name", flat=True)
    )


def test_open_now_uses_paris_time_seasons_and_exceptions(schedules):
    assert run(FRIDAY_6PM, open="now") == ["Ferme du vendredi soir", "Ouverture exceptionnelle"]
    # 18:00 in Paris is 16:00 UTC: an aware UTC clock gives the same answer.
    assert run(FRIDAY_6PM.astimezone(datetime.UTC), open="now") == [
        "Ferme du vendredi soir",
        "Ouverture exceptionnelle",
    ]
    # In January the winter season applies instead.
    january = datetime.datetime(2027, 1, 15, 18, 0, tzinfo=PARIS)
    assert run(january, open="now") == [
        "Ferme du vendredi soir",
        "Fermée pour congés",
        "Vente d'hiver",
    ]


def test_open_on_saturday(schedules):
    assert run(FRIDAY_6PM, open="saturday") == ["Cueillette d'été", "Marché du samedi"]
    january = datetime.datetime(2027, 1, 15, 18, 0, tzinfo=PARIS)
    assert run(january, open="saturday") == ["Marché du samedi"]


def test_reached_through_a_pick_up_point(client, make_actor):
    # The farm is 60 km away, but delivers on Fridays 17h–19h to a point 3 km from here.
    farm = make_actor(name="Ferme lointaine", lat=47.9 + 0.54, lon=1.9)
    point = make_actor(
        name="Drive fermier d'Olivet", kind=ActorKind.PICKUP, lat=47.9 + 0.027, lon=1.9
    )
    make_actor(name="Voisin", lat=47.9, lon=1.905)
    payload = get(client, near="47.9,1.9", radius=20)
    assert names(payload) == [
        "Voisin",
        "Drive fermier d'Olivet",
    ]  # no link yet: the farm is not near

    DistributionLink.objects.create(
        actor=farm, place=point, weekday=4, starts=datetime.time(17), ends=datetime.time(19)
    )
    payload = get(client, near="47.9,1.9", radius=20)
    assert names(payload) == ["Voisin", "Drive fermier d'Olivet", "Ferme lointaine"]
    via = payload["features"][2]["properties"]
    assert via["distance_km"] == pytest.approx(3.0, abs=0.05)
    assert via["reached_through"]["place"] == "Drive fermier d'Olivet"
    assert (
        via["reached_through"]["label"]
        == "à 3,0 km via Drive fermier d'Olivet, le vendredi 17h–19h"
    )
    # Filters still apply to reached actors, whichever way they are computed.
    assert names(get(client, near="47.9,1.9", radius=20, kind="pickup")) == [
        "Drive fermier d'Olivet"
    ]
    assert names(get(client, near="47.9,1.9", radius=20, kind="producer")) == [
        "Voisin",
        "Ferme lointaine",
    ]
    # An unpublished producer is never reached, nor anyone through an unpublished point.
    hidden = make_actor(name="Ferme en attente", lat=48.5, lon=1.9, status="pending")
    DistributionLink.objects.create(actor=hidden, place=point, weekday=2)
    assert "Ferme en attente" not in names(get(client, near="47.9,1.9", radius=20))
    assert "Ferme en attente" not in names(get(client, near="47.9,1.9", radius=20, kind="producer"))
    type(point).objects.filter(pk=point.pk).update(status="pending")
    assert names(get(client, near="47.9,1.9", radius=20)) == ["Voisin"]
    assert names(get(client, near="47.9,1.9", radius=20, kind="producer")) == ["Voisin"]


def test_reached_through_the_nearest_of_its_places(client, make_actor):
    """A producer with several places in range is listed once, through the nearest one."""
    farm = make_actor(name="Ferme lointaine", lat=47.9 + 0.54, lon=1.9)
    far_market = make_actor(name="Marché lointain", kind=ActorKind.MARKET, lat=47.9 + 0.1, lon=1.9)
    near_point = make_actor(name="Point proche", kind=ActorKind.PICKUP, lat=47.9 + 0.02, lon=1.9)
    DistributionLink.objects.create(actor=farm, place=far_market, weekday=5)
    DistributionLink.objects.create(actor=farm, place=near_point, weekday=2)
    payload = get(client, near="47.9,1.9", radius=20)
    assert names(payload) == ["Point proche", "Ferme lointaine", "Marché lointain"]
    assert payload["count"] == 3
    reached = payload["features"][1]["properties"]
    assert reached["reached_through"]["place"] == "Point proche"
    assert reached["distance_km"] == pytest.approx(2.2, abs=0.05)


def test_a_search_around_a_point_is_one_statement(client, make_actor):
    """Ranking, count, rows, categories and reached-through links come from one query."""
    farm = make_actor(name="Ferme lointaine", lat=47.9 + 0.54, lon=1.9)
    point = make_actor(name="Point", kind=ActorKind.PICKUP, lat=47.91, lon=1.9)
    DistributionLink.objects.create(actor=farm, place=point, weekday=2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        payload = get(client, near="47.9,1.9", radius=20, kind="producer")
    assert names(payload) == ["Ferme lointaine"]
    assert len(captured) == 1


def test_a_page_past_the_end_is_a_400_with_the_real_count(client, make_actor):
    for i in range(3):
        make_actor(lat=47.9 + i * 0.001, lon=1.9)
    response = client.get(URL, {"near": "47.9,1.9", "radius": 20, "page": 2})
    assert response.status_code == 400
    assert response.json()["errors"]["page"] == ["Page hors limites (1 à 1)."]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"near": "abc"}, "near"),
        ({"near": "95,2"}, "near"),
        ({"near": "47,2,3"}, "near"),
        ({"near": "nan,2"}, "near"),
        ({"radius": "0"}, "radius"),
        ({"radius": "500"}, "radius"),
        ({"radius": "dix"}, "radius"),
        ({"kind": "dragon"}, "kind"),
        ({"category": "caviar"}, "category"),
        ({"label": "michelin"}, "label"),
        ({"mode": "drone"}, "mode"),
        ({"open": "someday"}, "open"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "3,47,1,48"}, "bbox"),
        ({"page": "0"}, "page"),
        ({"page": "99"}, "page"),
        ({"where": "zzqxw"}, "where"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, params, parameter):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]


def test_where_resolves_a_place_offline(client, make_actor):
    make_actor(name="Près de Tours", lat=47.39, lon=0.69)
    make_actor(name="Près d'Orléans", lat=47.9, lon=1.9)
    assert names(get(client, where="37000 Tours", radius=10)) == ["Près de Tours"]


def test_queries_are_constant_whatever_the_number_of_results(
    client, make_actor, django_assert_max_num_queries
):
    def populate(n, start):
        for i in range(n):
            a = make_actor(lat=47.9 + (start + i) * 0.001, lon=1.9)
            a.categories.add(Category.objects.get(slug="miel"))
            a.labels.add(Label.objects.get(slug="bio"))

    populate(3, 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        get(client, near="47.9,1.9", radius=20)
    populate(40, 10)
    with CaptureQueriesContext(connection) as many:
        assert get(client, near="47.9,1.9", radius=20)["count"] == 43
    assert len(many) == len(few)
    with django_assert_max_num_queries(12):
        get(client, near="47.9,1.9", radius=20, category="miel", q="ferme")


def test_pagination_is_stable(client, make_actor):
    for i in range(130):
        make_actor(lat=47.9 + i * 0.0005, lon=1.9)
    first = get(client, near="47.9,1.9", radius=20)
    second = get(client, near="47.9,1.9", radius=20, page=2)
    assert (first["count"], first["pages"], len(first["features"]), len(second["features"])) == (
        130,
        2,
        100,
        30,
    )
    ids = [f["id"] for f in first["features"] + second["features"]]
    assert len(set(ids)) == 130


def test_places_endpoint(client):
    response = client.get("/api/v1/places/", {"q": "41100", "limit": 50})
    results = response.json()["results"]
    assert {"Vendôme", "Naveil"} <= {r["name"] for r in results}
    vendome = results[0]
    assert vendome == {
        "name": "Vendôme",
        "insee": "41269",
        "postal_codes": ["41100"],
        "departement": "41",
        "departement_name": "Loir-et-Cher",
        "label": "Vendôme (41100)",
        "lat": pytest.approx(47.7926, abs=1e-3),
        "lon": pytest.approx(1.0653, abs=1e-3),
    }
    for params in (
        {},
        {"q": ""},
        {"q": "orl", "limit": "x"},
        {"q": "orl", "limit": "0"},
        {"q": "a" * 101},
    ):
        response = client.get("/api/v1/places/", params)
        assert response.status_code == 400 and response.json()["errors"]
