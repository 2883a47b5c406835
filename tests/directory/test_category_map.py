"""A proximity search's page reads its rows' category keys and maps them to slugs with a
map kept per process (directory.category_map): it must never show a category as it was."""

import pytest
from django.db import connection

from directory import category_map
from directory.models import Actor, ActorKind, Category

CENTRE = "47.0,1.5"


def categories_of(client, slug):
    response = client.get("/api/v1/actors/", {"near": CENTRE, "radius": 30}, secure=True)
    assert response.status_code == 200, response.content[:300]
    found = [f for f in response.json()["features"] if f["properties"]["slug"] == slug]
    assert found, f"{slug} is not in the results"
    return found[0]["properties"]["categories"]


@pytest.fixture
def farm(make_actor):
    actor = make_actor(47.01, 1.51, name="Ferme des Essais", kind=ActorKind.PRODUCER)
    first, second = Category.objects.order_by("position", "name")[:2]
    actor.categories.set([second, first])
    return actor, first, second


def test_slugs_come_in_the_reference_order(client, farm):
    actor, first, second = farm
    assert categories_of(client, actor.slug) == [first.slug, second.slug]


def test_a_renamed_or_reordered_category_shows_at_once(client, farm):
    actor, first, second = farm
    categories_of(client, actor.slug)  # the map is built
    first.slug = "renommee"
    first.save()
    assert categories_of(client, actor.slug)[0] == "renommee", "the page showed the old slug"
    first.position = second.position + 1
    first.save()
    assert categories_of(client, actor.slug) == [second.slug, "renommee"], "the old order"


def test_a_new_category_is_found_and_a_stale_version_reloads(client, farm):
    actor, first, _second = farm
    categories_of(client, actor.slug)
    new = Category.objects.create(name="Safran", slug="safran", position=999)
    actor.categories.add(new)
    assert categories_of(client, actor.slug)[-1] == "safran"
    # Another process's edit: only the data version tells (here: the map says an older one).
    alias = connection.alias
    version, mapping, combinations = category_map._CATEGORIES[alias]
    mapping[new.pk] = (mapping[new.pk][0], "ancien-nom")
    combinations.clear()
    assert categories_of(client, actor.slug)[-1] == "ancien-nom", "the map was not used"
    category_map._CATEGORIES[alias] = ((version or 0) - 1, mapping, combinations)
    assert categories_of(client, actor.slug)[-1] == "safran", "a moved version did not reload"


def test_same_slugs_as_the_html_list(client, farm):
    """The API's page (keys mapped here) and the list's rows (slugs read by the database)."""
    from directory.search import Search, SearchForm, load_features

    actor, _first, _second = farm
    form = SearchForm({"near": CENTRE, "radius": "30"})
    assert form.is_valid(), form.errors
    search = Search.from_form(form)
    listed = {
        f["id"]: f["properties"]["categories"] for f in load_features(search.results(), 0, 100)
    }
    response = client.get("/api/v1/actors/", {"near": CENTRE, "radius": 30}, secure=True)
    api = {f["id"]: f["properties"]["categories"] for f in response.json()["features"]}
    assert api == {pk: listed[pk] for pk in api}, "the API and the list disagree on categories"
    assert Actor.objects.filter(pk__in=api).count() == len(api)
