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
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from sesame.utils import get_token, get_user

from .. import mail
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
    """A French e-mail from templates/emails/<template>.txt (first line: the subject),
    rendered now and queued (directory.mail)."""
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
    mail.send_email(subject.strip(), body.strip() + "\n", [to])


def remember_draft(request, actor) -> None:
    drafts = set(request.session.get(DRAFTS_SESSION_KEY, []))
    drafts.add(actor.pk)
    request.session[DRAFTS_SESSION_KEY] = sorted(drafts)


def drafts_in_session(request) -> set[int]:
    return set(request.session.get(DRAFTS_SESSION_KEY, []))


# "This draft is mine": the link e-mailed to the address a registrant typed. It names one
# draft (its number and registration token) and one address; following it is the only way
# an anonymously started draft gets an owner.
DRAFT_LINK_SALT = "directory.registration.draft"
DRAFT_LINK_MAX_AGE = 7 * 24 * 3600


def _link_email(email: str) -> str:
    """An address as a confirmation link binds it (and as owner_for_email files it)."""
    return get_user_model().objects.normalize_email(email or "").lower()


def draft_link(actor: Actor) -> str:
    """The absolute confirmation link of ``actor``'s draft, for its contact e-mail."""
    token = signing.dumps(
        {"a": actor.pk, "t": actor.registration_token.hex, "e": _link_email(actor.contact_email)},
        salt=DRAFT_LINK_SALT,
    )
    return settings.TOUTPRES_SITE_URL + reverse("directory:registration-confirm", args=[token])


def draft_from_link(token) -> tuple[Actor, str] | None:
    """The draft a confirmation link was minted for and the address it was sent to, if the
    link is genuine, recent, and the draft still has that token and that contact e-mail;
    else None. A first look only: ``adopt`` checks the address again, under its lock."""
    try:
        data = signing.loads(token or "", salt=DRAFT_LINK_SALT, max_age=DRAFT_LINK_MAX_AGE)
        pk, registration, email = int(data["a"]), uuid.UUID(hex=data["t"]), str(data["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    actor = (
        Actor.objects.select_related("commune", "owner")
        .filter(pk=pk, registration_token=registration)
        .first()
    )
    if actor is None or _link_email(actor.contact_email) != _link_email(email):
        return None
    return actor, _link_email(email)


@transaction.atomic
def adopt(actor: Actor, email: str):
    """The registrant followed the draft's confirmation link, sent to ``email``: the account
    of that address becomes the owner (created if new), and a submitted draft goes to the
    queue. Returns that owner, or None if the link no longer stands: the draft was adopted
    meanwhile, or its contact e-mail is no longer the one the link was sent to (changed
    since, maybe by a concurrent request). The check is made under the row's lock, and the
    owner is the link's address, never whatever the draft says by then."""
    stored = Actor.objects.select_for_update().get(pk=actor.pk)
    email = _link_email(email)
    if stored.owner_id is not None or not email or _link_email(stored.contact_email) != email:
        return None
    owner = owner_for_email(email)
    stored.owner = owner
    stored.save(update_fields=["owner", "updated_at"])
    log(stored, Event.EMAIL_CONFIRMED, by=owner, details={"owner": owner.email})
    to_queue(stored, owner)
    actor.owner, actor.status = owner, stored.status
    return owner


def contact_email_changed(actor: Actor) -> None:
    """An unowned draft's contact e-mail changed: links sent to the old address no longer
    adopt it (they bind their address); the new address gets its own confirmation."""
    if actor.owner_id is None and actor.status == ModerationStatus.DRAFT and actor.contact_email:
        send(
            "registration_started",
            actor.contact_email,
            {"actor": actor, "link": draft_link(actor), "confirming": True},
        )


def start_registration(request, form) -> tuple[Actor, bool]:
    """Create the draft listing of step one, once per form token (double submits and
    concurrent retries find the same draft). Returns (actor, created).

    A signed-in owner owns it at once. Anyone else's draft belongs to nobody until the
    link e-mailed to the address typed is followed (``adopt``): typing someone's e-mail
    must not put a listing in their account."""
    token = form.cleaned_data["token"]
    existing = Actor.objects.filter(registration_token=token).first()
    if existing:
        return existing, False
    owner = request.user if request.user.is_authenticated else None
    actor = form.save(commit=False)
    # A first pin at the town hall; the "where" step refines it (address, dragged pin).
    commune = form.cleaned_data["commune_name"]
    actor.commune, actor.location, actor.location_checked = commune, commune.center, False
    actor.postal_code = (commune.postal_code_list[:1] or [""])[0]
    actor.status = ModerationStatus.DRAFT
    actor.owner = owner
    actor.registration_token = token
    try:
        # The draft and its e-mail (a row of the task queue) in one transaction: a database
        # outage between the two (a 503) leaves neither, and the browser's replay of the
        # same form (same token) makes both; once committed, a replay finds the draft.
        with transaction.atomic():
            actor.save()
            if owner is not None:
                resume = link(owner, reverse("directory:owner-edit", args=[actor.pk]))
                send("registration_started", owner.email, {"actor": actor, "link": resume})
            else:
                send(
                    "registration_started",
                    actor.contact_email,
                    {"actor": actor, "link": draft_link(actor), "confirming": True},
                )
    except IntegrityError:
        return Actor.objects.get(registration_token=token), False
    remember_draft(request, actor)
    return actor, True


def new_token() -> uuid.UUID:
    return uuid.uuid4()


@transaction.atomic
def submit(actor: Actor, user) -> None:
    """The registrant sends the listing: to the queue if their e-mail is confirmed, else
    once they follow the link e-mailed now. One transaction: sent with its event and its
    e-mail, or not at all (a replay after a 503 then sends it)."""
    actor.consent_at = actor.consent_at or timezone.now()
    actor.submitted_at = timezone.now()
    actor.save(update_fields=["consent_at", "submitted_at", "updated_at"])
    log(actor, Event.SUBMITTED, by=user)
    # A draft has an owner only once an e-mail was proven: a signed-in owner started it,
    # or its confirmation link was followed.
    if actor.owner_id is not None and email_confirmed(actor.owner):
        to_queue(actor, user)
    else:
        send(
            "confirm_email",
            actor.contact_email,
            {"actor": actor, "link": draft_link(actor), "confirming": True},
        )


def to_queue(actor: Actor, user) -> None:
    if actor.status == ModerationStatus.DRAFT and actor.submitted_at:
        actor.status = ModerationStatus.PENDING
        actor.save(update_fields=["status", "updated_at"])
        notify_moderators(actor)


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
    """Behind « Recevoir le lien » (in a task, directory.tasks): a link if this address is an
    owner's (its first account, as registration picks), nothing otherwise."""
    user = get_user_model().objects.filter(email__iexact=email).order_by("pk").first()
    if user is not None:
        send_login_link(user, next_path)


def send_fresh_link(pk: int, next_path: str | None = None) -> None:
    """Behind « Recevoir un nouveau lien » on an expired link's page (in a task)."""
    user = get_user_model()._default_manager.filter(pk=pk).first()
    if user is not None:
        send_login_link(user, next_path)
