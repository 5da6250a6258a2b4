"""A request held up in the database. gunicorn's threaded workers never stop a request that
hangs, so the web processes ask PostgreSQL to end a statement past ``DB_STATEMENT_TIMEOUT_S``, a
wait for another session's lock past ``DB_LOCK_TIMEOUT_S`` (and a transaction left idle past
``DB_IDLE_IN_TRANSACTION_TIMEOUT_S``): the visitor gets the portal's page saying which, the
thread and its connection serve again, and the task worker keeps no such bound (its builds run
for minutes)."""

import http.client
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
    "names = ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')\n"
    "with connection.cursor() as cursor:\n"
    "    for name in names:\n"
    "        cursor.execute(f'SHOW {name}')\n"
    "        print(cursor.fetchone()[0])\n"
)


def _bounds(env, *, web: bool, entry: str = "wsgi") -> list[str]:
    setup = (
        f"import psm_portal.{entry}\n"
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
    for variable in (
        "DB_STATEMENT_TIMEOUT_S",
        "DB_LOCK_TIMEOUT_S",
        "DB_IDLE_IN_TRANSACTION_TIMEOUT_S",
    ):
        env.pop(variable, None)
    assert _bounds(env, web=True) == ["30s", "10s", "10min"]
    assert _bounds(env, web=True, entry="asgi") == ["30s", "10s", "10min"]
    assert _bounds(env, web=False) == ["0", "0", "0"]
    assert _bounds({**env, "DB_STATEMENT_TIMEOUT_S": "0"}, web=True) == ["0", "10s", "10min"]
    # A negative bound would make PostgreSQL refuse every connection: refused at start instead.
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _bounds({**env, "DB_STATEMENT_TIMEOUT_S": "-5"}, web=True)
    assert "DB_STATEMENT_TIMEOUT_S must be 0 to 2147483 seconds, not -5" in refused.value.stderr


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("bounds", "title", "retry_after"),
    [
        # The statement's own bound first: the same request would take as long again.
        ({"DB_STATEMENT_TIMEOUT_S": 1, "DB_LOCK_TIMEOUT_S": 0}, "Permintaan terlalu lama", None),
        # The lock's first: the lock will be let go, try again shortly.
        (
            {"DB_STATEMENT_TIMEOUT_S": 30, "DB_LOCK_TIMEOUT_S": 1},
            "Data sedang dipakai proses lain",
            "30",
        ),
    ],
)
def test_a_request_past_a_bound_gets_a_page_saying_which(
    regions, tmp_path, bounds, title, retry_after
):
    make_user(Role.STAF, scope=["33.71"], username="staf-batas")
    PsmFactory(nama="Sri Lestari")
    port = free_port()
    env = portal_env(database_url(), **bounds)
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
        assert f"<h1>{title}</h1>" in response.text
        assert "belum tersimpan" in response.text and "Traceback" not in response.text
        assert response.headers.get("retry-after") == retry_after
        assert 1 <= waited < 10
        # The thread and its connection serve again at once.
        assert "Sri Lestari" in client.get("/registri/psm/").text
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_a_download_cut_by_a_bound_after_its_first_bytes_fails_as_a_download(regions, tmp_path):
    """A streamed CSV has sent its status and first bytes when a bound ends its query, so no
    page can say so. It must not end like a whole file, which the office would take for the
    whole list: the connection is closed without chunked encoding's last chunk, and the
    browser reports the download as failed."""
    make_user(Role.STAF, scope=["33.71"], username="staf-unduh")
    PsmFactory(nama="Sri Lestari")
    port = free_port()
    env = portal_env(database_url(), DB_STATEMENT_TIMEOUT_S=30, DB_LOCK_TIMEOUT_S=1)
    server = start_gunicorn(port, env, tmp_path, workers=1, threads=2)
    try:
        wait_for_http(port, server)
        client = Client(port)
        client.login("staf-unduh")
        assert "Sri Lestari" in client.get("/registri/psm/ekspor.csv").text
        # The rows' Bimtek are read after the header has gone out: that read waits, and ends.
        with psycopg.connect(database_url()) as locker:
            locker.execute("LOCK TABLE registry_psmbimtek IN ACCESS EXCLUSIVE MODE")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            conn.request("GET", "/registri/psm/ekspor.csv", headers={"Cookie": cookies})
            response = conn.getresponse()
            assert response.status == 200
            assert response.getheader("Transfer-Encoding") == "chunked"
            with pytest.raises(http.client.IncompleteRead) as cut:
                response.read()
            conn.close()
        assert cut.value.partial.decode("utf-8-sig").startswith("Nama,")
        assert "Sri Lestari" not in cut.value.partial.decode("utf-8-sig")
        # The thread and its connection serve again at once.
        assert "Sri Lestari" in client.get("/registri/psm/ekspor.csv").text
    finally:
        server.stop()
