"""The data version moves after every committed write that can change public output, once
per transaction, and not for writes the public never sees (page views)."""

import datetime

import pytest
from django.contrib.gis.geos import Point
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from directory import dataversion
from directory.models import (
    Actor,
    ActorKind,
    Category,
    DistributionLink,
    Label,
    ModerationStatus,
    OpeningSlot,
    PageViewDay,
    SaleMode,
    ScheduleException,
    Season,
)
from geodata.signals import territories_imported

pytestmark = pytest.mark.django_db


@pytest.fixture
def bumps(django_capture_on_commit_callbacks):
    """bumps(write) → how much the version moved once ``write``'s transaction committed."""

    def measure(write):
        before = dataversion.current()
        with django_capture_on_commit_callbacks(execute=True):
            write()
        return dataversion.current() - before

    return measure


@pytest.fixture
def actor(make_actor):
    return make_actor(lat=47.5, lon=1.5)


def test_every_kind_of_public_write_bumps_the_version(bumps, actor, make_actor):
    cheese = Category.objects.first()
    market = make_actor(name="Marché", kind=ActorKind.MARKET, lat=47.6, lon=1.6)

    def save():
        actor.name = "Nouveau nom"
        actor.save()

    writes = {
        "create": lambda: make_actor(lat=47.2, lon=1.2),
        "save": save,
        "queryset update of the position": lambda: Actor.objects.filter(pk=actor.pk).update(
            location=Point(1.51, 47.51, srid=4326)
        ),
        "bulk_create": lambda: Actor.objects.bulk_create(
            [
                Actor(
                    name="En masse",
                    slug="en-masse",
                    kind="producer",
                    status=ModerationStatus.PUBLISHED,
                    location=Point(1, 47),
                )
            ]
        ),
        "bulk_update": lambda: Actor.objects.bulk_update([actor], ["name"]),
        "categories add": lambda: actor.categories.add(cheese),
        "categories remove": lambda: actor.categories.remove(cheese),
        "labels set": lambda: actor.labels.set(Label.objects.all()[:1]),
        "labels clear": lambda: actor.labels.clear(),
        "sale modes add": lambda: actor.sale_modes.add(SaleMode.objects.first()),
        "opening slot": lambda: OpeningSlot.objects.create(
            actor=actor, weekday=2, opens=datetime.time(9), closes=datetime.time(12)
        ),
        "opening slots deleted": lambda: actor.opening_slots.all().delete(),
        "season": lambda: Season.objects.create(
            actor=actor, start_month=4, start_day=1, end_month=10, end_day=31
        ),
        "schedule exception": lambda: ScheduleException.objects.create(
            actor=actor, date=datetime.date(2026, 12, 25)
        ),
        "distribution link": lambda: DistributionLink.objects.create(actor=actor, place=market),
        "category renamed": lambda: Category.objects.filter(pk=cheese.pk).update(name="Fromages"),
        "moderation status": lambda: Actor.objects.filter(pk=actor.pk).update(
            status=ModerationStatus.PENDING
        ),
        "territories imported": lambda: territories_imported.send(sender=None, communes=[]),
        "delete": lambda: Actor.objects.get(slug="en-masse").delete(),
        "queryset delete": lambda: Actor.objects.filter(pk=market.pk).delete(),
    }
    moved = {name: bumps(write) for name, write in writes.items()}
    # Category.objects.update is a plain QuerySet's: taxonomy edits go through the admin's
    # save(), which bumps; a bulk rename by code must call bump() itself.
    moved.pop("category renamed")
    assert moved == dict.fromkeys(moved, 1), {k: v for k, v in moved.items() if v != 1}


def test_a_rename_through_save_bumps(bumps):
    category = Category.objects.first()
    category.name = "Fromages"
    assert bumps(category.save) == 1


def test_many_writes_in_one_transaction_bump_once(bumps, make_actor):
    def many():
        with transaction.atomic():
            for i in range(5):
                make_actor(lat=47 + i / 100, lon=1.5)

    assert bumps(many) == 1


def test_a_rolled_back_write_bumps_nothing(make_actor, django_capture_on_commit_callbacks):
    before = dataversion.current()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                make_actor(lat=47.5, lon=1.5)
                raise RuntimeError
        except RuntimeError:
            pass
    assert dataversion.current() == before


def test_page_views_and_private_writes_do_not_bump(bumps, client):
    assert bumps(lambda: client.get("/inscription/")) == 0
    assert (
        bumps(lambda: PageViewDay.objects.create(day=datetime.date(2026, 1, 1), page="home")) == 0
    )


def test_reading_the_version_is_one_primary_key_read():
    with CaptureQueriesContext(connection) as queries:
        dataversion.current()
    (query,) = queries
    assert "directory_actor" not in query["sql"] and "directory_dataversion" in query["sql"]


def test_home_figures_come_from_the_cache_until_the_version_moves(
    client, make_actor, django_capture_on_commit_callbacks
):
    make_actor(lat=47.5, lon=1.5)

    def counting_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        assert response.status_code == 200
        return [q for q in queries if "COUNT(" in q["sql"] and "directory_actor" in q["sql"]]

    assert counting_queries(), "the first view counts"
    assert not counting_queries(), "the second view counted the actors again"
    with django_capture_on_commit_callbacks(execute=True):
        make_actor(lat=47.6, lon=1.6)
    assert counting_queries(), "a write must refresh the figures"


def test_a_registration_the_public_does_not_see_bumps_nothing_until_published(bumps, make_actor):
    """A registration's steps write a pending listing many times: the map's cells must not
    be rebuilt for each."""
    cheese = Category.objects.first()
    pending = {}

    def register():
        pending["actor"] = make_actor(lat=47.3, lon=1.3, status=ModerationStatus.PENDING)

    assert bumps(register) == 0
    actor = pending["actor"]

    def steps():
        actor.name = "Ferme en cours d'inscription"
        actor.save()
        actor.categories.add(cheese)
        OpeningSlot.objects.create(
            actor=actor, weekday=3, opens=datetime.time(9), closes=datetime.time(12)
        )

    assert bumps(steps) == 0

    def publish():
        again = Actor.objects.get(pk=actor.pk)
        again.status = ModerationStatus.PUBLISHED
        again.save()

    assert bumps(publish) == 1

    def unpublish():
        again = Actor.objects.get(pk=actor.pk)
        again.status = ModerationStatus.PENDING
        again.save()

    assert bumps(unpublish) == 1, "withdrawing a listing changes the map"


def test_a_rolled_back_savepoint_does_not_swallow_a_later_bump(
    bumps, make_actor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        actor = make_actor(lat=47.5, lon=1.5)

    def write():
        with transaction.atomic():
            try:
                with transaction.atomic():
                    make_actor(lat=47.1, lon=1.1)
                    raise RuntimeError
            except RuntimeError:
                pass
            OpeningSlot.objects.create(
                actor=actor, weekday=4, opens=datetime.time(9), closes=datetime.time(12)
            )

    assert bumps(write) == 1


def test_a_bulk_insert_of_listings_nobody_sees_bumps_nothing(bumps):
    def insert(status):
        return lambda: Actor.objects.bulk_create(
            [
                Actor(
                    name=f"Import {status}",
                    slug=f"import-{status}",
                    kind="producer",
                    status=status,
                    location=Point(1, 47),
                )
            ]
        )

    # An import into a source that does not publish: its listings wait for moderation.
    assert bumps(insert(ModerationStatus.PENDING)) == 0
    assert bumps(insert(ModerationStatus.PUBLISHED)) == 1
