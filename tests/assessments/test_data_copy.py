"""The copy of a subject's personal data and its processing trail (UU 27/2022 Pasal 7 and 32),
read back from the PDF as text."""

import datetime as dt
import subprocess

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import services
from assessments.models import AnggotaKeluarga, StatusAsesmen
from psm_portal.models import AuditEvent, Kantor
from registry.models import Wilayah
from reports.models import IssuedDocument
from tests.factories import make_case, refer_to_pkh, resubmit

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
        informan_hubungan="Ketua RT",
        informan_telepon="081234567890",
        kondisi_fisik="Lumpuh sebelah sejak stroke",
        **overrides,
    )
    AnggotaKeluarga.objects.create(
        subjek=case.subjek,
        nama="Sutini",
        nik="3371014107100002",
        hubungan="anak",
        jenis_kelamin="P",
    )
    return case


def test_the_copy_holds_the_persons_data_their_cases_and_the_processing_trail(client, people):
    case = _case(people, dokumen=["ktp", "kk"])
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    referral = refer_to_pkh(case, people["staf"], today=TODAY, nomor_surat="460/123/2026")
    for status, hasil in (("diproses", "Berkas dikirim ke pendamping"), ("diterima", "Masuk KPM")):
        services.referral_update(
            rujukan=referral, status=status, hasil=hasil, by=people["staf"], today=TODAY
        )
    client.force_login(people["staf"])
    client.get(reverse("assessments:case-detail", args=[case.pk]))  # a read of health data
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(_pdf_text(response.content).split())
    # The person and their family, in full: the copy is theirs.
    assert "SALINAN DATA PRIBADI" in text and "Mbah Sarinah" in text and NIK in text
    assert "3371010101080003" in text and "Sutini" in text and "2 Mei 1948" in text
    # Their case, its referral and its steps.
    assert "Lumpuh sebelah sejak stroke" in text
    assert "Tinggal sendiri, tidak ada penghasilan." in text and "KTP, Kartu Keluarga" in text
    assert "Program Keluarga Harapan" in text and "460/123/2026" in text
    # every answer the programme gave, each with its step (the earlier one was overwritten)
    # (the narrow column's lines are read interleaved with its neighbours')
    assert "Diproses: Berkas" in text and "dikirim ke" in text and "Diterima: Masuk KPM" in text
    assert "diverifikasi dinas" in text
    # The trail: what was done, by which role, officers unnamed.
    for line in (
        "Data subjek dicatat",
        "Asesmen dicatat",
        "Status asesmen menjadi diajukan",
        "Status asesmen menjadi diverifikasi dinas",
        "Dirujuk ke program bantuan",
        "Data spesifik dibaca",
    ):
        assert line in text, line
    assert "Staf dinas" in text and "Ketua RT" in text
    # Other people stay out (Pasal 33): informant, the PSM by name, a family member's NIK.
    assert "Pak RT Slamet" not in text and "081234567890" not in text
    assert "Sri Lestari" not in text and "3371014107100002" not in text and "Sutini" in text
    # Signed and registered; the register names the subject by number only.
    assert "KEPALA DINAS SOSIAL KOTA MAGELANG" in text and "Wulan Prasetyaningsih" in text
    issued = IssuedDocument.objects.get(jenis="salinan-data")
    assert issued.nomor in text and "Sarinah" not in issued.perihal
    event = AuditEvent.objects.get(action="subjek.salinan_data")
    assert (event.actor_id, event.target_id) == (people["staf"].pk, str(case.subjek_id))
    assert event.after == {"nomor": issued.nomor}
    # The next copy shows this one in its trail.
    again = " ".join(_pdf_text(client.get(url).content).split())
    assert "Salinan data pribadi dibuat" in again


def test_the_trail_names_the_role_each_step_was_taken_in(client, people):
    """An account's role changes: a read by the staff member who is supervisor now stays a
    read by staff. An entry written before the role was kept names the account's role today."""
    case = _case(people)
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf2"])
    client.force_login(people["staf2"])
    client.get(reverse("assessments:case-detail", args=[case.pk]))  # a read of health data
    people["staf2"].role = "supervisor"
    people["staf2"].save()
    # An entry of an earlier version of the portal (no role kept): the verifier's, today.
    AuditEvent.objects.create(
        actor_id=people["verifikator"].pk,
        actor_label="verif",
        action="asesmen.view_sensitive",
        target_type="assessments.asesmen",
        target_id=str(case.pk),
    )
    client.force_login(people["staf"])
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    text = " ".join(_pdf_text(client.get(url).content).split())
    assert "Status asesmen menjadi diverifikasi dinas Staf dinas" in text
    assert "Data spesifik dibaca Staf dinas" in text
    assert "Supervisor" not in text
    assert "Data spesifik dibaca Verifikator kecamatan" in text


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
        more = make_case(people["psm_a"], subjek=case.subjek)
        more = services.assessment_transition(asesmen=more, ke=S.DIVERIFIKASI, by=people["staf"])
        refer_to_pkh(more, people["staf"], today=TODAY)
    with CaptureQueriesContext(connection) as four:
        client.get(url)
    # Session, user, scope, subject, office; the cases and six prefetches, the cases not shown,
    # merged subjects (one more for their families when there are some), trail (one more for
    # the accounts' roles today when it holds entries written before the role was kept with
    # them), family; the register number (8 with its savepoint) and the copy's audit entry.
    # One more, whatever their number, for the referrals' steps once there are referrals.
    assert (len(one), len(four)) == (26, 27)
    services.referral_update(
        rujukan=more.rujukan_set.get(), status="diproses", hasil="Dicek", by=people["staf"],
        today=TODAY,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(five) == 27


def _copy_text(client, user, subject_pk) -> str:
    client.force_login(user)
    url = reverse("assessments:subject-data-copy", args=[subject_pk])
    return " ".join(_pdf_text(client.get(url).content).split())


def test_the_copy_holds_comments_visit_notes_and_counts_repeated_reads(client, people):
    case = make_case(
        people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon", kondisi_fisik="Sesak napas"
    )
    case = services.assessment_transition(
        asesmen=case,
        ke=S.DIKEMBALIKAN,
        by=people["staf"],
        catatan="Lengkapi",
        komentar={"kondisi_rumah": "Atap bocor belum dicatat"},
    )
    services.visit_record(
        asesmen=resubmit(case, people["psm_a"], kondisi_rumah="Atap bocor"),
        tanggal=TODAY,
        catatan="Dikunjungi bersama bidan desa",
        by=people["psm_a"],
        today=TODAY,
    )
    client.force_login(people["staf"])
    for _ in range(3):
        client.get(reverse("assessments:case-detail", args=[case.pk]))
    text = _copy_text(client, people["staf"], case.subjek_id)
    assert "Kondisi tempat tinggal: Atap bocor belum dicatat" in text
    assert "catatan: Dikunjungi bersama bidan desa" in text
    assert "Data spesifik dibaca (3 kali hari itu)" in text


def test_the_copy_counts_a_days_list_reads_as_entries_not_views(client, people):
    """A list's read is kept once a day per case and officer: "3 kali" would say three views
    where two officers reloaded the queue five times."""
    child = make_case(people["psm_a"], kategori=("PPKS-02",), subject={"nama": "Anak Uji"})
    for officer in ("staf", "staf2"):
        client.force_login(people[officer])
        for _ in range(3):
            client.get(reverse("assessments:queue"))
    text = _copy_text(client, people["staf"], child.subjek_id)
    assert "dicatat sekali sehari untuk setiap kasus dan petugas" in text
    # (the table's columns are read back interleaved: "(2 catatan Staf dinas WIB hari itu)")
    assert "Kategori data spesifik tampil di daftar petugas (2 catatan" in text
    assert "kali hari itu" not in text


def test_duplicates_merged_into_it_are_in_the_copy_within_the_users_region(client, people):
    from assessments.models import Subjek

    case = _case(people)
    here = make_case(people["psm_a"], subject={"nama": "Sarinah (ganda)", "telepon": "0812999"})
    services.subject_merge(keep=case.subjek, duplicate=here.subjek, by=people["staf"])
    elsewhere = Subjek.objects.create(
        jenis="orang",
        nama="Sarinah Wonogiri",
        alasan_tanpa_nik="tidak_punya",
        alamat="Jl. Lain",
        desa=Wilayah.objects.filter(kode__startswith="33.12.", tingkat=4).first(),
        dibuat_oleh=people["staf"],
        digabung_ke=case.subjek,
    )
    text = _copy_text(client, people["staf"], case.subjek_id)
    assert "Sarinah (ganda)" in text and "telepon 0812999" in text
    assert "Sarinah Wonogiri" not in text and f"#{elsewhere.pk} " not in text
    # The duplicate's own address leads to the copy of the subject it went into.
    url = reverse("assessments:subject-data-copy", args=[here.subjek_id])
    answer = client.get(url)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("assessments:subject-data-copy", args=[case.subjek_id])


def test_cases_outside_the_users_region_are_counted_not_shown(client, people):
    from psm_portal.models import Role
    from tests.factories import MAGELANG_SELATAN, make_user

    case = _case(people)
    kecamatan_staff = make_user(Role.STAF, scope=["33.71.02"], username="staf-utara")
    # The subject moved: their new case is in Magelang Utara, the first stays in Selatan.
    assert case.desa_id.startswith(MAGELANG_SELATAN)
    from assessments.models import Asesmen, Subjek

    utara = Wilayah.objects.filter(kode__startswith="33.71.02.", tingkat=4).first()
    Subjek.objects.filter(pk=case.subjek_id).update(desa=utara)
    moved = make_case(people["staf"], subjek=case.subjek, masalah="Pindah ke Utara")
    Asesmen.objects.filter(pk=moved.pk).update(desa=utara)
    text = _copy_text(client, kecamatan_staff, case.subjek_id)
    assert "Pindah ke Utara" in text and "Tinggal sendiri" not in text
    assert "Ada 1 asesmen di luar wilayah kerja" in text


def test_a_family_and_an_erased_subject(client, people):
    family = make_case(
        people["psm_a"],
        kategori=("PPKS-08",),
        subject={"jenis": "keluarga", "nama": "Keluarga Pak Darmo", "alasan_tanpa_nik": ""},
    )
    text = _copy_text(client, people["staf"], family.subjek_id)
    assert "Keluarga Pak Darmo" in text and "Tempat, tanggal lahir" not in text
    from assessments.retention import apply_retention

    erased = _case(people)
    services.assessment_transition(
        asesmen=erased, ke=S.DITUTUP, by=people["staf"], alasan_tutup="duplikat"
    )
    apply_retention(years=5, now=timezone.now() + dt.timedelta(days=6 * 365))
    client.force_login(people["staf"])
    url = reverse("assessments:subject-data-copy", args=[erased.subjek_id])
    answer = client.get(url, follow=True)
    assert "tidak ada data pribadi yang dapat disalin" in answer.content.decode()
    assert not IssuedDocument.objects.filter(perihal__endswith=f"#{erased.subjek_id}").exists()


def test_long_unbroken_text_is_wrapped_not_cut(client, people):
    long = "https://contoh.go.id/" + "a" * 300 + "/AKHIRMASALAH"
    case = _case(people, rekomendasi=long)
    text = _copy_text(client, people["staf"], case.subjek_id)
    assert long in "".join(text.split())
