"""Duplicates in an import's dry run: rows to create that look like an existing listing
or like an earlier row of the file. The same rules as the moderation desk's duplicate check
(directory.moderation.duplicates), weighed against what tells two listings apart (a
distinct key, phone or market day), with each batch's lookups done together: one spatial
statement for the candidates of a batch, not a query per row."""

import bisect
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import F, Q
from django.utils.translation import gettext as _

from geodata.distance import geodesic_km
from geodata.spatial import BOXES_PER_STATEMENT

from ..hours import DAYS
from ..models import Actor, ImportRecord, ImportRun, ModerationStatus, OpeningSlot, RecordAction
from ..moderation.duplicates import (
    NAME_RADIUS_KM,
    Probe,
    find_duplicates_many,
    phone_digits,
    similar_names,
)
from .clean import AUTO_KEY, Cleaned, dedupe_keys
from .listing import differences, snapshot

# 1 km in degrees of latitude is 1/111; of longitude, at most 1/70 in France.
NEAR_LAT, NEAR_LON = 0.0095, 0.0145


def skip(record: ImportRecord, reason: str) -> None:
    record.action = RecordAction.SKIP
    record.reason = reason


def compare(record: ImportRecord, actor: Actor, notes: list[str]) -> None:
    record.actor = actor
    if actor.merged_into_id:
        skip(record, _("fiche fusionnée dans « %(name)s »") % {"name": actor.merged_into.name})
        return
    if actor.owner_id:
        skip(record, _("fiche tenue par son producteur : ses informations priment"))
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


def find_duplicates(run: ImportRun, to_create: list[tuple[ImportRecord, Cleaned]]) -> None:
    """Rows to create that look like an existing listing, or like an earlier row of the
    file, are skipped: the same rules as the moderation desk's duplicate check."""
    if not to_create:
        return
    candidates = []
    for record, result in to_create:
        data = result.data
        actor = Probe(
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
    seen = Seen()
    for (record, _result), duplicates in zip(to_create, found, strict=True):
        mine = evidence(record)
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
            skip(
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
                flag(record, _("la fiche « %(name)s »") % {"name": other.name})
                break
        twin = _twin_in_file(record, nearby.get(id(record), []), seen, earlier_by)
        if twin is not None:
            line, reason, name_only = twin
            if not name_only:
                skip(
                    record,
                    _("doublon de la ligne %(line)s (%(reason)s)")
                    % {"line": line, "reason": reason},
                )
                record.data["duplicate_skip"] = True
                continue
            flag(record, _("la ligne %(line)s") % {"line": line})
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
        compare(record, actor, [])
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


def flag(record: ImportRecord, other: str) -> None:
    note = _("à vérifier : nom proche de %(other)s, à moins d'1 km") % {"other": other}
    record.reason = "; ".join(filter(None, [note, record.reason]))
    record.data["check_duplicate"] = True


def evidence(record: ImportRecord) -> dict:
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


def _earlier_nearby(run: ImportRun, records: list[ImportRecord]) -> dict[int, list["EarlierRow"]]:
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
    if connection.vendor != "sqlite":
        # psycopg2 sends Python floats as untyped literals, which make VALUES columns
        # numeric: compared with a float column, the (run, latitude) index went unused.
        south, north, west, east = (
            f"CAST({c} AS double precision)" for c in (south, north, west, east)
        )
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
        near = (
            f"r.{column['run']} = %s AND r.{column['action']} = %s "
            f"AND r.{column['latitude']} BETWEEN {south} AND {north} "
            f"AND r.{column['longitude']} BETWEEN {west} AND {east}"
        )
        if connection.vendor == "sqlite":
            sql = f"SELECT {i}, r.{pk} FROM (VALUES {values}) v JOIN {quote(meta.db_table)} r ON {near}"  # noqa: S608 (identifiers from model meta, values bound)
        else:
            # LATERAL: each box looks its rows up by the index. The run's rows are new, not
            # yet analysed: PostgreSQL, expecting one, scanned them all for every box.
            sql = (
                f"SELECT {i}, r.{pk} FROM (VALUES {values}) v{alias} CROSS JOIN LATERAL "  # noqa: S608 (identifiers from model meta, values bound)
                f"(SELECT r.{pk} FROM {quote(meta.db_table)} r WHERE {near}) r"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, run.pk, str(RecordAction.CREATE)])
            for index, row_pk in cursor.fetchall():
                found.setdefault(int(index), set()).add(row_pk)
    pks = set().union(*found.values()) if found else set()
    # Plain rows, and of their data only the hours' slots (what evidence() reads): model
    # instances with every row's whole data took most of this function's time.
    rows = {
        row["pk"]: EarlierRow(
            line=row["line"],
            name=row["name"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            key=row["key"],
            phone=row["phone"],
            data={"hours": {"slots": row["slots"] or []}},
        )
        for row in ImportRecord.objects.filter(pk__in=pks).values(
            "pk",
            "line",
            "name",
            "latitude",
            "longitude",
            "key",
            "phone",
            slots=F("data__hours__slots"),
        )
    }
    return {
        id(placed[index]): [
            rows[pk] for pk in sorted(found_pks, key=lambda pk: (rows[pk].line, pk))
        ]
        for index, found_pks in found.items()
    }


@dataclass(frozen=True, slots=True)
class EarlierRow:
    """What the twin check reads of a row of an earlier batch (evidence(), _twin_in_file)."""

    line: int
    name: str
    latitude: float
    longitude: float
    key: str
    phone: str
    data: dict


class Seen:
    """The rows of this batch kept so far, in file order, found by phone, e-mail or site
    and by latitude without going through them all (a batch of 500 rows compared each row
    with every earlier one)."""

    def __init__(self):
        self.records: list[ImportRecord] = []
        self.lines: dict[str, dict] = {field: {} for field in TWIN_FIELDS}
        self.latitudes: list[tuple[float, int]] = []

    def append(self, record: ImportRecord) -> None:
        for field in TWIN_FIELDS:
            value = getattr(record, field)
            if value:
                self.lines[field].setdefault(value, record.line)
        bisect.insort(self.latitudes, (record.latitude, len(self.records)))
        self.records.append(record)

    def first_line(self, field: str, value):
        """The line of the first kept row with this value, or None."""
        return self.lines[field].get(value)

    def near(self, latitude: float) -> list[ImportRecord]:
        """The kept rows within NEAR_LAT of ``latitude``, in file order."""
        # A little wider, then the exact test the rows were compared with.
        low = bisect.bisect_left(self.latitudes, (latitude - NEAR_LAT - 1e-9, -1))
        high = bisect.bisect_right(self.latitudes, (latitude + NEAR_LAT + 1e-9, len(self.records)))
        return [
            self.records[i]
            for lat, i in sorted(self.latitudes[low:high], key=lambda pair: pair[1])
            if abs(lat - latitude) <= NEAR_LAT
        ]


def _twin_in_file(record: ImportRecord, earlier: list, seen: Seen, earlier_by: dict):
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
        line = seen.first_line(field, value)
        if line is not None:
            return line, reason, False
        line = earlier_by[field].get(value)
        if line:
            return line, reason, False
    mine = evidence(record)
    # File order: every row of an earlier batch comes before this batch's.
    near = earlier + seen.near(record.latitude)
    for other in near:
        if (
            # The longitude first: the batch's rows found by latitude alone span the region.
            abs(other.longitude - record.longitude) <= NEAR_LON
            and similar_names(record.name, other.name)
            and geodesic_km((other.latitude, other.longitude), (record.latitude, record.longitude))
            <= NAME_RADIUS_KM
            and _distinct(mine, evidence(other)) is None
        ):
            return other.line, NAME_REASON, True
    return None
