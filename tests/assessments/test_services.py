"""PPKS services on the real database: the review chain (every legal and illegal step), duplicates,
soft category rules, idempotent and concurrent submission, concurrent review, the change diff."""

import datetime as dt
import io
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from PIL import Image

from assessments import services
from assessments.models import (
    Asesmen,
    AsesmenFoto,
    KategoriPpks,
    Rujukan,
    StatusAsesmen,
    Subjek,
    Transisi,
)
from psm_portal.models import AuditEvent, Kantor
from registry.models import Wilayah
from tests.factories import make_case, refer_to_pkh, subject_data

S = StatusAsesmen
TODAY = dt.date(2026, 11, 24)


def _jpeg(name="foto.jpg", size=(2400, 1800)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _move(case, ke, by, **kwargs):
    return services.assessment_transition(asesmen=case, ke=ke, by=by, **kwargs)


def _kecamatan_level(on: bool):
    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=on)


# --- state machine ---------------------------------------------------------------------------

# (from, to) -> who takes the step, for an office without the kecamatan level.
LEGAL_OFFICE = {
    (S.DRAF, S.DIAJUKAN): "psm_a",
    (S.DIAJUKAN, S.DIVERIFIKASI): "staf",
    (S.DIAJUKAN, S.DIKEMBALIKAN): "staf",
    (S.DIAJUKAN, S.DITUTUP): "staf",  # as a duplicate
    (S.DIKEMBALIKAN, S.DIAJUKAN): "psm_a",
    # after a kecamatan verification (the office later stopped using that level)
    (S.DIVERIFIKASI_KECAMATAN, S.DIVERIFIKASI): "staf",
    (S.DIVERIFIKASI_KECAMATAN, S.DIKEMBALIKAN): "staf",
    (S.DIVERIFIKASI, S.DITUTUP): "staf",
    (S.DIRUJUK, S.DITUTUP): "staf",
}


def _case_in(status, people):
    """A case of PSM A brought to ``status`` through legal steps."""
    staf, psm = people["staf"], people["psm_a"]
    case = make_case(psm, submit=status != S.DRAF)
    if status in (S.DRAF, S.DIAJUKAN):
        return case
    if status == S.DIKEMBALIKAN:
        return _move(case, S.DIKEMBALIKAN, staf, catatan="Lengkapi kondisi rumah")
    if status == S.DIVERIFIKASI_KECAMATAN:
        _kecamatan_level(True)
        case = _move(case, S.DIVERIFIKASI_KECAMATAN, people["verifikator"])
        _kecamatan_level(False)
        return case
    case = _move(case, S.DIVERIFIKASI, staf)
    if status == S.DIVERIFIKASI:
        return case
    refer_to_pkh(case, staf, today=TODAY)
    case.refresh_from_db()
    if status == S.DIRUJUK:
        return case
    return _move(case, S.DITUTUP, staf, alasan_tutup="ditangani")


@pytest.mark.parametrize("dari", S.values)
@pytest.mark.parametrize("ke", S.values)
def test_every_transition_is_legal_or_refused(people, dari, ke):
    case = _case_in(dari, people)
    assert case.status == dari
    actor = LEGAL_OFFICE.get((dari, ke))
    extra = {}
    if ke == S.DIKEMBALIKAN:
        extra["catatan"] = "Periksa lagi"
    if ke == S.DITUTUP:
        extra["alasan_tutup"] = "duplikat" if dari == S.DIAJUKAN else "ditangani"
    if actor:
        moved = _move(case, ke, people[actor], **extra)
        assert moved.status == ke
        step = Transisi.objects.filter(asesmen=case).order_by("-pk").first()
        assert (step.dari, step.ke, step.oleh) == (dari, ke, people[actor])
        assert AuditEvent.objects.filter(action=f"asesmen.{ke}", target_id=str(case.pk)).exists()
    else:
        for who in ("psm_a", "staf", "verifikator"):
            with pytest.raises(ValidationError):
                _move(case, ke, people[who], **extra)
        case.refresh_from_db()
        assert case.status == dari


def test_kecamatan_level_comes_before_the_office(people):
    _kecamatan_level(True)
    case = make_case(people["psm_a"])
    with pytest.raises(ValidationError, match="menunggu verifikator kecamatan"):
        _move(case, S.DIVERIFIKASI, people["staf"])
    with pytest.raises(ValidationError, match="tidak berwenang"):
        _move(case, S.DIVERIFIKASI_KECAMATAN, people["staf"])
    case = _move(case, S.DIVERIFIKASI_KECAMATAN, people["verifikator"])
    with pytest.raises(ValidationError, match="tidak berwenang"):
        _move(case, S.DIVERIFIKASI, people["verifikator"])
    assert _move(case, S.DIVERIFIKASI, people["staf"]).status == S.DIVERIFIKASI


def test_a_psm_cannot_review_and_staff_cannot_submit_for_a_psm(people):
    case = make_case(people["psm_a"], submit=False)
    with pytest.raises(ValidationError, match="tidak berwenang"):
        _move(case, S.DIAJUKAN, people["staf"])
    case = _move(case, S.DIAJUKAN, people["psm_a"])
    for ke in (S.DIVERIFIKASI, S.DIKEMBALIKAN):
        with pytest.raises(ValidationError, match="tidak berwenang"):
            _move(case, ke, people["psm_a"], catatan="x")


def test_no_one_reviews_a_case_they_wrote(people):
    """From a review: staff verified the cases they had entered themselves, and an office
    account that is also a PSM verified (and could refer) its own; the registry already refused
    the same for activities."""
    from psm_portal.models import Role
    from tests.factories import PsmFactory, make_user

    office_case = make_case(people["staf"])
    for ke in (S.DIVERIFIKASI, S.DIKEMBALIKAN):
        with pytest.raises(ValidationError, match="ditinjau oleh petugas lain"):
            _move(office_case, ke, people["staf"], catatan="x")
    assert _move(office_case, S.DIVERIFIKASI, people["staf2"]).status == S.DIVERIFIKASI
    both = make_user(Role.STAF, psm=PsmFactory(nama="Staf Merangkap"), username="rangkap")
    own = make_case(both)
    with pytest.raises(ValidationError, match="ditinjau oleh petugas lain"):
        _move(own, S.DIVERIFIKASI, both)
    assert S.DIVERIFIKASI not in services.next_steps(both, own)
    assert S.DIVERIFIKASI in services.next_steps(people["staf"], own)


def test_returning_needs_a_comment(people):
    case = make_case(people["psm_a"])
    with pytest.raises(ValidationError, match="perlu diperbaiki"):
        _move(case, S.DIKEMBALIKAN, people["staf"], catatan="  ", komentar={"masalah": " "})
    moved = _move(case, S.DIKEMBALIKAN, people["staf"], komentar={"masalah": "Terlalu singkat"})
    assert moved.transisi_set.get(ke=S.DIKEMBALIKAN).komentar == {"masalah": "Terlalu singkat"}


def test_field_comments_carry_the_form_label_in_the_reader_language():
    from django.utils.translation import override

    from assessments.models import Transisi

    transition = Transisi(komentar={"masalah": "Singkat", "foto": "Buram", "hilang": "?"})
    assert transition.komentar_berlabel == [
        ("Masalah utama", "Singkat"),
        ("Foto", "Buram"),
        ("hilang", "?"),
    ]
    with override("en"):
        assert transition.komentar_berlabel[0][0] != "Masalah utama"
    assert Transisi(komentar=None).komentar_berlabel == []


def test_a_remote_assessment_cannot_be_closed_as_handled_without_a_visit(people):
    case = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    case = _move(case, S.DIVERIFIKASI, people["staf"])
    assert case.perlu_kunjungan
    with pytest.raises(ValidationError, match="harus dikunjungi"):
        _move(case, S.DITUTUP, people["staf"], alasan_tutup="ditangani")
    services.visit_record(
        asesmen=case, tanggal=TODAY, catatan="Sudah dikunjungi", by=people["psm_a"], today=TODAY
    )
    assert _move(case, S.DITUTUP, people["staf"], alasan_tutup="ditangani").status == S.DITUTUP


def test_a_visit_cannot_be_in_the_future_or_before_the_assessment(people):
    case = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    with pytest.raises(ValidationError, match="masa depan"):
        services.visit_record(
            asesmen=case,
            tanggal=TODAY + dt.timedelta(days=1),
            catatan="",
            by=people["staf"],
            today=TODAY,
        )
    with pytest.raises(ValidationError, match="sebelum tanggal asesmen"):
        services.visit_record(
            asesmen=case, tanggal=dt.date(2026, 1, 1), catatan="", by=people["staf"], today=TODAY
        )


def test_a_visit_is_recorded_once_on_an_open_remote_assessment(people):
    face_to_face = make_case(people["psm_a"])
    with pytest.raises(ValidationError, match="hanya untuk asesmen jarak jauh"):
        services.visit_record(
            asesmen=face_to_face, tanggal=TODAY, catatan="", by=people["staf"], today=TODAY
        )
    remote = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    services.visit_record(asesmen=remote, tanggal=TODAY, catatan="", by=people["staf"], today=TODAY)
    with pytest.raises(ValidationError, match="sudah tercatat"):
        services.visit_record(
            asesmen=remote,
            tanggal=TODAY - dt.timedelta(days=1),
            catatan="",
            by=people["staf"],
            today=TODAY,
        )
    remote.refresh_from_db()
    assert remote.kunjungan_lanjutan == TODAY  # not moved by the second post
    closed = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    closed = _move(closed, S.DITUTUP, people["staf"], alasan_tutup="duplikat")
    with pytest.raises(ValidationError, match="ditutup"):
        services.visit_record(
            asesmen=closed, tanggal=TODAY, catatan="", by=people["staf"], today=TODAY
        )


def test_an_unverified_case_can_only_be_closed_as_a_duplicate(people):
    case = make_case(people["psm_a"])
    with pytest.raises(ValidationError, match="duplikat"):
        _move(case, S.DITUTUP, people["staf"], alasan_tutup="tidak_layak")
    with pytest.raises(ValidationError, match="alasan penutupan"):
        _move(case, S.DITUTUP, people["staf"], alasan_tutup="")


# --- subjects and duplicates -----------------------------------------------------------------


def test_the_same_nik_is_one_subject_in_the_whole_office(people):
    nik = "3371014505480001"
    make_case(people["psm_a"], subject={"nik": nik, "alasan_tanpa_nik": ""})
    with pytest.raises(ValidationError, match="sudah terdaftar"):
        make_case(people["psm_b"], subject={"nik": nik, "alasan_tanpa_nik": "", "nama": "Lain"})
    assert Subjek.objects.filter(nik=nik).count() == 1
    assert Asesmen.objects.count() == 1  # nothing half-written


def test_a_subject_given_a_nik_entered_at_the_same_moment_elsewhere_is_told(people, monkeypatch):
    nik = "3371014505480001"
    make_case(people["psm_a"], subject={"nik": nik, "alasan_tanpa_nik": ""})
    other = make_case(people["psm_a"], subject={"nama": "Lain"}).subjek
    monkeypatch.setattr(services, "nik_taken", lambda *a, **k: False)  # both passed the check
    with pytest.raises(ValidationError) as refused:
        services.subject_update(
            subject=other, data={"nik": nik, "alasan_tanpa_nik": ""}, by=people["psm_a"]
        )
    assert refused.value.message_dict == {"nik": ["NIK ini sudah terdaftar sebagai subjek PPKS."]}
    assert Subjek.objects.filter(nik=nik).count() == 1


def test_a_subjects_corrected_nik_is_audited_masked(people):
    subject = make_case(
        people["psm_a"], subject={"nik": "3371014505480001", "alasan_tanpa_nik": ""}
    ).subjek
    services.subject_update(subject=subject, data={"nik": "3371014505480101"}, by=people["psm_a"])
    event = AuditEvent.objects.get(action="subjek.update", target_id=str(subject.pk))
    assert event.before == {"nik": "3371**********01"} and event.after == event.before


def test_a_person_without_nik_needs_a_reason(people):
    with pytest.raises(ValidationError, match="alasan"):
        make_case(people["psm_a"], subject={"alasan_tanpa_nik": ""})


def test_likely_duplicates_match_name_and_birth_date_or_desa(people):
    make_case(people["psm_a"], subject={"nama": "Mbah Sarinah"})
    found = services.likely_duplicates(
        nama="MBAH  sarinah", tanggal_lahir=dt.date(1948, 5, 2), desa_id="33.71.02.1001"
    )
    assert [s.nama for s in found] == ["Mbah Sarinah"]
    assert services.likely_duplicates(
        nama="Mbah Sarinah", tanggal_lahir=dt.date(1950, 1, 1), desa_id="33.71.01.1003"
    )
    assert not services.likely_duplicates(
        nama="Mbah Sarinah", tanggal_lahir=dt.date(1950, 1, 1), desa_id="33.71.02.1001"
    )


def test_merge_moves_the_assessments_and_keeps_the_duplicate_marked(people):
    first = make_case(people["psm_a"], subject={"nama": "Mbah Sarinah"})
    second = make_case(people["psm_b"], subject={"nama": "Mbah Sarinah"})
    duplicate_pk = second.subjek_id
    keep = services.subject_merge(keep=first.subjek, duplicate=second.subjek, by=people["staf"])
    second.refresh_from_db()
    assert second.subjek_id == keep.pk
    assert Subjek.objects.get(pk=duplicate_pk).digabung_ke_id == keep.pk
    with pytest.raises(ValidationError):
        services.subject_merge(keep=keep, duplicate=keep, by=people["staf"])
    # From a tab opened before the merge: the other way round is refused, not a cycle.
    stale_duplicate = Subjek.objects.get(pk=keep.pk)
    stale_keep = Subjek.objects.get(pk=duplicate_pk)
    stale_keep.digabung_ke = None  # as that tab read it
    with pytest.raises(ValidationError, match="sudah digabung ke subjek"):
        services.subject_merge(keep=stale_keep, duplicate=stale_duplicate, by=people["staf"])
    assert Subjek.objects.get(pk=keep.pk).digabung_ke_id is None
    # Merged on into a third: the first duplicate now points at the third too.
    third = make_case(people["psm_a"], subject={"nama": "Mbah Sarinah", "rt": "09"})
    services.subject_merge(keep=third.subjek, duplicate=keep, by=people["staf"])
    assert Subjek.objects.get(pk=duplicate_pk).digabung_ke_id == third.subjek_id


def test_two_subjects_with_different_niks_are_not_merged(people):
    first = make_case(people["psm_a"], subject={"nama": "Mbah Sarinah", "nik": "3371015501500001"})
    second = make_case(people["psm_b"], subject={"nama": "Mbah Sarinah", "nik": "3371015501500002"})
    with pytest.raises(ValidationError, match="NIK yang berbeda"):
        services.subject_merge(keep=first.subjek, duplicate=second.subjek, by=people["staf"])
    assert Asesmen.objects.filter(subjek=second.subjek).exists()


# --- categories --------------------------------------------------------------------------------


def test_age_and_sex_rules_warn_but_do_not_refuse(people):
    subject = Subjek(**subject_data(jenis_kelamin="L", tanggal_lahir=dt.date(1990, 1, 1)))
    kategori = list(KategoriPpks.objects.filter(kode__in=["PPKS-08", "PPKS-23"]))
    errors, warnings = services.category_problems(
        subjek=subject, kategori=kategori, utama=kategori[0], disabilitas=[], on=TODAY
    )
    assert errors == {}
    assert any("LUT umumnya untuk umur 60+" in w for w in warnings)
    assert any("PRSE umumnya untuk perempuan" in w for w in warnings)


def test_disability_categories_need_the_disability_type(people):
    subject = Subjek(**subject_data(tanggal_lahir=dt.date(1980, 1, 1)))
    pd = KategoriPpks.objects.get(kode="PPKS-09")
    errors, _ = services.category_problems(
        subjek=subject, kategori=[pd], utama=pd, disabilitas=[], on=TODAY
    )
    assert errors == {"disabilitas": ["Kategori disabilitas memerlukan jenis disabilitas."]}


def test_the_primary_category_must_be_one_of_the_chosen(people):
    subject = Subjek(**subject_data())
    lut, fm = KategoriPpks.objects.get(kode="PPKS-08"), KategoriPpks.objects.get(kode="PPKS-24")
    errors, _ = services.category_problems(
        subjek=subject, kategori=[lut], utama=fm, disabilitas=[], on=TODAY
    )
    assert errors == {"kategori_utama": ["Kategori utama harus salah satu kategori yang dipilih."]}


def test_a_child_heading_a_household_is_a_warning(people):
    subject = Subjek(
        **subject_data(tanggal_lahir=dt.date(2012, 1, 1), hubungan_kk="kepala", jenis_kelamin="L")
    )
    at = KategoriPpks.objects.get(kode="PPKS-02")
    _errors, warnings = services.category_problems(
        subjek=subject, kategori=[at], utama=at, disabilitas=[], on=TODAY
    )
    assert any("kepala keluarga" in w for w in warnings)


# --- photos ----------------------------------------------------------------------------------


def test_photos_are_resized_and_re_encoded(people):
    case = make_case(people["psm_a"], submit=False)
    services.assessment_save(
        by=people["psm_a"],
        subjek=case.subjek,
        data={},
        kategori=case.kategori.all(),
        photos=[_jpeg()],
        asesmen=case,
    )
    photo = AsesmenFoto.objects.get(asesmen=case)
    assert (photo.lebar, photo.tinggi) == (1600, 1200)
    with Image.open(photo.berkas.path) as image:
        assert image.format == "JPEG" and image.size == (1600, 1200)
        assert "exif" not in image.info


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_saved(people):
    case = make_case(people["psm_a"], submit=False)
    fake = SimpleUploadedFile("foto.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="bukan gambar"):
        services.assessment_save(
            by=people["psm_a"],
            subjek=case.subjek,
            data={"masalah": "Diubah"},
            kategori=case.kategori.all(),
            photos=[fake],
            asesmen=case,
        )
    case.refresh_from_db()
    assert case.masalah != "Diubah" and not AsesmenFoto.objects.exists()


def test_twenty_photos_at_once_are_refused_with_the_limit(people, settings):
    case = make_case(people["psm_a"], submit=False)
    with pytest.raises(ValidationError, match="Paling banyak 10 foto"):
        services.assessment_save(
            by=people["psm_a"],
            subjek=case.subjek,
            data={},
            kategori=case.kategori.all(),
            photos=[_jpeg(size=(10, 10)) for _ in range(20)],
            asesmen=case,
        )


# --- editing, resubmission, the diff -----------------------------------------------------------


def test_a_returned_case_edited_by_someone_else_is_refused(people):
    case = _move(make_case(people["psm_a"]), S.DIKEMBALIKAN, people["staf"], catatan="x")
    for other in ("psm_b", "staf"):
        with pytest.raises(ValidationError, match="Hanya penulis"):
            services.assessment_save(
                by=people[other],
                subjek=case.subjek,
                data={"masalah": "Ditimpa"},
                kategori=case.kategori.all(),
                asesmen=case,
            )


def test_resubmission_shows_what_changed_since_the_previous_version(people):
    case = make_case(people["psm_a"])
    case = _move(case, S.DIKEMBALIKAN, people["staf"], komentar={"kondisi_rumah": "Isi"})
    services.assessment_save(
        by=people["psm_a"],
        subjek=case.subjek,
        data={"kondisi_rumah": "Dinding bambu, lantai tanah", "urgensi": "darurat"},
        kategori=KategoriPpks.objects.filter(kode__in=["PPKS-08", "PPKS-24"]),
        asesmen=case,
    )
    case = _move(case, S.DIAJUKAN, people["psm_a"])
    assert case.versi == 2
    diff = {label: (before, after) for label, before, after in services.version_diff(case)}
    assert diff["Kondisi tempat tinggal"] == ("", "Dinding bambu, lantai tanah")
    assert diff["Urgensi"] == ("Segera", "Darurat")
    assert "Fakir Miskin" in diff["Kategori PPKS"][1]
    assert "Masalah utama" not in diff


def _returned(case, people):
    return _move(case, S.DIKEMBALIKAN, people["staf"], catatan="Periksa identitas.")


def _resubmitted(case, people, **identity):
    services.case_save(
        by=people["psm_a"],
        data={"masalah": case.masalah},
        kategori=case.kategori.all(),
        client_uuid=case.client_uuid,
        subjek=case.subjek,
        subjek_data=subject_data(**identity),
        asesmen=case,
        submit=True,
    )
    case.refresh_from_db()
    return case


def test_a_resubmission_shows_the_identity_its_psm_corrected(people):
    """Returned for a wrong name and a missing NIK, fixed in the form's identity part and sent
    again: the reviewer reads the identity's changes with the case's (they showed nothing, the
    subject not being part of a case's versions); the NIK masked, as in the trail."""
    case = _returned(make_case(people["psm_a"]), people)
    before_return = case.subjek.updated_at
    case = _resubmitted(
        case,
        people,
        nama="Sarinah Wongsodiharjo",
        nik="3371014205480001",
        alasan_tanpa_nik="",
        desa=Wilayah.objects.get(kode="33.71.01.1007"),
        tanggal_lahir=dt.date(1948, 5, 2),
    )
    assert case.versi == 2 and case.subjek.updated_at > before_return
    diff = {label: (old, new) for label, old, new in services.version_diff(case)}
    assert diff["Nama (subjek)"] == ("Mbah Sarinah", "Sarinah Wongsodiharjo")
    assert diff["NIK (subjek)"] == ("-", "3371**********01")
    assert diff["Alasan tanpa NIK (subjek)"] == ("Tidak punya KTP/KIA", "-")
    names = dict(Wilayah.objects.values_list("kode", "nama"))
    assert diff["Desa/kelurahan domisili (subjek)"] == (
        names["33.71.01.1003"],
        names["33.71.01.1007"],
    )
    assert "Tanggal lahir (subjek)" not in diff  # unchanged


def test_a_nik_corrected_in_its_middle_digits_still_shows_as_changed(people):
    """The trail keeps NIKs masked: a typo in the middle digits left both masks alike, and the
    row was dropped."""
    nik = {"nik": "3371014205480001", "alasan_tanpa_nik": ""}
    case = _returned(make_case(people["psm_a"], subject=nik), people)
    case = _resubmitted(case, people, nik="3371014205480002", alasan_tanpa_nik="")
    case.refresh_from_db()
    assert ("NIK (subjek)", "3371**********01", "3371**********02") in services.version_diff(case)
    case = _resubmitted(
        _returned(case, people), people, nik="3371014205490002", alasan_tanpa_nik=""
    )
    assert ("NIK (subjek)", "3371**********02", "3371**********02 (diubah)") in (
        services.version_diff(case)
    )


def test_the_identity_diff_names_the_office_s_corrections_and_says_yes_or_no(people):
    case = _returned(make_case(people["psm_a"]), people)
    services.subject_correct(
        subject=case.subjek,
        data={"nama": "Sarinah", "umur_perkiraan": True},
        alasan="KTP",
        by=people["staf2"],
        versi=services.identity_version(case.subjek),
    )
    case = _move(case, S.DIAJUKAN, people["psm_a"])
    diff = {label: (old, new) for label, old, new in services.version_diff(case)}
    assert diff["Nama (subjek, koreksi dinas)"] == ("Mbah Sarinah", "Sarinah")
    assert diff["Tanggal lahir perkiraan (subjek, koreksi dinas)"] == ("Tidak", "Ya")


def test_a_case_merged_onto_another_subject_between_versions_says_so(people):
    """Its identity rows compared a person with another (or none at all)."""
    case = _returned(make_case(people["psm_a"], subject={"nama": "Mbah Karto"}), people)
    kept = make_case(people["staf"], subject={"nama": "Karto Wiryo"}).subjek
    services.subject_merge(keep=kept, duplicate=case.subjek, by=people["staf"])
    case.refresh_from_db()
    services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=people["psm_a"])
    case.refresh_from_db()
    diff = services.version_diff(case)
    old_pk = Subjek.objects.get(nama="Mbah Karto").pk
    assert (
        "Subjek",
        f"Subjek #{old_pk} (Mbah Karto)",
        f"Subjek #{kept.pk} (Karto Wiryo)",
    ) in diff
    assert not [row for row in diff if row[0].endswith("(subjek)")]


def test_the_same_form_sent_twice_makes_one_case(people):
    key = uuid.uuid4()
    kwargs = {
        "by": people["psm_a"],
        "data": {
            "jenis": "awal",
            "metode_kontak": "kunjungan",
            "tanggal": TODAY,
            "persetujuan_oleh": "subjek",
            "persetujuan_nama": "Mbah Sarinah",
            "persetujuan_pada": TODAY,
            "persetujuan_versi": "2026-11",
            "kategori_utama": KategoriPpks.objects.get(kode="PPKS-08"),
            "masalah": "m",
            "kebutuhan": "k",
        },
        "kategori": KategoriPpks.objects.filter(kode="PPKS-08"),
        "client_uuid": key,
        "subjek_data": subject_data(),
        "submit": True,
    }
    first, created = services.case_save(**kwargs)
    again, created_again = services.case_save(**kwargs)
    assert created and not created_again and again.pk == first.pk
    assert Asesmen.objects.count() == 1 and Subjek.objects.count() == 1
    assert Transisi.objects.filter(ke=S.DIAJUKAN).count() == 1
    with pytest.raises(ValidationError, match="milik pengguna lain"):
        services.case_save(**{**kwargs, "by": people["psm_b"]})


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_submission_make_one_case(regions, office):
    from psm_portal.models import Role
    from tests.factories import PsmFactory, make_user, ppks_reference

    ppks_reference()
    psm = make_user(Role.PSM, psm=PsmFactory(), username="psm-paralel")
    key = uuid.uuid4()
    barrier = threading.Barrier(6)
    results, failures = [], []

    def send():
        try:
            barrier.wait()
            case, _created = services.case_save(
                by=psm,
                data={
                    "jenis": "awal",
                    "metode_kontak": "kunjungan",
                    "tanggal": TODAY,
                    "persetujuan_oleh": "subjek",
                    "persetujuan_nama": "Mbah Sarinah",
                    "persetujuan_pada": TODAY,
                    "persetujuan_versi": "2026-11",
                    "kategori_utama": KategoriPpks.objects.get(kode="PPKS-08"),
                    "masalah": "m",
                    "kebutuhan": "k",
                },
                kategori=KategoriPpks.objects.filter(kode="PPKS-08"),
                client_uuid=key,
                subjek_data=subject_data(nik="3371014505480001", alasan_tanpa_nik=""),
                submit=True,
            )
            results.append(case.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(set(results)) == 1 and len(results) == 6
    assert Asesmen.objects.count() == 1 and Subjek.objects.count() == 1
    assert Transisi.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_acting_at_once_one_wins_the_other_is_told(regions, office):
    from psm_portal.models import Role
    from tests.factories import PsmFactory, make_user, ppks_reference

    ppks_reference()
    psm = make_user(Role.PSM, psm=PsmFactory(), username="psm-r")
    reviewers = [make_user(Role.STAF, scope=["33.71"], username=f"staf-{i}") for i in range(2)]
    case = make_case(psm)
    barrier = threading.Barrier(2)
    outcomes = []

    def act(user, ke):
        try:
            barrier.wait()
            services.assessment_transition(
                asesmen=case, ke=ke, by=user, catatan="cek", expected_status=S.DIAJUKAN
            )
            outcomes.append(("ok", ke))
        except ValidationError as exc:
            outcomes.append(("refused", " ".join(exc.messages)))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=act, args=(reviewers[0], S.DIVERIFIKASI)),
        threading.Thread(target=act, args=(reviewers[1], S.DIKEMBALIKAN)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = sorted(o[0] for o in outcomes)
    assert kinds == ["ok", "refused"], outcomes
    refused = next(o[1] for o in outcomes if o[0] == "refused")
    assert "baru saja diproses" in refused
    assert Transisi.objects.filter(asesmen=case).exclude(ke=S.DIAJUKAN).count() == 1


# --- referrals ---------------------------------------------------------------------------------


def test_referral_needs_a_verified_case_and_one_open_per_programme(people):
    from assessments.models import Program

    pkh = Program.objects.get(kode="PKH")
    data = {"program": pkh, "tujuan_instansi": "PKH", "tanggal": TODAY, "nomor_surat": ""}
    case = make_case(people["psm_a"])
    with pytest.raises(ValidationError, match="sudah diverifikasi"):
        services.referral_create(asesmen=case, data=data, by=people["staf"], today=TODAY)
    case = _move(case, S.DIVERIFIKASI, people["staf"])
    referral = services.referral_create(asesmen=case, data=data, by=people["staf"], today=TODAY)
    case.refresh_from_db()
    assert case.status == S.DIRUJUK and referral.status_sejak == TODAY
    with pytest.raises(ValidationError, match="sudah dirujuk"):
        services.referral_create(asesmen=case, data=data, by=people["staf"], today=TODAY)
    with pytest.raises(ValidationError, match="masa depan"):
        services.referral_create(
            asesmen=case,
            data={
                **data,
                "program": Program.objects.get(kode="SEMBAKO"),
                "tanggal": TODAY + dt.timedelta(days=1),
            },
            by=people["staf"],
            today=TODAY,
        )
    # not before the case it refers (the walk referred a case of December 2026 on 1 January 2020)
    with pytest.raises(ValidationError, match="sebelum tanggal asesmen"):
        services.referral_create(
            asesmen=case,
            data={
                **data,
                "program": Program.objects.get(kode="SEMBAKO"),
                "tanggal": case.tanggal - dt.timedelta(days=1),
            },
            by=people["staf"],
            today=TODAY,
        )
    later = TODAY + dt.timedelta(days=3)
    services.referral_update(
        rujukan=referral, status="diterima", hasil="Masuk KPM", by=people["staf"], today=later
    )
    referral.refresh_from_db()
    assert (referral.status, referral.status_sejak) == ("diterima", later)
    with pytest.raises(ValidationError, match="tidak dapat diubah"):
        services.referral_update(
            rujukan=referral, status="diusulkan", hasil="", by=people["staf"], today=later
        )
    assert Rujukan.objects.count() == 1


def test_a_programme_paid_by_nik_refuses_a_subject_without_one(people):
    """PBI-JK and Program Sembako pay only people with a NIK valid at Dukcapil (domain.md 4.3):
    a referral of someone without one came back refused weeks later. Other programmes (PKH's
    outreach, ATENSI, a DTSEN proposal) still take them."""
    from assessments.models import AnggotaKeluarga, JenisSubjek, Program
    from registry.demo import make_nik

    def refer(case, kode):
        case = _move(case, S.DIVERIFIKASI, people["staf"]) if case.status == S.DIAJUKAN else case
        data = {"program": Program.objects.get(kode=kode), "tujuan_instansi": "Dinas",
                "tanggal": TODAY, "nomor_surat": ""}  # fmt: skip
        return services.referral_create(asesmen=case, data=data, by=people["staf"], today=TODAY)

    without = make_case(people["psm_a"])
    for kode, name in (("PBI_JK", "PBI Jaminan Kesehatan"), ("SEMBAKO", "Program Sembako")):
        with pytest.raises(ValidationError) as refused:
            refer(without, kode)
        message = refused.value.message_dict["program"][0]
        assert name in message and "belum ber-NIK" in message and "Dukcapil" in message
        without.refresh_from_db()
    assert not Rujukan.objects.exists() and without.status == S.DIVERIFIKASI
    refer(without, "ATENSI")
    refer(without, "DTSEN")

    community = make_case(
        people["psm_a"], subject={"jenis": JenisSubjek.KOMUNITAS, "nama": "Warga RW 05"},
        kategori=("PPKS-24",),
    )  # fmt: skip
    with pytest.raises(ValidationError, match="subjek komunitas"):
        refer(community, "PBI_JK")

    # a family: paid through its members, so a member's NIK will do
    family = make_case(
        people["psm_a"], subject={"jenis": JenisSubjek.KELUARGA, "nama": "Keluarga Pak Darmo"}
    )
    with pytest.raises(ValidationError, match="belum ada NIK kepala keluarga maupun anggota"):
        refer(family, "SEMBAKO")
    AnggotaKeluarga.objects.create(
        subjek=family.subjek, nama="Darmo", hubungan="kepala", jenis_kelamin="L",
        tanggal_lahir=dt.date(1970, 1, 5), nik=make_nik("33.71.01", dt.date(1970, 1, 5), "L", 9),
    )  # fmt: skip
    family.refresh_from_db()
    assert refer(family, "SEMBAKO").program_id == "SEMBAKO"

    nik = make_nik("33.71.01", dt.date(1948, 5, 2), "P", 7)
    with_nik = make_case(people["psm_a"], subject={"nik": nik, "alasan_tanpa_nik": ""})
    referral = refer(with_nik, "PBI_JK")
    assert referral.program_id == "PBI_JK"
    # the rule is the office's data: a programme turned off it takes anyone again
    Program.objects.filter(kode="SEMBAKO").update(wajib_nik=False)
    without.refresh_from_db()
    refer(without, "SEMBAKO")


def test_a_refused_save_leaves_no_photo_file_behind(people, settings, tmp_path):
    """A rolled-back row took its file with it nowhere: two good photos and a third that is not
    an image, or a submission refused after the photos were stored, left pictures of a person
    on disk that nothing lists or prunes."""
    import io as _io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path

    def jpeg(name):
        out = _io.BytesIO()
        Image.new("RGB", (60, 40), "teal").save(out, "JPEG")
        return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")

    not_an_image = SimpleUploadedFile("c.jpg", b"<html>bukan</html>", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        make_case(people["psm_a"], photos=[jpeg("a.jpg"), jpeg("b.jpg"), not_an_image])
    with pytest.raises(ValidationError):  # stored, then the submission refused: a child's consent
        make_case(
            people["psm_a"],
            photos=[jpeg("a.jpg")],
            persetujuan_oleh="subjek",
            subject={"tanggal_lahir": dt.date(2015, 1, 1)},
        )
    assert not list(tmp_path.rglob("*.jpg"))
    make_case(people["psm_a"], photos=[jpeg("a.jpg")])
    assert len(list(tmp_path.rglob("*.jpg"))) == 1


def test_an_office_account_linked_to_a_psm_since_still_edits_its_office_drafts(people):
    """From a review: the page (``access.is_author``) offered such an account "Ubah draf" on
    the office draft it had recorded, and the save (a rule of its own) refused it."""
    from assessments.access import is_author
    from tests.factories import PsmFactory

    staf = people["staf2"]
    draft = make_case(staf, submit=False)
    staf.psm = PsmFactory(nama="Staf Kini PSM")
    staf.save()
    assert is_author(staf, draft)
    saved, _created = services.case_save(
        by=staf,
        data={"masalah": "Diperbarui setelah akun ditautkan."},
        kategori=draft.kategori.all(),
        client_uuid=draft.client_uuid,
        asesmen=draft,
        subjek=draft.subjek,
    )
    assert saved.masalah == "Diperbarui setelah akun ditautkan."
