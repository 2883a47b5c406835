"""Relaying an article: plain share links (no third-party script, no tracking) and ready-made
texts for each social network, within its length limit."""

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.utils.translation import gettext as _

# Networks that shorten every link to a fixed length count it as such.
SHORT_LINK = 23


@dataclass(frozen=True)
class Network:
    key: str
    name: str
    limit: int
    link_length: int | None = None  # None: the link counts in full
    note: str = ""


def networks() -> list[Network]:
    return [
        Network("x", "X (Twitter)", 280, SHORT_LINK),
        Network("mastodon", "Mastodon", 500, SHORT_LINK),
        Network("bluesky", "Bluesky", 300),
        Network("facebook", "Facebook", 2000),
        Network("linkedin", "LinkedIn", 3000),
        Network(
            "instagram",
            "Instagram",
            2200,
            note=_("Les liens ne sont pas cliquables sur Instagram : mettez-le aussi en bio."),
        ),
    ]


def _shorten(text: str, room: int) -> str:
    text = " ".join(text.split())
    if len(text) <= room:
        return text
    if room <= 1:
        return ""
    cut = text[: room - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def social_text(network: Network, title: str, lead: str, url: str) -> str:
    """Title, lead and link; the lead (then the title) shortened to fit the network."""
    link_cost = network.link_length or len(url)
    separators = 4  # two blank lines
    room = network.limit - link_cost - separators
    title = _shorten(title, max(room - 2, 1))
    lead_room = room - len(title) - 2
    lead = _shorten(lead, lead_room) if lead_room > 20 else ""
    parts = [title] + ([lead] if lead else []) + [url]
    return "\n\n".join(parts)


def counted_length(network: Network, text: str, url: str) -> int:
    """The length the network counts (links shortened where it shortens them)."""
    if network.link_length is None:
        return len(text)
    return len(text) - text.count(url) * (len(url) - network.link_length)


def social_texts(title: str, lead: str, url: str) -> list[dict]:
    out = []
    for network in networks():
        text = social_text(network, title, lead, url)
        out.append(
            {
                "key": network.key,
                "name": network.name,
                "limit": network.limit,
                "text": text,
                "length": counted_length(network, text, url),
                "note": network.note,
            }
        )
    return out


def share_links(title: str, url: str) -> list[dict]:
    """Plain links to each network's own share page: nothing loads until the reader clicks."""
    text = f"{title} {url}"
    return [
        {
            "name": "Facebook",
            "href": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        },
        {
            "name": "X (Twitter)",
            "href": "https://twitter.com/intent/tweet?" + urlencode({"text": title, "url": url}),
        },
        {
            "name": "LinkedIn",
            "href": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        },
        {"name": "Bluesky", "href": "https://bsky.app/intent/compose?" + urlencode({"text": text})},
        {"name": "WhatsApp", "href": "https://wa.me/?" + urlencode({"text": text})},
        {"name": _("E-mail"), "href": f"mailto:?subject={quote(title)}&body={quote(text)}"},
    ]
