"""A request held up in the database. gunicorn's threaded workers never stop a request that
hangs, so the web processes ask PostgreSQL to end a statement past ``DB_STATEMENT_TIMEOUT_S`` (and
a transaction left idle past ``DB_IDLE_IN_TRANSACTION_TIMEOUT_S``): the visitor gets the
portal's page saying the request took too long, the thread and its connection serve again, and
the task worker keeps no such bound (its builds run for minutes)."""

import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from psm_portal.models import Role
from tests.factories import PsmFactory, make_user
from tests.reliability.helpers import (
    ROOT,
    Client,
    database_url,
    free_port,
    portal_env,
    start_gunicorn,
    wait_for_http,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statement timeout"),
]

SHOW_BOUNDS = (
    "from django.db import connection\n"
    "with connection.cursor() as cursor:\n"
    "    for name in ('statement_timeout', 'idle_in_transaction_session_timeout'):\n"
    "        cursor.execute(f'SHOW {name}')\n"
    "        print(cursor.fetchone()[0])\n"
)


def _bounds(env, *, web: bool) -> list[str]:
    setup = (
        "import psm_portal.wsgi\n"
        if web
        else "import django\ndjango.setup()\n"  # as manage.py and the task worker start
    )
    done = subprocess.run(
        [sys.executable, "-c", setup + SHOW_BOUNDS],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.split()


@pytest.mark.django_db(transaction=True)
def test_web_processes_bound_statements_and_idle_transactions_and_the_worker_does_not():
    env = portal_env(database_url())
    env.pop("DB_STATEMENT_TIMEOUT_S", None)
    env.pop("DB_IDLE_IN_TRANSACTION_TIMEOUT_S", None)
    assert _bounds(env, web=True) == ["30s", "10min"]
    assert _bounds(env, web=False) == ["0", "0"]
    assert _bounds({**env, "DB_STATEMENT_TIMEOUT_S": "0"}, web=True) == ["0", "10min"]
    # A negative bound would make PostgreSQL refuse every connection: refused at start instead.
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _bounds({**env, "DB_STATEMENT_TIMEOUT_S": "-5"}, web=True)
    assert "DB_STATEMENT_TIMEOUT_S must be 0 or more seconds" in refused.value.stderr


@pytest.mark.django_db(transaction=True)
def test_a_request_past_the_statement_bound_gets_a_page_saying_so(regions, tmp_path):
    make_user(Role.STAF, scope=["33.71"], username="staf-batas")
    PsmFactory(nama="Sri Lestari")
    port = free_port()
    env = portal_env(database_url(), DB_STATEMENT_TIMEOUT_S=1)
    server = start_gunicorn(port, env, tmp_path, workers=1, threads=2)
    try:
        wait_for_http(port, server)
        client = Client(port)
        client.login("staf-batas")
        assert "Sri Lestari" in client.get("/registri/psm/").text
        # Another session holds the table, as a long migration or a stuck transaction would.
        with psycopg.connect(database_url()) as locker:
            locker.execute("LOCK TABLE registry_psm IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            response = client.get("/registri/psm/")
            waited = time.monotonic() - started
        assert response.status == 503, response.text[:300]
        assert "Permintaan terlalu lama" in response.text
        assert "belum tersimpan" in response.text and "Traceback" not in response.text
        assert "retry-after" not in response.headers  # the same request would take as long
        assert 1 <= waited < 10
        # The thread and its connection serve again at once.
        assert "Sri Lestari" in client.get("/registri/psm/").text
    finally:
        server.stop()
