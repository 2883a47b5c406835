"""The map layer's caching stays consistent and bounded: precomputed cells are read and
rebuilt on the primary even when public requests read a replica, one request reads one
database, the rebuild never takes a lock that replicas replay as blocking, and clients
cannot fill the shared cache with week-long entries of their own making."""

import contextlib

import pytest
from django.core.cache import cache
from django.db import connection, router
from django.test.utils import CaptureQueriesContext

from directory import dataversion, dbrouter, layercells
from directory.layer import UNVERSIONED_MAX_AGE, VERSIONED_S_MAXAGE, tile_of
from directory.models import ActorKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_request_on_a_replica(monkeypatch):
    """A context: a public request with the router installed and a usable replica; the
    ``replica`` alias does not exist here, so any read the router sends to it fails loudly."""
    monkeypatch.setattr(router, "routers", [dbrouter.PrimaryReplicaRouter()])
    monkeypatch.setattr(dbrouter, "replica_usable", lambda: True)

    @contextlib.contextmanager
    def public():
        mark = dbrouter._public_request.set(True)
        choice = dbrouter._request_choice.set(None)
        try:
            yield
        finally:
            dbrouter._public_request.reset(mark)
            dbrouter._request_choice.reset(choice)

    return public


# Outside a transaction: the router sends reads inside one to the primary anyway.
@pytest.mark.django_db(transaction=True)
def test_cells_are_checked_rebuilt_and_read_on_the_primary(make_actor, public_request_on_a_replica):
    # The version the request got (from the replica, or the primary) and a stale set of
    # cells: the cells' version, the rebuild and the read of the cells must all happen on
    # the primary, never on a replica that may have replayed the bump but not the rebuild.
    make_actor(lat=47.5, lon=1.5)
    version = dataversion.current(using="default")
    x, y = tile_of(1.5, 47.5, 6)
    try:
        with public_request_on_a_replica():
            cells = layercells.clusters(version, 6, x, y)
            cells_version = layercells.cells_version()
    except Exception as error:  # ConnectionDoesNotExist: a read went to the replica
        pytest.fail(f"the cells machinery read the replica during a public request: {error!r}")
    assert [n for _, _, n, _, _ in cells] == [1], cells
    assert cells_version == version


@pytest.mark.django_db(transaction=True)
def test_one_request_reads_one_database(monkeypatch):
    # The replica turns usable in the middle of a request (its health check came due): the
    # request keeps reading where it started, so the data version it read and the rows it
    # caches under it come from the same database.
    from directory.models import Actor

    monkeypatch.setattr(router, "routers", [dbrouter.PrimaryReplicaRouter()])
    answers = iter([False, True, True])
    monkeypatch.setattr(dbrouter, "replica_usable", lambda: next(answers))
    public = dbrouter._public_request.set(True)
    choice = dbrouter._request_choice.set(None)
    try:
        seen = [dbrouter.PrimaryReplicaRouter().db_for_read(Actor) for _ in range(3)]
    finally:
        dbrouter._public_request.reset(public)
        dbrouter._request_choice.reset(choice)
    assert seen == ["default"] * 3, f"one request read several databases: {seen}"


def test_the_rebuild_does_not_truncate(make_actor):
    # TRUNCATE's ACCESS EXCLUSIVE lock replays on PostgreSQL replicas and blocks or cancels
    # their reads; DELETE does not.
    make_actor(lat=47.5, lon=1.5)
    with CaptureQueriesContext(connection) as queries:
        layercells.rebuild()
    statements = [q["sql"] for q in queries.captured_queries]
    assert any("DELETE" in s.upper() for s in statements), statements
    assert not any("TRUNCATE" in s.upper() for s in statements), statements


@pytest.fixture
def stored(monkeypatch):
    """(key, timeout) of every tile the view puts in the shared cache."""
    calls = []
    real_set = cache.set

    def spy(key, value, timeout=None, *args, **kwargs):
        if key.startswith("layer-tile:"):
            calls.append((key, timeout))
        return real_set(key, value, timeout, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    return calls


def test_free_text_and_unversioned_tiles_are_kept_briefly(client, make_actor, stored):
    make_actor(lat=47.5, lon=1.5)
    x, y = tile_of(1.5, 47.5, 12)
    url = f"/api/v1/layer/12/{x}/{y}.geojson"
    version = dataversion.current()
    for n in range(5):
        response = client.get(url, {"q": f"zz{n}", "v": version})
        assert response.status_code == 200
        assert response["Cache-Control"].endswith(f"s-maxage={UNVERSIONED_MAX_AGE}"), (
            "shared caches keep free-text tiles for days"
        )
    client.get(url)
    client.get(url, {"kind": ActorKind.PRODUCER, "v": version, "utm": "x"})
    assert stored and all(t <= UNVERSIONED_MAX_AGE for _, t in stored), (
        f"tiles a client can vary at will are stored long: {stored}"
    )
    stored.clear()
    cache.clear()
    response = client.get(url, {"kind": ActorKind.PRODUCER, "v": version})
    assert stored == [(stored[0][0], VERSIONED_S_MAXAGE)], "the current version's tile is kept"
    assert f"s-maxage={VERSIONED_S_MAXAGE}" in response["Cache-Control"]


def test_equal_searches_share_one_cache_entry(client, make_actor, stored):
    make_actor(lat=47.5, lon=1.5)
    x, y = tile_of(1.5, 47.5, 12)
    url = f"/api/v1/layer/12/{x}/{y}.geojson"
    bodies = {client.get(url, {"q": q}).content for q in ("Ferme  bio", " ferme bio ", "FERME BIO")}
    assert len(bodies) == 1
    assert len({k for k, _ in stored}) == 1, (
        f"spacing or case of the same search made new cache entries: {stored}"
    )
    client.get(url, {"kind": [ActorKind.PRODUCER, ActorKind.PRODUCER]})
    client.get(url, {"kind": ActorKind.PRODUCER})
    assert len({k for k, _ in stored}) == 2, "a repeated value made a new entry"
