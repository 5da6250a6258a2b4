"""Load: PSM submitting assessments and activities at once while staff browse, against gunicorn
on 127.0.0.1. No 5xx, and every accepted submission is in the database exactly once.

Reduced run: 8 PSM and 2 staff for 10 s. Full run (PSM_RELIABILITY_FULL=1): 16 PSM and 4 staff
for 60 s.
"""

import statistics
import time

import pytest
from django.db import connection

from psm_portal.models import Role
from tests.factories import MAGELANG_SELATAN, PsmFactory, make_user, ppks_reference
from tests.reliability.field import PsmClient, StaffClient, Tally, check_invariants
from tests.reliability.helpers import (
    FULL,
    database_url,
    free_port,
    portal_env,
    start_gunicorn,
    wait_for_http,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="load runs on PostgreSQL"),
]
PSM_CLIENTS, STAFF_CLIENTS, SECONDS = (16, 4, 60) if FULL else (8, 2, 10)


def field_accounts(psm_clients: int, staff_clients: int):
    ppks_reference()
    psm_users = []
    for i in range(psm_clients):
        psm = PsmFactory(nama=f"PSM Beban {i}")
        user = make_user(Role.PSM, psm=psm, username=f"psm-beban-{i}")
        psm_users.append((user.username, psm.desa_tugas_id))
    staff = [
        make_user(Role.STAF, scope=["33.71"], username=f"staf-beban-{i}").username
        for i in range(staff_clients)
    ]
    make_user(Role.VERIFIKATOR, scope=[MAGELANG_SELATAN], username="verif-beban")
    return psm_users, staff


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_are_all_kept_exactly_once(regions, office, tmp_path):
    psm_users, staff = field_accounts(PSM_CLIENTS, STAFF_CLIENTS)
    port = free_port()
    server = start_gunicorn(port, portal_env(database_url()), tmp_path, workers=3, threads=4)
    tally = Tally()
    try:
        wait_for_http(port, server)
        deadline = time.monotonic() + SECONDS
        clients = [
            PsmClient(port, username, desa, tally, deadline, seed=i)
            for i, (username, desa) in enumerate(psm_users)
        ] + [StaffClient(port, username, tally, deadline) for username in staff]
        started = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=SECONDS + 60)
        elapsed = time.monotonic() - started
        assert not any(c.is_alive() for c in clients), "a client did not stop"
    finally:
        server.stop()
    counts = check_invariants(tally)
    requests = sum(tally.statuses.values())
    p50 = statistics.median(tally.latencies) if tally.latencies else 0
    p95 = statistics.quantiles(tally.latencies, n=20)[-1] if len(tally.latencies) > 20 else 0
    print(
        f"load: {PSM_CLIENTS} PSM + {STAFF_CLIENTS} staff for {elapsed:.0f} s: {requests} requests "
        f"({requests / elapsed:.1f}/s), p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; "
        f"{counts}; statuses {dict(sorted(tally.statuses.items()))}"
    )
    assert tally.five_xx == 0, tally.refused[:3]
    assert tally.errors == [], tally.errors[:5]
    assert counts["cases accepted"] > 0
    assert counts["activities accepted"] > 0, tally.activity_problems[:3]
    assert counts["case rows"] == counts["cases accepted"]  # nothing saved that was not answered
    assert counts["activity rows"] == counts["activities accepted"]
