"""The dry run's report, line by line (CSV download) and in figures."""

from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from geodata.scope import Scope

from ..models import ImportRun, RecordAction, RunStatus
from ..spreadsheet import Writer
from .analysis import DUPLICATES_TO_CHECK, HOURS_KEPT, HOURS_READ
from .places import DEFAULT_SCOPE, PLACE_TO_CHECK, SCOPE_COUNT, ImportScope

COLUMNS = [
    "ligne",
    "action",
    "motif",
    "identifiant",
    "nom",
    "fiche",
    "latitude",
    "longitude",
    "position",
    "horaires",
]


def write_report(run: ImportRun, handle) -> int:
    """Writes the report as CSV (``;``, UTF-8 with BOM for spreadsheets); returns the rows."""
    handle.write("\ufeff")
    writer = Writer(handle, delimiter=";")
    writer.writerow(COLUMNS)
    count = 0
    for row in report_rows(run):
        writer.writerow(row)
        count += 1
    return count


def report_rows(run: ImportRun):
    labels = dict(RecordAction.choices)
    records = (
        run.records.select_related("actor")
        .only("line", "action", "reason", "key", "name", "data", "actor__slug")
        .order_by("line", "pk")
    )
    for record in records.iterator(chunk_size=2000):
        data = record.data or {}
        yield [
            record.line or "",
            str(labels.get(record.action, record.action)),
            record.reason,
            record.key,
            record.name,
            settings.TOUTPRES_SITE_URL + reverse("directory:actor-detail", args=[record.actor.slug])
            if record.actor
            else "",
            _decimal(data.get("lat")),
            _decimal(data.get("lon")),
            data.get("position", ""),
            _hours(data),
        ]


def _hours(data: dict) -> str:
    if data.get("hours"):
        return _("lus")
    if data.get("hours_text"):
        return _("gardés tels quels : %(text)s") % {"text": data["hours_text"]}
    return ""


def _decimal(value) -> str:
    return "" if value is None else f"{value:.6f}".replace(".", ",")


def summary_lines(run: ImportRun) -> list[str]:
    labels = dict(RecordAction.choices)
    if run.status == RunStatus.DONE:
        # After the import the plan's "to create" became facts.
        labels |= {RecordAction.CREATE: _("Créée"), RecordAction.UPDATE: _("Mise à jour")}
    lines = [
        _("Bilan : %(total)s ligne(s)") % {"total": number_format(run.total, force_grouping=True)}
    ]
    for action in RecordAction:
        count = run.counts.get(action.value, 0)
        if count:
            lines.append(f"  {labels[action.value]} : {number_format(count, force_grouping=True)}")
    check = run.counts.get(DUPLICATES_TO_CHECK, 0)
    if check:
        lines.append(
            _("Doublons possibles importés, à vérifier : %(count)s")
            % {"count": number_format(check, force_grouping=True)}
        )
    read, kept = run.counts.get(HOURS_READ, 0), run.counts.get(HOURS_KEPT, 0)
    if read or kept:
        lines.append(
            _("Horaires : %(read)s lu(s), %(kept)s gardé(s) tels quels, à reprendre")
            % {
                "read": number_format(read, force_grouping=True),
                "kept": number_format(kept, force_grouping=True),
            }
        )
    where = [
        f"{where.label} {number_format(run.counts[SCOPE_COUNT + where], force_grouping=True)}"
        for where in Scope
        if run.counts.get(SCOPE_COUNT + where)
    ]
    if where:
        scope = ImportScope(run.mapping.get("scope") or DEFAULT_SCOPE)
        lines.append(
            _("Où (import : %(scope)s) : %(counts)s")
            % {"scope": scope.label, "counts": ", ".join(where)}
        )
    doubt = run.counts.get(PLACE_TO_CHECK, 0)
    if doubt:
        lines.append(
            _("Commune à choisir parmi des candidates : %(count)s")
            % {"count": number_format(doubt, force_grouping=True)}
        )
    return lines
