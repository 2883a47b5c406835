"""The health check (/sante/, /healthz) for load balancers, monitors and the deployment.

It answers 200 ``{"status": "ok", "checks": {...}}`` when the database answers a query, the
cache keeps a key, and every migration is applied; else 503 with the names of the failing
checks. It shows nothing else (no error text, version or host name): failures are logged.
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


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone()[0] != 1:
            raise RuntimeError("SELECT 1 answered something else")


def check_cache() -> None:
    key = f"toutpres:health:{os.getpid()}:{threading.get_ident()}"
    value = uuid.uuid4().hex
    cache.set(key, value, 30)
    if cache.get(key) != value:
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


@never_cache
@require_safe
def health(request):
    """200 when the site can serve, 503 with the failing checks otherwise; never cached."""
    checks = run_checks()
    failing = sorted(name for name, result in checks.items() if result != "ok")
    body = {"status": "error" if failing else "ok", "checks": checks}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
