"""Registration and owner side effects: accounts, signed links, e-mails, submission.

Owners have no password. They sign in through a link e-mailed on request (django-sesame):
valid SESAME_MAX_AGE seconds (an hour by default) and spent by the sign-in itself
(SESAME_ONE_TIME: the token carries the last login), for owner accounts only
(backends.link_accounts). Following one proves they read that mailbox, which is what
confirms the e-mail address (an owner's ``last_login`` is set only that way). Other e-mails
link to the owner area without any credential, or carry a scoped confirm link that signs
nobody in (moderation.freshness).
"""

import logging
import re
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from sesame.utils import get_token, get_user

from ..models import Actor, ModerationStatus
from ..models.moderation import Event
from ..moderation.log import log
from .backends import may_use_links

logger = logging.getLogger(__name__)

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


# Where a sign-in link may lead: the owner area, and the "this is me" page of a listing.
NEXT_URL_NAMES = {
    "owner-home",
    "owner-edit",
    "owner-step",
    "owner-submitted",
    "owner-confirm",
    "claim",
}
# Plain path characters only: no scheme, host, backslash, percent-escape, query, fragment,
# space or control character can get through, so nothing can be added to the link or mail.
SAFE_PATH = re.compile(r"/[A-Za-z0-9_\-/]*\Z")
RELINK_SALT = "directory.registration.relink"
RELINK_MAX_AGE = 30 * 24 * 3600


def safe_next(value) -> str | None:
    """``value`` if it is a local path of the owner area a sign-in may lead to, else None."""
    if not isinstance(value, str) or len(value) > 300 or not SAFE_PATH.match(value):
        return None
    if value.startswith("//") or not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return None
    try:
        match = resolve(value)
    except Resolver404:
        return None
    if match.namespace != "directory" or match.url_name not in NEXT_URL_NAMES:
        return None
    return value


def owner_area_url() -> str:
    """« Mes fiches », with no credential: signed-out visitors are offered a sign-in link."""
    return settings.TOUTPRES_SITE_URL + reverse("directory:owner-home")


def link(user, path: str | None = None) -> str:
    """An absolute sign-in link for ``user`` that leads to ``path`` (an owner-area path, else
    « Mes fiches »). Staff and password accounts get the password sign-in page instead."""
    target = safe_next(path)
    if target is None:
        if path:
            logger.warning("Sign-in link: unsafe next %r replaced by the owner home", path)
        target = reverse("directory:owner-home")
    if not may_use_links(user):
        return f"{settings.TOUTPRES_SITE_URL}{reverse('admin:login')}?{urlencode({'next': target})}"
    query = urlencode(
        {
            settings.SESAME_TOKEN_NAME: get_token(user),
            "next": target,
            # Lets the "link expired" page send a fresh one to the same account in one click.
            "compte": sign_account(user.pk),
        }
    )
    return f"{settings.TOUTPRES_SITE_URL}{reverse('directory:owner-login')}?{query}"


def user_from_link(token):
    """The owner a sign-in token is valid for (without spending it), or None."""
    if not isinstance(token, str) or not token:
        return None
    return get_user(token, update_last_login=False)


def spend_link(user) -> bool:
    """Spend every sign-in link of ``user`` (they carry the last login) before signing in.
    Compare-and-set: of two browsers posting the same link at once, only one gets in."""
    User = type(user)
    return bool(
        User._default_manager.filter(pk=user.pk, last_login=user.last_login).update(
            last_login=timezone.now()
        )
    )


def sign_account(pk: int) -> str:
    """A signed reference to an account (its number, not its address) for a fresh link."""
    return signing.dumps(pk, salt=RELINK_SALT)


def relink_pk(value) -> int | None:
    """The account a "send me a fresh link" button stands for (signed in the link), or None."""
    try:
        pk = signing.loads(value or "", salt=RELINK_SALT, max_age=RELINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return pk if isinstance(pk, int) else None


def link_validity() -> str:
    """How long a sign-in link lasts, in words (« 1 heure », « 30 minutes »)."""
    minutes = max(1, round(settings.SESAME_MAX_AGE / 60))
    if minutes % 60 == 0:
        return ngettext("%(n)d heure", "%(n)d heures", minutes // 60) % {"n": minutes // 60}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def send(template: str, to: str, context: dict) -> None:
    """A French e-mail from templates/emails/<template>.txt (first line: the subject)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = render_to_string(
            f"emails/{template}.txt",
            {
                "site_url": settings.TOUTPRES_SITE_URL,
                "link_valid_for": link_validity(),
                **context,
            },
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
    """A sign-in link to an owner; nothing to an account that may not use links."""
    if may_use_links(user):
        send("login_link", user.email, {"user": user, "link": link(user, next_path)})


def send_login_link_to(email: str, next_path: str | None = None) -> None:
    """Behind « Recevoir le lien » (run after the response): a link if this address is an
    owner's (its first account, as registration picks), nothing otherwise."""
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if user is not None:
        send_login_link(user, next_path)


def send_fresh_link(pk: int, next_path: str | None = None) -> None:
    """Behind « Recevoir un nouveau lien » on an expired link's page (after the response)."""
    user = get_user_model()._default_manager.filter(pk=pk).first()
    if user is not None:
        send_login_link(user, next_path)
