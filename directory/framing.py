"""Who may frame our pages: nobody, except on the embed routes (see EMBED_FRAME_ANCESTORS)."""

import re

from django.conf import settings
from django.core.checks import Error, register

# An origin as CSP writes it: scheme://host[:port], host possibly with a leading "*.".
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:\d{1,5})?$", re.IGNORECASE)


def frame_ancestors() -> str:
    """The CSP directive for embed routes, from the setting."""
    sources = settings.EMBED_FRAME_ANCESTORS
    if "*" in sources:
        return "frame-ancestors *"
    return "frame-ancestors 'self' " + " ".join(sources)


def allow_framing(response):
    """Mark an embed response as frameable by the configured sites."""
    response.xframe_options_exempt = True
    response["Content-Security-Policy"] = frame_ancestors()
    return response


class FrameAncestorsMiddleware:
    """Every other response says frame-ancestors 'none', the modern twin of
    X-Frame-Options: DENY (browsers obey CSP first when both are present)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        return response


@register()
def check_frame_ancestors(app_configs, **kwargs):
    """A typo in the allow-list would silently block a partner: refuse to start instead."""
    bad = [s for s in settings.EMBED_FRAME_ANCESTORS if s != "*" and not ORIGIN.match(s)]
    if bad:
        return [
            Error(
                f"EMBED_FRAME_ANCESTORS : origine(s) invalide(s) {', '.join(bad)}",
                hint="« * » ou des origines comme https://www.exemple.fr, séparées par des virgules.",
                id="directory.E010",
            )
        ]
    return []
