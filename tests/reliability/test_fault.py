"""Faults: PostgreSQL stops (as in a crash: immediate shutdown) and comes back in the middle of
the field load. While it is down every failed request gets the portal's page in Bahasa Indonesia
(503, never a traceback); phones send the same form again; afterwards the portal serves again
without being restarted (CONN_HEALTH_CHECKS), and the database holds every accepted case exactly
once and whole, with no half-written records.

The server that is stopped is a private one (tests/reliability/private_pg.py), never the
machine's shared PostgreSQL. Reduced run: 8 PSM + 2 staff for 16 s with a 4 s outage; full run
(PSM_RELIABILITY_FULL=1): 16 PSM + 4 staff for 60 s, two outages.
"""

import json
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.test import RequestFactory

from benchmarks.backup_drill import pg_tool
from psm_portal import errors
from tests.reliability.field import PsmClient, StaffClient, Tally
from tests.reliability.helpers import (
    FULL,
    ROOT,
    Client,
    database_url,
    free_port,
    portal_env,
    start_gunicorn,
    wait_for_http,
    wait_until,
)
from tests.reliability.private_pg import PrivatePostgres, unavailable_reason
from tests.reliability.test_load import field_accounts

pytestmark = pytest.mark.reliability
PSM_CLIENTS, STAFF_CLIENTS, SECONDS = (16, 4, 60) if FULL else (8, 2, 16)
OUTAGES = [(15, 5), (38, 8)] if FULL else [(4, 4)]  # (start after s, down for s)


def test_the_error_page_for_an_unreachable_database_is_a_503_in_indonesian():
    request = RequestFactory().get("/kasus/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = errors.server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Layanan sementara terganggu" in body and "belum tersimpan" in body
    try:
        raise ValueError("a bug")
    except ValueError:
        response = errors.server_error(request)
    assert response.status_code == 500 and "Maaf, terjadi gangguan" in response.content.decode()


@pytest.fixture
def private_pg():
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = PrivatePostgres()
    try:
        server.start()
        server.psql("CREATE ROLE psm LOGIN SUPERUSER")
        server.psql("CREATE DATABASE psm_fault OWNER psm")
        yield server
    finally:
        server.destroy()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fault check needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_database_restart_mid_load_loses_nothing_and_recovers(
    private_pg, regions, office, tmp_path
):
    # The test database's accounts and reference data, copied onto the private server.
    psm_users, staff = field_accounts(PSM_CLIENTS, STAFF_CLIENTS)
    dump = tmp_path / "seed.dump"
    subprocess.run([pg_tool("pg_dump"), "-Fc", "-f", str(dump), database_url()], check=True)
    private_url = private_pg.url("psm_fault", user="psm")
    subprocess.run(
        [pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "-d", private_url, str(dump)],
        check=True,
        timeout=120,
    )

    port = free_port()
    env = portal_env(private_url)
    server = start_gunicorn(port, env, tmp_path, workers=2, threads=4)
    tally = Tally()
    outage_log = []
    try:
        wait_for_http(port, server)
        started = time.monotonic()
        deadline = started + SECONDS
        clients = [
            PsmClient(port, name, desa, tally, deadline, seed=i, grace=20)
            for i, (name, desa) in enumerate(psm_users)
        ] + [StaffClient(port, name, tally, deadline) for name in staff]
        for c in clients:
            c.start()

        def outages():
            for at, down in OUTAGES:
                time.sleep(max(0, started + at - time.monotonic()))
                private_pg.stop("immediate")
                stopped = time.monotonic()
                time.sleep(down)
                private_pg.start()
                outage_log.append((stopped, time.monotonic()))

        chaos = threading.Thread(target=outages, daemon=True)
        chaos.start()
        chaos.join(timeout=SECONDS + 120)
        for c in clients:
            c.join(timeout=SECONDS + 90)
        assert not any(c.is_alive() for c in clients), "a client did not stop"
        # The same gunicorn, not restarted, serves again.
        assert server.alive()
        probe = Client(port)
        wait_until(lambda: probe.get("/healthz").status == 200, 30, what="healthz after restart")
    finally:
        server.stop()
    assert len(outage_log) == len(OUTAGES), "the database was not restarted"

    # While the database was down: the portal's pages, never a traceback.
    five_xx = [(what, status, text) for what, status, text in tally.refused]
    for _what, status, text in five_xx:
        assert status in (500, 503), status
        assert "Traceback" not in text and "psycopg" not in text
        assert "Layanan sementara terganggu" in text or "Maaf, terjadi gangguan" in text
    assert five_xx, "no request failed: the outage was not noticed"
    assert not [e for e in tally.errors if "ConnectionRefused" in e[1]], tally.errors[:3]
    last_back = outage_log[-1][1]
    after = [s for t, what, s in tally.events if t > last_back + 2 and what == "case"]
    assert after and all(s == 302 for s in after), after[-10:]

    # Every accepted case exactly once and whole, checked on the private server itself.
    tally_file = tmp_path / "tally.json"
    tally_file.write_text(
        json.dumps(
            {
                "accepted_cases": tally.accepted_cases,
                "accepted_activities": tally.accepted_activities,
            }
        )
    )
    check = subprocess.run(
        [sys.executable, "-m", "tests.reliability.check_db", str(tally_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    counts = json.loads(check.stdout.strip().splitlines()[-1]) if check.stdout.strip() else {}
    assert check.returncode == 0, (counts, check.stderr[-2000:])
    statuses = dict(sorted(tally.statuses.items()))
    print(
        f"fault: {len(OUTAGES)} outage(s) {[round(b - a, 1) for a, b in outage_log]} s; "
        f"{len(five_xx)} requests answered 503/500 page; {counts}; statuses {statuses}"
    )
    assert counts["case rows"] == counts["cases accepted"], counts
