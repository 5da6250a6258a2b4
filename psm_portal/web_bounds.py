"""The database bounds of web processes, set by ``wsgi.py`` and ``asgi.py`` before the settings
are read (manage.py, runserver included, and the task worker read the settings without them).

With threads, gunicorn no longer stops a request that hangs, so PostgreSQL ends a statement after
30 s (what gunicorn allowed a whole request with sync workers), a wait for another session's lock
after 10 s (a page's own locks are held for milliseconds), and a transaction left idle for 10
minutes (a CSV download reads its rows in one). The environment may say otherwise, 0 for no
bound."""

import os

DEFAULTS = {
    "DB_STATEMENT_TIMEOUT_S": "30",
    "DB_LOCK_TIMEOUT_S": "10",
    "DB_IDLE_IN_TRANSACTION_TIMEOUT_S": "600",
}


def apply() -> None:
    for name, seconds in DEFAULTS.items():
        os.environ.setdefault(name, seconds)
