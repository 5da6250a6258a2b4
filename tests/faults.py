"""A statement PostgreSQL cancels in the middle of a request, as the web processes' statement
timeout or a restart would: a real database error at a chosen write, not a mock. Used to check
that a request's writes are one transaction, since the 503 page tells the visitor nothing was
saved (``psm_portal/errors.py``)."""

from contextlib import contextmanager

import pytest
from django.db import connection

# Triggers in PL/pgSQL: PostgreSQL only, as CI and production run.
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PL/pgSQL trigger")

CANCEL = """
CREATE OR REPLACE FUNCTION uji_batalkan() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'dibatalkan oleh uji' USING ERRCODE = 'query_canceled';
END $$
"""


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
