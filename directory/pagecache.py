"""Public pages served again without being rebuilt, while nothing they show can have changed.

On launch day most visitors ask the same pages: the home page, a search around their town,
the listings those searches show. Rendering one costs tens of milliseconds of server CPU
(loading twenty listings, their places and hours, a large template); answering it again
from memory costs well under one. A page is kept under a key made of everything it
depends on:

- the URL (path and query string, parameters sorted), the host and scheme (pages carry
  absolute links), the language;
- the data version (directory.dataversion): every committed public write moves it, so a
  change shows on the next request, on every server, with nothing to purge;
- and it expires at the end of the day (« fermé jusqu'au… », seasons, « ouvert samedi »
  count from today), at the next scheduled portrait's publication, at the end of the
  minute for « ouvert maintenant », and after PAGE_CACHE_SECONDS in any case.

Only anonymous visitors' pages are kept: a request with a session cookie, a message
waiting, or the read-your-writes cookie is served as usual, and so is a page that sets a
cookie, writes the session, queues a message or asks for a CSRF token (a token in a shared
page would be someone else's), or that the view keeps private (``keep_private()``: a search
around a visitor's position or a street address, which a stranger could otherwise probe). The pages kept therefore hold nothing personal, which is
also why they can be stored compressed once (no secret for a BREACH attack to guess).

What a view does on every view, hit or miss (counting a search for the staff figures),
goes through ``every_view()``, which replays it when the page comes from the cache.

The store is the ``pages`` cache: by default each server process's own memory, bounded
(PAGE_CACHE_ENTRIES), so that a stranger varying query strings cannot push out the shared
cache's rate-limit counters; PAGE_CACHE_URL can point it at Redis.
"""

import datetime
import functools
import gzip
import hashlib
import importlib
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from . import clock, dataversion
from .dbrouter import STICKY_COOKIE

ALIAS = "pages"
# Longer query strings are not kept: no legitimate page needs them.
MAX_QUERY = 1024
# Headers of the view's response worth keeping; the middlewares outside add the rest
# (security headers, CSP, framing) on every answer, from the cache or not.
KEPT_HEADERS = ("Content-Type", "Content-Language", "Vary", "Link", "X-Robots-Tag")
HEADER = "X-Page-Cache"

logger = logging.getLogger(__name__)


def _seconds() -> int:
    return getattr(settings, "TOUTPRES_PAGE_CACHE_SECONDS", 0)


def _store():
    return caches[ALIAS]


def _cacheable_request(request) -> bool:
    if request.method not in ("GET", "HEAD") or _seconds() <= 0:
        return False
    cookies = request.COOKIES
    private = (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name, STICKY_COOKIE)
    return not any(name in cookies for name in private)


def _key(request, version: int) -> str | None:
    query = urlencode(sorted(request.GET.lists()), doseq=True)
    if len(query) > MAX_QUERY:
        return None
    parts = (
        request.scheme,
        request.get_host(),
        request.path,
        query,
        translation.get_language() or "",
        str(version),
    )
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"page:{digest}"


def expires_at(request, moment: datetime.datetime) -> None:
    """The page shows something that may change at ``moment`` without any write."""
    at = moment.timestamp()
    request._page_cache_until = min(getattr(request, "_page_cache_until", at), at)


def keep_private(request) -> None:
    """This page must not be kept (it reveals what one visitor asked)."""
    request._page_cache_private = True


def every_view(request, function, *args) -> None:
    """Call ``function(*args)`` now, and again whenever this page is served from the cache.
    ``function`` must be a module-level function; ``args`` plain values."""
    function(*args)
    replay = getattr(request, "_page_cache_replay", None)
    if replay is None:
        replay = request._page_cache_replay = []
    replay.append((f"{function.__module__}:{function.__qualname__}", args))


def _end_of_day(now: datetime.datetime) -> float:
    """The next midnight of the site's time zone (a DST change gives a 23 or 25 h day)."""
    tomorrow = timezone.localtime(now).date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time())).timestamp()


def _next_publication(now: datetime.datetime) -> float | None:
    """When the next scheduled portrait appears (the public pages list them)."""
    from .models import Article, ArticleStatus

    moment = (
        Article.objects.filter(status=ArticleStatus.PUBLISHED, publish_at__gt=now)
        .order_by("publish_at")
        .values_list("publish_at", flat=True)
        .first()
    )
    return moment.timestamp() if moment else None


def _until(request, now: datetime.datetime) -> float:
    candidates = [now.timestamp() + _seconds(), _end_of_day(now)]
    candidates.append(getattr(request, "_page_cache_until", candidates[0]))
    publication = _next_publication(now)
    if publication is not None:
        candidates.append(publication)
    return min(candidates)


def _cacheable_response(request, response) -> bool:
    if getattr(request, "_page_cache_private", False):
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if response.has_header("Content-Encoding"):
        return False
    control = response.get("Cache-Control", "")
    if "private" in control or "no-store" in control:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False  # the page holds a CSRF token: this visitor's only
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    messages = getattr(request, "_messages", None)
    return not getattr(messages, "_queued_messages", None)


def _replay(entry) -> None:
    for name, args in entry.get("replay", ()):
        module, _, qualname = name.partition(":")
        try:
            function = getattr(importlib.import_module(module), qualname)
            function(*args)
        except Exception:  # noqa: BLE001 - a figure must never break a page
            logger.exception("page cache: %s not replayed", name)


def _from_entry(request, entry) -> HttpResponse:
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    body = entry["body"] if accepts_gzip else gzip.decompress(entry["body"])
    response = HttpResponse(body, status=200)
    for name, value in entry["headers"]:
        response[name] = value
    if accepts_gzip:
        response["Content-Encoding"] = "gzip"
    # As a fresh page's (the session middleware adds Cookie when the page reads the user):
    # a shared cache must not hand this anonymous copy to a signed-in visitor.
    patch_vary_headers(response, ("Accept-Encoding", "Cookie"))
    response[HEADER] = "hit"
    return response


def _to_entry(request, response, until: float) -> dict:
    return {
        "body": gzip.compress(response.content, compresslevel=6, mtime=0),
        "headers": [(n, response[n]) for n in KEPT_HEADERS if response.has_header(n)],
        "until": until,
        "replay": getattr(request, "_page_cache_replay", []),
    }


def public_page(view):
    """Serve ``view``'s anonymous answers from the page cache while they hold."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request, dataversion.current())
        if key is None:
            return view(request, *args, **kwargs)
        store = _store()
        entry = store.get(key)
        if entry is not None and entry["until"] > clock.now().timestamp():
            _replay(entry)
            return _from_entry(request, entry)
        response = view(request, *args, **kwargs)
        if _cacheable_response(request, response):
            now = clock.now()
            until = _until(request, now)
            timeout = int(until - now.timestamp())
            if timeout > 0:
                store.set(key, _to_entry(request, response, until), timeout)
                response[HEADER] = "miss"
        return response

    return wrapper
