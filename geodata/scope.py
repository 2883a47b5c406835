"""Where a place is from the region's point of view: in it, in a bordering département,
elsewhere in France, or outside France (abroad or at sea).

The region is the configured départements (settings.TOUTPRES_REGION); bordering
départements, and France's outline, come from the national layer (geodata.national), so the
answer does not depend on which territories were loaded."""

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Commune, FrenchDepartement
from .spatial import bbox_prefilter

# A point this close to France (~20 m, the outlines' simplification) is in France: a market
# on a harbour's quay must not be « at sea ». No more: the margin reaches over land borders
# too, and most of Monaco lies within 200 m of France.
COAST_MARGIN = 0.0002


class Scope(models.TextChoices):
    REGION = "region", _("dans la région")
    BORDERING = "bordering", _("département limitrophe")
    ELSEWHERE = "elsewhere", _("ailleurs en France")
    ABROAD = "abroad", _("hors de France")


def region_departements() -> set[str]:
    return {code.upper() for code in settings.TOUTPRES_REGION["DEPARTEMENTS"]}


def bordering_departements() -> set[str]:
    region = region_departements()
    near = FrenchDepartement.objects.filter(code__in=region).values_list("neighbours", flat=True)
    return {code for codes in near for code in codes.split()} - region


def of_departement(code: str | None, bordering: set[str] | None = None) -> Scope:
    if not code:
        return Scope.ABROAD
    if code in region_departements():
        return Scope.REGION
    if code in (bordering if bordering is not None else bordering_departements()):
        return Scope.BORDERING
    return Scope.ELSEWHERE


def departement_at(point: Point) -> str | None:
    """The département a point lies in, or None outside France (abroad, at sea)."""
    commune = Commune.objects.containing(point).values_list("departement__code", flat=True)
    found = commune.first()
    if found:
        return found
    inside = FrenchDepartement.objects.containing(point).values_list("code", flat=True).first()
    if inside:
        return inside
    m = COAST_MARGIN
    box = (point.x - m, point.y - m, point.x + m, point.y + m)
    near = bbox_prefilter(FrenchDepartement.objects.all(), "outline", box)
    for code, outline in near.values_list("code", "outline"):
        if outline.distance(point) <= m:
            return code
    return None
