"""The search's statement as a server-side prepared statement on PostgreSQL.

A proximity search is one statement of a dozen common table expressions; PostgreSQL spent
about as long parsing and planning it as running it. Prepared once per database connection
(``PREPARE``), it is then only executed (``EXECUTE name(values)``): persistent connections
(``DB_CONN_MAX_AGE``) keep it from one request to the next.

Statements are named after their text, so two processes or two connections never disagree
on what a name means, and each connection remembers which ones it prepared (a new
connection starts with none). ``DB_PREPARED_STATEMENTS=0`` turns this off, for a connection
pooler in transaction mode (PgBouncer), where a session's prepared statements do not follow
its queries. SQLite prepares and caches statements by itself.
"""

import contextlib
import hashlib
import logging
import re
from collections import OrderedDict

from django.conf import settings
from django.db import DatabaseError, transaction

log = logging.getLogger(__name__)

# Django's placeholders: %s for a parameter, %% for a literal percent sign.
_PLACEHOLDER = re.compile(r"%[s%]")
# Kept per connection, the least recently used deallocated first.
PREPARED_KEPT = 64


def numbered(sql: str) -> tuple[str, int]:
    """``sql`` with Django's ``%s`` placeholders written ``$1``, ``$2``… (and ``%%`` as ``%``),
    and the number of parameters."""
    count = 0

    def replace(match):
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(replace, sql), count


def _registry(connection) -> "OrderedDict[str, str | None]":
    """{SQL: prepared name, or None when it could not be prepared} of the open connection."""
    raw = connection.connection
    kept = getattr(connection, "_toutpres_prepared", None)
    if kept is None or kept[0] is not raw:
        kept = connection._toutpres_prepared = (raw, OrderedDict())
    return kept[1]


def _prepare(connection, cursor, sql: str, registry) -> str | None:
    name = "toutpres_" + hashlib.sha256(sql.encode()).hexdigest()[:24]
    text, _count = numbered(sql)
    try:
        # A savepoint inside a transaction: a statement PostgreSQL cannot prepare (it
        # cannot infer a parameter's type) must not abort the caller's transaction.
        guard = (
            transaction.atomic(using=connection.alias)
            if connection.in_atomic_block
            else contextlib.nullcontext()
        )
        with guard:
            cursor.execute(f"PREPARE {name} AS {text}")
    except DatabaseError as error:
        log.warning("Statement not prepared, run as it is: %s", error)
        name = None
    registry[sql] = name
    if len(registry) > PREPARED_KEPT:
        _sql, oldest = registry.popitem(last=False)
        if oldest:
            cursor.execute(f"DEALLOCATE {oldest}")
    return name


def execute(connection, cursor, sql: str, params: list) -> None:
    """Run ``sql`` with ``params`` on ``cursor`` (of ``connection``), prepared on PostgreSQL."""
    if connection.vendor != "postgresql" or not settings.TOUTPRES_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    registry = _registry(connection)
    if sql in registry:
        registry.move_to_end(sql)
        name = registry[sql]
    else:
        name = _prepare(connection, cursor, sql, registry)
    if name is None:
        cursor.execute(sql, params)
    elif params:
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
    else:
        cursor.execute(f"EXECUTE {name}")
