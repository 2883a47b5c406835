"""Page views counted server-side, by kind of page, without cookies or personal data."""

import logging
import re
from urllib.parse import urlsplit

from .counting import record_page_view

# Pages the public reads, by URL name; the rest of the public site is "autre".
PAGES = {
    "home": "accueil",
    "markets": "marches",
    "actor-detail": "fiche",
    "articles": "fenetre-sur",
    "article": "fenetre-sur",
    "embed": "carte-integree",
    "register": "inscription",
    "opendata": "donnees",
    "alerts": "alertes",
}
NOT_COUNTED = ("/admin/", "/staff/", "/moderation/", "/mes-fiches/", "/api/", "/static/", "/media/")
# Read to leave robots out of the figures, never stored.
ROBOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|monitor|curl|wget|python-requests|headless", re.I
)


class PageViewMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            if self.counts(request, response):
                page = PAGES.get(getattr(request.resolver_match, "url_name", ""), "autre")
                record_page_view(page, entry=self.is_entry(request))
        except Exception:  # noqa: BLE001 - a figure must never break a page
            logging.getLogger(__name__).exception("page view not counted")
        return response

    @staticmethod
    def counts(request, response) -> bool:
        if request.method != "GET" or response.status_code != 200:
            return False
        if not response.get("Content-Type", "").startswith("text/html"):
            return False
        if request.path.startswith(NOT_COUNTED) or request.resolver_match is None:
            return False
        if (
            request.headers.get("Sec-Purpose", "").startswith("prefetch")
            or request.headers.get("Purpose") == "prefetch"
        ):
            return False
        return not ROBOTS.search(request.headers.get("User-Agent", ""))

    @staticmethod
    def is_entry(request) -> bool:
        """A visit starts on a page reached from elsewhere: no Referer, or another site's."""
        referer = request.headers.get("Referer", "")
        if not referer:
            return True
        try:
            return urlsplit(referer).netloc.lower() != request.get_host().lower()
        except ValueError:
            return True
