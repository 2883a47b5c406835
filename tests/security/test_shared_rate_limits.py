"""Rate limits hold with several server processes, and X-Forwarded-For is believed only
when a configured proxy sent it.

The multi-process test starts real processes with the production settings (DEBUG off, no
CACHE_URL: the defaults an operator gets), each with its own Django and its own database
connection, and has them hit the rate-limit code of the registration form and of the API
at the same moment, from the same address.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from directory.models import Actor
from tests.directory.test_registration import identity
from tests.test_settings import settings_in_subprocess

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
ATTEMPTS = 25  # per worker: 100 in all
LIMIT = 20

WORKER = textwrap.dedent(
    """
    import json, sys
    import django
    django.setup()
    from django.test import RequestFactory
    from directory.registration.ratelimit import allow_request
    from directory.api.throttling import ApiRateThrottle

    print("ready", flush=True)
    sys.stdin.readline()  # every worker starts at the same moment
    factory = RequestFactory()
    registrations = api = 0
    for n in range(%(attempts)d):
        request = factory.post("/inscription/", REMOTE_ADDR="198.51.100.20")
        registrations += allow_request(request, "register-%(run)s", f"p{n}-%(run)s@example.org")
        request = factory.get("/api/v1/kinds/", REMOTE_ADDR="198.51.100.20")
        throttle = ApiRateThrottle()
        throttle.scope = "api-%(run)s"
        api += throttle.allow_request(request, None)
    print(json.dumps({"registrations": registrations, "api": api}), flush=True)
    """
)


def _worker_database_url(tmp_path) -> str:
    if connection.vendor == "sqlite":
        return f"spatialite:///{tmp_path / 'shared.sqlite3'}"
    s = connection.settings_dict  # the test database, reachable from other processes
    return f"postgis://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _production_environment(tmp_path, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "CACHE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=_worker_database_url(tmp_path),
        TOUTPRES_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="multi-process-test",
        RATE_LIMIT_PER_IP=str(LIMIT),
        RATE_LIMIT_PER_EMAIL="1000",
        API_RATE_LIMIT=f"{LIMIT}/hour",
        **extra,
    )
    return env


def test_limits_hold_across_server_processes(django_db_setup, django_db_blocker, tmp_path):
    env = _production_environment(tmp_path)
    # What the deployment steps run (docs/operators.md); migrate does it too.
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    script = WORKER % {"attempts": ATTEMPTS, "run": tmp_path.name}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", "a worker did not start"
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        results = []
        for worker in workers:
            out, _ = worker.communicate(timeout=300)
            assert worker.returncode == 0, "a worker failed"
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    registrations = sum(r["registrations"] for r in results)
    api = sum(r["api"] for r in results)
    total = WORKERS * ATTEMPTS
    assert registrations == LIMIT, (
        f"{registrations} of {total} registrations from one address passed a limit of "
        f"{LIMIT} across {WORKERS} processes: the default cache is not shared"
    )
    assert api == LIMIT, f"{api} of {total} API requests passed a limit of {LIMIT}/hour"


def _settings_of(tmp_path, code: str, **env) -> str:
    """``code``'s output under production settings (no DEBUG), in a fresh process."""
    return settings_in_subprocess(
        code, TOUTPRES_VAR_DIR=str(tmp_path / "var"), SECRET_KEY="multi-process-test", **env
    )


def test_production_defaults_to_a_shared_cache_and_redis_when_asked(tmp_path):
    backend = "print(settings.CACHES['default']['BACKEND'])"
    assert _settings_of(tmp_path, backend) == "directory.cache.DatabaseCache", (
        "without CACHE_URL, production must count in the database, shared by all processes"
    )
    assert _settings_of(tmp_path, backend, DEBUG="1").endswith("LocMemCache")
    assert (
        _settings_of(tmp_path, backend, CACHE_URL="redis://127.0.0.1:6379/1")
        == "directory.cache.RedisCache"
    )


# --- Which address is the client's ------------------------------------------------------

SPOOFED = ["1.1.1.1", "2.2.2.2, 3.3.3.3", "127.0.0.1", "::1", "garbage", "10.0.0.1, 127.0.0.1"]


@pytest.fixture
def behind_proxy(settings):
    settings.TOUTPRES_BEHIND_PROXY = True
    settings.TOUTPRES_TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.8.0.0/16"]


def test_forwarded_for_from_a_stranger_is_ignored(behind_proxy):
    from directory.ratelimit import client_ip

    factory = RequestFactory()
    for spoofed in SPOOFED:
        request = factory.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=spoofed)
        assert client_ip(request) == "203.0.113.5", (
            f"X-Forwarded-For {spoofed!r} from an untrusted address changed the identity"
        )


def test_forwarded_for_from_a_trusted_proxy_names_the_client(behind_proxy):
    from directory.ratelimit import client_ip

    factory = RequestFactory()
    cases = {
        ("127.0.0.1", "198.51.100.7"): "198.51.100.7",
        # The client's own claim on the left is skipped: the hop our proxy added counts.
        ("127.0.0.1", "6.6.6.6, 198.51.100.7"): "198.51.100.7",
        # A chain of our own proxies: the first address that is not one of them.
        ("::1", "6.6.6.6, 198.51.100.7, 10.8.3.4"): "198.51.100.7",
        ("10.8.0.2", "2001:db8::5"): "2001:db8::5",
        # The proxy sent nothing usable: the proxy itself is the identity.
        ("127.0.0.1", ""): "127.0.0.1",
        ("127.0.0.1", "garbage"): "127.0.0.1",
    }
    for (remote, forwarded), expected in cases.items():
        request = factory.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == expected, (remote, forwarded)


def test_without_behind_proxy_forwarded_for_is_never_read(settings):
    from directory.ratelimit import client_ip

    settings.TOUTPRES_BEHIND_PROXY = False
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "127.0.0.1"


@pytest.mark.django_db
def test_registrations_cannot_dodge_the_limit_with_forwarded_for(client, settings, behind_proxy):
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": 3, "PER_EMAIL_PER_HOUR": 100}
    for n in range(5):
        client.post(
            reverse("directory:register"),
            identity(name=f"Ferme {n}", email=f"f{n}@example.org"),
            REMOTE_ADDR="203.0.113.5",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    assert Actor.objects.count() == 3, "a spoofed X-Forwarded-For gave new allowances"
    # Behind our proxy, two real clients have their own allowance each.
    for n in range(2):
        response = client.post(
            reverse("directory:register"),
            identity(name=f"Autre ferme {n}", email=f"a{n}@example.org"),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
        assert response.status_code == 302, "a client behind the trusted proxy was refused"


@pytest.mark.django_db
def test_api_quota_follows_the_same_client_address(client, settings, behind_proxy):
    settings.TOUTPRES_API_RATE = "3/minute"
    for n in range(3):
        assert (
            client.get(
                "/api/v1/kinds/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}"
            ).status_code
            == 200
        )
    spoofed = client.get(
        "/api/v1/kinds/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="9.9.9.9"
    )
    assert spoofed.status_code == 429, "a spoofed X-Forwarded-For reset the API quota"
    for n in range(2):
        proxied = client.get(
            "/api/v1/kinds/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        )
        for _ in range(2):
            proxied = client.get(
                "/api/v1/kinds/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
            )
        assert proxied.status_code == 200, "clients behind the proxy share one quota"


DATABASE_CACHE = {
    "default": {"BACKEND": "directory.cache.DatabaseCache", "LOCATION": "test_shared_cache"}
}


@pytest.mark.django_db
def test_migrate_makes_the_cache_table_and_the_form_counts_in_it(client, settings):
    """A fresh deployment cannot forget createcachetable: migrate's post_migrate makes it,
    and the registration form's limit then counts in the database."""
    from django.core.management.sql import emit_post_migrate_signal

    settings.CACHES = DATABASE_CACHE
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert "test_shared_cache" in connection.introspection.table_names(), (
        "migrate did not create the database cache's table"
    )
    settings.TOUTPRES_RATE_LIMITS = {"PER_IP_PER_HOUR": 3, "PER_EMAIL_PER_HOUR": 100}
    for n in range(5):
        client.post(
            reverse("directory:register"), identity(name=f"Ferme {n}", email=f"f{n}@example.org")
        )
    assert Actor.objects.count() == 3, "the limit did not hold in the database cache"
