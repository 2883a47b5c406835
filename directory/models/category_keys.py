"""Actor.category_keys kept in step with the actors' categories.

Every change made through the relation (``actor.categories.set/add/remove/clear``, which
forms, the admin, moderation, imports and merges use) refreshes the actor, in the same
transaction (changes from the category's side are refused by the history of categories,
which needs the actor; they would refresh the actors named too); deleting a category refreshes the actors that
had it. Bulk inserts of link rows (demo data) call ``refresh_category_keys()`` themselves,
and ``Actor.objects.stale_category_keys()`` finds any actor left behind (tests check it
after every writer).
"""

from django.db.models.signals import m2m_changed, post_delete, pre_delete


def _actor_model():
    from .actor import Actor

    return Actor


def _refresh(pks, using) -> None:
    Actor = _actor_model()
    pks = list(pks)
    for start in range(0, len(pks), 1000):  # SQLite's variable limit
        Actor.objects.db_manager(using).filter(
            pk__in=pks[start : start + 1000]
        ).refresh_category_keys()


def _on_change(sender, instance, action, reverse, pk_set, using, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # category.actors.…: the actors named, or for clear() every one left stale
        Actor = _actor_model()
        _refresh(
            pk_set or Actor.objects.using(using).stale_category_keys().values_list("pk", flat=True),
            using,
        )
        return
    _refresh([instance.pk], using)
    instance.category_keys = (
        _actor_model()
        .objects.db_manager(using)
        .filter(pk=instance.pk)
        .values_list("category_keys", flat=True)
        .first()
        or ""
    )


def _before_category_deletion(sender, instance, using, **kwargs):
    # The links go with the category without an m2m signal: remember whose they were.
    instance._category_keys_actors = list(instance.actors.using(using).values_list("pk", flat=True))


def _after_category_deletion(sender, instance, using, **kwargs):
    _refresh(getattr(instance, "_category_keys_actors", ()), using)


def connect() -> None:
    """Connect the receivers (AppConfig.ready)."""
    from .taxonomy import Category

    Actor = _actor_model()
    m2m_changed.connect(_on_change, sender=Actor.categories.through, dispatch_uid="category_keys")
    pre_delete.connect(_before_category_deletion, sender=Category, dispatch_uid="category_keys.pre")
    post_delete.connect(
        _after_category_deletion, sender=Category, dispatch_uid="category_keys.post"
    )
