"""The health check (/sante/, /healthz): database, cache and migrations, nothing revealed."""

import json

import pytest
from django.db import OperationalError
from django.test import Client

from directory import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migrations_check():
    health.reset()
    health._migrations.update(at=None, ok=False)
    yield
    health.reset()
    health._migrations.update(at=None, ok=False)


def read(response) -> dict:
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    return json.loads(response.content)


@pytest.mark.parametrize("path", ["/sante/", "/healthz"])
def test_a_healthy_site_answers_ok(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert read(response) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "migrations": "ok"},
    }
    assert "no-store" in response["Cache-Control"], "a monitor must never read a cached answer"


def test_head_is_answered_and_post_refused(client):
    assert client.head("/sante/").status_code == 200
    assert client.post("/sante/").status_code == 405


def test_every_migration_of_the_test_database_is_applied():
    assert health.unapplied_migrations() == []


def test_an_unapplied_migration_fails_the_check_without_naming_it(client, monkeypatch):
    monkeypatch.setattr(health, "unapplied_migrations", lambda: ["directory.9999_secret_change"])
    response = client.get("/sante/")
    assert response.status_code == 503
    body = read(response)
    assert body["failing"] == ["migrations"]
    assert body["checks"] == {"database": "ok", "cache": "ok", "migrations": "error"}
    assert b"9999" not in response.content, "the answer names no migration (logs do)"


def test_the_migrations_are_read_once_per_interval(client, monkeypatch):
    calls = []

    def unapplied():
        calls.append(1)
        return []

    monkeypatch.setattr(health, "unapplied_migrations", unapplied)
    for _ in range(5):
        assert client.get("/sante/").status_code == 200
    assert len(calls) == 1, f"the migration files were read {len(calls)} times in a row"
    health._migrations["at"] -= health.MIGRATIONS_CHECK_SECONDS + 1
    health._answer["at"] = None  # past the remembered answer too
    client.get("/sante/")
    assert len(calls) == 2, "an expired result must be read again"


def test_a_database_that_does_not_answer_gives_503(client, monkeypatch):
    def refused():
        raise OperationalError(
            'connection to server at "db.internal" (10.1.2.3), port 5432 failed: refused'
        )

    monkeypatch.setitem(health.CHECKS, "database", refused)
    response = client.get("/sante/")
    assert response.status_code == 503
    body = read(response)
    assert body["status"] == "error"
    assert body["failing"] == ["database", "migrations"]
    assert b"db.internal" not in response.content and b"10.1.2.3" not in response.content, (
        "the health check must not reveal host names or addresses"
    )


def test_a_cache_that_loses_keys_is_degraded_not_down(client, monkeypatch):
    # Every server shares the cache, and the site serves without it (a Redis that goes away
    # is a miss): a 503 would make the load balancer take every server out at once.
    from django.core.cache import cache

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    response = client.get("/sante/")
    assert response.status_code == 200, "a cache outage alone must not take the servers out"
    body = read(response)
    assert body["status"] == "degraded", body
    assert body["failing"] == ["cache"], body


def test_a_flood_of_checks_costs_no_query_nor_cache_write(client, monkeypatch):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert client.get("/sante/").status_code == 200
    writes = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda *a, **k: writes.append(a[0]) or real_set(*a, **k))
    with CaptureQueriesContext(connection) as queries:
        for _ in range(50):
            assert client.get("/sante/").status_code == 200
    checks = [q["sql"] for q in queries if "SELECT 1" in q["sql"] or "cache" in q["sql"]]
    assert not checks, f"50 checks in a row ran {len(checks)} queries: {checks[:3]}"
    assert not writes, f"50 checks in a row wrote the cache {len(writes)} times"


def test_the_cache_is_written_once_per_interval_and_read_back_otherwise(client, monkeypatch):
    from django.core.cache import cache

    writes = []
    real_set = cache.set
    monkeypatch.setattr(cache, "set", lambda *a, **k: writes.append(a[0]) or real_set(*a, **k))
    for _ in range(3):
        health._answer["at"] = None  # past the remembered answer: the checks run
        assert client.get("/sante/").status_code == 200
    assert len(writes) == 1, f"the cache check wrote {len(writes)} times within its interval"
    health._cache_written["at"] -= health.CACHE_WRITE_SECONDS + 1
    health._answer["at"] = None
    assert client.get("/sante/").status_code == 200
    assert len(writes) == 2, "an expired cache check must write again"


def test_the_answer_reveals_no_version_nor_host(client):
    response = client.get("/sante/")
    assert set(read(response)) == {"status", "checks"}
    text = response.content.decode()
    for secret in ("version", "django", "python", "host", "127.0.0.1"):
        assert secret not in text.lower(), f"{secret!r} in {text}"
    assert "Server" not in response.headers


def test_it_is_not_counted_as_a_page_view(client, monkeypatch):
    from directory.figures import middleware

    counted = []
    monkeypatch.setattr(middleware, "record_page_view", lambda page, entry: counted.append(page))
    client.get("/sante/")
    client.get("/healthz")
    assert counted == []
    client.get("/")
    assert counted, "the control request (the home page) should have been counted"


def test_it_answers_plain_http_when_the_site_redirects_to_https(settings):
    """Load balancers probe app servers over plain HTTP; the rest of the site redirects."""
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/sante/").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


def test_it_is_not_rate_limited(client, settings):
    settings.TOUTPRES_SITE_RATE = "2/minute"
    settings.TOUTPRES_API_RATE = "2/hour"
    for _ in range(6):
        assert client.get("/sante/").status_code == 200
