"""Test settings: production settings (DEBUG off, secure cookies…) with plain-HTTP test servers."""

from config.settings import *  # noqa: F403

# The test client and the live server speak plain HTTP.
SECURE_SSL_REDIRECT = False
# Hashing passwords slowly is a production feature, not something to test 200 times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks (e-mails, geocoding) run at once, in the request, so tests stay deterministic and
# read mail.outbox. Tests of the queue itself (tests/tasks/, test_signin_links.py) switch to
# the database backend and run the real worker (tests/taskqueue.py).
TASKS = {"default": {"BACKEND": TASK_BACKENDS["immediate"]}}  # noqa: F405
# One process per test run: a memory cache, cleared before each test (tests/conftest.py).
# The shared database cache of production is tested across real processes in
# tests/security/test_shared_rate_limits.py; CACHE_URL still chooses, for a whole run.
if not env.str("CACHE_URL", default=""):  # noqa: F405
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}  # noqa: F405
# Templates name static files that the test run never collects: plain names, no manifest
# (the hashed names of production are tested against the real stack in tests/stack).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Whitenoise reads STATIC_ROOT when a client starts: an empty folder of the test run's own
# (the live server serves the files from their apps), rather than var/static or a warning.
STATIC_ROOT = VAR_DIR / "test-static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
