"""The data version: a counter bumped after every committed write that can change public
output, so that the map layer and the home page's figures are cached under it.

Reading it is one primary-key read (``current()``), never an aggregate over the actor
table. Writes bump it once per transaction, after commit (``transaction.on_commit``): a
reader that sees the new number also sees the new rows, and a rolled-back write bumps
nothing. What bumps it: saves and deletions of actors and of what public filters read
(schedules, distribution links, taxonomy), photos, « Fenêtre sur » portraits, import
sources and territories edited one by one (the public pages show them), the actors' and
portraits' many-to-many changes, the actor
queryset's update/bulk_create/bulk_update/delete, territory imports; not the writes about
a listing the public neither saw nor sees (a registration's steps). Commands that write
with raw SQL call ``bump()`` themselves.
"""

from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

DATA = "data"


def _model():
    from .models import DataVersion

    return DataVersion


def current(name: str = DATA, default: int = 0, using: str | None = None) -> int:
    """The counter's value (``default`` without its row): one primary-key read, on
    ``using`` (else where the router sends it)."""
    model = _model()
    using = using or router.db_for_read(model)
    # Read on most requests (layer tiles, pages): plain SQL, not a queryset compiled each
    # time (the compilation cost more than the read).
    meta, quote = model._meta, connections[using].ops.quote_name
    sql = "SELECT {} FROM {} WHERE {} = %s".format(  # noqa: S608 (identifiers from model meta)
        quote(meta.get_field("value").column), quote(meta.db_table), quote(meta.pk.column)
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [name])
        row = cursor.fetchone()
    return default if row is None else row[0]


def _bump_now(using: str) -> None:
    model = _model()
    rows = model.objects.using(using).filter(pk=DATA)
    if not rows.update(value=F("value") + 1):
        model.objects.using(using).get_or_create(pk=DATA, defaults={"value": 1})


def bump(using: str | None = None) -> None:
    """Bump the data version once the current transaction commits (now, in autocommit).

    Many writes in one transaction (an import) bump it once: their callbacks share one
    pending bump, done by the first that runs after commit.
    """
    using = using or router.db_for_write(_model())
    connection = connections[using]
    pending = getattr(connection, "_dataversion_pending", None)
    if pending is None or pending["done"] or not connection.in_atomic_block:
        pending = connection._dataversion_pending = {"done": False}

    def callback():
        if not pending["done"]:
            pending["done"] = True
            _bump_now(using)

    callback.pending = pending
    transaction.on_commit(callback, using=using)


def cached(name: str, compute, timeout: int = 86_400):
    """``compute()``, kept in the shared cache until the data version moves."""
    from django.core.cache import cache

    return cache.get_or_set(f"{name}:v{current()}", compute, timeout)


def is_public(actor) -> bool:
    """Whether the public may see this actor (True when its status was not loaded)."""
    from .models import ModerationStatus

    status = actor.__dict__.get("status")
    return status is None or status == ModerationStatus.PUBLISHED


def _remember(sender, instance, **kwargs):
    # post_init: what the public saw of this actor before any change made to it here.
    instance._was_public = is_public(instance)


def _on_actor(sender, instance, using=None, created=False, **kwargs):
    # A listing the public never saw and still does not see (a registration's steps, a
    # pending edit) changes nothing public: registrations do not rebuild the map's cells.
    public = is_public(instance)
    if public or (not created and getattr(instance, "_was_public", True)):
        bump(using)
    instance._was_public = public


def _pending(using) -> bool:
    """Whether this transaction already bumps the version at commit."""
    connection = connections[using or router.db_for_write(_model())]
    pending = getattr(connection, "_dataversion_pending", None)
    if not connection.in_atomic_block or pending is None or pending["done"]:
        return False
    # Still registered: a rolled-back savepoint takes its callbacks with it.
    return any(getattr(f, "pending", None) is pending for _, f, _ in connection.run_on_commit)


def _on_related(sender, instance, using=None, **kwargs):
    from .models import Actor, DistributionLink

    if _pending(using):
        return  # a cascade of many rows asks the question once
    ids = [instance.actor_id]
    if isinstance(instance, DistributionLink):
        ids.append(instance.place_id)
    if Actor.objects.using(using).filter(pk__in=ids).published().exists() or not all(ids):
        bump(using)


def _on_write(sender, using=None, **kwargs):
    bump(using)


def _on_m2m(sender, instance, action, using=None, **kwargs):
    from .models import Actor

    changed = action in ("post_add", "post_remove", "post_clear")
    if changed and (not isinstance(instance, Actor) or is_public(instance)):
        bump(using)


def _on_territories(sender, **kwargs):
    bump()


def watched_models():
    """Models whose rows change what the public sees on the map, lists and figures."""
    from geodata.models import Commune, Departement, PostalCode, Region

    from . import models as m

    return [
        m.Actor,
        m.Season,
        m.OpeningSlot,
        m.ScheduleException,
        m.DistributionLink,
        m.MarketAuthorisation,
        m.Category,
        m.Label,
        m.SaleMode,
        # Shown on the public pages the page cache keeps (directory.pagecache).
        m.ActorPhoto,
        m.Article,
        m.ArticleImage,
        m.Partner,
        m.ImportSource,  # a listing's source and licence
        # Names a page prints, edited in the admin between territory imports.
        Region,
        Departement,
        Commune,
        PostalCode,
    ]


def connect() -> None:
    """Connect the receivers (AppConfig.ready)."""
    from geodata.signals import territories_imported

    from .models import Actor, Article

    post_init.connect(_remember, sender=Actor, dispatch_uid="dataversion.actor.init")
    for model in watched_models():
        uid = f"dataversion.{model._meta.label_lower}"
        receiver = (
            _on_actor
            if model is Actor
            else _on_related
            if any(f.name == "actor" for f in model._meta.concrete_fields)
            else _on_write
        )
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ".delete")
    for field in ("categories", "labels", "sale_modes"):
        through = getattr(Actor, field).through
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"dataversion.{field}")
    m2m_changed.connect(
        _on_m2m, sender=Article.actors.through, dispatch_uid="dataversion.article-actors"
    )
    territories_imported.connect(_on_territories, dispatch_uid="dataversion.territories")
