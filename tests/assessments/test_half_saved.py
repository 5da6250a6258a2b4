"""A request that fails in the middle leaves nothing of itself: the error page tells the visitor
nothing was saved (psm_portal/errors.py), so a request's writes are one transaction. Each test
has PostgreSQL cancel one of the writes, as the statement timeout or a restart would."""

import datetime as dt
from pathlib import Path

import pytest
from django.db import DatabaseError
from django.urls import reverse

from assessments import services
from assessments.models import Asesmen, StatusAsesmen, Subjek
from psm_portal.models import AuditEvent
from tests.assessments.test_views import _queue_ticks
from tests.factories import make_case, subject_data
from tests.faults import cancelled_write, postgresql_only, visitor

S = StatusAsesmen

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]


def test_a_bulk_verification_cut_short_verifies_none_of_its_cases(people):
    """Each case was verified in a transaction of its own: those before the failure stayed
    verified, under a page saying nothing was."""
    first, second = (make_case(people["psm_a"], subject={"nama": f"Warga {i}"}) for i in range(2))
    c = visitor(people["staf"])
    ticks = _queue_ticks(c.get(reverse("assessments:queue")).content.decode())
    with cancelled_write("assessments_transisi", f"NEW.asesmen_id = {second.pk}"):
        response = c.post(reverse("assessments:queue"), {"kasus": list(ticks.values())})
    assert response.status_code == 503
    assert "belum tersimpan" in response.content.decode()
    assert set(Asesmen.objects.values_list("status", flat=True)) == {S.DIAJUKAN}
    # Sent again, the same ticks verify both.
    response = c.post(reverse("assessments:queue"), {"kasus": list(ticks.values())}, follow=True)
    assert "2 kasus diverifikasi." in response.content.decode()


def test_a_follow_up_visit_cut_short_keeps_neither_its_date_nor_loses_its_note(people):
    """The visit's note lives in its audit entry alone. Written after the date was committed, a
    failure kept the date and lost the note, and sending again was refused as already done."""
    case = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    c = visitor(people["psm_a"])
    visit = {"tanggal": dt.date.today().isoformat(), "catatan": "Rumah sudah diperbaiki warga"}
    url = reverse("assessments:case-visit", args=[case.pk])
    with cancelled_write("psm_portal_auditevent", "NEW.action = 'asesmen.visit'"):
        assert c.post(url, visit).status_code == 503
    case.refresh_from_db()
    assert case.kunjungan_lanjutan is None
    assert c.post(url, visit).status_code == 302
    case.refresh_from_db()
    assert case.kunjungan_lanjutan == dt.date.today()
    assert AuditEvent.objects.get(action="asesmen.visit").reason == "Rumah sudah diperbaiki warga"


def test_a_background_export_that_fails_to_queue_leaves_no_audit_entry_of_it(people, monkeypatch):
    """The export's audit entry was committed before its document was asked for: a failure
    there left an export in the trail that no one got."""
    from assessments import exports

    make_case(people["psm_a"])
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 0)
    c = visitor(people["staf"])
    with cancelled_write("reports_generateddocument"):
        assert c.post(reverse("assessments:case-export")).status_code == 503
    assert not AuditEvent.objects.filter(action="asesmen.export").exists()
    assert c.post(reverse("assessments:case-export")).status_code == 302
    assert AuditEvent.objects.filter(action="asesmen.export").count() == 1


def test_an_offline_submission_whose_receipt_fails_leaves_no_photo_behind(
    people, settings, tmp_path
):
    """The case and its photos were stored in a savepoint of the outbox's once-only
    transaction, which then failed at the receipt: the rows rolled back, the photos stayed on
    disk (a person's picture nothing lists), and the phone's retry stored them again."""
    from tests.assessments.test_views import _form, _jpeg

    settings.MEDIA_ROOT = tmp_path
    c = visitor(people["psm_a"])
    send = {
        "path": reverse("assessments:case-create"),
        "data": {**_form(), "foto": [_jpeg()]},
        "headers": {"X-Offline-Kiriman": "5f0c1e0a-8d0e-4b1c-9a57-2a2f5d8b7c11"},
    }
    with cancelled_write("psm_portal_kirimanoffline", "NEW.hasil::text <> '{}'"):
        assert c.post(**send).status_code == 503
    assert not Asesmen.objects.exists()
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    send["data"]["foto"] = [_jpeg()]
    assert c.post(**send).json()["status"] == "terkirim"
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 1


def test_a_referrals_proof_is_not_left_on_disk_by_an_answer_that_failed(people, settings, tmp_path):
    """Django stores a file at the row's save: a failure after it rolled the row back and left
    the letter, about a person, on disk and listed nowhere. A proof replaced by a later one is
    deleted too, once the new one is saved."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.assessments.test_views import _referred_to_pkh

    settings.MEDIA_ROOT = tmp_path
    case, referral = _referred_to_pkh(people)
    c = visitor(people["staf"])
    url = reverse("assessments:referral-update", args=[referral.pk])

    def answer(name):
        letter = SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
        return c.post(url, {"status": "diterima", "hasil": "Lolos verifikasi", "bukti": letter})

    def on_disk():
        return sorted(path.name for path in tmp_path.rglob("*") if path.is_file())

    with cancelled_write("psm_portal_auditevent", "NEW.action = 'rujukan.update'"):
        assert answer("surat.pdf").status_code == 503
    assert on_disk() == []
    assert answer("surat.pdf").status_code == 302
    referral.refresh_from_db()
    assert on_disk() == [Path(referral.bukti.name).name]
    assert answer("surat-baru.pdf").status_code == 302
    referral.refresh_from_db()
    assert on_disk() == [Path(referral.bukti.name).name]
    assert "surat-baru" in referral.bukti.name


def test_a_new_subject_whose_audit_entry_fails_is_not_kept(people):
    """The subject was committed by its own save before its audit entry: called outside a
    request's transaction (a command, a task), a failure between kept a person nobody is on
    record as having entered."""
    with (
        cancelled_write("psm_portal_auditevent", "NEW.action = 'subjek.create'"),
        pytest.raises(DatabaseError),
    ):
        services.subject_create(data=subject_data(), by=people["staf"])
    assert not Subjek.objects.exists()


def test_a_subject_change_whose_audit_entry_fails_is_not_kept(people):
    subject = services.subject_create(data=subject_data(), by=people["staf"])
    with (
        cancelled_write("psm_portal_auditevent", "NEW.action = 'subjek.update'"),
        pytest.raises(DatabaseError),
    ):
        services.subject_update(subject=subject, data={"alamat": "Jl. Baru"}, by=people["staf"])
    subject.refresh_from_db()
    assert subject.alamat == "Jl. Tidar Gg. 3"
