"""gunicorn settings for Tout Près (deploy/systemd/toutpres-web.service, ./dev serve).

Run from the project folder: ``gunicorn -c deploy/gunicorn.conf.py``. Each value can be
changed through the environment (the systemd unit reads /etc/toutpres/env).
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"

# nginx on the same host proxies to this address. TCP on the loopback, not a unix socket:
# rate limits believe X-Forwarded-For only from TRUSTED_PROXIES (127.0.0.1 by default),
# which a unix socket's empty client address is not.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")

# Synchronous workers, 2 × cores + 1: each serves one request at a time; nginx buffers slow
# clients so that a worker is never held by one.
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1))

# A worker is replaced after this many requests (plus jitter, so they do not all restart at
# once): memory that a long-lived process accumulates is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = max(1, max_requests // 10)

# A request taking longer is stuck (a hung database or service): its worker is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# `systemctl reload toutpres-web` (HUP): new workers start with the new code while the old
# ones finish their requests, for at most this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 30))
keepalive = 5

# X-Forwarded-Proto is believed from nginx only (Django reads it: SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to standard error (the journal under systemd); nginx keeps the access log.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "toutpres"
# gunicorn ≥ 24 opens a control socket in the user's home: not wanted (systemd controls it,
# and the service's home is read-only).
control_socket_disable = True


def post_worker_init(worker):
    """Load at boot what a worker would otherwise load on its first request (the URLconf
    and every view module it imports: ~1 s of CPU), so that after each restart
    (``max_requests``) no visitor waits behind it; then move everything loaded so far out
    of the garbage collector's sight (``gc.freeze``): full collections no longer walk
    the framework's and the gazetteer's long-lived objects during requests."""
    import gc

    try:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 (imports the URLconf)
    except Exception:  # noqa: BLE001 - the first request will report it as usual
        worker.log.exception("URLconf not loaded at boot")
    gc.collect()
    gc.freeze()
