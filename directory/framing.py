"""Who may frame our pages: nobody (CSP frame-ancestors 'none' and X-Frame-Options: DENY,
see directory.csp), except on the embed routes (see EMBED_FRAME_ANCESTORS)."""

import re

from django.conf import settings
from django.core.checks import Error, register

# An origin as CSP writes it: scheme://host[:port], host possibly with a leading "*.".
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:\d{1,5})?$", re.IGNORECASE)


def frame_ancestors() -> list[str]:
    """The CSP frame-ancestors sources for embed routes, from the setting."""
    sources = settings.EMBED_FRAME_ANCESTORS
    if "*" in sources:
        return ["*"]
    return ["'self'", *sources]


def allow_framing(response):
    """Mark an embed response as frameable by the configured sites.

    The rest of its policy stays the site's (directory.csp): only frame-ancestors changes,
    so there is one Content-Security-Policy header, as strict as any other page's."""
    response.xframe_options_exempt = True
    response._csp_replace = {
        **getattr(response, "_csp_replace", {}),
        "frame-ancestors": frame_ancestors(),
    }
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
