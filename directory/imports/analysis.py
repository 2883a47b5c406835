"""The dry run: every row of the file becomes a record saying what the import will do
(create, update, leave unchanged, skip as a duplicate, reject) and why. Listings are only
read. Rows are read as a stream and written in batches, so memory does not grow with the
file, and an interrupted analysis resumes at its last batch."""

import time
from pathlib import Path

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geodata.distance import geodesic_km
from geodata.spatial import BOXES_PER_STATEMENT

from ..hours import DAYS
from ..models import (
    Actor,
    ImportRecord,
    ImportRun,
    ModerationStatus,
    OpeningSlot,
    RecordAction,
    RunStatus,
)
from ..moderation.duplicates import (
    NAME_RADIUS_KM,
    find_duplicates_many,
    phone_digits,
    similar_names,
)
from . import readers
from .clean import AUTO_KEY, Cleaned, References, Rejected, clean_row, dedupe_keys, mapped
from .listing import differences, snapshot
from .places import PLACE_TO_CHECK, SCOPE_COUNT, locate_batch

BATCH = 500
# 1 km in degrees of latitude is 1/111; of longitude, at most 1/70 in France.
NEAR_LAT, NEAR_LON = 0.0095, 0.0145


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
    earlier_keys = dict(
        ImportRecord.objects.filter(run=run, key__in=keys)
        .exclude(action=RecordAction.REJECT)
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
            _skip(
                record,
                _("même identifiant que la ligne %(line)s") % {"line": earlier_keys[record.key]},
            )
            continue
        earlier_keys[record.key] = record.line
        actor = existing.get(record.key)
        if actor is not None:
            _compare(record, actor, notes)
            continue
        record.action = RecordAction.CREATE
        record.reason = "; ".join(notes)
        to_create.append((record, result))

    _find_duplicates(run, to_create)
    ImportRecord.objects.bulk_create(records, batch_size=BATCH)
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


def _compare(record: ImportRecord, actor: Actor, notes: list[str]) -> None:
    record.actor = actor
    if actor.merged_into_id:
        _skip(record, _("fiche fusionnée dans « %(name)s »") % {"name": actor.merged_into.name})
        return
    if actor.owner_id:
        _skip(record, _("fiche tenue par son producteur : ses informations priment"))
        return
    changed = differences(actor, record.data)
    if not changed:
        record.action = RecordAction.UNCHANGED
        record.reason = "; ".join(notes)
        return
    record.action = RecordAction.UPDATE
    record.data["changes"] = changed
    record.before = snapshot(actor, changed)
    if "source_dropped_at" in changed:
        notes.insert(0, _("de retour dans la liste du partenaire"))
    notes.insert(0, _("modifié : %(fields)s") % {"fields": ", ".join(changed)})
    record.reason = "; ".join(notes)


def _skip(record: ImportRecord, reason: str) -> None:
    record.action = RecordAction.SKIP
    record.reason = reason


def _find_duplicates(run: ImportRun, to_create: list[tuple[ImportRecord, Cleaned]]) -> None:
    """Rows to create that look like an existing listing, or like an earlier row of the
    file, are skipped: the same rules as the moderation desk's duplicate check."""
    if not to_create:
        return
    candidates = []
    for record, result in to_create:
        data = result.data
        actor = Actor(
            name=data["name"],
            phone=data.get("phone", ""),
            contact_phone=data.get("contact_phone", ""),
            email=data.get("email", ""),
            contact_email=data.get("contact_email", ""),
            website=data.get("website", ""),
            shop_url=data.get("shop_url", ""),
            location=result.point,
        )
        candidates.append(actor)
        keys = dedupe_keys(data)
        record.phone, record.email, record.site = keys["phone"], keys["email"], keys["site"]
        record.latitude, record.longitude = data["lat"], data["lon"]
    found = find_duplicates_many(candidates, exclude=Q(status__in=[ModerationStatus.REJECTED]))
    days_of = _listing_days([d.actor.pk for duplicates in found for d in duplicates])
    earlier = ImportRecord.objects.filter(run=run, action=RecordAction.CREATE)
    # Earlier rows with the batch's phones, e-mails and sites: three queries per batch, not
    # per row ({field: {value: first line}}).
    earlier_by = {}
    for field in TWIN_FIELDS:
        values = {getattr(record, field) for record, _result in to_create} - {""}
        pairs = earlier.filter(**{f"{field}__in": values}).order_by("-line")
        earlier_by[field] = dict(pairs.values_list(field, "line")) if values else {}
    nearby = _earlier_nearby(run, [record for record, _result in to_create])
    seen: list[ImportRecord] = []
    for (record, _result), duplicates in zip(to_create, found, strict=True):
        mine = _evidence(record)
        renamed = _same_listing_under_a_new_key(run, record, duplicates)
        if renamed is not None:
            _rekeyed(record, renamed)
            continue
        # A similar name within 1 km alone is no proof: a distinct source key, phone
        # number or market day says these are two (the branches of a bakery chain, the
        # same market on two days); otherwise the row comes in, flagged for staff to check.
        strong = [d for d in duplicates if d.reasons != [NAME_REASON]]
        if strong:
            first = strong[0]
            _skip(
                record,
                _("doublon probable de « %(name)s » (%(reasons)s)")
                % {"name": first.actor.name, "reasons": ", ".join(first.reasons)},
            )
            record.actor = first.actor
            record.data["duplicate_skip"] = True  # staff may import it anyway
            continue
        for duplicate in duplicates:
            other = duplicate.actor
            theirs = {
                "key": other.source_key if other.source == run.source.code else "",
                "phone": phone_digits(other.phone),
                "days": days_of.get(other.pk, set()),
            }
            if _distinct(mine, theirs) is None:
                _flag(record, _("la fiche « %(name)s »") % {"name": other.name})
                break
        twin = _twin_in_file(record, nearby.get(id(record), []), seen, earlier_by)
        if twin is not None:
            line, reason, name_only = twin
            if not name_only:
                _skip(
                    record,
                    _("doublon de la ligne %(line)s (%(reason)s)")
                    % {"line": line, "reason": reason},
                )
                record.data["duplicate_skip"] = True
                continue
            _flag(record, _("la ligne %(line)s") % {"line": line})
        seen.append(record)


NAME_REASON = str(_("nom proche à moins d'1 km"))
# Counted apart from the actions (run.counts): rows imported although a listing or an
# earlier row with a similar name lies within 1 km, for staff to check.
DUPLICATES_TO_CHECK = "duplicates:check"


def _same_listing_under_a_new_key(run: ImportRun, record: ImportRecord, duplicates):
    """In a file without identifiers, an edited name or postal code makes a new key: the
    listing of this source that looks like the row (similar name within 1 km, or the same
    phone…) under another made-up key is that row's listing, not a duplicate of it."""
    if not record.key.startswith(AUTO_KEY):
        return None
    for duplicate in duplicates:
        actor = duplicate.actor
        if (
            actor.source == run.source.code
            and actor.source_key.startswith(AUTO_KEY)
            and actor.source_key != record.key
        ):
            return actor
    return None


def _rekeyed(record: ImportRecord, actor: Actor) -> None:
    actor = Actor.objects.prefetch_related("categories", "labels").get(pk=actor.pk)
    record.actor = actor
    if actor.owner_id or actor.merged_into_id:
        _compare(record, actor, [])
        return
    changed = [*differences(actor, record.data), "source_key"]
    record.action = RecordAction.UPDATE
    record.data["changes"] = changed
    record.data["source_key"] = record.key
    record.before = snapshot(actor, changed)
    note = _("la même fiche, nom ou lieu modifié dans le fichier")
    fields = ", ".join(f for f in changed if f != "source_key")
    record.reason = "; ".join(
        filter(
            None,
            [_("modifié : %(fields)s") % {"fields": fields} if fields else "", note, record.reason],
        )
    )


def _key_market_days(run: ImportRun, cleaned) -> None:
    """In a file without identifiers, a row's key is its name and place: the same market on
    two days would have one key, and the second be skipped as the first. A row whose key an
    earlier row has, with other days, gets its days added to its key (the first keeps it)."""
    days_by_key: dict[str, set] = {}
    for record, result in cleaned:
        if result is None or not record.key.startswith(AUTO_KEY):
            continue
        days = _evidence(record)["days"]
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
                .values_list("line", flat=True)
                .first()
            )
            if twin is not None:
                _skip(record, _("même identifiant que la ligne %(line)s") % {"line": twin})
            elif actor is not None:
                _compare(record, actor, list(result.notes))
            else:
                record.action = RecordAction.CREATE
                record.reason = "; ".join(result.notes)
                _find_duplicates(run, [(record, result)])
        record.save()
        _count(run, record, 1)
        run.save(update_fields=["counts"])


def _flag(record: ImportRecord, other: str) -> None:
    note = _("à vérifier : nom proche de %(other)s, à moins d'1 km") % {"other": other}
    record.reason = "; ".join(filter(None, [note, record.reason]))
    record.data["check_duplicate"] = True


def _evidence(record: ImportRecord) -> dict:
    hours = (record.data or {}).get("hours") or {}
    return {
        "key": "" if record.key.startswith(AUTO_KEY) else record.key,
        "phone": record.phone,
        "days": {slot[0] for slot in hours.get("slots", [])},
    }


def _distinct(a: dict, b: dict) -> str | None:
    """Why two listings with similar names near each other are still two, or None."""
    if a["key"] and b["key"] and not b["key"].startswith(AUTO_KEY) and a["key"] != b["key"]:
        return "keys"
    if a["phone"] and b["phone"] and a["phone"][-9:] != b["phone"][-9:]:
        return "phones"
    if a["days"] and b["days"] and not a["days"] & b["days"]:
        return "days"
    return None


def _listing_days(pks) -> dict[int, set[str]]:
    """The days each of these listings opens (any season)."""
    out: dict[int, set[str]] = {}
    rows = OpeningSlot.objects.filter(actor_id__in=set(pks)).values_list("actor_id", "weekday")
    for pk, weekday in rows:
        out.setdefault(pk, set()).add(DAYS[weekday])
    return out


TWIN_FIELDS = ("phone", "email", "site")


def _earlier_nearby(run: ImportRun, records: list[ImportRecord]) -> dict[int, list[ImportRecord]]:
    """{id(record): the rows to create of earlier batches within NEAR_LAT and NEAR_LON of
    it, in file order}: one statement for the batch (its records' boxes as a VALUES list
    joined with the run's rows through the (run, latitude) index), then one for their
    rows, where each record sent its own query."""
    placed = [r for r in records if r.latitude is not None and r.longitude is not None]
    if not placed:
        return {}
    connection = connections[router.db_for_read(ImportRecord)]
    meta, quote = ImportRecord._meta, connection.ops.quote_name
    column = {
        n: quote(meta.get_field(n).column) for n in ("run", "action", "latitude", "longitude")
    }
    pk = quote(meta.pk.column)
    box_columns = ("column1", "column2", "column3", "column4", "column5")
    if connection.vendor != "sqlite":
        box_columns = ("i", "s", "n", "w", "e")
    i, south, north, west, east = (f"v.{c}" for c in box_columns)
    alias = "" if connection.vendor == "sqlite" else "(i, s, n, w, e)"
    found: dict[int, set[int]] = {}
    for start in range(0, len(placed), BOXES_PER_STATEMENT):
        chunk = placed[start : start + BOXES_PER_STATEMENT]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params = [
            n
            for index, r in enumerate(chunk, start)
            for n in (
                index,
                r.latitude - NEAR_LAT,
                r.latitude + NEAR_LAT,
                r.longitude - NEAR_LON,
                r.longitude + NEAR_LON,
            )
        ]
        sql = (
            f"SELECT {i}, r.{pk} FROM (VALUES {values}) v{alias} "  # noqa: S608 (identifiers from model meta, values bound)
            f"JOIN {quote(meta.db_table)} r ON r.{column['run']} = %s AND r.{column['action']} = %s "
            f"AND r.{column['latitude']} BETWEEN {south} AND {north} "
            f"AND r.{column['longitude']} BETWEEN {west} AND {east}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, run.pk, str(RecordAction.CREATE)])
            for index, row_pk in cursor.fetchall():
                found.setdefault(int(index), set()).add(row_pk)
    pks = set().union(*found.values()) if found else set()
    rows = {
        row.pk: row
        for row in ImportRecord.objects.filter(pk__in=pks).only(
            "line", "name", "latitude", "longitude", "key", "phone", "data"
        )
    }
    return {
        id(placed[index]): sorted((rows[pk] for pk in found_pks), key=lambda r: (r.line, r.pk))
        for index, found_pks in found.items()
    }


def _twin_in_file(record: ImportRecord, earlier: list, seen: list[ImportRecord], earlier_by: dict):
    """(line, reason, name only) of an earlier row of the file this one repeats; ``earlier``:
    the rows of earlier batches near it (_earlier_nearby)."""
    for field, reason in zip(
        TWIN_FIELDS,
        (_("même numéro de téléphone"), _("même e-mail"), _("même site web")),
        strict=True,
    ):
        value = getattr(record, field)
        if not value:
            continue
        for other in seen:
            if getattr(other, field) == value:
                return other.line, reason, False
        line = earlier_by[field].get(value)
        if line:
            return line, reason, False
    mine = _evidence(record)
    near = [other for other in seen if abs(other.latitude - record.latitude) <= NEAR_LAT]
    near += earlier
    for other in near:
        if (
            similar_names(record.name, other.name)
            and geodesic_km((other.latitude, other.longitude), (record.latitude, record.longitude))
            <= NAME_RADIUS_KM
            and _distinct(mine, _evidence(other)) is None
        ):
            return other.line, NAME_REASON, True
    return None


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
        ImportRecord.objects.bulk_create(records, batch_size=BATCH)
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
