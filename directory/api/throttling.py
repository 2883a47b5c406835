"""Rate limits of the API and of the site's own map calls. Its own module: DRF resolves
DEFAULT_THROTTLE_CLASSES while it defines APIView, so this must not import
rest_framework.views.

Two scopes, each per client (directory.ratelimit.client_key: the IPv4 address or the IPv6
network, the same identity the registration limits use) and counted in the shared cache:

- ``api``: the public API v1 (settings.TOUTPRES_API_RATE, API_RATE_LIMIT);
- ``site``: what this site's own pages ask for as they are used, the map layer and the
  place suggestions (settings.TOUTPRES_SITE_RATE, SITE_RATE_LIMIT), more generous, so
  that people sharing one address (a school, a mobile operator) keep a working map even
  when someone there spends the API's quota.
"""

import functools

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from ..ratelimit import client_key, sliding_allow


def parse_rate(rate: str) -> tuple[int, int]:
    """(limit, seconds) of a rate such as "600/hour", read as DRF reads it."""
    limit, window = SimpleRateThrottle.parse_rate(None, rate)
    return limit, window


def throttled_message(rate: str, wait: int) -> str:
    return _("Trop de requêtes : %(rate)s au plus par adresse. Réessayez dans %(wait)s s.") % {
        "rate": rate,
        "wait": wait,
    }


class WindowRateThrottle(BaseThrottle):
    """A sliding-window count per client (IPv4 address or IPv6 network), two integers in
    the shared cache whatever the limit (directory.ratelimit.sliding_allow), where DRF's
    SimpleRateThrottle stores and re-pickles each client's whole request history; the rate
    is read on each request rather than at import, so tests and operators can change it."""

    scope = ""

    def get_rate(self) -> str:
        raise NotImplementedError

    def get_ident(self, request):
        return client_key(request)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        limit, self.window = parse_rate(self.rate)
        allowed, self.retry = sliding_allow(
            "throttle:" + self.scope, self.get_ident(request), limit, self.window
        )
        if allowed:
            return True
        request.throttled_rate = self.rate  # for the 429's message (api.base.exception_handler)
        return False

    def wait(self):
        return self.retry


class ApiRateThrottle(WindowRateThrottle):
    """The public API: settings.TOUTPRES_API_RATE (e.g. "600/hour")."""

    scope = "api"

    def get_rate(self):
        return settings.TOUTPRES_API_RATE


class SiteRateThrottle(WindowRateThrottle):
    """The site's own map layer and place suggestions: settings.TOUTPRES_SITE_RATE."""

    scope = "site"

    def get_rate(self):
        return settings.TOUTPRES_SITE_RATE


def throttle(throttle_class):
    """The same limit on a plain Django view (the map layer): a 429 with Retry-After and
    the API's error shape."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            limiter = throttle_class()
            if limiter.allow_request(request, None):
                return view(request, *args, **kwargs)
            wait = limiter.wait()
            response = JsonResponse(
                {"detail": throttled_message(limiter.rate, wait), "retry_after": wait},
                status=429,
            )
            response["Retry-After"] = str(wait)
            response["Cache-Control"] = "no-store"
            return response

        return wrapped

    return decorator
