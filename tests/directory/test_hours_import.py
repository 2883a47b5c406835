"""Opening hours on import (directory.hours): Paris's real list of open-air markets (per-
weekday 0/1 columns and hour columns, ODbL, ../shared/data/partner-lists/), OpenStreetMap
values and French timetables into the seasons and weekly slots registration uses; what
cannot be read kept verbatim, counted, listed for staff; rollback puts the hours back."""

import csv
import datetime
import shutil
from pathlib import Path

import pytest
from django.contrib.gis.geos import Point

from directory.imports import report as import_report
from directory.imports import runs
from directory.models import Actor, ActorKind, ImportSource, OpeningSlot
from directory.schedule import open_on
from directory.search import Search
from tests.importing import analysed, csv_file, imported

pytestmark = pytest.mark.django_db

PARIS = Path(__file__).resolve().parents[3] / "shared" / "data" / "partner-lists"
MARKETS = PARIS / "marches-decouverts-paris-2022.csv"


@pytest.fixture
def source(db):
    return ImportSource.objects.create(
        name="Ville de Paris",
        slug="paris",
        licence="ODbL 1.0",
        licence_url="https://opendatacommons.org/licenses/odbl/1-0/",
    )


def _run(source, path, default_kind=""):
    # Paris is outside the configured region: the whole of France is imported here.
    return analysed(source, path, default_kind, scope="france")


_import = imported


def _slots(actor):
    return sorted(
        (s.weekday, s.opens.strftime("%H:%M"), s.closes.strftime("%H:%M"))
        for s in actor.opening_slots.all()
    )


@pytest.fixture
def paris_markets(tmp_path, source):
    assert MARKETS.exists(), f"the shared real lists are missing: {MARKETS}"
    path = tmp_path / MARKETS.name
    shutil.copy(MARKETS, path)
    return path


def test_pariss_markets_come_in_with_their_days_and_hours(paris_markets, source):
    run = _run(source, paris_markets, default_kind=ActorKind.MARKET)
    mapping = run.mapping["columns"]
    assert mapping["SAMEDI"] == "day_sa" and mapping["Heure fin le samedi"] == "closes_saturday"
    created = set(run.records.filter(action="create").values_list("key", flat=True))
    _import(run)
    rows = [
        r
        for r in csv.DictReader(MARKETS.open(encoding="utf-8"), delimiter=";")
        if r["Identifiant marché"] in created
    ]
    markets = Actor.objects.filter(source=source.code)
    # Every market, even « BASTILLE » twice and « RASPAIL - BIO » beside « RASPAIL »: their
    # distinct identifiers and days say they are not duplicates.
    assert markets.count() == len(rows) == 81
    with_hours = markets.filter(opening_slots__isnull=False).distinct().count()
    assert with_hours == len(rows), f"{len(rows) - with_hours} markets imported without their days"
    # SAXE-BRETEUIL (id 9): Thursday 07:00-13:30, Saturday 07:00-14:30, as the file says.
    saxe = markets.get(source_key="9")
    assert _slots(saxe) == [(3, "07:00", "13:30"), (5, "07:00", "14:30")]
    # Every market held on Saturday in the file is « ouvert le samedi », and only those.
    saturday = {r["Identifiant marché"] for r in rows if r["SAMEDI"] == "1"}
    found, _date = open_on(markets, 5, datetime.date(2026, 12, 2))
    assert set(found.values_list("source_key", flat=True)) == saturday
    # And a search around Paris « ouvert le samedi » lists them.
    search = Search(
        point=Point(2.3488, 48.8534, srid=4326),
        radius_km=20,
        open="saturday",
        now=datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC),
    )
    listed = set(
        Actor.objects.filter(pk__in=[r.pk for r in search.results()]).values_list(
            "source_key", flat=True
        )
    )
    assert listed == saturday
    assert not markets.exclude(hours_text="").exists(), "hours read, yet text kept"


def test_the_report_counts_the_hours(paris_markets, source):
    run = _run(source, paris_markets, default_kind=ActorKind.MARKET)
    read = run.counts["hours:read"]
    assert read == sum(run.counts.get(a, 0) for a in ("create", "update", "unchanged", "skip"))
    assert (
        f"Horaires : {read} lu(s), 0 gardé(s) tels quels, à reprendre"
        in import_report.summary_lines(run)
    )


def test_a_second_import_of_the_same_file_changes_no_hours(paris_markets, source):
    _import(_run(source, paris_markets, default_kind=ActorKind.MARKET))
    before = OpeningSlot.objects.filter(actor__source=source.code).count()
    again = _run(source, paris_markets, default_kind=ActorKind.MARKET)
    assert again.counts.get("update", 0) == 0, again.counts
    assert again.counts.get("unchanged") == Actor.objects.filter(source=source.code).count()
    assert OpeningSlot.objects.filter(actor__source=source.code).count() == before


def test_changed_hours_update_the_listing_and_a_rollback_puts_them_back(
    paris_markets, source, tmp_path
):
    _import(_run(source, paris_markets, default_kind=ActorKind.MARKET))
    text = paris_markets.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    # SAXE-BRETEUIL now closes at 15:00 on Saturdays.
    index = next(i for i, line in enumerate(lines) if line.startswith("9;"))
    lines[index] = lines[index].replace(";07:00;14:30;", ";07:00;15:00;", 1)
    changed = tmp_path / "changed.csv"
    changed.write_text("".join(lines), encoding="utf-8")
    run = _import(_run(source, changed, default_kind=ActorKind.MARKET))
    saxe = Actor.objects.get(source=source.code, source_key="9")
    assert _slots(saxe) == [(3, "07:00", "13:30"), (5, "07:00", "15:00")]
    record = run.records.get(key="9")
    assert record.data["changes"] == ["hours"], record.data
    runs.cancel(run)
    assert runs.step(run)
    assert _slots(saxe) == [(3, "07:00", "13:30"), (5, "07:00", "14:30")], "rollback lost the hours"


def _csv(tmp_path, rows, name="horaires.csv"):
    return csv_file(
        tmp_path, ["Identifiant", "Nom", "Type", "Latitude", "Longitude", "Horaires"], rows, name
    )


def test_osm_values_and_french_timetables_in_one_column(tmp_path, source, territories):
    path = _csv(
        tmp_path,
        [
            [
                "A1",
                "Boulangerie du Mail",
                "Boulangerie",
                "47.59",
                "1.33",
                "Tu-Sa 07:00-13:00,15:30-19:30; PH off",
            ],
            ["A2", "Marché de Vendôme", "Marché", "47.79", "1.07", "vendredi de 8h à 12h30"],
            [
                "A3",
                "AMAP du Loir",
                "AMAP",
                "47.80",
                "1.06",
                "d'avril à octobre, le jeudi de 18h à 19h30",
            ],
            ["A4", "Ferme des Bois", "Producteur", "47.50", "1.40", "mardi et vendredi matin"],
        ],
    )
    _import(_run(source, path))
    actors = {a.source_key: a for a in Actor.objects.filter(source=source.code)}
    bakery = actors["A1"]
    assert bakery.closed_on_public_holidays
    assert _slots(bakery) == [
        (d, o, c) for d in range(1, 6) for o, c in (("07:00", "13:00"), ("15:30", "19:30"))
    ]
    assert _slots(actors["A2"]) == [(4, "08:00", "12:30")]
    amap = actors["A3"]
    slot = amap.opening_slots.get()
    assert (slot.weekday, slot.season.name) == (3, "d'avril à octobre")
    assert (
        slot.season.start_month,
        slot.season.start_day,
        slot.season.end_month,
        slot.season.end_day,
    ) == (4, 1, 10, 31)
    # Read through the half-day convention: the source's words stay on the listing.
    farm = actors["A4"]
    assert _slots(farm) == [(1, "08:00", "12:30"), (4, "08:00", "12:30")]
    assert farm.hours_text == "mardi et vendredi matin"
    # Closed on public holidays: Easter Monday 2027 (29 March) is not « ouvert le lundi ».
    monday = Actor.objects.filter(pk=bakery.pk)
    bakery.opening_slots.create(weekday=0, opens=datetime.time(7), closes=datetime.time(13))
    assert open_on(monday, 0, datetime.date(2027, 3, 29))[0].count() == 0
    assert open_on(monday, 0, datetime.date(2027, 4, 5))[0].count() == 1


def test_hours_that_cannot_be_read_are_kept_verbatim_escaped_and_listed(
    tmp_path, source, territories, client
):
    path = _csv(
        tmp_path,
        [
            ["B1", "Ferme Rendez-vous", "Producteur", "47.59", "1.33", "Sur rendez-vous"],
            [
                "B2",
                "Ferme <b>Piège</b>",
                "Producteur",
                "47.60",
                "1.34",
                "<script>alert(1)</script>le {{7*7}} quand on veut",
            ],
            ["B3", "Ferme Claire", "Producteur", "47.61", "1.35", "samedi 9h-12h"],
        ],
    )
    run = _run(source, path)
    assert "Horaires : 1 lu(s), 2 gardé(s) tels quels, à reprendre" in import_report.summary_lines(
        run
    )
    reasons = {r.key: r.reason for r in run.records.all()}
    assert "horaires non reconnus, gardés tels quels : « Sur rendez-vous »" in reasons["B1"]
    _import(run)
    kept = Actor.objects.get(source=source.code, source_key="B1")
    assert kept.hours_text == "Sur rendez-vous" and not kept.opening_slots.exists()
    page = client.get(kept.get_absolute_url())
    assert "Horaires communiqués : Sur rendez-vous" in page.content.decode()
    trap = Actor.objects.get(source=source.code, source_key="B2")
    assert "<script" not in trap.hours_text
    html = client.get(trap.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "{{7*7}}" in html and ">49<" not in html
    # Staff see the rows to fix apart.
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_superuser("chef", "chef@example.org", "x")
    client.force_login(staff)
    listed = client.get(f"/staff/imports/{run.pk}/", {"action": "hours:kept"})
    text = listed.content.decode()
    assert listed.status_code == 200
    assert "Ferme Rendez-vous" in text and "Ferme Claire" not in text
    assert "Horaires gardés tels quels, à reprendre" in text
