"""Territories imported from the real INSEE / La Poste files."""

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db.models import Count
from pyproj import Transformer

from geodata import gazetteer, sources
from geodata.models import Commune, Departement, PostalCode, Region
from tests.conftest import REGION_COMMUNES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def source():
    return sources.load()


def test_region_has_exactly_its_real_communes():
    counts = dict(
        Departement.objects.filter(region__code="24")
        .annotate(n=Count("communes"))
        .values_list("code", "n")
    )
    assert counts == REGION_COMMUNES
    assert Commune.objects.filter(departement__region__code="24").count() == 1754


def test_default_import_adds_every_bordering_departement_and_no_other():
    codes = set(Departement.objects.values_list("code", flat=True))
    bordering = {"03", "23", "27", "49", "58", "61", "72", "77", "78", "86", "87", "89", "91"}
    assert codes == set(REGION_COMMUNES) | bordering


def test_communes_have_names_with_articles_postal_codes_townhalls_and_outlines():
    ferte = Commune.objects.get(code="45146")
    assert ferte.name == "La Ferté-Saint-Aubin"
    assert ferte.postal_code_list == ["45240"]
    assert ferte.townhall is not None and ferte.outline.contains(ferte.townhall)
    assert not Commune.objects.filter(outline__isnull=True).exists()


def test_merged_commune_outline_is_rebuilt_from_its_parts():
    # Orée d'Anjou (49) has no outline of its own in the source.
    oree = Commune.objects.get(code="49126")
    assert oree.outline is not None and oree.outline.area > 0.01


def test_outlines_are_derived_for_departements_and_complete_regions_only():
    loiret = Departement.objects.get(code="45")
    assert loiret.outline.valid
    # The union of the communes: a département outline covers each of its town halls.
    outside = Commune.objects.filter(departement=loiret, townhall__isnull=False).exclude(
        townhall__intersects=loiret.outline.buffer(0.002)
    )
    assert not outside.exists()
    assert Region.objects.get(code="24").outline is not None
    # Normandie is only partly imported: no misleading partial outline.
    assert Region.objects.get(code="28").outline is None


def test_import_is_idempotent(django_db_blocker):
    before = (Commune.objects.count(), PostalCode.objects.count())
    pks = dict(Commune.objects.filter(departement__code="45").values_list("code", "pk"))
    call_command("import_territories", "--departements", "45", verbosity=0)
    assert (Commune.objects.count(), PostalCode.objects.count()) == before
    assert dict(Commune.objects.filter(departement__code="45").values_list("code", "pk")) == pks


@pytest.mark.parametrize("codes", ["99", "45,XX", "", "971"])
def test_unknown_departement_codes_are_rejected(codes):
    with pytest.raises(CommandError, match="inconnu"):
        call_command("import_territories", "--departements", codes, verbosity=0)


def _points_either_side(source, left: str, right: str, offset_m: float):
    """Two points ``offset_m`` metres either side of the border between two départements."""
    to_l93 = Transformer.from_crs(4326, 2154, always_xy=True)
    to_wgs = Transformer.from_crs(2154, 4326, always_xy=True)

    def dep(code):
        return shapely.union_all(
            [c.outline for c in source.communes.values() if c.departement == code]
        )

    a, b = (shapely.transform(dep(c), to_l93.transform, interleaved=False) for c in (left, right))
    border = shapely.line_merge(shapely.intersection(a.boundary, b.buffer(1)))
    line = max(shapely.get_parts(border), key=lambda g: g.length)
    mid = line.length / 2
    p, q = line.interpolate(mid - 50), line.interpolate(mid + 50)
    dx, dy = q.x - p.x, q.y - p.y
    norm = (dx**2 + dy**2) ** 0.5
    nx, ny = -dy / norm, dx / norm
    centre = line.interpolate(mid)
    points = []
    for sign in (1, -1):
        x, y = centre.x + sign * offset_m * nx, centre.y + sign * offset_m * ny
        lon, lat = to_wgs.transform(x, y)
        inside = left if a.contains(shapely.Point(x, y)) else right
        points.append((lat, lon, inside))
    return points


@pytest.mark.parametrize("left, right", [("45", "89"), ("41", "72"), ("37", "86"), ("18", "58")])
def test_point_one_km_inside_a_border_resolves_to_the_right_departement(source, left, right):
    points = _points_either_side(source, left, right, 1000)
    assert {expected for *_, expected in points} == {left, right}
    for lat, lon, expected in points:
        place = gazetteer.locate(lat, lon)
        assert place.departement.code == expected
        assert place.commune.departement.code == expected
        assert [d.code for d in Departement.objects.containing(place.commune.center)] == [expected]
