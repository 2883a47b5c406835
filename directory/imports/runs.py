"""An import's life: upload, mapping, analysis, confirmation, import, rollback. The staff
pages and the import_list command both go through here; long steps run in time slices so
a web page can show their progress and an interrupted one picks up where it stopped."""

import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ImportRun, ImportSource, RunStatus
from . import analysis, apply, mapping, readers
from .places import DEFAULT_SCOPE, ImportScope

# A dry run describes the listings as they were: confirming an old one would apply a stale
# plan, so past this age it must be analysed again.
PLAN_MAX_AGE = timedelta(hours=24)
# Longest a batch may take (geocoding 500 rows through a slow service) before the lock lapses.
LOCK_SECONDS = 300
ACTIVE = (RunStatus.ANALYSING, RunStatus.IMPORTING, RunStatus.ROLLING_BACK)


def start(source: ImportSource, path: Path, filename: str, user=None) -> ImportRun:
    """A new run for ``path`` (copied into MEDIA_ROOT), its columns read and mapped: from
    the source's last mapping when the file has the same columns, else guessed."""
    table = readers.open_table(path, filename)
    if not table.headers:
        raise ValidationError(_("Le fichier n'a pas de ligne d'en-tête."))
    total = readers.count_rows(path, table)
    if total == 0:
        raise ValidationError(_("Le fichier n'a aucune ligne de données."))
    run = ImportRun(
        source=source,
        filename=Path(filename).name[:255],
        format=table.format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        headers=table.headers,
        total=total,
        created_by=user if user is not None and user.is_authenticated else None,
        mapping=proposed_mapping(source, table.headers),
    )
    with open(path, "rb") as handle:
        run.file.save(f"{source.slug}-{Path(filename).name}", File(handle), save=False)
    run.save()
    return run


def proposed_mapping(source: ImportSource, headers: list[str]) -> dict:
    saved = source.mapping or {}
    columns = {h: f for h, f in (saved.get("columns") or {}).items() if h in headers and f}
    proposed = {"default_kind": saved.get("default_kind", "")}
    if saved.get("coordinates_are_communes"):
        proposed["coordinates_are_communes"] = True
    if saved.get("scope"):
        proposed["scope"] = saved["scope"]
    if columns and "name" in columns.values():
        return {"columns": columns, **proposed, "saved": True}
    return {"columns": mapping.guess(headers), **proposed}


def same_columns(run: ImportRun) -> bool:
    """Whether the source's saved mapping fits this file as is (the one-click re-import)."""
    return bool(run.mapping.get("saved"))


def set_mapping(
    run: ImportRun,
    columns: dict,
    default_kind: str,
    coordinates_are_communes: bool | None = None,
    scope: str | None = None,
) -> None:
    """Starts (or restarts) the analysis with this mapping; the source keeps it.
    ``scope``: the area whose rows are imported (places.ImportScope; unsaid: as last time)."""
    if run.status not in (RunStatus.MAPPING, RunStatus.ANALYSED, RunStatus.DISCARDED):
        raise ValidationError(_("Cet import ne peut plus changer de colonnes."))
    columns = {h: f for h, f in columns.items() if h in run.headers and f in mapping.FIELDS}
    errors = mapping.problems(columns)
    errors += _key_problems(run, columns)
    if errors:
        raise ValidationError(errors)
    run.records.all().delete()
    if coordinates_are_communes is None:  # unsaid: as the source's last mapping said
        coordinates_are_communes = bool(run.mapping.get("coordinates_are_communes"))
    if scope is None:
        scope = run.mapping.get("scope") or DEFAULT_SCOPE
    if scope not in ImportScope.values:
        raise ValidationError(_("Zone d'import inconnue : %(value)s") % {"value": scope})
    run.mapping = {"columns": columns, "default_kind": default_kind or "", "scope": scope}
    if coordinates_are_communes:
        run.mapping["coordinates_are_communes"] = True
    run.status, run.position, run.counts, run.analysed_at = RunStatus.ANALYSING, 0, {}, None
    run.save()
    source = run.source
    source.mapping = run.mapping
    source.save(update_fields=["mapping"])


# A key column is refused when it is constant, or has fewer distinct values than this share
# of its rows (a département code taken for one). Repeats below that only skip their rows
# (« même identifiant que la ligne … »): a partner's typo must not block the whole file.
KEY_DISTINCT_SHARE = 0.5
KEY_WORDS = {"id", "identifiant", "code", "ref", "reference", "numero", "cle", "uid", "siret"}


def _key_problems(run: ImportRun, columns: dict) -> list[str]:
    """A key column that cannot tell the rows apart, with a column that could."""
    header = next((h for h, f in columns.items() if f == "key"), None)
    if header is None:
        return []
    candidates = [h for h in run.headers if h == header or KEY_WORDS & set(mapping.header_words(h))]
    values = {h: Counter() for h in candidates}
    for _line, row in readers.rows(Path(run.file.path), analysis.table_for(run)):
        for h in candidates:
            value = " ".join(str(row.get(h) or "").split())
            if value:
                values[h][value] += 1
    counts = values[header]
    rows = sum(counts.values())
    if not rows:
        return [
            _("La colonne « %(column)s » choisie comme identifiant est vide.") % {"column": header}
        ]
    constant = len(counts) == 1 and rows > 1
    if not constant and len(counts) >= KEY_DISTINCT_SHARE * rows:
        return []
    worst, times = counts.most_common(1)[0]
    message = _(
        "La colonne « %(column)s » ne peut pas servir d'identifiant : %(distinct)s valeur(s) "
        "différente(s) pour %(rows)s ligne(s) (« %(value)s » %(times)s fois)."
    ) % {
        "column": header,
        "distinct": len(counts),
        "rows": rows,
        "value": worst[:40],
        "times": times,
    }
    unique = [
        h for h in candidates if h != header and len(values[h]) == sum(values[h].values()) > 0
    ]
    if unique:
        message += " " + _("« %(column)s » a une valeur par ligne : choisissez-la.") % {
            "column": unique[0]
        }
    else:
        message += " " + _("Choisissez une colonne dont chaque ligne a sa valeur, ou aucune.")
    return [message]


def confirm(run: ImportRun, user=None) -> None:
    if run.status != RunStatus.ANALYSED:
        raise ValidationError(_("Seule une analyse terminée peut être confirmée."))
    if run.analysed_at < timezone.now() - PLAN_MAX_AGE:
        raise ValidationError(
            _("Cette analyse a plus de 24 heures : relancez-la avant d'importer.")
        )
    newer = ImportRun.objects.filter(source=run.source, confirmed_at__gt=run.analysed_at).exclude(
        pk=run.pk
    )
    if newer.exists():
        raise ValidationError(
            _("Un autre fichier de cette source a été importé depuis l'analyse : relancez-la.")
        )
    if ImportRun.objects.filter(source=run.source, status__in=ACTIVE).exclude(pk=run.pk).exists():
        raise ValidationError(_("Un autre import de cette source est en cours."))
    run.status, run.position = RunStatus.IMPORTING, 0
    run.confirmed_by = user if user is not None and user.is_authenticated else None
    run.confirmed_at = timezone.now()
    run.save()


def cancel(run: ImportRun) -> None:
    """Before the import: abandon the analysis. During or after it: roll it back."""
    if run.status in (RunStatus.MAPPING, RunStatus.ANALYSING, RunStatus.ANALYSED):
        run.status = RunStatus.DISCARDED
    elif run.status in (RunStatus.IMPORTING, RunStatus.DONE):
        run.status, run.position = RunStatus.ROLLING_BACK, apply.applied(run).count()
    else:
        raise ValidationError(_("Cet import ne peut pas être annulé."))
    run.save(update_fields=["status", "position"])


def step(run: ImportRun, user=None, seconds: float | None = None, progress=None) -> bool:
    """Advances an analysis, import or rollback for about ``seconds`` (all of it if None).
    Returns False when another process holds the run."""
    now = timezone.now()
    held = (
        ImportRun.objects.filter(pk=run.pk)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=LOCK_SECONDS))
    )
    if not held:
        return False
    run.refresh_from_db()
    deadline = time.monotonic() + seconds if seconds else None

    def heartbeat(count):
        # The lock is short and renewed after every batch: a process that is killed
        # (Ctrl-C, OOM, a closed tab) frees the run within LOCK_SECONDS for --resume.
        ImportRun.objects.filter(pk=run.pk).update(
            locked_until=timezone.now() + timedelta(seconds=LOCK_SECONDS)
        )
        if progress:
            progress(count)

    try:
        if run.status == RunStatus.ANALYSING:
            analysis.analyse(run, deadline, heartbeat)
        elif run.status == RunStatus.IMPORTING:
            apply.apply(run, user, deadline, heartbeat)
        elif run.status == RunStatus.ROLLING_BACK:
            apply.rollback(run, deadline, heartbeat)
    except ValidationError as error:
        run.status, run.error = RunStatus.FAILED, " ".join(error.messages)
        run.save(update_fields=["status", "error"])
    finally:
        ImportRun.objects.filter(pk=run.pk).update(locked_until=None)
    return True


def state(run: ImportRun) -> dict:
    """What a progress bar needs."""
    if run.status == RunStatus.ANALYSING:
        done, total = run.position, run.total
    elif run.status in (RunStatus.IMPORTING, RunStatus.DONE):
        done, total = run.position, max(apply.applied(run).count() + apply.pending(run).count(), 1)
    elif run.status == RunStatus.ROLLING_BACK:
        total = max(run.position, 1)
        done = total - apply.applied(run).count()
    else:
        done, total = run.total, run.total
    return {
        "status": run.status,
        "label": run.get_status_display(),
        "done": done,
        "total": total,
        "percent": round(100 * done / total) if total else 100,
        "counts": run.counts,
        "working": run.status in ACTIVE,
    }
