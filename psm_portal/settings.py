"""The one settings module. Every deploy-specific value comes from the environment (see README).

Production (``DEBUG`` unset or false) refuses to start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from psm_portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PSM_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "insecure-development-key-never-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = env_str("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "psm_portal.apps.PortalAdminConfig",  # django.contrib.admin on the portal's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "axes",
    "psm_portal.apps.TasksConfig",  # django_tasks_db, with its admin section in Indonesian
    "psm_portal",
    "registry",
    "training",
    "assessments",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # below WhiteNoise (which serves its files compressed already), above all that writes a page
    "psm_portal.compression.TextGZipMiddleware",
    "psm_portal.errors.RejectNulMiddleware",
    "psm_portal.errors.StripBidiControlsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "psm_portal.ratelimit.RateLimitMiddleware",
]

ROOT_URLCONF = "psm_portal.urls"
WSGI_APPLICATION = "psm_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "psm_portal.context_processors.portal",
            ],
        },
    },
]

# Django's form renderer with its stock widget templates written out in Python (same markup).
FORM_RENDERER = "psm_portal.forms_renderer.FastWidgetRenderer"

# SQLite is the embedded default for `make run`; production and CI set DATABASE_URL to PostgreSQL.
# Persistent connections: a new PostgreSQL connection costs ~13 ms here (machine notes).
DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write to the same file: WAL lets them read while the
    # other writes, and IMMEDIATE transactions wait for the lock instead of failing mid-way.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    postgres_settings = {}
    if not env_bool("DATABASE_JIT", False):
        # PostgreSQL's JIT compiles any plan it estimates at 100k+ rows: 100-260 ms per query at
        # the national preset, for queries meant to take milliseconds.
        postgres_settings["jit"] = "off"
    # Bounds on a connection's statements, on its waits for a lock another session holds (a
    # migration, a stuck transaction), and on a transaction left idle (a CSV download whose
    # client stopped reading), in seconds, 0 for none. psm_portal/web_bounds.py sets them for the
    # web processes, whose threaded gunicorn workers never stop a request that hangs; the task
    # worker and manage.py keep none (their builds run for minutes).
    for variable, name in (
        ("DB_STATEMENT_TIMEOUT_S", "statement_timeout"),
        ("DB_LOCK_TIMEOUT_S", "lock_timeout"),
        ("DB_IDLE_IN_TRANSACTION_TIMEOUT_S", "idle_in_transaction_session_timeout"),
    ):
        seconds = env_int(variable, 0)
        if not 0 <= seconds <= 2_147_483:  # else PostgreSQL refuses every connection: all 503s
            raise ImproperlyConfigured(f"{variable} must be 0 to 2147483 seconds, not {seconds}.")
        if seconds:
            postgres_settings[name] = f"{seconds}s"
    if postgres_settings:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(
            f"-c {name}={value}" for name, value in postgres_settings.items()
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "psm_portal.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "psm_portal.passwords.ContainsUserPartValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (per username and IP), stored in the database so several
# portal instances share it.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0)
# The client's address as the rate limiter reads it (behind AXES_PROXY_COUNT proxies): without
# it axes would see the proxy's 127.0.0.1 for everyone (django-ipware is not installed), and five
# wrong passwords from anywhere would lock that username out for every office.
AXES_CLIENT_IP_CALLABLE = "psm_portal.ratelimit.client_address"
# Cut to axes' 255-character column: a longer "username" made the login page answer 500.
AXES_USERNAME_CALLABLE = "psm_portal.ratelimit.axes_username"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["psm_portal.formats"]
USE_I18N = True
USE_THOUSAND_SEPARATOR = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Jakarta")
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads: a 30 MB file is refused with a message, not a 500 (the forms check sizes too).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
PSM_MAX_UPLOAD_BYTES = env_int("PSM_MAX_UPLOAD_BYTES", 5 * 1024 * 1024)

# Background jobs (certificates in bulk, large reports): Django's tasks framework with a
# database-backed queue, run by `manage.py db_worker` (see README). No extra server needed.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content Security Policy without 'unsafe-inline': scripts are files under static/, and the
# few inline ones carry the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The public address used in QR codes printed on cards and certificates.
PSM_PUBLIC_BASE_URL = env_str("PSM_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
CSRF_FAILURE_VIEW = "psm_portal.views.csrf_failure"

# Numbers on official documents: {urut} is the yearly serial, {tahun} the year. The classification
# code (Permendagri 83/2022) and the unit code are the office's own.
PSM_DOCUMENT_NUMBER_PATTERN = env_str(
    "PSM_DOCUMENT_NUMBER_PATTERN", "400.9/{urut:03d}/Dinsos/{tahun}"
)

# A background document whose progress has not moved for this long is recorded as failed (its
# worker died) and can be asked for again.
PSM_DOCUMENT_STALE_MINUTES = env_int("PSM_DOCUMENT_STALE_MINUTES", 10)
# Documents built in the background (and their files) are deleted this long after they are done
# (manage.py prune_documents, daily).
PSM_DOCUMENT_KEEP_DAYS = env_int("PSM_DOCUMENT_KEEP_DAYS", 7)

# The cache holds the rate-limit counters. With REDIS_URL (redis://127.0.0.1:6379/0) every portal
# instance shares them; without it each process counts on its own (fine for one server).
REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "psm"),
            # A Redis outage must not hang requests: the rate limiter lets them through.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
    # Rendered fragments that depend only on their key (role, language, date, a status), never on
    # data: kept in each process, so they cost no round trip and need no invalidation.
    "fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "fragments",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}


def _rate(name: str, default: str) -> tuple[int, int]:
    """A rate as "count/seconds" ("30/600": 30 requests in 10 minutes)."""
    value = env_str(name, default)
    try:
        count, seconds = (int(part) for part in value.split("/"))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like 30/600, not {value!r}.") from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"{name} must be positive, not {value!r}.")
    return count, seconds


# Rate limits by URL name (psm_portal/ratelimit.py), per signed-in user or, for anonymous
# requests, per client address; answered with a 429 page. Logins count only POSTs (axes also
# locks a username after AXES_FAILURE_LIMIT failures).
PSM_RATELIMIT_ENABLED = env_bool("PSM_RATELIMIT_ENABLED", True)
PSM_RATELIMIT_CACHE = "default"
_EXPORT = _rate("PSM_RATELIMIT_EXPORT", "30/600")
_VERIFY = _rate("PSM_RATELIMIT_VERIFY", "60/60")
# A PDF laid out in the request costs seconds of CPU (WeasyPrint); an official one also takes a
# register number.
_PDF = _rate("PSM_RATELIMIT_PDF", "60/600")
PSM_RATE_LIMITS = {
    "login": (*_rate("PSM_RATELIMIT_LOGIN", "30/300"), ("POST",)),
    "admin:login": (*_rate("PSM_RATELIMIT_LOGIN", "30/300"), ("POST",)),
    "registry:psm-export": _EXPORT,
    "assessments:case-export": _EXPORT,
    "training:participants": _EXPORT,
    "training:recap-xlsx": _EXPORT,
    "reports:coverage-pdf": _EXPORT,
    "reports:ppks-recap": _EXPORT,
    "reports:recap-xlsx": _EXPORT,
    # Background builds: each queues seconds to minutes of the task worker's time.
    "reports:recap-request": _EXPORT,
    "training:certificates-bundle": _EXPORT,
    "registry:psm-card": _PDF,
    "training:certificate": _PDF,
    "training:attendance-sheet": _PDF,
    "reports:rapor": _PDF,
    "reports:training-recap": _PDF,
    "assessments:subject-data-copy": _PDF,
    "registry:psm-verify": _VERIFY,
    "training:certificate-verify": _VERIFY,
}

# URL names counted together: the admin's login is another door to the same accounts.
PSM_RATELIMIT_SHARED = {"admin:login": "login"}

# An active PSM with no activity and no submitted assessment for this many days is flagged as
# inactive on the dashboard and in the recap (the one shared definition: reports.indicators).
PSM_INACTIVE_DAYS = env_int("PSM_INACTIVE_DAYS", 90)

# The dashboard's figures are computed once per user, year and kecamatan for this long (the page
# says when they were computed).
PSM_DASHBOARD_CACHE_SECONDS = env_int("PSM_DASHBOARD_CACHE_SECONDS", 300)
# A list total this large (a province or the country) is kept this long instead of being counted
# on every page view (psm_portal.paging); smaller totals are always exact.
PSM_COUNT_CACHE_MIN_ROWS = env_int("PSM_COUNT_CACHE_MIN_ROWS", 10_000)
PSM_COUNT_CACHE_SECONDS = env_int("PSM_COUNT_CACHE_SECONDS", 60)
# The ranking scores every PSM it ranks; a scope with more asks for a kecamatan first.
PSM_RANKING_MAX_PSM = env_int("PSM_RANKING_MAX_PSM", 20_000)

# Processes that lay out the parts of a long report at once (the yearly recap); 1 = in-process.
PSM_PDF_WORKERS = env_int("PSM_PDF_WORKERS", 2)

# How long a PSM's phone waits for a page it never kept before it shows the no-signal page
# (templates/offline/sw.js); above the database's own bounds on a request's work.
# (at least 35 s: below the 30 s statement bound, pages still being made would be given up).
PSM_OFFLINE_PAGE_TIMEOUT_S = max(35, env_int("PSM_OFFLINE_PAGE_TIMEOUT_S", 60))

# Photos per PPKS assessment (each resized on the server to at most 1600 px).
PSM_MAX_CASE_PHOTOS = env_int("PSM_MAX_CASE_PHOTOS", 10)
