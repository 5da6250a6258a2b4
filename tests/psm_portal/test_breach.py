"""The personal-data breach register (UU 27/2022 Pasal 46): the 3 x 24-hour deadline for the
written notices, and what a record must hold before it is closed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from psm_portal.models import AuditEvent, InsidenData

KNOWN = timezone.now() - dt.timedelta(days=5)


def _incident(**fields) -> InsidenData:
    data = {
        "diketahui_pada": KNOWN,
        "uraian": "Ekspor kasus terkirim ke alamat pos-el yang salah",
        "data_terdampak": "Nama, NIK dan alamat 40 subjek PPKS",
        **fields,
    }
    return InsidenData(**data)


def test_the_deadline_is_three_times_24_hours_from_when_it_was_known():
    incident = _incident()
    assert incident.batas_pemberitahuan == KNOWN + dt.timedelta(hours=72)
    within = KNOWN + dt.timedelta(hours=10)
    assert incident.notices_late(within) == []
    late = incident.notices_late(KNOWN + dt.timedelta(hours=73))
    assert late == [
        "pemberitahuan tertulis ke orang terdampak",
        "pemberitahuan tertulis ke lembaga PDP",
    ]
    incident.subjek_diberitahu_pada = KNOWN + dt.timedelta(hours=20)
    incident.lembaga_diberitahu_pada = KNOWN + dt.timedelta(hours=80)  # given, but late
    assert incident.notices_late(timezone.now()) == ["pemberitahuan tertulis ke lembaga PDP"]


def test_an_incident_is_closed_only_once_both_notices_and_the_remedy_are_recorded():
    incident = _incident(ditutup_pada=KNOWN + dt.timedelta(days=2))
    with pytest.raises(ValidationError) as refused:
        incident.full_clean()
    assert "ditutup_pada" in refused.value.message_dict
    assert "penanganan" in refused.value.message_dict
    incident.subjek_diberitahu_pada = incident.lembaga_diberitahu_pada = KNOWN + dt.timedelta(
        hours=30
    )
    incident.penanganan = "Penerima diminta menghapus; hak akses ekspor ditinjau ulang."
    incident.full_clean()


def test_every_problem_of_a_field_is_said_not_only_the_last():
    incident = _incident(ditutup_pada=KNOWN - dt.timedelta(hours=1), penanganan="Sudah")
    with pytest.raises(ValidationError) as refused:
        incident.full_clean()
    assert refused.value.message_dict["ditutup_pada"] == [
        "Tidak boleh sebelum insiden diketahui.",
        "Catat pemberitahuan tertulis ke orang terdampak dan ke lembaga PDP sebelum menutup "
        "insiden (Pasal 46).",
    ]


def test_times_out_of_order_or_in_the_future_are_refused():
    incident = _incident(
        terjadi_pada=KNOWN + dt.timedelta(hours=1),
        subjek_diberitahu_pada=KNOWN - dt.timedelta(hours=1),
        lembaga_diberitahu_pada=timezone.now() + dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError) as refused:
        incident.full_clean()
    assert set(refused.value.message_dict) == {
        "terjadi_pada",
        "subjek_diberitahu_pada",
        "lembaga_diberitahu_pada",
    }


def test_the_admin_records_who_added_it_shows_late_notices_and_never_deletes(
    admin_client, admin_user
):
    add = reverse("admin:psm_portal_insidendata_add")
    answer = admin_client.post(
        add,
        {
            "diketahui_pada_0": KNOWN.astimezone(timezone.get_current_timezone()).strftime(
                "%Y-%m-%d"
            ),
            "diketahui_pada_1": "08:00:00",
            "uraian": "Laptop staf berisi ekspor kasus hilang",
            "data_terdampak": "Nama dan NIK",
        },
    )
    assert answer.status_code == 302
    incident = InsidenData.objects.get()
    assert incident.dicatat_oleh == admin_user
    listing = admin_client.get(reverse("admin:psm_portal_insidendata_changelist"))
    page = listing.content.decode()
    assert "Laptop staf berisi ekspor kasus hilang" in page and "terlambat" in page
    change_url = reverse("admin:psm_portal_insidendata_change", args=[incident.pk])
    assert "lewat" in admin_client.get(change_url).content.decode()
    # Each save is in the audit trail with what it changed: a notice time moved later shows.
    created = AuditEvent.objects.get(action="insiden.create", target_id=str(incident.pk))
    assert created.actor_id == admin_user.pk and "uraian" in created.after
    known = timezone.localtime(incident.diketahui_pada)
    admin_client.post(
        change_url,
        {
            "diketahui_pada_0": known.strftime("%Y-%m-%d"),
            "diketahui_pada_1": known.strftime("%H:%M:%S"),
            "uraian": "Laptop staf berisi ekspor kasus hilang",
            "data_terdampak": "Nama, NIK dan alamat",
        },
    )
    updated = AuditEvent.objects.get(action="insiden.update", target_id=str(incident.pk))
    assert updated.before == {"data_terdampak": "Nama dan NIK"}
    assert updated.after == {"data_terdampak": "Nama, NIK dan alamat"}
    delete = reverse("admin:psm_portal_insidendata_delete", args=[incident.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert InsidenData.objects.filter(pk=incident.pk).exists()


def test_a_change_of_the_offices_settings_is_in_the_audit_trail(admin_user, office, rf):
    """Turning on the kecamatan step lets verifiers read a case's specific data: it was in
    Django's change log only, as "changed menggunakan verifikator kecamatan"."""
    from django.contrib import admin as django_admin

    from psm_portal.models import Kantor

    request = rf.post("/admin/")
    request.user = admin_user
    setting = Kantor.objects.get(pk=1)
    setting.menggunakan_verifikator_kecamatan = not setting.menggunakan_verifikator_kecamatan
    django_admin.site._registry[Kantor].save_model(request, setting, form=None, change=True)
    event = AuditEvent.objects.get(action="kantor.update")
    turned = setting.menggunakan_verifikator_kecamatan
    assert event.before == {"menggunakan_verifikator_kecamatan": not turned}
    assert event.after == {"menggunakan_verifikator_kecamatan": turned}
    assert event.actor_id == admin_user.pk
    # saved unchanged: nothing to record
    django_admin.site._registry[Kantor].save_model(request, setting, form=None, change=True)
    assert AuditEvent.objects.filter(action="kantor.update").count() == 1


def test_an_audit_entry_is_named_in_the_offices_time(db):
    """Its page in the admin read 16.25 (UTC) where the list read 23.25 WIB."""
    import datetime as dt

    event = AuditEvent(actor_label="staf", action="psm.update", target_label="Sri")
    event.created_at = dt.datetime(2026, 12, 7, 16, 25, tzinfo=dt.UTC)
    assert str(event) == "2026-12-07 23:25 WIB staf psm.update Sri"
    assert str(AuditEvent(actor_label="staf", action="x", target_label="y")) == "staf x y"
