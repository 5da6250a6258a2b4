"""A task worker killed (SIGKILL) in the middle of a report: the document is never left "being
made" for ever. Once its progress has stood still for PSM_DOCUMENT_STALE_MINUTES it is shown, and
stored, as failed with a message in Bahasa Indonesia; asking again builds it with a new worker.

The reduced run lets the stale window pass by setting it to 0 after the kill (the check is the
same code path); PSM_RELIABILITY_FULL=1 sets it to 1 minute and really waits.
"""

import time

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from psm_portal.models import GeneratedDocument, Role
from tests.factories import EventFactory, PsmFactory, make_user
from tests.reliability.helpers import FULL, database_url, portal_env, start_worker, wait_until
from training.models import Peserta

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker shares PostgreSQL"),
]
Status = GeneratedDocument.Status
GRADUATES = 12  # about 0.4 s of layout each: the build runs long enough to be killed mid-way


def _event_with_graduates(n):
    event = EventFactory(status="selesai", judul="Bimtek Uji Pekerja Mati")
    for i in range(n):
        Peserta.objects.create(
            event=event,
            psm=PsmFactory(nama=f"Lulusan {i + 1}"),
            status="lulus",
            nomor_sertifikat=f"SRT/K/{event.pk}/{i + 1:03d}",
        )
    return event


def _document(pk) -> GeneratedDocument:
    return GeneratedDocument.objects.get(pk=pk)


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_a_failed_document_and_a_retry_succeeds(
    client, regions, office, tmp_path
):
    staff = make_user(Role.STAF, scope=["33.71"], username="staf-kill")
    event = _event_with_graduates(GRADUATES)
    client.force_login(staff)
    client.post(reverse("training:certificates-bundle", args=[event.pk]))
    document = GeneratedDocument.objects.get()
    stale_minutes = 1 if FULL else 10
    env = portal_env(database_url(), PSM_DOCUMENT_STALE_MINUTES=stale_minutes)

    worker = start_worker(env, tmp_path, "pekerja-1")
    try:
        wait_until(
            lambda: (
                _document(document.pk).status == Status.RUNNING
                and _document(document.pk).selesai >= 2
            ),
            timeout=90,
            what="the build to be running",
        )
        worker.kill9()
        killed_at = _document(document.pk)
    finally:
        worker.stop()
    assert killed_at.status == Status.RUNNING and killed_at.selesai < GRADUATES
    time.sleep(1)
    assert _document(document.pk).selesai == killed_at.selesai  # nobody is building it any more
    task = DBTaskResult.objects.get(id=document.task_id)
    print(
        f"worker killed at {killed_at.selesai}/{killed_at.total} parts; "
        f"django-tasks-db row left as {task.status}"
    )

    page_url = reverse("reports:document", args=[document.pk])
    with override_settings(PSM_DOCUMENT_STALE_MINUTES=stale_minutes):
        # Within the window the page honestly says it is still being made.
        assert "Sedang dibuat" in client.get(page_url).content.decode()
    if FULL:
        time.sleep(62)
    with override_settings(PSM_DOCUMENT_STALE_MINUTES=stale_minutes if FULL else 0):
        page = client.get(page_url).content.decode()
        listing = client.get(reverse("reports:document-list")).content.decode()
    assert 'data-status="gagal"' in page
    assert "terhenti di tengah jalan" in page and "minta dokumen ini lagi" in page
    assert "Gagal" in listing
    failed = _document(document.pk)
    assert failed.status == Status.FAILED and failed.finished_at is not None

    # Asked again: a new document, built by a new worker, once.
    client.post(reverse("training:certificates-bundle", args=[event.pk]))
    again = GeneratedDocument.objects.exclude(pk=document.pk).get()
    worker = start_worker(env, tmp_path, "pekerja-2")
    try:
        wait_until(lambda: _document(again.pk).is_finished, timeout=120, what="the retried build")
    finally:
        worker.stop()
    again = _document(again.pk)
    assert again.status == Status.DONE, again.pesan_galat
    assert (again.selesai, again.total) == (GRADUATES, GRADUATES)
    assert _document(document.pk).status == Status.FAILED  # the dead one stays failed
    assert DBTaskResult.objects.get(id=again.task_id).status == "SUCCESSFUL"
