"""Who the client is, and fixed-window rate limits counted in the shared cache.

One client address for every limit (registrations, link requests, alerts, the API and the
site's own map calls): REMOTE_ADDR, or behind our reverse proxy (BEHIND_PROXY=1) the
address it forwarded. X-Forwarded-For is read only when the request comes from one of
TRUSTED_PROXIES, and walked from the right, skipping our own proxies: every hop to the
left of the first foreign address was written by the client and proves nothing.
"""

import hashlib
import ipaddress
import math
import time
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.core.cache import cache


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted_proxy(address) -> bool:
    networks = _networks(tuple(settings.TOUTPRES_TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """The client's address, as rate limits count it."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.TOUTPRES_BEHIND_PROXY or not is_trusted_proxy(_address(remote)):
        return remote
    client = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # our proxy wrote nothing usable there: the last proxy is the identity
        client = str(address)
        if not is_trusted_proxy(address):
            break
    return client


def _name(scope: str, key: str, bucket: int) -> str:
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{bucket}"


def allow(scope: str, key: str, limit: int, window_seconds: int = 3600) -> bool:
    """Count one attempt for ``key``; False once ``limit`` attempts were made in this window.

    ``incr``, and ``add`` for the window's first attempt: both atomic in the caches we
    support (database, Redis, and the development memory cache), so no count is lost
    between processes. The common case is one ``incr``.
    """
    if limit <= 0:
        return True
    name = _name(scope, key, int(time.time() // window_seconds))
    try:
        count = cache.incr(name)
    except ValueError:  # the window's first attempt (or its entry just expired)
        # Another process may add it first: then count on its entry.
        count = 1 if cache.add(name, 1, window_seconds) else cache.incr(name)
    return count <= limit


def retry_after(window_seconds: int) -> int:
    """Seconds until the current window ends (at least 1): the Retry-After of a refusal."""
    return max(1, math.ceil(window_seconds - time.time() % window_seconds))


@checks.register(checks.Tags.security)
def check_trusted_proxies(app_configs, **kwargs):
    """directory.E020: TRUSTED_PROXIES must be addresses or networks."""
    try:
        _networks(tuple(settings.TOUTPRES_TRUSTED_PROXIES))
    except ValueError as error:
        return [
            checks.Error(
                f"TRUSTED_PROXIES: {error}.",
                hint="Addresses or networks, comma-separated: 127.0.0.1,::1,10.0.0.0/8.",
                id="directory.E020",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """directory.W020: with DEBUG off, the cache must be shared by the server processes,
    or every limit counts once per process."""
    problems = []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    per_process = ("LocMemCache", "DummyCache", "FileBasedCache")
    if not settings.DEBUG and backend.endswith(per_process):
        problems.append(
            checks.Warning(
                f"The cache ({backend}) is not shared safely by several server processes: "
                "rate limits would count once per process.",
                hint="Leave CACHE_URL unset (database cache) or set CACHE_URL=redis://….",
                id="directory.W020",
            )
        )
    return problems
