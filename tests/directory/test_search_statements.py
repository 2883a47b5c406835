"""The proximity ranking compiled once per set of filters, with its centre and radius bound
at execution (directory.ranking), and prepared once per PostgreSQL connection
(directory.prepared): same answers as compiling every search, on both backends."""

import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from directory import prepared, ranking
from directory.models import ActorKind, DistributionLink, OpeningSlot, Weekday
from directory.search import Search
from geodata.spatial import Slot, bind

pytestmark = pytest.mark.django_db

CENTRES = [(47.9, 1.9), (47.6, 1.33), (47.08, 2.4)]


@pytest.fixture(autouse=True)
def _fresh_statements():
    ranking.forget_statements()
    yield
    ranking.forget_statements()


@pytest.fixture
def spread(make_actor):
    """Producers around three towns, and a market near each town with a producer from
    40 km away who sells there (reached through it)."""
    actors = []
    for lat, lon in CENTRES:
        for i in range(6):
            actors.append(make_actor(lat=lat + 0.02 * i, lon=lon - 0.015 * i))
        market = make_actor(lat=lat + 0.01, lon=lon + 0.01, kind=ActorKind.MARKET)
        far = make_actor(lat=lat + 0.36, lon=lon)
        DistributionLink.objects.create(actor=far, place=market, weekday=Weekday.SATURDAY)
        OpeningSlot.objects.create(
            actor=market,
            weekday=Weekday.SATURDAY,
            opens=datetime.time(8),
            closes=datetime.time(13),
        )
        actors += [market, far]
    return actors


def _search(lat, lon, radius=20, **filters):
    from django.contrib.gis.geos import Point

    return Search(
        point=Point(lon, lat, srid=4326),
        radius_km=radius,
        now=datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC),
        **filters,
    )


def _compiled_each_time(search):
    ranking.forget_statements()
    return ranking.ranked(search)


def test_one_compilation_serves_every_centre_and_radius_with_the_same_answers(spread, monkeypatch):
    compiled = []
    real = ranking._compile_ranking
    monkeypatch.setattr(ranking, "_compile_ranking", lambda s: compiled.append(1) or real(s))
    answers = []
    for (lat, lon), radius in zip(CENTRES, (5, 20, 60), strict=True):
        answers.append(ranking.ranked(_search(lat, lon, radius)))
    assert len(compiled) == 1, f"the ranking was compiled {len(compiled)} times for one shape"
    for (lat, lon), radius, answer in zip(CENTRES, (5, 20, 60), answers, strict=True):
        assert answer, f"nothing found around {lat},{lon}: the test proves nothing"
        assert answer == _compiled_each_time(_search(lat, lon, radius)), (
            f"the reused statement answered differently around {lat},{lon} within {radius} km"
        )
    # The far producers count through their market: the slots reached the whole statement.
    assert any(via is not None for answer in answers for _pk, _m, via in answer)


def test_each_set_of_filters_has_its_own_statement(spread):
    everything = ranking.ranked(_search(*CENTRES[1]))
    markets = ranking.ranked(_search(*CENTRES[1], kinds=[ActorKind.MARKET]))
    assert len(ranking._STATEMENTS) == 2
    assert 0 < len(markets) < len(everything)
    assert ranking.ranked(_search(*CENTRES[1])) == everything


def test_text_searches_and_open_now_are_compiled_every_time(spread, monkeypatch):
    compiled = []
    real = ranking._compile_ranking
    monkeypatch.setattr(ranking, "_compile_ranking", lambda s: compiled.append(1) or real(s))
    for _ in range(2):
        ranking.ranked(_search(*CENTRES[0], q="ferme"))
        ranking.ranked(_search(*CENTRES[0], open="now"))
    assert len(compiled) == 4, "a text search or « open now » reused a compiled statement"
    assert not ranking._STATEMENTS


def test_a_day_filter_reused_keeps_its_date_and_its_answers(spread):
    first = _search(*CENTRES[0], open="saturday")
    answer = ranking.ranked(first)
    again = _search(*CENTRES[0], open="saturday")
    assert ranking.ranked(again) == answer
    assert again.open_date == first.open_date == datetime.date(2026, 12, 5), (
        "the reused statement did not give the search its date (the page says which Saturday)"
    )
    ranking.forget_statements()
    assert ranking.ranked(_search(*CENTRES[0], open="saturday")) == answer


def test_kept_statements_are_bounded(spread, monkeypatch):
    monkeypatch.setattr(ranking, "STATEMENTS_KEPT", 2)
    for kinds in ([ActorKind.MARKET], [ActorKind.PRODUCER], [ActorKind.SHOP]):
        ranking.ranked(_search(*CENTRES[0], kinds=kinds))
    assert len(ranking._STATEMENTS) == 2


def test_slots_are_bound_by_name_and_nothing_else_is_touched():
    assert bind([1, Slot("lat"), "x", Slot("lon")], {"lat": 47.0, "lon": 1.5}) == [
        1,
        47.0,
        "x",
        1.5,
    ]
    with pytest.raises(KeyError):
        bind([Slot("metres")], {})


def test_placeholders_are_numbered_for_prepare():
    assert prepared.numbered("SELECT %s, '100%%', %s") == ("SELECT $1, '100%', $2", 2)


def _prepared_names():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name LIKE 'toutpres_%%'")
        return {row[0] for row in cursor.fetchall()}


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _as_a_new_connection():
    """What a reconnection leaves: no statement prepared on the server, and the registry
    of the previous connection, naming statements this one does not have."""
    if _postgres():
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
    previous = {"SELECT old": "toutpres_gone"}
    connection._toutpres_prepared = (object(), previous)


def _prepared_statements(queries) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("PREPARE", "EXECUTE"))
    ]


def test_postgres_prepares_the_page_once_per_connection_sqlite_never(spread, client):
    _as_a_new_connection()
    with CaptureQueriesContext(connection) as first:
        client.get("/api/v1/actors/", {"near": "47.9,1.9", "radius": "20"})
    with CaptureQueriesContext(connection) as second:
        response = client.get("/api/v1/actors/", {"near": "47.6,1.33", "radius": "30"})
    assert response.status_code == 200, response.content[:300]
    assert response.json()["features"], "nothing found: the test proves nothing"
    if not _postgres():
        # SQLite prepares and caches its statements by itself: nothing of ours is sent.
        assert not _prepared_statements(first) + _prepared_statements(second)
        return
    prepares = [q for q in _prepared_statements(first) if q.startswith("PREPARE")]
    assert len(prepares) == 1, f"the first search prepared {len(prepares)} statements"
    assert not any(q.startswith("PREPARE") for q in _prepared_statements(second)), (
        "the second search prepared its statement again on the same connection"
    )
    assert any(q.startswith("EXECUTE toutpres_") for q in _prepared_statements(second))
    assert len(_prepared_names()) == 1
    # A new connection has none: it prepares again, and answers the same.
    _as_a_new_connection()
    again = client.get("/api/v1/actors/", {"near": "47.6,1.33", "radius": "30"})
    assert again.json() == response.json()
    assert len(_prepared_names()) == 1


def test_a_statement_that_cannot_be_prepared_runs_as_it_is_inside_a_transaction(caplog):
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL cannot tell which + two untyped parameters mean: PREPARE fails.
        prepared.execute(connection, cursor, "SELECT %s + %s", [2, 3])
        assert cursor.fetchone() == (5,)
        cursor.execute("SELECT 1")  # the transaction was not aborted
        assert cursor.fetchone() == (1,)
    assert ("not prepared" in caplog.text) == _postgres(), caplog.text


def test_prepared_statements_can_be_turned_off(spread, client, settings):
    settings.TOUTPRES_PREPARED_STATEMENTS = False
    _as_a_new_connection()
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/actors/", {"near": "47.9,1.9", "radius": "20"})
    assert response.status_code == 200 and response.json()["features"]
    assert not _prepared_statements(queries)
    if _postgres():
        assert not _prepared_names()


def test_each_connection_keeps_a_bounded_number_of_statements(spread, monkeypatch):
    monkeypatch.setattr(prepared, "PREPARED_KEPT", 1)
    _as_a_new_connection()
    from directory.ranking import page_rows

    pages = [
        page_rows(_search(*CENTRES[0], kinds=k), 0, 100)
        for k in ([ActorKind.MARKET], [ActorKind.PRODUCER], [])
    ]
    assert all(rows for rows, _links, _total in pages), "a search found nothing"
    if _postgres():
        assert len(_prepared_names()) == 1, "the oldest prepared statements were not deallocated"
    else:
        assert not hasattr(connection, "_toutpres_prepared") or connection._toutpres_prepared[
            1
        ] == {"SELECT old": "toutpres_gone"}, "SQLite connections keep no registry of ours"
