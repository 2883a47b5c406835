"""Listings stay true over time: owners confirm them periodically, or they are hidden.

Timeline for a published listing with an owner (settings.TOUTPRES_FRESHNESS):
  confirmed (or published) ──MONTHS──▶ reminder e-mailed ──GRACE_DAYS──▶ flagged to staff
  and hidden from the public (status "stale"), never deleted. Confirming at any point,
  even once hidden, publishes it again and restarts the clock.

The reminder's "still correct" link is a confirm link, not a sign-in link: signed for that
listing and its owner, valid for the whole grace period, usable again within it, and it
signs nobody in (django.core.signing with its own salt: sesame never accepts it).
"""

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from ..models import Actor, ModerationStatus
from ..models.moderation import Event
from ..registration import services
from .log import log


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    month_index = moment.month - 1 - months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@transaction.atomic
def confirm(actor: Actor, user) -> None:
    actor.confirmed_at = timezone.now()
    actor.reminder_sent_at = None
    fields = ["confirmed_at", "reminder_sent_at", "updated_at"]
    if actor.status == ModerationStatus.STALE:
        actor.status = ModerationStatus.PUBLISHED
        fields.append("status")
    actor.save(update_fields=fields)
    log(actor, Event.CONFIRMED, by=user)


CONFIRM_SALT = "directory.freshness.confirm"


def confirm_url(actor: Actor) -> str:
    """The reminder's one-click "still correct" link for ``actor`` (no sign-in)."""
    token = signing.dumps({"a": actor.pk, "o": actor.owner_id}, salt=CONFIRM_SALT)
    return settings.TOUTPRES_SITE_URL + reverse("directory:owner-confirm-link", args=[token])


def _confirm_data(token: str, max_age=None) -> dict | None:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return data if isinstance(data, dict) else None


def from_confirm_token(token: str) -> Actor | None:
    """The listing a confirm link stands for, while the grace period lasts and while it
    still belongs to the owner it was sent to; None otherwise."""
    max_age = datetime.timedelta(days=settings.TOUTPRES_FRESHNESS["GRACE_DAYS"])
    data = _confirm_data(token, max_age)
    if data is None or not data.get("o"):
        return None
    return (
        Actor.objects.filter(
            pk=data.get("a"),
            owner_id=data["o"],
            status__in=[ModerationStatus.PUBLISHED, ModerationStatus.STALE],
        )
        .select_related("owner")
        .first()
    )


def confirm_token_owner(token: str) -> int | None:
    """Who a genuine but expired confirm link was sent to (to offer them a sign-in link)."""
    data = _confirm_data(token)
    owner = data.get("o") if data else None
    return owner if isinstance(owner, int) else None


@dataclass
class Report:
    reminded: int = 0
    hidden: int = 0


def due_for_reminder(now=None):
    """Published, owned listings last confirmed MONTHS ago or more, not reminded since."""
    now = now or timezone.now()
    limit = months_before(now, settings.TOUTPRES_FRESHNESS["MONTHS"])
    return (
        Actor.objects.filter(status=ModerationStatus.PUBLISHED, owner__isnull=False)
        .annotate(last_confirmed=Coalesce("confirmed_at", "created_at"))
        .filter(last_confirmed__lte=limit)
        .filter(Q(reminder_sent_at__isnull=True) | Q(reminder_sent_at__lt=F("last_confirmed")))
    )


def due_for_hiding(now=None):
    """Reminded GRACE_DAYS ago or more and still not confirmed."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.TOUTPRES_FRESHNESS["GRACE_DAYS"])
    return Actor.objects.filter(
        status=ModerationStatus.PUBLISHED,
        reminder_sent_at__isnull=False,
        reminder_sent_at__lte=limit,
    ).filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=F("reminder_sent_at")))


def awaiting_confirmation(now=None):
    """For staff: reminded and not confirmed yet (hidden or about to be)."""
    return Actor.objects.filter(
        Q(status=ModerationStatus.STALE)
        | Q(status=ModerationStatus.PUBLISHED, reminder_sent_at__isnull=False)
    ).filter(Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=F("reminder_sent_at")))


def run(now=None, progress=None, dry_run=False) -> Report:
    """Send due reminders, hide listings past their grace period. Idempotent: a second run
    in the same period sends nothing (reminder_sent_at is set in the same transaction)."""
    now = now or timezone.now()
    report = Report()
    for actor in (progress or iter)(list(due_for_reminder(now).select_related("owner"))):
        if dry_run:
            report.reminded += 1
            continue
        with transaction.atomic():
            locked = Actor.objects.select_for_update().get(pk=actor.pk)
            if locked.reminder_sent_at and locked.reminder_sent_at >= (
                locked.confirmed_at or locked.created_at
            ):
                continue  # another run got there first
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at"])
            log(locked, Event.REMINDED)
        owner = actor.owner
        services.send(
            "freshness_reminder",
            owner.email,
            {
                "actor": actor,
                "link": confirm_url(actor),
                "edit_link": services.owner_area_url(),
                "grace_days": settings.TOUTPRES_FRESHNESS["GRACE_DAYS"],
            },
        )
        report.reminded += 1
    for actor in due_for_hiding(now):
        if not dry_run:
            actor.status = ModerationStatus.STALE
            actor.save(update_fields=["status"])
            log(actor, Event.HIDDEN_STALE)
        report.hidden += 1
    return report
