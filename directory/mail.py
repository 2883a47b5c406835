"""E-mail work done after the response, in a small pool of background threads.

Why: an answer that waits for SMTP takes longer when there is something to send, so the
time a request takes tells whether an address has an account. Work handed to ``later``
leaves the request at once (after the current transaction commits); the request does the
same thing whatever the address. Errors are logged, never shown to the visitor.

The pool lives in each server process; its threads finish queued work when the process
exits normally (gunicorn's graceful restarts included). A process killed outright loses
what was queued: the person asks for a new link. A database-backed task queue can replace
this module without changing its callers.

With TOUTPRES_MAIL_IN_BACKGROUND off (the tests), the work runs at once, in the request.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for

from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)

WORKERS = 2

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pending: set = set()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="toutpres-mail")
        return _pool


def _run(function, args, kwargs) -> None:
    try:
        function(*args, **kwargs)
    except Exception:
        logger.exception("Background e-mail work %s failed", getattr(function, "__name__", ""))
    finally:
        # Each job opens its own database connection in this thread: give it back.
        connections.close_all()


def _submit(function, args, kwargs) -> None:
    future = _executor().submit(_run, function, args, kwargs)
    with _lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future) -> None:
    with _lock:
        _pending.discard(future)


def later(function, *args, **kwargs) -> None:
    """Run ``function(*args, **kwargs)`` outside the request, once the transaction commits."""
    if not settings.TOUTPRES_MAIL_IN_BACKGROUND:
        function(*args, **kwargs)
        return
    transaction.on_commit(lambda: _submit(function, args, kwargs))


def wait_for_pending(timeout: float | None = None) -> bool:
    """Wait until the queued work is done (tests, commands); False if time ran out."""
    with _lock:
        pending = set(_pending)
    _done, not_done = wait_for(pending, timeout=timeout)
    return not not_done
