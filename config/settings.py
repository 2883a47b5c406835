"""Tout Près settings: everything that varies between deployments comes from the environment."""

from pathlib import Path

import environ

from directory.csp import directives as csp_directives

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("TOUTPRES_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A local .env is convenient for operators; the process environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else a random key kept in var/ (never a shared default)."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "leaflet",
    "djgeojson",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "csp",
    "simple_history",
    # The task queue (Django 6's tasks API, backported) and its database backend.
    "django_tasks",
    "django_tasks_db",
    "geodata",
    "directory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files with hashed names and precompressed copies when gunicorn is reached
    # without nginx, and /favicon.ico (WHITENOISE_ROOT): answered before Django, never a 404.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database outage answers 503 with Retry-After, never a bare 500 (directory.outage).
    "directory.outage.DatabaseOutageMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # Before CommonMiddleware, which may answer first (redirects), per django-cors-headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 304 Not Modified for requests whose ETag matches: the map layers are re-asked often.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Public reads on the read replica, when there is one (directory.dbrouter).
    "directory.dbrouter.ReplicaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (directory.csp; embeds: directory.framing).
    "directory.csp.ContentSecurityPolicyMiddleware",
    # Records who made each change in the listings' history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Daily page-view totals for /staff/chiffres/ (no cookie, no personal data).
    "directory.figures.middleware.PageViewMiddleware",
]

# Staff log in with a password; owners only through signed links e-mailed to them, and
# never an account with any staff power (directory/registration/backends.py).
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "directory.registration.backends.OwnerLinkBackend",
]
SESAME_TOKEN_NAME = "cle"  # noqa: S105 (the query parameter name, not a secret)
SESAME_MAX_AGE = env.int("LOGIN_LINK_MINUTES", default=60) * 60
# Signing in spends every link of the account (tokens carry the last login). Mail scanners
# open links first: the link shows a button, and only pressing it (a POST) signs in.
SESAME_ONE_TIME = True
# Background tasks: every e-mail (directory/mail.py) and the geocoding that can wait
# (directory/tasks.py) leave the request through a queue kept in the database, run by
# `manage.py db_worker` (deploy/systemd/toutpres-worker.service). TASKS_BACKEND=immediate
# runs each task at once, in the request: the tests, or a site without a worker.
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_tasks_backend = env.str("TASKS_BACKEND", default="database")
if _tasks_backend not in TASK_BACKENDS:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {_tasks_backend!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[_tasks_backend]}}
# An e-mail the SMTP server refuses for now (connection refused, 4xx) is tried again after
# FIRST_DELAY seconds, then twice as long each time up to MAX_DELAY, ATTEMPTS times in all
# (about two days with these figures); a refusal of the recipient or message (5xx) fails at once.
TOUTPRES_MAIL_RETRY = {
    "ATTEMPTS": env.int("MAIL_RETRY_ATTEMPTS", default=60),
    "FIRST_DELAY": env.float("MAIL_RETRY_FIRST_DELAY", default=30.0),
    "MAX_DELAY": env.float("MAIL_RETRY_MAX_DELAY", default=3600.0),
}
LOGIN_URL = "directory:owner-link"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "directory.context_processors.site",
            ],
        },
    },
]

# Databases: SpatiaLite in the project folder by default, PostGIS with
# DATABASE_URL=postgis://user:password@host:port/name.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"spatialite:///{VAR_DIR / 'toutpres.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # SQLite waits for a busy writer instead of failing at once (runserver threads, imports).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    # Transactions take the write lock when they start, so a busy writer makes them wait
    # (up to the timeout) instead of failing with "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # Write-ahead log: readers (page views) no longer block the writer nor the reverse.
    # (mod_spatialite resets the busy timeout when it loads: geodata.spatialite restores it.)
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
SPATIALITE_LIBRARY_PATH = env.str("SPATIALITE_LIBRARY_PATH", default="mod_spatialite")
# Persistent connections: a request reuses its process's connection (no connect per request)
# after checking it still works, so a restarted PostgreSQL costs no failed request once back.
# SQLite opens a file, which costs nothing: 0 (a new one per request) is its default.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DB_CONN_MAX_AGE", default=0 if DATABASES["default"]["ENGINE"].endswith("spatialite") else 60
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The search's statement prepared once per PostgreSQL connection (directory.prepared); 0 for
# a connection pooler in transaction mode (PgBouncer), which does not keep sessions.
TOUTPRES_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
# A streaming read replica of the PostGIS primary (docs/operators.md, « Passer à plusieurs
# serveurs »): public reads go to it, writes, signed-in users and recent writers to the
# primary, and reads fall back to the primary when it is down or lags (directory.dbrouter).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    # A replica that does not answer must not hold a request for long.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Test runs that set it read the test database through the alias (no copy).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASE_ROUTERS = ["directory.dbrouter.PrimaryReplicaRouter"]
TOUTPRES_REPLICA = {
    "MAX_LAG": env.float("DATABASE_REPLICA_MAX_LAG", default=10.0),
    "CHECK_SECONDS": env.float("DATABASE_REPLICA_CHECK_SECONDS", default=5.0),
    "STICKY_SECONDS": env.int("DATABASE_REPLICA_STICKY_SECONDS", default=60),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# gis.W001: Debian 12 ships GDAL 3.6, which cannot block file/network access from
# spatial references. We never hand user-supplied files or SRS strings to GDAL (imports
# are parsed with csv/json/shapely, projections go through pyproj), so the risk it
# guards against does not arise here. Drop this once the platform has GDAL >= 3.9.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# French first, English second; dates and numbers follow the active locale.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Production (DEBUG off): collectstatic writes every file under a name carrying its content
# hash, with gzip and brotli copies, so nginx and whitenoise let browsers keep them a year.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "directory.staticfiles.ManifestStaticFilesStorage"  # imports between modules too
    },
}
# Files browsers ask for at the site's root (/favicon.ico), served by whitenoise (and nginx).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
# Media (photos, article images) on S3-compatible object storage with MEDIA_STORAGE=s3, so
# that several app servers share them (django-storages; docs/operators.md, « Passer à
# plusieurs serveurs »). The bucket is public-read; partner lists (IMPORT_DIR) never go there.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "s3":
    _s3_endpoint = env.str("S3_ENDPOINT_URL", default="").rstrip("/")
    _s3_bucket = env.str("S3_BUCKET")
    _s3_domain = env.str("S3_CUSTOM_DOMAIN", default="")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _s3_bucket,
            "endpoint_url": _s3_endpoint or None,
            "region_name": env.str("S3_REGION", default="") or None,
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "custom_domain": _s3_domain or None,
            "url_protocol": env.str("S3_URL_PROTOCOL", default="https:"),
            # Plain, cacheable URLs of a public bucket; random names are never overwritten.
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    # Photo URLs (and the CSP's img-src) point at the bucket.
    MEDIA_URL = (
        f"{env.str('S3_URL_PROTOCOL', default='https:')}//{_s3_domain}/"
        if _s3_domain
        else f"{_s3_endpoint}/{_s3_bucket}/"
    )

# E-mail: console locally, SMTP via EMAIL_URL in production.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# EMAIL_URL=filemail:// writes each e-mail to a file in EMAIL_FILE_PATH (local testing).
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mails"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tout Près <ne-pas-repondre@localhost>")

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers and monitors probe the app servers over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^sante/$", r"^healthz$"]
    # Off only for a local trial over plain HTTP (./dev serve --http), where browsers would
    # drop Secure cookies (and so every form's CSRF cookie).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env.bool(
        "SECURE_COOKIES", default=True
    )
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading binds the domain and all its subdomains to HTTPS in browsers for
        # good: the operator opts in with SECURE_HSTS_PRELOAD=1, we do not decide it.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
    SECURE_CONTENT_TYPE_NOSNIFF = True
# No page may be framed (X-Frame-Options and CSP frame-ancestors 'none', see
# directory.csp and directory.framing) except the embed routes, which partners frame on their own sites:
# "*" lets any site do so; a list of origins ("https://www.cc-loches.fr https://x.fr")
# restricts them.
X_FRAME_OPTIONS = "DENY"
EMBED_FRAME_ANCESTORS = env.list("EMBED_FRAME_ANCESTORS", default=["*"])
# Cookies are not sent with cross-site requests (Lax keeps links from other sites working)
# and the language choice is not readable from scripts.
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
# Web addresses typed without a scheme ("ferme.fr") become https:// (Django 6 default).
FORMS_URLFIELD_ASSUME_HTTPS = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"

# --- Tout Près ---------------------------------------------------------------
# The region is configuration, not code (checked at start-up by geodata.checks).
TOUTPRES_REGION = {
    "NAME": env.str("REGION_NAME", default="Centre-Val de Loire"),
    "DEPARTEMENTS": env.list("REGION_DEPARTEMENTS", default=["18", "28", "36", "37", "41", "45"]),
    "MAP_CENTER": [float(x) for x in env.list("REGION_MAP_CENTER", default=["47.48", "1.68"])],
    "MAP_ZOOM": env.int("REGION_MAP_ZOOM", default=8),
}

# Geocoding: "offline" (gazetteer only) or "ban" (Base Adresse Nationale via geopy,
# falling back to the gazetteer when the service fails). A commune name or postal code is
# always answered by the gazetteer, without any network call; only street addresses go to
# the service. After BREAKER_FAILURES failures or time-outs within BREAKER_WINDOW seconds
# the service is skipped for BREAKER_COOLDOWN seconds (the gazetteer answers), then one
# request probes it (geodata/geocoding/breaker.py; the state is in the shared cache).
TOUTPRES_GEOCODER = {
    "BACKEND": env.str("GEOCODER", default="offline"),
    "BAN_DOMAIN": env.str("GEOCODER_BAN_DOMAIN", default="api-adresse.data.gouv.fr"),
    "BAN_SCHEME": env.str("GEOCODER_BAN_SCHEME", default="https"),
    "TIMEOUT": env.float("GEOCODER_TIMEOUT", default=1.5),
    "USER_AGENT": env.str("GEOCODER_USER_AGENT", default="tout-pres"),
    "BREAKER_FAILURES": env.int("GEOCODER_BREAKER_FAILURES", default=5),
    "BREAKER_WINDOW": env.float("GEOCODER_BREAKER_WINDOW", default=60.0),
    "BREAKER_COOLDOWN": env.float("GEOCODER_BREAKER_COOLDOWN", default=60.0),
}

# Tiles: the operator picks a provider whose usage policy allows their traffic.
TILES_URL = env.str("TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
TILES_ATTRIBUTION = env.str(
    "TILES_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">contributeurs OpenStreetMap</a>',
)
# Only our own scripts and styles run, and images come from us and the tile server (see
# directory/csp.py and docs/security.md).
CONTENT_SECURITY_POLICY = {"DIRECTIVES": csp_directives(TILES_URL, MEDIA_URL)}
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": tuple(TOUTPRES_REGION["MAP_CENTER"]),
    "DEFAULT_ZOOM": TOUTPRES_REGION["MAP_ZOOM"],
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 18,
    "TILES": [("OpenStreetMap", TILES_URL, {"attribution": TILES_ATTRIBUTION, "maxZoom": 19})],
    "RESET_VIEW": False,
    "NO_GLOBALS": True,
}

# Where to report a vulnerability, published in /.well-known/security.txt (RFC 9116): e-mail
# addresses or https:// URLs of the operator's team, comma-separated. Empty: no file, and
# `check --deploy` warns (directory.W010).
TOUTPRES_SECURITY_CONTACT = env.list("SECURITY_CONTACT", default=[])
TOUTPRES_SECURITY_POLICY_URL = env.str("SECURITY_POLICY_URL", default="")
# Absolute links in e-mails (no request to take the host from in cron jobs).
TOUTPRES_SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# A shared mailbox told of every new listing, change and request ("" = nobody).
TOUTPRES_MODERATION_EMAIL = env.str("MODERATION_EMAIL", default="")
# A database outage answers 503 with this Retry-After (seconds), never a bare 500.
TOUTPRES_OUTAGE_RETRY_AFTER = env.int("OUTAGE_RETRY_AFTER", default=5)
# Registrations and link requests per hour; 0 switches a limit off.
TOUTPRES_RATE_LIMITS = {
    "PER_IP_PER_HOUR": env.int("RATE_LIMIT_PER_IP", default=20),
    "PER_EMAIL_PER_HOUR": env.int("RATE_LIMIT_PER_EMAIL", default=5),
    # Registration steps and owner edit pages sent, per client address and hour.
    "STEPS_PER_IP_PER_HOUR": env.int("RATE_LIMIT_STEPS_PER_IP", default=300),
}
# Behind a reverse proxy (docs/operators.md): the client address is read from
# X-Forwarded-For, only in requests that come from one of TRUSTED_PROXIES (addresses or
# networks), walking from the right past our own proxies (directory.ratelimit.client_ip).
TOUTPRES_BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
TOUTPRES_TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
# An IPv6 client picks any address in its network: every limit counts one network of this
# many bits as one client (64: a household or a phone; 56 or 48: a whole customer).
TOUTPRES_RATE_LIMIT_IPV6_PREFIX = env.int("RATE_LIMIT_IPV6_PREFIX", default=64)
# Owners confirm their listing every MONTHS; GRACE_DAYS after the reminder it is hidden.
TOUTPRES_FRESHNESS = {
    "MONTHS": env.int("FRESHNESS_MONTHS", default=6),
    "GRACE_DAYS": env.int("FRESHNESS_GRACE_DAYS", default=30),
}
# Rate limits count in the cache, so every server process must share it: in production
# (DEBUG off) the database cache by default (no extra service; its table is made by
# migrate), or Redis with CACHE_URL=redis://host:6379/0. A per-process memory cache only
# for development (DEBUG=1), where one process serves.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default="locmemcache://toutpres" if DEBUG else "dbcache://toutpres_cache"
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache":
    # Same table, with an incr that no concurrent process can undo (directory.cache).
    CACHES["default"]["BACKEND"] = "directory.cache.DatabaseCache"
    # Culling (past MAX_ENTRIES) would drop live counters: keep room for many clients.
    CACHES["default"].setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 100_000)
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Atomic incr, and a Redis that goes away is a cache miss, not a 500 (directory.cache).
    CACHES["default"]["BACKEND"] = "directory.cache.RedisCache"
    _redis_options = CACHES["default"].setdefault("OPTIONS", {})
    _redis_options.setdefault("socket_connect_timeout", 0.5)
    _redis_options.setdefault("socket_timeout", 0.5)
# Public pages kept for anonymous visitors while nothing they show changed
# (directory.pagecache): each server process's own memory by default, bounded; 0 turns
# the page cache off.
TOUTPRES_PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
CACHES["pages"] = env.cache_url("PAGE_CACHE_URL", default="locmemcache://toutpres-pages")
if CACHES["pages"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache":
    CACHES["pages"].setdefault("OPTIONS", {}).setdefault(
        "MAX_ENTRIES", env.int("PAGE_CACHE_ENTRIES", default=1000)
    )
if CACHES["pages"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["pages"]["BACKEND"] = "directory.cache.RedisCache"
# Sessions in the database by default; "django.contrib.sessions.backends.cache" keeps them
# in the shared cache only (lost if Redis restarts), "…cached_db" in both.
SESSION_ENGINE = env.str("SESSION_ENGINE", default="django.contrib.sessions.backends.db")

# Public API v1 (docs/api.md): read-only, anonymous, rate limited per client address.
# Partner list imports (docs/imports.md): the largest file staff may upload.
TOUTPRES_IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
# Uploaded lists hold private contacts: kept outside MEDIA_ROOT, which is served publicly.
TOUTPRES_IMPORT_DIR = Path(env.str("IMPORT_DIR", default=str(VAR_DIR / "imports")))
TOUTPRES_API_RATE = env.str("API_RATE_LIMIT", default="600/hour")
# The site's own map layer and place suggestions, per client address, apart from the API's
# quota: generous, for many visitors behind one address (directory.api.throttling).
TOUTPRES_SITE_RATE = env.str("SITE_RATE_LIMIT", default="300/minute")
# Page views are counted in the shared cache and written to the figures' table in batches:
# by the flush_page_views timer, and by the first page view every this many seconds (0: the
# timer and the staff figures page only).
TOUTPRES_PAGE_VIEWS_FLUSH_SECONDS = env.int("PAGE_VIEWS_FLUSH_SECONDS", default=60)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_CLASSES": ["directory.api.throttling.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "directory.api.base.exception_handler",
    # (No NUM_PROXIES: the throttles take the client address from directory.ratelimit.)
}
TOUTPRES_OPEN_DATA = {
    "LICENCE_NAME": env.str("OPEN_DATA_LICENCE_NAME", default="Licence Ouverte 2.0 (Etalab)"),
    "LICENCE_URL": env.str(
        "OPEN_DATA_LICENCE_URL",
        default="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    ),
    "PUBLISHER": env.str("OPEN_DATA_PUBLISHER", default=f"Région {TOUTPRES_REGION['NAME']}"),
    "CSV_DELIMITER": env.str("OPEN_DATA_CSV_DELIMITER", default=";"),
    "DIR": Path(env.str("OPEN_DATA_DIR", default=str(VAR_DIR / "opendata"))),
    # Files are rebuilt when the data changes, and at least this often (seconds).
    "MAX_AGE": env.int("OPEN_DATA_MAX_AGE", default=3600),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tout Près — API publique",
    "VERSION": "1.0.0",
    "DESCRIPTION": "",  # written by directory.api.schema.description() from the settings above
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["directory.api.schema.public_endpoints_only"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "directory.api.schema.describe",
    ],
    "OAS_VERSION": "3.1.0",
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "directory.models.choices.ActorKind",
        "FeatureTypeEnum": ["Feature"],
        "FeatureCollectionTypeEnum": ["FeatureCollection"],
        "PointTypeEnum": ["Point"],
    },
}
# Anyone may read the API and the open data from a browser (GET only, no cookies).
CORS_URLS_REGEX = r"^/(api/v1|donnees)/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After", "Link"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
