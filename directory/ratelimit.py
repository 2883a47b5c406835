"""Who the client is, and fixed-window rate limits counted in the shared cache.

One client identity for every limit (registrations, link requests, alerts, the API and
the site's own map calls): client_key(). The address is REMOTE_ADDR, or behind our
reverse proxy (BEHIND_PROXY=1) the address it forwarded. X-Forwarded-For is read only
when the request comes from one of TRUSTED_PROXIES, and walked from the right, skipping
our own proxies: every hop to the left of the first foreign address was written by the
client and proves nothing.

An IPv6 client is given a whole network (a /64 at least, often a /56 or a /48) and picks
its source address in it at will, so IPv6 is counted per network of
RATE_LIMIT_IPV6_PREFIX bits (64 by default); an IPv4 address written as IPv6
(``::ffff:192.0.2.1``) is that IPv4 address; every spelling of one address (case, zero
compression, brackets, a port, a zone id) is one client. An address that cannot be read
counts in one shared bucket: limited, never unlimited.
"""

import contextlib
import hashlib
import ipaddress
import math
import re
import time
from collections import OrderedDict
from functools import lru_cache

from django.conf import settings
from django.core import checks
from django.core.cache import cache

# What a client whose address cannot be read counts as: one bucket shared by all of them.
UNKNOWN_CLIENT = "unknown"
_BRACKETED = re.compile(r"\[([^\[\]]*)\](?::\d{1,5})?")  # [2001:db8::1]:443
_IPV4_WITH_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}")  # 192.0.2.1:443


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def parse_address(text: str):
    """The address written in ``text`` (an ``ipaddress`` object), or None if there is none.

    Accepts what proxies and servers write: surrounding spaces, brackets, a port after
    brackets or after an IPv4 address, an IPv6 zone id (``%eth0``, ``%25eth0``), which
    are dropped; an IPv4-mapped IPv6 address is returned as its IPv4 address.
    """
    text = text.strip()
    if len(text) > 100:
        return None
    match = _BRACKETED.fullmatch(text) or _IPV4_WITH_PORT.fullmatch(text)
    if match:
        text = match.group(1)
    if ":" in text and "%" in text:
        text = text.split("%", 1)[0]  # the zone id names an interface of the sender's host
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address) -> bool:
    networks = _networks(tuple(settings.TOUTPRES_TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_address(request):
    """The client's address (an ``ipaddress`` object), or None if it cannot be read."""
    remote = parse_address(request.META.get("REMOTE_ADDR", ""))
    if not settings.TOUTPRES_BEHIND_PROXY or not is_trusted_proxy(remote):
        return remote
    client = remote
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = parse_address(hop)
        if address is None:
            break  # our proxy wrote nothing usable there: the last proxy is the identity
        client = address
        if not is_trusted_proxy(address):
            break
    return client


def client_ip(request) -> str:
    """The client's address as text ("" if it cannot be read)."""
    address = client_address(request)
    return "" if address is None else str(address)


def ipv6_prefix() -> int:
    """RATE_LIMIT_IPV6_PREFIX, kept within 1..128 (directory.E021 reports a bad value)."""
    try:
        return min(128, max(1, int(settings.TOUTPRES_RATE_LIMIT_IPV6_PREFIX)))
    except (TypeError, ValueError):
        return 64


def identity_of(address) -> str:
    """The client identity of an address: the IPv4 address, or the IPv6 network."""
    if address is None:
        return UNKNOWN_CLIENT
    if address.version == 6:
        return str(ipaddress.ip_network((address, ipv6_prefix()), strict=False))
    return str(address)


def client_key(request) -> str:
    """Who the client is, as every rate limit counts it: ``192.0.2.1``,
    ``2001:db8:1:2::/64``, or UNKNOWN_CLIENT."""
    return identity_of(client_address(request))


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


# The previous window's counts, read once per process: a window no longer counts once it is
# over (every process counts in the current one), so a client's next requests in this
# window need no second cache read. Bounded: the oldest entries go first.
_CLOSED: "OrderedDict[str, int]" = OrderedDict()
_CLOSED_MAX = 4096


def _closed_count(name: str) -> int:
    try:
        return _CLOSED[name]
    except KeyError:
        pass
    value = int(cache.get(name) or 0)
    _CLOSED[name] = value
    if len(_CLOSED) > _CLOSED_MAX:
        _CLOSED.popitem(last=False)
    return value


def forget_closed_windows() -> None:
    """Drop this process's memo of closed windows: for when the cache itself was emptied
    (tests, or an operator's ``cache.clear()``), so that no count outlives it."""
    _CLOSED.clear()


def sliding_allow(
    scope: str, key: str, limit: int, window_seconds: int, now: float | None = None
) -> tuple[bool, int]:
    """Count one request for ``key`` against ``limit`` per sliding window; returns
    (allowed, seconds to wait when refused).

    The two-window approximation: the current fixed window's count plus the previous
    window's, weighted by the share of it still inside the sliding window. A client cannot
    get twice the limit by sending it on both sides of a window boundary, and each client
    costs two integers in the cache whatever the limit: one ``incr`` a request (``add`` on
    the window's first), and one ``get`` of the previous, closed count per process and
    window. A refused request is taken back (``decr``): it spends nothing.
    """
    if limit <= 0:
        return True, 0
    now = time.time() if now is None else now
    bucket = int(now // window_seconds)
    name = _name(scope, key, bucket)
    try:
        count = cache.incr(name)
    except ValueError:  # the window's first request; it is the next window's previous
        count = 1 if cache.add(name, 1, 2 * window_seconds) else cache.incr(name)
    elapsed = (now % window_seconds) / window_seconds
    previous = 0
    if count <= limit:
        previous = _closed_count(_name(scope, key, bucket - 1))
        if previous * (1 - elapsed) + count <= limit:
            return True, 0
    with contextlib.suppress(ValueError):  # expired in between: nothing to take back
        cache.decr(name)
    count -= 1
    # When the next request would pass, if nothing else is sent meanwhile.
    if count + 1 <= limit and previous:
        at = 1 - (limit - count - 1) / previous  # later in this window
        if at <= 1:
            return False, max(1, math.ceil((at - elapsed) * window_seconds))
    later = max(0.0, 1 - (limit - 1) / count) if count else 0.0  # into the next window
    return False, max(1, math.ceil((1 - elapsed + later) * window_seconds))


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


@checks.register(checks.Tags.security)
def check_ipv6_prefix(app_configs, **kwargs):
    """directory.E021: RATE_LIMIT_IPV6_PREFIX must be a prefix length, 1 to 128."""
    value = getattr(settings, "TOUTPRES_RATE_LIMIT_IPV6_PREFIX", 64)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 128:
        return []
    return [
        checks.Error(
            f"RATE_LIMIT_IPV6_PREFIX: {value!r} is not a prefix length from 1 to 128.",
            hint="64 counts each IPv6 /64 network as one client (the default); 56 or 48 "
            "counts whole customer allocations.",
            id="directory.E021",
        )
    ]


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
