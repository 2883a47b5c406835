"""Town-hall points checked against their commune's outline at import (geodata.townhalls):
the territory data places about 1,900 of them outside their own commune."""

import io

import pytest
import shapely
from django.core.management import call_command
from django.db.models import F, Q
from geopy.distance import geodesic

from directory.search import Search, SearchForm
from geodata import sources
from geodata.models import Commune
from geodata.townhalls import EDGE_DEGREES, TownhallFix, reference_point

SQUARE = shapely.box(1.0, 47.0, 1.1, 47.1)
# A U open to the north: its centroid lies in the gap, outside it.
U_SHAPE = shapely.Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3), (0, 0)])


@pytest.fixture(scope="module")
def source():
    return sources.load()


def test_a_town_hall_inside_its_commune_is_kept():
    point = shapely.Point(1.05, 47.02)
    assert reference_point(point, SQUARE) == (point, TownhallFix.NONE)


def test_a_town_hall_just_outside_moves_to_the_nearest_point_inside():
    outside = shapely.Point(1.1 + EDGE_DEGREES / 2, 47.05)
    point, fix = reference_point(outside, SQUARE)
    assert fix == TownhallFix.EDGE
    assert SQUARE.covers(point), point
    assert point.distance(outside) <= EDGE_DEGREES, "moved further than to the border"


def test_a_flipped_longitude_is_flipped_back():
    point, fix = reference_point(shapely.Point(-1.05, 47.05), SQUARE)
    assert (fix, point.x, point.y) == (TownhallFix.FLIPPED, 1.05, 47.05)


def test_a_point_far_away_becomes_a_point_inside_even_of_a_concave_commune():
    point, fix = reference_point(shapely.Point(10, 10), SQUARE)
    assert fix == TownhallFix.INSIDE and SQUARE.covers(point)
    assert point.equals(SQUARE.centroid)
    point, fix = reference_point(shapely.Point(10, 10), U_SHAPE)
    assert fix == TownhallFix.INSIDE and U_SHAPE.covers(point), "the U's centroid was taken"


def test_a_missing_or_empty_point_becomes_a_point_inside():
    for missing in (None, shapely.Point()):
        point, fix = reference_point(missing, SQUARE)
        assert fix == TownhallFix.MISSING and SQUARE.covers(point)


def test_without_an_outline_nothing_can_be_checked():
    point = shapely.Point(1.05, 47.02)
    assert reference_point(point, None) == (point, TownhallFix.NONE)
    assert reference_point(None, None) == (None, TownhallFix.NONE)


def test_every_communes_reference_point_lies_inside_its_outline_in_all_of_france(source):
    checked, fixed, outside = 0, 0, []
    for record in source.communes.values():
        if record.outline is None:
            continue
        checked += 1
        fixed += bool(record.townhall_fix)
        point = shapely.from_wkb(record.townhall_wkb)
        if not record.outline.covers(point):
            outside.append(f"{record.code} {record.name}")
    assert checked > 34_000, f"only {checked} communes with an outline: the data is incomplete"
    assert not outside, f"{len(outside)} reference points outside their commune: {outside[:10]}"
    # The data's own points are kept wherever they are right.
    assert 1_000 < fixed < checked * 0.08, f"{fixed} of {checked} points replaced"


def test_the_known_wrong_points_are_fixed(source):
    pleurtuit, blet, bourges = (source.communes[c] for c in ("35228", "18031", "18033"))
    assert pleurtuit.townhall_fix == TownhallFix.FLIPPED
    point = shapely.from_wkb(pleurtuit.townhall_wkb)
    assert (round(point.x, 4), round(point.y, 4)) == (-2.0615, 48.5786)
    assert blet.townhall_fix == TownhallFix.INSIDE
    blet_point = shapely.from_wkb(blet.townhall_wkb)
    bourges_point = shapely.from_wkb(bourges.townhall_wkb)
    apart = geodesic((blet_point.y, blet_point.x), (bourges_point.y, bourges_point.x)).km
    assert apart > 25, f"Blet's point is {apart:.1f} km from Bourges's town hall"


@pytest.mark.django_db
def test_imported_communes_have_their_point_inside_their_outline():
    communes = Commune.objects.exclude(outline=None).exclude(townhall=None)
    assert communes.count() > 5_000
    outside = communes.filter(~Q(outline__covers=F("townhall"))).values_list("code", "name")
    assert not list(outside), f"communes whose stored point lies outside them: {list(outside)[:10]}"


@pytest.mark.django_db
def test_a_search_around_blet_is_around_blet_not_bourges():
    form = SearchForm({"where": "Blet", "radius": "5"})
    assert form.is_valid(), form.errors
    search = Search.from_form(form)
    blet = Commune.objects.get(code="18031")
    assert blet.outline.covers(search.point), f"« Blet » searched around {search.point.coords}"
    bourges = Commune.objects.get(code="18033").townhall
    apart = geodesic((search.point.y, search.point.x), (bourges.y, bourges.x)).km
    assert apart > 25, f"a search around Blet is {apart:.1f} km from Bourges"


@pytest.mark.django_db
def test_the_import_reports_the_corrected_town_halls():
    out = io.StringIO()
    call_command("import_territories", "--departements", "35", "--no-progress", stdout=out)
    report = out.getvalue()
    assert "Mairies corrigées (point hors de sa commune)" in report, report
    assert "signe de la longitude inversé" in report, report
    pleurtuit = Commune.objects.get(code="35228")
    assert pleurtuit.townhall.x == pytest.approx(-2.0615, abs=1e-4)
