"""The database cache's counters (directory.cache.DatabaseCache): what rate limits, page
view counts and the geocoder's breaker count with, on both backends.

An integer ``incr`` wrote is stored as a number, so that the next ``incr`` is one UPDATE:
atomic across processes (tests/security/test_shared_rate_limits.py) and one round trip.
"""

import datetime

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from directory.cache import COUNTER

TABLE = "test_counter_cache"
CACHES = {"default": {"BACKEND": "directory.cache.DatabaseCache", "LOCATION": TABLE}}


@pytest.fixture
def cache(settings):
    settings.CACHES = CACHES
    call_command("createcachetable", verbosity=0)
    cache = caches["default"]
    cache.clear()
    return cache


def stored(cache, key):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {TABLE} WHERE cache_key = %s",  # noqa: S608 (test constant)
            [cache.make_key(key)],
        )
        row = cursor.fetchone()
    return row and row[0]


def durable(on):
    """This session's commits wait for the disk (on=True), or as the server says (None): the
    test command's PostgreSQL runs with synchronous_commit off for speed."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO on" if on else "RESET synchronous_commit")


@pytest.mark.django_db
def test_a_counter_is_one_statement_after_its_first_increment(cache):
    assert cache.add("hits", 1, 60)
    assert cache.incr("hits") == 2  # the pickle that add() stored becomes a number
    assert stored(cache, "hits") == f"{COUNTER}2"
    with CaptureQueriesContext(connection) as queries:
        assert cache.incr("hits") == 3
        assert cache.incr("hits", 5) == 8
        assert cache.decr("hits", 2) == 6
    updates = [q["sql"] for q in queries.captured_queries]
    assert len(updates) == 3, f"each increment should be one statement: {updates}"
    assert cache.get("hits") == 6
    assert cache.get_many(["hits", "missing"]) == {"hits": 6}


@pytest.mark.django_db
def test_missing_and_expired_counters_raise_as_django_does(cache, settings):
    with pytest.raises(ValueError):
        cache.incr("never")
    cache.add("old", 1, 60)
    cache.incr("old")
    with connection.cursor() as cursor:  # expire it
        past = connection.ops.adapt_datetimefield_value(
            datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
        )
        cursor.execute(
            f"UPDATE {TABLE} SET expires = %s WHERE cache_key = %s",  # noqa: S608 (test constant)
            [past, cache.make_key("old")],
        )
    with pytest.raises(ValueError):
        cache.incr("old")
    assert cache.get("old") is None, "an expired counter was read"
    assert cache.add("old", 1, 60), "an expired counter blocks a new one"
    assert cache.incr("old") == 2


@pytest.mark.django_db
def test_other_values_are_still_pickles(cache):
    cache.set("ratio", 1.5, 60)
    assert cache.incr("ratio") == 2.5
    assert cache.get("ratio") == 2.5
    assert not stored(cache, "ratio").startswith(COUNTER)
    cache.set("text", "#5 is not a counter", 60)
    assert cache.get("text") == "#5 is not a counter"
    with pytest.raises(TypeError):
        cache.incr("text")
    cache.set("flag", True, 60)
    assert cache.get("flag") is True


@pytest.mark.django_db
def test_a_caller_transaction_keeps_waiting_for_the_disk(cache):
    """Counting inside someone's transaction (a registration step) must not make that
    transaction's commit skip the disk."""
    cache.add("hits", 1, 60)
    durable(on=True)
    with transaction.atomic():
        assert cache.incr("hits") == 2  # the locked read and write back
        assert cache.incr("hits") == 3  # the one-statement increment
        if connection.vendor == "postgresql":  # (synchronous_commit is PostgreSQL's)
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "on", "a counter turned off the caller's durability"
    assert cache.get("hits") == 3


@pytest.mark.django_db(transaction=True)
def test_on_its_own_a_count_commits_without_waiting_and_leaves_the_session_as_it_was(cache):
    cache.add("hits", 1, 60)
    durable(on=True)
    try:
        assert cache.incr("hits") == 2
        assert cache.incr("hits") == 3
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                assert cursor.fetchone()[0] == "on", "SET LOCAL leaked out of the counter's query"
    finally:
        durable(on=None)
    assert cache.get("hits") == 3
