"""Benchmark settings: the production settings plus the bench app and its one-query baseline view.

Used only by ``benchmarks/run.py`` and ``generate_synthetic``; production never loads this module.
"""

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")

from psm_portal.settings import *  # noqa: E402,F403

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks"]  # noqa: F405
ROOT_URLCONF = "benchmarks.urls"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "WARNING"},
}
# The load must not trip the login lockout or be slowed by a hasher meant for humans.
AXES_ENABLED = False
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
