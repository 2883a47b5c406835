"""Public reads on a streaming read replica, everything else on the primary.

With DATABASE_REPLICA_URL set, settings add a ``replica`` database alias and this router.
Reads go to the replica only inside a request that ReplicaMiddleware marked as public:

- a safe method (GET, HEAD, OPTIONS) from a visitor who is not signed in (owners and staff
  read their own writes, so they always read the primary),
- without the read-your-writes cookie, which any request that may have written (POST,
  PUT, PATCH, DELETE) sets for DATABASE_REPLICA_STICKY_SECONDS: the next pages the same
  browser asks for show what it just sent;
- while the replica answers and lags the primary by at most DATABASE_REPLICA_MAX_LAG
  seconds, which is checked with one query on the replica at most every
  DATABASE_REPLICA_CHECK_SECONDS per process (replica_usable).

Everything else reads the primary: management commands and tasks, transactions, sessions,
accounts and the cache table (rate limits must count in one place). Writes and migrations
only ever go to the primary. A replica that fails during a public request (stopped,
restarted, network cut) is marked unusable for the check period and the request is
answered again from the primary, so visitors see no error.
"""

import contextlib
import contextvars
import logging
import time

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
PRIMARY = "default"
# The read-your-writes marker: its presence is all that counts (a client that forges it
# only sends its own reads to the primary).
STICKY_COOKIE = "toutpres_primaire"
# Never read from the replica: one place for sessions, accounts and the cache table.
PRIMARY_ONLY_APPS = {"sessions", "auth", "admin", "django_cache", "sesame"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

log = logging.getLogger(__name__)
_public_request = contextvars.ContextVar("toutpres_public_request", default=False)
# Whether this request sent a read to the replica (so its failure may be the replica's).
_used_replica = contextvars.ContextVar("toutpres_used_replica", default=False)
# Whether this request reads the replica, decided at its first read: one request reads one
# database, so what it caches under the data version it read is never older than that.
_request_choice = contextvars.ContextVar("toutpres_request_choice", default=None)
_health = {"checked": 0.0, "usable": False}

# Lag in seconds: 0 when the replica replayed everything it received (an idle primary
# writes nothing, and pg_last_xact_replay_timestamp() would grow without any lag), else
# the age of the last transaction replayed. A replica that is not streaming from its
# primary (cut off, so possibly far behind) is not used at all: -1.
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN -1
  WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag() -> float:
    """The replica's lag in seconds (-1: not streaming); raises DatabaseError if it is down."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


def mark_replica_down() -> None:
    """The replica failed: read the primary until the next check is due."""
    _health.update(checked=time.monotonic(), usable=False)
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


def replica_usable() -> bool:
    """True when the replica answers and lags at most DATABASE_REPLICA_MAX_LAG seconds;
    checked at most every DATABASE_REPLICA_CHECK_SECONDS in this process."""
    now = time.monotonic()
    if now - _health["checked"] < settings.TOUTPRES_REPLICA["CHECK_SECONDS"]:
        return _health["usable"]
    try:
        lag = replica_lag()
    except DatabaseError as error:
        log.warning("Read replica unreachable, reading the primary: %s", error)
        mark_replica_down()
        return False
    usable = 0 <= lag <= settings.TOUTPRES_REPLICA["MAX_LAG"]
    if not usable:
        log.warning("Read replica lags (%s s), reading the primary", lag)
    _health.update(checked=now, usable=usable)
    return usable


def reset_health() -> None:
    """Forget the last check (tests, and after an operator's intervention)."""
    _health.update(checked=0.0, usable=False)


class PrimaryReplicaRouter:
    """Reads of a public request on the replica when usable; all else on the primary."""

    def db_for_read(self, model, **hints):
        if not _public_request.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY  # reads inside a transaction see its writes
        choice = _request_choice.get()
        if choice is None:
            choice = replica_usable()
            _request_choice.set(choice)
        if choice:
            _used_replica.set(True)
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaMiddleware:
    """Marks public requests (their reads may use the replica) and sets the
    read-your-writes cookie after any request that may have written. After
    AuthenticationMiddleware, which tells who is signed in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def is_public(self, request) -> bool:
        if request.method not in SAFE_METHODS or STICKY_COOKIE in request.COOKIES:
            return False
        user = getattr(request, "user", None)
        return not (user is not None and user.is_authenticated)

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        token = _public_request.set(self.is_public(request))
        used = _used_replica.set(False)
        choice = _request_choice.set(None)
        try:
            response = self.get_response(request)
        finally:
            _public_request.reset(token)
            _used_replica.reset(used)
            _request_choice.reset(choice)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                STICKY_COOKIE,
                "1",
                max_age=settings.TOUTPRES_REPLICA["STICKY_SECONDS"],
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_exception(self, request, exception):
        """A public request whose replica failed is answered again from the primary."""
        if not (_public_request.get() and isinstance(exception, DatabaseError)):
            return None
        if not (_used_replica.get() and _replica_failed()):
            return None  # the primary's failure: the outage handlers answer
        log.warning("Read replica failed during %s, answering from the primary", request.path)
        mark_replica_down()
        _public_request.set(False)
        match = request.resolver_match
        try:
            response = match.func(request, *match.args, **match.kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        except DatabaseError:
            return None  # the primary fails too: the outage handlers answer
        return response


def _replica_failed() -> bool:
    """Whether the replica's connection is broken (or could not be opened)."""
    connection = connections[REPLICA]
    if connection.connection is None:
        return True
    try:
        return not connection.is_usable()
    except DatabaseError:
        return True
