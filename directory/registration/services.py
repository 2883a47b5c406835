"""Registration and owner side effects: accounts, signed links, e-mails, submission.

Owners have no password. Every e-mail carries a signed, expiring link (django-sesame) that
logs them in; following one proves they read that mailbox, which is what confirms the
e-mail address (an owner's ``last_login`` is set only that way).
"""

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from sesame.utils import get_query_string

from ..models import Actor, ModerationStatus
from ..models.moderation import Event
from ..moderation.log import log

DRAFTS_SESSION_KEY = "toutpres_drafts"


def owner_for_email(email: str):
    """The account of this e-mail address, created without a password if new."""
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=email[:150], email=email)
        except IntegrityError:  # created meanwhile by a concurrent request
            user = User.objects.get(username=email[:150])
    return user


def email_confirmed(user) -> bool:
    return bool(user and user.is_authenticated and user.last_login)


def link(user, path: str) -> str:
    """An absolute link to ``path`` that logs ``user`` in (signed, expires after SESAME_MAX_AGE)."""
    query = get_query_string(user)
    login = reverse("directory:owner-login")
    separator = "&" if "?" in query else "?"
    return f"{settings.TOUTPRES_SITE_URL}{login}{query}{separator}next={path}"


def send(template: str, to: str, context: dict) -> None:
    """A French e-mail from templates/emails/<template>.txt (first line: the subject)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(
            f"emails/{template}.txt", {"site_url": settings.TOUTPRES_SITE_URL, **context}
        )
    subject, _, body = text.strip().partition("\n")
    send_mail(subject.strip(), body.strip() + "\n", None, [to])


def remember_draft(request, actor) -> None:
    drafts = set(request.session.get(DRAFTS_SESSION_KEY, []))
    drafts.add(actor.pk)
    request.session[DRAFTS_SESSION_KEY] = sorted(drafts)


def drafts_in_session(request) -> set[int]:
    return set(request.session.get(DRAFTS_SESSION_KEY, []))


def start_registration(request, form) -> tuple[Actor, bool]:
    """Create the draft listing of step one, once per form token (double submits and
    concurrent retries find the same draft). Returns (actor, created)."""
    token = form.cleaned_data["token"]
    existing = Actor.objects.filter(registration_token=token).first()
    if existing:
        return existing, False
    owner = owner_for_email(form.cleaned_data["contact_email"])
    actor = form.save(commit=False)
    # A first pin at the town hall; the "where" step refines it (address, dragged pin).
    commune = form.cleaned_data["commune_name"]
    actor.commune, actor.location, actor.location_checked = commune, commune.center, False
    actor.postal_code = (commune.postal_code_list[:1] or [""])[0]
    actor.status = ModerationStatus.DRAFT
    actor.owner = owner
    actor.registration_token = token
    try:
        with transaction.atomic():
            actor.save()
    except IntegrityError:
        return Actor.objects.get(registration_token=token), False
    remember_draft(request, actor)
    send(
        "registration_started",
        owner.email,
        {"actor": actor, "link": link(owner, reverse("directory:owner-edit", args=[actor.pk]))},
    )
    return actor, True


def new_token() -> uuid.UUID:
    return uuid.uuid4()


def submit(actor: Actor, user) -> None:
    """The registrant sends the listing: to the queue if their e-mail is confirmed, else
    once they follow the link e-mailed now."""
    actor.consent_at = actor.consent_at or timezone.now()
    actor.submitted_at = timezone.now()
    actor.save(update_fields=["consent_at", "submitted_at", "updated_at"])
    log(actor, Event.SUBMITTED, by=user)
    if email_confirmed(user) and user == actor.owner:
        to_queue(actor, user)
    else:
        owner = actor.owner
        send(
            "confirm_email",
            owner.email,
            {"actor": actor, "link": link(owner, reverse("directory:owner-home"))},
        )


def to_queue(actor: Actor, user) -> None:
    if actor.status == ModerationStatus.DRAFT and actor.submitted_at:
        actor.status = ModerationStatus.PENDING
        actor.save(update_fields=["status", "updated_at"])
        notify_moderators(actor)


def confirm_email(user) -> list[Actor]:
    """The owner followed an e-mailed link: their submitted drafts go to the queue."""
    queued = []
    for actor in Actor.objects.filter(
        owner=user, status=ModerationStatus.DRAFT, submitted_at__isnull=False
    ):
        log(actor, Event.EMAIL_CONFIRMED, by=user)
        to_queue(actor, user)
        queued.append(actor)
    return queued


def notify_moderators(actor: Actor, change: bool = False) -> None:
    """One e-mail to the moderation address (a shared mailbox), if one is configured."""
    if settings.TOUTPRES_MODERATION_EMAIL:
        send(
            "moderation_needed",
            settings.TOUTPRES_MODERATION_EMAIL,
            {
                "actor": actor,
                "change": change,
                "url": settings.TOUTPRES_SITE_URL
                + reverse("directory:moderation-actor", args=[actor.pk]),
            },
        )


def send_login_link(user, next_path: str | None = None) -> None:
    send(
        "login_link",
        user.email,
        {"user": user, "link": link(user, next_path or reverse("directory:owner-home"))},
    )
