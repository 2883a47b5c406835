"""Duplicates on evidence (issue #18): a similar name within 1 km alone never throws a real
shop away; distinct identifiers, phone numbers or market days say two; strong evidence
(same phone, e-mail, site) skips, and staff can import a skipped row anyway."""

import pytest
from django.contrib.auth import get_user_model

from directory.imports import analysis, runs
from directory.imports import report as import_report
from directory.models import Actor, ActorKind, ImportSource, RecordAction
from tests.importing import analysed, csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(db):
    return ImportSource.objects.create(name="Réseau des boulangers", slug="boulangers")


_file = csv_file


def _analysed(source, path, default_kind=ActorKind.ARTISAN):
    return analysed(source, path, default_kind)


def _lines(run):
    return {r.line: (r.action, r.reason) for r in run.records.order_by("line")}


def test_branches_of_a_chain_with_their_own_ids_and_phones_all_come_in(
    tmp_path, source, territories
):
    # Three branches of one chain, 300 m to 900 m apart, as a chain's real list has them.
    path = _file(
        tmp_path,
        ["id", "Nom", "Latitude", "Longitude", "Téléphone"],
        [
            ["B-101", "Boulangerie Ange", "47.5900", "1.3300", "02 54 00 00 11"],
            ["B-102", "Boulangerie Ange", "47.5927", "1.3300", "02 54 00 00 12"],
            ["B-103", "Boulangerie Ange", "47.5900", "1.3420", "02 54 00 00 13"],
        ],
    )
    run = _analysed(source, path)
    assert [a for a, _r in _lines(run).values()] == [RecordAction.CREATE] * 3, _lines(run)
    assert all(not reason for _a, reason in _lines(run).values())


@pytest.mark.parametrize("batch", [1, 500])
def test_the_same_market_on_two_days_is_two_markets_even_without_ids(
    tmp_path, source, territories, monkeypatch, batch
):
    # In batches of one row, the earlier days are read back from the rows already analysed.
    monkeypatch.setattr(analysis, "BATCH", batch)
    path = _file(
        tmp_path,
        ["Nom", "Type", "Latitude", "Longitude", "Horaires"],
        [
            ["Marché de Blois", "Marché", "47.5860", "1.3360", "samedi 8h-13h"],
            ["Marché de Blois", "Marché", "47.5875", "1.3370", "mercredi 8h-12h30"],
            ["Marché de Blois", "Marché", "47.5880", "1.3380", "samedi 8h-12h"],
        ],
    )
    lines = _lines(_analysed(source, path))
    assert lines[2][0] == lines[3][0] == RecordAction.CREATE
    assert not lines[3][1], "the Wednesday market was flagged as a duplicate of Saturday's"
    # Same name, same place, same day and no id: the same row again.
    assert lines[4] == (RecordAction.SKIP, "même identifiant que la ligne 2")


def test_an_existing_listing_with_a_similar_name(tmp_path, source, make_actor):
    make_actor(lat=47.5900, lon=1.3300, name="Boulangerie Ange", phone="02 54 99 99 99")
    make_actor(lat=47.7000, lon=1.5000, name="Fournil du Lac")
    make_actor(lat=47.8000, lon=1.6000, name="Pains et Délices", phone="02 54 55 55 55")
    path = _file(
        tmp_path,
        ["Nom", "Latitude", "Longitude", "Téléphone"],
        [
            # Another phone number: another shop.
            ["Boulangerie Ange", "47.5910", "1.3305", "02 54 00 00 11"],
            # Nothing else to tell: imported, flagged.
            ["Fournil du Lac", "47.7010", "1.5005", ""],
            # The same phone: the same shop, skipped (staff may import it anyway).
            ["Pains & Délices", "47.9000", "1.7000", "+33 2 54 55 55 55"],
        ],
    )
    run = _analysed(source, path)
    lines = _lines(run)
    assert lines[2] == (RecordAction.CREATE, "")
    assert lines[3] == (
        RecordAction.CREATE,
        "à vérifier : nom proche de la fiche « Fournil du Lac », à moins d'1 km",
    )
    assert lines[4][0] == RecordAction.SKIP and "même numéro de téléphone" in lines[4][1]
    assert "Doublons possibles importés, à vérifier : 1" in import_report.summary_lines(run)


def test_staff_import_a_skipped_row_anyway_and_only_a_duplicate(
    tmp_path, source, make_actor, client
):
    make_actor(lat=47.8000, lon=1.6000, name="Pains et Délices", phone="02 54 55 55 55")
    path = _file(
        tmp_path,
        ["id", "Nom", "Latitude", "Longitude", "Téléphone"],
        [
            ["P-1", "Pains & Délices", "47.9000", "1.7000", "02 54 55 55 55"],
            ["P-2", "Autre", "47.9100", "1.7100", ""],
            ["P-2", "Autre encore", "47.9200", "1.7200", ""],
        ],
    )
    run = _analysed(source, path)
    skipped = run.records.get(line=2)
    repeated = run.records.get(line=4)
    assert skipped.action == repeated.action == RecordAction.SKIP
    staff = get_user_model().objects.create_superuser("chef", "chef@example.org", "x")
    client.force_login(staff)
    page = client.get(f"/staff/imports/{run.pk}/").content.decode()
    assert page.count("Importer quand même") == 1, "offered for a row that cannot be imported"
    url = f"/staff/imports/{run.pk}/lignes/{{}}/importer/"
    assert client.post(url.format(skipped.pk)).status_code == 302
    skipped.refresh_from_db()
    assert skipped.action == RecordAction.CREATE and skipped.reason.startswith(
        "importée quand même"
    )
    # A repeated identifier would make two listings with one key: refused, nothing changes.
    client.post(url.format(repeated.pk))
    repeated.refresh_from_db()
    assert repeated.action == RecordAction.SKIP
    run.refresh_from_db()
    assert run.counts[RecordAction.CREATE] == 2 and run.counts[RecordAction.SKIP] == 1
    runs.confirm(run)
    assert runs.step(run)
    assert Actor.objects.filter(source=source.code, source_key="P-1").exists()
    # Another run's row, or a run already imported: refused.
    with pytest.raises(ValueError):
        analysis.import_anyway(run, repeated)


def test_import_anyway_needs_the_import_permission(
    tmp_path, source, make_actor, client, django_user_model
):
    make_actor(lat=47.8000, lon=1.6000, name="Pains et Délices", phone="02 54 55 55 55")
    path = _file(
        tmp_path,
        ["Nom", "Latitude", "Longitude", "Téléphone"],
        [["Pains", "47.9", "1.7", "02 54 55 55 55"]],
    )
    run = _analysed(source, path)
    record = run.records.get()
    client.force_login(django_user_model.objects.create_user("curieux", password="x"))
    response = client.post(f"/staff/imports/{run.pk}/lignes/{record.pk}/importer/")
    assert response.status_code in (302, 403)
    record.refresh_from_db()
    assert record.action == RecordAction.SKIP, "a user without the permission imported a row"


def test_a_keyless_files_edited_row_updates_its_listing(tmp_path, source, territories):
    header = ["Nom", "Code postal", "Latitude", "Longitude", "Téléphone"]
    first = [
        ["Ferme du Bourg", "41000", "47.5900", "1.3300", "02 54 10 10 10"],
        ["Ferme des Prés", "41000", "47.6500", "1.4000", ""],
    ]
    run = _analysed(source, _file(tmp_path, header, first, "v1.csv"))
    runs.confirm(run)
    assert runs.step(run)
    listing = Actor.objects.get(source=source.code, name="Ferme du Bourg")
    old_key = listing.source_key
    # The partner corrects the postal code: the row's made-up key changes with it.
    second = [["Ferme du Bourg", "41350", "47.5900", "1.3300", "02 54 10 10 10"], first[1]]
    run = _analysed(source, _file(tmp_path, header, second, "v2.csv"))
    lines = _lines(run)
    assert lines[2][0] == RecordAction.UPDATE, lines
    assert "la même fiche, nom ou lieu modifié dans le fichier" in lines[2][1]
    assert RecordAction.DROPPED not in run.counts, "its own listing reported « absente du fichier »"
    runs.confirm(run)
    assert runs.step(run)
    listing.refresh_from_db()
    assert listing.postal_code == "41350" and listing.source_key != old_key
    assert Actor.objects.filter(source=source.code).count() == 2
    # Once more: nothing to do.
    again = _analysed(source, _file(tmp_path, header, second, "v3.csv"))
    assert again.counts.get(RecordAction.UNCHANGED) == 2, again.counts
    # And a rollback of the second import puts the old key and postal code back.
    runs.cancel(run)
    assert runs.step(run)
    listing.refresh_from_db()
    assert (listing.postal_code, listing.source_key) == ("41000", old_key)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("shop=bakery", ActorKind.ARTISAN),
        ("bakery", ActorKind.ARTISAN),
        ("butcher", ActorKind.ARTISAN),
        ("amenity=marketplace", ActorKind.MARKET),
        ("farm", ActorKind.FARM_SHOP),
        ("greengrocer", ActorKind.SHOP),
        ("health_food", ActorKind.SHOP),
        ("craft=beekeeper", ActorKind.PRODUCER),
        ("Boulangerie-pâtisserie", ActorKind.ARTISAN),
    ],
)
def test_openstreetmap_tags_name_kinds(value, kind):
    from directory.imports.mapping import kind_for

    assert kind_for(value) == kind, value


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("go.php?id=3", ""),
        ("/fiche/12", ""),
        ("index.html", ""),
        ("https://go.php?id=3", ""),
        ("www.ferme-du-bourg.fr", "https://www.ferme-du-bourg.fr"),
        ("ferme.fr/contact", "https://ferme.fr/contact"),
        ("http://example.org/boutique", "http://example.org/boutique"),
    ],
)
def test_relative_links_are_refused_and_said(value, kept):
    from directory.imports.clean import _url

    notes = []
    assert _url(value, notes) == kept
    assert bool(notes) == (not kept), notes


def test_headers_split_on_underscores_colons_and_hyphens():
    from directory.imports.mapping import guess

    assert guess(["geo_point_2d", "site-web", "Nom", "code_postal"]) == {
        "geo_point_2d": "coordinates",
        "site-web": "website",
        "Nom": "name",
        "code_postal": "postal_code",
    }


def test_product_words_and_tags_name_categories_and_labels(db):
    from directory.imports.clean import References

    references = References()
    found, unknown = references.match(
        references.categories, "Légume, Oeuf, Fromage, Vin, Viande bovine, Miel de fleurs, Caviar"
    )
    assert found == ["fruits-legumes", "oeufs", "fromage-laitier", "boissons", "viande", "miel"]
    assert unknown == ["Caviar"]
    categories, labels, unknown = references.split_tags("Bio; Œufs; Label Rouge; volailles; wifi")
    assert (categories, labels, unknown) == (
        ["oeufs", "volaille"],
        ["bio", "label-rouge"],
        ["wifi"],
    )


def test_one_tags_column_feeds_categories_and_labels_on_import(tmp_path, source, territories):
    path = _file(
        tmp_path,
        ["Nom", "Latitude", "Longitude", "Mots-clés"],
        [["Ferme des Tags", "47.59", "1.33", "bio, légumes, oeufs"]],
    )
    run = _analysed(source, path, default_kind=ActorKind.PRODUCER)
    assert run.mapping["columns"]["Mots-clés"] == "tags"
    runs.confirm(run)
    assert runs.step(run)
    actor = Actor.objects.get(source=source.code)
    assert sorted(actor.categories.values_list("slug", flat=True)) == ["fruits-legumes", "oeufs"]
    assert list(actor.labels.values_list("slug", flat=True)) == ["bio"]


def test_a_key_column_that_tells_no_row_apart_is_refused_with_the_one_that_does(tmp_path, source):
    from django.core.exceptions import ValidationError

    path = _file(
        tmp_path,
        ["id", "id_producteur", "Nom", "Latitude", "Longitude"],
        [["1", f"P{n}", f"Ferme {n}", "47.59", f"1.{30 + n}"] for n in range(12)],
    )
    run = runs.start(source, path, path.name)
    assert run.mapping["columns"]["id"] == "key"
    with pytest.raises(ValidationError) as refused:
        runs.set_mapping(run, run.mapping["columns"], ActorKind.PRODUCER)
    message = " ".join(refused.value.messages)
    assert (
        "« id » ne peut pas servir d'identifiant : 1 valeur(s) différente(s) pour 12 ligne(s)"
        in message
    )
    assert "« id_producteur » a une valeur par ligne" in message
    columns = {**run.mapping["columns"], "id": "", "id_producteur": "key"}
    runs.set_mapping(run, columns, ActorKind.PRODUCER)


def test_report_rows_are_records_not_physical_lines(tmp_path, source, territories):
    path = _file(
        tmp_path,
        ["Nom", "Présentation", "Latitude", "Longitude"],
        [
            ["Ferme Une", "sur\ntrois\nlignes", "47.59", "1.33"],
            ["", "", "47.60", "1.34"],
        ],
    )
    run = _analysed(source, path, default_kind=ActorKind.PRODUCER)
    assert _lines(run)[3] == (RecordAction.REJECT, "nom manquant"), _lines(run)


def test_openstreetmap_address_parts_make_one_address(tmp_path, source, territories):
    path = _file(
        tmp_path,
        [
            "name",
            "addr:housenumber",
            "addr:street",
            "addr:postcode",
            "addr:city",
            "Latitude",
            "Longitude",
        ],
        [["Fournil <br>du Mail", "12", "Rue des Lilas", "41000", "Blois", "47.59", "1.33"]],
    )
    run = _analysed(source, path)
    columns = run.mapping["columns"]
    assert (columns["addr:street"], columns["addr:postcode"], columns["addr:city"]) == (
        "street",
        "postal_code",
        "commune",
    )
    record = run.records.get()
    assert record.data["address"] == "12 Rue des Lilas"
    assert record.data["name"] == "Fournil du Mail", "markup left in a name"


def test_coordinates_marked_as_commune_centres_come_in_approximate(tmp_path, source, territories):
    path = _file(
        tmp_path, ["Nom", "Latitude", "Longitude"], [["Ferme du Centre", "47.5861", "1.3359"]]
    )
    run = runs.start(source, path, path.name)
    runs.set_mapping(run, run.mapping["columns"], ActorKind.PRODUCER, coordinates_are_communes=True)
    assert runs.step(run)
    record = run.records.get()
    assert (record.data["approximate"], record.data["checked"]) == (True, False)
    assert "coordonnées d'un centre de commune : épingle à vérifier" in record.reason
    run.refresh_from_db()
    runs.confirm(run)
    assert runs.step(run)
    actor = Actor.objects.get(source=source.code)
    assert actor.location_is_approximate and not actor.location_checked
    # The next file of this source is read the same way unless staff say otherwise.
    again = runs.start(source, path, path.name)
    assert again.mapping.get("coordinates_are_communes") is True
