"""Precomputed clusters of the unfiltered map layer: ``LayerCell`` rows per zoom, kind and
grid cell, rebuilt when the data version moved.

One pass over the published actors fills the finest zoom; each coarser zoom is summed from
the one below (cells nest: a cell of zoom z holds four of zoom z + 1), so a rebuild reads
the actor table once, whatever the number of zooms. The rebuild happens on the first
cluster request after a write (many writes, one rebuild), under a row lock: concurrent
requests wait for it rather than read half-built cells (and, within one process, a
thread lock keeps SQLite's shared-cache test database from refusing a read during it).

Everything here (the cells' version, the rebuild, the cells read) uses the primary, even
during public requests that read a replica: a replica that replayed the version bump but
not yet the rebuild would hand back the old cells, cached under the new version. The
primary's cells are at least as new as any data version a replica shows.
"""

import threading

from django.db import connections, router, transaction
from django.db.models import Count, IntegerField, Sum
from django.db.models.functions import Cast, Floor

from geodata.spatial import Latitude, Longitude

from . import dataversion
from .models import Actor, LayerCell, LayerState

# The layer's grid (directory.layer): a tile is CELLS_PER_TILE × CELLS_PER_TILE cells.
CELLS_PER_TILE = 8
# Clusters are served below this zoom (markers from it on, when there are not too many).
CLUSTER_BELOW_ZOOM = 11
# Cells are precomputed up to this zoom; above it a tile is small enough (1.4° at zoom 9)
# to aggregate its actors per request, and the rebuild stays short (at 500,000 actors over
# France, zoom 8 has some 10,000 cells by kind, zoom 10 would have 150,000).
FINEST = 8


def cell_degrees(zoom: int) -> float:
    """Width and height of a cell at ``zoom``: 64 px of a 256 px map tile."""
    return 90 / 2**zoom


def cell_expressions(zoom: int):
    """SQL: the cell of each actor's public pin at ``zoom`` (offset so indexes are ≥ 0)."""
    size = cell_degrees(zoom)
    cx = Cast(Floor((Longitude("public_location") + 180.0) / size), IntegerField())
    cy = Cast(Floor((Latitude("public_location") + 90.0) / size), IntegerField())
    return cx, cy


_lock = threading.Lock()


def _db() -> str:
    """The primary (where the rebuild writes): never a replica, see the module's doc."""
    return router.db_for_write(LayerCell)


def cells_version() -> int:
    # Read by every cluster tile: plain SQL, as dataversion.current() (compiling the
    # queryset cost more than the read).
    using = _db()
    meta, quote = LayerState._meta, connections[using].ops.quote_name
    sql = "SELECT {} FROM {} ORDER BY {} LIMIT 1".format(  # noqa: S608 (identifiers from model meta)
        quote(meta.get_field("version").column), quote(meta.db_table), quote(meta.pk.column)
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return -1 if row is None else row[0]


def clusters(version: int, zoom: int, x: int, y: int, kinds=()):
    """The cells of tile ``zoom/x/y`` (see tile_clusters, ``zoom`` ≤ FINEST), rebuilt
    first unless they reflect data ``version``."""
    with _lock:
        if cells_version() != version:
            _rebuild()
        return tile_clusters(zoom, x, y, kinds)


def rebuild() -> int:
    """Recompute every cell from the published actors; returns the version they reflect."""
    with _lock:
        return _rebuild()


def _rebuild() -> int:
    using = _db()
    connection = connections[using]
    q = connection.ops.quote_name
    table = q(LayerCell._meta.db_table)
    columns = ", ".join(
        q(c) for c in ("zoom", "kind", "cx", "cy", "tx", "ty", "count", "sum_lon", "sum_lat")
    )
    with transaction.atomic(using=using):
        state = LayerState.objects.using(using).first() or LayerState.objects.using(using).create()
        # The lock: one rebuild at a time, the others wait and then find the cells fresh.
        state = LayerState.objects.using(using).select_for_update().get(pk=state.pk)
        target = dataversion.current(using=using)
        if state.version == target:
            return target
        cx, cy = cell_expressions(FINEST)
        finest = (
            Actor.objects.using(using)
            .published()
            .annotate(cx=cx, cy=cy)
            .values("kind", "cx", "cy")
            .annotate(
                n=Count("pk"),
                sx=Sum(Longitude("public_location")),
                sy=Sum(Latitude("public_location")),
            )
            .order_by()
        )
        sql, params = finest.query.sql_with_params()
        n = CELLS_PER_TILE
        with connection.cursor() as cursor:
            # DELETE, not TRUNCATE: TRUNCATE's ACCESS EXCLUSIVE lock replays on streaming
            # replicas, where it blocks or cancels their reads of the table; the dead rows
            # DELETE leaves are autovacuum's.
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT %s, kind, cx, cy, cx / {n}, cy / {n}, "  # noqa: S608
                f"n, sx, sy FROM ({sql}) finest",
                [FINEST, *params],
            )
            for zoom in range(FINEST - 1, -1, -1):
                # Integer division of non-negative indexes: the parent cell.
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT %s, kind, px, py, px / {n}, "  # noqa: S608
                    f"py / {n}, SUM(n), SUM(sx), SUM(sy) FROM (SELECT kind, cx / 2 AS px, "
                    f"cy / 2 AS py, {q('count')} AS n, sum_lon AS sx, sum_lat AS sy "
                    f"FROM {table} WHERE zoom = %s) children GROUP BY kind, px, py",
                    [zoom, zoom + 1],
                )
        state.version = target
        state.save(update_fields=["version"])
    return target


def tile_clusters(zoom: int, x: int, y: int, kinds=()) -> list[tuple[int, int, int, float, float]]:
    """(cx, cy, count, mean lon, mean lat) of the cells in tile ``zoom/x/y``, all kinds or
    ``kinds`` only."""
    rows = LayerCell.objects.using(_db()).filter(zoom=zoom, tx=x, ty=y)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    rows = (
        rows.values("cx", "cy")
        .annotate(n=Sum("count"), sx=Sum("sum_lon"), sy=Sum("sum_lat"))
        .order_by("cx", "cy")
    )
    return [(r["cx"], r["cy"], r["n"], r["sx"] / r["n"], r["sy"] / r["n"]) for r in rows]
