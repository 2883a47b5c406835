"""Registration, link-request and alert limits: per client address and per e-mail address,
counted in the shared cache (directory.ratelimit)."""

from django.conf import settings

from ..ratelimit import allow, client_ip

__all__ = ["allow", "allow_request", "client_ip"]


def allow_request(request, scope: str, email: str = "") -> bool:
    """The registration and link-request limits: per IP and, when given, per e-mail."""
    limits = settings.TOUTPRES_RATE_LIMITS
    ok = allow(scope + ":ip", client_ip(request), limits["PER_IP_PER_HOUR"])
    if email:
        ok = allow(scope + ":email", email, limits["PER_EMAIL_PER_HOUR"]) and ok
    return ok
