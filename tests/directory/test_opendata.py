"""Open-data exports: RFC 7946 GeoJSON, a CSV that reloads into the same actors, JSON-LD,
OSM tags, on-demand files with caching, and never a private field."""

import csv
import datetime
import io
import json
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command

from directory.models import (
    Actor,
    ActorKind,
    Category,
    DistributionLink,
    Label,
    OpeningSlot,
    Season,
)
from directory.opendata.records import FIELDS
from geodata.geojson import rfc7946_problems
from geodata.models import Commune

pytestmark = pytest.mark.django_db
PRIVATE = ("Mme Secret", "prive@example.org", "06 99 99 99 99", "3 chemin des Noues")


@pytest.fixture
def opendata_dir(settings, tmp_path):
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "opendata"}
    return tmp_path / "opendata"


@pytest.fixture
def directory_data(make_actor, territories):
    call_command(
        "demo_data", "--size", "120", "--seed", "11", "--no-progress", stdout=io.StringIO()
    )
    blois = Commune.objects.get(code="41018")
    market = make_actor(
        47.5861, 1.3359, name="Marché du Mail", kind=ActorKind.MARKET, commune=blois
    )
    OpeningSlot.objects.create(
        actor=market, weekday=5, opens=datetime.time(8), closes=datetime.time(12, 30)
    )
    home = make_actor(
        47.5712,
        1.3801,
        name="Chèvrerie des Noues",
        commune=Commune.objects.get(code="41295"),
        postal_code="41350",
        address="3 chemin des Noues",
        location_is_approximate=True,
        contact_name="Mme Secret",
        contact_email="prive@example.org",
        contact_phone="06 99 99 99 99",
    )
    home.categories.add(Category.objects.get(slug="fromage-laitier"))
    home.labels.add(Label.objects.get(slug="bio"))
    summer = Season.objects.create(
        actor=home, name="Été", start_month=6, start_day=1, end_month=9, end_day=30
    )
    OpeningSlot.objects.create(
        actor=home, weekday=2, opens=datetime.time(17), closes=datetime.time(19), season=summer
    )
    DistributionLink.objects.create(
        actor=home, place=market, weekday=5, starts=datetime.time(8), ends=datetime.time(12)
    )
    bakery = make_actor(47.59, 1.33, name="Fournil du Mail", kind=ActorKind.ARTISAN, commune=blois)
    bakery.categories.add(Category.objects.get(slug="pain"))
    return {"market": market, "home": home, "bakery": bakery}


def export(opendata_dir, *formats):
    args = [arg for f in formats for arg in ("--format", f)]
    out = io.StringIO()
    call_command("export_opendata", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_geojson_export_follows_rfc_7946_and_shows_public_positions(opendata_dir, directory_data):
    summary = export(opendata_dir, "geojson")
    published = Actor.objects.published().count()
    assert f"GeoJSON (RFC 7946) : {published} fiche(s)" in summary
    document = json.loads((opendata_dir / "tout-pres.geojson").read_text())
    assert rfc7946_problems(document) == []
    assert document["licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert len(document["features"]) == published
    assert {f["id"] for f in document["features"]} == set(
        Actor.objects.published().values_list("pk", flat=True)
    )
    home = next(f for f in document["features"] if f["properties"]["slug"] == "chevrerie-des-noues")
    centre = Commune.objects.get(code="41295").center
    assert home["geometry"]["coordinates"] == [round(centre.x, 6), round(centre.y, 6)]
    assert home["properties"]["address"] == ""
    assert home["properties"]["position_approximate"] is True
    assert home["properties"]["opening_hours"] == "Jun 01-Sep 30 We 17:00-19:00"
    assert home["properties"]["sells_at"] == ["marche-du-mail@5 08:00-12:00"]


def test_no_private_field_or_home_position_in_any_export(opendata_dir, directory_data):
    export(opendata_dir)
    for name in ("tout-pres.geojson", "tout-pres.csv", "tout-pres.jsonld", "tout-pres.osm"):
        text = (opendata_dir / name).read_text()
        for private in (*PRIVATE, "47.5712", "1.3801"):
            assert private not in text, (name, private)
        for private_email in Actor.objects.exclude(contact_email="").values_list(
            "contact_email", flat=True
        ):
            assert private_email not in text, (name, private_email)


def csv_rows(path, delimiter=";"):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.mark.parametrize("delimiter", [";", ","])
def test_reimporting_the_csv_reproduces_the_same_actors(
    opendata_dir, directory_data, settings, delimiter
):
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "CSV_DELIMITER": delimiter}
    export(opendata_dir, "csv")
    before = csv_rows(opendata_dir / "tout-pres.csv", delimiter)
    assert list(before[0]) == FIELDS
    assert len(before) == Actor.objects.published().count()
    (opendata_dir / "first.csv").write_bytes((opendata_dir / "tout-pres.csv").read_bytes())

    Actor.objects.all().delete()
    out = io.StringIO()
    call_command(
        "import_opendata_csv", str(opendata_dir / "first.csv"), "--no-progress", stdout=out
    )
    assert f"{len(before)} fiche(s) créée(s), 0 mise(s) à jour" in out.getvalue()

    export(opendata_dir, "csv")
    after = csv_rows(opendata_dir / "tout-pres.csv", delimiter)

    def comparable(rows):
        # Database ids and modification times belong to the instance, not to the actor.
        return sorted(
            ({k: v for k, v in r.items() if k not in ("id", "updated_at")} for r in rows),
            key=lambda r: r["slug"],
        )

    assert comparable(after) == comparable(before)
    home = Actor.objects.get(slug="chevrerie-des-noues")
    assert home.location_is_approximate and home.contact_email == ""
    assert list(home.distribution_links.values_list("place__slug", "weekday")) == [
        ("marche-du-mail", 5)
    ]


def test_importing_a_foreign_or_broken_file_writes_nothing(opendata_dir, directory_data, tmp_path):
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("nom;commune\nFerme;Blois\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Colonnes inattendues"):
        call_command("import_opendata_csv", str(foreign), "--no-progress")
    export(opendata_dir, "csv")
    rows = csv_rows(opendata_dir / "tout-pres.csv")
    rows[0]["name"] = "Nom changé"
    rows[-1]["opening_slots"] = "9 25:00-26:00"
    broken = tmp_path / "broken.csv"
    with open(broken, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    count = Actor.objects.count()
    with pytest.raises(CommandError, match=f"ligne {len(rows) + 1} : horaire illisible"):
        call_command("import_opendata_csv", str(broken), "--no-progress")
    assert Actor.objects.count() == count
    assert not Actor.objects.filter(name="Nom changé").exists()


def test_osm_file_tags_permanent_places_only(opendata_dir, directory_data):
    export(opendata_dir, "osm")
    root = ElementTree.parse(opendata_dir / "tout-pres.osm").getroot()  # noqa: S314 (our file)
    assert root.get("upload") == "never"
    nodes = {
        node.find("tag[@k='name']").get("v"): {t.get("k"): t.get("v") for t in node.iter("tag")}
        for node in root.iter("node")
    }
    assert nodes["Marché du Mail"]["amenity"] == "marketplace"
    assert nodes["Marché du Mail"]["opening_hours"] == "Sa 08:00-12:30"
    assert nodes["Fournil du Mail"]["shop"] == "bakery"
    assert "Chèvrerie des Noues" not in nodes  # home-based: no exact position to give
    expected = Actor.objects.published().filter(
        kind__in=["producer", "farm_shop", "shop", "artisan", "market"],
        location_is_approximate=False,
    )
    assert len(root.findall("node")) == expected.count()
    assert all(int(n.get("id")) < 0 for n in root.iter("node"))
    assert all("source" in tags for tags in nodes.values())


def test_jsonld_is_a_schema_org_graph_with_the_licence(opendata_dir, directory_data):
    export(opendata_dir, "jsonld")
    document = json.loads((opendata_dir / "tout-pres.jsonld").read_text())
    assert document["@context"] == "https://schema.org"
    dataset, *businesses = document["@graph"]
    assert dataset["@type"] == "Dataset"
    assert dataset["license"].startswith("https://www.etalab.gouv.fr/")
    assert len(businesses) == Actor.objects.published().count()
    home = next(b for b in businesses if b["identifier"] == "chevrerie-des-noues")
    assert "streetAddress" not in home["address"]
    assert home["openingHoursSpecification"][0]["validFrom"] == "--06-01"


def test_download_builds_on_demand_then_serves_the_cached_file(
    client, opendata_dir, directory_data
):
    index = client.get("/donnees/")
    assert index.status_code == 200 and "créé au premier téléchargement" in index.content.decode()
    first = client.get("/donnees/tout-pres.csv", HTTP_ORIGIN="https://partenaire.example")
    assert first.status_code == 200
    assert first["Content-Type"] == "text/csv; charset=utf-8"
    assert first["Access-Control-Allow-Origin"] == "*"
    assert 'rel="license"' in first["Link"]
    today = datetime.date.today().isoformat()
    assert first["Content-Disposition"] == f'attachment; filename="tout-pres-{today}.csv"'
    body = b"".join(first.streaming_content).decode()
    built = (opendata_dir / "tout-pres.csv").stat().st_mtime_ns

    again = client.get("/donnees/tout-pres.csv")
    assert again["ETag"] == first["ETag"]
    assert b"".join(again.streaming_content).decode() == body
    assert (opendata_dir / "tout-pres.csv").stat().st_mtime_ns == built  # not rebuilt
    assert client.get("/donnees/tout-pres.csv", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    market = directory_data["market"]
    market.name = "Marché du Mail (rénové)"
    market.save()
    changed = client.get("/donnees/tout-pres.csv")
    assert changed["ETag"] != first["ETag"]
    assert "Marché du Mail (rénové)" in b"".join(changed.streaming_content).decode()
    assert client.get("/donnees/secret.txt").status_code == 404
    assert "tout-pres.csv" in client.get("/donnees/").content.decode()


def test_every_column_is_documented_for_reusers():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "opendata.md").read_text()
    for name in FIELDS:
        assert f"| `{name}` |" in doc, name


@pytest.mark.parametrize("delimiter, bom", [(";", True), (",", False)])
def test_the_semicolon_csv_opens_in_excel_with_its_accents(
    opendata_dir, directory_data, settings, client, delimiter, bom
):
    """Excel reads a CSV without a byte-order mark in the system's code page: « Marché »
    came out as « MarchÃ© ». The `;` file (French spreadsheets) starts with the UTF-8 mark;
    the `,` file (programs) does not, or its first column would be named « \\ufeffid »."""
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "CSV_DELIMITER": delimiter}
    export(opendata_dir, "csv")
    raw = (opendata_dir / "tout-pres.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") is bom, raw[:20]
    assert raw.count(b"\xef\xbb\xbf") == (1 if bom else 0), "one mark, at the start only"
    text = raw.decode("utf-8-sig")
    assert text.split(delimiter, 1)[0].strip('"') == FIELDS[0], text[:40]
    assert "Marché du Mail" in text
    # What Excel does with the mark: reads UTF-8. Without it, the code page (cp1252).
    assert "Marché du Mail" in raw.decode("utf-8-sig" if bom else "utf-8")
    served = b"".join(client.get("/donnees/tout-pres.csv").streaming_content)
    assert served == raw, "the file served is the file built"
