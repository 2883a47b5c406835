"""The Content-Security-Policy of every response (django-csp), and its few exceptions.

Every page runs only scripts and styles served from our own origin: no inline script, no
inline style, no eval. A name that slipped through as markup would still not run. Three
kinds of response differ, each on purpose and nowhere else:

- the embed routes may be framed by the partners' sites (directory.framing);
- the admin's map widget (django-leaflet) writes an inline script: on /admin/ only, it
  runs with a nonce, a fresh random value per response that injected markup cannot know;
- the downloadable map (directory.standalone) is a file with inline Leaflet: it carries
  its own policy allowing its scripts by hash, and is sandboxed if a browser renders it.
"""

import functools
import re
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from csp.middleware import CSPMiddleware
from django.urls import reverse


def origin(url: str) -> list[str]:
    """[scheme://host] of an absolute URL, [] for a path on our own origin."""
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def tile_sources(url: str) -> list[str]:
    """The origin map tiles come from, as CSP writes it: {s}.tile.x.org -> *.tile.x.org."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return []  # tiles served from our own origin ("/tiles/{z}/{x}/{y}.png")
    host = re.sub(r"^\{[a-z]+\}\.", "*.", parts.netloc)
    if "{" in host:  # a placeholder elsewhere in the host: allow the whole domain
        host = "*." + host.rsplit("}", 1)[1].lstrip(".-")
    return [f"{parts.scheme}://{host}"]


def directives(tiles_url: str = "", media_url: str = "") -> dict:
    """CONTENT_SECURITY_POLICY["DIRECTIVES"] for django-csp (built once, in settings):
    images also from the tile server and from MEDIA_URL's host if photos are elsewhere."""
    return {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *tile_sources(tiles_url), *origin(media_url)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }


@functools.cache
def article_directives() -> dict:
    """What an article body may show beyond our own files: images its editors link to
    (any https address) and the video players directory.editorial.markdown embeds."""
    from .editorial.markdown import VIDEO_PATTERNS

    players = sorted({origin(embed)[0] for _, embed, _ in VIDEO_PATTERNS})
    return {"img-src": ["https:"], "frame-src": players}


def article_sources(view):
    """View decorator: the page shows an article body (see article_directives)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add(response, article_directives())
        return response

    return wrapped


def add(response, sources: dict) -> None:
    """Widen one response's policy by ``sources`` (django-csp's per-response update)."""
    update = dict(getattr(response, "_csp_update", None) or {})
    for directive, values in sources.items():
        update[directive] = [*update.get(directive, []), *values]
    response._csp_update = update


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's two needs: a nonce for its map widget's
    inline script, and the article editor's live preview (article_directives)."""

    def process_response(self, request, response):
        if request.path_info.startswith(reverse("admin:index")):
            # The nonce only reaches the header when a template read request.csp_nonce.
            add(response, {"script-src": [NONCE], **article_directives()})
        return super().process_response(request, response)
