"""Plain INSERTs of many new rows, for imports: what ``bulk_create()`` writes, without its
cost per value.

``QuerySet.bulk_create()`` compiles every value of every row on its own (expression checks,
``pre_save``, ``get_db_prep_save``, a placeholder each): for a listing's 42 columns that was
about half a millisecond a row, a third of a 50,000-row import. Here each column's
conversion is chosen once per table (most columns hold text, numbers or booleans, which the
database driver adapts as they are), the placeholders are the same for every row, and a
statement carries as many rows as the database accepts parameters.

Same contract as ``bulk_create()`` for what it accepts: new instances of one concrete model
(no multi-table inheritance), their automatic primary keys set from ``RETURNING``, no
signals. Anything else (a primary key already given, a backend that cannot return the keys
of a multi-row INSERT) goes to ``bulk_create()`` itself.
"""

from functools import lru_cache
from operator import attrgetter

from django.db import connections, models
from django.db.models.fields import Field

# Columns whose Python value the driver writes as Django would have: the conversion Django
# applies is the type's own constructor (str() for text, int() for numbers, bool()), only
# needed when the value is not of that type yet.
_PLAIN = (
    (models.CharField, str),
    (models.TextField, str),
    (models.BooleanField, bool),
    (models.IntegerField, int),
    (models.BigIntegerField, int),
    (models.FloatField, float),
)
ROWS_PER_STATEMENT = 1000


def _plain_type(field):
    if type(field).get_db_prep_save is not Field.get_db_prep_save:
        return None
    if type(field).get_db_prep_value is not Field.get_db_prep_value:
        return None
    for base, kind in _PLAIN:
        if isinstance(field, base) and type(field).get_prep_value is base.get_prep_value:
            return kind
    if isinstance(field, models.ForeignKey):
        return _plain_type(field.target_field) if not field.target_field.is_relation else None
    return None


@lru_cache(maxsize=64)
def _columns(model, vendor: str):
    """(fields, converters) of ``model``'s INSERT: every concrete field but the automatic
    primary key; a converter is a type for plain columns, else None (Django's own)."""
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    return fields, [_plain_type(f) for f in fields]


def _row_reader(fields, kinds, connection):
    """A function giving one instance's values for the INSERT, as Django would prepare
    them: all attributes read at once, the plain ones checked for their type, the others
    (and every field with a ``pre_save`` of its own: auto_now dates set the attribute)
    through Django's own methods."""
    read = attrgetter(*(f.attname for f in fields))
    own = [
        (i, f, kind, type(f).pre_save is not Field.pre_save)
        for i, (f, kind) in enumerate(zip(fields, kinds, strict=True))
        if kind is None or type(f).pre_save is not Field.pre_save
    ]
    plain = [(i, kind) for i, kind in enumerate(kinds) if kind is not None]

    def values(obj) -> list:
        row = list(read(obj)) if len(fields) > 1 else [read(obj)]
        for i, kind in plain:
            value = row[i]
            if value is not None and type(value) is not kind:
                row[i] = kind(value)
        for i, field, kind, pre_save in own:
            value = field.pre_save(obj, True) if pre_save else row[i]
            if kind is None:
                value = field.get_db_prep_save(value, connection)
            elif value is not None and type(value) is not kind:
                value = kind(value)
            row[i] = value
        return row

    return values


def _rows_per_statement(connection, width: int) -> int:
    limit = connection.features.max_query_params
    if connection.vendor == "sqlite":
        # Django keeps SQLite's historical 999; the library in use may accept far more.
        import sqlite3

        connection.ensure_connection()
        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if not limit:
        return ROWS_PER_STATEMENT
    return max(1, min(ROWS_PER_STATEMENT, limit // max(1, width)))


def insert(objs: list, using: str = "default") -> list:
    """INSERT the new instances ``objs`` (one model) and set their primary keys."""
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    auto = model._meta.auto_field
    if (
        auto is None
        or model._meta.parents
        or not connection.features.can_return_rows_from_bulk_insert
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
    ):
        return model._base_manager.using(using).bulk_create(objs)
    fields, kinds = _columns(model, connection.vendor)
    q = connection.ops.quote_name
    names = ", ".join(q(f.column) for f in fields)
    head = f"INSERT INTO {q(model._meta.db_table)} ({names}) VALUES "  # noqa: S608 (quoted identifiers)
    tail = f" RETURNING {q(auto.column)}"
    spatial = [i for i, f in enumerate(fields) if hasattr(f, "get_placeholder")]
    size = _rows_per_statement(connection, len(fields))
    values_of = _row_reader(fields, kinds, connection)
    groups_of = {}  # one row's placeholders, by its geometries' own (same for nearly all)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start : start + size]
            params, groups = [], []
            for obj in batch:
                values = values_of(obj)
                # The geometry's own placeholder (a transform for another SRID).
                own = tuple(fields[i].get_placeholder(values[i], None, connection) for i in spatial)
                group = groups_of.get(own)
                if group is None:
                    marks = ["%s"] * len(fields)
                    for i, mark in zip(spatial, own, strict=True):
                        marks[i] = mark
                    group = groups_of[own] = f"({', '.join(marks)})"
                groups.append(group)
                params.extend(values)
            cursor.execute(head + ", ".join(groups) + tail, params)
            keys = [row[0] for row in cursor.fetchall()]
            for obj, key in zip(batch, keys, strict=True):
                obj.pk = key
                obj._state.adding = False
                obj._state.db = using
    return objs
