"""Likely duplicates of a listing: a similar name nearby, or the same phone, e-mail or website."""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from urllib.parse import urlsplit

from django.db.models import F, Q, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from geodata.text import normalize

from ..models import Actor, ModerationStatus

NAME_RADIUS_KM = 1
NAME_SIMILARITY = 0.8
# Words that say what a place is, not which one it is.
COMMON_WORDS = {
    "ferme",
    "la",
    "le",
    "les",
    "de",
    "du",
    "des",
    "d",
    "l",
    "earl",
    "gaec",
    "scea",
    "sarl",
}


@dataclass
class Duplicate:
    actor: Actor
    reasons: list[str]


def _bare(field: str):
    expression = F(field)
    for separator in (" ", ".", "-", "/", "\u00a0"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def phone_digits(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if len(digits) >= 9 else ""


def site_key(url: str) -> str:
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else "https://" + url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}".lower() if host else ""


def name_key(name: str) -> str:
    return " ".join(w for w in normalize(name).split() if w not in COMMON_WORDS)


def similar_names(a: str, b: str) -> bool:
    a, b = name_key(a), name_key(b)
    if not a or not b:
        return False
    return a == b or a in b or b in a or SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def find_duplicates(actor: Actor, limit: int = 10) -> list[Duplicate]:
    """Other listings (not drafts, not archived) that may be the same place or business."""
    others = Actor.objects.exclude(pk=actor.pk).exclude(
        status__in=[ModerationStatus.DRAFT, ModerationStatus.ARCHIVED]
    )
    found: dict[int, Duplicate] = {}

    def add(other, reason):
        found.setdefault(other.pk, Duplicate(other, [])).reasons.append(str(reason))

    if actor.location is not None and actor.name:
        for other in others.near(actor.location, NAME_RADIUS_KM).only(
            "pk", "name", "slug", "status", "kind"
        ):
            if similar_names(actor.name, other.name):
                add(other, _("nom proche à moins d'1 km"))
    phone = phone_digits(actor.phone) or phone_digits(actor.contact_phone)
    phones = {p for p in (phone_digits(actor.phone), phone_digits(actor.contact_phone)) if p}
    if phone:
        # Compare digits only: "02 38 …", "+33 2 38 …" and "0238…" are the same number,
        # so both sides lose their separators and must end with the same nine digits.
        tail = phone[-9:]
        candidates = others.annotate(
            phone_bare=_bare("phone"), contact_bare=_bare("contact_phone")
        ).filter(Q(phone_bare__endswith=tail) | Q(contact_bare__endswith=tail))
        for other in candidates[:200]:
            if phones & {phone_digits(other.phone), phone_digits(other.contact_phone)}:
                add(other, _("même numéro de téléphone"))
    emails = {e.lower() for e in (actor.email, actor.contact_email) if e}
    if emails:
        query = Q()
        for email in emails:
            query |= Q(email__iexact=email) | Q(contact_email__iexact=email)
        for other in others.filter(query)[:50]:
            add(other, _("même e-mail"))
    sites = {s for s in (site_key(actor.website), site_key(actor.shop_url)) if s}
    if sites:
        hosts = {s.split("/")[0] for s in sites}
        query = Q()
        for host in hosts:
            query |= Q(website__icontains=host) | Q(shop_url__icontains=host)
        for other in others.filter(query)[:50]:
            if sites & {site_key(other.website), site_key(other.shop_url)}:
                add(other, _("même site web"))
    return list(found.values())[:limit]
