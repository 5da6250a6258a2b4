"""Retention of case files (UU 27/2022 Pasal 42-44): ``assessments.retention`` and the daily
``terapkan_retensi`` command."""

import datetime as dt
import io
import os
import uuid

import pytest
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from assessments import services
from assessments.models import (
    AnggotaKeluarga,
    Asesmen,
    AsesmenFoto,
    AsesmenVersi,
    JenisDisabilitas,
    LangkahRujukan,
    Program,
    Rujukan,
    StatusAsesmen,
    Subjek,
    Transisi,
)
from assessments.retention import apply_retention, cutoff
from psm_portal.models import AuditEvent, Kantor, KirimanOffline
from reports.selectors import ppks_recap
from tests.concurrency import at_once
from tests.factories import make_case, refer_to_pkh, resubmit

S = StatusAsesmen
TODAY = dt.date(2026, 11, 24)
# Six years on: past a five-year retention for everything these tests write today.
LATER = timezone.now() + dt.timedelta(days=6 * 365)
# Everything ``_closed_case`` types about the person, their family and informant.
TYPED = [
    "Sarinah",
    "3371014505480001",
    "3371010101080003",
    "Slamet",
    "081234567890",
    "Lumpuh",
    "Sutini",
    "Permakanan",
    "kurang jelas",
    "Tidar Gg. 3",
    "110.217",
    "-7.48",
    "Pendamping PKH",
]


def _jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    return SimpleUploadedFile("foto.jpg", out.getvalue(), content_type="image/jpeg")


def _move(case, ke, by, **kwargs):
    return services.assessment_transition(asesmen=case, ke=ke, by=by, **kwargs)


def _closed_case(people, media, nik="3371014505480001", **overrides):
    """A case referred to PKH with a proof, returned and resubmitted once (two versions), and
    closed: every kind of thing retention has to take away."""
    staf = people["staf"]
    case = make_case(
        people["psm_a"],
        subject={"nik": nik, "alasan_tanpa_nik": "", "no_kk": "3371010101080003"},
        informan_nama="Pak RT Slamet",
        informan_telepon="081234567890",
        kondisi_fisik="Lumpuh sebelah sejak stroke",
        tingkat_disabilitas="berat",
        dokumen=["ktp"],
        latitude="-7.4800",
        longitude="110.2170",
        photos=[_jpeg()],
        **overrides,
    )
    AnggotaKeluarga.objects.create(
        subjek=case.subjek, nama="Sutini", hubungan="anak", jenis_kelamin="P"
    )
    case.disabilitas.set(JenisDisabilitas.objects.all()[:1])
    case.bantuan.set(Program.objects.filter(kode="PKH"))
    Subjek.objects.filter(pk=case.subjek_id).update(status_dtsen="terdaftar", desil=2)
    case = _move(case, S.DIKEMBALIKAN, staf, catatan="Foto rumah Mbah Sarinah kurang jelas")
    case = resubmit(case, people["psm_a"], kebutuhan="Permakanan, kursi roda")
    case = _move(case, S.DIVERIFIKASI, staf)
    referral = refer_to_pkh(case, staf, today=TODAY)
    (media / "rujukan").mkdir(exist_ok=True)
    (media / "rujukan" / "bukti.pdf").write_bytes(b"%PDF-1.4 bukti")
    Rujukan.objects.filter(pk=referral.pk).update(
        hasil="Diterima PKH atas nama Sarinah", bukti="rujukan/bukti.pdf"
    )
    # an earlier answer, kept with its step
    LangkahRujukan.objects.filter(rujukan=referral).update(hasil="Data Mbah Sarinah dikirim")
    case.refresh_from_db()
    return _move(case, S.DITUTUP, staf, alasan_tutup="ditangani")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_cutoff_moves_back_calendar_years():
    tz = dt.UTC
    assert cutoff(dt.datetime(2031, 3, 1, 8, tzinfo=tz), 5) == dt.datetime(2026, 3, 1, 8, tzinfo=tz)
    assert cutoff(dt.datetime(2028, 2, 29, tzinfo=tz), 5) == dt.datetime(2023, 2, 28, tzinfo=tz)


def test_a_closed_case_past_retention_keeps_its_figures_and_loses_its_personal_data(
    people, media, django_capture_on_commit_callbacks
):
    case = _closed_case(people, media)
    subject = case.subjek
    photo = AsesmenFoto.objects.get(asesmen=case).berkas
    assert (media / photo.name).exists()
    assert AsesmenVersi.objects.filter(asesmen=case).count() == 2
    recap_before = ppks_recap(people["staf"], tahun=2026)

    with django_capture_on_commit_callbacks(execute=True):
        result = apply_retention(years=5, now=LATER)

    assert (result.cases, result.drafts, result.subjects) == (1, 0, 1)
    case.refresh_from_db()
    # What the figures need stays.
    assert case.status == S.DITUTUP and case.alasan_tutup == "ditangani"
    assert case.tanggal == dt.date(2026, 11, 20) and case.desa_id == "33.71.01.1003"
    assert list(case.kategori.values_list("kode", flat=True)) == ["PPKS-08"]
    assert ppks_recap(people["staf"], tahun=2026) == recap_before
    assert [t.ke for t in Transisi.objects.filter(asesmen=case).order_by("pk")] == [
        S.DIAJUKAN,
        S.DIKEMBALIKAN,
        S.DIAJUKAN,
        S.DIVERIFIKASI,
        S.DIRUJUK,
        S.DITUTUP,
    ]
    # What is about the person goes: texts, place, photos (files too), earlier versions.
    assert case.dianonimkan_pada is not None
    for field in (
        "informan_nama",
        "informan_telepon",
        "persetujuan_nama",
        "kondisi_fisik",
        "masalah",
        "kebutuhan",
    ):
        assert getattr(case, field) == "", field
    assert case.latitude is None and case.longitude is None
    assert not AsesmenFoto.objects.filter(asesmen=case).exists()
    assert not (media / photo.name).exists()
    assert not AsesmenVersi.objects.filter(asesmen=case).exists()
    assert not Transisi.objects.filter(asesmen=case).exclude(catatan="", komentar={}).exists()
    referral = Rujukan.objects.get(asesmen=case)
    assert referral.hasil == "" and not referral.bukti
    steps = LangkahRujukan.objects.filter(rujukan=referral)
    assert steps.exists() and not steps.exclude(hasil="").exists()  # the step stays, not its text
    assert not (media / "rujukan" / "bukti.pdf").exists()
    # The subject: no identity left, the birth year kept for age bands, family members gone.
    subject.refresh_from_db()
    assert subject.nama == "Anonim" and subject.nik == "" and subject.no_kk == ""
    assert subject.alamat == "" and subject.rt == "" and subject.telepon == ""
    assert subject.tanggal_lahir == dt.date(1948, 1, 1) and subject.umur_perkiraan
    assert subject.alasan_tanpa_nik == "dihapus" and subject.dianonimkan_pada is not None
    assert subject.status_dtsen == "" and subject.desil is None
    assert not case.disabilitas.exists() and not case.bantuan.exists()
    assert case.tingkat_disabilitas == "" and case.dokumen == []
    assert not AnggotaKeluarga.objects.filter(subjek=subject).exists()
    # The audit trail keeps who did what and when, not what they wrote.
    trail = AuditEvent.objects.filter(
        target_type__in=["assessments.asesmen", "assessments.subjek", "assessments.rujukan"]
    )
    old = trail.exclude(action__in=["asesmen.retensi", "subjek.retensi"])
    assert old.count() >= 8
    assert not old.exclude(before__isnull=True, after__isnull=True, reason="").exists()
    # Nothing typed about the person is left in any table, nor any file on disk.
    left = []
    for model in apps.get_models():
        data = serializers.serialize("json", model.objects.all())
        left += [(model._meta.label, typed) for typed in TYPED if typed in data]
    assert left == []
    assert [f for _d, _s, files in os.walk(media) for f in files] == []
    assert set(trail.filter(action__endswith=".retensi").values_list("action", "target_id")) == {
        ("asesmen.retensi", str(case.pk)),
        ("subjek.retensi", str(subject.pk)),
    }


def test_what_is_within_the_period_or_still_open_is_left_alone(people, media):
    recent = _closed_case(people, media)
    open_case = make_case(people["psm_a"], subjek=recent.subjek)
    # Four years on: nothing has been closed for five.
    result = apply_retention(years=5, now=timezone.now() + dt.timedelta(days=4 * 365))
    assert result.total == 0
    # Six years on the closed case goes, but its subject has an open case and keeps its name.
    result = apply_retention(years=5, now=LATER)
    assert (result.cases, result.subjects) == (1, 0)
    open_case.refresh_from_db()
    assert open_case.masalah and open_case.dianonimkan_pada is None
    assert Subjek.objects.get(pk=recent.subjek_id).nama == "Mbah Sarinah"


def test_a_draft_untouched_for_the_period_is_deleted(
    people, media, django_capture_on_commit_callbacks
):
    draft = make_case(people["psm_a"], submit=False, photos=[_jpeg()])
    photo = AsesmenFoto.objects.get(asesmen=draft).berkas.name
    assert (media / photo).exists()
    with django_capture_on_commit_callbacks(execute=True):
        result = apply_retention(years=5, now=LATER)
    assert not (media / photo).exists()
    assert (result.cases, result.drafts, result.subjects) == (0, 1, 1)
    assert not Asesmen.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(
        action="asesmen.retensi_hapus_draf", target_id=str(draft.pk)
    ).exists()


def test_a_dry_run_counts_what_would_go_and_changes_nothing(people, media):
    case = _closed_case(people, media)
    make_case(people["psm_b"], submit=False)
    result = apply_retention(years=5, now=LATER, dry_run=True)
    assert (result.cases, result.drafts, result.subjects) == (1, 1, 2)
    case.refresh_from_db()
    assert case.dianonimkan_pada is None and case.subjek.nama == "Mbah Sarinah"
    assert apply_retention(years=5, now=LATER) == result


def test_a_rerun_finds_nothing_more(people, media):
    _closed_case(people, media)
    apply_retention(years=5, now=LATER)
    assert apply_retention(years=5, now=LATER).total == 0


def test_the_command_refuses_without_a_retention_period_and_reports_what_it_did(people, media):
    _closed_case(people, media)
    with pytest.raises(CommandError, match="belum diatur"):
        call_command("terapkan_retensi")
    Kantor.objects.filter(pk=1).update(retensi_kasus_tahun=5)
    out = io.StringIO()
    call_command("terapkan_retensi", "--dry-run", stdout=out)
    # Closed today: not due for five years.
    assert "0 kasus ditutup akan dianonimkan" in out.getvalue()
    assert Subjek.objects.filter(nama="Mbah Sarinah").exists()


def test_an_anonymised_subject_takes_no_new_case_and_no_merge(people, media):
    case = _closed_case(people, media)
    apply_retention(years=5, now=LATER)
    subject = Subjek.objects.get(pk=case.subjek_id)
    with pytest.raises(ValidationError, match="masa retensi"):
        make_case(people["psm_a"], subjek=subject)
    other = make_case(people["psm_a"], subject={"nama": "Mbah Karto"}).subjek
    with pytest.raises(ValidationError, match="masa retensi"):
        services.subject_merge(keep=other, duplicate=subject, by=people["staf"])
    with pytest.raises(ValidationError, match="masa retensi"):
        services.subject_merge(keep=subject, duplicate=other, by=people["staf"])


def test_the_case_and_subject_pages_say_the_personal_data_was_erased(client, people, media):
    case = _closed_case(people, media)
    apply_retention(years=5, now=LATER)
    client.force_login(people["staf"])
    reads = AuditEvent.objects.filter(action="asesmen.view_sensitive")
    before = reads.count()
    page = client.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    assert "dihapus karena masa retensinya berakhir" in page
    # Health notes and disability went with the person: no specific data left to read or audit.
    assert reads.count() == before and "Berisi data pribadi spesifik" not in page
    page = client.get(reverse("assessments:subject-detail", args=[case.subjek_id]))
    text = page.content.decode()
    assert "dihapus karena masa retensinya berakhir" in text
    assert "Asesmen baru untuk subjek ini" not in text
    response = client.get(reverse("assessments:case-create") + f"?subjek={case.subjek_id}")
    assert response.status_code == 302


def test_an_english_page_says_the_data_was_erased_in_english(client, people, media):
    """The refusals kept as module constants are read in the request's language (they were
    translated once, at import, so an English page said them in Indonesian)."""
    from django.conf import settings

    case = _closed_case(people, media)
    apply_retention(years=5, now=LATER)
    client.force_login(people["staf"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    url = reverse("assessments:subject-data-copy", args=[case.subjek_id])
    page = client.get(url, follow=True).content.decode()
    assert "retention period ended; there is no personal data to copy" in page
    url = reverse("assessments:subject-correct", args=[case.subjek_id])
    page = client.get(url, follow=True).content.decode()
    assert "retention period ended" in page and "masa retensinya" not in page


@pytest.mark.django_db(transaction=True)
def test_a_new_case_and_retention_at_once_never_leave_a_case_on_an_erased_subject(people, media):
    """Retention and a PSM's new case for the same subject, released together: either the case
    is saved and the subject keeps its identity, or the case is refused and the subject is
    erased; never a case with personal data attached to "Anonim"."""
    for n in range(3):
        subject = _closed_case(people, media, nik=f"337101450548000{n + 2}").subjek

        def act(kind, subject=subject):
            if kind == "retensi":
                return apply_retention(years=5, now=LATER)
            return make_case(people["psm_a"], subjek=subject).pk

        results, errors = at_once(act, ["retensi", "kasus"])
        subject.refresh_from_db()
        identified = Asesmen.objects.filter(subjek=subject, dianonimkan_pada__isnull=True)
        if subject.dianonimkan_pada:
            assert [str(e.messages[0]) for e in errors] == [str(services.ANONYMISED)]
            assert not identified.exists()
        else:
            assert errors == [] and identified.count() == 1
            assert subject.nama == "Mbah Sarinah"


def test_the_subject_form_does_not_offer_retention_as_a_reason(people):
    from assessments.forms import SubjekForm

    assert "dihapus" not in dict(SubjekForm().fields["alasan_tanpa_nik"].choices)
    form = SubjekForm(data={"jenis": "orang", "nama": "X", "alasan_tanpa_nik": "dihapus"})
    assert "alasan_tanpa_nik" in form.errors


def test_the_command_erases_what_is_due_by_the_offices_period(people, media):
    case = _closed_case(people, media)
    long_ago = timezone.now() - dt.timedelta(days=8 * 365)
    Asesmen.objects.filter(pk=case.pk).update(status_sejak=long_ago)
    Subjek.objects.filter(pk=case.subjek_id).update(updated_at=long_ago)
    Kantor.objects.filter(pk=1).update(retensi_kasus_tahun=10)
    out = io.StringIO()
    call_command("terapkan_retensi", stdout=out)
    assert "0 kasus ditutup sudah dianonimkan" in out.getvalue()  # closed 8 years ago
    Kantor.objects.filter(pk=1).update(retensi_kasus_tahun=7)
    call_command("terapkan_retensi", stdout=out)
    assert "1 kasus ditutup sudah dianonimkan" in out.getvalue()
    assert "1 subjek sudah dianonimkan" in out.getvalue()
    assert Subjek.objects.get(pk=case.subjek_id).nama == "Anonim"


def test_small_batches_do_what_the_dry_run_counted(people, media):
    for n in range(3):
        _closed_case(people, media, nik=f"337101450548000{n + 2}")
    make_case(people["psm_b"], submit=False, subject={"nama": "Mbah Karto"})
    counted = apply_retention(years=5, now=LATER, dry_run=True)
    assert (counted.cases, counted.drafts, counted.subjects) == (3, 1, 4)
    assert apply_retention(years=5, now=LATER, batch=1) == counted


def test_an_erased_case_takes_no_referral_answer_and_leaves_the_stalled_list(client, people, media):
    """A referral still open when its case closed: after retention its answer would write new
    personal data that nothing erases again."""
    case = _closed_case(people, media)
    referral = Rujukan.objects.get(asesmen=case)
    Rujukan.objects.filter(pk=referral.pk).update(status="diusulkan", status_sejak=TODAY)
    apply_retention(years=5, now=LATER)
    with pytest.raises(ValidationError, match="masa retensi"):
        services.referral_update(
            rujukan=referral,
            status="diterima",
            hasil="Diterima a.n. Mbah Sarinah",
            by=people["staf"],
            today=TODAY,
        )
    assert Rujukan.objects.get(pk=referral.pk).hasil == ""
    from assessments.selectors import stalled_referrals

    stalled, _days = stalled_referrals(people["staf"], today=TODAY + dt.timedelta(days=60))
    assert list(stalled) == []
    client.force_login(people["staf"])
    page = client.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    assert reverse("assessments:referral-update", args=[referral.pk]) not in page


def test_a_phones_queued_case_for_an_erased_subject_comes_back_to_be_fixed(client, people, media):
    """The outbox posts to ``?subjek=``: answered "sent" by a redirect, the PSM's assessment
    was dropped from the phone and saved nowhere."""
    from tests.assessments.test_views import _form

    case = _closed_case(people, media)
    apply_retention(years=5, now=LATER)
    client.force_login(people["psm_a"])
    url = reverse("assessments:case-create") + f"?subjek={case.subjek_id}"
    answer = client.post(url, _form(), headers={"X-Offline-Kiriman": str(uuid.uuid4())})
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == "perlu_diperbaiki" and "masa retensi" in str(body)
    assert not KirimanOffline.objects.exists()
    assert Asesmen.objects.filter(subjek_id=case.subjek_id).count() == 1


def test_an_erased_case_of_a_specific_category_stays_hidden_from_roles_without_the_right(
    client, people, media
):
    """An ODHA case whose person retention erased still says ODHA beside its desa, dates and
    referral letter number, which lead back to the paper file: it stays specific data."""
    case = make_case(people["psm_a"], kategori=("PPKS-16",), subject={"nama": "Pak Karyo"})
    _move(case, S.DITUTUP, people["staf"], alasan_tutup="duplikat")
    apply_retention(years=5, now=LATER)
    assert Subjek.objects.get(pk=case.subjek_id).nama == "Anonim"
    url = reverse("assessments:case-detail", args=[case.pk])
    client.force_login(people["supervisor"])
    assert "ODHA" not in client.get(url).content.decode()
