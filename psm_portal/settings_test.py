"""Test overrides, in a few lines, on top of the one settings module."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")
# The suite logs in and exports far more often than a person would; tests/reliability turns the
# rate limits on where it tests them.
os.environ.setdefault("PSM_RATELIMIT_ENABLED", "false")

from psm_portal.settings import *  # noqa: E402,F403

# PBKDF2 at Django's production cost takes 0.86 s per hash here; tests only need a hash.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# Serve static files from the source folders (tests run without collectstatic).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not SQLite's in-memory test database: that one shares a cache between connections,
    # where a second writer fails at once ("database table is locked") instead of waiting its
    # turn, so the concurrency tests would test the shared cache rather than the portal. One file
    # per run (two runs at once must not delete each other's), in the temporary directory.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"psm-test-{os.getpid()}.sqlite3")
    }
