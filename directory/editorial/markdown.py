"""Article bodies: Markdown rendered to HTML, then sanitised with an allow-list.

The order matters: Markdown lets raw HTML through, so whatever the renderer produces is
treated as hostile and cleaned by nh3 (the Rust ammonia sanitiser) with a short list of
tags, attributes and URL schemes. Videos are the one embed: a line holding nothing but a
YouTube, Vimeo or Dailymotion address becomes a privacy-enhanced player, built here from
the video's identifier alone, after sanitising, so no author-supplied markup reaches it.
"""

import re

import markdown as md
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "b", "i", "a", "ul", "ol", "li",
    "blockquote", "code", "pre", "img", "figure", "figcaption", "table", "thead", "tbody",
    "tr", "th", "td", "abbr", "sup", "sub",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# rel on every link: no referrer leak, no "window.opener", no ranking given to sites
# the region does not vouch for.
LINK_REL = "noopener noreferrer nofollow"

VIDEO_PATTERNS = [
    (
        re.compile(
            r"^https?://(?:www\.|m\.)?(?:youtube\.com/watch\?(?:[^\s#]*&)?v=|youtu\.be/)"
            r"([A-Za-z0-9_-]{11})(?:[&?#][\w=&;%.-]*)?$"
        ),
        "https://www.youtube-nocookie.com/embed/{id}",
        "YouTube",
    ),
    (
        re.compile(r"^https?://(?:www\.)?vimeo\.com/(\d{1,12})(?:[/?#][\w=&;%.-]*)?$"),
        "https://player.vimeo.com/video/{id}?dnt=1",
        "Vimeo",
    ),
    (
        re.compile(
            r"^https?://(?:www\.)?dailymotion\.com/video/([A-Za-z0-9]{5,12})(?:[?#][\w=&;%.-]*)?$"
        ),
        "https://www.dailymotion.com/embed/video/{id}",
        "Dailymotion",
    ),
]
# A paragraph that is only a bare link to a video, as the sanitiser leaves it.
_LONE_LINK = re.compile(
    r'<p><a href="([^"<>]+)" rel="[^"]*">([^<]*)</a></p>|<p>(https?://[^\s<>"]+)</p>'
)
_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _shift_headings(html: str) -> str:
    # The article's title is the page's only h1: "# Title" in the body becomes h2 (as
    # "## Title" does), and levels below h4 are folded into h4.
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(max(int(m.group(2)), 2), 4)}", html)


def _video(url: str) -> str | None:
    url = url.replace("&amp;", "&")
    for pattern, embed, service in VIDEO_PATTERNS:
        if match := pattern.match(url):
            src = embed.format(id=match.group(1))
            title = _("Vidéo %(service)s") % {"service": service}
            return (
                f'<figure class="video"><iframe src="{escape(src)}" title="{escape(title)}" '
                'loading="lazy" referrerpolicy="strict-origin-when-cross-origin" '
                'sandbox="allow-scripts allow-same-origin allow-presentation allow-popups" '
                'allow="fullscreen; picture-in-picture" allowfullscreen></iframe>'
                f'<figcaption><a href="{escape(url)}" rel="{LINK_REL}">'
                f"{escape(_('Voir la vidéo sur %(service)s') % {'service': service})}</a>"
                "</figcaption></figure>"
            )
    return None


def _embed_videos(html: str) -> str:
    def replace(match):
        if match.group(3):
            return _video(match.group(3)) or match.group(0)
        href, text = match.group(1), match.group(2)
        if text.replace("&amp;", "&") != href.replace("&amp;", "&"):
            return match.group(0)  # a link with its own words is a link, not an embed
        return _video(href) or match.group(0)

    return _LONE_LINK.sub(replace, html)


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render(text: str) -> SafeString:
    """Safe HTML of an article body."""
    html = md.markdown(
        text or "",
        extensions=["extra", "sane_lists", "smarty"],
        extension_configs={
            "smarty": {
                "substitutions": {
                    "left-double-quote": "«\u00a0",
                    "right-double-quote": "\u00a0»",
                }
            }
        },
        output_format="html",
    )
    html = sanitise(_shift_headings(html))
    html = _embed_videos(html)
    # Images load lazily and never carry the reader's address to another site.
    html = html.replace("<img ", '<img loading="lazy" referrerpolicy="no-referrer" ')
    return mark_safe(html)  # noqa: S308 (sanitised above; only our own video markup added)


def plain_text(text: str, limit: int | None = None) -> str:
    """The body's words without markup (descriptions, social texts)."""
    words = " ".join(nh3.clean(md.markdown(text or ""), tags=set()).split())
    if limit and len(words) > limit:
        words = words[: limit - 1].rsplit(" ", 1)[0] + "…"
    return words
