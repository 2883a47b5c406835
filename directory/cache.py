"""The shared cache: Django's database cache with an atomic ``incr``, and its table made
by ``migrate`` so that a deployment cannot forget it.

Rate limits count in the cache (directory.ratelimit). Every server process must see the
same counts, so production defaults to the database cache (no extra service) or Redis
(CACHE_URL=redis://…); a per-process memory cache is for development only.
"""

import base64
import logging
import pickle
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now


def now_utc():
    """Now as the cache table compares it (as Django's ``has_key``): UTC, whole seconds."""
    return now().replace(microsecond=0, tzinfo=None)


# A counter's value in the database cache: "#" and the number, which SQL can add to (a
# pickle is stored in base64, which never contains "#").
COUNTER = "#"
# What a counter stored as a number may hold: SQL's 64-bit integers.
BIGINT = (-(2**63), 2**63 - 1)


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache, whose ``incr`` cannot lose a count between processes and
    costs one statement.

    Django's own reads the value and writes it back: two processes reading the same count
    both pass a limit, and the write also resets the entry's expiry. Here an integer that
    ``incr`` wrote is stored as a number (COUNTER), so the next ``incr`` is one UPDATE that
    adds to it and returns it: atomic, and one round trip per rate-limited request (the
    lock, read, write and commit took four, a tenth of an API search). The commit does not
    wait for the disk (``synchronous_commit`` off for that statement): a crash can forget
    the last counts, never a listing.

    The first ``incr`` of a value ``add`` or ``set`` stored (a pickle) locks the row, reads
    it and writes it back as a number. On PostgreSQL the lock and the read are one
    ``SELECT … FOR UPDATE``; SQLite takes the database's write lock with a no-op write.
    """

    def get_many(self, keys, version=None):
        """Django's, reading counters as numbers."""
        if not keys:
            return {}
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        db = router.db_for_read(self.cache_model_class)
        connection = connections[db]
        q = connection.ops.quote_name
        marks = ", ".join(["%s"] * len(key_map))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('cache_key')}, {q('value')}, {q('expires')} FROM {q(self._table)} "  # noqa: S608 (quoted identifiers)
                f"WHERE {q('cache_key')} IN ({marks})",
                list(key_map),
            )
            rows = cursor.fetchall()
        result, expired = {}, []
        for key, value, expires in rows:
            if self._expired(connection, expires):
                expired.append(key)
            else:
                result[key_map.get(key)] = self._decode(connection.ops.process_clob(value))
        self._base_delete_many(expired)
        return result

    @staticmethod
    def _decode(value: str):
        if value.startswith(COUNTER):
            return int(value[len(COUNTER) :])
        return pickle.loads(base64.b64decode(value.encode()))  # noqa: S301 (our own cache rows)

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        value = self._add_to_counter(connection, key, delta)
        if value is None:
            value = self._incr_stored(connection, db, key, delta)
        return value

    def _without_waiting_for_disk(self, connection, sql: str) -> str:
        """``sql`` with the commit not waiting for the disk, on PostgreSQL, when it runs in
        its own transaction (several statements sent as one query are one transaction, and
        so is an outermost ``atomic``). Inside a caller's transaction it would apply to the
        caller's writes too: not then."""
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            return f"SET LOCAL synchronous_commit TO OFF; {sql}"
        return sql

    def _add_to_counter(self, connection, key: str, delta: int) -> int | None:
        """The counter ``key`` plus ``delta`` in one UPDATE, or None when ``key`` holds no
        live counter (missing, expired, or a pickle)."""
        q = connection.ops.quote_name
        value = q("value")
        now = connection.ops.adapt_datetimefield_value(now_utc())
        sql = self._without_waiting_for_disk(
            connection,
            f"UPDATE {q(self._table)} SET {value} = %s || CAST(CAST(SUBSTR({value}, %s) AS bigint) + %s AS text) "  # noqa: S608 (quoted identifiers)
            f"WHERE {q('cache_key')} = %s AND {q('expires')} > %s AND {value} LIKE %s "
            f"AND CAST(SUBSTR({value}, %s) AS bigint) BETWEEN %s AND %s RETURNING {value}",
        )
        delta = int(delta)
        # A sum that would leave SQL's 64-bit integers is not done here (PostgreSQL raises,
        # SQLite turns it into a float): the locked path then stores it as a pickle.
        low, high = BIGINT[0] - min(delta, 0), BIGINT[1] - max(delta, 0)
        if low > high:
            return None
        params = [COUNTER, len(COUNTER) + 1, delta, key, now, COUNTER + "%"]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, len(COUNTER) + 1, low, high])
            row = cursor.fetchone()
        return None if row is None else int(row[0][len(COUNTER) :])

    def _incr_stored(self, connection, db: str, key: str, delta: int):
        """``incr`` of a value stored by ``add`` or ``set``: locked, read, written back (as a
        number when it is an integer)."""
        q = connection.ops.quote_name
        table, cache_key, value_column = q(self._table), q("cache_key"), q("value")
        read = f"SELECT {value_column}, {q('expires')} FROM {table} WHERE {cache_key} = %s"  # noqa: S608 (quoted identifiers)
        # Decided before the transaction opens: is it ours alone?
        locked_read = self._without_waiting_for_disk(connection, f"{read} FOR UPDATE")
        with transaction.atomic(using=db), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One round trip: both statements are sent together, the lock read answers.
                cursor.execute(locked_read, [key])
                row = cursor.fetchone()
            else:
                cursor.execute(
                    f"UPDATE {table} SET {cache_key} = {cache_key} WHERE {cache_key} = %s",  # noqa: S608
                    [key],
                )
                row = None
                if cursor.rowcount:
                    cursor.execute(read, [key])
                    row = cursor.fetchone()
            if row is None or self._expired(connection, row[1]):
                raise ValueError(f"Key '{key}' not found")
            value = self._decode(connection.ops.process_clob(row[0])) + delta
            if (
                isinstance(value, int)
                and not isinstance(value, bool)
                and BIGINT[0] <= value <= BIGINT[1]
            ):
                stored = f"{COUNTER}{value}"
            else:
                stored = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode(
                    "latin1"
                )
            cursor.execute(
                f"UPDATE {table} SET {value_column} = %s WHERE {cache_key} = %s",  # noqa: S608
                [stored, key],
            )
        return value

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)

    @staticmethod
    def _expired(connection, expires) -> bool:
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        for converter in converters:
            expires = converter(expires, expression, connection)
        return expires < now()


def create_cache_tables(using="default", verbosity=0, **kwargs):
    """post_migrate: the database cache's table, in the database just migrated (also the
    test databases). A no-op when no cache lives in a database."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


log = logging.getLogger(__name__)

# INCRBY only if the key exists, in one step: Django's EXISTS-then-INCR could revive a key
# that expired in between as a counter that never expires.
_INCR_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end
return false
"""


class RedisCache(DjangoRedisCache):
    """Django's Redis cache, which keeps the site answering while Redis is away.

    An unreachable Redis makes Django's backend raise on every call: every page would be a
    500. Here a failed call is logged and answered as a miss (``get``: the default; ``add``,
    ``set``, ``delete``: False; ``incr``: the delta, so a rate limit counts each attempt as
    the window's first and lets it through). Then Redis is not asked again for
    ``retry_seconds`` (2 s), so a dead server costs one connection timeout, not one per call.
    The site stays up for visitors, without rate limits and cached pages for that time;
    the health check reports the cache as down (that is what monitoring should page on).
    """

    retry_seconds = 2.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._down_until = 0.0

    def _guard(self, name, fallback, call, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        from redis.exceptions import RedisError

        try:
            return call(*args, **kwargs)
        except RedisError as error:
            log.warning("Redis cache unavailable (%s): %s", name, error)
            self._down_until = time.monotonic() + self.retry_seconds
            return fallback

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("add", False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set", None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard("delete", False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._guard("get_many", {}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard("has_key", False, super().has_key, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard("set_many", list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._guard("delete_many", None, super().delete_many, keys, version)

    def clear(self):
        return self._guard("clear", False, super().clear)

    def incr(self, key, delta=1, version=None):
        """Atomic: INCRBY on an existing key, ValueError on a missing one (as Django's)."""
        key = self.make_and_validate_key(key, version=version)

        def call():
            value = self._cache.get_client(key, write=True).eval(_INCR_IF_EXISTS, 1, key, delta)
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            return value

        return self._guard("incr", delta, call)

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version)
