"""A statement PostgreSQL ends in the middle of a request, as the web processes' statement or
lock bound, or a restart, would: a real database error at a chosen write (``cancelled_write``)
or read (``locked_before``), not a mock. Used to check that a request's writes are one
transaction, since the 503 page tells the visitor nothing was saved (``psm_portal/errors.py``)."""

from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.reliability.helpers import database_url

# Triggers in PL/pgSQL: PostgreSQL only, as CI and production run.
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PL/pgSQL trigger")

CANCEL = """
CREATE OR REPLACE FUNCTION uji_batalkan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'dibatalkan oleh uji' USING ERRCODE = 'query_canceled';
END $$
"""


def visitor(user) -> Client:
    """A test client signed in as ``user`` that gets the error page, as a visitor does, not the
    exception."""
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@contextmanager
def cancelled_write(table: str, when: str = "true"):
    """While open, every insert or update of ``table`` whose new row matches ``when`` (SQL over
    ``NEW``) is cancelled with SQLSTATE 57014. For tests with ``transaction=True``: the request
    runs in autocommit as in production, and the trigger is dropped again here."""
    trigger = f"uji_batal_{table}"
    with connection.cursor() as cursor:
        cursor.execute(CANCEL)
        cursor.execute(
            f"CREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW "
            f"WHEN ({when}) EXECUTE FUNCTION uji_batalkan()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")


@contextmanager
def locked_before(table: str, fragment: str):
    """While open, another session takes ``table`` for itself (as a migration would) just before
    this connection sends the first statement containing ``fragment``, and this connection waits
    for a lock no longer than 0.2 s: PostgreSQL ends that statement with SQLSTATE 55P03. A read
    can fail so, where ``cancelled_write`` only reaches writes."""
    taken = []
    with psycopg.connect(database_url()) as locker:

        def take(execute, sql, params, many, context):
            if fragment in sql and not taken:
                locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                taken.append(sql)
            return execute(sql, params, many, context)

        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            with connection.execute_wrapper(take):
                yield
        finally:
            locker.rollback()
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
