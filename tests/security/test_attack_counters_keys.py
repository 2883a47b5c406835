"""Attacks on the database cache's counters stored as "#n"
(directory.cache), the stored category keys (Actor.category_keys) and the per-process map
of their slugs (directory.category_map), the orjson renderer (directory.api.base) and the
proximity page's total (directory.ranking). Run on both backends."""

import datetime
import re

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from directory.cache import COUNTER
from directory.models import Actor, ActorKind, Category, DistributionLink, OpeningSlot, Weekday

TABLE = "attack_counter_cache"


@pytest.fixture
def dbcache(settings):
    settings.CACHES = {"default": {"BACKEND": "directory.cache.DatabaseCache", "LOCATION": TABLE}}
    call_command("createcachetable", verbosity=0)
    cache = caches["default"]
    cache.clear()
    from directory import ratelimit

    ratelimit.forget_closed_windows()
    yield cache
    cache.clear()
    ratelimit.forget_closed_windows()


def _stored(cache, key):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {TABLE} WHERE cache_key = %s",  # noqa: S608 (test constant)
            [cache.make_key(key)],
        )
        row = cursor.fetchone()
    return row and row[0]


# --- 1. The database cache's counters -------------------------------------------------


@pytest.mark.django_db
def test_a_counter_past_64_bits_keeps_counting_as_django_does(dbcache):
    """Django's database cache (and locmem, Redis raises) adds Python integers: any size.
    A counter that leaves SQL's 64-bit integers is kept as a pickle, counted in Python."""
    big = 2**63 - 1
    dbcache.set("big", big, 60)
    assert dbcache.incr("big") == big + 1
    assert dbcache.get("big") == big + 1
    assert not _stored(dbcache, "big").startswith(COUNTER), "a counter past bigint kept as SQL's"
    try:
        with transaction.atomic():  # (on PostgreSQL the error aborts the caller's transaction)
            value = dbcache.incr("big")
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"incr of a counter past bigint raised {type(error).__name__}: {error}")
    assert value == big + 2, f"incr past bigint answered {value!r}"
    assert dbcache.get("big") == big + 2, f"read back {dbcache.get('big')!r}"


@pytest.mark.django_db
def test_a_counter_at_the_bigint_edge_does_not_wrap_or_turn_into_a_float(dbcache):
    edge = 2**63 - 2
    dbcache.set("edge", edge, 60)
    assert dbcache.incr("edge") == edge + 1  # the pickle becomes "#9223372036854775807"
    try:
        with transaction.atomic():
            value = dbcache.incr("edge")  # one past bigint, in SQL
    except ValueError as error:
        pytest.fail(f"incr at the bigint edge raised ValueError (reads as 'missing key'): {error}")
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"incr at the bigint edge raised {type(error).__name__}: {error}")
    assert value == edge + 2


@pytest.mark.django_db
def test_bools_negative_deltas_and_decr_below_zero(dbcache):
    assert dbcache.add("flag", True, 60)
    assert dbcache.incr("flag") == 2 and dbcache.get("flag") == 2
    assert dbcache.add("n", 1, 60)
    assert dbcache.incr("n") == 2
    assert dbcache.decr("n", 5) == -3
    assert _stored(dbcache, "n") == f"{COUNTER}-3"
    assert dbcache.get("n") == -3
    assert dbcache.incr("n", -2) == -5
    assert dbcache.incr("n", 6) == 1
    assert dbcache.get_many(["n", "flag"]) == {"n": 1, "flag": 2}


@pytest.mark.django_db
def test_user_strings_starting_with_the_counter_mark_stay_strings(dbcache):
    """Every value a client can influence goes through set()/add(), which pickle."""
    for text in ("#12", "#", "#-1", "#1e5"):
        dbcache.set("geocode:" + text, text, 60)
        assert dbcache.get("geocode:" + text) == text
    dbcache.set_many({"a": "#3", "b": 3}, 60)
    assert dbcache.get_many(["a", "b"]) == {"a": "#3", "b": 3}
    assert dbcache.get_or_set("c", "#7", 60) == "#7" and dbcache.get("c") == "#7"


@pytest.mark.django_db
def test_the_sliding_limit_holds_on_the_database_cache(dbcache):
    from directory.ratelimit import sliding_allow

    now = 1_000_000 * 60 + 30.0
    answers = [sliding_allow("attack", "203.0.113.9", 5, 60, now=now)[0] for _ in range(12)]
    assert answers == [True] * 5 + [False] * 7, answers
    # A refused request is taken back: the count stays at the limit.
    from directory.ratelimit import _name

    assert dbcache.get(_name("attack", "203.0.113.9", int(now // 60))) == 5
    # The next window weighs the previous count ("#5", read back as a number).
    later = (int(now // 60) + 1) * 60 + 1.0  # a second into the next window
    allowed, wait = sliding_allow("attack", "203.0.113.9", 5, 60, now=later)
    assert not allowed and wait >= 1, "the previous window's '#5' was read as no count"


@pytest.mark.django_db
def test_an_expired_counter_is_not_revived_by_incr(dbcache):
    dbcache.add("old", 1, 60)
    assert dbcache.incr("old") == 2
    with connection.cursor() as cursor:
        past = connection.ops.adapt_datetimefield_value(
            datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        )
        cursor.execute(
            f"UPDATE {TABLE} SET expires = %s WHERE cache_key = %s",  # noqa: S608
            [past, dbcache.make_key("old")],
        )
    with pytest.raises(ValueError):
        dbcache.incr("old")
    assert dbcache.get_many(["old"]) == {}


@pytest.mark.django_db
def test_page_views_counted_as_numbers_are_flushed_exactly(dbcache, settings):
    from directory.figures import counting
    from directory.models import PageViewDay

    settings.TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = 0
    for _ in range(25):
        counting.record_page_view("accueil", entry=True)
    assert counting.flush_page_views() == 25
    row = PageViewDay.objects.get(page="accueil")
    assert (row.views, row.entries) == (25, 25)
    # Nothing left over to be counted twice, and a second flush moves nothing.
    assert counting.flush_page_views() == 0
    counting.record_page_view("accueil", entry=False)
    assert counting.flush_page_views() == 1


# --- 2. Actor.category_keys and save() ------------------------------------------------


@pytest.mark.django_db
def test_a_deleted_listing_can_be_restored_from_the_admin_history(client, boss, make_actor):
    """simple-history's admin lists the versions of a deleted listing and offers to restore
    one (history_form_view sets ``_state.adding = False``). Actor.save() now passes
    update_fields for such an instance: Django refuses to insert ("did not affect any
    rows"), and the restore is a 500."""
    from tests.directory.test_owner_roles import _FormFields

    actor = make_actor(name="Ferme effacée")
    actor.categories.set(Category.objects.order_by("pk")[:2])
    pk = actor.pk
    actor.delete()
    version = Actor.history.filter(id=pk).order_by("history_date", "history_id").first()
    client.force_login(boss)
    revert = reverse("admin:directory_actor_simple_history", args=[pk, version.history_id])
    page = client.get(revert)
    assert page.status_code == 200
    data = {}
    for name, value in _FormFields(page.content.decode()).data:
        data.setdefault(name, []).append(value)
    client.raise_request_exception = False
    response = client.post(revert, data)
    errors = re.findall(r"<ul class=\"errorlist[^>]*>(.*?)</ul>", response.content.decode(), re.S)
    assert response.status_code == 302, (
        f"restoring a deleted listing from its history answered {response.status_code} "
        f"(Actor.save() forces update_fields on an instance not in the table) {errors}"
    )
    restored = Actor.objects.get(pk=pk)
    assert restored.name == "Ferme effacée"


@pytest.mark.django_db
def test_saving_a_copy_and_force_insert_keep_working(make_actor):
    original = make_actor()
    original.categories.set(Category.objects.order_by("pk")[:1])
    copy = Actor.objects.get(pk=original.pk)
    copy.pk = None
    copy.slug = ""
    copy.save()  # pk None: an insert
    assert copy.pk != original.pk
    # The copy has no categories: its stored keys must not be the original's.
    copy.categories.clear()
    assert Actor.objects.filter(pk=copy.pk).stale_category_keys().count() == 0


@pytest.mark.django_db
def test_an_old_copy_saved_after_a_category_change_does_not_write_old_keys(make_actor):
    actor = make_actor()
    old = Actor.objects.get(pk=actor.pk)
    actor.categories.set(Category.objects.order_by("pk")[:2])
    old.name = "Renommée"
    old.save()
    assert not Actor.objects.filter(pk=actor.pk).stale_category_keys().exists()
    deferred = Actor.objects.only("name").get(pk=actor.pk)
    deferred.name = "Encore"
    deferred.save()
    assert not Actor.objects.filter(pk=actor.pk).stale_category_keys().exists()


# --- 3. The category map --------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_category_keys_are_dropped_not_a_500():
    from directory import category_map, dataversion

    version = dataversion.current()
    category_map.forget()
    assert category_map.category_slugs(connection, version, "987654321") == ""
    known = Category.objects.order_by("pk").first()
    assert category_map.category_slugs(connection, version, f"{known.pk} 987654321") == known.slug


@pytest.mark.django_db
def test_a_renamed_category_is_not_shown_under_its_old_slug(make_actor, client):
    """A rename from another process: the row and the data version change; this process's
    map must follow (it reloads on the version)."""
    from directory import category_map, dataversion

    category = Category.objects.order_by("pk").first()
    actor = make_actor(lat=47.9, lon=1.9)
    actor.categories.set([category])
    first = client.get("/api/v1/actors/?lat=47.9&lon=1.9&radius=5&format=json", secure=True)
    assert first.status_code == 200
    assert category.slug in first.json()["results"][0]["categories"]
    # Another process renames it: no signal here, the version moves.
    Category.objects.filter(pk=category.pk).update(slug="renommee-ailleurs")
    dataversion._bump_now(connection.alias)  # what the other process's commit does
    second = client.get("/api/v1/actors/?lat=47.9&lon=1.9&radius=5&format=json", secure=True)
    assert second.json()["results"][0]["categories"] == ["renommee-ailleurs"], (
        "the search page showed a renamed category under its old slug"
    )
    category_map.forget()


# --- 4. The orjson renderer -----------------------------------------------------------

HUGE = "99999999999999999999999"
PROBES = [
    f"/api/v1/actors/?page={HUGE}",
    f"/api/v1/actors/?lat=47.9&lon=1.9&radius=10&page={HUGE}",
    "/api/v1/actors/?lat=47.9&lon=1.9&radius=1e400",
    "/api/v1/actors/?lat=nan&lon=1.9",
    "/api/v1/actors/?lat=47.9&lon=inf",
    f"/api/v1/actors/?lat={HUGE}&lon=1.9",
    f"/api/v1/actors/?bbox={HUGE},1,2,3",
    "/api/v1/actors/?bbox=nan,nan,nan,nan",
    f"/api/v1/actors/?departement={HUGE}",
    f"/api/v1/actors/?commune={HUGE}",
    f"/api/v1/actors/?region={HUGE}",
    f"/api/v1/actors/?category={HUGE}",
    f"/api/v1/actors/{HUGE}/",
    f"/api/v1/markets/?page={HUGE}",
    f"/api/v1/markets/?lat=47.9&lon=1.9&radius={HUGE}",
    f"/api/v1/places/?q={HUGE}",
    f"/api/v1/articles/?page={HUGE}",
    f"/api/v1/articles/?actor={HUGE}",
    f"/api/v1/layer/?bbox=1,47,2,48&zoom={HUGE}",
    f"/api/v1/layer/{HUGE}/1/1.geojson",
    f"/api/v1/layer/3/{HUGE}/1.geojson",
    "/api/v1/actors/?q=%E2%80%A8%E2%80%A9",
    f"/api/v1/departements/?page={HUGE}",
    f"/api/v1/categories/?page={HUGE}",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PROBES)
def test_no_api_answer_is_a_500_with_huge_or_odd_numbers(client, territories, make_actor, url):
    make_actor(lat=47.9, lon=1.9)
    client.raise_request_exception = False
    for fmt in ("", "&format=json" if "?" in url else "?format=json"):
        response = client.get(url + fmt, secure=True)
        assert response.status_code < 500, f"{url + fmt} answered {response.status_code}"


# --- 5. The proximity page's total and rows -------------------------------------------

CENTRES = [(47.9, 1.9), (47.6, 1.33)]


@pytest.fixture
def spread(make_actor, territories):
    """Producers around two towns with categories, a market near each with a producer
    from 40 km away selling there on Saturdays (reached through it), and one producer
    selling at both markets."""
    from directory import category_map

    category_map.forget()
    cats = list(Category.objects.order_by("pk")[:3])
    actors = []
    markets = []
    for lat, lon in CENTRES:
        for i in range(7):
            actor = make_actor(lat=lat + 0.02 * i, lon=lon - 0.015 * i)
            actor.categories.set(cats[: 1 + i % 3])
            actors.append(actor)
        market = make_actor(lat=lat + 0.01, lon=lon + 0.01, kind=ActorKind.MARKET)
        OpeningSlot.objects.create(
            actor=market, weekday=Weekday.SATURDAY, opens=datetime.time(8), closes=datetime.time(13)
        )
        for j in range(3):
            far = make_actor(lat=lat + 0.36 + 0.01 * j, lon=lon)
            far.categories.set(cats[j : j + 1])
            DistributionLink.objects.create(actor=far, place=market, weekday=Weekday.SATURDAY)
            actors.append(far)
        markets.append(market)
        actors.append(market)
    both = make_actor(lat=47.75, lon=2.6)
    both.categories.set(cats[:2])
    for market in markets:
        DistributionLink.objects.create(actor=both, place=market, weekday=Weekday.SATURDAY)
    return cats


def _searches(cats):
    from directory.search import Search

    now = datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC)
    for lat, lon in CENTRES:
        point = Point(lon, lat, srid=4326)
        for radius, filters in (
            (20, {}),
            (20, {"kinds": [ActorKind.PRODUCER]}),
            (20, {"categories": [cats[0].slug]}),
            (20, {"categories": [cats[1].slug, cats[2].slug]}),
            (20, {"open": "saturday"}),
            (20, {"departements": ["45"]}),
            (20, {"departements": ["41", "37"]}),
            (60, {"regions": ["24"]}),
            (20, {"bbox": [lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.5]}),
            (1, {}),
            (200, {"categories": [cats[0].slug]}),
        ):
            yield Search(point=point, radius_km=radius, now=now, **filters)


@pytest.mark.django_db
def test_each_page_and_its_total_match_the_ranked_list(spread):
    """The page statement's total ((SELECT COUNT(*) FROM direct) + (… FROM reached)) and
    rows against Search.results() (the HTML list), for filtered searches, every page."""
    from directory.search import feature_page

    checked = 0
    for search in _searches(spread):
        results = search.results()
        expected = [r.pk for r in results]
        size = 4
        pages = max(1, -(-len(results) // size))
        seen = []
        for number in range(1, pages + 1):
            features, total = feature_page(search, number, size)
            assert total == len(results), (
                f"{search.radius_km} km {search.kinds or search.categories or search.open or search.departements or search.regions or search.bbox}: "
                f"page {number} says {total} results, the list has {len(results)}"
            )
            seen += [
                f["properties"]["id"] if "id" in f["properties"] else f["id"] for f in features
            ]
        assert len(seen) == len(expected), f"pages held {len(seen)} rows, the list {len(expected)}"
        assert seen == expected or sorted(seen) == sorted(expected), "pages and list differ"
        checked += bool(results)
        # A page past the end: no rows, the same total (the API's 400 comes from it).
        features, total = feature_page(search, pages + 1, size)
        assert features == [] and total == len(results)
    assert checked >= 8, "too few searches found anything: the test proves little"


@pytest.mark.django_db
def test_api_pages_categories_match_the_actor_detail(spread, client):
    """The page's slugs come from the stored keys through the map: they must be what the
    actor's own page says, in the same order."""
    lat, lon = CENTRES[0]
    url = f"/api/v1/actors/?lat={lat}&lon={lon}&radius=60&format=json"
    body = client.get(url, secure=True).json()
    assert body["results"], "nothing found"
    for row in body["results"]:
        actor = Actor.objects.get(slug=row["slug"]) if "slug" in row else None
        if actor is None:
            continue
        expected = list(
            actor.categories.order_by(*Category._meta.ordering).values_list("slug", flat=True)
        )
        assert row["categories"] == expected, (
            f"{row.get('slug')}: {row['categories']} != {expected}"
        )


@pytest.mark.django_db
def test_api_page_past_the_end_is_a_400(spread, client):
    lat, lon = CENTRES[0]
    client.raise_request_exception = False
    for extra in (
        "",
        f"&category={Category.objects.order_by('pk').first().slug}",
        "&open=saturday",
    ):
        response = client.get(
            f"/api/v1/actors/?lat={lat}&lon={lon}&radius=1{extra}&page=10000", secure=True
        )
        assert response.status_code == 400, (extra, response.status_code)
