"""manage.py demo_data: realistic, deterministic, idempotent."""

import re
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from directory.models import Actor, ActorKind, DistributionLink, ModerationStatus
from geodata.models import Commune

pytestmark = pytest.mark.django_db

REGION = ["18", "28", "36", "37", "41", "45"]


def snapshot():
    return list(
        Actor.objects.order_by("source_key").values_list(
            "source_key", "name", "kind", "phone", "location"
        )
    )


def test_default_demo_looks_like_the_2020_platform(capsys):
    call_command("demo_data", "--no-progress")
    assert "600 acteur(s) créé(s)" in capsys.readouterr().out
    kinds = Counter(Actor.objects.values_list("kind", flat=True))
    assert sum(kinds.values()) == 600
    assert kinds[ActorKind.PRODUCER] + kinds[ActorKind.FARM_SHOP] == 410
    assert (kinds[ActorKind.SHOP], kinds[ActorKind.ARTISAN]) == (60, 40)
    assert kinds[ActorKind.MARKET] >= 30 and kinds[ActorKind.PICKUP] >= 20

    # Every actor lies inside the outline of its commune, in the configured region.
    assert not Actor.objects.exclude(commune__departement__code__in=REGION).exists()
    outside = [
        a
        for a in Actor.objects.select_related("commune")
        if not a.commune.outline.contains(a.location)
    ]
    assert outside == []

    # Phones in ARCEP's fiction ranges only.
    fiction = re.compile(r"^(02 61 91|06 39 98|01 99 00|03 53 01|04 65 71|05 36 49) \d\d \d\d$")
    assert all(fiction.match(p) for p in Actor.objects.values_list("phone", flat=True))

    # Markets have weekly days; producers sell there and at pick-up points.
    assert not Actor.objects.filter(kind=ActorKind.MARKET, opening_slots__isnull=True).exists()
    links = DistributionLink.objects.select_related("place", "actor")
    assert {link.place.kind for link in links} == {ActorKind.MARKET, ActorKind.PICKUP}
    assert {link.actor.kind for link in links} == {ActorKind.PRODUCER, ActorKind.FARM_SHOP}
    assert all(link.weekday is not None for link in links)
    assert Actor.objects.filter(status=ModerationStatus.PUBLISHED).count() > 550
    assert Actor.objects.filter(categories__isnull=False).distinct().count() > 500


def test_demo_is_deterministic_and_idempotent(capsys):
    call_command("demo_data", "--size", "120", "--seed", "7", "--no-progress")
    first = snapshot()
    call_command("demo_data", "--size", "120", "--seed", "7", "--no-progress")
    assert "0 acteur(s) créé(s)" in capsys.readouterr().out.splitlines()[-1]
    assert snapshot() == first
    links = DistributionLink.objects.count()
    Actor.objects.all().delete()
    call_command("demo_data", "--size", "120", "--seed", "7", "--no-progress")
    assert snapshot() == first
    assert DistributionLink.objects.count() == links
    # Growing the set keeps the first ones.
    call_command("demo_data", "--size", "150", "--seed", "7", "--no-progress")
    assert Actor.objects.count() == 150


def test_demo_names_are_french():
    call_command("demo_data", "--size", "300", "--no-progress")
    names = list(Actor.objects.values_list("name", flat=True))
    assert not any("de Orléans" in n or "de Le " in n for n in names)
    assert any(n.startswith(("Marché d", "Marché du", "Marché de")) for n in names)


@pytest.mark.parametrize("size", ["0", "-4", "600000"])
def test_demo_rejects_bad_sizes(size):
    with pytest.raises(CommandError, match="--size"):
        call_command("demo_data", "--size", size, "--no-progress")


def test_demo_needs_territories():
    Commune.objects.update(outline=None)
    with pytest.raises(CommandError, match="import_territories"):
        call_command("demo_data", "--no-progress")
