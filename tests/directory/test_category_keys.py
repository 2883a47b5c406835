"""Actor.category_keys, what a proximity search's page reads instead of the link table,
follows every change of an actor's categories (directory.models.category_keys). Every
database test of the suite also checks it at its end (tests/conftest.py)."""

import pytest

from directory.models import Actor, Category

pytestmark = pytest.mark.django_db


def keys(*categories) -> str:
    return " ".join(str(c.pk) for c in sorted(categories, key=lambda c: c.pk))


def stored(actor) -> str:
    return Actor.objects.values_list("category_keys", flat=True).get(pk=actor.pk)


@pytest.fixture
def three():
    return list(Category.objects.order_by("pk")[:3])


def test_every_change_through_the_actor(make_actor, three):
    a, b, c = three
    actor = make_actor()
    assert stored(actor) == ""
    actor.categories.set([c, a])
    assert stored(actor) == keys(a, c) == actor.category_keys
    actor.categories.add(b)
    assert stored(actor) == keys(a, b, c)
    actor.categories.remove(a)
    assert stored(actor) == keys(b, c) == actor.category_keys
    actor.categories.clear()
    assert stored(actor) == "" == actor.category_keys


def test_deleting_a_category_refreshes_its_actors(make_actor):
    gone = Category.objects.create(name="Éphémère", slug="ephemere", position=99)
    kept = Category.objects.order_by("pk").first()
    actor = make_actor()
    actor.categories.set([gone, kept])
    gone.delete()
    assert stored(actor) == keys(kept)


def test_saving_an_older_copy_keeps_the_keys(make_actor, three):
    a, b, _c = three
    actor = make_actor()
    older = Actor.objects.get(pk=actor.pk)  # loaded before the change
    actor.categories.set([a, b])
    older.name = "Nouveau nom"
    older.save()
    assert stored(actor) == keys(a, b), "save() wrote back the keys it had loaded"
    assert Actor.objects.get(pk=actor.pk).name == "Nouveau nom"


def test_saving_a_partly_loaded_actor_writes_only_what_it_loaded(make_actor, three):
    actor = make_actor(description="Présentation d'origine")
    actor.categories.set(three[:1])
    partial = Actor.objects.defer("description").get(pk=actor.pk)
    partial.name = "Autre nom"
    partial.save()
    fresh = Actor.objects.get(pk=actor.pk)
    assert (fresh.name, fresh.description) == ("Autre nom", "Présentation d'origine")
    assert stored(actor) == keys(three[0])


def test_a_copy_with_its_key_cleared_is_a_new_row(make_actor):
    actor = make_actor(name="Modèle")
    actor.pk = None
    actor.slug = ""
    actor.save()
    assert Actor.objects.filter(name="Modèle").count() == 2


def test_a_bulk_write_is_found_stale_until_refreshed(make_actor, three):
    actor = make_actor()
    Actor.categories.through.objects.create(actor_id=actor.pk, category_id=three[0].pk)
    assert list(Actor.objects.stale_category_keys()) == [actor]
    assert Actor.objects.filter(pk=actor.pk).refresh_category_keys() == 1
    assert not Actor.objects.stale_category_keys().exists()
