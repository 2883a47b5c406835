"""Printable sheet: the local directory on paper, for residents without internet."""

from itertools import groupby

from django import forms
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geodata.models import Commune

from .models import ActorKind, DistributionLink
from .search import Search, SearchForm, load_page

MAX_ROWS = 300


class SheetForm(SearchForm):
    """The search parameters, with the place given as an INSEE commune code."""

    commune = forms.RegexField(regex=r"^(\d{5}|2[AB]\d{3})$", label=_("Commune (code INSEE)"))


def sheet(request):
    """GET /fiche/?commune=<insee>&radius=<km> (+ the search filters): print-ready, no JavaScript."""
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
