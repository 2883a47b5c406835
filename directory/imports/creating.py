"""The new listings of an import batch, written in bulk.

One by one, each new listing cost about twenty statements (its slug, ``save()``, two
history records and their categories, the categories, the labels, the hours), most of the
import's time. Here a batch's new listings are written with a statement or two per table:
their slugs chosen together, the listings inserted in bulk (``directory.bulk_insert``,
without Django's compilation of every value), then their categories, labels, seasons and
weekly hours, and one history record each, « + », copied in the database from the rows
just written, with the categories it was created with (where ``save()`` then
``categories.set()`` wrote an empty « + » and a « ~ »).

What ``save()`` and the relations' signals do is done here for the whole batch: the public
position and the data version bump (``ActorQuerySet.insert_new``), the search text, the
stored category keys (as ``refresh_category_keys`` computes them).
"""

from django.apps import apps
from django.conf import settings
from django.db import connections, router
from django.utils import timezone

from .. import bulk_insert
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
    ids = _related_ids(pending)
    # The stored category keys (RelatedKeys: the categories' pks in ascending order) are
    # known before the insert: written with the listings, not by an UPDATE after.
    for actor, values in zip(actors, pending, strict=True):
        actor.category_keys = " ".join(
            str(pk) for pk in sorted(_chosen(values, "categories", ids["categories"]).values())
        )
    # The history records are written once the categories are known (below): inserting the
    # listings alone, then their records, keeps the « + » record whole.
    Actor.objects.insert_new(actors)
    through_rows = _relations(actors, pending, ids)
    store.write_new(
        [(actor, values.get("hours")) for actor, values in zip(actors, pending, strict=True)]
    )
    records = _history(actors, _user(user))
    _category_history(records, through_rows.get("categories", []))


def _history(actors, user) -> dict[int, int] | None:
    """The « + » history record of each new listing, {listing pk: record pk}; None when
    history is off.

    Copied from the rows just written, in the database (INSERT … SELECT): what
    ``bulk_history_create()`` does with a model instance per record and Django's insert
    compilation, half the cost of writing the listings. Where a record needs what only
    simple_history computes (a user, date or reason set on an instance), it does it.
    """
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return None
    model = Actor.history.model
    connection = connections[router.db_for_write(Actor)]
    if not connection.features.can_return_rows_from_bulk_insert or any(
        hasattr(a, attr)
        for a in actors
        for attr in ("_history_user", "_history_date", "_change_reason")
    ):
        records = Actor.history.bulk_history_create(actors, default_user=user)
        return {record.id: record.pk for record in records}
    if user is None:
        user = model.get_default_history_user(actors[0])
    q = connection.ops.quote_name
    tracked = [q(f.column) for f in model.tracked_fields]
    extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    columns = ", ".join([*tracked, *(q(c) for c in extra)])
    copied = ", ".join(tracked)
    now = model._meta.get_field("history_date").get_db_prep_save(timezone.now(), connection)
    records = {}
    with connection.cursor() as cursor:
        for start in range(0, len(actors), bulk_insert.ROWS_PER_STATEMENT):
            keys = [a.pk for a in actors[start : start + bulk_insert.ROWS_PER_STATEMENT]]
            cursor.execute(
                f"INSERT INTO {q(model._meta.db_table)} ({columns}) "  # noqa: S608 (quoted identifiers)
                f"SELECT {copied}, %s, %s, %s, %s FROM {q(Actor._meta.db_table)} "
                f"WHERE {q('id')} IN ({', '.join(['%s'] * len(keys))}) "
                f"RETURNING {q('id')}, {q('history_id')}",
                [now, "", "+", user.pk if user else None, *keys],
            )
            records.update(cursor.fetchall())
    return records


def _user(user):
    return user if user is not None and user.is_authenticated else None


def _related_ids(pending) -> dict[str, dict]:
    """{relation: {slug: pk}} of the categories and labels the new listings name, one query
    per table."""
    ids = {}
    for field, (model, _column) in RELATIONS.items():
        slugs = {slug for values in pending for slug in (values.get(field) or ())}
        ids[field] = (
            dict(model.objects.filter(slug__in=slugs).values_list("slug", "pk")) if slugs else {}
        )
    return ids


def _chosen(values: dict, field: str, ids: dict) -> dict:
    """{slug: pk} of one listing's known categories or labels, in slug order."""
    return {slug: ids[slug] for slug in sorted(set(values.get(field) or ())) if slug in ids}


def _relations(actors, pending, ids) -> dict[str, list]:
    """The categories and labels of the new listings, one insert per table."""
    inserted = {}
    for field, (_model, column) in RELATIONS.items():
        if not ids[field]:
            continue
        through = getattr(Actor, field).through
        rows = [
            through(actor_id=actor.pk, **{column: pk})
            for actor, values in zip(actors, pending, strict=True)
            for pk in _chosen(values, field, ids[field]).values()
        ]
        inserted[field] = bulk_insert.insert(rows, using=router.db_for_write(through))
    return inserted


def _category_history(records, rows) -> None:
    """Each « + » record's categories, as simple_history stores them for a saved listing."""
    if not rows or not records:  # history off (SIMPLE_HISTORY_ENABLED)
        return
    model = apps.get_model("directory", "HistoricalActor_categories")
    bulk_insert.insert(
        [
            model(
                history_id=records[row.actor_id],
                id=row.pk,
                actor_id=row.actor_id,
                category_id=row.category_id,
            )
            for row in rows
        ],
        using=router.db_for_write(model),
    )
