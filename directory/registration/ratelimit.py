"""Fixed-window rate limits in the shared cache, per IP address and per e-mail address."""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def client_ip(request) -> str:
    # Behind the reverse proxy (docs/operators.md) the client is the last X-Forwarded-For hop
    # the proxy appended; without a proxy, REMOTE_ADDR.
    if settings.TOUTPRES_BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def allow(scope: str, key: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one attempt for ``key``; False once ``limit`` attempts were made in this window."""
    if limit <= 0:
        return True
    bucket = int(time.time() // window_seconds)
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    name = f"ratelimit:{scope}:{digest}:{bucket}"
    cache.add(name, 0, window_seconds)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, window_seconds)
        count = 1
    return count <= limit


def allow_request(request, scope: str, email: str = "") -> bool:
    """The registration and link-request limits: per IP and, when given, per e-mail."""
    limits = settings.TOUTPRES_RATE_LIMITS
    ok = allow(scope + ":ip", client_ip(request), limits["PER_IP_PER_HOUR"])
    if email:
        ok = allow(scope + ":email", email, limits["PER_EMAIL_PER_HOUR"]) and ok
    return ok
