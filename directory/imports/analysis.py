"""The dry run: every row of the file becomes a record saying what the import will do
(create, update, leave unchanged, skip as a duplicate, reject) and why. Listings are only
read. Rows are read as a stream and written in batches, so memory does not grow with the
file, and an interrupted analysis resumes at its last batch."""

import time
from pathlib import Path

from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import bulk_insert
from ..hours import DAYS
from ..models import (
    Actor,
    ImportRecord,
    ImportRun,
    ModerationStatus,
    RecordAction,
    RunStatus,
)
from . import readers, statistics
from .clean import AUTO_KEY, Cleaned, References, Rejected, clean_row, mapped
from .places import PLACE_TO_CHECK, SCOPE_COUNT, locate_batch
from .twins import DUPLICATES_TO_CHECK, compare, evidence, find_duplicates, skip

BATCH = 500


def table_for(run: ImportRun) -> readers.Table:
    return readers.Table(run.format, run.headers, run.encoding, run.delimiter)


def analyse(run: ImportRun, deadline: float | None = None, progress=None) -> bool:
    """Analyses the rows not yet analysed, until ``deadline`` (time.monotonic()) if given.
    Returns True once the whole file is done."""
    if run.status != RunStatus.ANALYSING:
        raise ValueError(f"run {run.pk} is {run.status}, not analysing")
    references = References()
    path = Path(run.file.path)
    batch: list[tuple[int, dict]] = []
    for line, row in readers.rows(path, table_for(run), start=run.position):
        batch.append((line, row))
        if len(batch) >= BATCH:
            _analyse_batch(run, batch, references)
            # Batches of the run so far, whatever the step.
            if statistics.due(run.position // BATCH):
                _refresh_statistics()
            if progress:
                progress(len(batch))
            batch = []
            if deadline is not None and time.monotonic() > deadline:
                return False
    if batch:
        _analyse_batch(run, batch, references)
        if progress:
            progress(len(batch))
    _finish(run)
    return True


def _refresh_statistics() -> None:
    """The records' statistics as the run fills their table: the duplicate checks look the
    earlier rows up by position (directory.imports.statistics)."""
    statistics.refresh(ImportRecord)


@transaction.atomic
def _analyse_batch(run: ImportRun, batch: list[tuple[int, dict]], references) -> None:
    source = run.source
    records: list[ImportRecord] = []
    cleaned: list[tuple[ImportRecord, Cleaned | None]] = []
    locate_batch([mapped(row, run.mapping) for _line, row in batch], references)
    for line, row in batch:
        try:
            result = clean_row(row, run.mapping, references)
        except Rejected as reason:
            record = ImportRecord(
                run=run,
                line=line,
                action=RecordAction.SKIP if reason.skip else RecordAction.REJECT,
                reason=str(reason),
                data=dict(reason.data),
            )
            if reason.count == PLACE_TO_CHECK:
                record.data["row"] = row  # cleaned again once staff choose the commune
            if reason.count:
                record.data["count"] = reason.count
            record.name = _column(row, run.mapping, "name")[:150]
            record.key = _column(row, run.mapping, "key")[:100]
            cleaned.append((record, None))
            continue
        record = ImportRecord(run=run, line=line, key=result.key, name=result.data["name"])
        record.data = result.data
        cleaned.append((record, result))

    _key_market_days(run, cleaned)
    keys = {r.key for r, c in cleaned if c is not None}
    # {key: its first line}: read last line first, so that the first line is what stays
    # (a key seen three times names the row that holds it, not a row skipped for it).
    earlier_keys = dict(
        ImportRecord.objects.filter(run=run, key__in=keys)
        .exclude(action=RecordAction.REJECT)
        .order_by("-line", "-pk")
        .values_list("key", "line")
    )
    existing = {
        actor.source_key: actor
        for actor in Actor.objects.from_source(source.code, keys)
        .select_related("merged_into")
        .prefetch_related("categories", "labels")
    }
    to_create: list[tuple[ImportRecord, Cleaned]] = []
    for record, result in cleaned:
        records.append(record)
        if result is None:
            continue
        notes = list(result.notes)
        if record.key in earlier_keys:
            skip(
                record,
                _("même identifiant que la ligne %(line)s") % {"line": earlier_keys[record.key]},
            )
            continue
        earlier_keys[record.key] = record.line
        actor = existing.get(record.key)
        if actor is not None:
            compare(record, actor, notes)
            continue
        record.action = RecordAction.CREATE
        record.reason = "; ".join(notes)
        to_create.append((record, result))

    find_duplicates(run, to_create)
    bulk_insert.insert(records, using=router.db_for_write(ImportRecord))
    run.position += len(batch)
    for record in records:
        _count(run, record, 1)
    run.save(update_fields=["position", "counts"])


def _count(run: ImportRun, record: ImportRecord, step: int) -> None:
    """Adds (or, with step -1, takes back) a record's share of the report's counts."""
    data = record.data or {}

    def add(name):
        run.counts[name] = max(0, run.counts.get(name, 0) + step)

    add(record.action)
    hours = hours_outcome(data) if record.action != RecordAction.REJECT else ""
    if hours:
        add(hours)
    if record.action == RecordAction.CREATE and data.get("check_duplicate"):
        add(DUPLICATES_TO_CHECK)
    if data.get("count"):
        add(data["count"])  # a row left out: outside the area, or its commune in doubt
    elif data.get("scope") and record.action != RecordAction.REJECT:
        add(SCOPE_COUNT + data["scope"])


# Counted apart from the actions (run.counts): rows whose hours were read, and rows whose
# hours were kept as the file wrote them, for staff to fix.
HOURS_READ, HOURS_KEPT = "hours:read", "hours:kept"


def hours_outcome(data: dict) -> str:
    if data.get("hours"):
        return HOURS_READ
    return HOURS_KEPT if data.get("hours_text") else ""


def _key_market_days(run: ImportRun, cleaned) -> None:
    """In a file without identifiers, a row's key is its name and place: the same market on
    two days would have one key, and the second be skipped as the first. A row whose key an
    earlier row has, with other days, gets its days added to its key (the first keeps it)."""
    days_by_key: dict[str, set] = {}
    for record, result in cleaned:
        if result is None or not record.key.startswith(AUTO_KEY):
            continue
        days = evidence(record)["days"]
        if record.key not in days_by_key:
            earlier = (
                ImportRecord.objects.filter(run=run, key=record.key)
                .exclude(action=RecordAction.REJECT)
                .values_list("data", flat=True)
                .first()
            )
            if earlier is None:
                days_by_key[record.key] = days
                continue
            days_by_key[record.key] = {s[0] for s in (earlier.get("hours") or {}).get("slots", [])}
        if days and days_by_key[record.key] and not days & days_by_key[record.key]:
            record.key = f"{record.key}-{'-'.join(d for d in DAYS if d in days)}"
            days_by_key.setdefault(record.key, days)


def import_anyway(run: ImportRun, record: ImportRecord) -> None:
    """Staff's « importer quand même » for a row skipped as a probable duplicate, before
    the import: it will be created. Other skips (an identifier repeated in the file, a
    listing its producer keeps, a merged listing) stay skipped."""
    if run.status != RunStatus.ANALYSED or record.run_id != run.pk:
        raise ValueError(_("L'import n'attend plus de décision."))
    if record.action != RecordAction.SKIP or not (record.data or {}).get("duplicate_skip"):
        raise ValueError(_("Cette ligne ne peut pas être importée."))
    with transaction.atomic():
        record.action = RecordAction.CREATE
        record.actor = None
        record.data.pop("duplicate_skip", None)
        record.reason = _("importée quand même (%(reason)s)") % {"reason": record.reason}
        record.save(update_fields=["action", "actor", "data", "reason"])
        run.counts[RecordAction.SKIP] = run.counts.get(RecordAction.SKIP, 1) - 1
        run.counts[RecordAction.CREATE] = run.counts.get(RecordAction.CREATE, 0) + 1
        run.save(update_fields=["counts"])


def place_at(run: ImportRun, record: ImportRecord, code: str) -> None:
    """Staff's choice of commune for a row whose commune was in doubt (one of the
    candidates the report lists): the row is analysed again as if the file had given
    that commune's INSEE code, duplicates and area included."""
    if run.status != RunStatus.ANALYSED or record.run_id != run.pk:
        raise ValueError(_("L'import n'attend plus de décision."))
    data = record.data or {}
    if data.get("count") != PLACE_TO_CHECK or code not in {
        c["code"] for c in data.get("candidates", [])
    }:
        raise ValueError(_("Cette commune n'est pas une des candidates de la ligne."))
    with transaction.atomic():
        _count(run, record, -1)
        record.data, record.reason, record.actor = {}, "", None
        try:
            result = clean_row(data["row"], run.mapping, References(), forced_commune=code)
        except Rejected as reason:
            record.action = RecordAction.SKIP if reason.skip else RecordAction.REJECT
            record.reason, record.data = str(reason), dict(reason.data)
            if reason.count:
                record.data["count"] = reason.count
            if reason.count == PLACE_TO_CHECK:
                record.data["row"] = data["row"]  # still to choose: keep what to clean again
        else:
            record.key, record.name, record.data = result.key, result.data["name"], result.data
            actor = Actor.objects.from_source(run.source.code, [record.key]).first()
            twin = (
                ImportRecord.objects.filter(run=run, key=record.key)
                .exclude(pk=record.pk)
                .exclude(action=RecordAction.REJECT)
                .order_by("line", "pk")
                .values_list("line", flat=True)
                .first()
            )
            if twin is not None:
                skip(record, _("même identifiant que la ligne %(line)s") % {"line": twin})
            elif actor is not None:
                compare(record, actor, list(result.notes))
            else:
                record.action = RecordAction.CREATE
                record.reason = "; ".join(result.notes)
                find_duplicates(run, [(record, result)])
        record.save()
        _count(run, record, 1)
        run.save(update_fields=["counts"])


def _finish(run: ImportRun) -> None:
    """Listings of this source that the file no longer has: flagged, never deleted."""
    with transaction.atomic():
        present = ImportRecord.objects.filter(run=run).exclude(key="").values("key")
        matched = ImportRecord.objects.filter(run=run, actor__isnull=False).values("actor_id")
        dropped = (
            Actor.objects.filter(source=run.source.code, source_dropped_at__isnull=True)
            .exclude(source_key__in=present)
            .exclude(pk__in=matched)
            .exclude(status=ModerationStatus.ARCHIVED)
            .order_by("name", "pk")
        )
        records = [
            ImportRecord(
                run=run,
                line=0,
                action=RecordAction.DROPPED,
                key=actor.source_key,
                name=actor.name,
                actor=actor,
                reason=_("absente du nouveau fichier : signalée, pas supprimée"),
                before={"source_dropped_at": None},
            )
            for actor in dropped.iterator(chunk_size=BATCH)
        ]
        bulk_insert.insert(records, using=router.db_for_write(ImportRecord))
        if records:
            run.counts[RecordAction.DROPPED] = len(records)
        run.status = RunStatus.ANALYSED
        run.analysed_at = timezone.now()
        run.save(update_fields=["counts", "status", "analysed_at"])


def _column(row: dict, mapping: dict, wanted: str) -> str:
    for header, field in mapping.get("columns", {}).items():
        if field == wanted:
            return (row.get(header) or "").strip()
    return ""
