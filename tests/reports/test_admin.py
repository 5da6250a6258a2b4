"""What an administrator may type into an indicator definition."""

import datetime as dt

import pytest

from reports.admin import IndikatorForm


def _data(**overrides):
    return {
        "kode": "PR-09",
        "versi": 1,
        "nama": "Kunjungan rumah",
        "kategori": "proses",
        "tingkat": "psm",
        "cara_hitung": "frekuensi",
        "penjelasan": "Kegiatan per bulan",
        "satuan": "kali",
        "bobot": "5",
        "target": "4",
        "berlaku_mulai": "2026-01-01",
        **overrides,
    }


@pytest.mark.django_db
def test_an_indicators_computation_must_match_its_level_and_its_code_fit_a_url():
    assert IndikatorForm(data=_data()).is_valid()
    # An office-level computation on a PSM-level indicator answered 500 on every ranking page.
    form = IndikatorForm(data=_data(cara_hitung="psm_per_desa"))
    assert form.errors == {
        "cara_hitung": ["Cara hitung ini bukan untuk indikator tingkat Per PSM."]
    }
    form = IndikatorForm(data=_data(tingkat="kantor"))
    assert "cara_hitung" in form.errors
    assert IndikatorForm(data=_data(tingkat="kantor", cara_hitung="psm_per_desa")).is_valid()
    # A dot cannot stand in the drill-down's address.
    form = IndikatorForm(data=_data(kode="PR.09"))
    assert form.errors == {"kode": ["Kode hanya huruf, angka, tanda hubung dan garis bawah."]}


@pytest.mark.django_db
def test_the_outgoing_register_is_listed_for_reading_only(admin_client, regions):
    from django.urls import reverse

    from reports import services

    today = dt.date(2026, 12, 6)
    issued = services.document_number_issue(
        jenis="x", perihal="Rapor kinerja", by=None, today=today
    )
    listing = admin_client.get(reverse("admin:reports_issueddocument_changelist"))
    assert listing.status_code == 200
    assert "400.9/001/Dinsos/2026" in listing.content.decode()
    assert admin_client.get(reverse("admin:reports_issueddocument_add")).status_code == 403
    change = reverse("admin:reports_issueddocument_change", args=[issued.pk])
    assert 'name="perihal"' not in admin_client.get(change).content.decode()  # shown, not a field
    assert admin_client.post(change, {"perihal": "Lain"}).status_code == 403
