"""Staff pages for partner list imports (/staff/imports/)."""

import itertools
import shutil
import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from geodata.scope import Scope

from ..models import (
    ActorKind,
    ImportRecord,
    ImportRun,
    ImportSource,
    Partner,
    RecordAction,
    RunStatus,
)
from ..opendata.build import separate_licences
from ..opendata.licences import OPEN_FAMILIES
from ..roles import staff_permission_required
from ..spreadsheet import Writer
from . import analysis, mapping, readers, runs
from .analysis import DUPLICATES_TO_CHECK, HOURS_KEPT
from .places import DEFAULT_SCOPE, PLACE_TO_CHECK, SCOPE_COUNT, ImportScope
from .report import COLUMNS, report_rows

importer_required = staff_permission_required("directory.import_actors")
# A web step works this long, then answers with its progress; the page asks for the next.
STEP_SECONDS = 4.0
REPORT_PAGE_SIZE = 50


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier"),
        help_text=gettext_lazy("CSV (séparateur , ou ;), XLSX ou GeoJSON, UTF-8 ou Latin-1."),
    )
    source = forms.ModelChoiceField(
        ImportSource.objects.all(),
        required=False,
        label=gettext_lazy("Source déjà connue"),
        empty_label=gettext_lazy("— nouvelle source —"),
    )
    name = forms.CharField(
        label=gettext_lazy("Nouvelle source : nom"), max_length=120, required=False
    )
    licence = forms.CharField(
        label=gettext_lazy("Licence des données"), max_length=150, required=False
    )
    licence_url = forms.URLField(label=gettext_lazy("Adresse de la licence"), required=False)
    partner = forms.ModelChoiceField(
        Partner.objects.all(), required=False, label=gettext_lazy("Partenaire")
    )
    publish = forms.BooleanField(
        label=gettext_lazy("Publier directement les nouvelles fiches"), required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.TOUTPRES_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                _("Fichier trop gros : %(mb)s Mo au plus.") % {"mb": limit // (1024 * 1024)}
            )
        if Path(upload.name).suffix.lower() not in (".csv", ".txt", ".xlsx", ".geojson", ".json"):
            raise ValidationError(_("Formats acceptés : .csv, .xlsx, .geojson."))
        return upload

    def clean(self):
        data = super().clean()
        if data.get("source") is None:
            name = (data.get("name") or "").strip()
            if not name:
                self.add_error("name", _("Choisissez une source ou nommez la nouvelle."))
            elif ImportSource.objects.filter(name__iexact=name).exists():
                self.add_error("name", _("Cette source existe déjà : choisissez-la dans la liste."))
            elif not slugify(name):
                self.add_error("name", _("Ce nom doit contenir des lettres ou des chiffres."))
            if not (data.get("licence") or "").strip():
                self.add_error(
                    "licence", _("Indiquez sous quelle licence le partenaire donne sa liste.")
                )
        return data

    def source_for(self) -> ImportSource:
        data = self.cleaned_data
        if data["source"] is not None:
            return data["source"]
        base = slugify(data["name"])[:70]
        slug, n = base, 1
        while ImportSource.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return ImportSource.objects.create(
            name=data["name"].strip(),
            slug=slug,
            licence=data["licence"].strip(),
            licence_url=data["licence_url"],
            partner=data["partner"],
            publish=data["publish"],
        )


class MappingForm(forms.Form):
    default_kind = forms.ChoiceField(
        label=gettext_lazy("Type par défaut (lignes sans type reconnu)"),
        choices=[("", gettext_lazy("— aucun : la ligne est rejetée —")), *ActorKind.choices],
        required=False,
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Lignes à importer"),
        choices=ImportScope.choices,
        required=False,  # unsaid: as the source's last import, else the default
        help_text=gettext_lazy(
            "Les autres sont comptées et listées dans le rapport, pas importées ; "
            "les points hors de France sont refusés."
        ),
    )
    coordinates_are_communes = forms.BooleanField(
        label=gettext_lazy(
            "Les coordonnées du fichier sont des centres de commune (positions approximatives)"
        ),
        required=False,
    )

    def __init__(self, *args, run: ImportRun, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run
        self.initial.setdefault(
            "coordinates_are_communes", bool(run.mapping.get("coordinates_are_communes"))
        )
        self.initial.setdefault("scope", run.mapping.get("scope") or DEFAULT_SCOPE)
        choices = [("", gettext_lazy("— ne pas importer —")), *mapping.FIELDS.items()]
        current = run.mapping.get("columns", {})
        self.initial.setdefault("default_kind", run.mapping.get("default_kind", ""))
        for index, header in enumerate(run.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=current.get(header, "")
            )

    def columns(self) -> dict:
        return {
            header: self.cleaned_data.get(f"col_{index}", "")
            for index, header in enumerate(self.run.headers)
        }

    def clean(self):
        data = super().clean()
        for problem in mapping.problems({h: f for h, f in self.columns().items() if f}):
            self.add_error(None, problem)
        return data

    def rows_with_samples(self, samples):
        for index, header in enumerate(self.run.headers):
            yield self[f"col_{index}"], [row.get(header, "") for row in samples]


@importer_required
def index(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            with open(path, "wb") as handle:
                if hasattr(upload, "temporary_file_path"):
                    with open(upload.temporary_file_path(), "rb") as source:
                        shutil.copyfileobj(source, handle)
                else:
                    for chunk in upload.chunks():
                        handle.write(chunk)
            try:
                run = runs.start(form.source_for(), path, upload.name, request.user)
            except ValidationError as error:
                form.add_error("file", error)
            else:
                return redirect("directory:import-run", run.pk)
    sources = ImportSource.objects.annotate(
        listings=Count("actors", distinct=True), last_run=Max("runs__created_at")
    ).select_related("partner")
    return render(
        request,
        "staff/imports.html",
        {
            "form": form,
            "sources": sources,
            "open_families": OPEN_FAMILIES,
            "separate_licences": separate_licences(),
            "runs": ImportRun.objects.select_related("source", "created_by")[:30],
        },
    )


@importer_required
def run_page(request, pk):
    run = get_object_or_404(ImportRun.objects.select_related("source"), pk=pk)
    context = {"run": run, "state": runs.state(run), "actions": RecordAction}
    if run.status in (RunStatus.MAPPING, RunStatus.ANALYSED, RunStatus.DISCARDED):
        form = MappingForm(run=run)
        samples = _samples(run)
        context.update(form=form, mapping_rows=list(form.rows_with_samples(samples)))
        context["saved_mapping"] = runs.same_columns(run)
    if run.status not in (RunStatus.MAPPING, RunStatus.FAILED):
        context.update(_report(request, run))
    return render(request, "staff/import_run.html", context)


def _samples(run: ImportRun) -> list[dict]:
    try:
        return [
            row
            for _line, row in itertools.islice(readers.rows(Path(run.file.path), _table(run)), 3)
        ]
    except (OSError, ValidationError, ValueError):
        return []


def _table(run):
    return readers.Table(run.format, run.headers, run.encoding, run.delimiter)


def _report(request, run) -> dict:
    chosen = request.GET.get("action", "")
    records = run.records.select_related("actor").order_by("line", "pk")
    if chosen in RecordAction.values:
        records = records.filter(action=chosen)
    elif chosen == HOURS_KEPT:
        # The rows whose hours staff should fix: kept as the file wrote them.
        records = (
            records.filter(data__has_key="hours_text")
            .exclude(data__hours_text="")
            .exclude(data__has_key="hours")
            .exclude(action=RecordAction.REJECT)
        )
    elif chosen == DUPLICATES_TO_CHECK:
        records = records.filter(data__check_duplicate=True)
    elif chosen == PLACE_TO_CHECK or chosen in SCOPE_FILTERS:
        records = records.filter(data__count=chosen)
    else:
        chosen = ""
    page = Paginator(records, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = [(action, run.counts.get(action.value, 0)) for action in RecordAction]
    return {
        "page": page,
        "chosen_action": chosen,
        "action_counts": counts,
        "hours_kept": run.counts.get(HOURS_KEPT, 0),
        "hours_kept_value": HOURS_KEPT,
        "to_check": run.counts.get(DUPLICATES_TO_CHECK, 0),
        "to_check_value": DUPLICATES_TO_CHECK,
        "place_to_check": run.counts.get(PLACE_TO_CHECK, 0),
        "place_to_check_value": PLACE_TO_CHECK,
        # Where the rows lie; the ones outside the import's area are listed apart.
        "scope_counts": [
            (where.label, run.counts.get(SCOPE_COUNT + where, 0), SCOPE_COUNT + where)
            for where in Scope
        ],
        "scope_label": ImportScope(run.mapping.get("scope") or DEFAULT_SCOPE).label,
    }


SCOPE_FILTERS = {SCOPE_COUNT + where for where in Scope}


@importer_required
@require_POST
def run_mapping(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    form = MappingForm(request.POST, run=run)
    if form.is_valid():
        try:
            runs.set_mapping(
                run,
                form.columns(),
                form.cleaned_data["default_kind"],
                form.cleaned_data["coordinates_are_communes"],
                scope=form.cleaned_data["scope"] or None,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("directory:import-run", run.pk)
    samples = _samples(run)
    return render(
        request,
        "staff/import_run.html",
        {
            "run": run,
            "state": runs.state(run),
            "form": form,
            "mapping_rows": list(form.rows_with_samples(samples)),
        },
        status=400,
    )


@importer_required
@require_POST
def run_step(request, pk):
    """One time slice of the current step; JSON for the page's script, else back to the page."""
    run = get_object_or_404(ImportRun, pk=pk)
    busy = not runs.step(run, request.user, seconds=STEP_SECONDS)
    run.refresh_from_db()
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({**runs.state(run), "busy": busy})
    return redirect("directory:import-run", run.pk)


@importer_required
@require_POST
def run_confirm(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    try:
        runs.confirm(run, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("directory:import-run", run.pk)


@importer_required
@require_POST
def record_import_anyway(request, pk, record_pk):
    """« Importer quand même » a row the analysis skipped as a probable duplicate."""
    run = get_object_or_404(ImportRun, pk=pk)
    record = get_object_or_404(ImportRecord, pk=record_pk, run=run)
    try:
        analysis.import_anyway(run, record)
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("directory:import-run", run.pk)
    messages.success(
        request, _("La ligne %(line)s sera importée.") % {"line": record.line or record.pk}
    )
    return redirect("directory:import-run", run.pk)


@importer_required
@require_POST
def record_place(request, pk, record_pk):
    """Staff choose the commune of a row whose commune was in doubt."""
    run = get_object_or_404(ImportRun, pk=pk)
    record = get_object_or_404(ImportRecord, pk=record_pk, run=run)
    try:
        analysis.place_at(run, record, request.POST.get("commune", "").strip().upper()[:5])
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("directory:import-run", run.pk)
    messages.success(
        request,
        _("Ligne %(line)s : %(outcome)s.")
        % {"line": record.line, "outcome": record.get_action_display().lower()},
    )
    return redirect(reverse("directory:import-run", args=[run.pk]) + "?action=" + PLACE_TO_CHECK)


@importer_required
@require_POST
def run_cancel(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    try:
        runs.cancel(run)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("directory:import-run", run.pk)


@importer_required
def run_report(request, pk):
    run = get_object_or_404(ImportRun, pk=pk)
    if run.status in (RunStatus.MAPPING, RunStatus.FAILED):
        return HttpResponse(_("Pas encore de rapport : l'analyse n'est pas faite."), status=409)

    class Echo:
        def write(self, value):
            return value

    writer = Writer(Echo(), delimiter=";")

    def lines():
        yield "\ufeff" + writer.writerow(COLUMNS)
        for row in report_rows(run):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"rapport-import-{run.pk}-{slugify(run.source.name)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
