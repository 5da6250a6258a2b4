"""A request that fails in the middle leaves nothing of itself: the error page tells the visitor
nothing was saved (psm_portal/errors.py), so a request's writes are one transaction, and a file
stored by a write that is rolled back is deleted again. Each test has PostgreSQL cancel one of
the writes, as the statement timeout or a restart would."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse

from psm_portal.models import AuditEvent, GeneratedDocument
from registry import exports, services
from registry.models import ImportBatch, Psm, PsmAppointment, PsmBimtek
from tests.factories import BimtekFactory, PsmFactory
from tests.faults import cancelled_write, postgresql_only, visitor
from tests.registry.test_activities import _jpeg
from tests.registry.test_import import messy_rows, upload, xlsx
from tests.registry.test_views import SK_FORM, _form_data

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

ROW = messy_rows("")[0]  # a clean row: Siti Rahayu of Rejowinangun Selatan


def _refused(response) -> None:
    assert response.status_code == 503
    assert "belum tersimpan" in response.content.decode()


@pytest.fixture
def media(settings, tmp_path):
    """An empty media folder of the test's own: whatever is in it after a request, it stored."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()]


def test_an_import_upload_cut_short_keeps_no_batch_of_niks(staff):
    """The batch, every parsed NIK in it, was committed before its audit entry: a failure
    between kept a file of people's data that no audit row says who made."""
    c = visitor(staff)
    with cancelled_write("psm_portal_auditevent", "NEW.action = 'import.preview'"):
        _refused(upload(c, xlsx([ROW])))
    assert not ImportBatch.objects.exists()
    # Sent again, the same file makes its preview, and its entry.
    response = upload(c, xlsx([ROW]))
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("registry:import-preview", args=[batch.pk])
    assert AuditEvent.objects.filter(action="import.preview").count() == 1


def test_a_background_export_cut_short_leaves_no_export_entry(staff, monkeypatch):
    """The export's audit entry was committed before the document was queued: a failure in the
    queueing kept an export on record that nobody got."""
    PsmFactory()
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 0)
    c = visitor(staff)
    url = reverse("registry:psm-export", args=["xlsx"])
    with cancelled_write("psm_portal_auditevent", "NEW.action = 'document.request'"):
        _refused(c.post(url))
    assert not AuditEvent.objects.filter(action="psm.export").exists()
    assert not GeneratedDocument.objects.exists()
    assert c.post(url).status_code == 302
    assert AuditEvent.objects.filter(action="psm.export").count() == 1
    assert GeneratedDocument.objects.count() == 1


def test_a_registration_cut_short_leaves_no_photo_on_disk(staff, media):
    """The portrait was stored at save(); the rolled-back PSM did not take it along, and a
    person's picture stayed in the media folder with no record listing it."""
    c = visitor(staff)
    url = reverse("registry:psm-create")
    with cancelled_write("psm_portal_auditevent", "NEW.action = 'psm.register'"):
        _refused(c.post(url, {**_form_data(), "foto": _jpeg(), "persetujuan_foto": "on"}))
    assert not Psm.objects.exists()
    assert not _files(media)
    assert (
        c.post(url, {**_form_data(), "foto": _jpeg(), "persetujuan_foto": "on"}).status_code == 302
    )
    assert _files(media) == [media / Psm.objects.get().foto.name]


def test_a_photo_change_cut_short_leaves_no_new_photo_on_disk(staff, media):
    c = visitor(staff)
    assert c.post(reverse("registry:psm-create"), _form_data()).status_code == 302
    psm = Psm.objects.get()
    url = reverse("registry:psm-update", args=[psm.pk])
    with cancelled_write("psm_portal_auditevent", "NEW.action = 'psm.update'"):
        _refused(c.post(url, {**_form_data(), "foto": _jpeg(), "persetujuan_foto": "on"}))
    psm.refresh_from_db()
    assert not psm.foto
    assert not _files(media)
    # A photo replaced by another is deleted once the new one is saved: listed nowhere then.
    assert (
        c.post(url, {**_form_data(), "foto": _jpeg(), "persetujuan_foto": "on"}).status_code == 302
    )
    assert (
        c.post(url, {**_form_data(), "foto": _jpeg(), "persetujuan_foto": "on"}).status_code == 302
    )
    psm.refresh_from_db()
    assert _files(media) == [media / psm.foto.name]


def test_an_sk_cut_short_leaves_no_scan_on_disk(staff, media):
    """The SK's PDF was stored at save(), before the audit entry that failed."""
    psm = PsmFactory()
    c = visitor(staff)
    url = reverse("registry:psm-record-add", args=[psm.pk, "sk"])

    def pdf():
        return SimpleUploadedFile("sk.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")

    with cancelled_write("psm_portal_auditevent", "NEW.action = 'psm.sk_add'"):
        _refused(c.post(url, {**SK_FORM, "dokumen": pdf()}))
    assert not PsmAppointment.objects.exists()
    assert not _files(media)
    assert c.post(url, {**SK_FORM, "dokumen": pdf()}).status_code == 302
    assert _files(media) == [media / PsmAppointment.objects.get().dokumen.name]


def test_a_withdrawal_cut_short_removes_none_of_the_certificates_levels(staff):
    """Each level's row went with its own audit entry, one after another: a failure at the
    second kept the first level withdrawn and the second not, of one revoked certificate."""
    first = BimtekFactory(tingkat="dasar", nomor_sertifikat="BD-2021-0001")
    BimtekFactory(psm=first.psm, tingkat="lanjutan", nomor_sertifikat="BD-2021-0001")
    with (
        cancelled_write(
            "psm_portal_auditevent",
            "NEW.action = 'psm.bimtek_withdraw' AND NEW.before->>'tingkat' = 'lanjutan'",
        ),
        pytest.raises(DatabaseError),
    ):
        services.bimtek_withdraw(
            psm=first.psm, nomor_sertifikat="BD-2021-0001", reason="dicabut", by=staff
        )
    assert PsmBimtek.objects.filter(psm=first.psm).count() == 2
    assert not AuditEvent.objects.filter(action="psm.bimtek_withdraw").exists()
