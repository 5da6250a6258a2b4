"""Background documents: the certificate bundle of an event, built by the task in-process and by a
real ``db_worker`` process, its progress page, access, and a worker that dies mid-build."""

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from psm_portal.background import build_document, document_request, refresh_status
from psm_portal.models import GeneratedDocument, Role
from tests.factories import EventFactory, PsmFactory, make_user
from tests.workers import run_worker
from training import documents
from training.models import Peserta

Status = GeneratedDocument.Status


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines() if "Pages:" in line))


def _graduated_event(n=3, *, revoked=0):
    event = EventFactory(status="selesai", judul="Bimtek Dasar PSM Angkatan Uji")
    people = []
    for i in range(n):
        psm = PsmFactory(nama=f"Peserta Lulus {i + 1}")
        people.append(
            Peserta.objects.create(
                event=event,
                psm=psm,
                status="lulus",
                nomor_sertifikat=f"SRT/{event.pk}/{i + 1:03d}",
                sertifikat_dicabut=i < revoked,
            )
        )
    return event, people


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_request_queues_one_task_and_a_double_click_reuses_it(staff, office):
    event, _ = _graduated_event(2)
    first = document_request(
        jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
    )
    again = document_request(
        jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
    )
    assert again.pk == first.pk
    assert first.status == Status.QUEUED
    assert DBTaskResult.objects.filter(id=first.task_id, status="READY").count() == 1
    assert DBTaskResult.objects.count() == 1


def test_task_builds_one_pdf_of_every_valid_certificate(staff, office, tmp_path):
    event, people = _graduated_event(3, revoked=1)
    document = document_request(
        jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
    )
    assert build_document.call(str(document.pk)) == Status.DONE
    document.refresh_from_db()
    assert document.status == Status.DONE
    assert (document.selesai, document.total, document.persen) == (2, 2, 100)
    path = Path(document.berkas.path)
    assert pdf_pages(path) == 2
    text = pdf_text(path)
    assert "Peserta Lulus 2" in text and "Peserta Lulus 3" in text
    assert "Peserta Lulus 1" not in text  # revoked: not printed again
    assert "SERTIFIKAT" in text and people[2].nomor_sertifikat in text
    # A second run (a retried task) does nothing twice: the same file, not a rebuilt one.
    files = sorted(path.parent.iterdir())
    assert build_document.call(str(document.pk)) == Status.DONE
    again = GeneratedDocument.objects.get(pk=document.pk)
    assert (again.berkas.name, again.finished_at) == (document.berkas.name, document.finished_at)
    assert sorted(path.parent.iterdir()) == files


def test_a_build_recorded_as_stopped_does_not_come_back_as_done(staff, monkeypatch):
    """A long build whose progress stalled past the limit is shown as stopped (the user may ask
    again); if its worker was alive after all and finishes, that file is not put back over what
    the user was told, and is not left on disk."""
    from psm_portal.background import BUILDERS, Built

    def slow(document, progress):
        # refresh_status's verdict, reached while this build was still going
        GeneratedDocument.objects.filter(pk=document.pk).update(status=Status.FAILED)
        return Built(b"isi", "lambat.txt", "text/plain")

    def files():
        return {p for p in (Path(settings.MEDIA_ROOT) / "dokumen").rglob("*") if p.is_file()}

    monkeypatch.setitem(BUILDERS, "uji.lambat", slow)
    document = document_request(jenis="uji.lambat", judul="Lambat", params={}, by=staff)
    before = files()
    assert build_document.call(str(document.pk)) == Status.FAILED
    document.refresh_from_db()
    assert document.status == Status.FAILED and not document.berkas
    assert files() == before


def test_view_refuses_an_event_without_valid_certificates(staff_client, office):
    event, _ = _graduated_event(1, revoked=1)
    response = staff_client.post(
        reverse("training:certificates-bundle", args=[event.pk]), follow=True
    )
    assert "Belum ada sertifikat yang berlaku" in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_progress_page_polls_until_done_then_offers_the_download(staff_client, staff, office):
    event, _ = _graduated_event(1)
    response = staff_client.post(reverse("training:certificates-bundle", args=[event.pk]))
    document = GeneratedDocument.objects.get()
    assert response["Location"] == reverse("reports:document", args=[document.pk])
    page = staff_client.get(response["Location"]).content.decode()
    assert "Menunggu giliran" in page and 'hx-trigger="every 2s"' in page
    assert (
        staff_client.get(reverse("reports:document-download", args=[document.pk])).status_code
        == 404
    )

    build_document.call(str(document.pk))
    fragment = staff_client.get(response["Location"], headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert "<html" not in body and "hx-trigger" not in body
    assert reverse("reports:document-download", args=[document.pk]) in body
    download = staff_client.get(reverse("reports:document-download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    listing = staff_client.get(reverse("reports:document-list")).content.decode()
    assert "Sertifikat Bimtek Dasar PSM Angkatan Uji" in listing


def test_only_the_requester_sees_a_document(client, staff, office, regions):
    event, _ = _graduated_event(1)
    document = document_request(
        jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
    )
    build_document.call(str(document.pk))
    colleague = make_user(Role.STAF, scope=["33.71"], username="rekan")
    client.force_login(colleague)
    assert client.get(reverse("reports:document", args=[document.pk])).status_code == 404
    assert client.get(reverse("reports:document-download", args=[document.pk])).status_code == 404
    assert "Sertifikat" not in client.get(reverse("reports:document-list")).content.decode()


def test_staff_of_another_region_cannot_request_the_bundle(client, office, regions):
    event, _ = _graduated_event(1)
    outsider = make_user(Role.STAF, scope=["33.12"], username="wonogiri")
    client.force_login(outsider)
    response = client.post(reverse("training:certificates-bundle", args=[event.pk]))
    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


def test_a_build_that_fails_says_why_and_is_not_left_running(staff, office):
    event, people = _graduated_event(1)
    document = document_request(
        jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
    )
    Peserta.objects.filter(pk=people[0].pk).update(sertifikat_dicabut=True)  # revoked meanwhile
    assert build_document.call(str(document.pk)) == Status.FAILED
    document.refresh_from_db()
    assert document.status == Status.FAILED
    assert "Belum ada sertifikat yang berlaku" in document.pesan_galat


def test_a_build_whose_worker_died_is_shown_as_failed_and_can_be_asked_again(staff, office):
    event, _ = _graduated_event(1)
    params = {"event": event.pk}
    document = document_request(jenis=documents.BUNDLE, judul="S", params=params, by=staff)
    long_ago = timezone.now() - dt.timedelta(minutes=settings.PSM_DOCUMENT_STALE_MINUTES + 1)
    GeneratedDocument.objects.filter(pk=document.pk).update(
        status=Status.RUNNING, updated_at=long_ago
    )
    DBTaskResult.objects.filter(id=document.task_id).update(status="RUNNING")  # as the worker
    document.refresh_from_db()
    refresh_status(document)
    assert document.status == Status.FAILED
    assert "terhenti" in document.pesan_galat
    assert DBTaskResult.objects.get(id=document.task_id).status == "FAILED"  # not left running
    again = document_request(jenis=documents.BUNDLE, judul="S", params=params, by=staff)
    assert again.pk != document.pk and again.status == Status.QUEUED


@pytest.mark.parametrize("task_state", ["FAILED", "gone"])
def test_a_queued_document_whose_task_is_lost_is_failed_and_can_be_asked_again(
    staff, office, task_state
):
    """The task failed before it claimed the document (the database dropped, a deploy renamed
    the task) or its row was pruned: the document said "Menunggu giliran" for ever, and asking
    again answered the same stuck document."""
    event, _ = _graduated_event(1)
    params = {"event": event.pk}
    document = document_request(jenis=documents.BUNDLE, judul="S", params=params, by=staff)
    waiting = refresh_status(document)
    assert waiting.status == Status.QUEUED  # its task waits its turn: not stale
    task = DBTaskResult.objects.filter(id=document.task_id)
    if task_state == "gone":
        task.delete()
    else:
        task.update(status="FAILED")
    refresh_status(document)
    assert document.status == Status.FAILED and "hilang dari antrean" in document.pesan_galat
    again = document_request(jenis=documents.BUNDLE, judul="S", params=params, by=staff)
    assert again.pk != document.pk and again.status == Status.QUEUED


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_builds_the_requested_bundle(client, office, regions, tmp_path):
    staff = make_user(Role.STAF, scope=["33.71"], username="staf-pekerja")
    event, _ = _graduated_event(2)
    client.force_login(staff)
    client.post(reverse("training:certificates-bundle", args=[event.pk]))
    document = GeneratedDocument.objects.get()
    worker = run_worker(timeout=120)
    assert worker.returncode == 0, worker.stderr
    document.refresh_from_db()
    assert document.status == Status.DONE, document.pesan_galat
    assert DBTaskResult.objects.get(id=document.task_id).status == "SUCCESSFUL"
    assert pdf_pages(document.berkas.path) == 2
    assert "Peserta Lulus 2" in pdf_text(document.berkas.path)


def test_tasks_queued_before_the_move_still_find_their_function():
    from django.utils.module_loading import import_string

    from psm_portal.background import build_document

    # The worker imports the path stored with each queued task.
    assert import_string("reports.background.build_document") is build_document


def test_a_built_document_is_downloadable_only_while_its_owner_keeps_the_right(staff, office):
    """A bundle names an event's graduates, a recap every PSM of a scope: a file outlives the
    right that built it, so the right is asked again at each download."""
    from psm_portal.background import may_download
    from registry.models import Wilayah

    event, _people = _graduated_event(1)
    bundle = document_request(
        jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
    )
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-unduh")
    recap = document_request(
        jenis="reports.rekap-kinerja",
        judul="Rekap",
        params={"tahun": 2026, "kecamatan": "33.71.01"},
        by=supervisor,
    )
    client = Client()
    client.force_login(supervisor)
    client.post(reverse("reports:recap-request") + "?tahun=2026")  # the whole scope
    whole = GeneratedDocument.objects.get(jenis="reports.rekap-kinerja", params__kecamatan="")
    assert whole.params["cakupan"] == ["33.71"]
    assert may_download(staff, bundle) and may_download(supervisor, recap)
    assert may_download(supervisor, whole)
    staff.scope.set(Wilayah.objects.filter(kode="33.12"))  # moved to another kab/kota
    supervisor.scope.set(Wilayah.objects.filter(kode="33.71.02"))  # another kecamatan only
    staff, supervisor = (type(u).objects.get(pk=u.pk) for u in (staff, supervisor))  # next request
    assert not may_download(staff, bundle) and not may_download(supervisor, recap)
    assert not may_download(supervisor, whole)  # a recap of Kota Magelang, now not theirs


@pytest.mark.django_db(transaction=True)
def test_a_double_click_arriving_at_the_same_moment_queues_one_document(regions, office):
    """Each click on its own connection, released together: one document and one task."""
    from tests.concurrency import at_once

    staff = make_user(Role.STAF, scope=["33.71"], username="staf-dobel")
    event, _people = _graduated_event(1)
    documents_made, errors = at_once(
        lambda: document_request(
            jenis=documents.BUNDLE, judul="Sertifikat", params={"event": event.pk}, by=staff
        ),
        [(), ()],
    )
    assert errors == []
    assert len({d.pk for d in documents_made}) == 1
    assert GeneratedDocument.objects.count() == 1 and DBTaskResult.objects.count() == 1
