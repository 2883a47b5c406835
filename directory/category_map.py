"""The categories' slugs from their keys, for the proximity search's page.

The page's statement (directory.ranking) reads each row's stored category keys
(Actor.category_keys) and the data version in the same snapshot; this maps the keys to
slugs in the reference order with a map kept per process. The map is reloaded when the data version
moves (taxonomy writes bump it, in every process) and dropped at once by the category
saves and deletions of this process (which happen inside a transaction, before any bump).
"""

from django.db.models.signals import post_delete, post_save

from .models import Category

# Combinations of categories remembered per map; past that, the memo starts again.
COMBINATIONS_KEPT = 4096

# {database alias: (data version, {category key: (rank in the reference order, slug)},
#                   {keys as the statement writes them: slugs})}: few combinations recur.
_CATEGORIES: dict[str, tuple[int | None, dict[int, tuple[int, str]], dict[str, str]]] = {}


def _category_map(connection, version) -> tuple[dict[int, tuple[int, str]], dict[str, str]]:
    kept = _CATEGORIES.get(connection.alias)
    if kept is None or kept[0] != version:
        slugs = Category.objects.using(connection.alias).values_list("pk", "slug")  # Meta order
        kept = _CATEGORIES[connection.alias] = (
            version,
            {pk: (rank, slug) for rank, (pk, slug) in enumerate(slugs)},
            {},
        )
    return kept[1], kept[2]


def category_slugs(connection, version, keys: str | None) -> str:
    """The slugs of the categories ``keys`` ("3 12 5"), in the reference order, as
    RelatedSlugs writes them ("legumes fruits"); ``version`` is the data version the keys
    were read under."""
    if not keys:
        return ""
    known, combinations = _category_map(connection, version)
    slugs = combinations.get(keys)
    if slugs is None:
        wanted = [int(key) for key in keys.split()]
        if any(key not in known for key in wanted):
            # A category newer than the map under the same version: reload once.
            _CATEGORIES.pop(connection.alias, None)
            known, combinations = _category_map(connection, version)
        ranked = sorted(known[key] for key in wanted if key in known)
        slugs = combinations[keys] = " ".join(slug for _rank, slug in ranked)
        if len(combinations) > COMBINATIONS_KEPT:
            combinations.clear()
    return slugs


def forget(**kwargs) -> None:
    """Drop every map (a category was saved or deleted here)."""
    _CATEGORIES.clear()


def connect() -> None:
    """Connect the receivers (AppConfig.ready)."""
    post_save.connect(forget, sender=Category, dispatch_uid="category_map.save")
    post_delete.connect(forget, sender=Category, dispatch_uid="category_map.delete")
