"""Work split over processes that all read one consistent view of the database.

One core writes XlsxWriter's rows at about 17,000 a second: the national case export took 74 s.
Two processes writing a half each take half that, but only if the halves line up: the second
process must know exactly how many rows the first one writes, while PSM go on submitting cases.
PostgreSQL lets one transaction export its snapshot (``pg_export_snapshot``) and other sessions
import it (``SET TRANSACTION SNAPSHOT``): every process then sees the very same rows.

The processes are spawned, not forked: a fork would share the parent's open database socket. A
spawned process sets Django up itself and opens its own connection to the parent's database.
"""

import logging
import multiprocessing
import multiprocessing.connection
import re
from collections.abc import Callable
from contextlib import contextmanager

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import translation

logger = logging.getLogger(__name__)

# The processes' start method; shared counters (``CONTEXT.Value``) must come from it too.
CONTEXT = multiprocessing.get_context("spawn")
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+(?:-[0-9A-F]+)+")


def available() -> bool:
    """Whether work can be split here: on PostgreSQL, and outside a transaction (a test's, say),
    whose rows no other process could see before it commits."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


@contextmanager
def shared_snapshot():
    """A snapshot of the database that processes started in this block can read
    (``start``). It is held by a connection of its own, so this process's queries (a progress
    bar) stay outside it and are seen at once."""
    holder = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            yield cursor.fetchone()[0]
    finally:
        holder.close()


def start(target: str, snapshot: str, *args) -> multiprocessing.Process:
    """Run ``target(*args)`` (a dotted path, imported once Django is set up in the new process)
    in a new process, inside a transaction reading ``snapshot``, in this process's language.
    ``args`` are pickled: plain values and ``CONTEXT``'s shared counters."""
    process = CONTEXT.Process(
        target=_run,
        args=(connection.settings_dict["NAME"], snapshot, translation.get_language(), target, args),
        daemon=True,
    )
    process.start()
    return process


def wait(processes: list, *, tick: Callable[[], None] | None = None) -> None:
    """Wait for ``processes``, calling ``tick()`` about once a second (a progress bar). Raise
    if one failed; if this process is stopped meanwhile, the others are stopped too."""
    try:
        while running := [p for p in processes if p.exitcode is None]:
            multiprocessing.connection.wait([p.sentinel for p in running], timeout=1)
            if tick:
                tick()
    except BaseException:
        for process in processes:
            process.kill()
        raise
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise RuntimeError(f"a process of the split work failed (exit codes {failed})")


def _run(database: str, snapshot: str, language: str, target: str, args: tuple) -> None:
    # The parent's database, whatever the settings file says: a test database is renamed when
    # the tests start, in the parent only.
    settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"] = database
    django.setup()
    from django.utils.module_loading import import_string

    if not _SNAPSHOT_ID.fullmatch(snapshot):  # it is written into the statement below
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    try:
        with transaction.atomic(), translation.override(language):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            import_string(target)(*args)
    except Exception:
        logger.exception("split work %s failed", target)
        raise SystemExit(1) from None
