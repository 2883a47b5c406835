"""Carrying out an analysed run once staff confirm it, and undoing it. Records are applied
in batches of one transaction each, flagged as they go: an interrupted import resumes with
the first record not applied, and a rollback undoes exactly the applied ones."""

import time

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .. import bulk_insert
from ..models import (
    Actor,
    ImportRecord,
    ImportRun,
    ModerationEvent,
    ModerationStatus,
    RecordAction,
    RunStatus,
)
from ..models.moderation import Event
from . import statistics
from .creating import create_listings
from .listing import assign, assign_related, data_fields, snapshot

BATCH = 200
WRITING = (RecordAction.CREATE, RecordAction.UPDATE, RecordAction.DROPPED)


def pending(run: ImportRun):
    return run.records.filter(action__in=WRITING, applied=False)


def applied(run: ImportRun):
    return run.records.filter(action__in=WRITING, applied=True)


def _in_batches(records, work, deadline, progress, descending=False) -> bool:
    """Calls ``work`` on the ids of ``records`` (a queryset the work itself shrinks, in the
    order of line and pk, or the reverse) BATCH at a time, until none are left (True) or
    ``deadline`` has passed (False).

    Each batch starts after the last one's (line, pk): asking again from the start made the
    database step over every record already done, batch after batch (a 50,000-row import
    read 6 million index entries for it)."""
    after = None
    while True:
        page = records
        if after is not None:
            line, pk = after
            # The bound on the line alone is what the (run, line) index can seek to: with
            # only the OR, PostgreSQL walked the index from the first line every batch.
            if descending:
                page = page.filter(Q(line__lt=line) | Q(line=line, pk__lt=pk), line__lte=line)
            else:
                page = page.filter(Q(line__gt=line) | Q(line=line, pk__gt=pk), line__gte=line)
        rows = list(page.values_list("pk", "line")[:BATCH])
        if not rows:
            return True
        work([pk for pk, _line in rows])
        after = rows[-1][1], rows[-1][0]
        if progress:
            progress(len(rows))
        if deadline is not None and time.monotonic() > deadline:
            return False


def apply(run: ImportRun, user=None, deadline: float | None = None, progress=None) -> bool:
    """Writes the records not yet applied; True once all are."""
    if run.status != RunStatus.IMPORTING:
        raise ValueError(f"run {run.pk} is {run.status}, not importing")

    def work(ids):
        _apply_batch(run, ids, user)
        # The new listings' table as it grows: each batch looks listings up by source key
        # and slug, which PostgreSQL planned as scans of a table it believed empty.
        if statistics.due(run.position // BATCH):
            statistics.refresh(Actor)

    finished = _in_batches(pending(run).order_by("line", "pk"), work, deadline, progress)
    if not finished:
        return False
    run.status = RunStatus.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    source = run.source
    source.mapping = run.mapping
    source.save(update_fields=["mapping"])
    return True


@transaction.atomic
def _apply_batch(run: ImportRun, ids: list[int], user) -> None:
    source = run.source
    now = timezone.now()
    events = []
    records = list(
        ImportRecord.objects.filter(pk__in=ids).select_related("actor").order_by("line", "pk")
    )
    created_meanwhile = {
        actor.source_key: actor
        for actor in Actor.objects.from_source(
            source.code, [r.key for r in records if r.action == RecordAction.CREATE]
        )
    }
    newly = sum(1 for record in records if not record.applied)
    new = []  # (record, unsaved actor, its many-to-many assignments)
    for record in records:
        if record.action == RecordAction.DROPPED:
            actor = record.actor
            if actor is not None:
                record.before = snapshot(actor, ["source_dropped_at"])
                actor.source_dropped_at = now
                actor.save(update_fields=["source_dropped_at", "updated_at"])
                events.append(_event(actor, Event.SOURCE_DROPPED, user, source))
        elif record.action == RecordAction.CREATE:
            actor = created_meanwhile.get(record.key)
            if actor is None:  # written with the batch's other new listings, below
                actor = Actor(
                    source=source.code,
                    source_key=record.key,
                    import_source=source,
                    status=ModerationStatus.PUBLISHED
                    if source.publish
                    else ModerationStatus.PENDING,
                )
                new.append((record, actor, assign(actor, record.data, data_fields(record.data))))
            else:  # created meanwhile (another run of the same source): update it
                fields = data_fields(record.data)
                record.before = snapshot(actor, fields)
                record.action = RecordAction.UPDATE
                later = assign(actor, record.data, fields)
                actor.save()
                assign_related(actor, later)
                record.actor = actor
                events.append(_event(actor, Event.IMPORT_UPDATED, user, source))
        else:
            actor = record.actor
            if actor is None:  # deleted since the analysis
                record.reason = (record.reason + "; fiche supprimée depuis l'analyse").lstrip("; ")
            else:
                changes = record.data.get("changes", [])
                record.before = snapshot(actor, changes)
                values = {**record.data, "source_dropped_at": None}
                later = assign(actor, values, changes)
                actor.import_source = source
                actor.save()
                assign_related(actor, later)
                events.append(_event(actor, Event.IMPORT_UPDATED, user, source, changes))
        record.applied = True
    create_listings([actor for _r, actor, _l in new], [later for *_ra, later in new], user)
    for record, actor, _later in new:
        record.actor = actor
        events.append(_event(actor, Event.IMPORTED, user, source))
    _save_records(records, ["applied", "actor", "before", "action", "reason"])
    bulk_insert.insert(events, using=router.db_for_write(ModerationEvent))
    # Counted here rather than over the whole run each batch (the records were pending:
    # _in_batches gave them): one batch's worth of the run's progress.
    run.position += newly
    run.save(update_fields=["position"])


def _save_records(records: list[ImportRecord], names: list[str]) -> None:
    """``bulk_update(records, names)`` as one statement run for each record: Django's
    bulk_update compiles a CASE of every record for every field, which took half the time
    of writing a batch. The records are plain rows (no signals, nothing derived)."""
    if not records:
        return
    connection = connections[router.db_for_write(ImportRecord)]
    meta, quote = ImportRecord._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in names]
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 (identifiers from model meta)
        quote(meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(meta.pk.column),
    )
    params = [
        [f.get_db_prep_save(getattr(r, f.attname), connection) for f in fields] + [r.pk]
        for r in records
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg2's executemany is a round trip a record; execute_batch sends them
            # a page at a time.
            from psycopg2.extras import execute_batch

            with connection.wrap_database_errors:  # Django's errors (the outage page)
                execute_batch(cursor.cursor, sql, params, page_size=BATCH)
        else:
            cursor.executemany(sql, params)


def _event(actor, action, user, source, changes=None) -> ModerationEvent:
    return ModerationEvent(
        actor=actor,
        actor_name=actor.name,
        action=action,
        by=user if user is not None and user.is_authenticated else None,
        details={"source": source.name, **({"fields": changes} if changes else {})},
    )


def rollback(run: ImportRun, deadline: float | None = None, progress=None) -> bool:
    """Undoes the applied records, last first: created listings are deleted (unless a
    producer has taken theirs over since), updated ones get their values back, dropped
    ones lose their flag. True once done."""
    if run.status != RunStatus.ROLLING_BACK:
        raise ValueError(f"run {run.pk} is {run.status}, not rolling back")
    finished = _in_batches(
        applied(run).order_by("-line", "-pk"),
        lambda ids: _rollback_batch(run, ids),
        deadline,
        progress,
        descending=True,
    )
    if not finished:
        return False
    run.status = RunStatus.ROLLED_BACK
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    return True


@transaction.atomic
def _rollback_batch(run: ImportRun, ids: list[int]) -> None:
    records = list(ImportRecord.objects.filter(pk__in=ids).select_related("actor"))
    for record in records:
        actor = record.actor
        if actor is not None:
            if record.action == RecordAction.CREATE:
                if actor.owner_id:
                    record.reason = (
                        record.reason + "; gardée : reprise par son producteur"
                    ).lstrip("; ")
                else:
                    actor.delete()
                    record.actor = None
            else:
                values = dict(record.before)
                if values.get("source_dropped_at"):
                    values["source_dropped_at"] = parse_datetime(values["source_dropped_at"])
                later = assign(actor, values, _before_fields(values))
                actor.save()
                assign_related(actor, later)
        record.applied = False
    # run.position keeps the number to undo, for the progress bar.
    _save_records(records, ["applied", "actor", "reason"])


def _before_fields(values: dict) -> list[str]:
    return [f for f in values if f not in ("approximate", "checked")]
