"""Registration, link-request and alert limits: per client address and per e-mail address,
counted in the shared cache (directory.ratelimit)."""

from django.conf import settings

from ..ratelimit import allow, client_ip, client_key, retry_after

__all__ = [
    "STEPS_WINDOW",
    "allow",
    "allow_request",
    "allow_step",
    "client_ip",
    "client_key",
    "retry_after",
]

# Form pages sent (registration steps, owner edits) per client and hour, unless
# TOUTPRES_RATE_LIMITS["STEPS_PER_IP_PER_HOUR"] says otherwise (RATE_LIMIT_STEPS_PER_IP).
DEFAULT_STEPS_PER_HOUR = 300
STEPS_WINDOW = 3600


def allow_request(request, scope: str, email: str = "") -> bool:
    """The registration, link-request and alert limits: per client (IPv4 address or IPv6
    network, directory.ratelimit.client_key) and, when given, per e-mail."""
    limits = settings.TOUTPRES_RATE_LIMITS
    ok = allow(scope + ":ip", client_key(request), limits["PER_IP_PER_HOUR"])
    if email:
        ok = allow(scope + ":email", email, limits["PER_EMAIL_PER_HOUR"]) and ok
    return ok


def allow_step(request) -> bool:
    """One form page sent (a registration step or an owner edit), per client (client_key).
    Generous for a person (a registration is some ten pages), low enough that no answer
    of these pages can be queried thousands of times as an oracle."""
    limit = settings.TOUTPRES_RATE_LIMITS.get("STEPS_PER_IP_PER_HOUR", DEFAULT_STEPS_PER_HOUR)
    return allow("steps:ip", client_key(request), limit, STEPS_WINDOW)
