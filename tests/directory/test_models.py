"""Actor model rules: visibility, slugs, schedules, distribution links, seeded references."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from directory.models import (
    Actor,
    ActorKind,
    Category,
    DistributionLink,
    Label,
    ModerationStatus,
    OpeningSlot,
    SaleMode,
    ScheduleException,
    Season,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model):
    owner = django_user_model.objects.create_user("owner", "o@example.org")
    other = django_user_model.objects.create_user("other", "x@example.org")
    moderator = django_user_model.objects.create_user("moderator", "m@example.org")
    moderator.user_permissions.add(Permission.objects.get(codename="view_actor"))
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "pw")
    return {"owner": owner, "other": other, "moderator": moderator, "admin": admin}


def test_published_and_visible_to(make_actor, people):
    public = make_actor(name="Publiée")
    pending = make_actor(name="En attente", status=ModerationStatus.PENDING, owner=people["owner"])
    rejected = make_actor(name="Refusée", status=ModerationStatus.REJECTED)
    assert list(Actor.objects.published()) == [public]
    assert set(Actor.objects.visible_to(AnonymousUser())) == {public}
    assert set(Actor.objects.visible_to(None)) == {public}
    assert set(Actor.objects.visible_to(people["owner"])) == {public, pending}
    assert set(Actor.objects.visible_to(people["other"])) == {public}
    assert set(Actor.objects.visible_to(people["moderator"])) == {public, pending, rejected}
    assert set(Actor.objects.visible_to(people["admin"])) == {public, pending, rejected}


def test_slugs_are_unique_and_readable(make_actor):
    a = make_actor(name="La Chèvrerie du Val")
    b = make_actor(name="La Chèvrerie du Val")
    c = make_actor(name="!!!")
    assert (a.slug, b.slug, c.slug) == ("la-chevrerie-du-val", "la-chevrerie-du-val-2", "acteur")
    assert a.get_absolute_url() == "/acteurs/la-chevrerie-du-val/"
    a.name = "Autre nom"
    a.save()
    assert a.slug == "la-chevrerie-du-val"  # stable links: renaming keeps the URL


def test_slugs_past_the_tried_suffixes_and_gaps(make_actor):
    from directory.models.actor import SLUG_TRIES

    made = [make_actor(name="Marché") for _ in range(SLUG_TRIES + 2)]
    assert [m.slug for m in made] == ["marche"] + [f"marche-{n}" for n in range(2, SLUG_TRIES + 3)]
    # A freed slug among the first ones is taken again; "marche-du-port" is another base.
    make_actor(name="Marché du port")
    made[3].delete()
    assert make_actor(name="Marché").slug == "marche-4"
    assert make_actor(name="Marché").slug == f"marche-{SLUG_TRIES + 3}"


def test_source_key_is_unique_per_source(make_actor):
    make_actor(source="chambre-45", source_key="A1")
    make_actor(source="chambre-41", source_key="A1")
    make_actor(source="", source_key="")
    make_actor(source="", source_key="")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_actor(source="chambre-45", source_key="A1")


def test_public_location_of_a_home_based_producer_is_the_commune(make_actor):
    from geodata.models import Commune

    olivet = Commune.objects.get(code="45232")
    home = make_actor(lat=47.86, lon=1.89, commune=olivet, location_is_approximate=True)
    shop = make_actor(lat=47.86, lon=1.89, commune=olivet)
    assert home.public_location == olivet.townhall
    assert shop.public_location == shop.location


def test_public_coordinates_read_in_the_database_match_public_location(make_actor):
    from geodata.models import Commune

    olivet = Commune.objects.get(code="45232")
    no_townhall = Commune.objects.get(code="45234")
    no_townhall.townhall = None
    no_townhall.save()
    actors = [
        make_actor(lat=47.86, lon=1.89, commune=olivet, location_is_approximate=True),
        make_actor(lat=47.87, lon=1.9, commune=no_townhall, location_is_approximate=True),
        make_actor(lat=47.86, lon=1.89, commune=olivet),
    ]
    rows = {
        row["pk"]: (row["lon"], row["lat"])
        for row in Actor.objects.with_public_coordinates().values("pk", "lon", "lat")
    }
    for actor in Actor.objects.filter(pk__in=[a.pk for a in actors]).select_related("commune"):
        point = actor.public_location
        assert rows[actor.pk] == pytest.approx((point.x, point.y), abs=1e-7)
    assert rows[actors[0].pk] != rows[actors[2].pk]
    # The pin of the commune without a town hall lies inside its outline, not at home.
    assert no_townhall.outline.contains(Actor.objects.get(pk=actors[1].pk).public_location)


def test_seeded_references():
    slugs = set(Category.objects.values_list("slug", flat=True))
    assert {
        "fruits-legumes",
        "viande",
        "poisson",
        "pain",
        "fromage-laitier",
        "oeufs",
        "miel",
        "epicerie",
        "hygiene",
        "plantes",
        "fleurs",
        "boissons",
    } <= slugs
    assert {"sur-place", "marche", "point-retrait", "livraison", "telephone", "en-ligne"} <= set(
        SaleMode.objects.values_list("slug", flat=True)
    )
    assert Label.objects.filter(slug="bio").exists()


@pytest.mark.parametrize(
    "season, date, inside",
    [
        ((5, 1, 10, 31), datetime.date(2026, 5, 1), True),
        ((5, 1, 10, 31), datetime.date(2026, 10, 31), True),
        ((5, 1, 10, 31), datetime.date(2026, 11, 1), False),
        ((11, 1, 3, 31), datetime.date(2026, 1, 15), True),  # wraps the new year
        ((11, 1, 3, 31), datetime.date(2026, 7, 15), False),
    ],
)
def test_season_contains(make_actor, season, date, inside):
    sm, sd, em, ed = season
    s = Season(actor=make_actor(), name="S", start_month=sm, start_day=sd, end_month=em, end_day=ed)
    assert s.contains(date) is inside


def test_invalid_season_date_is_rejected(make_actor):
    with pytest.raises(ValidationError):
        Season(
            actor=make_actor(), name="S", start_month=2, start_day=30, end_month=3, end_day=1
        ).clean()


def test_schedule_constraints(make_actor):
    actor = make_actor()
    with pytest.raises(IntegrityError), transaction.atomic():
        OpeningSlot.objects.create(
            actor=actor, weekday=0, opens=datetime.time(12), closes=datetime.time(9)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduleException.objects.create(
            actor=actor, date=datetime.date(2026, 12, 25), closed=False
        )
    ScheduleException.objects.create(
        actor=actor, date=datetime.date(2026, 12, 25), closed=True, note="Noël"
    )
    assert actor.schedule_exceptions.count() == 1


def test_distribution_links(make_actor):
    farm = make_actor(name="Ferme")
    market = make_actor(name="Marché", kind=ActorKind.MARKET)
    other_farm = make_actor(name="Autre ferme")
    link = DistributionLink.objects.create(
        actor=farm, place=market, weekday=5, starts=datetime.time(8), ends=datetime.time(12)
    )
    assert list(market.supplier_links.all()) == [link]
    with pytest.raises(ValidationError):
        DistributionLink(actor=farm, place=other_farm).clean()
    with pytest.raises(ValidationError):
        DistributionLink(
            actor=farm, place=market, starts=datetime.time(12), ends=datetime.time(8)
        ).clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        DistributionLink.objects.create(actor=farm, place=farm)
