"""Planner statistics refreshed while an import fills a table (PostgreSQL).

A run writes tens of thousands of rows into tables that may have been empty when they were
last analysed (a new site). With those statistics PostgreSQL planned the run's own lookups
(earlier rows by position, listings by source key, slugs taken) as scans of a table it
believed empty, and each of them grew with the run. PostgreSQL's advice for bulk loads is
to ANALYZE after loading: here after batches 1, 2, 4, 8… of a run, so that the statistics
are never off by more than half the table, at a cost that stays a sliver of the run (an
ANALYZE samples at most 30,000 rows)."""

from django.db import connections, router


def due(batches_done: int) -> bool:
    """True after batches 1, 2, 4, 8… (counted from the start of the run)."""
    return batches_done > 0 and batches_done & (batches_done - 1) == 0


def refresh(*models) -> None:
    """ANALYZE the tables of ``models`` where they are written, on PostgreSQL."""
    for model in models:
        connection = connections[router.db_for_write(model)]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            # SKIP_LOCKED: never wait behind an autovacuum or another run's ANALYZE.
            cursor.execute(
                f"ANALYZE (SKIP_LOCKED) {connection.ops.quote_name(model._meta.db_table)}"
            )
