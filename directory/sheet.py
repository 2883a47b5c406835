"""Printable sheet: the local directory on paper, for residents without internet."""

from itertools import groupby

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geodata.models import Commune
from geodata.names import INSEE_CODE, resolve

from .models import ActorKind, DistributionLink
from .search import Search, SearchForm, load_page

MAX_ROWS = 300


class SheetForm(SearchForm):
    """The search parameters, with the place given as a commune: its INSEE code, its postal
    code or its name, as a town hall's secretary would type it (« Olivet », « 45160 »)."""

    commune = forms.CharField(max_length=120, label=_("Commune (nom, code postal ou code INSEE)"))

    def clean_commune(self) -> str:
        """The commune's INSEE code, found exactly (geodata.names) or not at all: a name
        several communes share is a 400 listing them, never a guess."""
        value = " ".join(self.cleaned_data["commune"].split())
        code = value.upper()
        if INSEE_CODE.match(code) and Commune.objects.filter(code=code).exists():
            return code
        # No commune has this code: then it is a postal code.
        found = resolve(postal_code=code) if INSEE_CODE.match(code) else resolve(name=value)
        if found.found:
            return found.code
        # Namesakes elsewhere in France (Olivet, Loiret and Mayenne): the site's own
        # communes decide when only one of them is among them.
        here = set(
            Commune.objects.filter(code__in=[c.code for c in found.candidates]).values_list(
                "code", flat=True
            )
        )
        if len(here) == 1:
            return here.pop()
        if found.candidates:
            raise forms.ValidationError(
                _(
                    "« %(value)s » : plusieurs communes possibles (%(choices)s). Précisez le code postal."
                ),
                params={
                    "value": value,
                    "choices": ", ".join(f"{c.label} : {c.code}" for c in found.candidates),
                },
            )
        raise forms.ValidationError(
            _(
                "Nous ne trouvons pas « %(value)s ». Tapez le nom de la commune, son code postal ou son code INSEE."
            ),
            params={"value": value},
        )


def sheet(request):
    """GET /fiche/?commune=<name, postal or INSEE code>&radius=<km> (+ the search filters):
    print-ready, no JavaScript."""
    form = SheetForm(request.GET)
    if not form.is_valid():
        return render(request, "directory/sheet_error.html", {"form": form}, status=400)
    commune = (
        Commune.objects.filter(code=form.cleaned_data["commune"])
        .select_related("departement")
        .first()
    )
    if commune is None or commune.center is None:
        raise Http404(_("Commune inconnue."))
    search = Search.from_form(form, resolve_place=False)
    # Here ``commune`` is the sheet's centre, not a territory restriction (``departement``
    # and ``region`` still restrict it).
    search.communes = []
    search.point, search.place_label = commune.center, commune.name
    results = search.results()
    actors = load_page(results, 0, MAX_ROWS)
    links = DistributionLink.objects.filter(
        actor__in=actors, place__status="published"
    ).with_places()
    places_of = {}
    for link in links:
        places_of.setdefault(link.actor_id, []).append(link)
    for actor in actors:
        actor.places = places_of.get(actor.pk, [])
        actor.phone_orders = any(m.slug == "telephone" for m in actor.sale_modes.all())
    order = {kind: i for i, kind in enumerate(ActorKind.values)}
    actors.sort(key=lambda a: (order[a.kind], a.distance_km))
    groups = [
        (ActorKind(kind).label, list(items))
        for kind, items in groupby(actors, key=lambda a: a.kind)
    ]
    return render(
        request,
        "directory/sheet.html",
        {
            "commune": commune,
            "search": search,
            "groups": groups,
            "count": len(actors),
            "truncated": len(results) > MAX_ROWS,
            "printed_on": timezone.localdate(),
        },
    )
