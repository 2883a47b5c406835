"""Issue #18, speed: a batch's new listings written in bulk and its lookups batched must give
exactly what one by one gave: slugs, history, categories, hours, communes, duplicates."""

import random

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from directory.models import Actor, ImportSource, OpeningSlot
from directory.models.actor import unique_slug, unique_slugs
from directory.moderation.duplicates import find_duplicates_many
from geodata.models import Commune
from tests.importing import analysed, csv_file, imported

pytestmark = pytest.mark.django_db

HEADER = ["Identifiant", "Nom", "Type", "Catégories", "Horaires", "Latitude", "Longitude"]


@pytest.fixture
def source(db):
    return ImportSource.objects.create(name="Réseau", slug="reseau", licence="ODbL", publish=True)


def test_namesakes_of_one_batch_and_of_the_table_get_the_slugs_one_by_one_would(make_actor):
    make_actor(name="Ferme du Bois")  # ferme-du-bois taken
    make_actor(name="Ferme du Bois")  # ferme-du-bois-2 taken
    names = ["Ferme du Bois", "Ferme du Bois", "Le Fournil", "Ferme du bois !", "Le Fournil"]
    chosen = unique_slugs(names)
    assert chosen == [
        "ferme-du-bois-3",
        "ferme-du-bois-4",
        "le-fournil",
        "ferme-du-bois-5",
        "le-fournil-2",
    ], chosen
    # And one after the other with save(), as before: the same.
    one_by_one = []
    for name in names:
        one_by_one.append(make_actor(name=name).slug)
    assert one_by_one == chosen


def _one_by_one(make_actor, names) -> list[str]:
    """The slugs save() gives these names one after the other, rolled back afterwards."""
    with transaction.atomic():
        chosen = [make_actor(name=name).slug for name in names]
        transaction.set_rollback(True)
    return chosen


def test_a_slug_another_name_of_the_batch_takes_is_not_given_twice(make_actor):
    # "Ferme 2" takes ferme-2, one of the first slugs of "Ferme": the batch must then ask
    # the table for the next ones (ferme-3 is taken) rather than give it away.
    make_actor(name="Ferme 3")
    names = ["Ferme 2", "Ferme", "Ferme"]
    assert unique_slugs(names) == _one_by_one(make_actor, names) == ["ferme-2", "ferme", "ferme-4"]


def test_random_batches_get_the_slugs_one_by_one_would(make_actor):
    rng = random.Random(3)
    vocabulary = ["Ferme", "Ferme 2", "Ferme 3", "Ferme 4", "Le Fournil", "Le Fournil 2"]
    for _ in range(25):
        make_actor(name=rng.choice(vocabulary))
    for _ in range(10):
        names = [rng.choice(vocabulary) for _ in range(rng.randint(1, 8))]
        assert unique_slugs(names) == _one_by_one(make_actor, names), names


def test_past_twenty_namesakes_the_prefix_lookup_takes_over(make_actor):
    for _ in range(21):
        make_actor(name="Marché")
    assert unique_slugs(["Marché", "Marché"]) == ["marche-22", "marche-23"]
    assert unique_slug("Marché") == "marche-22"


def test_new_listings_in_bulk_have_their_history_categories_keys_and_hours(
    tmp_path, territories, source
):
    rows = [
        [
            "R-1",
            "Ferme des Prés",
            "Producteur",
            "Fromages, Miel",
            "Mo-Fr 08:00-12:00",
            "47.59",
            "1.33",
        ],
        ["R-2", "Ferme des Prés", "Producteur", "Pain", "samedi 9h - 12h", "47.39", "0.69"],
        ["R-3", "Marché <b>de</b> Blois", "Marché", "", "", "47.5861", "1.3359"],
    ]
    run = imported(analysed(source, csv_file(tmp_path, HEADER, rows)))
    actors = {a.source_key: a for a in Actor.objects.filter(import_source=source)}
    assert sorted(actors) == ["R-1", "R-2", "R-3"]
    one, two, market = actors["R-1"], actors["R-2"], actors["R-3"]
    assert (one.slug, two.slug) == ("ferme-des-pres", "ferme-des-pres-2")
    assert market.name == "Marché de Blois" and market.search_text, "markup stripped, text indexed"
    assert sorted(one.categories.values_list("slug", flat=True)) == ["fromage-laitier", "miel"]
    assert one.category_keys == " ".join(
        str(pk) for pk in sorted(one.categories.values_list("pk", flat=True))
    ), "stored category keys written with the bulk insert"
    assert list(OpeningSlot.objects.filter(actor=one).values_list("weekday", flat=True)) == [
        0,
        1,
        2,
        3,
        4,
    ]
    assert list(OpeningSlot.objects.filter(actor=two).values_list("weekday", flat=True)) == [5]
    # One « + » record per listing, with the categories it was created with.
    records = list(one.history.all())
    assert [r.history_type for r in records] == ["+"], records
    assert sorted(c.category.slug for c in records[0].categories.all()) == [
        "fromage-laitier",
        "miel",
    ]
    assert records[0].instance.name == "Ferme des Prés"
    assert one.public_location is not None and one.commune is not None
    assert run.records.filter(applied=True).count() == 3


def test_the_batch_lookup_of_communes_agrees_with_one_query_per_point(territories):
    rng = random.Random(3)
    points = [(rng.uniform(0.0, 3.2), rng.uniform(46.3, 48.9)) for _ in range(300)]
    # A commune's own town hall, and points far outside every loaded outline.
    hall = Commune.objects.exclude(townhall=None).order_by("code").first().townhall
    points += [(hall.x, hall.y), (-30.0, 40.0), (9.9, 42.0)]
    batch = Commune.objects.first_containing(points, "departement__code")
    for index, (x, y) in enumerate(points):
        expected = (
            Commune.objects.containing(Point(x, y, srid=4326))
            .values_list("pk", "departement__code")
            .first()
        )
        assert batch.get(index) == expected, (index, x, y)
    assert sum(1 for i in range(len(points)) if i in batch) > 100, "most points are in a commune"


def test_the_batch_lookup_of_similar_names_nearby_agrees_with_the_radius(make_actor):
    here = make_actor(name="Ferme du Moulin", lat=47.5905, lon=1.3305)
    make_actor(name="Ferme du Moulin", lat=47.5905 + 0.0095, lon=1.3305)  # 1.06 km north
    inside = make_actor(name="Ferme du Moulin", lat=47.5905 + 0.0085, lon=1.3305)  # 945 m
    make_actor(name="Boulangerie Léger", lat=47.5906, lon=1.3306)  # near, another name
    probe = Actor(name="Ferme du moulin", location=Point(1.3305, 47.5905, srid=4326))
    far = Actor(name="Ferme du Moulin", location=Point(5.0, 45.0, srid=4326))
    unplaced = Actor(name="Ferme du Moulin")
    found = find_duplicates_many([probe, far, unplaced])
    assert [d.actor.pk for d in found[0]] == [here.pk, inside.pk], "nearest first, 1 km"
    assert found[1] == [] and found[2] == []


@pytest.mark.parametrize("batch", [1, 500])
def test_rows_of_earlier_batches_nearby_are_found_as_in_one_batch(
    tmp_path, territories, source, monkeypatch, batch
):
    from directory.imports import analysis

    monkeypatch.setattr(analysis, "BATCH", batch)
    rows = [
        ["T-1", "Ferme du Moulin", "Producteur", "", "", "47.5905", "1.3305"],
        ["T-2", "Ferme des Moulins", "Producteur", "", "", "47.5990", "1.3305"],  # 945 m
        ["T-3", "GAEC du Moulin", "Producteur", "", "", "47.6000", "1.3305"],  # 1.06 km of T-1
        ["T-4", "Boulangerie Léger", "Producteur", "", "", "47.5906", "1.3306"],
    ]
    # No key column: distinct ids would say these are distinct listings.
    run = analysed(source, csv_file(tmp_path, HEADER[1:], [row[1:] for row in rows]))
    reasons = run.records.order_by("line").values_list("reason", flat=True)
    reasons = dict(zip("1234", reasons, strict=True))
    assert "la ligne 2" in reasons["2"], reasons
    # T-3 is 1.06 km from T-1 but 111 m from T-2: the nearest earlier row within 1 km.
    assert "la ligne 3" in reasons["3"], reasons
    assert "ligne" not in reasons["1"] and "ligne" not in reasons["4"], reasons
    assert run.counts.get("duplicates:check") == 2, run.counts


def test_with_the_gazetteer_alone_an_address_is_placed_at_its_commune_without_geocoding(
    tmp_path, territories, source, monkeypatch, settings
):
    from directory.imports import places

    assert settings.TOUTPRES_GEOCODER["BACKEND"] == "offline"

    def asked(query):
        raise AssertionError(f"the gazetteer was asked for {query!r}")

    monkeypatch.setattr(places, "geocode", asked)
    header = ["Nom", "Type", "Adresse", "Code postal", "Commune"]
    rows = [["Ferme des Lilas", "Producteur", "3 rue des Lilas", "41000", "Blois"]]
    run = imported(analysed(source, csv_file(tmp_path, header, rows)))
    actor = Actor.objects.get(import_source=source)
    assert actor.commune.name == "Blois" and actor.location_is_approximate
    assert "centre de Blois" in run.records.get().reason


def test_statistics_are_refreshed_after_batches_1_2_4_8_of_the_run_not_of_each_step(
    tmp_path, territories, source, monkeypatch
):
    from directory.imports import analysis, runs

    monkeypatch.setattr(analysis, "BATCH", 1)
    after = []
    monkeypatch.setattr(analysis, "_refresh_statistics", lambda: after.append(len(after)))
    rows = [
        [f"S-{n}", f"Ferme {n}", "Producteur", "", "", "47.59", f"{1.0 + n / 10}"]
        for n in range(10)
    ]
    run = runs.start(source, csv_file(tmp_path, HEADER, rows), "liste.csv")
    runs.set_mapping(run, run.mapping["columns"], "")
    steps = 0
    while run.status == "analysing":
        runs.step(run, seconds=0.000001)  # a batch a step, as the staff page's slices
        run.refresh_from_db()
        steps += 1
    assert steps >= 9, steps
    assert len(after) == 4, f"ANALYZE after batches 1, 2, 4 and 8 only, not {len(after)} times"


@pytest.mark.parametrize("batch", [1, 2, 500])
def test_a_row_like_several_earlier_ones_names_the_first_whatever_the_batches(
    tmp_path, territories, source, monkeypatch, batch
):
    """« ligne N » names the first earlier row that matches, in file order, not the one the
    batch split happens to look at first (nor a row that was itself skipped)."""
    from directory.imports import analysis

    monkeypatch.setattr(analysis, "BATCH", batch)

    def reasons_of(names):
        rows = [
            [name, "Producteur", "", "", f"{47.5905 + 0.001 * n:.4f}", "1.3305"]
            for n, name in enumerate(names)
        ]
        run = analysed(source, csv_file(tmp_path, HEADER[1:], rows, name=f"{len(names)}.csv"))
        return dict(run.records.order_by("line").values_list("line", "reason"))

    # The same name four times in a keyless file: the same identifier, first seen on line 2.
    same = reasons_of(["Ferme du Moulin"] * 4)
    assert [same[line] for line in (3, 4, 5)] == ["même identifiant que la ligne 2"] * 3, same
    # Four names alike within 1 km: each later row is flagged against line 2.
    alike = reasons_of(
        ["Ferme des Tilleuls", "Ferme les Tilleuls", "La Ferme des Tilleuls", "GAEC des Tilleuls"]
    )
    for line in (3, 4, 5):
        assert "la ligne 2," in alike[line], (batch, alike)
