"""Subscribing, confirming, unsubscribing, and the weekly digest of new or reopened listings."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from geodata.distance import geodesic_km

from .. import clock, mail
from ..models import Actor, Alert, AlertDelivery, ModerationEvent
from ..models.moderation import Event
from ..serializers import km

# Confirmed alerts per address. Only confirmed ones count: requests anyone can type for
# someone else's address must not fill it up (nor tell that it subscribed).
MAX_ALERTS_PER_EMAIL = 10
# Requests waiting for confirmation per address: past this the oldest is forgotten, so a
# stranger's requests can neither pile up nor keep the owner from asking for hers.
MAX_PENDING_PER_EMAIL = 10
WEEK = datetime.timedelta(days=7)
# A weekly cron run a few minutes early must not skip a week.
SLACK = datetime.timedelta(hours=6)
MAX_PER_DIGEST = 30
UNCONFIRMED_DAYS = 7
UNSUBSCRIBED_DAYS = 30
# Events that make a listing "new" for the people around it.
NEW_EVENTS = (Event.APPROVED, Event.IMPORTED, Event.REPUBLISHED)
SAME_PLACE_KM = 0.1


def link(alert: Alert, name: str) -> str:
    return settings.TOUTPRES_SITE_URL + reverse(f"directory:{name}", args=[alert.token])


def subscribe(email: str, place: str, point, radius_km: int, categories, language: str) -> None:
    """Answers a request with exactly one e-mail to the address, whatever it already holds
    (the page is the same for every address, views.subscribe):

    - the same alert, pending: its confirmation again; confirmed: a note that it is on;
    - the address already has MAX_ALERTS_PER_EMAIL confirmed alerts: a note saying so;
    - else a new pending alert and its confirmation (past MAX_PENDING_PER_EMAIL pending
      requests, and after UNCONFIRMED_DAYS, the oldest are forgotten).
    """
    email = email.strip().lower()
    mine = Alert.objects.filter(email=email, unsubscribed_at__isnull=True)
    stale = clock.now() - datetime.timedelta(days=UNCONFIRMED_DAYS)
    mine.filter(confirmed_at__isnull=True, created_at__lt=stale).delete()
    # Alerts are few per address: compare places here, geodesically.
    same = next(
        (
            alert
            for alert in mine.filter(radius_km=radius_km).order_by("-confirmed_at")
            if geodesic_km((alert.location.y, alert.location.x), (point.y, point.x))
            <= SAME_PLACE_KM
        ),
        None,
    )
    if same is not None:
        if same.confirmed_at is None:
            send_confirmation(same)
        else:
            _mail(same, "alert_active", {})
        return
    if mine.filter(confirmed_at__isnull=False).count() >= MAX_ALERTS_PER_EMAIL:
        _notice(
            email,
            language,
            "alert_limit",
            {"place": place, "radius_km": radius_km, "max_alerts": MAX_ALERTS_PER_EMAIL},
        )
        return
    pending = mine.filter(confirmed_at__isnull=True).order_by("-created_at", "-pk")
    Alert.objects.filter(
        pk__in=list(pending.values_list("pk", flat=True)[MAX_PENDING_PER_EMAIL - 1 :])
    ).delete()
    alert = Alert.objects.create(
        email=email, place=place, location=point, radius_km=radius_km, language=language
    )
    alert.categories.set(categories)
    send_confirmation(alert)


def send_confirmation(alert: Alert) -> None:
    _mail(alert, "alert_confirm", {"confirm_url": link(alert, "alert-confirm")})


def confirm(alert: Alert) -> bool:
    """Confirms (or resubscribes) the alert; False if its address already has
    MAX_ALERTS_PER_EMAIL other alerts on. Only the link's holder sees the answer."""
    if alert.confirmed_at is not None and alert.unsubscribed_at is None:
        return True
    others = Alert.objects.active().filter(email=alert.email).exclude(pk=alert.pk)
    if others.count() >= MAX_ALERTS_PER_EMAIL:
        return False
    if alert.confirmed_at is None:
        alert.confirmed_at = clock.now()
    alert.unsubscribed_at = None
    alert.save(update_fields=["confirmed_at", "unsubscribed_at"])
    return True


def unsubscribe(alert: Alert) -> None:
    if alert.unsubscribed_at is None:
        alert.unsubscribed_at = clock.now()
        alert.save(update_fields=["unsubscribed_at"])


@dataclass
class Item:
    actor: Actor
    distance_km: float
    reopened: bool

    @property
    def distance(self) -> str:
        # To a home-based producer: « environ 3 km », to the commune's pin.
        return km(self.distance_km, approximate=self.actor.location_is_approximate)


def digest(alert: Alert, now=None) -> list[Item]:
    """Published listings within the alert's radius (and categories) that appeared or
    reopened since the alert was confirmed, and were never sent to it."""
    now = now or clock.now()
    since = alert.confirmed_at
    new_ids = ModerationEvent.objects.filter(action__in=NEW_EVENTS, at__gte=since).values(
        "actor_id"
    )
    today = timezone.localtime(now).date()
    reopened = Q(closed_until__gte=timezone.localtime(since).date(), closed_until__lt=today)
    candidates = (
        Actor.objects.published()
        .near_metres(alert.location, alert.radius_km)
        .filter(Q(pk__in=new_ids) | Q(created_at__gte=since) | reopened)
        .exclude(pk__in=AlertDelivery.objects.filter(alert=alert).values("actor_id"))
        .select_related("commune")
    )
    slugs = list(alert.categories.values_list("slug", flat=True))
    if slugs:
        # A subquery, not a join + DISTINCT: DISTINCT over geometry columns is not portable.
        in_categories = Actor.objects.filter(categories__slug__in=slugs).values("pk")
        candidates = candidates.filter(pk__in=in_categories)
    # "New" or "reopened" is read in the same query, not one more query per listing.
    candidates = candidates.annotate(
        is_new=Q(created_at__gte=since) | Q(pk__in=new_ids),
    )
    return [
        Item(actor, actor.metres / 1000, reopened=not actor.is_new)
        for actor in candidates[:MAX_PER_DIGEST]
    ]


def due(now=None):
    """Confirmed alerts whose last digest is a week old (or that never had one)."""
    now = now or clock.now()
    return Alert.objects.active().filter(
        Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - WEEK + SLACK)
    )


def send_digest(alert: Alert, now=None) -> int:
    """Sends the alert's digest if it has anything; returns the listings sent. The
    deliveries and the mail go together: a failed send records nothing."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Alert.objects.select_for_update().filter(pk=alert.pk)
        alert = locked.get()
        if alert.last_sent_at and alert.last_sent_at > now - WEEK + SLACK:
            return 0  # another run sent it meanwhile
        items = digest(alert, now)
        if not items:
            return 0
        AlertDelivery.objects.bulk_create(AlertDelivery(alert=alert, actor=i.actor) for i in items)
        alert.last_sent_at = now
        alert.save(update_fields=["last_sent_at"])
        _mail(alert, "alert_digest", {"items": items}, one_click=True)
    return len(items)


def purge(now=None) -> tuple[int, int]:
    """Forgets unconfirmed alerts after a week and unsubscribed ones after a month."""
    now = now or clock.now()
    unconfirmed, _ = Alert.objects.filter(
        confirmed_at__isnull=True, created_at__lt=now - datetime.timedelta(days=UNCONFIRMED_DAYS)
    ).delete()
    gone, _ = Alert.objects.filter(
        unsubscribed_at__lt=now - datetime.timedelta(days=UNSUBSCRIBED_DAYS)
    ).delete()
    return unconfirmed, gone


def _notice(email: str, language: str, template: str, context: dict) -> None:
    """An e-mail about a request that made no alert: no unsubscribe link, none to stop."""
    with translation.override(language or settings.LANGUAGE_CODE):
        text = render_to_string(
            f"emails/{template}.txt", {"site_url": settings.TOUTPRES_SITE_URL, **context}
        )
    subject, _sep, body = text.strip().partition("\n")
    mail.send_email(subject.strip(), body.strip() + "\n", [email])


def _mail(alert: Alert, template: str, context: dict, one_click: bool = False) -> None:
    unsubscribe_url = link(alert, "alert-unsubscribe")
    with translation.override(alert.language or settings.LANGUAGE_CODE):
        text = render_to_string(
            f"emails/{template}.txt",
            {
                "site_url": settings.TOUTPRES_SITE_URL,
                "alert": alert,
                "unsubscribe_url": unsubscribe_url,
                **context,
            },
        )
    subject, _sep, body = text.strip().partition("\n")
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>"}
    if one_click:
        # RFC 8058: mail clients unsubscribe with one POST, no page to visit.
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.send_email(subject.strip(), body.strip() + "\n", [alert.email], headers=headers)
