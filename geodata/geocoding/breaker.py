"""A circuit breaker for the online geocoder, its state in the shared cache.

Closed: calls go through. After BREAKER_FAILURES failures (errors or time-outs) within
BREAKER_WINDOW seconds it opens: for BREAKER_COOLDOWN seconds nobody calls the service,
every process and server alike (the cache is shared), and the gazetteer answers. Then it
is half-open: one request at a time probes the service; a success closes the breaker, a
failure opens it for another cool-down.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

PREFIX = "geocoder-breaker:"
FAILURES = PREFIX + "failures"
OPEN_UNTIL = PREFIX + "open-until"
PROBE = PREFIX + "probe"


def now() -> float:
    """Wall-clock seconds, shared by every server (the tests move it on)."""
    return time.time()


def _config():
    config = settings.TOUTPRES_GEOCODER
    return (
        config.get("BREAKER_FAILURES", 5),
        config.get("BREAKER_WINDOW", 60.0),
        config.get("BREAKER_COOLDOWN", 60.0),
        config.get("TIMEOUT", 1.5),
    )


def allow() -> bool:
    """May this call go to the service? False while the breaker is open."""
    open_until = cache.get(OPEN_UNTIL)
    if open_until is None:
        return True
    if now() < open_until:
        return False
    # Half-open: one probe at a time, for as long as a call may take.
    _threshold, _window, _cooldown, timeout = _config()
    return cache.add(PROBE, 1, timeout=max(1, int(timeout * 2) + 1))


def succeeded() -> None:
    if cache.get(OPEN_UNTIL) is not None:
        logger.warning("Geocoder answers again: circuit closed.")
        cache.delete_many([OPEN_UNTIL, PROBE])
    cache.delete(FAILURES)


def failed() -> None:
    threshold, window, cooldown, _timeout = _config()
    if cache.get(OPEN_UNTIL) is not None:
        # The probe failed: another cool-down.
        _open(cooldown)
        return
    # The window starts at the first failure (add does nothing if the count exists).
    cache.add(FAILURES, 0, timeout=max(1, int(window)))
    try:
        count = cache.incr(FAILURES)
    except ValueError:  # expired between add and incr
        cache.add(FAILURES, 1, timeout=max(1, int(window)))
        count = 1
    if count >= threshold:
        logger.warning(
            "Geocoder failed %d times in %d s: skipped for %d s (the gazetteer answers).",
            count,
            window,
            cooldown,
        )
        _open(cooldown)


def _open(cooldown: float) -> None:
    # Kept past the cool-down (so the next call knows to probe), until a probe succeeds.
    cache.set(OPEN_UNTIL, now() + cooldown, timeout=None)
    cache.delete_many([FAILURES, PROBE])


def is_open() -> bool:
    """True while calls are skipped (for the health page and the tests)."""
    open_until = cache.get(OPEN_UNTIL)
    return open_until is not None and now() < open_until


def reset() -> None:
    cache.delete_many([FAILURES, OPEN_UNTIL, PROBE])
