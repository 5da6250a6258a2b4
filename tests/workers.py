"""A real ``manage.py db_worker`` process on the test database, for background-task tests."""

import os
import subprocess
import sys

from django.conf import settings
from django.db import connection

WORKER = [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"]


def worker_env(**extra) -> dict:
    """The test settings pointed at the test database (the worker is another process)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if connection.vendor != "postgresql":
        url = f"sqlite:///{db['NAME']}"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "psm_portal.settings_test",
        "DATABASE_URL": url,
        **extra,
    }


def start_worker(**extra) -> subprocess.Popen:
    """A worker that runs what is queued and exits (``--batch``)."""
    return subprocess.Popen(WORKER, cwd=settings.BASE_DIR, env=worker_env(**extra))


def run_worker(timeout=180, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        WORKER,
        cwd=settings.BASE_DIR,
        env=worker_env(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
