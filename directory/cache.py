"""The shared cache: Django's database cache with an atomic ``incr``, and its table made
by ``migrate`` so that a deployment cannot forget it.

Rate limits count in the cache (directory.ratelimit). Every server process must see the
same counts, so production defaults to the database cache (no extra service) or Redis
(CACHE_URL=redis://…); a per-process memory cache is for development only.
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now


class DatabaseCache(DjangoDatabaseCache):
    """Django's database cache, whose ``incr`` cannot lose a count between processes.

    Django's own reads the value and writes it back: two processes reading the same count
    both pass a limit, and the write also resets the entry's expiry. Here a no-op write
    first takes the row's lock (PostgreSQL) or the database's write lock (SQLite), then
    the value is read and only the value is updated.
    """

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        q = connection.ops.quote_name
        table, cache_key, value_column = q(self._table), q("cache_key"), q("value")
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {cache_key} = {cache_key} WHERE {cache_key} = %s",  # noqa: S608 (quoted identifiers)
                [key],
            )
            if cursor.rowcount:
                cursor.execute(
                    f"SELECT {value_column}, {q('expires')} FROM {table} WHERE {cache_key} = %s",  # noqa: S608
                    [key],
                )
                row = cursor.fetchone()
            else:
                row = None
            if row is None or self._expired(connection, row[1]):
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode()))  # noqa: S301 (our own cache rows)
            value += delta
            pickled = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(
                f"UPDATE {table} SET {value_column} = %s WHERE {cache_key} = %s",  # noqa: S608
                [pickled, key],
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
