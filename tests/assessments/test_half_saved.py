"""A request that fails in the middle leaves nothing of itself: the error page tells the visitor
nothing was saved (psm_portal/errors.py), so a request's writes are one transaction. Each test
has PostgreSQL cancel one of the writes, as the statement timeout or a restart would."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Asesmen, StatusAsesmen
from psm_portal.models import AuditEvent
from tests.assessments.test_views import _queue_ticks
from tests.factories import make_case
from tests.faults import cancelled_write, postgresql_only

S = StatusAsesmen

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]


def _client(user) -> Client:
    client = Client(raise_request_exception=False)  # as a visitor: the error page, not a trace
    client.force_login(user)
    return client


def test_a_bulk_verification_cut_short_verifies_none_of_its_cases(people):
    """Each case was verified in a transaction of its own: those before the failure stayed
    verified, under a page saying nothing was."""
    first, second = (make_case(people["psm_a"], subject={"nama": f"Warga {i}"}) for i in range(2))
    c = _client(people["staf"])
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
    c = _client(people["psm_a"])
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
    c = _client(people["staf"])
    with cancelled_write("reports_generateddocument"):
        assert c.post(reverse("assessments:case-export")).status_code == 503
    assert not AuditEvent.objects.filter(action="asesmen.export").exists()
    assert c.post(reverse("assessments:case-export")).status_code == 302
    assert AuditEvent.objects.filter(action="asesmen.export").count() == 1
