"""/staff/chiffres/: the figures the communication staff report, as charts, tables and CSV."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..models import ActorKind, ModerationStatus
from ..roles import staff_permission_required
from ..spreadsheet import Writer
from . import queries
from .charts import bar_chart
from .counting import flush_page_views
from .period import Period, PeriodForm

figures_required = staff_permission_required("directory.view_figures")


def _period(request) -> tuple[PeriodForm, Period]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["period"]
    fallback = PeriodForm({})
    fallback.is_valid()
    return form, fallback.cleaned_data["period"]


def _decimal(value) -> str:
    return "" if value is None else number_format(value, decimal_pos=1, use_l10n=True)


def datasets(period: Period) -> dict:
    """name -> (title, header, rows): what each table and CSV file holds."""
    kinds = list(ActorKind)
    statuses = list(ModerationStatus)
    now = queries.listings_now()
    return {
        "visites": (
            _("Visites et pages vues"),
            [_("période"), _("pages vues"), _("visites")],
            lambda: [[r["label"], r["views"], r["entries"]] for r in queries.visits(period)],
        ),
        "pages": (
            _("Pages vues par type de page"),
            [_("page"), _("pages vues"), _("visites")],
            lambda: [[r["page"], r["views"], r["entries"]] for r in queries.pages(period)],
        ),
        "recherches": (
            _("Recherches"),
            [_("période"), _("recherches"), _("sans résultat")],
            lambda: [[r["label"], r["searches"], r["empty"]] for r in queries.searches(period)],
        ),
        "recherches-lieux": (
            _("Recherches par lieu"),
            [_("lieu"), _("recherches"), _("sans résultat")],
            lambda: [
                [r["place"] or _("(partout)"), r["searches"], r["empty"]]
                for r in queries.searches_by(period, "place", limit=None)
            ],
        ),
        "recherches-produits": (
            _("Recherches par produit"),
            [_("produit"), _("recherches"), _("sans résultat")],
            lambda: [
                [r["product"] or _("(tous)"), r["searches"], r["empty"]]
                for r in queries.searches_by(period, "product", limit=None)
            ],
        ),
        "recherches-sans-resultat": (
            _("Recherches sans résultat : où des producteurs manquent"),
            [_("lieu"), _("produit"), _("sans résultat"), _("recherches")],
            lambda: [
                [
                    r["place"] or _("(partout)"),
                    r["product"] or _("(tous)"),
                    r["empty"],
                    r["searches"],
                ]
                for r in queries.empty_searches(period, limit=None)
            ],
        ),
        "fiches": (
            _("Fiches publiées par type"),
            [_("période"), *[str(k.label) for k in kinds]],
            lambda: [
                [
                    r["label"],
                    *[
                        r["kinds"][k.value] if r["kinds"][k.value] is not None else ""
                        for k in kinds
                    ],
                ]
                for r in queries.listings_over_time(period)
            ],
        ),
        "fiches-statuts": (
            _("Fiches par type et statut (aujourd'hui)"),
            [_("type"), *[str(s.label) for s in statuses]],
            lambda: [
                [str(k.label), *[now["by_status"][k.value][s.value] for s in statuses]]
                for k in kinds
            ],
        ),
        "fiches-departements": (
            _("Fiches publiées par département et type (aujourd'hui)"),
            [_("département"), *[str(k.label) for k in kinds]],
            lambda: [
                [code, *[row[k.value] for k in kinds]]
                for code, row in now["by_departement"].items()
            ],
        ),
        "inscriptions": (
            _("Inscriptions et délais de modération"),
            [
                _("période"),
                _("inscriptions"),
                _("décisions"),
                _("délai médian (h)"),
                _("délai moyen (h)"),
            ],
            lambda: [
                [
                    r["label"],
                    r["submitted"],
                    r["decided"],
                    _decimal(r["median_hours"]),
                    _decimal(r["mean_hours"]),
                ]
                for r in queries.registrations(period)
            ],
        ),
        "integrations": (
            _("Affichages de la carte intégrée, par site partenaire"),
            [_("site"), _("partenaire"), _("affichages")],
            lambda: [
                [r["origin"] or _("(inconnu)"), r["partner"], r["views"]]
                for r in queries.embeds(period)
            ],
        ),
    }


@figures_required
def figures(request):
    flush_page_views()  # the page views still counted in the cache, before they are read
    form, period = _period(request)
    latest = queries.listings_now()["day"]
    if latest is None or latest < queries.today():
        queries.take_snapshot()  # without cron, the page keeps the series going
    tables = {
        name: (title, header, rows()) for name, (title, header, rows) in datasets(period).items()
    }
    visits = queries.visits(period)
    searches = queries.searches(period)
    listings = queries.listings_over_time(period)
    registrations = queries.registrations(period)
    charts = {
        "visites": bar_chart(
            "chart-visits",
            _("Visites et pages vues"),
            [r["label"] for r in visits],
            [
                (_("pages vues"), [r["views"] for r in visits]),
                (_("visites"), [r["entries"] for r in visits]),
            ],
        ),
        "recherches": bar_chart(
            "chart-searches",
            _("Recherches"),
            [r["label"] for r in searches],
            [
                (_("recherches"), [r["searches"] for r in searches]),
                (_("sans résultat"), [r["empty"] for r in searches]),
            ],
        ),
        "fiches": bar_chart(
            "chart-listings",
            _("Fiches publiées par type"),
            [r["label"] for r in listings],
            [(str(k.label), [r["kinds"][k.value] for r in listings]) for k in ActorKind],
        ),
        "inscriptions": bar_chart(
            "chart-registrations",
            _("Inscriptions et décisions"),
            [r["label"] for r in registrations],
            [
                (_("inscriptions"), [r["submitted"] for r in registrations]),
                (_("décisions"), [r["decided"] for r in registrations]),
            ],
        ),
    }
    return render(
        request,
        "staff/figures.html",
        {"form": form, "period": period, "tables": tables, "charts": charts},
        status=400 if form.is_bound and form.errors else 200,
    )


@figures_required
def figures_csv(request, name):
    flush_page_views()
    form, period = _period(request)
    chosen = datasets(period).get(name)
    if chosen is None:
        raise Http404(name)
    title, header, rows = chosen
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"tout-pres_{name}_{period.start.isoformat()}_{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = Writer(response, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows())
    return response
