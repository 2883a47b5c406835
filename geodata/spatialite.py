"""Keep SpatiaLite's spatial indexes alive across Django migrations.

On SQLite, Django applies many schema changes by rebuilding the table (create a copy,
copy the rows, drop, rename). SpatiaLite then forgets the column's spatial index: the
R-tree stays behind, stale, and the triggers that maintain it are gone, so index-based
queries silently miss new rows. After every ``migrate`` we re-create any index that
SpatiaLite reports as disabled. PostGIS indexes survive table changes and need nothing.
"""

from django.apps import apps
from django.contrib.gis.db.models import GeometryField
from django.db import connections


def indexed_geometry_columns():
    """(table, column) of every geometry field that asks for a spatial index."""
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_fields:
            if isinstance(field, GeometryField) and field.spatial_index:
                yield model._meta.db_table, field.column


def repair_spatial_indexes(using: str = "default") -> list[str]:
    """Re-create disabled SpatiaLite spatial indexes; returns the ``table.column`` repaired."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    repaired = []
    with connection.cursor() as cursor:
        for table, column in indexed_geometry_columns():
            cursor.execute(
                "SELECT spatial_index_enabled FROM geometry_columns "
                "WHERE lower(f_table_name) = lower(%s) AND lower(f_geometry_column) = lower(%s)",
                [table, column],
            )
            row = cursor.fetchone()
            if row is None or row[0] == 1:
                continue
            cursor.execute(f'DROP TABLE IF EXISTS "idx_{table}_{column}"')
            # CreateSpatialIndex builds the R-tree from the existing rows and installs
            # the triggers that keep it in step.
            cursor.execute("SELECT CreateSpatialIndex(%s, %s)", [table, column])
            repaired.append(f"{table}.{column}")
    return repaired


def repair_after_migrate(sender, using="default", **kwargs):
    repair_spatial_indexes(using)


def restore_busy_timeout(sender, connection, **kwargs):
    """Loading mod_spatialite resets SQLite's busy timeout to 5 s, after Django applied the
    configured one: concurrent writers then fail with "database is locked" under load
    (bench/registrations.py). Apply the configured timeout again once the library is in."""
    if connection.vendor != "sqlite":
        return
    seconds = connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)
    connection.connection.execute(f"PRAGMA busy_timeout = {int(float(seconds) * 1000)}")
