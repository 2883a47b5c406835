"""The API and site throttles: a sliding window of two integers per client in the shared
cache, whatever the limit (DRF's throttle pickled each client's whole request history on
every request), and no double allowance across a window boundary."""

import pytest
from django.core.cache import cache

from directory import ratelimit
from directory.ratelimit import sliding_allow

pytestmark = pytest.mark.django_db

WINDOW = 60
START = 1_000_000 * WINDOW  # the start of a window


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    ratelimit._CLOSED.clear()  # the closed windows' counts each process keeps
    yield
    cache.clear()
    ratelimit._CLOSED.clear()


def stored_values(scope, key):
    names = [ratelimit._name(scope, key, START // WINDOW + shift) for shift in (-1, 0, 1)]
    return cache.get_many(names)


def test_the_cache_holds_one_integer_per_client_and_window_whatever_the_limit():
    for limit in (10, 100_000):
        scope = f"test:{limit}"
        for i in range(300):
            sliding_allow(scope, "192.0.2.1", limit, WINDOW, now=START + i * 0.1)
        values = stored_values(scope, "192.0.2.1")
        assert list(values.values()) == [min(300, limit)], (
            f"limit {limit}: the client's cache entry is not one count: {values!r}"
        )
        assert all(type(v) is int for v in values.values()), "the count is not an int"


def test_a_burst_on_both_sides_of_a_window_boundary_is_not_allowed_twice():
    limit = 10
    end = START + WINDOW - 1  # the last second of a window
    assert all(sliding_allow("t", "c", limit, WINDOW, now=end)[0] for _ in range(limit))
    assert not sliding_allow("t", "c", limit, WINDOW, now=end)[0], "over the limit"
    # One second later, a new fixed window: a fixed-window counter would allow 10 more.
    allowed = sum(sliding_allow("t", "c", limit, WINDOW, now=end + 1)[0] for _ in range(limit))
    assert allowed == 0, f"{allowed} more requests allowed right after the boundary"
    # Half a window later, half of the previous window still counts.
    half = end + 1 + WINDOW / 2
    allowed = sum(sliding_allow("t", "c", limit, WINDOW, now=half)[0] for _ in range(limit))
    assert allowed == limit // 2, f"{allowed} allowed half a window later, not {limit // 2}"
    # Two windows later the client has its whole allowance again.
    later = end + 1 + 2 * WINDOW
    allowed = sum(sliding_allow("t", "c", limit, WINDOW, now=later)[0] for _ in range(limit))
    assert allowed == limit, f"only {allowed} allowed once the old windows are gone"


def test_a_refusal_spends_nothing_and_says_when_the_next_request_passes():
    limit = 4
    now = START + 15  # a quarter into a window
    for _ in range(limit):
        assert sliding_allow("r", "c", limit, WINDOW, now=now)[0]
    for _ in range(20):
        allowed, wait = sliding_allow("r", "c", limit, WINDOW, now=now)
        assert not allowed
    counts = list(stored_values("r", "c").values())
    assert counts == [limit], f"refused requests were counted: {counts}"
    # The rest of this window (45 s) and a quarter of the next (the 4 fade out by then).
    assert wait == 45 + 15, f"Retry-After {wait}"
    assert not sliding_allow("r", "c", limit, WINDOW, now=now + wait - 1)[0], "passed too early"
    assert sliding_allow("r", "c", limit, WINDOW, now=now + wait)[0], "still refused on time"


def test_the_api_throttle_uses_the_sliding_window(client, settings, monkeypatch):
    settings.TOUTPRES_API_RATE = "3/minute"
    monkeypatch.setattr(ratelimit.time, "time", lambda: START + 30.0)  # mid-window
    for _ in range(3):
        assert client.get("/api/v1/kinds/").status_code == 200
    response = client.get("/api/v1/kinds/")
    assert response.status_code == 429
    assert response.json()["retry_after"] == int(response["Retry-After"]) == 30 + 20
    values = list(stored_values("throttle:api", "127.0.0.1").values())
    assert values == [3], f"the API throttle's cache entries: {values!r}"
