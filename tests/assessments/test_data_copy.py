"""The copy of a subject's personal data and its processing trail (UU 27/2022 Pasal 7 and 32),
read back from the PDF as text."""

import datetime as dt
import subprocess

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import services
from assessments.models import AnggotaKeluarga, Program, StatusAsesmen
from psm_portal.models import AuditEvent, Kantor
from reports.models import IssuedDocument
from tests.factories import make_case

S = StatusAsesmen
TODAY = dt.date(2026, 11, 24)
NIK = "3371014505480001"


def _pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def _case(people, **overrides):
    case = make_case(
        people["psm_a"],
        subject={"nik": NIK, "alasan_tanpa_nik": "", "no_kk": "3371010101080003"},
        informan_nama="Pak RT Slamet",
        kondisi_fisik="Lumpuh sebelah sejak stroke",
        **overrides,
    )
    AnggotaKeluarga.objects.create(
        subjek=case.subjek, nama="Sutini", hubungan="anak", jenis_kelamin="P"
    )
    return case


def test_the_copy_holds_the_persons_data_their_cases_and_the_processing_trail(client, people):
    case = _case(people, dokumen=["ktp", "kk"])
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    services.referral_create(
        asesmen=case,
        data={
            "program": Program.objects.get(kode="PKH"),
            "tujuan_instansi": "Pendamping PKH Kecamatan",
            "tanggal": TODAY,
            "nomor_surat": "460/123/2026",
        },
        by=people["staf"],
        today=TODAY,
    )
    client.force_login(people["staf"])
    client.get(reverse("assessments:case-detail", args=[case.pk]))  # a read of health data
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert NIK not in response["Content-Disposition"]
    text = " ".join(_pdf_text(response.content).split())
    # The person and their family, in full: the copy is theirs.
    assert "SALINAN DATA PRIBADI" in text and "Mbah Sarinah" in text and NIK in text
    assert "3371010101080003" in text and "Sutini" in text and "2 Mei 1948" in text
    # Their case, its referral and its steps.
    assert "Lumpuh sebelah sejak stroke" in text and "Pak RT Slamet" in text
    assert "Tinggal sendiri, tidak ada penghasilan." in text and "KTP, Kartu Keluarga" in text
    assert "Program Keluarga Harapan" in text and "460/123/2026" in text
    assert "diverifikasi dinas" in text
    # The trail: what was done, by which role, officers unnamed.
    for line in (
        "Data subjek dicatat",
        "Asesmen dicatat",
        "Status asesmen menjadi diajukan",
        "Status asesmen menjadi diverifikasi dinas",
        "Dirujuk ke program bantuan",
        "Data spesifik dibaca petugas",
    ):
        assert line in text, line
    assert "Staf dinas" in text and "PSM" in text and "staf-kota" not in text
    # Signed and registered; the register names the subject by number only.
    assert "KEPALA DINAS SOSIAL KOTA MAGELANG" in text and "Wulan Prasetyaningsih" in text
    issued = IssuedDocument.objects.get(jenis="salinan-data")
    assert issued.nomor in text and "Sarinah" not in issued.perihal
    event = AuditEvent.objects.get(action="subjek.salinan_data")
    assert (event.actor_id, event.target_id) == (people["staf"].pk, str(case.subjek_id))
    # The next copy shows this one in its trail.
    again = " ".join(_pdf_text(client.get(url).content).split())
    assert "Salinan data pribadi dibuat" in again


def test_the_copy_states_the_retention_period_and_whom_to_ask(client, people):
    case = _case(people)
    Kantor.objects.filter(pk=1).update(
        retensi_kasus_tahun=7,
        pelindungan_data_nama="Sekretaris Dinas Sosial",
        pelindungan_data_kontak="ppdp@example.go.id",
    )
    client.force_login(people["staf"])
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    text = " ".join(_pdf_text(client.get(url).content).split())
    assert "disimpan 7 tahun setelah kasus ditutup" in text
    assert "Sekretaris Dinas Sosial (ppdp@example.go.id)" in text


def test_a_psms_unsent_draft_is_counted_not_copied(client, people):
    case = _case(people)
    make_case(people["psm_b"], subjek=case.subjek, submit=False, masalah="Catatan draf PSM B")
    client.force_login(people["staf"])
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    text = " ".join(_pdf_text(client.get(url).content).split())
    assert "Catatan draf PSM B" not in text
    assert "Ada 1 draf asesmen yang belum dikirim oleh PSM" in text


def test_only_who_may_export_and_read_specific_data_in_the_region_gets_a_copy(client, people):
    case = _case(people)
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    for who, status in (
        ("supervisor", 403),
        ("verifikator", 403),
        ("psm_a", 403),
        ("luar", 404),
    ):
        client.force_login(people[who])
        assert client.get(url).status_code == status, who
    assert not AuditEvent.objects.filter(action="subjek.salinan_data").exists()
    assert not IssuedDocument.objects.filter(jenis="salinan-data").exists()
    client.force_login(people["staf"])
    page = client.get(reverse("assessments:subject-detail", args=[case.subjek_id]))
    assert url in page.content.decode()
    client.force_login(people["supervisor"])
    page = client.get(reverse("assessments:subject-detail", args=[case.subjek_id]))
    assert url not in page.content.decode()


def test_the_copy_takes_a_fixed_number_of_queries(client, people):
    case = _case(people)
    client.force_login(people["staf"])
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    client.get(url)  # warms the per-process caches (province list, menu)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(3):
        make_case(people["psm_a"], subjek=case.subjek)
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    # Session, user, scope, subject, office; the cases and six prefetches, hidden drafts, merged
    # subjects, trail and roles, family; the register number (8 with its savepoint) and the
    # copy's audit entry.
    assert len(one) == len(four) == 27
