"""The new listings of an import batch, written in bulk.

One by one, each new listing cost about twenty statements (its slug, ``save()``, two
history records and their categories, the categories, the labels, the hours), most of the
import's time. Here a batch's new listings are written with a statement or two per table:
their slugs chosen together, the listings and their history records inserted in bulk
(``bulk_create_with_history``: one record each, « + », with the categories it was created
with, where ``save()`` then ``categories.set()`` wrote an empty « + » and a « ~ »), then
their categories, labels, seasons and weekly hours.

What ``save()`` and the relations' signals do is done here for the whole batch: the public
position and the data version bump (``ActorQuerySet.bulk_create``), the search text, the
stored category keys (``refresh_category_keys``).
"""

from django.apps import apps

from ..hours import store
from ..models import Actor, Category, Label
from ..models.actor import unique_slugs

RELATIONS = {"categories": (Category, "category_id"), "labels": (Label, "label_id")}


def create_listings(actors: list[Actor], laters: list[list], user=None) -> None:
    """Insert ``actors`` (new, unsaved, their fields assigned) and what ``laters`` holds for
    each (listing.assign()'s many-to-many assignments), in the caller's transaction."""
    if not actors:
        return
    for actor, slug in zip(actors, unique_slugs([a.name for a in actors]), strict=True):
        actor.slug = slug
        actor.search_text = actor.build_search_text()
    pending = [{field: value for field, _model, value in later} for later in laters]
    # The history records are written once the categories are known (below): inserting the
    # listings alone, then their records, keeps the « + » record whole.
    Actor.objects.bulk_create(actors)
    through_rows = _relations(actors, pending)
    Actor.objects.filter(pk__in=[a.pk for a in actors]).refresh_category_keys()
    store.write_new(
        [(actor, values.get("hours")) for actor, values in zip(actors, pending, strict=True)]
    )
    history = Actor.history.bulk_history_create(actors, default_user=_user(user))
    _category_history(history, through_rows.get("categories", []))


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _relations(actors, pending) -> dict[str, list]:
    """The categories and labels of the new listings, one query and one insert per table."""
    inserted = {}
    for field, (model, column) in RELATIONS.items():
        slugs = {slug for values in pending for slug in (values.get(field) or ())}
        if not slugs:
            continue
        ids = dict(model.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        through = getattr(Actor, field).through
        rows = [
            through(actor_id=actor.pk, **{column: ids[slug]})
            for actor, values in zip(actors, pending, strict=True)
            for slug in sorted(set(values.get(field) or ()))
            if slug in ids
        ]
        inserted[field] = through.objects.bulk_create(rows)
    return inserted


def _category_history(history, rows) -> None:
    """Each « + » record's categories, as simple_history stores them for a saved listing."""
    if not rows or not history:  # history off (SIMPLE_HISTORY_ENABLED) returns None
        return
    model = apps.get_model("directory", "HistoricalActor_categories")
    record_of = {record.id: record for record in history}  # the listing's pk: its record
    model.objects.bulk_create(
        model(
            history=record_of[row.actor_id],
            id=row.pk,
            actor_id=row.actor_id,
            category_id=row.category_id,
        )
        for row in rows
    )
