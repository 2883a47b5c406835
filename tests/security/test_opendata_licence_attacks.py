"""A partner's list names itself and its licence: that text goes into every open-data file
and onto /donnees/, so it is attacked like a listing's own fields (issue 18, part 6).

- a source name or licence that is a spreadsheet formula is neutralised in the CSVs, the
  main one and a licence's own file;
- HTML in them is escaped on /donnees/, the listing page and the staff imports page;
- a licence URL that is not a web address never becomes a link, in a file or a page;
- a licence's own files show a home-based producer at the public pin, like the main ones
  (they are built from records.queryset(), the public position querysets).
"""

import csv
import io
import json

import pytest
from django.core.management import call_command

from directory.models import ImportSource
from geodata.models import Commune

from .test_csv_injection import PAYLOADS, dangerous_cells

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("source")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def opendata_dir(settings, tmp_path):
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "od"}
    return tmp_path / "od"


@pytest.fixture
def hostile_sources(make_actor, territories):
    blois = Commune.objects.get(code="41018")
    actors = []
    for n, payload in enumerate(PAYLOADS):
        for licence in ("Licence Ouverte 2.0", "ODbL 1.0"):
            source = ImportSource.objects.create(
                name=f"{payload} {licence} {n}"[:120],
                slug=f"s{n}-{licence[:4].lower()}",
                # The payload first: the classifier still reads the licence after it.
                licence=f"{payload} {licence}",
                licence_url="javascript:alert(document.cookie)",
            )
            actors.append(make_actor(47.58, 1.33, commune=blois, import_source=source))
    html = ImportSource.objects.create(
        name=SCRIPT, slug="html", licence=f"ODbL {SCRIPT}", licence_url="javascript:alert(1)"
    )
    actors.append(make_actor(47.59, 1.34, commune=blois, import_source=html))
    return actors


def test_formulas_in_source_and_licence_are_neutralised_in_every_csv(
    client, opendata_dir, hostile_sources
):
    for name in ("tout-pres.csv", "tout-pres-odbl.csv"):
        response = client.get(f"/donnees/{name}")
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8")
        bad = dangerous_cells(text)
        assert not bad, f"formula cells in {name}: {bad}"
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
        assert rows and all(r["source"].startswith("'") or "<" in r["source"] for r in rows)
        assert "javascript:" not in text


def test_source_html_is_escaped_and_no_javascript_link_anywhere(
    client, opendata_dir, hostile_sources, django_user_model
):
    listing = hostile_sources[-1]
    staff = django_user_model.objects.create_superuser("chef", "chef@example.org", "x")
    pages = {
        "/donnees/": client.get("/donnees/").content.decode(),
        "listing": client.get(listing.get_absolute_url()).content.decode(),
    }
    client.force_login(staff)
    pages["/staff/imports/"] = client.get("/staff/imports/").content.decode()
    for where, page in pages.items():
        assert "<script>alert" not in page and "<img src=x" not in page, where
        if where != "/staff/imports/":  # staff read the stored text, as text
            assert 'href="javascript:' not in page, where
    assert "&lt;script&gt;alert" in pages["/donnees/"]
    # The GeoJSON carries the text as it is (JSON-escaped), never a javascript: link.
    call_command("export_opendata", "--no-progress", stdout=io.StringIO())
    document = json.loads((opendata_dir / "tout-pres-odbl.geojson").read_text())
    assert all(
        f["properties"]["licence_url"] == "https://opendatacommons.org/licenses/odbl/1-0/"
        for f in document["features"]
    )


def test_a_licence_file_shows_a_home_producer_at_the_public_pin(
    make_actor, territories, opendata_dir
):
    commune = Commune.objects.get(code="41295")
    source = ImportSource.objects.create(name="Liste ODbL", slug="odbl", licence="ODbL")
    make_actor(
        47.5712,
        1.3801,
        name="Chèvrerie ODbL à domicile",
        commune=commune,
        address="3 chemin des Noues",
        location_is_approximate=True,
        import_source=source,
    )
    call_command("export_opendata", "--no-progress", stdout=io.StringIO())
    for ext in ("geojson", "csv", "jsonld", "osm"):
        text = (opendata_dir / f"tout-pres-odbl.{ext}").read_text()
        for private in ("47.5712", "1.3801", "3 chemin des Noues"):
            assert private not in text, (ext, private)
    (feature,) = json.loads((opendata_dir / "tout-pres-odbl.geojson").read_text())["features"]
    centre = commune.center
    assert feature["geometry"]["coordinates"] == [round(centre.x, 6), round(centre.y, 6)]
