"""What a moderator needs to decide a claim: the listing's own contacts beside the claimant's.

Nothing here decides; it points out what matches and what does not, so that a moderator
calls the listing's public phone rather than the number the claimant offers.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

# Addresses anyone can open: a matching domain proves nothing there.
WEBMAIL_DOMAINS = {
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "hotmail.fr",
    "outlook.com",
    "outlook.fr",
    "live.com",
    "live.fr",
    "msn.com",
    "yahoo.com",
    "yahoo.fr",
    "icloud.com",
    "me.com",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "neuf.fr",
    "laposte.net",
    "bbox.fr",
    "aol.com",
    "gmx.fr",
    "gmx.com",
    "protonmail.com",
    "proton.me",
}
PHONE = re.compile(r"(?:\+33\s*|0)[1-9](?:[\s.\-]*\d{2}){4}")


def domain_of_email(email: str) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def domain_of_url(url: str) -> str:
    try:
        host = urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def phone_digits(phone: str) -> str:
    """The national number: "+33 2 54 …" and "02.54…" both give "0254…"."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def same_site(domain: str, host: str) -> bool:
    return bool(domain and host) and (domain == host or host.endswith("." + domain))


@dataclass
class Finding:
    ok: bool | None  # True: supports the claim; False: against it; None: proves nothing
    text: str


def findings(claim) -> list[Finding]:
    """The claimant's e-mail, its domain and the phones in their message, against the
    listing's public phone, website and e-mail and its private contact."""
    actor, email = claim.actor, claim.user.email.lower()
    domain = domain_of_email(email)
    out = []
    listing_emails = {e.lower() for e in (actor.email, actor.contact_email) if e}
    if email in listing_emails:
        out.append(Finding(True, _("L'e-mail du demandeur est celui de la fiche.")))
    site = domain_of_url(actor.website) or domain_of_url(actor.shop_url)
    listing_domains = {domain_of_email(e) for e in listing_emails}
    if domain in WEBMAIL_DOMAINS:
        out.append(
            Finding(
                None,
                _("Messagerie ouverte à tous (%(domain)s) : le domaine ne prouve rien.")
                % {"domain": domain},
            )
        )
    elif site and same_site(domain, site):
        out.append(
            Finding(
                True,
                _("Le domaine %(domain)s correspond au site web de la fiche (%(site)s).")
                % {"domain": domain, "site": site},
            )
        )
    elif domain in listing_domains:
        out.append(
            Finding(
                True,
                _("Le domaine %(domain)s correspond à l'e-mail de la fiche.") % {"domain": domain},
            )
        )
    elif site or listing_domains:
        out.append(
            Finding(
                False,
                _("Le domaine %(domain)s ne correspond pas au site web ni à l'e-mail de la fiche.")
                % {"domain": domain},
            )
        )
    phones = {phone_digits(p) for p in (actor.phone, actor.contact_phone) if p}
    offered = {phone_digits(m.group(0)) for m in PHONE.finditer(claim.message or "")}
    if merged := claim.merged_from:
        offered |= {phone_digits(p) for p in (merged.phone, merged.contact_phone) if p}
    if phones and offered & phones:
        out.append(
            Finding(
                True, _("Un numéro donné par le demandeur correspond au téléphone de la fiche.")
            )
        )
    elif offered:
        out.append(
            Finding(
                False,
                _(
                    "Les numéros donnés par le demandeur diffèrent de ceux de la fiche : "
                    "appelez le numéro de la fiche, pas celui du demandeur."
                ),
            )
        )
    if actor.owner_id:
        out.append(
            Finding(
                False,
                _("La fiche a déjà un propriétaire (%(email)s) : l'accepter le remplace.")
                % {"email": actor.owner.email},
            )
        )
    return out
