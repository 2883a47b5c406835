"""The health check (/sante/, /healthz) for load balancers, monitors and the deployment.

It answers 200 ``{"status": "ok", "checks": {...}}`` when the database answers a query, the
cache keeps a key, and every migration is applied; 503 with the names of the failing checks
when the database or the migrations fail. A cache that fails alone gives 200 with
``"status": "degraded"``: the site still serves without it (a Redis that goes away is a miss,
directory.cache.RedisCache), and every server shares that cache, so a load balancer that
took them out on a 503 would take the whole site down for a cache outage. Monitoring pages on
"degraded". It shows nothing else (no error text, version or host name): failures are logged.

The public may call it as often as it likes (nginx serves the path to everyone): each process
answers from its last result for ``ANSWER_SECONDS``, so a flood costs no query, and the cache
is written once per ``CACHE_WRITE_SECONDS`` per process (the database cache's write takes
SQLite's write lock), read back otherwise.
"""

import logging
import os
import threading
import time
import uuid

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Reading the migration files takes tens of milliseconds: each process does it at most this
# often (a deployment migrates before it restarts the servers, so a few seconds is plenty).
MIGRATIONS_CHECK_SECONDS = 10.0
_migrations = {"at": None, "ok": False}
_migrations_lock = threading.Lock()
# A flood of /sante/ is answered from the last result, at most this old.
ANSWER_SECONDS = 1.0
_answer = {"at": None, "checks": None}
_answer_lock = threading.Lock()
# The cache check writes its key at most this often per process, and reads it back otherwise.
CACHE_WRITE_SECONDS = 10.0
_cache_written = {"at": None, "value": None}
# These failing mean the site cannot serve: 503. The cache alone failing: "degraded", 200.
CRITICAL = ("database", "migrations")


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 answered something else")


def check_cache() -> None:
    key = f"toutpres:health:{os.getpid()}"
    now = time.monotonic()
    at, value = _cache_written["at"], _cache_written["value"]
    if at is None or now - at >= CACHE_WRITE_SECONDS:
        value = uuid.uuid4().hex
        _cache_written["at"], _cache_written["value"] = None, None
        cache.set(key, value, int(CACHE_WRITE_SECONDS * 6))
        _cache_written["at"], _cache_written["value"] = now, value
    if cache.get(key) != value:
        _cache_written["at"] = None  # write again next time
        raise RuntimeError("the cache did not keep a key")


def unapplied_migrations() -> list[str]:
    """Migrations on disk that the database has not applied ("app.name")."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def check_migrations() -> None:
    now = time.monotonic()
    with _migrations_lock:
        at = _migrations["at"]
        if at is not None and now - at < MIGRATIONS_CHECK_SECONDS:
            if not _migrations["ok"]:
                raise RuntimeError("unapplied migrations (cached)")
            return
        try:
            missing = unapplied_migrations()
        except Exception:
            _migrations["at"] = None  # the database failed, not the migrations: ask again
            raise
        _migrations["at"], _migrations["ok"] = now, not missing
    if missing:
        raise RuntimeError(f"unapplied migrations: {', '.join(missing[:10])}")


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "migrations": check_migrations,
}


def run_checks() -> dict[str, str]:
    results = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") == "error":
            results[name] = "error"  # unknowable without the database
            continue
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure is an unhealthy service
            logger.warning("Health check %s failed: %s: %s", name, type(exc).__name__, exc)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results


def current_checks() -> dict[str, str]:
    """The checks' results, run again when the last ones are older than ANSWER_SECONDS."""
    with _answer_lock:
        at = _answer["at"]
        if at is not None and time.monotonic() - at < ANSWER_SECONDS:
            return dict(_answer["checks"])
        checks = run_checks()
        _answer["at"], _answer["checks"] = time.monotonic(), checks
        return dict(checks)


def reset() -> None:
    """Forget every remembered result (tests, and after a deployment in-process)."""
    with _answer_lock, _migrations_lock:
        _answer["at"] = _answer["checks"] = None
        _migrations["at"] = None
        _cache_written["at"] = _cache_written["value"] = None


@never_cache
@require_safe
def health(request):
    """200 when the site can serve ("degraded" without its cache), 503 otherwise; never cached."""
    checks = current_checks()
    failing = sorted(name for name, result in checks.items() if result != "ok")
    critical = [name for name in failing if name in CRITICAL]
    status = "error" if critical else "degraded" if failing else "ok"
    body = {"status": status, "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if critical else 200)
