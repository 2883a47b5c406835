"""The API's rate limit. Its own module: DRF resolves DEFAULT_THROTTLE_CLASSES while it
defines APIView, so this must not import rest_framework.views."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ApiRateThrottle(SimpleRateThrottle):
    """Requests per client address (settings.TOUTPRES_API_RATE, e.g. "600/hour").

    Read on each request rather than at import, so tests and operators can change it.
    """

    scope = "api"

    def get_rate(self):
        return settings.TOUTPRES_API_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
