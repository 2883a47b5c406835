"""Which changes a moderator must see, and which go live at once.

Name, kind, position and categories decide where a listing appears and what it claims to
be: on a published listing, changing them waits for a moderator (the public keeps the old
values meanwhile). Contacts, schedules, descriptions and photos go live at once and are
logged: a farmer must be able to say "closed this Saturday" without waiting for anyone.
"""

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from ..models import Actor, ActorKind, Category, ModerationStatus
from ..models.moderation import ChangeRequest, Event, RequestStatus
from .log import log

REVIEWED = (
    "name",
    "kind",
    "address",
    "postal_code",
    "commune",
    "location",
    "approximate",
    "categories",
)


def snapshot(actor: Actor, categories=None) -> dict:
    """The reviewed fields of ``actor`` as JSON (categories as sorted slugs)."""
    if categories is None:
        categories = actor.categories.all() if actor.pk else []
    location = actor.location
    return {
        "name": actor.name,
        "kind": actor.kind,
        "address": actor.address,
        "postal_code": actor.postal_code,
        "commune": actor.commune.code if actor.commune_id else None,
        "location": [round(location.x, 6), round(location.y, 6)] if location else None,
        "approximate": actor.location_is_approximate,
        "categories": sorted(c.slug for c in categories),
    }


def differences(before: dict, after: dict) -> list[str]:
    return [key for key in REVIEWED if before.get(key) != after.get(key)]


def apply_snapshot(actor: Actor, data: dict) -> None:
    """Write reviewed values back onto ``actor`` (saved by the caller, categories set here)."""
    from geodata.models import Commune

    actor.name = data["name"]
    actor.kind = ActorKind(data["kind"])
    actor.address = data["address"]
    actor.postal_code = data["postal_code"]
    actor.commune = (
        Commune.objects.filter(code=data["commune"]).first() if data["commune"] else None
    )
    actor.location = Point(*data["location"], srid=4326) if data["location"] else None
    actor.location_is_approximate = data["approximate"]


@transaction.atomic
def save_owner_changes(actor: Actor, form, user, categories=None) -> ChangeRequest | None:
    """Save what an owner typed: live fields at once, reviewed fields through a ChangeRequest
    when the listing is published. Returns the ChangeRequest, if one was needed."""
    stored = Actor.objects.select_for_update().get(pk=actor.pk)
    before = snapshot(stored)
    new_categories = list(categories) if categories is not None else list(stored.categories.all())
    after = snapshot(actor, new_categories)
    changed_reviewed = differences(before, after)
    changed_live = [
        name
        for name in form.changed_data
        if name not in REVIEWED and name != "location_is_approximate"
    ]
    request = None
    if stored.status == ModerationStatus.PUBLISHED and changed_reviewed:
        # The public keeps seeing the reviewed values until a moderator accepts the change.
        apply_snapshot(actor, before)
        ChangeRequest.objects.filter(actor=actor, status=RequestStatus.PENDING).update(
            status=RequestStatus.WITHDRAWN, decided_at=timezone.now()
        )
        request = ChangeRequest.objects.create(actor=actor, author=user, before=before, after=after)
        log(actor, Event.CHANGE_REQUESTED, by=user, details={"fields": changed_reviewed})
        actor.save()
    else:
        actor.save()
        if categories is not None:
            actor.categories.set(new_categories)
    if changed_live and stored.status == ModerationStatus.PUBLISHED:
        log(actor, Event.LIVE_UPDATE, by=user, details={"fields": changed_live})
    return request


@transaction.atomic
def approve_change(request: ChangeRequest, moderator, reason: str = "") -> None:
    actor = Actor.objects.select_for_update().get(pk=request.actor_id)
    apply_snapshot(actor, request.after)
    actor._change_reason = "change request approved"
    actor.save()
    actor.categories.set(Category.objects.filter(slug__in=request.after["categories"]))
    request.decide(moderator, RequestStatus.APPROVED, reason)
    log(actor, Event.CHANGE_APPROVED, by=moderator, reason=reason)


@transaction.atomic
def reject_change(request: ChangeRequest, moderator, reason: str) -> None:
    request.decide(moderator, RequestStatus.REJECTED, reason)
    log(request.actor, Event.CHANGE_REJECTED, by=moderator, reason=reason)
