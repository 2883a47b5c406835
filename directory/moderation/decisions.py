"""Moderators' decisions on new listings, claims and merges; each is logged and e-mailed.

E-mails leave after the transaction: on SQLite a transaction holds the only write lock, and
an SMTP exchange must not make every other writer wait.
"""

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Actor, ModerationStatus
from ..models.moderation import Claim, Event, RequestStatus
from ..registration import services
from .log import log


def _tell_owner(actor, template, context=None):
    owner = actor.owner
    if owner is not None and owner.email:
        services.send(
            template,
            owner.email,
            {
                "actor": actor,
                "link": services.owner_area_url(),
                "public_url": settings.TOUTPRES_SITE_URL + actor.get_absolute_url(),
                **(context or {}),
            },
        )


def approve(actor: Actor, moderator, reason: str = "") -> None:
    with transaction.atomic():
        actor.status = ModerationStatus.PUBLISHED
        actor.confirmed_at = actor.confirmed_at or timezone.now()
        actor._change_reason = "approved"
        actor.save()
        log(actor, Event.APPROVED, by=moderator, reason=reason)
    _tell_owner(actor, "listing_approved", {"reason": reason})


def reject(actor: Actor, moderator, reason: str) -> None:
    with transaction.atomic():
        actor.status = ModerationStatus.REJECTED
        actor._change_reason = "rejected"
        actor.save()
        log(actor, Event.REJECTED, by=moderator, reason=reason)
    _tell_owner(actor, "listing_rejected", {"reason": reason})


def change_decided(request, approved: bool) -> None:
    _tell_owner(
        request.actor,
        "change_approved" if approved else "change_rejected",
        {"reason": request.reason},
    )


def claim(actor: Actor, user, message: str) -> Claim:
    existing = Claim.objects.pending().filter(actor=actor, user=user).first()
    if existing:
        return existing
    made = Claim.objects.create(actor=actor, user=user, message=message)
    log(actor, Event.CLAIMED, by=user, details={"claim": made.pk})
    services.notify_moderators(actor)
    return made


def decide_claim(made: Claim, moderator, accept: bool, reason: str = "") -> None:
    actor = made.actor
    with transaction.atomic():
        made.decide(moderator, RequestStatus.APPROVED if accept else RequestStatus.REJECTED, reason)
        if accept:
            actor.owner = made.user
            actor.save(update_fields=["owner", "updated_at"])
            log(
                actor,
                Event.CLAIM_APPROVED,
                by=moderator,
                reason=reason,
                details={"owner": made.user.email},
            )
        else:
            log(actor, Event.CLAIM_REJECTED, by=moderator, reason=reason)
    services.send(
        "claim_approved" if accept else "claim_rejected",
        made.user.email,
        {
            "actor": actor,
            "reason": reason,
            "link": services.owner_area_url(),
        },
    )


def attach_owner(actor: Actor, email: str, moderator) -> None:
    """Staff created the listing on someone's behalf: that person becomes its owner."""
    with transaction.atomic():
        owner = services.owner_for_email(email)
        actor.owner = owner
        actor.save(update_fields=["owner", "updated_at"])
        log(actor, Event.OWNER_ATTACHED, by=moderator, details={"owner": owner.email})
    services.send(
        "owner_attached",
        owner.email,
        {"actor": actor, "link": services.owner_area_url()},
    )


@transaction.atomic
def merge(duplicate: Actor, into: Actor, moderator) -> Claim | None:
    """Fold ``duplicate`` into ``into``: links, photos, schedule and references move over,
    the duplicate is archived (never deleted) and its address redirects to the kept one.

    The kept listing keeps its owner (or stays without one). If the duplicate had another
    owner, they get a pending claim on the kept listing, returned here."""
    from ..models import ActorPhoto, DistributionLink

    for link in DistributionLink.objects.filter(actor=duplicate):
        if (
            not DistributionLink.objects.filter(
                actor=into, place=link.place, weekday=link.weekday
            ).exists()
            and link.place_id != into.pk
        ):
            link.actor = into
            link.save()
    for link in DistributionLink.objects.filter(place=duplicate):
        if (
            not DistributionLink.objects.filter(
                actor=link.actor, place=into, weekday=link.weekday
            ).exists()
            and link.actor_id != into.pk
        ):
            link.place = into
            link.save()
    ActorPhoto.objects.filter(actor=duplicate).update(actor=into)
    if not into.opening_slots.exists():
        duplicate.opening_slots.update(actor=into)
        duplicate.seasons.update(actor=into)
    for relation in ("categories", "labels", "sale_modes"):
        getattr(into, relation).add(*getattr(duplicate, relation).all())
    for name in ("phone", "email", "website", "shop_url", "description", "products"):
        if not getattr(into, name) and getattr(duplicate, name):
            setattr(into, name, getattr(duplicate, name))
    # Ownership never moves with a merge: whoever registered the duplicate may be anyone
    # who typed the same farm's name. They get a claim, decided on evidence like any other.
    into.save()
    duplicate.status = ModerationStatus.ARCHIVED
    duplicate.merged_into = into
    duplicate.save(update_fields=["status", "merged_into", "updated_at"])
    log(into, Event.MERGED, by=moderator, details={"merged": duplicate.pk, "name": duplicate.name})
    log(duplicate, Event.MERGED, by=moderator, details={"into": into.pk})
    made = None
    if duplicate.owner_id and duplicate.owner_id != into.owner_id:
        made = Claim.objects.pending().filter(actor=into, user_id=duplicate.owner_id).first()
        if made is None:
            made = Claim.objects.create(
                actor=into,
                user_id=duplicate.owner_id,
                merged_from=duplicate,
                message=_("Demande créée par la fusion de son doublon « %(name)s ».")
                % {"name": duplicate.name},
            )
            log(
                into,
                Event.CLAIMED,
                by=moderator,
                details={"claim": made.pk, "merged": duplicate.pk},
            )
    return made


def delete_for_gdpr(actor: Actor, moderator) -> None:
    """Carry out a deletion request: the listing and its files go, the log line stays."""
    owner, name, pk = actor.owner, actor.name, actor.pk
    with transaction.atomic():
        log(
            actor,
            Event.DELETED,
            by=moderator,
            details={"requested": str(actor.deletion_requested_at or "")},
        )
        actor.delete()
        # The history holds the private contact too: it goes with the listing (including
        # the "deleted" version that delete() itself just recorded).
        versions = Actor.history.filter(id=pk)
        apps.get_model("directory", "HistoricalActor_categories").objects.filter(
            history__in=versions
        ).delete()
        versions.delete()
    if owner is not None and owner.email:
        services.send("listing_deleted", owner.email, {"name": name})
