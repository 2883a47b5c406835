"""The data version: a counter bumped after every committed write that can change public
output, so that the map layer and the home page's figures are cached under it.

Reading it is one primary-key read (``current()``), never an aggregate over the actor
table. Writes bump it once per transaction, after commit (``transaction.on_commit``): a
reader that sees the new number also sees the new rows, and a rolled-back write bumps
nothing. What bumps it: saves and deletions of actors and of what public filters read
(schedules, distribution links, taxonomy), the actors' many-to-many changes, the actor
queryset's update/bulk_create/bulk_update/delete, territory imports. Commands that write
with raw SQL call ``bump()`` themselves.
"""

from django.db import connections, router, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

DATA = "data"


def _model():
    from .models import DataVersion

    return DataVersion


def current(name: str = DATA, default: int = 0) -> int:
    """The counter's value (``default`` without its row): one primary-key read."""
    model = _model()
    value = model.objects.filter(pk=name).values_list("value", flat=True).first()
    return default if value is None else value


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

    transaction.on_commit(callback, using=using)


def cached(name: str, compute, timeout: int = 86_400):
    """``compute()``, kept in the shared cache until the data version moves."""
    from django.core.cache import cache

    return cache.get_or_set(f"{name}:v{current()}", compute, timeout)


def _on_write(sender, using=None, **kwargs):
    bump(using)


def _on_m2m(sender, action, using=None, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        bump(using)


def _on_territories(sender, **kwargs):
    bump()


def watched_models():
    """Models whose rows change what the public sees on the map, lists and figures."""
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
    ]


def connect() -> None:
    """Connect the receivers (AppConfig.ready)."""
    from geodata.signals import territories_imported

    from .models import Actor

    for model in watched_models():
        uid = f"dataversion.{model._meta.label_lower}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + ".delete")
    for field in ("categories", "labels", "sale_modes"):
        through = getattr(Actor, field).through
        m2m_changed.connect(_on_m2m, sender=through, dispatch_uid=f"dataversion.{field}")
    territories_imported.connect(_on_territories, dispatch_uid="dataversion.territories")
