"""Run the same write from several threads at the same moment, each on its own database
connection (the database serialises them for real; a mock could not). PostgreSQL's row locks
(``select_for_update``) are what CI checks; on SQLite, where those do nothing, the same tests check
that its whole-database write lock (``BEGIN IMMEDIATE``, waiting up to 20 s) keeps the result."""

import threading

from django.db import connection


def at_once(func, calls) -> tuple[list, list]:
    """Call ``func(*args)`` for every ``args`` in ``calls``, each on its own thread, released
    together by a barrier. Returns ``(results, errors)``; each thread closes its connection."""
    calls = [args if isinstance(args, tuple) else (args,) for args in calls]
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(args):
        try:
            barrier.wait()
            results.append(func(*args))
        except Exception as exc:  # noqa: BLE001 - handed back to the test to assert on
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(args,)) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
