"""Partner list imports: a real-world-shaped file through the dry run and the import, the
report row by row, re-imports that change nothing, dropped listings, rollback and resume."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from directory.imports import analysis, apply, runs
from directory.imports.clean import References, clean_row
from directory.models import (
    Actor,
    ImportRecord,
    ImportRun,
    ImportSource,
    ModerationEvent,
    ModerationStatus,
    RecordAction,
    RunStatus,
)
from directory.models.moderation import Event
from directory.roles import MODERATORS
from geodata.coordinates import How, position
from geodata.projection import wgs84_to_lambert93

pytestmark = pytest.mark.django_db

HEADER = "Identifiant;Nom;Type;Produits;Catégories;Adresse;Code postal;Commune;X (Lambert 93);Y (Lambert 93);Téléphone;Courriel;Site"


def lambert(lat, lon, comma=False):
    x, y = wgs84_to_lambert93(lon, lat)
    text = f"{x:.1f};{y:.1f}"
    return text.replace(".", ",") if comma else text


def chamber_rows():
    return [
        HEADER,
        # 2: Lambert-93 coordinates
        f"C-001;Ferme des Épis d'Or;Producteur;Farine, pain;Pain;12 route de Blois;41000;Blois;{lambert(47.5681, 1.2978)};02 54 00 00 01;epis@example.fr;www.epis-dor.fr",
        # 3: no coordinates: the gazetteer gives the commune (offline geocoder)
        "C-002;Boulangerie Léger;Boulangerie-pâtisserie;Pain;Pain, Miel;3 rue Nationale;37000;Tours;;;;;",
        # 4: an existing listing (same phone, written differently)
        f"C-003;EARL du Moulin;Producteur;Légumes;Fruits et légumes;;41000;Blois;{lambert(47.59, 1.33)};+33 2 54 11 22 33;;",
        # 5: no name
        "C-004;;Producteur;;;;41000;Blois;;;;;",
        # 6: coordinates out of Lambert-93
        "C-005;Ferme perdue;Producteur;;;;;;9999999;1;;;",
        # 7: unknown kind
        "C-006;Vaisseau;Vaisseau spatial;;;;41000;Blois;;;;;",
        # 8: the same identifier again
        "C-001;Ferme des Épis d'Or;Producteur;Farine;;;41000;Blois;;;;;",
        # 9: Lambert-93 with decimal commas, and an unknown category
        f"C-007;Le Fournil de Saint-Aignan;Boulangerie;Pain;Pain, Caviar;;41110;Saint-Aignan;{lambert(47.2690, 1.3760, comma=True)};;;",
        # 10: a postal code three communes share, and the commune's name (a postal code
        # alone is sent to review: tests/directory/test_import_places.py)
        "C-008;Marché de Romorantin;Marché;;;;41200;Romorantin-Lanthenay;;;;;",
        # 11: a broken row (columns missing)
        "C-009;Ferme incomplète",
    ]


def write(tmp_path, rows, name="chambre.csv", encoding="cp1252"):
    path = tmp_path / name
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    return path


@pytest.fixture
def moulin(territories, make_actor):
    return make_actor(lat=47.5905, lon=1.3305, name="Ferme du Moulin", phone="02 54 11 22 33")


@pytest.fixture
def source(db):
    return ImportSource.objects.create(
        name="Chambre d'agriculture 41",
        slug="chambre-41",
        licence="Licence Ouverte 2.0",
        licence_url="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    )


def analysed(source, path) -> ImportRun:
    run = runs.start(source, path, path.name)
    runs.set_mapping(run, run.mapping["columns"], run.mapping.get("default_kind", ""))
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.ANALYSED
    return run


def imported(run) -> ImportRun:
    runs.confirm(run)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    return run


def report(run) -> dict[int, tuple[str, str]]:
    return {r.line: (r.action, r.reason) for r in run.records.order_by("line")}


def test_the_file_is_read_as_staff_wrote_it(tmp_path, source, moulin):
    run = runs.start(source, write(tmp_path, chamber_rows()), "chambre.csv")
    assert (run.format, run.encoding, run.delimiter, run.total) == ("csv", "cp1252", ";", 10)
    assert run.headers[1] == "Nom" and run.headers[7] == "Commune"
    assert run.mapping["columns"] == {
        "Identifiant": "key",
        "Nom": "name",
        "Type": "kind",
        "Produits": "products",
        "Catégories": "categories",
        "Adresse": "address",
        "Code postal": "postal_code",
        "Commune": "commune",
        "X (Lambert 93)": "x_l93",
        "Y (Lambert 93)": "y_l93",
        "Téléphone": "phone",
        "Courriel": "email",
        "Site": "website",
    }
    assert run.status == RunStatus.MAPPING and not run.records.exists()


def test_dry_run_reports_every_row_and_writes_nothing(tmp_path, source, moulin):
    before = (Actor.objects.count(), ModerationEvent.objects.count())
    run = analysed(source, write(tmp_path, chamber_rows()))
    assert (Actor.objects.count(), ModerationEvent.objects.count()) == before
    rows = report(run)
    assert sorted(rows) == list(range(2, 12))
    assert rows[2] == (RecordAction.CREATE, "")
    assert rows[3][0] == RecordAction.CREATE
    assert "position approximative (centre de Tours)" in rows[3][1]
    assert rows[4] == (
        RecordAction.SKIP,
        "doublon probable de « Ferme du Moulin » (même numéro de téléphone, nom proche à moins d'1 km)",
    ) or rows[4] == (
        RecordAction.SKIP,
        "doublon probable de « Ferme du Moulin » (nom proche à moins d'1 km, même numéro de téléphone)",
    )
    assert rows[5] == (RecordAction.REJECT, "nom manquant")
    assert rows[6][0] == RecordAction.REJECT and "hors de l'emprise Lambert-93" in rows[6][1]
    assert rows[7] == (RecordAction.REJECT, "type « Vaisseau spatial » inconnu")
    assert rows[8] == (RecordAction.SKIP, "même identifiant que la ligne 2")
    assert rows[9] == (RecordAction.CREATE, "catégories inconnues ignorées : Caviar")
    assert rows[10][0] == RecordAction.CREATE and "centre de Romorantin-Lanthenay" in rows[10][1]
    assert rows[11] == (RecordAction.REJECT, "type manquant (et pas de type par défaut)")
    assert run.counts == {"create": 4, "skip": 2, "reject": 4, "scope:region": 6}

    # The CSV report says the same, line by line.
    response_rows = list(csv.reader(io.StringIO(_report_text(run)), delimiter=";"))
    assert response_rows[0][:3] == ["ligne", "action", "motif"]
    assert [r[0] for r in response_rows[1:]] == [str(n) for n in range(2, 12)]
    assert response_rows[1][1] == "À créer" and response_rows[6][1] == "Rejetée"
    assert response_rows[1][8] == "lambert93" and response_rows[2][8] == "commune"


def _report_text(run) -> str:
    from directory.imports.report import write_report

    buffer = io.StringIO()
    write_report(run, buffer)
    return buffer.getvalue().lstrip("\ufeff")


def test_import_creates_what_the_report_said_with_provenance(tmp_path, source, moulin, client):
    imported(analysed(source, write(tmp_path, chamber_rows())))
    created = Actor.objects.filter(import_source=source).order_by("source_key")
    assert [a.source_key for a in created] == ["C-001", "C-002", "C-007", "C-008"]
    epis, leger, fournil, marche = created
    assert (epis.name, epis.kind, epis.status) == ("Ferme des Épis d'Or", "producer", "published")
    assert abs(epis.location.y - 47.5681) < 1e-5 and abs(epis.location.x - 1.2978) < 1e-5
    assert epis.location_checked and not epis.location_is_approximate
    assert epis.commune.name == "Blois" and epis.website == "https://www.epis-dor.fr"
    assert list(epis.categories.values_list("slug", flat=True)) == ["pain"]
    assert leger.kind == "artisan" and leger.location_is_approximate and not leger.location_checked
    assert leger.location.equals_exact(leger.commune.center, 1e-6)
    assert sorted(leger.categories.values_list("slug", flat=True)) == ["miel", "pain"]
    assert abs(fournil.location.y - 47.2690) < 1e-5
    assert marche.kind == "market" and marche.commune.name == "Romorantin-Lanthenay"
    assert ModerationEvent.objects.filter(action=Event.IMPORTED).count() == 4
    # Records point at their listings; nothing else was touched.
    assert moulin.__class__.objects.get(pk=moulin.pk).source == ""
    page = client.get(epis.get_absolute_url()).content.decode()
    assert "Source : Chambre d&#x27;agriculture 41" in page
    assert 'rel="license">Licence Ouverte 2.0</a>' in page
    # Approximate pins wait in the moderation queue.
    moderator = _moderator()
    client.force_login(moderator)
    queue = client.get("/moderation/").content.decode()
    assert "Épingles à vérifier" in queue and "Boulangerie Léger" in queue


def _moderator():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("moderatrice", "mod@example.org", "pw")
    user.groups.add(Group.objects.get(name=MODERATORS))
    return user


def test_a_second_import_of_the_same_file_changes_nothing(tmp_path, source, moulin):
    path = write(tmp_path, chamber_rows())
    imported(analysed(source, path))
    state = sorted(Actor.objects.values_list("pk", "updated_at"))
    history = Actor.history.count()
    again = imported(analysed(source, path))
    assert again.counts == {"unchanged": 4, "skip": 2, "reject": 4, "scope:region": 6}
    assert sorted(Actor.objects.values_list("pk", "updated_at")) == state
    assert Actor.history.count() == history


def test_changed_and_dropped_rows(tmp_path, source, moulin, client):
    imported(analysed(source, write(tmp_path, chamber_rows())))
    rows = chamber_rows()
    rows[1] = rows[1].replace("Farine, pain", "Farine bio, pain")
    del rows[2]  # C-002 dropped by the partner
    run = analysed(source, write(tmp_path, rows, name="v2.csv"))
    by_key = {r.key: r for r in run.records.order_by("-line")}  # the first line wins
    assert by_key["C-001"].action == RecordAction.UPDATE
    assert by_key["C-001"].reason.startswith("modifié : products")
    assert by_key["C-002"].action == RecordAction.DROPPED and by_key["C-002"].line == 0
    imported(run)
    epis = Actor.objects.get(source_key="C-001")
    leger = Actor.objects.get(source_key="C-002")
    assert epis.products == "Farine bio, pain"
    # Flagged, never deleted, still published.
    assert leger.source_dropped_at is not None and leger.status == ModerationStatus.PUBLISHED
    client.force_login(_moderator())
    assert "Absentes de la dernière liste" in client.get("/moderation/").content.decode()
    # Back in the next file: the flag goes.
    back = imported(analysed(source, write(tmp_path, chamber_rows(), name="v3.csv")))
    assert {r.key: r.action for r in back.records.order_by("-line")}["C-002"] == RecordAction.UPDATE
    leger.refresh_from_db()
    assert leger.source_dropped_at is None


def test_rollback_puts_everything_back(tmp_path, source, moulin):
    imported(analysed(source, write(tmp_path, chamber_rows())))
    rows = chamber_rows()
    rows[1] = rows[1].replace("Ferme des Épis d'Or", "Ferme des Épis d'Or (GAEC)")
    rows[3] = "C-010;Nouvelle ferme;Producteur;Œufs;Œufs;;41000;Blois;;;02 54 99 99 99;;"
    del rows[2]
    run = imported(analysed(source, write(tmp_path, rows, name="v2.csv")))
    assert Actor.objects.filter(source_key="C-010").exists()
    runs.cancel(run)
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.ROLLED_BACK
    assert not Actor.objects.filter(source_key="C-010").exists()
    assert Actor.objects.get(source_key="C-001").name == "Ferme des Épis d'Or"
    assert Actor.objects.get(source_key="C-002").source_dropped_at is None
    assert not run.records.filter(applied=True).exists()


def test_an_interrupted_import_resumes_without_duplicates(tmp_path, source, moulin, monkeypatch):
    run = analysed(source, write(tmp_path, chamber_rows()))
    runs.confirm(run)
    monkeypatch.setattr(apply, "BATCH", 1)
    calls = {"n": 0}
    real = apply.create_listings

    def crash_on_third(actors, laters, user=None):
        # The listings are inserted, their categories and hours not yet: a crash between.
        calls["n"] += 1
        real(actors, laters if calls["n"] != 3 else [[] for _ in laters], user)
        if calls["n"] == 3:
            raise RuntimeError("coupure")

    monkeypatch.setattr(apply, "create_listings", crash_on_third)
    with pytest.raises(RuntimeError):
        runs.step(run)
    # Two batches committed, the third rolled back whole.
    assert Actor.objects.filter(import_source=source).count() == 2
    assert run.records.filter(applied=True).count() == 2
    monkeypatch.setattr(apply, "create_listings", real)
    run.refresh_from_db()
    assert run.status == RunStatus.IMPORTING and run.locked_until is None
    assert run.position == 2, "the progress counts the committed batches only"
    assert runs.step(run)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE
    assert Actor.objects.filter(import_source=source).count() == 4
    assert run.position == run.records.filter(applied=True).count(), "progress lost on resume"
    assert sorted(
        Actor.objects.filter(import_source=source).values_list("source_key", flat=True)
    ) == [
        "C-001",
        "C-002",
        "C-007",
        "C-008",
    ]


def test_uploaded_lists_stay_out_of_the_public_media_folder(tmp_path, source, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    run = runs.start(source, write(tmp_path, chamber_rows()), "chambre.csv")
    stored = Path(run.file.path).resolve()
    assert stored.is_file()
    assert stored.is_relative_to(Path(settings.TOUTPRES_IMPORT_DIR).resolve())
    assert not stored.is_relative_to(settings.MEDIA_ROOT.resolve())
    with pytest.raises(ValueError):
        run.file.storage.url(run.file.name)


def test_a_killed_process_frees_the_run_once_its_lock_lapses(tmp_path, source, moulin):
    from datetime import timedelta

    from django.utils import timezone

    run = analysed(source, write(tmp_path, chamber_rows()))
    runs.confirm(run)
    # Another process is working on it: its lock is fresh.
    ImportRun.objects.filter(pk=run.pk).update(
        locked_until=timezone.now() + timedelta(seconds=runs.LOCK_SECONDS)
    )
    assert not runs.step(run)
    with pytest.raises(CommandError, match="verrou"):
        call_command("import_list", "--resume", str(run.pk), "--no-progress")
    # That process was killed: past its lock, --resume takes over and finishes.
    ImportRun.objects.filter(pk=run.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    call_command("import_list", "--resume", str(run.pk), "--no-progress")
    run.refresh_from_db()
    assert run.status == RunStatus.DONE and run.locked_until is None


def test_the_lock_is_renewed_after_every_batch(tmp_path, source, moulin, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(analysis, "BATCH", 2)
    run = runs.start(source, write(tmp_path, chamber_rows()), "chambre.csv")
    runs.set_mapping(run, run.mapping["columns"], "")
    seen = []

    def progress(count):
        seen.append(ImportRun.objects.get(pk=run.pk).locked_until)

    assert runs.step(run, progress=progress)
    assert len(seen) == 5
    assert all(lock > timezone.now() for lock in seen)
    assert seen == sorted(seen) and seen[0] < seen[-1]


def test_time_sliced_steps_resume_the_analysis(tmp_path, source, moulin, monkeypatch):
    monkeypatch.setattr(analysis, "BATCH", 3)
    run = runs.start(source, write(tmp_path, chamber_rows()), "chambre.csv")
    runs.set_mapping(run, run.mapping["columns"], "")
    assert runs.step(run, seconds=0.000001)
    run.refresh_from_db()
    assert (run.status, run.position) == (RunStatus.ANALYSING, 3)
    assert runs.state(run)["percent"] == 30
    while run.status == RunStatus.ANALYSING:
        runs.step(run, seconds=0.000001)
        run.refresh_from_db()
    assert run.counts == {"create": 4, "skip": 2, "reject": 4, "scope:region": 6}
    assert ImportRecord.objects.filter(run=run).count() == 10


def test_coordinates_in_either_order_and_lambert93():
    assert position(47.9, 1.9) == position(47.9, 1.9)
    assert position(47.9, 1.9).how == How.DEGREES
    swapped = position(1.9, 47.9)
    assert (swapped.latitude, swapped.longitude, swapped.how) == (47.9, 1.9, How.SWAPPED)
    x, y = wgs84_to_lambert93(1.9, 47.9)
    for pair in ((x, y), (y, x)):
        found = position(*pair)
        assert found.how == How.LAMBERT93
        assert abs(found.latitude - 47.9) < 1e-7 and abs(found.longitude - 1.9) < 1e-7
    from django.core.exceptions import ValidationError

    for outside in ((40.7, -74.0), (0.0, 100.0), (48.0, 30.0)):
        with pytest.raises(ValidationError):
            position(*outside)
    # Réunion is France.
    assert position(-21.1, 55.5).how == How.DEGREES


def test_geojson_with_swapped_coordinates_and_a_default_kind(tmp_path, territories, source):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [1.9093, 47.9029]},
            "properties": {"nom": "Miellerie d'Orléans", "id": "g1"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [47.8, 1.8]},
            "properties": {"nom": "Ferme inversée", "id": "g2"},
        },
        {"type": "Feature", "geometry": None, "properties": {"nom": "Sans géométrie", "id": "g3"}},
    ]
    path = tmp_path / "liste.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    run = runs.start(source, path, path.name)
    assert run.format == "geojson"
    assert run.mapping["columns"]["latitude (géométrie)"] == "latitude"
    runs.set_mapping(run, run.mapping["columns"], "producer")
    runs.step(run)
    rows = {r.key: r for r in run.records.all()}
    assert rows["g1"].action == RecordAction.CREATE and rows["g1"].data["position"] == "degres"
    assert rows["g2"].action == RecordAction.CREATE
    assert "inversées" in rows["g2"].reason
    assert (rows["g2"].data["lat"], rows["g2"].data["lon"]) == (47.8, 1.8)
    assert rows["g3"].action == RecordAction.REJECT


def test_xlsx_latin_names_and_lat_lon_columns(tmp_path, territories, source):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Raison sociale", "Activité", "Latitude", "Longitude", "CP"])
    sheet.append(["Fromagerie Bérot", "Fromager", 47.3941, 0.6848, 37000])
    sheet.append(["Épicerie du Coin", "Épicerie", "47,0810", "2,3988", "18000"])
    path = tmp_path / "liste.xlsx"
    workbook.save(path)
    run = analysed(source, path)
    rows = {r.name: r for r in run.records.all()}
    assert run.format == "xlsx" and run.total == 2
    assert rows["Fromagerie Bérot"].data["kind"] == "artisan"
    assert rows["Fromagerie Bérot"].data["postal_code"] == "37000"
    assert rows["Épicerie du Coin"].data["kind"] == "shop"
    assert rows["Épicerie du Coin"].data["lat"] == 47.081


def test_utf8_comma_file_and_duplicates_inside_the_file(tmp_path, territories, source):
    rows = [
        "nom,type,latitude,longitude,telephone",
        "Chèvrerie du Val,producteur,47.9029,1.9093,02 38 00 00 01",
        "La Chèvrerie du Val,producteur,47.9031,1.9095,",
        "Autre ferme,producteur,47.5,1.5,02.38.00.00.01",
    ]
    run = analysed(source, write(tmp_path, rows, encoding="utf-8"))
    assert (run.encoding, run.delimiter) == ("utf-8-sig", ",")
    lines = report(run)
    assert lines[2][0] == RecordAction.CREATE
    # A similar name alone is no proof: the row comes in, flagged for staff to check.
    assert lines[3] == (
        RecordAction.CREATE,
        "à vérifier : nom proche de la ligne 2, à moins d'1 km",
    )
    assert lines[4] == (RecordAction.SKIP, "doublon de la ligne 2 (même numéro de téléphone)")


def test_missing_coordinates_are_geocoded_by_the_geocoding_service(
    tmp_path, territories, source, settings, ban_server
):
    host, port = ban_server.server_address
    settings.TOUTPRES_GEOCODER = {
        **settings.TOUTPRES_GEOCODER,
        "BACKEND": "ban",
        "BAN_DOMAIN": f"{host}:{port}",
        "BAN_SCHEME": "http",
    }
    rows = ["nom;type;adresse;cp;ville", "Halle de l'Étape;marché;1 place de l'Étape;45000;Orléans"]
    run = analysed(source, write(tmp_path, rows))
    record = run.records.get()
    assert record.data["position"] == "geocodee" and record.data["checked"] is True
    assert (record.data["lat"], record.data["lon"]) == (47.90289, 1.90911)
    assert ("/search", "1 place de l'Étape 45000 Orléans") in ban_server.requests


def test_clean_row_keeps_valid_contacts_and_says_what_it_dropped(territories):
    mapping = {
        "columns": {
            "n": "name",
            "k": "kind",
            "t": "phone",
            "m": "email",
            "w": "website",
            "c": "commune",
        }
    }
    cleaned = clean_row(
        {
            "n": "  Ferme   Martin ",
            "k": "GAEC",
            "t": "12",
            "m": "pas-un-mail",
            "w": "javascript:alert(1)",
            "c": "45234",
        },
        mapping,
        References(),
    )
    assert cleaned.data["name"] == "Ferme Martin" and cleaned.data["kind"] == "producer"
    assert (cleaned.data["phone"], cleaned.data["email"], cleaned.data["website"]) == ("", "", "")
    assert (
        "téléphone « 12 » ignoré" in cleaned.notes
        and "e-mail « pas-un-mail » ignoré" in cleaned.notes
    )
    assert cleaned.key.startswith("auto-")
    assert cleaned.data["commune"] is not None


def test_staff_pages_from_upload_to_import_and_a_one_click_reimport(client, tmp_path, moulin):
    client.force_login(_moderator())
    content = ("\r\n".join(chamber_rows()) + "\r\n").encode("cp1252")
    response = client.post(
        "/staff/imports/",
        {
            "file": SimpleUploadedFile("chambre.csv", content, "text/csv"),
            "name": "Chambre d'agriculture 41",
            "licence": "Licence Ouverte 2.0",
            "publish": "on",
        },
    )
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response.url == f"/staff/imports/{run.pk}/"
    page = client.get(response.url).content.decode()
    assert "Correspondance devinée" in page and "Ferme des Épis d&#x27;Or" in page
    form = {f"col_{i}": run.mapping["columns"].get(h, "") for i, h in enumerate(run.headers)}
    assert client.post(f"/staff/imports/{run.pk}/colonnes/", form).status_code == 302
    state = client.post(f"/staff/imports/{run.pk}/etape/", HTTP_ACCEPT="application/json").json()
    assert state["status"] == "analysed" and state["counts"] == {
        "create": 4,
        "skip": 2,
        "reject": 4,
        "scope:region": 6,
    }
    page = client.get(f"/staff/imports/{run.pk}/?action=reject").content.decode()
    assert "nom manquant" in page and "Confirmer l'import" in page
    report_csv = client.get(f"/staff/imports/{run.pk}/rapport.csv")
    assert report_csv["Content-Type"].startswith("text/csv")
    assert b"".join(report_csv.streaming_content).decode().count("\r\n") == 11
    assert Actor.objects.count() == 1  # still nothing written
    client.post(f"/staff/imports/{run.pk}/confirmer/")
    state = client.post(f"/staff/imports/{run.pk}/etape/", HTTP_ACCEPT="application/json").json()
    assert state["status"] == "done" and Actor.objects.count() == 5

    # The next file of the same source: its columns are known, one click analyses it.
    source = ImportSource.objects.get()
    client.post(
        "/staff/imports/",
        {"file": SimpleUploadedFile("chambre-v2.csv", content), "source": source.pk},
    )
    second = ImportRun.objects.exclude(pk=run.pk).get()
    page = client.get(f"/staff/imports/{second.pk}/").content.decode()
    assert "colonnes du dernier import" in page
    form = {f"col_{i}": second.mapping["columns"].get(h, "") for i, h in enumerate(second.headers)}
    client.post(f"/staff/imports/{second.pk}/colonnes/", form)
    state = client.post(f"/staff/imports/{second.pk}/etape/", HTTP_ACCEPT="application/json").json()
    assert state["counts"] == {"unchanged": 4, "skip": 2, "reject": 4, "scope:region": 6}


def test_upload_errors_are_clear_and_keep_nothing(client, territories):
    client.force_login(_moderator())
    response = client.post(
        "/staff/imports/",
        {"file": SimpleUploadedFile("liste.csv", b"Nom;Type\r\n"), "name": "X", "licence": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Indiquez sous quelle licence" in page
    response = client.post(
        "/staff/imports/",
        {"file": SimpleUploadedFile("liste.csv", b"Nom;Type\r\n"), "name": "X", "licence": "CC-BY"},
    )
    assert "aucune ligne de données" in response.content.decode()
    response = client.post(
        "/staff/imports/",
        {"file": SimpleUploadedFile("liste.pdf", b"%PDF"), "name": "X", "licence": "CC-BY"},
    )
    assert "Formats acceptés" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_mapping_without_a_name_column_is_refused(client, tmp_path, source, territories):
    client.force_login(_moderator())
    run = runs.start(source, write(tmp_path, chamber_rows()), "chambre.csv")
    response = client.post(f"/staff/imports/{run.pk}/colonnes/", {"col_0": "key", "col_2": "kind"})
    assert response.status_code == 400
    assert "Indiquez la colonne du nom." in response.content.decode()
    run.refresh_from_db()
    assert run.status == RunStatus.MAPPING


def test_only_staff_import(client, django_user_model, territories):
    # Signed out: the staff sign-in page, then back here.
    response = client.get("/staff/imports/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/staff/imports/"
    assert client.post("/staff/imports/").status_code == 403
    # A producer is signed in but not staff.
    client.force_login(django_user_model.objects.create_user("p", "p@example.org"))
    assert client.get("/staff/imports/").status_code == 403


def test_import_command_dry_run_then_yes(tmp_path, moulin, capsys):
    path = write(tmp_path, chamber_rows())
    call_command(
        "import_list",
        str(path),
        "--source",
        "Chambre 41",
        "--licence",
        "Licence Ouverte 2.0",
        "--report",
        str(tmp_path / "rapport.csv"),
        "--no-progress",
    )
    out = capsys.readouterr().out
    assert "À créer : 4" in out and "Rien n'a été écrit" in out
    assert Actor.objects.count() == 1
    assert (tmp_path / "rapport.csv").read_text(encoding="utf-8-sig").count("\n") == 11
    run = ImportRun.objects.get()
    call_command("import_list", "--resume", str(run.pk), "--no-progress")
    assert Actor.objects.count() == 5
    out = capsys.readouterr().out
    assert "Créée : 4" in out and "À créer" not in out and "Importée" in out
    call_command("import_list", "--rollback", str(run.pk), "--no-progress")
    assert Actor.objects.count() == 1


@pytest.fixture
def ban_server():
    import threading
    from http.server import ThreadingHTTPServer

    from tests.geodata.test_geocoding import StandIn

    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_point_helper_is_wgs84():
    assert Point(1, 2, srid=4326).srid == 4326
