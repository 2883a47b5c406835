"""Likely duplicates of a listing: a similar name nearby, or the same phone, e-mail or website.

Two rule sets, for two audiences:

- ``find_duplicates`` / ``find_duplicates_many``: staff only (moderation pages, imports).
  Every status but drafts and archived, private fields (contact e-mail and phone) and the
  private position (a home-based producer's house), a 1 km radius.
- ``public_lookalikes``: what an anonymous registrant may be shown (« Cette ferme est
  peut-être déjà sur Tout Près »). Published listings only, compared on public data only:
  name, public phone, public e-mail, website, and the *public* pin with a coarse radius.
  Whatever the registrant types, the answer is one anybody could read off the public site,
  so the notice is no oracle on a house or on a private address.
"""

import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from urllib.parse import urlsplit

from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace, Right
from django.utils.translation import gettext_lazy as _
from geopy.distance import geodesic

from geodata.distance import bboxes_around
from geodata.spatial import rows_in_boxes
from geodata.text import normalize

from ..models import Actor, ModerationStatus

NAME_RADIUS_KM = 1
# Registrant's notice: a similar name within this distance of the listing's PUBLIC pin (a
# commune's town hall for a home-based producer). Coarse on purpose: nothing finer than
# what the public map shows can be learnt from it.
PUBLIC_NAME_RADIUS_KM = 10
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


@dataclass(frozen=True, slots=True)
class Probe:
    """What find_duplicates_many reads of a listing it checks (an Actor has all of it): an
    import's rows, not yet listings, are checked as these, which cost a tenth of an unsaved
    Actor each (a 50,000-row file built one per row)."""

    name: str
    location: object  # a GEOS Point, or None
    phone: str = ""
    contact_phone: str = ""
    email: str = ""
    contact_email: str = ""
    website: str = ""
    shop_url: str = ""
    pk: None = None


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


@lru_cache(maxsize=65_536)
def name_key(name: str) -> str:
    # Cached: an import's batch compares each row's name with every near one's.
    return " ".join(w for w in normalize(name).split() if w not in COMMON_WORDS)


def similar_names(a: str, b: str) -> bool:
    a, b = name_key(a), name_key(b)
    if not a or not b:
        return False
    if a == b or a in b or b in a:
        return True
    # SequenceMatcher's two upper bounds of ratio(), computed without building one (its
    # index of the second name was most of an import's name comparisons): the lengths
    # (real_quick_ratio), then the letters in common (quick_ratio). Most pairs stop there.
    total = len(a) + len(b)
    if 2.0 * min(len(a), len(b)) / total < NAME_SIMILARITY:
        return False
    common = sum((_letters(a) & _letters(b)).values())
    if 2.0 * common / total < NAME_SIMILARITY:
        return False
    return SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


@lru_cache(maxsize=65_536)
def _letters(key: str) -> Counter:
    return Counter(key)


def find_duplicates(actor: Actor, limit: int = 10) -> list[Duplicate]:
    """Other listings (not drafts, not archived) that may be the same place or business."""
    return find_duplicates_many([actor])[0][:limit]


def find_duplicates_many(actors: list[Actor | Probe], exclude=None) -> list[list[Duplicate]]:
    """find_duplicates for many listings at once (an import's batch): one query per rule for
    the whole batch, plus one nearby-name query per listing. ``exclude`` narrows the
    listings compared against (a queryset filter)."""
    others = Actor.objects.exclude(status__in=[ModerationStatus.DRAFT, ModerationStatus.ARCHIVED])
    if exclude is not None:
        others = others.exclude(exclude)
    found: list[dict[int, Duplicate]] = [{} for _ in actors]

    def add(index, other, reason):
        if other.pk != actors[index].pk:
            found[index].setdefault(other.pk, Duplicate(other, [])).reasons.append(str(reason))

    for index, other in _near_by_name(actors, others):
        add(index, other, _("nom proche à moins d'1 km"))

    # Phones: compare digits only ("02 38 …", "+33 2 38 …" and "0238…" are the same
    # number), so both sides lose their separators and are matched on their last nine digits.
    phones = [
        {p for p in (phone_digits(a.phone), phone_digits(a.contact_phone)) if p} for a in actors
    ]
    tails = {p[-9:] for numbers in phones for p in numbers}
    if tails:
        candidates = others.annotate(
            phone_tail=Right(_bare("phone"), 9), contact_tail=Right(_bare("contact_phone"), 9)
        ).filter(Q(phone_tail__in=tails) | Q(contact_tail__in=tails))
        for other in candidates.only(
            "pk", "name", "slug", "status", "kind", "phone", "contact_phone"
        ):
            theirs = {phone_digits(other.phone), phone_digits(other.contact_phone)} - {""}
            for index, numbers in enumerate(phones):
                if numbers & theirs:
                    add(index, other, _("même numéro de téléphone"))

    emails = [{e.lower() for e in (a.email, a.contact_email) if e} for a in actors]
    wanted = set().union(*emails)
    if wanted:
        candidates = others.annotate(
            email_lower=Lower("email"), contact_lower=Lower("contact_email")
        ).filter(Q(email_lower__in=wanted) | Q(contact_lower__in=wanted))
        for other in candidates.only(
            "pk", "name", "slug", "status", "kind", "email", "contact_email"
        ):
            theirs = {other.email.lower(), other.contact_email.lower()} - {""}
            for index, addresses in enumerate(emails):
                if addresses & theirs:
                    add(index, other, _("même e-mail"))

    sites = [{s for s in (site_key(a.website), site_key(a.shop_url)) if s} for a in actors]
    hosts = sorted({s.split("/")[0] for own in sites for s in own})
    # Chunks: SQLite parses a chain of OR as a tree of bounded depth.
    for start in range(0, len(hosts), 100):
        query = Q()
        for host in hosts[start : start + 100]:
            query |= Q(website__icontains=host) | Q(shop_url__icontains=host)
        for other in others.filter(query).only(
            "pk", "name", "slug", "status", "kind", "website", "shop_url"
        ):
            theirs = {site_key(other.website), site_key(other.shop_url)} - {""}
            for index, own in enumerate(sites):
                if own & theirs:
                    add(index, other, _("même site web"))
    return [list(duplicates.values()) for duplicates in found]


def _near_by_name(actors: list[Actor | Probe], others):
    """(index in ``actors``, other listing) pairs of a similar name within NAME_RADIUS_KM,
    nearest first for each. Staff only: the private positions of both (a home-based
    producer's house). Phone and source key are loaded too: an import weighs them against a
    similar name.

    The candidates come from one spatial-index statement for the whole batch (each
    listing's box in metres, geodata.spatial.rows_in_boxes) and one query for their rows;
    the exact distance on the ellipsoid is then computed here, for those few pairs."""
    placed = [(i, a) for i, a in enumerate(actors) if a.location is not None and a.name]
    if not placed:
        return []
    boxes = bboxes_around([(a.location.y, a.location.x) for _i, a in placed], NAME_RADIUS_KM)
    in_box = rows_in_boxes(Actor, "location", boxes, others.db)
    pks = set().union(*in_box.values()) if in_box else set()
    rows = (
        {
            other.pk: other
            for other in others.filter(pk__in=pks).only(
                "pk", "name", "slug", "status", "kind", "phone", "source", "source_key", "location"
            )
        }
        if pks
        else {}
    )
    pairs = []
    for box_index, (index, actor) in enumerate(placed):
        here = (actor.location.y, actor.location.x)
        near = []
        for pk in in_box.get(box_index, ()):
            other = rows.get(pk)
            if other is None or other.location is None:
                continue
            metres = geodesic(here, (other.location.y, other.location.x)).m
            if metres <= NAME_RADIUS_KM * 1000 and similar_names(actor.name, other.name):
                near.append((metres, other.pk, other))
        pairs += [(index, other) for _m, _pk, other in sorted(near, key=lambda n: n[:2])]
    return pairs


def public_lookalikes(actor: Actor, limit: int = 5) -> list[Duplicate]:
    """Published listings that look like ``actor``, for its (anonymous) registrant.

    Public data only on the other side: a similar name near the other listing's public
    pin, the same public phone, public e-mail or website. The registrant's own values may
    be private (their contact e-mail and phone are theirs); what they are compared with is
    on every listing page already. Never a private field, a private position, or a
    listing the public cannot see."""
    others = Actor.objects.published().exclude(pk=actor.pk)
    found: dict[int, Duplicate] = {}
    fields = ("pk", "name", "slug", "status", "kind")

    def add(other, reason):
        found.setdefault(other.pk, Duplicate(other, [])).reasons.append(str(reason))

    if actor.location is not None and actor.name:
        for other in others.near(actor.location, PUBLIC_NAME_RADIUS_KM).only(*fields):
            if similar_names(actor.name, other.name):
                add(other, _("nom proche dans les environs"))

    phones = {p for p in (phone_digits(actor.phone), phone_digits(actor.contact_phone)) if p}
    if phones:
        candidates = others.annotate(phone_tail=Right(_bare("phone"), 9)).filter(
            phone_tail__in={p[-9:] for p in phones}
        )
        for other in candidates.only(*fields, "phone"):
            if phone_digits(other.phone) in phones:
                add(other, _("même numéro de téléphone"))

    emails = {e.lower() for e in (actor.email, actor.contact_email) if e}
    if emails:
        candidates = others.annotate(email_lower=Lower("email")).filter(email_lower__in=emails)
        for other in candidates.only(*fields):
            add(other, _("même e-mail"))

    sites = {s for s in (site_key(actor.website), site_key(actor.shop_url)) if s}
    if sites:
        query = Q()
        for host in sorted({s.split("/")[0] for s in sites}):
            query |= Q(website__icontains=host) | Q(shop_url__icontains=host)
        for other in others.filter(query).only(*fields, "website", "shop_url"):
            if sites & ({site_key(other.website), site_key(other.shop_url)} - {""}):
                add(other, _("même site web"))
    return list(found.values())[:limit]
