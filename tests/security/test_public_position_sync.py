"""The stored public position never falls out of step with the private one: every way a
position is written recomputes it (issue 16, point 5)."""

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from directory.models import Actor, ActorKind, ModerationStatus
from directory.models.position import GRID_DEGREES
from geodata.models import Commune

pytestmark = pytest.mark.django_db

HOUSE = Point(1.80, 47.38, srid=4326)  # in Romorantin-Lanthenay, away from its town hall


def townhall(code="41194"):
    return Commune.objects.get(code=code).townhall


def fresh(actor):
    return Actor.objects.get(pk=actor.pk)


def same(a, b) -> bool:
    return a.equals_exact(b, 1e-9)


def make(**fields):
    fields = {
        "name": "Chez moi",
        "kind": ActorKind.PRODUCER,
        "status": ModerationStatus.PUBLISHED,
        "commune": Commune.objects.get(code="41194"),
        "location": HOUSE,
        "location_is_approximate": True,
        **fields,
    }
    return Actor.objects.create(**fields)


def assert_in_step():
    stale = list(Actor.objects.stale_public_locations().values_list("name", flat=True))
    assert not stale, f"public positions out of step with their listings: {stale}"


def test_save_pins_a_home_based_producer_at_the_town_hall_and_others_at_home(territories):
    home, shop = make(), make(name="Boutique", location_is_approximate=False)
    assert same(fresh(home).public_location, townhall())
    assert same(fresh(shop).public_location, HOUSE)
    home.location_is_approximate = False
    home.save(update_fields=["location_is_approximate"])
    assert same(fresh(home).public_location, HOUSE)
    home.location_is_approximate = True
    home.commune = Commune.objects.get(code="41018")  # Blois
    home.save(update_fields=["commune", "location_is_approximate"])
    assert same(fresh(home).public_location, townhall("41018"))
    assert_in_step()


def test_queryset_update_refreshes_the_rows_it_moves(territories):
    home, shop = make(), make(name="Boutique", location_is_approximate=False)
    moved = Point(1.75, 47.36, srid=4326)
    Actor.objects.filter(pk__in=[home.pk, shop.pk]).update(location=moved)
    assert same(fresh(home).public_location, townhall()), "the pin stays at the town hall"
    assert same(fresh(shop).public_location, moved)
    Actor.objects.filter(pk=shop.pk).update(location_is_approximate=True)
    assert same(fresh(shop).public_location, townhall())
    Actor.objects.filter(pk=home.pk).update(location_is_approximate=False)
    assert same(fresh(home).public_location, moved), "no longer approximate: its own position"
    assert_in_step()


def test_bulk_create_and_bulk_update_compute_it(territories):
    commune = Commune.objects.get(code="41194")
    home, shop = Actor.objects.bulk_create(
        [
            Actor(name="A", slug="a", kind="producer", commune=commune, location=HOUSE,
                  location_is_approximate=True),
            Actor(name="B", slug="b", kind="shop", commune=commune, location=HOUSE),
        ]
    )  # fmt: skip
    assert same(fresh(home).public_location, townhall())
    assert same(fresh(shop).public_location, HOUSE)
    shop.location_is_approximate = True
    home.location = Point(1.7, 47.3, srid=4326)
    Actor.objects.bulk_update([home, shop], ["location", "location_is_approximate"])
    assert same(fresh(shop).public_location, townhall())
    assert same(fresh(home).public_location, townhall())
    assert_in_step()


def test_a_commune_without_town_hall_or_outline_pins_on_a_coarse_grid(territories):
    commune = Commune.objects.get(code="41194")
    Commune.objects.filter(pk=commune.pk).update(townhall=None, outline=None)
    home = make()
    pin = fresh(home).public_location
    assert pin.x == pytest.approx(round(HOUSE.x / GRID_DEGREES) * GRID_DEGREES)
    assert pin.y == pytest.approx(round(HOUSE.y / GRID_DEGREES) * GRID_DEGREES)
    assert_in_step()


def test_import_territories_re_pins_home_based_producers(territories):
    commune = Commune.objects.get(code="41194")
    real = commune.townhall
    # A town hall misplaced by an old import, and a producer pinned there.
    Commune.objects.filter(pk=commune.pk).update(townhall=Point(1.6, 47.2, srid=4326))
    home = make()
    assert same(fresh(home).public_location, Point(1.6, 47.2, srid=4326))
    call_command("import_territories", departements="41", no_neighbours=True, verbosity=0)
    assert same(Commune.objects.get(pk=commune.pk).townhall, real)
    assert same(fresh(home).public_location, real), "the pin follows the town hall"
    assert_in_step()


def test_demo_data_leaves_every_position_in_step(territories):
    call_command("demo_data", "--size", "120", "--seed", "7", "--no-progress")
    assert Actor.objects.filter(location_is_approximate=True).exists()
    assert_in_step()


def test_a_listing_without_public_position_is_refused(territories):
    home = make()
    with pytest.raises(IntegrityError), transaction.atomic():
        Actor.objects.filter(pk=home.pk).update(public_location=None)


def test_a_write_behind_the_orm_s_back_is_detected(territories):
    home = make()
    table = Actor._meta.db_table
    with connection.cursor() as cursor:
        # What a hand-made SQL restore would do: the house copied into the public column.
        cursor.execute(
            f'UPDATE "{table}" SET public_location = location WHERE id = %s',  # noqa: S608
            [home.pk],
        )
    assert list(Actor.objects.stale_public_locations()) == [home]
    assert Actor.objects.refresh_public_locations() >= 1
    assert_in_step()
