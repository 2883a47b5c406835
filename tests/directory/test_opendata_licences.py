"""Licences kept (issue 18, part 6): every listing carries its source and licence in every
open-data file, the main files hold only what their licence may cover, share-alike lists go
to files of their own and listings with no open licence to none."""

import csv
import datetime
import io
import json
from xml.etree import ElementTree

import pytest
from django.core.management import call_command

from directory.models import Actor, ActorKind, ImportSource, OpeningSlot
from directory.opendata.licences import (
    Licence,
    LicenceFamily,
    classify,
    compatible,
    family,
    separate,
)
from geodata.models import Commune

pytestmark = pytest.mark.django_db

MAIN = ("tout-pres.geojson", "tout-pres.csv", "tout-pres.jsonld", "tout-pres.osm")
ODBL = (
    "tout-pres-odbl.geojson",
    "tout-pres-odbl.csv",
    "tout-pres-odbl.jsonld",
    "tout-pres-odbl.osm",
)

# Licence texts as partners and portals write them, with the licence they name.
REAL_WORLD = [
    ("Licence Ouverte 2.0 (Etalab)", "", Licence.ETALAB_2),
    ("Licence Ouverte / Open Licence version 2.0", "", Licence.ETALAB_2),
    ("licence ouverte v2.0", "", Licence.ETALAB_2),
    ("Licence Ouverte", "", Licence.ETALAB_2),
    ("LO 2.0", "", Licence.ETALAB_2),
    ("etalab-2.0", "", Licence.ETALAB_2),
    ("Licence Ouverte v1.0", "", Licence.ETALAB_1),
    ("Licence Etalab 1.0", "", Licence.ETALAB_1),
    (
        "Licence Ouverte",
        "https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf",
        Licence.ETALAB_2,
    ),
    ("", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", Licence.ETALAB_2),
    ("ODbL 1.0", "", Licence.ODBL),
    ("ODbL-1.0", "", Licence.ODBL),
    ("ODbL", "", Licence.ODBL),
    ("Open Database License (ODbL) v1.0", "", Licence.ODBL),
    ("Open Data Commons Open Database License", "", Licence.ODBL),
    (
        "Licence ODbL — Ville de Paris",
        "https://opendatacommons.org/licenses/odbl/1-0/",
        Licence.ODBL,
    ),
    ("CC0", "", Licence.CC0),
    ("CC0 1.0 Universel (domaine public)", "", Licence.CC0),
    ("", "https://creativecommons.org/publicdomain/zero/1.0/deed.fr", Licence.CC0),
    ("CC-BY-4.0", "", Licence.CC_BY_4),
    ("CC BY 4.0", "", Licence.CC_BY_4),
    ("Creative Commons Attribution 4.0 International", "", Licence.CC_BY_4),
    ("CC-BY 3.0 FR", "", Licence.CC_BY_3),
    ("cc-by 2.0", "", Licence.CC_BY_2),
    ("CC BY 2.5", "", Licence.CC_BY_25),
    ("CC-BY", "https://creativecommons.org/licenses/by/4.0/", Licence.CC_BY_4),
    ("CC-BY", "", Licence.CC_BY),
    ("CC BY-SA 4.0", "", Licence.CC_BY_SA_4),
    ("CC-BY-SA-3.0", "", Licence.CC_BY_SA_3),
    (
        "Creative Commons Attribution - Partage dans les Mêmes Conditions 4.0 International",
        "",
        Licence.CC_BY_SA_4,
    ),
    ("Attribution-ShareAlike 2.0 (CC BY-SA)", "", Licence.CC_BY_SA_2),
    (
        "Licence de la commune",
        "https://creativecommons.org/licenses/by-sa/3.0/deed.fr",
        Licence.CC_BY_SA_3,
    ),
    ("PDDL", "", Licence.PDDL),
    ("Open Data Commons Public Domain Dedication and License", "", Licence.PDDL),
    ("ODC-By-1.0", "", Licence.ODC_BY),
    ("Open Data Commons Attribution License", "", Licence.ODC_BY),
    ("", "https://opendatacommons.org/licenses/by/1-0/", Licence.ODC_BY),
    ("MIT", "", Licence.MIT),
    ("Licence MIT", "https://opensource.org/licenses/MIT", Licence.MIT),
    ("MIT License", "", Licence.MIT),
    # Not open, none, or not something we may read as a licence.
    ("CC BY-NC-SA 4.0", "", Licence.NOT_OPEN),
    ("CC BY-ND 4.0", "", Licence.NOT_OPEN),
    ("Creative Commons Attribution - Pas d'Utilisation Commerciale 4.0", "", Licence.NOT_OPEN),
    ("", "https://creativecommons.org/licenses/by-nc/4.0/", Licence.NOT_OPEN),
    ("Tous droits réservés", "", Licence.NOT_OPEN),
    ("", "", Licence.NONE),
    ("Non précisée", "", Licence.NONE),
    ("aucune", "", Licence.NONE),
    ("Licence de la Chambre", "", Licence.UNKNOWN),
    ("ODbL ou Licence Ouverte", "", Licence.UNKNOWN),
    ("ODbL", "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", Licence.UNKNOWN),
    ("CC BY 3.0", "https://creativecommons.org/licenses/by/4.0/", Licence.UNKNOWN),
    ("Licence Ouverte 3.0", "", Licence.UNKNOWN),
    ("", "https://example.org/conditions", Licence.UNKNOWN),
]


@pytest.mark.parametrize(("text", "url", "expected"), REAL_WORLD)
def test_the_classifier_reads_real_world_licence_texts(text, url, expected):
    assert classify(text, url) == expected


def test_families_and_compatibility():
    assert family(Licence.ETALAB_2) == LicenceFamily.PERMISSIVE
    assert family(Licence.ODBL) == family(Licence.CC_BY_SA_4) == LicenceFamily.SHARE_ALIKE
    for permissive in (Licence.CC_BY_4, Licence.ODC_BY, Licence.MIT, Licence.CC0, Licence.PDDL):
        assert compatible(permissive, Licence.ETALAB_2)
        assert compatible(permissive, Licence.ODBL)  # into a share-alike export, too
    assert not compatible(Licence.ODBL, Licence.ETALAB_2)
    assert not compatible(Licence.CC_BY_SA_4, Licence.ETALAB_2)
    assert compatible(Licence.ODBL, Licence.ODBL)
    assert not compatible(Licence.CC_BY_SA_4, Licence.ODBL)
    assert compatible(Licence.CC_BY_SA_3, Licence.CC_BY_SA_4)  # « later version »
    assert not compatible(Licence.CC_BY_SA_4, Licence.CC_BY_SA_3)
    # An export licence nobody can read: every partner's list in files of its own.
    assert Licence.ETALAB_2 in separate(Licence.UNKNOWN)
    assert Licence.ODBL in separate(Licence.ETALAB_2)
    assert Licence.MIT not in separate(Licence.ETALAB_2)
    assert Licence.NONE not in separate(Licence.UNKNOWN)
    for closed in (Licence.NONE, Licence.UNKNOWN, Licence.NOT_OPEN):
        assert not compatible(closed, Licence.ETALAB_2)
        assert not compatible(Licence.ETALAB_2, closed)


@pytest.fixture
def opendata_dir(settings, tmp_path):
    settings.TOUTPRES_OPEN_DATA = {**settings.TOUTPRES_OPEN_DATA, "DIR": tmp_path / "opendata"}
    return tmp_path / "opendata"


@pytest.fixture
def listings(make_actor, territories):
    blois = Commune.objects.get(code="41018")
    paris = ImportSource.objects.create(
        name="Marchés découverts — Ville de Paris",
        slug="marches-paris",
        licence="ODbL 1.0",
        licence_url="https://opendatacommons.org/licenses/odbl/1-0/",
    )
    coops = ImportSource.objects.create(
        name="Supermarchés coopératifs (interfoodcoop)", slug="coops", licence="MIT"
    )
    silent = ImportSource.objects.create(
        name="Liste de la Chambre", slug="chambre", licence="Non précisée"
    )
    market = make_actor(
        47.5861,
        1.3359,
        name="Marché sous ODbL",
        kind=ActorKind.MARKET,
        commune=blois,
        import_source=paris,
    )
    OpeningSlot.objects.create(
        actor=market, weekday=5, opens=datetime.time(8), closes=datetime.time(12)
    )
    coop = make_actor(
        47.59, 1.34, name="Coopérative MIT", kind=ActorKind.SHOP, commune=blois, import_source=coops
    )
    hidden = make_actor(47.6, 1.35, name="Ferme sans licence", commune=blois, import_source=silent)
    ours = make_actor(47.58, 1.33, name="Ferme de la plateforme", commune=blois)
    return {"market": market, "coop": coop, "hidden": hidden, "ours": ours}


def export(opendata_dir):
    out = io.StringIO()
    call_command("export_opendata", "--no-progress", stdout=out)
    return out.getvalue()


def csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row["name"]: row for row in csv.DictReader(handle, delimiter=";")}


def osm_nodes(path):
    root = ElementTree.parse(path).getroot()  # noqa: S314 (our file)
    return {
        node.find("tag[@k='name']").get("v"): {t.get("k"): t.get("v") for t in node.iter("tag")}
        for node in root.iter("node")
    }


def test_an_odbl_listing_is_only_in_the_odbl_files_under_the_odbl(opendata_dir, listings):
    summary = export(opendata_dir)
    assert "GeoJSON (RFC 7946) (ODbL-1.0) : 1 fiche(s)" in summary
    assert "1 fiche(s) dans aucun fichier" in summary
    for name in MAIN:
        text = (opendata_dir / name).read_text()
        assert "Marché sous ODbL" not in text, name
        assert "Ferme de la plateforme" in text, name
        assert "Coopérative MIT" in text, name
    for name in ODBL:
        text = (opendata_dir / name).read_text()
        assert "Marché sous ODbL" in text, name
        assert "Ferme de la plateforme" not in text and "Coopérative MIT" not in text, name

    document = json.loads((opendata_dir / "tout-pres-odbl.geojson").read_text())
    assert document["licence_id"] == "ODbL-1.0"
    assert document["licence"] == "Open Database License (ODbL) 1.0"
    assert document["licence_url"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert [s["name"] for s in document["sources"]] == ["Marchés découverts — Ville de Paris"]
    (feature,) = document["features"]
    assert feature["properties"]["source"] == "Marchés découverts — Ville de Paris"
    assert feature["properties"]["licence"] == "ODbL 1.0"
    assert feature["properties"]["licence_id"] == "ODbL-1.0"

    graph = json.loads((opendata_dir / "tout-pres-odbl.jsonld").read_text())["@graph"]
    assert graph[0]["license"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert graph[1]["subjectOf"]["license"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert graph[1]["subjectOf"]["creditText"] == "Marchés découverts — Ville de Paris"

    (row,) = csv_rows(opendata_dir / "tout-pres-odbl.csv").values()
    assert row["source"] == "Marchés découverts — Ville de Paris" and row["licence"] == "ODbL 1.0"
    nodes = osm_nodes(opendata_dir / "tout-pres-odbl.osm")
    assert nodes["Marché sous ODbL"]["source"].startswith(
        "Marchés découverts — Ville de Paris (ODbL 1.0); Tout Près — "
    )


def test_a_listing_with_no_licence_is_in_no_file(opendata_dir, listings, client):
    export(opendata_dir)
    for name in (*MAIN, *ODBL):
        assert "Ferme sans licence" not in (opendata_dir / name).read_text(), name
    assert not list(opendata_dir.glob("tout-pres-*-*"))  # no file under its « licence »
    # Still on the site, with its source.
    page = client.get(listings["hidden"].get_absolute_url()).content.decode()
    assert "Ferme sans licence" in page and "Liste de la Chambre" in page


def test_every_row_of_the_main_files_carries_its_source_and_licence(opendata_dir, listings):
    export(opendata_dir)
    rows = csv_rows(opendata_dir / "tout-pres.csv")
    ours = rows["Ferme de la plateforme"]
    assert ours["source"].startswith("Tout Près — ")
    assert ours["licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert ours["licence_url"].startswith("https://www.etalab.gouv.fr/")
    assert ours["licence_id"] == "etalab-2.0"
    coop = rows["Coopérative MIT"]
    assert (coop["source"], coop["licence"], coop["licence_id"]) == (
        "Supermarchés coopératifs (interfoodcoop)",
        "MIT",
        "MIT",
    )
    assert coop["licence_url"] == "https://opensource.org/license/mit"  # none given: the text's
    document = json.loads((opendata_dir / "tout-pres.geojson").read_text())
    assert document["licence_id"] == "etalab-2.0"
    assert {s["name"] for s in document["sources"]} == {
        ours["source"],
        "Supermarchés coopératifs (interfoodcoop)",
    }
    assert all(f["properties"]["licence_id"] for f in document["features"])
    graph = json.loads((opendata_dir / "tout-pres.jsonld").read_text())["@graph"]
    assert {b["subjectOf"]["identifier"] for b in graph[1:]} == {"etalab-2.0", "MIT"}
    assert {d["name"] for d in graph[0]["isBasedOn"]} == {s["name"] for s in document["sources"]}
    nodes = osm_nodes(opendata_dir / "tout-pres.osm")
    assert nodes["Coopérative MIT"]["source"].startswith(
        "Supermarchés coopératifs (interfoodcoop) (MIT); "
    )
    assert nodes["Ferme de la plateforme"]["source"].endswith("(Licence Ouverte 2.0 (Etalab))")


def test_an_odbl_export_licence_takes_the_odbl_listings_in(opendata_dir, listings, settings):
    settings.TOUTPRES_OPEN_DATA = {
        **settings.TOUTPRES_OPEN_DATA,
        "LICENCE_NAME": "ODbL 1.0",
        "LICENCE_URL": "https://opendatacommons.org/licenses/odbl/1-0/",
    }
    export(opendata_dir)
    rows = csv_rows(opendata_dir / "tout-pres.csv")
    assert {"Marché sous ODbL", "Coopérative MIT", "Ferme de la plateforme"} <= set(rows)
    assert "Ferme sans licence" not in rows
    assert not (opendata_dir / "tout-pres-odbl.csv").exists()


def test_fixing_a_licence_text_moves_the_listings_at_the_next_download(
    opendata_dir, listings, client
):
    first = client.get("/donnees/tout-pres.csv")
    assert "Ferme sans licence" not in b"".join(first.streaming_content).decode()
    ImportSource.objects.filter(slug="chambre").update(licence="Licence Ouverte 2.0")
    again = client.get("/donnees/tout-pres.csv")
    assert again["ETag"] != first["ETag"]
    assert "Ferme sans licence" in b"".join(again.streaming_content).decode()


def test_the_odbl_files_are_served_like_the_main_ones(opendata_dir, listings, client):
    first = client.get("/donnees/tout-pres-odbl.geojson", HTTP_ORIGIN="https://partenaire.example")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/geo+json"
    assert first["Access-Control-Allow-Origin"] == "*"
    assert first["Link"] == '<https://opendatacommons.org/licenses/odbl/1-0/>; rel="license"'
    assert first["Last-Modified"] and "public" in first["Cache-Control"]
    today = datetime.date.today().isoformat()
    assert first["Content-Disposition"] == f'attachment; filename="tout-pres-odbl-{today}.geojson"'
    assert "Marché sous ODbL" in b"".join(first.streaming_content).decode()
    main = client.get("/donnees/tout-pres.geojson")
    assert main["ETag"] != first["ETag"]
    assert main["Link"].startswith("<https://www.etalab.gouv.fr/")
    again = client.get("/donnees/tout-pres-odbl.geojson", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    # Only licences that need files of their own have them.
    assert client.get("/donnees/tout-pres-mit.csv").status_code == 404
    assert client.get("/donnees/tout-pres-etalab-2.0.csv").status_code == 404
    assert client.get("/donnees/tout-pres-cc-by-sa-4.0.csv").status_code == 200  # empty


def test_the_open_data_page_lists_the_separate_files_and_the_withheld(
    opendata_dir, listings, client
):
    page = client.get("/donnees/").content.decode()
    assert "Licences : ce qui va dans quel fichier" in page
    assert 'href="/donnees/tout-pres-odbl.csv"' in page
    assert 'href="https://opendatacommons.org/licenses/odbl/1-0/" rel="license"' in page
    assert "Marchés découverts — Ville de Paris" in page
    assert "1 fiche publiée sur le site n'est dans aucun fichier" in page
    assert "« Liste de la Chambre » (1)" in page
    assert "cc-by-sa" not in page  # no listing under it: no file offered


def test_staff_see_how_each_source_licence_was_read(listings, client, django_user_model):
    staff = django_user_model.objects.create_superuser("chef", "chef@example.org", "x")
    client.force_login(staff)
    page = client.get("/staff/imports/").content.decode()
    assert "<code>ODbL-1.0</code> — Partage à l&#x27;identique : fichiers à part" in page
    assert "<code>MIT</code> — Libre avec attribution" in page
    assert "Aucune licence indiquée</strong> : ses fiches ne sont dans aucun fichier" in page


def test_platform_listings_show_the_export_licence(listings, client):
    page = client.get(listings["ours"].get_absolute_url()).content.decode()
    assert "Fiche inscrite sur Tout Près, en données ouvertes sous" in page
    page = client.get(listings["market"].get_absolute_url()).content.decode()
    assert "Source : Marchés découverts — Ville de Paris" in page
    assert "Fiche inscrite sur Tout Près" not in page


def test_reimporting_an_odbl_file_keeps_the_listings_under_the_odbl(opendata_dir, listings):
    export(opendata_dir)
    odbl = opendata_dir / "odbl-copy.csv"
    odbl.write_bytes((opendata_dir / "tout-pres-odbl.csv").read_bytes())
    Actor.objects.all().delete()
    ImportSource.objects.all().delete()
    call_command("import_opendata_csv", str(odbl), "--no-progress", stdout=io.StringIO())
    market = Actor.objects.get(name="Marché sous ODbL")
    assert market.import_source.name == "Marchés découverts — Ville de Paris"
    assert market.import_source.classified_licence == Licence.ODBL
    export(opendata_dir)
    assert "Marché sous ODbL" not in (opendata_dir / "tout-pres.csv").read_text()
    assert "Marché sous ODbL" in (opendata_dir / "tout-pres-odbl.csv").read_text()


def test_an_export_without_the_licence_columns_still_loads(opendata_dir, listings, tmp_path):
    from directory.opendata.records import LEGACY_FIELDS

    export(opendata_dir)
    rows = list(csv_rows(opendata_dir / "tout-pres.csv").values())
    old = tmp_path / "old.csv"
    with open(old, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=LEGACY_FIELDS, delimiter=";", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)
    out = io.StringIO()
    call_command("import_opendata_csv", str(old), "--no-progress", stdout=out)
    assert "mise(s) à jour" in out.getvalue()


def test_the_api_detail_states_each_listings_own_licence(listings, client):
    """The API is open data too: an ODbL listing says ODbL, never the API's licence."""

    def provenance(actor):
        response = client.get(f"/api/v1/actors/{actor.slug}/", {"format": "json"})
        assert response.status_code == 200, response.content[:200]
        return response.json()["provenance"]

    market = provenance(listings["market"])
    assert market["licence_id"] == "ODbL-1.0" and market["open_data"] is True
    assert market["source"] == "Marchés découverts — Ville de Paris"
    hidden = provenance(listings["hidden"])
    assert hidden["open_data"] is False and hidden["licence"] == "Non précisée"
    ours = provenance(listings["ours"])
    assert ours["licence_id"] == "etalab-2.0" and ours["source"].startswith("Tout Près")
