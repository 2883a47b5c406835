"""Rows placed by commune, exactly or not at all, and the region's scope (directory.imports.
places): real lists name places anywhere in France, and beyond."""

import csv
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from directory.imports import analysis, runs
from directory.imports.report import summary_lines
from directory.models import Actor, ActorKind, ImportSource, RecordAction
from tests.importing import analysed, csv_file, imported

pytestmark = pytest.mark.django_db

LISTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "partner-lists"
COOPS = LISTS / "supermarches-cooperatifs.csv"


@pytest.fixture
def source(db):
    return ImportSource.objects.create(
        name="Chambre", slug="chambre", licence="Licence Ouverte 2.0"
    )


def _rows(run):
    return {r.line: r for r in run.records.all()}


def test_a_postal_code_three_communes_share_waits_for_staff_to_choose(
    tmp_path, source, territories, client
):
    path = csv_file(
        tmp_path,
        ["id", "Nom", "Code postal", "Commune"],
        [["M-1", "Marché du samedi", "41200", ""], ["M-2", "Ferme de Blois", "41000", "Blois"]],
    )
    run = analysed(source, path, default_kind=ActorKind.MARKET)
    doubt, blois = _rows(run)[2], _rows(run)[3]
    assert doubt.action == RecordAction.REJECT and doubt.reason.startswith("à vérifier")
    codes = {c["code"] for c in doubt.data["candidates"]}
    assert "41194" in codes and len(codes) >= 2, doubt.data  # Romorantin-Lanthenay among them
    assert blois.action == RecordAction.CREATE, blois.reason
    assert run.counts["place:check"] == 1 and run.counts["scope:region"] == 1
    staff = get_user_model().objects.create_superuser("chef", "chef@example.org", "x")
    client.force_login(staff)
    page = client.get(f"/staff/imports/{run.pk}/?action=place:check").content.decode()
    assert 'value="41194"' in page and "Placer ici" in page
    # The browser posts the chosen option of the select.
    response = client.post(
        f"/staff/imports/{run.pk}/lignes/{doubt.pk}/commune/", {"commune": "41194"}
    )
    assert response.status_code == 302
    doubt.refresh_from_db()
    assert doubt.action == RecordAction.CREATE, doubt.reason
    run.refresh_from_db()
    assert "place:check" not in run.counts or run.counts["place:check"] == 0
    assert run.counts["scope:region"] == 2 and run.counts["create"] == 2
    # A commune that was not a candidate is refused.
    with pytest.raises(ValueError):
        analysis.place_at(run, blois, "41018")
    imported(run)
    market = Actor.objects.get(source=source.code, source_key="M-1")
    assert market.commune.code == "41194" and market.location_is_approximate


@pytest.mark.parametrize(
    "commune, departement, expected",
    [
        ("chapelle-basse-mer", "", "44"),  # commune déléguée of Divatte-sur-Loire, not Mer
        ("Saint-Ouen", "41", "41"),
        ("Saint-Ouen-sur-Seine", "93", "93"),
    ],
)
def test_names_land_in_their_own_departement(
    tmp_path, source, territories, commune, departement, expected
):
    path = csv_file(
        tmp_path,
        ["Nom", "Commune", "Département"],
        [["Ferme", commune, departement]],
    )
    run = analysed(source, path, default_kind=ActorKind.PRODUCER, scope="france")
    record = run.records.get()
    assert record.data.get("departement") == expected, (record.action, record.reason)
    if expected == "41":
        assert record.action == RecordAction.CREATE
        assert record.data["commune"] is not None


def test_a_namesake_without_departement_is_not_picked_by_population(tmp_path, source, territories):
    path = csv_file(tmp_path, ["Nom", "Commune"], [["Ferme", "Saint-Ouen"]])
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    record = run.records.get()
    assert record.action == RecordAction.REJECT and record.data["count"] == "place:check"
    assert {"41", "80"} <= {c["departement"] for c in record.data["candidates"]}


def test_insee_and_departement_columns_are_recognised_and_used(tmp_path, source, territories):
    path = csv_file(
        tmp_path,
        ["Nom", "code_insee", "Nom commune", "Département"],
        [["Ferme A", "41018", "Blois", "41"], ["Ferme B", "", "Mer", "Loir-et-Cher"]],
    )
    run = runs.start(source, path, path.name)
    columns = run.mapping["columns"]
    assert columns["code_insee"] == "insee" and columns["Département"] == "departement"
    assert columns["Nom commune"] == "commune"
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    a, b = _rows(run)[2], _rows(run)[3]
    assert a.action == b.action == RecordAction.CREATE, (a.reason, b.reason)
    assert a.data["departement"] == b.data["departement"] == "41"


def test_points_outside_france_are_refused_and_inside_its_box_too(tmp_path, source, territories):
    path = csv_file(
        tmp_path,
        ["Nom", "Latitude", "Longitude"],
        [
            ["Genève", "46.2027", "6.1350"],  # inside France's bounding box
            ["Bruxelles", "50.8569", "4.3773"],
            ["En mer", "46.5000", "-2.9000"],  # the Atlantic off Vendée
            ["Orléans", "47.9025", "1.9090"],
        ],
    )
    run = analysed(source, path, default_kind=ActorKind.SHOP)
    rows = _rows(run)
    for line in (2, 3, 4):
        assert rows[line].action == RecordAction.REJECT, rows[line].reason
        assert "hors de France" in rows[line].reason
    assert rows[5].action == RecordAction.CREATE
    assert run.counts["scope:abroad"] == 3 and run.counts["scope:region"] == 1


def test_points_outside_the_loaded_communes_get_their_own_departement(
    tmp_path, source, territories
):
    """A national list on a regional site: the rows far from the loaded communes are
    placed in their département from France's outlines, looked up for the batch."""
    path = csv_file(
        tmp_path,
        ["Nom", "Latitude", "Longitude"],
        [
            ["Vieux-Port", "43.2951", "5.3740"],
            ["Grand-Place de Lille", "50.6369", "3.0635"],
            ["Port de Brest", "48.3826", "-4.4950"],
            ["Petite France", "48.5808", "7.7413"],
            ["Orléans", "47.9025", "1.9090"],
        ],
    )
    run = analysed(source, path, default_kind=ActorKind.SHOP, scope="france")
    found = {r.line: (r.data.get("departement"), r.data.get("scope")) for r in run.records.all()}
    assert found == {
        2: ("13", "elsewhere"),
        3: ("59", "elsewhere"),
        4: ("29", "elsewhere"),
        5: ("67", "elsewhere"),
        6: ("45", "region"),
    }, found


def test_the_real_national_list_of_cooperatives_by_area(tmp_path, source, territories):
    """130 cooperative shops, in France and abroad: a regional directory takes its region
    and the départements around it, counts the rest, refuses what lies outside France."""
    assert COOPS.exists(), f"the shared real lists are missing: {COOPS}"
    path = tmp_path / COOPS.name
    shutil.copy(COOPS, path)
    run = analysed(source, path, default_kind=ActorKind.SHOP)
    counts = run.counts
    region = {r.line for r in run.records.filter(data__scope="region")}
    assert len(region) == counts["scope:region"] >= 3, counts  # Tours, Orléans…
    assert counts["scope:elsewhere"] >= 60, counts
    abroad = {r.line for r in run.records.filter(data__count="scope:abroad")}
    rows = list(csv.DictReader(COOPS.open(encoding="utf-8")))
    # Nouméa (988) too: New Caledonia is not in the territory data (no département).
    foreign = {
        n
        for n, r in enumerate(rows, 2)
        if not r["departement"][:1].isdigit() or r["departement"] == "988"
    }
    # Switzerland, Belgium, Ireland, Canada, the United States…: refused, the ones inside
    # France's bounding box (Geneva, Brussels) included, and only them.
    assert len(abroad) == counts["scope:abroad"], counts
    assert abroad == foreign, [r["nom"] for n, r in enumerate(rows, 2) if n in abroad ^ foreign]
    assert all(r.action == RecordAction.REJECT for r in run.records.filter(line__in=abroad))
    created = run.records.filter(action=RecordAction.CREATE)
    assert set(created.values_list("data__scope", flat=True)) <= {"region", "bordering"}
    elsewhere = run.records.filter(data__count="scope:elsewhere")
    assert all(r.action == RecordAction.SKIP for r in elsewhere)
    assert any("hors zone" in line or "Où" in line for line in summary_lines(run))
    # The whole of France, when staff ask for it.
    wide = analysed(source, path, default_kind=ActorKind.SHOP, scope="france")
    assert wide.counts.get("scope:elsewhere", 0) == counts["scope:elsewhere"]
    assert not wide.records.filter(data__count="scope:elsewhere").exists(), "left out"
    created = wide.records.filter(action=RecordAction.CREATE, data__scope="elsewhere")
    assert created.count() > 60, wide.counts


def test_region_only_leaves_the_bordering_departements_out(tmp_path, source, territories):
    path = csv_file(
        tmp_path,
        ["Nom", "Commune", "Code postal"],
        [["A", "Orléans", "45000"], ["B", "Vierzon", "18100"], ["C", "Nevers", "58000"]],
    )
    run = analysed(source, path, default_kind=ActorKind.SHOP, scope="region")
    rows = _rows(run)
    assert rows[2].action == rows[3].action == RecordAction.CREATE
    assert rows[4].action == RecordAction.SKIP and "hors zone" in rows[4].reason
    assert run.counts["scope:bordering"] == 1
    remembered = analysed(source, path, default_kind=ActorKind.SHOP)  # as the last import
    assert remembered.counts["skip"] == 1
    default = analysed(source, path, default_kind=ActorKind.SHOP, scope="bordering")
    assert default.counts["create"] == 3 and default.counts["scope:bordering"] == 1, [
        (r.action, r.reason) for r in default.records.all()
    ]
