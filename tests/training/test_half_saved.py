"""A request that fails in the middle leaves nothing of itself: the error page tells the visitor
nothing was saved (psm_portal/errors.py), so a request's writes are one transaction, and nothing
that can fail comes after it. Each test has PostgreSQL end one statement, as the statement or
lock bound, or a restart, would."""

import pytest
from django.urls import reverse

from psm_portal.models import AuditEvent
from tests.factories import EventFactory, PsmFactory
from tests.faults import cancelled_write, locked_before, postgresql_only, visitor
from tests.training.test_views import EVENT_FORM
from training.models import BimtekEvent, Peserta

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]


def test_a_nomination_cut_short_enrols_none_of_its_people(staff, event):
    """Each person was enrolled in a transaction of their own: those before the failure stayed
    enrolled under a page saying nothing was, and sending the list again refused them as
    already enrolled."""
    event.kapasitas = 1
    event.save()
    chosen = [*(PsmFactory() for _ in range(2)), PsmFactory(status="berhenti")]
    c = visitor(staff)
    url = reverse("training:event-nominate", args=[event.pk])
    # One seat: whoever comes second goes to the waiting list, and that write is cancelled.
    with cancelled_write("training_peserta", "NEW.status = 'menunggu'"):
        response = c.post(url, {"psm": [p.pk for p in chosen]})
    assert response.status_code == 503
    assert "belum tersimpan" in response.content.decode()
    assert not Peserta.objects.exists()
    assert not AuditEvent.objects.filter(action="enrolment.create").exists()
    # Sent again, the same list seats one, puts one on the waiting list and refuses the third
    # alone (a refusal undoes only its own person).
    body = c.post(url, {"psm": [p.pk for p in chosen]}, follow=True).content.decode()
    assert "1 didaftarkan, 1 masuk daftar tunggu." in body
    assert "sudah berhenti sebagai PSM" in body
    assert "sudah terdaftar" not in body
    assert Peserta.objects.count() == 2


def test_a_new_event_cut_short_at_its_overlap_check_is_not_saved(staff, regions):
    """The overlap warning was read after the event was committed: a failure there left the
    event saved under a page saying nothing was, and sending the form again made a second
    draft."""
    EventFactory(judul="Bimtek Dasar Angkatan Lama")  # 7-8 December 2026, Kota Magelang
    form = {
        **EVENT_FORM,
        "judul": "Bimtek Dasar Angkatan Baru",
        "tanggal_mulai": "2026-12-08",
        "tanggal_selesai": "2026-12-09",
    }
    c = visitor(staff)
    url = reverse("training:event-create")
    # The overlap read alone compares an event's end with the other's start.
    with locked_before("training_bimtekevent", '"training_bimtekevent"."tanggal_selesai" >='):
        response = c.post(url, form)
    assert response.status_code == 503
    assert "belum tersimpan" in response.content.decode()
    assert not BimtekEvent.objects.filter(judul="Bimtek Dasar Angkatan Baru").exists()
    # Sent again: one draft, with the warning.
    body = c.post(url, form, follow=True).content.decode()
    assert "Kegiatan tersimpan sebagai draf." in body
    assert "bertumpang tindih dengan Bimtek Dasar Angkatan Lama" in body
    assert BimtekEvent.objects.filter(judul="Bimtek Dasar Angkatan Baru").count() == 1
