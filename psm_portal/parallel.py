"""Work split over processes that all read one consistent view of the database.

One core writes XlsxWriter's rows at about 17,000 a second: the national case export took 74 s.
Two processes writing a half each take half that, but only if the halves line up: the second
process must know exactly how many rows the first one writes, while PSM go on submitting cases.
PostgreSQL lets one transaction export its snapshot (``pg_export_snapshot``) and other sessions
import it (``SET TRANSACTION SNAPSHOT``): every process then sees the very same rows.

The processes are spawned, not forked: a fork would share the parent's open database socket. A
spawned process sets Django up itself and opens its own connection to the parent's database.
"""

import _thread
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import threading
import time
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


@contextmanager
def running():
    """A list to put the processes of ``start`` in. Any still running when the block ends (one
    of them failed, or this process is being stopped) is killed, and each is waited for."""
    processes: list[multiprocessing.Process] = []
    try:
        yield processes
    finally:
        for process in processes:
            if process.exitcode is None:
                process.kill()
            process.join()


def start(target: str, snapshot: str, *args) -> multiprocessing.Process:
    """Run ``target(*args)`` (a dotted path, imported once Django is set up in the new process)
    in a new process, inside a transaction reading ``snapshot``, in this process's language.
    ``args`` are pickled: plain values and ``CONTEXT``'s shared counters. Start it in a
    ``running()`` block."""
    process = CONTEXT.Process(
        target=_run,
        args=(
            os.getpid(),
            connection.settings_dict["NAME"],
            snapshot,
            translation.get_language(),
            target,
            args,
        ),
        daemon=True,
    )
    process.start()
    return process


def wait(processes: list, *, tick: Callable[[], None] | None = None) -> None:
    """Wait for ``processes``, calling ``tick()`` about once a second (a progress bar). Raise as
    soon as one fails (``running()`` then stops the others)."""
    while True:
        failed = [p.exitcode for p in processes if p.exitcode]
        if failed:
            raise RuntimeError(f"a process of the split work failed (exit codes {failed})")
        if all(p.exitcode == 0 for p in processes):
            return
        running_now = [p.sentinel for p in processes if p.exitcode is None]
        multiprocessing.connection.wait(running_now, timeout=1)
        if tick:
            tick()


def _run(parent: int, database: str, snapshot: str, language: str, target: str, args) -> None:
    # A graceful stop of the worker (SIGTERM to its whole group, as systemd sends) is the
    # parent's to handle: it may let the build finish. If the parent is gone, nobody waits for
    # this work: it stops (and its part files with it; see _stop_when_orphaned).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, _orphaned)
    threading.Thread(target=_stop_when_orphaned, args=(parent,), daemon=True).start()
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
    finally:
        connections.close_all()


def _stop_when_orphaned(parent: int) -> None:
    """Stop the work once the parent process is gone (killed with SIGKILL, say): a signal to
    the main thread, whose handler raises there, so ``finally`` blocks run. Not SIGINT: a
    process started in the background may have it ignored, and then nothing would happen."""
    while os.getppid() == parent:
        time.sleep(1)
    _thread.interrupt_main(signal.SIGUSR1)


def _orphaned(signum, frame):
    raise SystemExit("the process that started this work is gone")
