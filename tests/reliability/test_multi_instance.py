"""Scaling out as the README documents it: two portal instances (gunicorn on two loopback ports)
and two task workers sharing one PostgreSQL, behind a round-robin reverse proxy, with Redis for
the rate-limit counters. A login on one instance is valid on the other; CSRF tokens work across
them; each background document is built exactly once; a rate limit counts requests to both."""

import socket
import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from psm_portal.models import GeneratedDocument, Role
from tests.factories import EventFactory, PsmFactory, make_user
from tests.reliability.helpers import (
    FULL,
    Client,
    database_url,
    free_port,
    inside_one_window,
    portal_env,
    start_gunicorn,
    start_worker,
    wait_for_http,
    wait_until,
)
from tests.reliability.proxy import RoundRobinProxy
from training.models import Peserta

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="instances share PostgreSQL"),
]
Status = GeneratedDocument.Status
EVENTS = 8 if FULL else 4


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _events(n, graduates=2):
    events = []
    for e in range(n):
        event = EventFactory(status="selesai", judul=f"Bimtek Skala {e + 1}")
        for i in range(graduates):
            Peserta.objects.create(
                event=event,
                psm=PsmFactory(nama=f"Lulusan {e + 1}-{i + 1}"),
                status="lulus",
                nomor_sertifikat=f"SRT/S/{event.pk}/{i + 1:03d}",
            )
        events.append(event)
    return events


@pytest.fixture
def cluster(transactional_db, tmp_path):
    """Two instances and two workers on the test database, and the proxy in front of them."""
    redis = _redis_up()
    extra = {"PSM_RATELIMIT_ENABLED": "true", "PSM_RATELIMIT_VERIFY": "4/60"}
    if redis:
        extra |= {
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "CACHE_KEY_PREFIX": f"psm-test-{uuid.uuid4().hex[:8]}",
        }
    env = portal_env(database_url(), **extra)
    ports = [free_port(), free_port()]
    processes = []
    try:
        for port in ports:
            processes.append(start_gunicorn(port, env, tmp_path, workers=1, threads=4))
        for n in (1, 2):
            processes.append(start_worker(env, tmp_path, f"pekerja-{n}"))
        for port, process in zip(ports, processes, strict=False):
            wait_for_http(port, process)
        with RoundRobinProxy(ports) as proxy:
            yield {"ports": ports, "proxy": proxy, "redis": redis, "processes": processes}
    finally:
        for process in processes:
            process.stop()


def test_two_instances_share_logins_and_run_each_task_once(cluster, regions, office):
    make_user(Role.STAF, scope=["33.71"], username="staf-skala")
    events = _events(EVENTS)
    proxy, (port_a, port_b) = cluster["proxy"], cluster["ports"]

    # Log in through the proxy: the login page and the POST land on different instances.
    browser = Client(proxy.port)
    browser.login("staf-skala")
    assert proxy.served[port_a] >= 1 and proxy.served[port_b] >= 1

    # The session cookie is valid on each instance directly.
    for port in (port_a, port_b):
        direct = Client(port, cookies=dict(browser.cookies))
        response = direct.get(reverse("registry:psm-list"))
        assert response.status == 200, (port, response.status, response.location)
        assert "staf-skala" in response.text
    # And through the proxy, alternating instances.
    upstreams = {browser.get(reverse("registry:psm-list")).headers["x-upstream"] for _ in range(4)}
    assert upstreams == {str(port_a), str(port_b)}

    # Background documents, asked for through the proxy (so through both instances).
    for event in events:
        response = browser.post(reverse("training:certificates-bundle", args=[event.pk]), {})
        assert response.status == 302, response.status
    # A double click on two instances at once.
    racers = [Client(p, cookies=dict(browser.cookies)) for p in (port_a, port_b)]
    url = reverse("training:certificates-bundle", args=[events[0].pk])
    threads = [threading.Thread(target=c.post, args=(url, {})) for c in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    def all_finished():
        docs = list(GeneratedDocument.objects.all())
        return docs if all(d.is_finished for d in docs) else None

    documents = wait_until(all_finished, timeout=180, interval=0.5, what="every document built")
    assert {d.status for d in documents} == {Status.DONE}, [d.pesan_galat for d in documents]
    tasks = DBTaskResult.objects.filter(id__in=[d.task_id for d in documents])
    assert tasks.count() == len(documents)
    for task in tasks:
        assert task.status == "SUCCESSFUL"
        assert len(task.worker_ids) == 1, task.worker_ids  # claimed by one worker, once
    workers = sorted({w for t in tasks for w in t.worker_ids})
    per_event = {}
    for d in documents:
        per_event[d.params["event"]] = per_event.get(d.params["event"], 0) + 1
    print(
        f"multi-instance: {len(documents)} documents, each run once; workers used: {workers}; "
        f"proxy served {dict(proxy.served)}; documents per event {sorted(per_event.values())}"
    )
    assert len(documents) >= EVENTS


def test_rate_limits_count_requests_to_both_instances(cluster, regions, psm):
    if not cluster["redis"]:
        pytest.skip("Redis is not running on 127.0.0.1:6379: each instance counts alone")
    port_a, port_b = cluster["ports"]
    url = reverse("registry:psm-verify", args=[psm.kode_verifikasi])
    inside_one_window(60)  # PSM_RATELIMIT_VERIFY=4/60 for this cluster
    statuses = [Client(port).get(url).status for port in (port_a, port_b, port_a, port_b)]
    assert statuses == [200, 200, 200, 200]
    refused = Client(port_a).get(url)
    assert refused.status == 429 and "Terlalu banyak permintaan" in refused.text
    assert Client(port_b).get(url).status == 429
