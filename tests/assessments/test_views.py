"""PPKS pages: the PSM's form (input kept, warnings, idempotent resubmission), access and the
audit of sensitive reads, review actions, the queue, stalled referrals, exports, query counts."""

import datetime as dt
import importlib
import io
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from PIL import Image

from assessments import services
from assessments.models import (
    Asesmen,
    KategoriPpks,
    LangkahRujukan,
    Program,
    Rujukan,
    StatusAsesmen,
    Subjek,
    Transisi,
)
from psm_portal.models import AuditEvent, Kantor
from tests.factories import make_case, refer_to_pkh, subject_data

User = get_user_model()

S = StatusAsesmen


def _client(client, user):
    client.force_login(user)
    return client


def _form(**overrides) -> dict:
    """What the PSM's phone sends for a new elderly person without a KTP."""
    today = dt.date.today().isoformat()
    data = {
        "client_uuid": str(uuid.uuid4()),
        "s-jenis": "orang",
        "s-nama": "Mbah Karto",
        "s-nik": "",
        "s-alasan_tanpa_nik": "tidak_punya",
        "s-jenis_kelamin": "L",
        "s-tanggal_lahir": "1944-08-17",
        "s-alamat": "Kampung Botton",
        "s-rt": "03",
        "s-rw": "07",
        "s-desa": "33.71.01.1003",
        "jenis": "awal",
        "metode_kontak": "kunjungan",
        "tanggal": today,
        "persetujuan_oleh": "subjek",
        "persetujuan_nama": "Mbah Karto",
        "persetujuan_pada": today,
        "kategori": ["PPKS-08"],
        "kategori_utama": "PPKS-08",
        "masalah": "Hidup sendiri tanpa penghasilan.",
        "kebutuhan": "Permakanan.",
        "urgensi": "segera",
        "aksi": "ajukan",
    }
    data.update(overrides)
    return data


def _returned_and_resubmitted(case, people, data, *, kategori=("PPKS-08",), **review):
    """The case returned by staff (with ``review``: a note or per-field comments), corrected by
    its PSM with ``data`` and submitted again: its version 2."""
    review = review or {"catatan": "Lengkapi kondisi rumah."}
    case = services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], **review
    )
    services.assessment_save(
        by=people["psm_a"],
        subjek=case.subjek,
        data=data,
        kategori=KategoriPpks.objects.filter(kode__in=kategori),
        asesmen=case,
    )
    return services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=people["psm_a"])


def _jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (90, 140, 60)).save(out, "JPEG")
    return SimpleUploadedFile("rumah.jpg", out.getvalue(), content_type="image/jpeg")


def test_psm_submits_a_case_with_a_photo(client, people):
    c = _client(client, people["psm_a"])
    response = c.post(reverse("assessments:case-create"), {**_form(), "foto": [_jpeg()]})
    case = Asesmen.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:case-detail", args=[case.pk])
    assert case.status == S.DIAJUKAN and case.psm == people["psm_a"].psm
    assert case.foto_set.count() == 1 and case.persetujuan_versi == "2026-11"
    page = c.get(response["Location"]).content.decode()
    assert "Mbah Karto" in page and "Diajukan" in page


def test_the_same_form_sent_twice_over_http_makes_one_case(client, people):
    c = _client(client, people["psm_a"])
    data = _form()
    first = c.post(reverse("assessments:case-create"), data)
    again = c.post(reverse("assessments:case-create"), data)
    assert first["Location"] == again["Location"]
    assert Asesmen.objects.count() == 1 and Subjek.objects.count() == 1


def test_a_bad_form_keeps_every_typed_value_and_says_why(client, people):
    c = _client(client, people["psm_a"])
    data = _form(**{"s-nik": "3371017102900001", "s-alasan_tanpa_nik": "", "masalah": "Atap bocor"})
    response = c.post(reverse("assessments:case-create"), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Tanggal lahir pada NIK (digit 7-12) bukan tanggal yang ada." in body
    assert 'value="Mbah Karto"' in body and "Atap bocor" in body
    assert data["client_uuid"] in body  # a retry still cannot duplicate
    assert not Asesmen.objects.exists()


def test_a_subjects_or_informants_phone_that_is_no_number_is_refused_and_kept(client, people):
    c = _client(client, people["psm_a"])
    data = _form(**{"s-telepon": "<b>hubungi</b>", "informan_telepon": "tetangga"})
    response = c.post(reverse("assessments:case-create"), data)
    body = response.content.decode()
    assert response.status_code == 400 and not Asesmen.objects.exists()
    # under each field, and in the list of what to fix above the form
    assert body.count("Nomor telepon ditulis dengan angka") == 4
    assert 'value="&lt;b&gt;hubungi&lt;/b&gt;"' in body and 'value="tetangga"' in body


def test_a_draft_refused_for_its_missing_fields_says_a_draft_needs_them_too(client, people):
    """A draft missing what the office must hold (the problem, the consent) said only "Data
    belum tersimpan", and "Simpan draf" reads like "save as is": the PSM wondered what a draft
    was for. The page says a draft needs them too, and keeps what was typed."""
    c = _client(client, people["psm_a"])
    data = _form(aksi="draf", masalah="", **{"s-nama": "Mbah Setengah Jadi"})
    response = c.post(reverse("assessments:case-create"), data)
    body = response.content.decode()
    assert response.status_code == 400 and not Asesmen.objects.exists()
    assert "Draf belum tersimpan di dinas" in body and "untuk draf pun" in body
    assert 'value="Mbah Setengah Jadi"' in body
    response = c.post(reverse("assessments:case-create"), {**data, "aksi": "ajukan"})
    assert "Data belum tersimpan. Perbaiki isian" in response.content.decode()


def test_warnings_must_be_confirmed_before_submitting_but_not_for_a_draft(client, people):
    c = _client(client, people["psm_a"])
    data = _form(**{"s-tanggal_lahir": "1990-01-01"})  # LUT is for 60+
    response = c.post(reverse("assessments:case-create"), data)
    assert response.status_code == 400
    assert "LUT umumnya untuk umur 60+" in response.content.decode()
    assert not Asesmen.objects.exists()
    response = c.post(reverse("assessments:case-create"), {**data, "konfirmasi_peringatan": "on"})
    assert response.status_code == 302 and Asesmen.objects.get().status == S.DIAJUKAN
    draft = _form(**{"s-tanggal_lahir": "1990-01-01", "s-nama": "Lain", "aksi": "draf"})
    assert c.post(reverse("assessments:case-create"), draft).status_code == 302
    assert Asesmen.objects.filter(status=S.DRAF).count() == 1
    # Sent from the case page, the draft goes back to its form to confirm the same warning.
    saved = Asesmen.objects.get(status=S.DRAF)
    page = c.get(reverse("assessments:case-detail", args=[saved.pk])).content.decode()
    assert f'name="versi_awal" value="{saved.versi}"' in page
    answer = c.post(
        reverse("assessments:case-review", args=[saved.pk]),
        {"ke": "diajukan", "status_awal": "draf", "versi_awal": str(saved.versi)},
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == reverse("assessments:case-update", args=[saved.pk])
    body = answer.content.decode()
    assert "LUT umumnya untuk umur 60+" in body and "diminta mengonfirmasinya" in body
    assert Asesmen.objects.get(pk=saved.pk).status == S.DRAF
    clean = _form(**{"s-nama": "Mbah Tanpa Peringatan", "aksi": "draf"})
    assert c.post(reverse("assessments:case-create"), clean).status_code == 302
    clean_draft = Asesmen.objects.get(subjek__nama="Mbah Tanpa Peringatan")
    c.post(
        reverse("assessments:case-review", args=[clean_draft.pk]),
        {"ke": "diajukan", "status_awal": "draf", "versi_awal": str(clean_draft.versi)},
    )
    assert Asesmen.objects.get(pk=clean_draft.pk).status == S.DIAJUKAN
    # A returned case sent again from its page is held to the same confirmation.
    returned = Asesmen.objects.get(subjek__nama="Mbah Karto")
    services.assessment_transition(
        asesmen=returned, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Periksa umur"
    )
    returned.refresh_from_db()
    answer = _client(client, people["psm_a"]).post(
        reverse("assessments:case-review", args=[returned.pk]),
        {"ke": "diajukan", "status_awal": "dikembalikan", "versi_awal": str(returned.versi)},
    )
    assert answer["Location"] == reverse("assessments:case-update", args=[returned.pk])
    assert Asesmen.objects.get(pk=returned.pk).status == S.DIKEMBALIKAN


def test_a_nik_already_registered_is_refused_and_staff_get_a_link(client, people):
    existing = make_case(
        people["psm_b"], subject={"nik": "3371011708440001", "alasan_tanpa_nik": ""}
    )
    data = _form(**{"s-nik": "3371011708440001"})
    body = _client(client, people["psm_a"]).post(reverse("assessments:case-create"), data)
    assert "NIK ini sudah terdaftar sebagai subjek PPKS." in body.content.decode()
    assert (
        reverse("assessments:subject-detail", args=[existing.subjek_id])
        not in body.content.decode()
    )
    client.force_login(people["staf"])
    staff_body = client.post(reverse("assessments:case-create"), data).content.decode()
    assert reverse("assessments:subject-detail", args=[existing.subjek_id]) in staff_body
    assert Asesmen.objects.count() == 1


def test_a_nik_registered_at_the_same_moment_elsewhere_is_shown_on_the_nik(
    client, people, monkeypatch
):
    """Both requests passed the check before either saved: the second is told on the subject's
    NIK field, with what was typed kept (it answered 500)."""
    make_case(people["psm_b"], subject={"nik": "3371011708440001", "alasan_tanpa_nik": ""})
    monkeypatch.setattr(services, "nik_taken", lambda *a, **k: None)
    data = _form(**{"s-nik": "3371011708440001", "s-alasan_tanpa_nik": ""})
    response = _client(client, people["psm_a"]).post(reverse("assessments:case-create"), data)
    assert response.status_code == 400
    assert response.context["sform"].errors["nik"] == [
        "NIK ini sudah terdaftar sebagai subjek PPKS."
    ]
    assert "Hidup sendiri tanpa penghasilan." in response.content.decode()  # kept
    assert Asesmen.objects.count() == 1


def test_a_refused_case_form_names_each_field_to_fix_and_links_to_it(client, people):
    """A 6,000-pixel form on a phone: the summary lists what is wrong, each linking to its
    field; a missing disability type is marked on the disability field (inside the folded
    section, which opens), not on the 26 categories; a NIK typo does not get the hint meant for
    a NIK registered by someone else."""

    def summary_of(response):
        body = response.content.decode()
        assert response.status_code == 400
        return body, body[body.index('id="ringkasan-galat"') : body.index("data-offline-notice")]

    c = _client(client, people["psm_a"])
    url = reverse("assessments:case-create")
    body, summary = summary_of(
        c.post(url, _form(**{"s-nik": "33710145", "s-alasan_tanpa_nik": ""}))
    )
    assert 'href="#div_id_s-nik" class="alert-link">NIK</a>: NIK harus 16 digit angka' in summary
    assert 'id="div_id_s-nik"' in body  # the link's target is on the page
    assert "minta staf dinas menambahkan asesmen Anda" not in body

    body, summary = summary_of(c.post(url, _form(kategori=["PPKS-09"], kategori_utama="PPKS-09")))
    assert 'href="#div_id_disabilitas"' in summary and 'id="div_id_disabilitas"' in body
    assert "Kategori disabilitas memerlukan jenis disabilitas." in summary
    assert 'href="#div_id_kategori"' not in summary
    assert '<details class="mb-3" open>' in body
    assert not Asesmen.objects.exists()


def test_twenty_photos_are_refused_with_a_message(client, people, settings):
    response = _client(client, people["psm_a"]).post(
        reverse("assessments:case-create"), {**_form(), "foto": [_jpeg() for _ in range(20)]}
    )
    assert "Paling banyak 10 foto" in response.content.decode()
    assert not Asesmen.objects.exists()


def test_a_non_image_photo_is_refused(client, people):
    fake = SimpleUploadedFile("foto.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = _client(client, people["psm_a"]).post(
        reverse("assessments:case-create"), {**_form(), "foto": [fake]}
    )
    assert response.status_code == 400
    assert "bukan gambar yang dapat dibaca" in response.content.decode()
    assert not Asesmen.objects.exists()


# --- access ----------------------------------------------------------------------------------


def test_psm_a_asking_for_psm_b_case_gets_404(client, people):
    case_b = make_case(people["psm_b"])
    c = _client(client, people["psm_a"])
    for name in ("case-detail", "case-update"):
        assert c.get(reverse(f"assessments:{name}", args=[case_b.pk])).status_code == 404
    assert c.get(reverse("assessments:subject-detail", args=[case_b.subjek_id])).status_code == 404
    assert "Mbah Sarinah" not in c.get(reverse("assessments:case-list")).content.decode()


def test_staff_outside_the_region_get_404(client, people):
    case = make_case(people["psm_a"])
    c = _client(client, people["luar"])
    assert c.get(reverse("assessments:case-detail", args=[case.pk])).status_code == 404
    assert (
        c.post(
            reverse("assessments:case-review", args=[case.pk]),
            {"ke": "diverifikasi", "status_awal": "diajukan"},
        ).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.status == S.DIAJUKAN


def test_sensitive_case_views_are_audited_and_hidden_from_supervisors(client, people):
    child = make_case(
        people["psm_a"],
        kategori=("PPKS-02",),
        subject={"tanggal_lahir": dt.date(2014, 2, 1), "nama": "Anak Uji"},
        kondisi_fisik="Gizi buruk",
    )
    url = reverse("assessments:case-detail", args=[child.pk])
    body = _client(client, people["staf"]).get(url).content.decode()
    assert "Gizi buruk" in body
    event = AuditEvent.objects.get(action="asesmen.view_sensitive")
    assert (event.actor_id, event.target_id) == (people["staf"].pk, str(child.pk))
    assert event.after == {"data_spesifik": ["anak", "kesehatan"]}  # a child's health
    assert "Anak Uji" not in event.target_label
    client.force_login(people["supervisor"])
    body = client.get(url).content.decode()
    assert "Gizi buruk" not in body and "tidak ditampilkan untuk peran Anda" in body
    # A child's birth date and home are the details' too: the desa is shown, not the street.
    assert "Februari 2014" not in body and "Jl. Tidar Gg. 3" not in body
    assert AuditEvent.objects.filter(action="asesmen.view_sensitive").count() == 1
    adult = make_case(people["psm_a"], subject={"nama": "Dewasa"})
    client.force_login(people["staf"])
    client.get(reverse("assessments:case-detail", args=[adult.pk]))
    assert AuditEvent.objects.filter(action="asesmen.view_sensitive").count() == 1


def test_a_list_naming_a_specific_category_is_audited_per_case_named(
    client, people, django_assert_num_queries
):
    """The queue and the case list name a child's or an ODHA's category beside their name: a
    read of specific data (UU 27/2022 Pasal 31) that the case page audited and they did not.
    One entry per case so named, reader and day, in its trail (one INSERT); the rest of the page
    writes none, nor do the day's reloads (a reviewer's queue wrote 50 rows at each)."""
    child = make_case(people["psm_a"], kategori=("PPKS-02",), subject={"nama": "Anak Uji"})
    make_case(people["psm_a"], subject={"nama": "Mbah Uji"})  # an elderly person: not specific
    listed = AuditEvent.objects.filter(action="asesmen.view_sensitive_list")
    c = _client(client, people["staf"])
    queue = c.get(reverse("assessments:queue")).content.decode()
    assert "Anak Uji" in queue and "Mbah Uji" in queue
    event = listed.get()
    assert (event.actor_id, event.target_type, event.target_id) == (
        people["staf"].pk,
        "assessments.asesmen",
        str(child.pk),
    )
    assert event.after == {"data_spesifik": ["anak"]}
    assert "Anak Uji" not in event.target_label
    c.get(reverse("assessments:case-list"))
    c.get(reverse("assessments:queue"))
    assert listed.count() == 1  # seen that day: said once
    # the next day, it is said again
    listed.update(created_at=event.created_at - dt.timedelta(days=1))
    with django_assert_num_queries(11):  # the page's 9, the day's entries, one INSERT
        c.get(reverse("assessments:queue"))
    assert listed.filter(target_id=str(child.pk)).count() == 2
    # the PSM's own list is their own notes
    _client(client, people["psm_a"]).get(reverse("assessments:case-list"))
    assert listed.count() == 2


def test_a_list_read_is_said_again_for_a_new_reader_case_category_or_day(client, people):
    """Once a day per case and reader is enough only for what was said: the case list names a
    case's main category, the queue every one (a review: the queue's ODHA went unsaid after the
    case list's income), and another officer, another case or the next day (in WIB) is said."""
    both = make_case(people["psm_a"], kategori=("PPKS-16", "PPKS-24"), subject={"nama": "Pak Uji"})
    listed = AuditEvent.objects.filter(action="asesmen.view_sensitive_list")

    def said(user):
        return sorted(
            (e.target_id, tuple(e.after["data_spesifik"])) for e in listed.filter(actor_id=user.pk)
        )

    staf = people["staf"]
    c = _client(client, staf)
    c.get(reverse("assessments:case-list"))  # the main category only
    (main,) = said(staf)
    assert main[0] == str(both.pk) and len(main[1]) == 1
    c.get(reverse("assessments:queue"))  # both: the one not said yet is said
    assert said(staf) == sorted([main, (str(both.pk), ("kesehatan", "keuangan"))])
    c.get(reverse("assessments:queue"))
    c.get(reverse("assessments:case-list"))
    assert listed.count() == 2

    # another officer's reading is theirs
    _client(client, people["staf2"]).get(reverse("assessments:queue"))
    assert said(people["staf2"]) == [(str(both.pk), ("kesehatan", "keuangan"))]

    # a case newly in the list: said for it alone
    child = make_case(people["psm_b"], kategori=("PPKS-02",), subject={"nama": "Anak Uji"})
    _client(client, staf).get(reverse("assessments:queue"))
    assert listed.filter(actor_id=staf.pk).count() == 3
    assert listed.filter(actor_id=staf.pk, target_id=str(child.pk)).count() == 1

    # the day is the office's (WIB): a minute before its midnight is yesterday, after it today
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    listed.update(created_at=midnight + dt.timedelta(minutes=1))
    client.get(reverse("assessments:queue"))
    assert listed.filter(actor_id=staf.pk).count() == 3
    listed.update(created_at=midnight - dt.timedelta(minutes=1))
    client.get(reverse("assessments:queue"))
    assert listed.filter(actor_id=staf.pk).count() == 5  # both cases, said again


def test_a_disability_or_health_notes_are_specific_data_whatever_the_category(client, people):
    """UU 27/2022 Pasal 4: an elderly person's case (LUT, general data by its category) showed
    their disability, its severity and their health to a supervisor, and no read was logged."""
    from assessments.models import JenisDisabilitas

    elderly = make_case(people["psm_a"], kondisi_fisik="Stroke ringan, memakai kursi roda")
    blind = make_case(people["psm_a"], subject={"nama": "Mbah Netra"}, tingkat_disabilitas="berat")
    blind.disabilitas.set([JenisDisabilitas.objects.order_by("urutan").first()])
    plain = make_case(people["psm_a"], subject={"nama": "Mbah Sehat"})
    client.force_login(people["supervisor"])
    for case in (elderly, blind):
        body = client.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
        assert "tidak ditampilkan untuk peran Anda" in body, case
        assert "Stroke ringan" not in body and "Berat" not in body and "berat" not in body
    body = client.get(reverse("assessments:case-detail", args=[plain.pk])).content.decode()
    assert "tidak ditampilkan untuk peran Anda" not in body  # general data stays shown
    client.force_login(people["staf"])
    for case in (elderly, blind, plain):
        client.get(reverse("assessments:case-detail", args=[case.pk]))
    audited = AuditEvent.objects.filter(action="asesmen.view_sensitive")
    assert sorted(audited.values_list("target_id", flat=True)) == sorted(
        [str(elderly.pk), str(blind.pk)]
    )
    assert {tuple(e.after["data_spesifik"]) for e in audited} == {("kesehatan",)}


def test_review_notes_and_referral_texts_of_specific_data_are_the_details_too(client, people):
    """From a review: on an ODHA case a supervisor saw, unaudited, the review note ("ARV
    rutin..."), the referral's addressee and its result, while its details were hidden."""
    odha = make_case(people["psm_a"], kategori=("PPKS-16",))
    odha = services.assessment_transition(
        asesmen=odha, ke=S.DIVERIFIKASI, by=people["staf"], catatan="ARV rutin di puskesmas."
    )
    referral = refer_to_pkh(odha, people["staf"], today=dt.date.today())
    Rujukan.objects.filter(pk=referral.pk).update(
        tujuan_instansi="Klinik VCT Tidar", hasil="Diterima pendampingan klinik VCT."
    )
    texts = ("ARV rutin", "Klinik VCT Tidar", "Diterima pendampingan")
    url = reverse("assessments:case-detail", args=[odha.pk])
    client.force_login(people["supervisor"])
    body = client.get(url).content.decode()
    assert "begitu pula catatan peninjau" in body
    assert not [t for t in texts if t in body]
    assert not AuditEvent.objects.filter(action="asesmen.view_sensitive").exists()
    client.force_login(people["staf"])
    body = client.get(url).content.decode()
    assert all(t in body for t in texts)
    assert AuditEvent.objects.filter(action="asesmen.view_sensitive").count() == 1


def _photo_of(case):
    from django.core.files.base import ContentFile

    from assessments.models import AsesmenFoto

    photo = AsesmenFoto(asesmen=case)
    photo.berkas.save("uji.jpg", ContentFile(_jpeg().read()))
    return photo


def test_a_sensitive_cases_photo_is_audited_on_every_fetch(client, people):
    child = make_case(
        people["psm_a"],
        kategori=("PPKS-02",),
        subject={"tanggal_lahir": dt.date(2014, 2, 1), "nama": "Anak Uji"},
    )
    photo = _photo_of(child)
    url = reverse("assessments:case-photo", args=[child.pk, photo.pk])
    c = _client(client, people["staf"])
    for _ in range(2):
        response = c.get(url)
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
        # Reading the stream to its end closes the file (the test client's wrapper).
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # a JPEG
    events = AuditEvent.objects.filter(action="asesmen.view_sensitive_photo")
    assert events.count() == 2
    event = events.first()
    assert (event.actor_id, event.target_id) == (people["staf"].pk, str(child.pk))
    assert event.after == {"data_spesifik": ["anak"], "foto": photo.pk}
    assert "Anak Uji" not in event.target_label

    # Who may not see the details gets no photo, and nothing is recorded as read.
    assert _client(client, people["supervisor"]).get(url).status_code == 404
    assert events.count() == 2
    # An adult's ordinary case: the photo is served without an audit line.
    adult = make_case(people["psm_a"], subject={"nama": "Dewasa"})
    adult_photo = _photo_of(adult)
    response = _client(client, people["staf"]).get(
        reverse("assessments:case-photo", args=[adult.pk, adult_photo.pk])
    )
    assert response.status_code == 200 and b"".join(response.streaming_content)
    assert not AuditEvent.objects.filter(
        action__startswith="asesmen.view_sensitive", target_id=str(adult.pk)
    ).exists()


def test_health_notes_removed_in_a_later_version_stay_hidden_from_the_supervisor(client, people):
    """Cleared on resubmission, the case is general data again and its details are shown to a
    supervisor: the version diff's "before" column showed them the removed health notes."""
    case = make_case(people["psm_a"], kondisi_fisik="Stroke ringan, memakai kursi roda")
    case = _returned_and_resubmitted(
        case, people, {"kondisi_fisik": "", "kondisi_rumah": "Dinding bambu"}
    )
    url = reverse("assessments:case-detail", args=[case.pk])
    client.force_login(people["supervisor"])
    body = client.get(url).content.decode()
    assert "Perubahan pada versi 2" in body and "Dinding bambu" in body  # the rest of the diff
    assert "Stroke ringan" not in body
    assert not AuditEvent.objects.filter(action="asesmen.view_sensitive").exists()
    body = _client(client, people["staf"]).get(url).content.decode()
    assert "Stroke ringan" in body  # a role that may see specific data sees what changed
    # and that read of health data is audited, as a read of the case holding it would be
    read = AuditEvent.objects.get(action="asesmen.view_sensitive", target_id=str(case.pk))
    assert read.after == {"data_spesifik": ["kesehatan"]}


def test_a_resubmitted_sensitive_case_shows_its_changes_only_to_who_may_see_them(client, people):
    child = make_case(
        people["psm_a"],
        kategori=("PPKS-02",),
        subject={"tanggal_lahir": dt.date(2014, 2, 1)},
        kondisi_fisik="Gizi buruk",
    )
    child = _returned_and_resubmitted(
        child,
        people,
        {"kondisi_fisik": "Gizi buruk, berat 11 kg"},
        kategori=("PPKS-02",),
        komentar={"kondisi_fisik": "Sebutkan berat badan anak"},
    )
    assert child.versi == 2
    url = reverse("assessments:case-detail", args=[child.pk])

    client.force_login(people["supervisor"])
    body = client.get(url).content.decode()
    assert "tidak ditampilkan untuk peran Anda" in body
    for detail in ("Gizi buruk", "berat 11 kg", "Perubahan pada versi 2", "Sebutkan berat badan"):
        assert detail not in body
    assert not AuditEvent.objects.filter(action="asesmen.view_sensitive").exists()

    body = _client(client, people["staf"]).get(url).content.decode()
    assert "Perubahan pada versi 2" in body and "berat 11 kg" in body
    assert "Sebutkan berat badan anak" in body
    assert (
        AuditEvent.objects.filter(
            action="asesmen.view_sensitive", actor_id=people["staf"].pk
        ).count()
        == 1
    )


def test_nik_is_masked_for_supervisors_and_full_for_staff(client, people):
    case = make_case(people["psm_a"], subject={"nik": "3371011708440001", "alasan_tanpa_nik": ""})
    url = reverse("assessments:case-detail", args=[case.pk])
    assert "3371011708440001" in _client(client, people["staf"]).get(url).content.decode()
    client.force_login(people["supervisor"])
    body = client.get(url).content.decode()
    assert "3371011708440001" not in body and "3371**********01" in body


def test_export_is_permission_checked_masked_and_audited(client, people):
    make_case(people["psm_a"], subject={"nik": "3371011708440001", "alasan_tanpa_nik": ""})
    assert (
        _client(client, people["supervisor"]).get(reverse("assessments:case-export")).status_code
        == 403
    )
    client.force_login(people["staf"])
    response = client.get(reverse("assessments:case-export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Mbah Sarinah" in text and "3371011708440001" in text
    assert AuditEvent.objects.filter(action="asesmen.export", actor_id=people["staf"].pk).exists()


# --- review ----------------------------------------------------------------------------------


def test_case_page_offers_the_review_forms_in_the_reader_language(client, people):
    """The forms' fields are kept per language: each language still gets its own labels."""
    from django.conf import settings

    case = make_case(people["psm_a"])
    staff = _client(client, people["staf"])
    url = reverse("assessments:case-detail", args=[case.pk])
    page = staff.get(url).content.decode()
    assert 'name="komentar_kondisi_rumah"' in page and "Kondisi tempat tinggal" in page
    assert 'name="alasan_tutup"' in page and "Alasan penutupan" in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = staff.get(url).content.decode()
    assert 'name="komentar_kondisi_rumah"' in english
    assert "Alasan penutupan" not in english and "Kondisi tempat tinggal" not in english


def test_return_with_field_comments_reaches_the_psm_and_resubmission_shows_the_diff(client, people):
    case = make_case(people["psm_a"])
    staff = _client(client, people["staf"])
    staff.post(
        reverse("assessments:case-review", args=[case.pk]),
        {
            "ke": "dikembalikan",
            "status_awal": "diajukan",
            "catatan": "Lengkapi",
            "komentar_kondisi_rumah": "Jelaskan kondisi rumah",
        },
    )
    case.refresh_from_db()
    assert case.status == S.DIKEMBALIKAN
    client.force_login(people["psm_a"])
    listing = client.get(reverse("assessments:case-list")).content.decode()
    assert "Jelaskan kondisi rumah" in listing and "Kondisi tempat tinggal" in listing
    form = client.get(reverse("assessments:case-update", args=[case.pk])).content.decode()
    assert "Jelaskan kondisi rumah" in form
    data = _form(
        client_uuid=str(case.client_uuid),
        kondisi_rumah="Dinding bambu",
        **{"s-nama": "Mbah Sarinah", "s-tanggal_lahir": "1948-05-02", "s-jenis_kelamin": "P"},
    )
    response = client.post(reverse("assessments:case-update", args=[case.pk]), data)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.DIAJUKAN and case.versi == 2
    page = staff_page = _client(client, people["staf"]).get(
        reverse("assessments:case-detail", args=[case.pk])
    )
    staff_page = page.content.decode()
    assert "Perubahan pada versi 2" in staff_page and "Dinding bambu" in staff_page


def test_a_consent_is_not_dated_before_the_text_it_was_given_to(client, people):
    """Every save stamped the text shown now, so a consent of 8 October read "teks versi
    2026-11", a text of November (a browser walk found it in a data copy): a new consent dated
    before its text is refused, and a fix that leaves the consent alone keeps its version."""
    from assessments.forms import CONSENT_SINCE, CONSENT_VERSION

    c = _client(client, people["psm_a"])
    early = (CONSENT_SINCE - dt.timedelta(days=1)).isoformat()
    response = c.post(
        reverse("assessments:case-create"),
        _form(persetujuan_pada=early, **{"s-nama": "Mbah Awal"}),
    )
    body = response.content.decode()
    assert response.status_code == 400 and not Asesmen.objects.filter(subjek__nama="Mbah Awal")
    assert "Teks persetujuan di atas berlaku sejak 1 November 2026" in body
    assert 'value="Mbah Awal"' in body and f'value="{early}"' in body
    # A draft recorded on an older text: fixing its problem keeps the consent and its version.
    older = make_case(
        people["psm_a"],
        submit=False,
        persetujuan_pada=CONSENT_SINCE - dt.timedelta(days=30),
        persetujuan_versi="2026-01",
    )
    kept = {
        "client_uuid": str(older.client_uuid),
        "persetujuan_oleh": older.persetujuan_oleh,
        "persetujuan_nama": older.persetujuan_nama,
        "persetujuan_pada": older.persetujuan_pada.isoformat(),
        "aksi": "draf",
    }
    url = reverse("assessments:case-update", args=[older.pk])
    assert c.post(url, _form(masalah="Diperbaiki.", **kept)).status_code == 302
    older.refresh_from_db()
    assert (older.masalah, older.persetujuan_versi) == ("Diperbaiki.", "2026-01")
    # Consent given again, today: the text shown now.
    today = dt.date.today().isoformat()
    assert c.post(url, _form(**{**kept, "persetujuan_pada": today})).status_code == 302
    older.refresh_from_db()
    assert older.persetujuan_versi == CONSENT_VERSION


def test_staff_cannot_edit_a_psm_case(client, people):
    case = make_case(people["psm_a"])
    response = _client(client, people["staf"]).post(
        reverse("assessments:case-update", args=[case.pk]), _form()
    )
    assert response.status_code == 302  # back to the case page: the author edits it
    case.refresh_from_db()
    assert case.masalah != "Hidup sendiri tanpa penghasilan."


def test_an_office_account_that_is_also_a_psm_keeps_its_own_drafts(client, people):
    from tests.factories import PsmFactory

    staff = people["staf"]
    staff.psm = PsmFactory(nama="Staf Juga PSM")
    staff.save()
    draft = make_case(staff, submit=False, subject={"nama": "Draf Staf"})
    assert draft.psm_id == staff.psm_id
    page = _client(client, staff).get(reverse("assessments:case-detail", args=[draft.pk]))
    assert page.status_code == 200


def test_a_psm_draft_is_theirs_until_submitted(client, people):
    """The office sees a PSM's case once it is submitted: not in its list, its exports or at its
    address before. An office draft (a case the office records itself) is the office's."""
    draft = make_case(people["psm_a"], submit=False, subject={"nama": "Belum Dikirim"})
    office_draft = make_case(people["staf"], submit=False, subject={"nama": "Draf Kantor"})
    staff = _client(client, people["staf"])
    listing = staff.get(reverse("assessments:case-list")).content.decode()
    assert "Belum Dikirim" not in listing and "Draf Kantor" in listing
    assert staff.get(reverse("assessments:case-detail", args=[draft.pk])).status_code == 404
    assert staff.get(reverse("assessments:case-detail", args=[office_draft.pk])).status_code == 200
    # nor the person drafted (from a review: the subject's page showed their name and NIK,
    # and subject numbers run in order)
    subject_url = reverse("assessments:subject-detail", args=[draft.subjek_id])
    assert staff.get(subject_url).status_code == 404
    mine = _client(client, people["psm_a"]).get(reverse("assessments:case-list"))
    assert "Belum Dikirim" in mine.content.decode()
    services.assessment_transition(asesmen=draft, ke=S.DIAJUKAN, by=people["psm_a"])
    staff = _client(client, people["staf"])
    assert staff.get(reverse("assessments:case-detail", args=[draft.pk])).status_code == 200
    assert staff.get(subject_url).status_code == 200


def test_a_stale_review_is_refused_with_who_acted(client, people):
    case = make_case(people["psm_a"])
    _client(client, people["staf2"]).post(
        reverse("assessments:case-review", args=[case.pk]),
        {"ke": "diverifikasi", "status_awal": "diajukan"},
    )
    client.force_login(people["staf"])
    response = client.post(
        reverse("assessments:case-review", args=[case.pk]),
        {"ke": "dikembalikan", "status_awal": "diajukan", "catatan": "x"},
        follow=True,
    )
    assert "baru saja diproses" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.DIVERIFIKASI


def test_bulk_verify_from_the_queue_oldest_first(client, people):
    cases = [make_case(people["psm_a"], subject={"nama": f"Warga {i}"}) for i in range(3)]
    c = _client(client, people["staf"])
    page = c.get(reverse("assessments:queue")).content.decode()
    assert page.index("Warga 0") < page.index("Warga 2")
    ticks = _queue_ticks(page)
    response = c.post(
        reverse("assessments:queue"),
        {"kasus": [ticks[cases[0].pk], ticks[cases[1].pk]]},
        follow=True,
    )
    assert "2 kasus diverifikasi." in response.content.decode()
    assert Asesmen.objects.filter(status=S.DIVERIFIKASI).count() == 2


def test_the_queue_puts_emergencies_first_then_the_oldest_waiting(client, people):
    """An emergency reported today was listed after every case that had waited longer: on a
    queue of a month's cases, on page three."""
    now = timezone.now()
    waited = {  # name: (urgency, days waiting)
        "Biasa Lama": ("biasa", 30),
        "Segera Baru": ("segera", 1),
        "Darurat Baru": ("darurat", 0),
        "Segera Lama": ("segera", 10),
        "Biasa Baru": ("biasa", 2),
        "Darurat Lama": ("darurat", 3),
    }
    for name, (urgensi, days) in waited.items():
        case = make_case(people["psm_a"], urgensi=urgensi, subject={"nama": name})
        sent = now - dt.timedelta(days=days)
        Asesmen.objects.filter(pk=case.pk).update(status_sejak=sent, diajukan_pada=sent)
    page = _client(client, people["staf"]).get(reverse("assessments:queue")).content.decode()
    order = [
        "Darurat Lama",
        "Darurat Baru",
        "Segera Lama",
        "Segera Baru",
        "Biasa Lama",
        "Biasa Baru",
    ]
    assert sorted(order, key=page.index) == order
    assert "yang darurat di atas" in page
    # one urgency shown: the sentence says what orders it then
    one = _client(client, people["staf"]).get(reverse("assessments:queue"), {"urgensi": "segera"})
    assert "2 kasus menunggu, yang paling lama sejak diajukan di atas." in one.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_queue_order_is_read_from_its_index_not_sorted(people):
    """At the national preset the queue's 50 rows come off ``asesmen_antrean_urgensi_idx`` in
    order (0.4 ms); should the ORDER BY stop matching the index's expression (a change of
    the CASE, or parameters bound server-side), PostgreSQL sorts every waiting case instead."""
    from assessments import selectors

    make_case(people["psm_a"])

    def plan(page):
        sql, params = page.query.sql_with_params()
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")  # a sort the index cannot spare shows
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())

    every = plan(selectors.review_queue(people["staf"])[:50])
    assert "asesmen_antrean_urgensi_idx" in every and "Sort" not in every, every
    # one urgency: the wait since sent, off its own index
    one = plan(selectors.review_queue(people["staf"], urgensi="segera")[:50])
    assert "asesmen_menunggu_idx" in one and "Sort" not in one, one


def test_staff_see_what_waits_at_the_kecamatan_without_a_tick(client, people):
    """With the kecamatan step, the office's queue lists what waits there too: each had a tick,
    and verifying them answered "tidak berwenang ... Diverifikasi kecamatan"."""
    from psm_portal.models import Kantor

    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    waiting = make_case(people["psm_a"], subject={"nama": "Menunggu Kecamatan"})
    checked = make_case(people["psm_a"], subject={"nama": "Sudah Dicek"})
    services.assessment_transition(
        asesmen=checked, ke=S.DIVERIFIKASI_KECAMATAN, by=people["verifikator"]
    )
    staff_page = _client(client, people["staf"]).get(reverse("assessments:queue"))
    body = staff_page.content.decode()
    assert set(_queue_ticks(body)) == {checked.pk}
    row = body[body.index("Menunggu Kecamatan") :].split("</tr>")[0]
    assert "(menunggu verifikator kecamatan)" in row
    # the kecamatan verifier ticks them, as before
    verifier = _client(client, people["verifikator"]).get(reverse("assessments:queue"))
    assert waiting.pk in _queue_ticks(verifier.content.decode())


def test_a_wait_at_the_kecamatan_counts_in_the_offices_queue(client, people):
    """A walk: a case that waited ten days at the kecamatan showed "0 menit" once verified
    there, and came to the office after every case of its urgency sent since. The queue orders
    and filters by the wait since the case was sent, and says since when it is the office's."""
    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    now = timezone.now()

    def checked_at_kecamatan(nama, sent_days_ago):
        case = make_case(people["psm_a"], subject={"nama": nama})
        sent = now - dt.timedelta(days=sent_days_ago)
        Asesmen.objects.filter(pk=case.pk).update(diajukan_pada=sent)
        return services.assessment_transition(
            asesmen=Asesmen.objects.get(pk=case.pk),
            ke=S.DIVERIFIKASI_KECAMATAN,
            by=people["verifikator"],
        )

    long_wait = checked_at_kecamatan("Lama Di Kecamatan", 10)
    recent = checked_at_kecamatan("Baru Dicek", 2)
    Asesmen.objects.filter(pk=recent.pk).update(status_sejak=now - dt.timedelta(days=1))
    c = _client(client, people["staf"])
    body = c.get(reverse("assessments:queue")).content.decode()
    assert body.index("Lama Di Kecamatan") < body.index("Baru Dicek")
    row = body[body.index("Lama Di Kecamatan") :].split("</tr>")[0]
    assert "<td>1\xa0minggu, 3\xa0hari<div" in row and "di Dinas: 0\xa0menit</div>" in row
    longer = c.get(reverse("assessments:queue"), {"min_hari": 5}).content.decode()
    assert "Lama Di Kecamatan" in longer and "Baru Dicek" not in longer
    # the dashboard's oldest wait, which links to this queue, counts the same way
    from reports.selectors import dashboard

    figures = dashboard(people["staf"], tahun=now.year, kecamatan="", today=now.date())
    assert figures["antrean_tertua"] == 10
    # a supervisor's, who reviews nothing, counts what waits at the office too (it counted
    # only what waited at the kecamatan: 0 here)
    figures = dashboard(people["supervisor"], tahun=now.year, kecamatan="", today=now.date())
    assert (figures["antrean"], figures["antrean_tertua"]) == (2, 10)
    # a resubmission after a return waits from when it was sent again (the PSM held it)
    services.assessment_transition(
        asesmen=Asesmen.objects.get(pk=long_wait.pk), ke=S.DIKEMBALIKAN, by=people["staf"],
        catatan="Lengkapi kondisi rumah",
    )  # fmt: skip
    services.assessment_transition(
        asesmen=Asesmen.objects.get(pk=long_wait.pk), ke=S.DIAJUKAN, by=people["psm_a"]
    )
    assert Asesmen.objects.get(pk=long_wait.pk).diajukan_pada > now


def test_a_waiting_cases_sending_is_read_back_from_its_review_chain(people):
    """Migration 0014, run with historical models: each case's wait starts at its latest move
    to "diajukan" (a resubmission's, where it was returned), not at its status's start; a case
    whose chain has no such move, or a later one, keeps the time the queue counted until then."""
    sent_when_last_submitted = importlib.import_module(
        "assessments.migrations.0014_asesmen_diajukan_pada"
    ).sent_when_last_submitted
    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    now = timezone.now()
    at_kecamatan = make_case(people["psm_a"])
    services.assessment_transition(
        asesmen=at_kecamatan, ke=S.DIVERIFIKASI_KECAMATAN, by=people["verifikator"]
    )
    resent = make_case(people["psm_a"])
    resent = services.assessment_transition(
        asesmen=resent, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Lengkapi"
    )
    services.assessment_transition(asesmen=resent, ke=S.DIAJUKAN, by=people["psm_a"])
    no_chain = make_case(people["psm_a"])
    Transisi.objects.filter(asesmen=no_chain).delete()
    for case, sent in ((at_kecamatan, 9), (resent, 12)):
        Transisi.objects.filter(asesmen=case, ke=S.DIAJUKAN).update(
            created_at=now - dt.timedelta(days=sent)
        )
    resent_last = Transisi.objects.filter(asesmen=resent, ke=S.DIAJUKAN).latest("pk")
    Transisi.objects.filter(pk=resent_last.pk).update(created_at=now - dt.timedelta(days=3))
    Asesmen.objects.filter(pk=no_chain.pk).update(status_sejak=now - dt.timedelta(days=5))
    # demo data moved back in time: its status older than the chain's record of its sending
    moved_back = make_case(people["psm_a"])
    Asesmen.objects.filter(pk=moved_back.pk).update(status_sejak=now - dt.timedelta(days=6))
    # a case no longer waiting is not rewritten (nothing reads it there)
    done = services.assessment_transition(
        asesmen=make_case(people["psm_a"]), ke=S.DIKEMBALIKAN, by=people["staf"], catatan="x"
    )
    Asesmen.objects.update(diajukan_pada=None)
    loader = MigrationExecutor(connection).loader
    state = loader.project_state(("assessments", "0014_asesmen_diajukan_pada"))
    sent_when_last_submitted(state.apps, None)
    waited = {
        pk: sent and (now - sent).days
        for pk, sent in Asesmen.objects.values_list("pk", "diajukan_pada")
    }
    assert waited == {
        at_kecamatan.pk: 9,
        resent.pk: 3,
        no_chain.pk: 5,
        moved_back.pk: 6,
        done.pk: None,
    }


def test_the_office_verifies_what_no_verifier_account_can_reach(client, people):
    """Left open by a walk: with the kecamatan step, a case from a desa no verifier account
    covers waited for good, and staff could only read that it did. They verify it themselves
    now, from the queue or its page, and its step says why the kecamatan's is missing; where a
    verifier exists, the kecamatan still comes first."""
    from psm_portal.models import Role
    from registry.models import Wilayah
    from tests.factories import PsmFactory, make_user

    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    utara = PsmFactory(nama="Tono Utara", desa_kode="33.71.02.1003")
    kramat = Wilayah.objects.get(kode="33.71.02.1003")
    tono = make_user(Role.PSM, psm=utara)
    unreached = make_case(tono, subject={"nama": "Warga Utara", "desa": kramat})
    also = make_case(tono, subject={"nama": "Warga Utara Dua", "desa": kramat})
    reached = make_case(people["psm_a"], subject={"nama": "Warga Selatan"})
    c = _client(client, people["staf"])
    body = c.get(reverse("assessments:queue")).content.decode()
    assert set(_queue_ticks(body)) == {unreached.pk, also.pk}
    row = body[body.index("Warga Utara") :].split("</tr>")[0]
    assert (
        "belum ada akun verifikator untuk desa/kelurahan ini: Dinas memverifikasi langsung" in row
    )
    # its page offers the office's verification; a case the kecamatan can reach offers none
    page = c.get(reverse("assessments:case-detail", args=[unreached.pk])).content.decode()
    assert 'name="ke" value="diverifikasi"' in page
    page = c.get(reverse("assessments:case-detail", args=[reached.pk])).content.decode()
    assert 'name="ke" value="diverifikasi"' not in page
    with pytest.raises(ValidationError, match="sudah punya akun verifikator"):
        services.assessment_transition(asesmen=reached, ke=S.DIVERIFIKASI, by=people["staf"])

    answer = c.post(reverse("assessments:queue"), {"kasus": [_queue_ticks(body)[unreached.pk]]})
    assert answer.status_code == 302
    unreached.refresh_from_db()
    assert unreached.status == S.DIVERIFIKASI
    step = unreached.transisi_set.latest("pk")
    assert step.langsung and step.catatan == ""
    # said beside the step to whoever reads the chain, a role without the case's details too
    said = "<strong>Diverifikasi dinas</strong> (langsung oleh Dinas: belum ada akun verifikator"
    for reader in (people["staf"], people["supervisor"], tono):
        page = _client(client, reader).get(reverse("assessments:case-detail", args=[unreached.pk]))
        assert said in page.content.decode(), reader
    c = _client(client, people["staf"])
    # an administrator, who may take either step, verifies it as the office too
    third = make_case(tono, subject={"nama": "Warga Utara Tiga", "desa": kramat})
    admin = _client(client, make_user(Role.ADMIN, username="admin-uji"))
    ticks = _queue_ticks(admin.get(reverse("assessments:queue")).content.decode())
    admin.post(reverse("assessments:queue"), {"kasus": [ticks[third.pk]]})
    third.refresh_from_db()
    assert third.status == S.DIVERIFIKASI and third.transisi_set.latest("pk").langsung
    c = _client(client, people["staf"])
    # a verifier of that desa now: the kecamatan's step again, for what is left; a tick from
    # the page read before says so
    tick = _queue_ticks(body)[also.pk]
    make_user(Role.VERIFIKATOR, scope=[kramat.kode], username="verif-kramat")
    answer = c.post(reverse("assessments:queue"), {"kasus": [tick]}, follow=True)
    assert (
        f"#{also.pk}: Kasus ini menunggu verifikator kecamatan: desa/kelurahan ini sudah punya "
        "akun verifikator."
    ) in answer.content.decode()
    body = c.get(reverse("assessments:queue")).content.decode()
    assert set(_queue_ticks(body)) == set()
    assert "(menunggu verifikator kecamatan)" in body[body.index("Warga Utara Dua") :]


def test_staff_are_told_when_a_kecamatan_has_no_verifier_for_what_waits_there(client, people):
    """A walk: cases of a kecamatan with no verifier account waited for good, and staff's queue
    said only "menunggu verifikator kecamatan". A verifier of the kab/kota covers it too."""
    from psm_portal.models import Role
    from registry.models import Wilayah
    from tests.factories import PsmFactory, make_user

    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    utara = PsmFactory(nama="Tono Utara", desa_kode="33.71.02.1003")
    kramat = Wilayah.objects.get(kode="33.71.02.1003")
    make_case(make_user(Role.PSM, psm=utara), subject={"nama": "Warga Utara", "desa": kramat})
    make_case(people["psm_a"], subject={"nama": "Warga Selatan"})  # people's verifier's
    c = _client(client, people["staf"])
    body = c.get(reverse("assessments:queue")).content.decode()
    row = body[body.index("Warga Utara") :].split("</tr>")[0]
    nobody = "belum ada akun verifikator untuk desa/kelurahan ini"
    assert nobody in row
    row = body[body.index("Warga Selatan") :].split("</tr>")[0]
    assert "(menunggu verifikator kecamatan)" in row and nobody not in row
    # a verifier of one desa (the admin allows it) covers that desa, not its neighbours
    other = Wilayah.objects.filter(kode__startswith="33.71.02.", tingkat=4).exclude(pk=kramat.pk)[0]
    make_case(people["psm_a"], subject={"nama": "Warga Tetangga", "desa": other})
    make_user(Role.VERIFIKATOR, scope=[kramat.kode], username="verif-desa")
    body = c.get(reverse("assessments:queue")).content.decode()
    assert nobody not in body[body.index("Warga Utara") :].split("</tr>")[0]
    assert nobody in body[body.index("Warga Tetangga") :].split("</tr>")[0]
    make_user(Role.VERIFIKATOR, scope=["33.71"], username="verif-kota")
    assert nobody not in c.get(reverse("assessments:queue")).content.decode()
    # one query for the accounts, however many kecamatan the page's waiting rows are in
    with CaptureQueriesContext(connection) as two:
        c.get(reverse("assessments:queue"))
    tengah = Wilayah.objects.filter(kode__startswith="33.71.03.", tingkat=4).first()
    make_case(people["psm_a"], subject={"nama": "Warga Tengah", "desa": tengah})
    with CaptureQueriesContext(connection) as three:
        c.get(reverse("assessments:queue"))
    assert len(two) == len(three)


def test_a_case_page_says_why_its_author_has_no_review_buttons_and_why_it_was_closed(
    client, people
):
    """Staff who wrote a case found its review buttons gone with no word (four eyes); a closed
    case's page never said the reason chosen."""
    own = make_case(people["staf"], subject={"nama": "Dicatat Staf"})
    c = _client(client, people["staf"])
    page = c.get(reverse("assessments:case-detail", args=[own.pk])).content.decode()
    assert "Asesmen yang Anda tulis sendiri ditinjau oleh petugas lain." in page
    assert 'name="ke" value="diverifikasi"' not in page  # closing it is all they may do
    # a colleague reviews it, and sees no such note
    colleague = _client(client, people["staf2"])
    page = colleague.get(reverse("assessments:case-detail", args=[own.pk])).content.decode()
    assert 'id="h-tindakan"' in page and "ditinjau oleh petugas lain" not in page

    case = make_case(people["psm_a"])
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    services.assessment_transition(
        asesmen=case, ke=S.DITUTUP, by=people["staf"], alasan_tutup="pindah", catatan="Ke Jakarta"
    )
    page = c.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    assert "<strong>Ditutup</strong> (Pindah)" in page


def test_the_offices_comment_stands_under_its_field_on_the_returned_form(client, people):
    """On a phone the comments were listed at the top of a form seven screens long, away from
    the field each was about."""
    case = make_case(people["psm_a"])
    services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"],
        komentar={"kondisi_rumah": "Jelaskan <dinding> dan lantai"},
    )  # fmt: skip
    page = _client(client, people["psm_a"]).get(reverse("assessments:case-update", args=[case.pk]))
    body = page.content.decode()
    field = body[body.index('id="div_id_kondisi_rumah"') :].split('id="div_id_', 2)[1]
    assert "Catatan dinas: Jelaskan &lt;dinding&gt; dan lantai" in field
    assert "<dinding>" not in body  # escaped, as everywhere
    assert body.count("komentar-dinas") == 1  # under that field only


def _queue_ticks(page: str) -> dict[int, str]:
    """The queue page's checkbox values by case id."""
    import re

    return {int(v.split(":")[0]): v for v in re.findall(r'name="kasus" value="([^"]+)"', page)}


def test_bulk_verify_refuses_a_case_resubmitted_or_moved_on_since_the_queue_was_read(
    client, people
):
    changed, moved, untouched = (
        make_case(people["psm_a"], subject={"nama": f"Warga {i}"}) for i in range(3)
    )
    c = _client(client, people["staf"])
    ticks = _queue_ticks(c.get(reverse("assessments:queue")).content.decode())
    assert ticks[changed.pk] == f"{changed.pk}:{changed.versi}:diajukan"
    _returned_and_resubmitted(changed, people, {"kondisi_rumah": "Dinding bambu"})
    services.assessment_transition(
        asesmen=moved, ke=S.DIKEMBALIKAN, by=people["staf2"], catatan="Foto rumah kurang jelas."
    )
    c = _client(client, people["staf"])
    response = c.post(reverse("assessments:queue"), {"kasus": list(ticks.values())}, follow=True)
    body = response.content.decode()
    assert "1 kasus diverifikasi." in body
    assert f"#{changed.pk}: Kasus ini sudah diperbaiki dan diajukan lagi" in body
    assert f"#{moved.pk}: Kasus ini baru saja diproses oleh" in body
    statuses = dict(Asesmen.objects.values_list("pk", "status"))
    assert statuses == {
        changed.pk: S.DIAJUKAN,
        moved.pk: S.DIKEMBALIKAN,
        untouched.pk: S.DIVERIFIKASI,
    }


def test_bulk_verify_with_the_kecamatan_level_takes_one_step_per_reviewer(client, people):
    from psm_portal.models import Kantor

    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    case = make_case(people["psm_a"])
    for reviewer, now in (("verifikator", S.DIVERIFIKASI_KECAMATAN), ("staf", S.DIVERIFIKASI)):
        c = _client(client, people[reviewer])
        tick = _queue_ticks(c.get(reverse("assessments:queue")).content.decode())[case.pk]
        response = c.post(reverse("assessments:queue"), {"kasus": tick}, follow=True)
        assert "1 kasus diverifikasi." in response.content.decode()
        case.refresh_from_db()
        assert case.status == now


def test_bulk_verify_ignores_ticks_without_what_the_page_showed(client, people):
    case = make_case(people["psm_a"])
    c = _client(client, people["staf"])
    for tick in (
        str(case.pk),
        f"{case.pk}:x:diajukan",
        f"{case.pk}:1:bukan",
        f"{case.pk}:-1:diajukan",
    ):
        response = c.post(reverse("assessments:queue"), {"kasus": tick}, follow=True)
        assert "Halaman antrean ini sudah lama; muat ulang" in response.content.decode()
    nothing = c.post(reverse("assessments:queue"), {}, follow=True)
    assert "Pilih paling sedikit satu kasus." in nothing.content.decode()
    case.refresh_from_db()
    assert case.status == S.DIAJUKAN


def test_a_queue_row_shows_its_categories_main_in_bold_and_labels(client, people):
    main, other = KategoriPpks.objects.get(kode="PPKS-08"), KategoriPpks.objects.get(kode="PPKS-01")
    make_case(
        people["psm_a"],
        subject={"nama": "Warga Antre"},
        kategori=("PPKS-08", "PPKS-01"),
        kategori_utama=main,
    )
    page = _client(client, people["staf"]).get(reverse("assessments:queue")).content.decode()
    row = page[page.index("Warga Antre") :].split("</tr>")[0]
    assert f'<span class="fw-semibold">{main.singkatan}</span>' in row
    assert f"<span>{other.singkatan}</span>" in row
    assert "Segera" in row and "Diajukan" in row


def test_a_queue_row_links_its_case_escapes_names_and_flags_emergencies(client, people):
    case = make_case(
        people["psm_a"], subject={"nama": '<script>alert("x")</script> & Putri'}, urgensi="darurat"
    )
    page = _client(client, people["staf"]).get(reverse("assessments:queue")).content.decode()
    start = page.rindex("<tr>", 0, page.index(f'value="{case.pk}:'))
    row = page[start:].split("</tr>")[0]
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Putri</a>" in row
    assert 'aria-label="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Putri"' in row
    assert f'<a href="{reverse("assessments:case-detail", args=[case.pk])}">' in row
    assert '<span class="badge text-bg-danger">Darurat</span>' in row
    assert people["psm_a"].psm.nama in row
    assert "menit" in row  # waiting since it was submitted


def test_a_queue_row_prints_a_missing_value_as_the_template_did():
    """A desa without a parent printed "None" through the template; it must not break the page."""
    from django.utils import timezone

    from assessments.templatetags.case_rows import queue_rows

    now = timezone.now()
    row = {
        "pk": 7,
        "versi": 1,
        "status": "diajukan",
        "subjek_nama": "Warga",
        "psm_nama": None,
        "kategori": [],
        "desa_nama": "Desa <Lama>",
        "kecamatan_nama": None,
        "urgensi": "biasa",
        "urgensi_label": "Biasa",
        "status_label": "Diajukan",
        "status_sejak": now,
        "diajukan_pada": now,
    }
    html = queue_rows([row], now)
    assert "<td>Desa &lt;Lama&gt;, None</td>" in html
    assert '<div class="small text-body-secondary">#7</div>' in html  # no PSM: the number


def test_a_reviewers_own_cases_wait_in_the_queue_without_a_tick(client, people):
    """A walk: 16 of 18 rows in staff's queue were cases they wrote themselves, each with a
    tick that only earned "#21: Asesmen yang Anda tulis sendiri ditinjau oleh petugas lain",
    and the queue showed no case numbers to find #21 by. Now such a row says whose review it
    waits for, every row shows its number and who submitted it, and a page with nothing to
    tick has no button."""
    own = make_case(people["staf"], subject={"nama": "Warga Tulisan Staf"})
    queue = reverse("assessments:queue")
    body = _client(client, people["staf"]).get(queue).content.decode()
    row = body[body.index("Warga Tulisan Staf") :].split("</tr>")[0]
    assert f'value="{own.pk}:' not in body
    assert "(tulisan Anda; ditinjau petugas lain)" in row and f"#{own.pk}</div>" in row
    assert "Verifikasi yang dipilih" not in body
    # the same case is another reviewer's to tick
    other = _client(client, people["staf2"]).get(queue).content.decode()
    assert f'value="{own.pk}:' in other and "Verifikasi yang dipilih" in other

    psms = make_case(people["psm_a"], subject={"nama": "Warga Tulisan PSM"})
    body = _client(client, people["staf"]).get(queue).content.decode()
    row = body[body.index("Warga Tulisan PSM") :].split("</tr>")[0]
    assert f'value="{psms.pk}:' in body and "Verifikasi yang dipilih" in body
    assert f"#{psms.pk} · PSM: Sri Lestari</div>" in row


def _referred_to_pkh(people):
    """A verified case of ``psm_a`` referred to PKH today: (case, referral)."""
    case = make_case(people["psm_a"])
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    referral = services.referral_create(
        asesmen=case,
        data={
            "program": Program.objects.get(kode="PKH"),
            "tujuan_instansi": "Pendamping PKH",
            "tanggal": dt.date.today(),
            "nomor_surat": "",
        },
        by=people["staf"],
        today=dt.date.today(),
    )
    case.refresh_from_db()
    return case, referral


def test_stalled_referrals_appear_after_the_office_deadline(client, people, office):
    case, referral = _referred_to_pkh(people)
    c = _client(client, people["staf"])
    assert (
        "Tidak ada rujukan yang macet."
        in c.get(reverse("assessments:referrals-stalled")).content.decode()
    )
    Rujukan.objects.filter(pk=referral.pk).update(
        status_sejak=dt.date.today() - dt.timedelta(days=office.rujukan_macet_hari + 1)
    )
    body = c.get(reverse("assessments:referrals-stalled")).content.decode()
    assert "Program Keluarga Harapan (PKH)" in body and f"Kasus #{case.pk}" in body


# --- query counts ----------------------------------------------------------------------------


@pytest.fixture
def many_cases(people):
    cases = []
    for i in range(6):
        user = people["psm_a"] if i % 2 else people["psm_b"]
        cases.append(
            make_case(user, kategori=("PPKS-08", "PPKS-24"), subject={"nama": f"Warga {i}"})
        )
    return cases


def test_queue_query_count_is_constant(client, people, many_cases, django_assert_num_queries):
    c = _client(client, people["staf"])
    c.get(reverse("assessments:queue"))
    # session, user, scope, office, count, kecamatan, categories, cases, their categories, and
    # the day's audit entries of the specific categories named (Fakir Miskin, PPKS-24: income),
    # which the first view wrote (one INSERT) and this one finds
    with django_assert_num_queries(10):
        c.get(reverse("assessments:queue"))


def test_a_queue_filter_it_does_not_offer_is_not_applied(client, people):
    """A walk: `?kategori=<script>` or `?kecamatan=xyz` in the address gave "0 kasus
    menunggu" while every filter read "Semua"."""
    make_case(people["psm_a"], subject={"nama": "Warga Antre"})
    c = _client(client, people["staf"])
    for query in ("kategori=%3Cscript%3E", "kecamatan=xyz", "urgensi=sangat", "kecamatan=33.12.01"):
        body = c.get(reverse("assessments:queue") + "?" + query).content.decode()
        assert "1 kasus menunggu" in body and "Warga Antre" in body, query
        assert " selected>" not in body.split("</form>")[0], query  # every filter on "Semua"
    chosen = c.get(reverse("assessments:queue") + "?kategori=PPKS-01").content.decode()
    assert "0 kasus menunggu" in chosen and '<option value="PPKS-01" selected>' in chosen


def test_case_page_query_count_is_constant(client, people, many_cases, django_assert_num_queries):
    """With several rows of each list the page shows (with one each, a read per row could not
    show, a review found)."""
    case = many_cases[0]
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf2"])
    for program in ("PKH", "ATENSI", "DTSEN"):
        refer_to_pkh(
            case, people["staf2"], today=dt.date.today(), program=Program.objects.get(kode=program)
        )
    for _ in range(3):
        _photo_of(case)
    c = _client(client, people["staf"])
    url = reverse("assessments:case-detail", args=[case.pk])
    c.get(url)
    # session, user, scope, case, categories, disabilities, aid, photos, transitions,
    # referrals, their steps, audit of a sensitive read, office; a case submitted once has no
    # versions to compare, so none are read
    with django_assert_num_queries(13):
        response = c.get(url)
    assert len(response.context["referrals"]) == 3 and len(response.context["photos"]) == 3


def test_a_waiting_case_pages_query_count_with_the_kecamatan_step(
    client, people, django_assert_num_queries
):
    """From a review: whether the office may verify in the kecamatan's stead is one query, on a
    waiting case's page for staff, the same for a desa a verifier covers or not."""
    from psm_portal.models import Role
    from registry.models import Wilayah
    from tests.factories import PsmFactory, make_user

    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    kramat = Wilayah.objects.get(kode="33.71.02.1003")
    tono = make_user(Role.PSM, psm=PsmFactory(desa_kode=kramat.kode))
    c = _client(client, people["staf"])
    for case in (
        make_case(people["psm_a"]),  # a verifier covers it
        make_case(tono, subject={"nama": "Warga Utara", "desa": kramat}),  # none does
    ):
        url = reverse("assessments:case-detail", args=[case.pk])
        c.get(url)
        # session, user, scope, case, categories, disabilities, aid, photos, transitions,
        # referrals, office, verifier accounts of its desa
        with django_assert_num_queries(12):
            c.get(url)


def test_a_resubmitted_case_reads_its_last_two_versions(client, people, django_assert_num_queries):
    case = make_case(people["psm_a"], kategori=("PPKS-08", "PPKS-24"))
    case = _returned_and_resubmitted(
        case,
        people,
        {"kondisi_rumah": "Dinding bambu, lantai tanah"},
        kategori=("PPKS-08", "PPKS-24"),
    )
    assert case.versi == 2
    c = _client(client, people["staf"])
    url = reverse("assessments:case-detail", args=[case.pk])
    c.get(url)
    # the two versions, and the subject's identity changed between them (from the trail)
    with django_assert_num_queries(14):
        response = c.get(url)
    assert "Perubahan pada versi 2" in response.content.decode()


def test_a_reviewer_who_read_the_first_version_cannot_verify_the_resubmitted_one(client, people):
    case = make_case(people["psm_a"], kategori=("PPKS-08",))
    page = _client(client, people["staf"]).get(reverse("assessments:case-detail", args=[case.pk]))
    assert 'name="versi_awal" value="1"' in page.content.decode()
    _returned_and_resubmitted(case, people, {"kondisi_rumah": "Dinding bambu"})
    url = reverse("assessments:case-review", args=[case.pk])
    stale = {"ke": "diverifikasi", "status_awal": "diajukan", "versi_awal": "1"}
    answer = client.post(url, stale, follow=True)
    assert "sudah diperbaiki dan diajukan lagi (versi 2)" in answer.content.decode()
    assert Asesmen.objects.get(pk=case.pk).status == S.DIAJUKAN
    client.post(url, {**stale, "versi_awal": "2"})
    assert Asesmen.objects.get(pk=case.pk).status == S.DIVERIFIKASI


def test_a_refused_review_step_keeps_what_the_reviewer_typed(client, people):
    case = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    c = _client(client, people["staf"])
    refused = c.post(
        reverse("assessments:case-review", args=[case.pk]),
        {
            "ke": "ditutup",
            "status_awal": "diverifikasi",
            "versi_awal": str(case.versi),
            "alasan_tutup": "ditangani",
            "catatan": "Sudah menerima sembako <b>Oktober</b>",
        },
        follow=True,
    )
    body = refused.content.decode()
    assert "harus dikunjungi dulu" in body  # remote: a visit first
    assert '<details class="mb-2" open>' in body
    assert "Sudah menerima sembako &lt;b&gt;Oktober&lt;/b&gt;</textarea>" in body
    assert '<option value="ditangani" selected>' in body
    too_long = c.post(
        reverse("assessments:case-review", args=[case.pk]),
        {"ke": "ditutup", "status_awal": "diverifikasi", "catatan": "x" * 1999 + "yz"},
        follow=True,
    ).content.decode()
    assert "Tindakan tidak dikenal" not in too_long and "2000" in too_long
    # whole, to be shortened: the end typed past the limit was cut off and lost
    assert ">" + "x" * 1999 + "yz</textarea>" in too_long
    # Shown once: the next visit of the page starts empty again.
    again = c.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    assert "Sudah menerima sembako" not in again
    assert Asesmen.objects.get(pk=case.pk).status == S.DIVERIFIKASI


def test_a_return_without_a_word_reopens_its_panel_next_to_the_message(client, people):
    case = make_case(people["psm_a"])
    body = (
        _client(client, people["staf"])
        .post(
            reverse("assessments:case-review", args=[case.pk]),
            {"ke": "dikembalikan", "status_awal": "diajukan", "versi_awal": str(case.versi)},
            follow=True,
        )
        .content.decode()
    )
    assert "Tuliskan apa yang perlu diperbaiki" in body
    assert '<details class="mb-2" open><summary class="btn btn-outline-warning' in body


def test_a_refused_visit_keeps_its_date_and_note(client, people):
    case = make_case(people["psm_a"], jenis="jarak_jauh", metode_kontak="telepon")
    later = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    c = _client(client, people["psm_a"])
    body = c.post(
        reverse("assessments:case-visit", args=[case.pk]),
        {"tanggal": later, "catatan": "Rumah sudah diperbaiki warga"},
        follow=True,
    ).content.decode()
    assert "masa depan" in body
    assert f'value="{later}"' in body and "Rumah sudah diperbaiki warga" in body
    assert (
        "Rumah sudah diperbaiki warga"
        not in c.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    )


def test_psm_case_list_query_count_is_constant(
    client, people, many_cases, django_assert_num_queries
):
    c = _client(client, people["psm_a"])
    c.get(reverse("assessments:case-list"))
    with django_assert_num_queries(4):  # session, user, cases, their last return
        c.get(reverse("assessments:case-list"))


def test_records_numbered_past_a_hundred_years_of_days_open(client, people):
    """Record ids are not capped like the queue's day filter (a national office passes 36,500
    subjects in its first weeks)."""
    subject = Subjek.objects.create(pk=40000, dibuat_oleh=people["psm_a"], **subject_data())
    make_case(people["psm_a"], subjek=subject)
    c = _client(client, people["staf"])
    assert c.get(reverse("assessments:subject-detail", args=[40000])).status_code == 200
    client.force_login(people["psm_a"])
    answer = client.get(reverse("assessments:case-create"), {"subjek": "40000"})
    assert answer.status_code == 200 and answer.context["subject"] == subject


def test_queue_ignores_an_absurd_waiting_time(client, people):
    c = _client(client, people["staf"])
    for value in ("999999999999999999999999", "-3", "x"):
        assert c.get(reverse("assessments:queue"), {"min_hari": value}).status_code == 200


def test_a_reviewers_comment_links_to_the_field_it_is_about(client, people):
    """The comment sits at the top of a form five screens long: it links to its field."""
    case = make_case(people["psm_a"], subject={"nama": "Mbah Kromo"})
    services.assessment_transition(
        asesmen=case,
        ke=S.DIKEMBALIKAN,
        by=people["staf"],
        komentar={"kondisi_fisik": "Sebutkan berat badan"},
    )
    body = (
        _client(client, people["psm_a"])
        .get(reverse("assessments:case-update", args=[case.pk]))
        .content.decode()
    )
    comments = body[body.index('id="komentar-pengembalian"') :].split("</div>")[0]
    assert 'href="#div_id_kondisi_fisik" class="alert-link">' in comments
    assert "Sebutkan berat badan" in comments
    assert 'id="div_id_kondisi_fisik"' in body


def test_a_sensitive_category_is_not_shown_beside_a_name_to_who_may_not_see_it(client, people):
    """The case list and a subject's page name each case's primary category. ODHA beside a
    person's name is health data (UU 27/2022): a supervisor, who may not open the case's
    details, reads "data spesifik" there, as on the case page; staff read the category."""
    odha = make_case(
        people["psm_a"],
        kategori=("PPKS-16",),
        subject={"nama": "Warga Rahasia", "tanggal_lahir": dt.date(1980, 1, 1)},
    )
    make_case(people["psm_a"], subject={"nama": "Warga Biasa"})
    pages = (
        reverse("assessments:case-list"),
        reverse("assessments:subject-detail", args=[odha.subjek_id]),
    )
    for url in pages:
        body = _client(client, people["supervisor"]).get(url).content.decode()
        assert "Warga Rahasia" in body and "ODHA" not in body and "data spesifik" in body
        body = _client(client, people["staf"]).get(url).content.decode()
        assert "ODHA" in body
    body = _client(client, people["supervisor"]).get(pages[0]).content.decode()
    assert "LUT" in body  # an ordinary category stays readable


def test_a_subjects_page_naming_a_specific_category_is_an_audited_read(client, people):
    """A walk asked: the case page audits a read of an ODHA case, but the person's page, which
    names ODHA beside their cases, left no trace. Now it is in the subject's trail, with the
    cases named; a role shown "data spesifik" instead read nothing, and leaves nothing."""
    odha = make_case(people["psm_a"], kategori=("PPKS-16",), subject={"nama": "Warga Rahasia"})
    make_case(people["psm_a"], subjek=odha.subjek)  # LUT: general data, not in the entry
    url = reverse("assessments:subject-detail", args=[odha.subjek_id])
    reads = AuditEvent.objects.filter(action="subjek.view_sensitive", target_id=str(odha.subjek_id))
    assert "data spesifik" in _client(client, people["supervisor"]).get(url).content.decode()
    assert not reads.exists()
    for reader in (people["staf"], people["psm_a"]):  # the office, and the case's own PSM
        assert "ODHA" in _client(client, reader).get(url).content.decode()
        read = reads.get(actor_id=reader.pk)
        assert read.after == {"data_spesifik": ["kesehatan"], "asesmen": [odha.pk]}


def test_a_sensitive_category_is_not_named_on_the_case_page_to_who_may_not_see_it(client, people):
    """The details were hidden from a supervisor, but the category list above them still read
    "Orang dengan HIV/AIDS (ODHA) · utama": now it counts such categories without naming
    them, and names the others."""
    case = make_case(people["psm_a"], kategori=("PPKS-16", "PPKS-08"))
    url = reverse("assessments:case-detail", args=[case.pk])
    body = _client(client, people["supervisor"]).get(url).content.decode()
    assert "ODHA" not in body and "HIV" not in body
    assert "1 kategori berisi data spesifik" in body
    assert "(LUT)" in body  # PPKS-08, not specific data, is named
    body = _client(client, people["staf"]).get(url).content.decode()
    assert "Orang dengan HIV/AIDS (ODHA)" in body


def test_a_child_does_not_consent_for_themselves(client, people):
    """UU 27/2022 Pasal 25: for a 12-year-old the consent comes from a parent or guardian (as the
    consent text says), not the child nor a companion. The form says so on the consent field
    and keeps the rest; a draft saved with it cannot be submitted from its page either."""
    c = _client(client, people["psm_a"])
    child = {
        "s-nama": "Bima Anak",
        "s-tanggal_lahir": "2014-05-01",
        "persetujuan_nama": "Bima Anak",
        "kategori": ["PPKS-03"],
        "kategori_utama": "PPKS-03",
        "konfirmasi_peringatan": "on",
    }
    refused = c.post(reverse("assessments:case-create"), _form(**child))
    assert refused.status_code == 400 and not Asesmen.objects.exists()
    assert "persetujuan untuk anak diberikan oleh orang tua atau wali anak" in str(
        refused.context["form"].errors["persetujuan_oleh"]
    )
    by_companion = _form(**{**child, "persetujuan_oleh": "pendamping"})
    assert c.post(reverse("assessments:case-create"), by_companion).status_code == 400
    assert 'value="Bima Anak"' in refused.content.decode()
    by_parent = _form(**{**child, "persetujuan_oleh": "orang_tua", "persetujuan_nama": "Ibu Bima"})
    assert c.post(reverse("assessments:case-create"), by_parent).status_code == 302
    draft = make_case(people["psm_a"], submit=False, subject={"tanggal_lahir": dt.date(2014, 5, 1)})
    Asesmen.objects.filter(pk=draft.pk).update(persetujuan_oleh="subjek")
    draft.refresh_from_db()
    with pytest.raises(ValidationError):
        services.assessment_transition(asesmen=draft, ke=S.DIAJUKAN, by=people["psm_a"])


def test_a_closed_cases_open_referral_can_still_be_answered(client, people):
    """The programme answers after the office closed the case: the referral keeps its form
    (it had none, and stayed "macet" for good), which offers only the steps it can take, takes
    a proof PDF, and refuses an answer typed on a page older than someone else's."""
    case, referral = _referred_to_pkh(people)
    services.assessment_transition(
        asesmen=case, ke=S.DITUTUP, by=people["staf"], alasan_tutup="meninggal"
    )
    c = _client(client, people["staf"])
    page = c.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    update = reverse("assessments:referral-update", args=[referral.pk])
    assert update in page and 'name="bukti"' in page
    assert '<option value="selesai"' not in page  # not a step from "diusulkan"
    assert '<option value="diterima"' in page
    shown = services.referral_version(referral)
    assert f'name="versi_awal" value="{shown}"' in page
    c.post(update, {"status": "diproses", "versi_awal": shown, "hasil": "Dicek"})
    # From another page drawn before that answer, even one keeping the same status.
    older = {"status": "diproses", "versi_awal": shown, "hasil": "Lama"}
    stale = c.post(update, older, follow=True)
    assert "baru saja diperbarui orang lain" in stale.content.decode()
    assert 'value="Lama"' in stale.content.decode()  # what was typed waits in its form
    referral.refresh_from_db()
    assert (referral.status, referral.hasil) == ("diproses", "Dicek")


def test_a_referrals_steps_say_who_took_them_and_since_when(client, people):
    """A walk: a referral's steps (diproses, diterima) named neither who recorded them nor
    when; only its current status had a date, and the audit trail, which staff do not read,
    the rest. A result rewritten without a new status is not a step."""
    case, referral = _referred_to_pkh(people)
    User.objects.filter(pk=people["staf"].pk).update(first_name="Rina", last_name="Kusuma")
    on = dt.date.today()
    for status, by, hasil in (
        ("diproses", people["staf2"], "Data dikirim ke pendamping"),
        ("diproses", people["staf"], "Data dikirim ulang"),
        ("diterima", people["staf"], "Masuk KPM tahap 2"),
    ):
        services.referral_update(rujukan=referral, status=status, hasil=hasil, by=by, today=on)
    body = _client(client, people["supervisor"]).get(
        reverse("assessments:case-detail", args=[case.pk])
    )
    steps = body.content.decode().split(
        'class="list-unstyled text-body-secondary mb-1 referral-steps"'
    )[1]
    steps = steps[: steps.index("</ol>")]
    day = date_format(on, "j F Y")
    result = '<div class="text-body text-free referral-result">'
    assert steps.count("<li>") == 3
    assert f"<li>Diusulkan · {day} · Rina Kusuma</li>" in steps
    # each answer with its step (the first was overwritten by the second, typed on that step
    # again); before, only the latest answer of all was kept
    assert f"<li>Diproses · {day} · staf-kota-2{result}Data dikirim ulang</div></li>" in steps
    assert f"<li>Diterima · {day} · Rina Kusuma{result}Masuk KPM tahap 2</div></li>" in steps
    assert steps.index("Diproses") < steps.index("Diterima")
    # a step taken with the answer unchanged keeps it where it was given
    services.referral_update(
        rujukan=referral, status="selesai", hasil="Masuk KPM tahap 2", by=people["staf"], today=on
    )
    body = _client(client, people["staf"]).get(reverse("assessments:case-detail", args=[case.pk]))
    assert f"<li>Selesai · {day} · Rina Kusuma</li>" in body.content.decode()
    assert body.content.decode().count("Masuk KPM tahap 2") == 1


def test_a_referrals_answer_so_far_moves_to_its_latest_step(people):
    """Migration 0013, run with historical models: the one answer kept before steps had their
    own stands with the latest step; the steps before it have none."""
    result_on_its_step = importlib.import_module(
        "assessments.migrations.0013_langkah_rujukan_hasil"
    ).result_on_its_step
    _case, referral = _referred_to_pkh(people)
    services.referral_update(
        rujukan=referral, status="diproses", hasil="", by=people["staf"], today=dt.date.today()
    )
    Rujukan.objects.filter(pk=referral.pk).update(hasil="Masuk verifikasi pendamping")
    loader = MigrationExecutor(connection).loader
    result_on_its_step(loader.project_state(loader.graph.leaf_nodes("assessments")[0]).apps, None)
    assert _answers(referral) == [("diusulkan", ""), ("diproses", "Masuk verifikasi pendamping")]


def _answers(referral):
    return list(referral.langkah_set.order_by("pk").values_list("status", "hasil"))


def test_an_answer_corrected_or_cleared_is_so_where_it_stands(people):
    """From a review: an answer left as the form showed it stays with its step; corrected or
    cleared later without a new step, only the latest step was rewritten, so a wrong answer
    about a person stood on the earlier step for good. A refusal carries its reason even when
    the text was left as shown."""
    case, referral = _referred_to_pkh(people)
    on, by = dt.date.today(), people["staf"]

    def update(status, hasil, referral=referral):
        services.referral_update(rujukan=referral, status=status, hasil=hasil, by=by, today=on)

    update("diproses", "Berkas dikirim ke pendamping, a.n. Sarinha")
    update("diterima", "Berkas dikirim ke pendamping, a.n. Sarinha")  # left as shown
    assert _answers(referral) == [
        ("diusulkan", ""),
        ("diproses", "Berkas dikirim ke pendamping, a.n. Sarinha"),
        ("diterima", ""),
    ]
    update("diterima", "Berkas dikirim ke pendamping, a.n. Sarinah")  # the name's typo
    assert _answers(referral)[1:] == [
        ("diproses", "Berkas dikirim ke pendamping, a.n. Sarinah"),
        ("diterima", ""),
    ]
    update("diterima", "")  # typed about the wrong person: cleared where it stood
    assert [hasil for _status, hasil in _answers(referral)] == ["", "", ""]

    refused = refer_to_pkh(case, by, today=on, program=Program.objects.get(kode="ATENSI"))
    update("diproses", "Di luar kriteria ATENSI", referral=refused)
    update("ditolak", "Di luar kriteria ATENSI", referral=refused)  # left as shown: its reason
    assert _answers(refused)[-1] == ("ditolak", "Di luar kriteria ATENSI")


def test_a_referrals_answers_are_shown_only_with_the_cases_details(client, people):
    """A programme's answer is about the person: on a case whose details a role may not see
    (an ODHA case, to a supervisor), its steps are listed without the answers."""
    case = make_case(people["psm_a"], kategori=("PPKS-16",))
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    referral = refer_to_pkh(case, people["staf"], today=dt.date.today())
    services.referral_update(
        rujukan=referral, status="ditolak", hasil="Status HIV tidak relevan untuk PKH",
        by=people["staf"], today=dt.date.today(),
    )  # fmt: skip
    url = reverse("assessments:case-detail", args=[case.pk])
    hidden = _client(client, people["supervisor"]).get(url).content.decode()
    assert "<li>Ditolak · " in hidden and "Status HIV" not in hidden
    shown = _client(client, people["staf"]).get(url).content.decode()
    assert "Status HIV tidak relevan untuk PKH</div></li>" in shown


def test_referral_steps_taken_before_they_were_kept_come_from_the_audit_trail(client, people):
    """Migration 0012: the proposal from the referral, each change of status from its audit
    entry (who, which day); a status whose author the trail no longer names (an erased case's
    entries keep none) stands with no author, said so on the page, not guessed."""
    steps_from_the_trail = importlib.import_module(
        "assessments.migrations.0012_langkah_rujukan"
    ).steps_from_the_trail
    case, kept = _referred_to_pkh(people)
    on = dt.date.today()
    services.referral_update(
        rujukan=kept, status="diproses", hasil="", by=people["staf2"], today=on
    )
    services.referral_update(rujukan=kept, status="diterima", hasil="", by=people["staf"], today=on)
    erased = refer_to_pkh(
        case, people["staf"], today=on, program=Program.objects.get(kode="ATENSI")
    )
    services.referral_update(
        rujukan=erased, status="diterima", hasil="", by=people["staf2"], today=on
    )
    AuditEvent.objects.filter(target_id=str(erased.pk), action="rujukan.update").update(
        before=None, after=None
    )
    expected = {
        r.pk: list(r.langkah_set.order_by("pk").values_list("status", "sejak", "oleh_id"))
        for r in (kept, erased)
    }
    LangkahRujukan.objects.all().delete()

    # historical models, not today's: those of the app's last migration, which match the
    # table as this database has it (0012's own lack the column 0013 added)
    loader = MigrationExecutor(connection).loader
    state = loader.project_state(loader.graph.leaf_nodes("assessments")[0])
    steps_from_the_trail(state.apps, None)

    rebuilt = {
        r.pk: list(r.langkah_set.order_by("pk").values_list("status", "sejak", "oleh_id"))
        for r in (kept, erased)
    }
    assert rebuilt[kept.pk] == expected[kept.pk]
    assert len(expected[kept.pk]) == 3
    assert rebuilt[erased.pk] == [("diusulkan", on, people["staf"].pk), ("diterima", on, None)]
    first = LangkahRujukan.objects.filter(rujukan=kept).order_by("pk").first()
    assert first.created_at == Rujukan.objects.get(pk=kept.pk).created_at
    body = _client(client, people["staf"]).get(reverse("assessments:case-detail", args=[case.pk]))
    assert "Diterima · " + date_format(on, "j F Y") + " · pencatat tidak diketahui" in (
        body.content.decode()
    )


def test_the_close_form_names_the_open_referrals_that_closing_leaves_open(client, people):
    """Closing a case does not close its referrals (the programme's answer still comes): the
    form says which are open."""
    case, referral = _referred_to_pkh(people)
    c = _client(client, people["staf"])
    url = reverse("assessments:case-detail", args=[case.pk])
    body = c.get(url).content.decode()
    note = body[body.index('id="rujukan-terbuka"') :]
    note = note[: note.index("</div>")]
    assert "1 rujukan masih terbuka:<ul" in note
    assert "<li>Program Keluarga Harapan (PKH): diusulkan</li>" in note
    assert "tidak menutup rujukannya" in note
    assert body.index('name="ke" value="ditutup"') < body.index('id="rujukan-terbuka"')
    services.referral_update(
        rujukan=referral,
        status="ditolak",
        hasil="Tidak memenuhi syarat komponen PKH.",
        by=people["staf"],
        today=dt.date.today(),
    )
    assert 'id="rujukan-terbuka"' not in c.get(url).content.decode()


def test_a_referral_is_refused_only_with_the_programmes_reason(client, people):
    """A browser walk: "Ditolak" chosen in the list by mistake was saved at once with no
    result, and nothing follows it (the form goes): the office could not tell the person why."""
    case, referral = _referred_to_pkh(people)
    c = _client(client, people["staf"])
    url = reverse("assessments:referral-update", args=[referral.pk])
    version = services.referral_version(referral)
    answer = c.post(url, {"status": "ditolak", "hasil": "  ", "versi_awal": version}, follow=True)
    assert "Tuliskan alasan penolakan dari program" in answer.content.decode()
    referral.refresh_from_db()
    assert referral.status == "diusulkan"
    c.post(url, {"status": "ditolak", "hasil": "Bukan keluarga miskin.", "versi_awal": version})
    referral.refresh_from_db()
    assert (referral.status, referral.hasil) == ("ditolak", "Bukan keluarga miskin.")
    # final: the same status posted again replaced the result, with only the status audited
    version = services.referral_version(referral)
    answer = c.post(
        url, {"status": "ditolak", "hasil": "Diubah.", "versi_awal": version}, follow=True
    )
    assert "sudah final dan tidak dapat diubah" in answer.content.decode()
    referral.refresh_from_db()
    assert referral.hasil == "Bukan keluarga miskin."


def test_the_referral_form_says_which_programmes_need_a_nik_and_keeps_what_was_typed(
    client, people
):
    case = make_case(people["psm_a"])  # Mbah Sarinah, no NIK
    case = services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    c = _client(client, people["staf"])
    url = reverse("assessments:referral-create", args=[case.pk])
    form = c.get(url).content.decode()
    assert "Tidak ditawarkan untuk subjek ini:" in form
    assert "Program Sembako mensyaratkan NIK yang tercatat di Dukcapil" in form
    assert "PBI Jaminan Kesehatan (KIS) mensyaratkan NIK" in form
    # not offered in the list either (a form sent from an older page is still refused below)
    assert '<option value="PBI_JK"' not in form and '<option value="SEMBAKO"' not in form
    assert '<option value="ATENSI"' in form
    typed = {
        "program": "PBI_JK",
        "tujuan_instansi": "BPJS Kesehatan Cabang Magelang",
        "tanggal": dt.date.today().isoformat(),
        "nomor_surat": "460/123/2026",
    }
    answer = c.post(url, typed)
    page = answer.content.decode()
    assert answer.status_code == 400 and "bukan salah satu dari pilihan yang tersedia" in page
    assert "Rujukan belum tersimpan" in page
    assert 'value="BPJS Kesehatan Cabang Magelang"' in page and 'value="460/123/2026"' in page
    assert not Rujukan.objects.filter(asesmen=case).exists()
    # the same subject to ATENSI is saved
    c.post(url, {**typed, "program": "ATENSI", "tujuan_instansi": "Sentra Kemensos"})
    assert Rujukan.objects.get(asesmen=case).program_id == "ATENSI"


def test_a_psm_sees_every_returned_case_and_draft_however_many_cases_they_have(
    client, people, monkeypatch
):
    """The list shows the latest of the rest only: a case returned long ago stays on it."""
    from assessments import selectors

    monkeypatch.setattr(selectors, "MY_CASES_SHOWN", 2)
    returned = make_case(people["psm_a"], subject={"nama": "Dikembalikan Lama"})
    services.assessment_transition(
        asesmen=returned, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Lengkapi"
    )
    draft = make_case(people["psm_a"], submit=False, subject={"nama": "Draf Lama"})
    Asesmen.objects.filter(pk__in=[returned.pk, draft.pk]).update(
        updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    for i in range(4):
        make_case(people["psm_a"], subject={"nama": f"Baru {i}"})
    cases = _client(client, people["psm_a"]).get(reverse("assessments:case-list")).context["cases"]
    assert [c.subjek.nama for c in cases] == ["Dikembalikan Lama", "Draf Lama", "Baru 3", "Baru 2"]


def test_a_referrals_proof_is_served_to_who_may_see_the_case(client, people):
    """The proof PDF the referral form takes can be opened from the case page: it is personal
    data, so only by who may see the case's details (a read audited when the case holds specific
    data, as its photos are) and never cached."""
    from django.core.files.base import ContentFile

    case, referral = _referred_to_pkh(people)
    referral.bukti.save("surat.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    url = reverse("assessments:referral-proof", args=[referral.pk])
    staff = _client(client, people["staf"])
    assert url in staff.get(reverse("assessments:case-detail", args=[case.pk])).content.decode()
    response = staff.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(people["psm_b"])  # another PSM: not their case
    assert client.get(url).status_code == 404


def test_a_referral_proof_of_specific_data_is_audited_as_its_own_read(client, people):
    """The proof of a child's referral was recorded as a read of the case page: the trail could
    not tell that the programme's letter itself had been downloaded."""
    from django.core.files.base import ContentFile

    child = make_case(
        people["psm_a"], kategori=("PPKS-02",),
        subject={"tanggal_lahir": dt.date(2014, 2, 1), "nama": "Anak Uji"},
    )  # fmt: skip
    child = services.assessment_transition(asesmen=child, ke=S.DIVERIFIKASI, by=people["staf"])
    referral = refer_to_pkh(
        child, people["staf"], today=dt.date.today(), program=Program.objects.get(kode="ATENSI")
    )
    referral.bukti.save("surat.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    response = _client(client, people["staf"]).get(
        reverse("assessments:referral-proof", args=[referral.pk])
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    event = AuditEvent.objects.get(action="asesmen.view_sensitive_proof")
    assert event.after == {"data_spesifik": ["anak"], "rujukan": referral.pk}
    assert event.target_id == str(child.pk)


def test_a_subjects_nik_that_disagrees_with_the_form_is_a_warning_to_confirm(client, people):
    """As for a PSM (domain.md §5.1): a woman born 15 August 1995 typed as a man born 1980 was
    saved with no word."""
    c = _client(client, people["psm_a"])
    data = _form(
        **{"s-nik": "3371015508950001", "s-alasan_tanpa_nik": "", "s-tanggal_lahir": "1980-01-01"},
        kategori=["PPKS-07"],  # a fakir miskin: no age or sex rule of its own
        kategori_utama="PPKS-07",
    )
    body = c.post(reverse("assessments:case-create"), data).content.decode()
    assert "Tanggal lahir pada NIK (15 Agustus 1995) berbeda dengan isian" in body
    assert "Jenis kelamin menurut NIK berbeda dengan isian." in body
    assert not Asesmen.objects.exists()
    answer = c.post(reverse("assessments:case-create"), {**data, "konfirmasi_peringatan": "on"})
    assert answer.status_code == 302 and Subjek.objects.get().nik == "3371015508950001"


def test_a_subjects_nik_from_elsewhere_in_the_country_is_no_warning(client, people):
    c = _client(client, people["psm_a"])
    data = _form(**{"s-nik": "3174071708440001", "s-alasan_tanpa_nik": ""})  # Kebayoran Baru
    assert c.post(reverse("assessments:case-create"), data).status_code == 302
    data = _form(**{"s-nik": "3371091708440002", "s-alasan_tanpa_nik": "", "s-nama": "Lain"})
    body = c.post(reverse("assessments:case-create"), data).content.decode()
    assert "Kode wilayah 33.71.09 pada NIK tidak ada di daftar Kemendagri" in body


@pytest.mark.parametrize(
    ("no_kk", "message"),
    [
        ("5400000000000000", "Kode provinsi 54 pada nomor KK tidak ada."),
        ("0000000000000000", "Kode provinsi 00 pada nomor KK tidak ada."),
        ("3300011508950001", "Kode kabupaten/kota atau kecamatan pada nomor KK tidak boleh 00."),
        ("33710115089", "Nomor KK harus 16 digit angka."),
    ],
)
def test_a_family_card_number_that_cannot_exist_is_refused(client, people, no_kk, message):
    """Only its length was checked (domain.md §5.2)."""
    c = _client(client, people["psm_a"])
    body = c.post(reverse("assessments:case-create"), _form(**{"s-no_kk": no_kk})).content
    assert message in body.decode() and no_kk in body.decode()  # kept as typed
    assert not Asesmen.objects.exists()


def test_an_unlikely_family_card_number_is_a_warning_to_confirm(client, people):
    c = _client(client, people["psm_a"])
    data = _form(**{"s-no_kk": "3371013102950000"})  # 31 February, serial 0000
    body = c.post(reverse("assessments:case-create"), data).content.decode()
    assert "Tanggal pada nomor KK (digit 7-12) bukan tanggal yang ada." in body
    assert "Nomor urut pada nomor KK (4 digit terakhir) 0000 tidak lazim." in body
    assert not Asesmen.objects.exists()
    answer = c.post(reverse("assessments:case-create"), {**data, "konfirmasi_peringatan": "on"})
    assert answer.status_code == 302 and Subjek.objects.get().no_kk == "3371013102950000"


def test_a_draft_sent_from_its_page_is_held_to_the_subjects_nik_warnings(client, people):
    """The case page's send button checked the categories and consent only: a draft whose NIK
    disagreed with the typed birth date and sex was sent without the warning."""
    c = _client(client, people["psm_a"])
    data = _form(
        **{"s-nik": "3371015508950001", "s-alasan_tanpa_nik": "", "s-tanggal_lahir": "1980-01-01"},
        kategori=["PPKS-07"],
        kategori_utama="PPKS-07",
        aksi="draf",
    )
    assert c.post(reverse("assessments:case-create"), data).status_code == 302
    draft = Asesmen.objects.get()
    answer = c.post(
        reverse("assessments:case-review", args=[draft.pk]),
        {"ke": "diajukan", "status_awal": "draf", "versi_awal": str(draft.versi)},
        follow=True,
    )
    assert answer.redirect_chain[-1][0] == reverse("assessments:case-update", args=[draft.pk])
    body = answer.content.decode()
    assert "Jenis kelamin menurut NIK berbeda dengan isian." in body
    assert Asesmen.objects.get(pk=draft.pk).status == S.DRAF


def test_an_office_entered_case_names_who_recorded_it_not_a_psm(client, people):
    """The case page said "PSM: <staff member>" for a case the office recorded itself."""
    case = make_case(people["staf"])
    body = (
        _client(client, people["staf"])
        .get(reverse("assessments:case-detail", args=[case.pk]))
        .content.decode()
    )
    name = people["staf"].get_full_name() or people["staf"].username
    assert "Dicatat oleh</dt>" in body and f"{name} (kantor)" in body
    assert f'PSM</dt><dd class="col-7">{name}' not in body


def test_a_kecamatan_verifiers_empty_queue_says_why_when_the_office_verifies_itself(
    client, people, office
):
    """The verifier's queue read "0 kasus menunggu" beside 19 submitted cases, unexplained."""
    make_case(people["psm_a"])
    reason = "Kantor ini tidak memakai verifikasi tingkat kecamatan"
    office.menggunakan_verifikator_kecamatan = False
    office.save()
    page = _client(client, people["verifikator"]).get(reverse("assessments:queue"))
    assert reason in page.content.decode()
    office.menggunakan_verifikator_kecamatan = True
    office.save()
    page = client.get(reverse("assessments:queue")).content.decode()
    assert reason not in page and "Mbah Sarinah" in page  # the case waits for them now
    staff = _client(client, people["staf"]).get(reverse("assessments:queue")).content.decode()
    assert reason not in staff


def test_a_psm_takes_a_blurry_photo_away_when_correcting_a_returned_case(
    client, people, settings, django_capture_on_commit_callbacks
):
    """Returned with "Foto rumah kabur, ambil ulang", the form could only add photos beside the
    blurry one. Saved photos can now be ticked away; the limit counts what stays."""
    settings.PSM_MAX_CASE_PHOTOS = 2
    c = _client(client, people["psm_a"])
    data = _form()
    c.post(reverse("assessments:case-create"), {**data, "foto": [_jpeg(), _jpeg()]})
    case = Asesmen.objects.get()
    blurry, kept = case.foto_set.order_by("pk")
    services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Foto rumah kabur, ambil ulang"
    )
    url = reverse("assessments:case-update", args=[case.pk])
    page = c.get(url).content.decode()
    assert f'name="hapus_foto" value="{blurry.pk}"' in page and "2 foto sudah tersimpan" in page
    # another case's photo cannot be named: the choices are this case's own
    other = make_case(people["psm_b"])
    stranger = _photo_of(other)
    stranger.save()
    answer = c.post(url, {**data, "hapus_foto": [str(stranger.pk)]})
    assert answer.status_code == 400 and other.foto_set.filter(pk=stranger.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        answer = c.post(url, {**data, "hapus_foto": [str(blurry.pk)], "foto": [_jpeg()]})
    assert answer.status_code == 302
    assert case.foto_set.count() == 2 and not case.foto_set.filter(pk=blurry.pk).exists()
    assert not blurry.berkas.storage.exists(blurry.berkas.name)  # its file went with it
    assert kept.berkas.storage.exists(kept.berkas.name)


def test_a_kecamatan_verifier_sees_specific_data_only_where_the_office_has_that_step(
    client, people
):
    """Least privilege (UU 27/2022 Pasal 35-39): a kecamatan verifier reads a child's health
    notes to check the case before the office does. In an office without that step they review
    nothing, and read the case as a supervisor does: details hidden, NIK masked, nothing read
    to audit."""
    child = make_case(
        people["psm_a"],
        kategori=("PPKS-02",),
        subject={
            "tanggal_lahir": dt.date(2014, 2, 1),
            "nama": "Anak Uji",
            "nik": "3371014102140001",
            "alasan_tanpa_nik": "",
        },
        kondisi_fisik="Gizi buruk",
    )
    case_url = reverse("assessments:case-detail", args=[child.pk])
    subject_url = reverse("assessments:subject-detail", args=[child.subjek_id])
    c = _client(client, people["verifikator"])
    body = c.get(case_url).content.decode()
    assert "Gizi buruk" not in body and "tidak ditampilkan untuk peran Anda" in body
    assert "3371014102140001" not in c.get(subject_url).content.decode()
    assert not AuditEvent.objects.filter(action="asesmen.view_sensitive").exists()
    Kantor.objects.filter(pk=1).update(menggunakan_verifikator_kecamatan=True)
    assert "Gizi buruk" in c.get(case_url).content.decode()
    assert "3371014102140001" in c.get(subject_url).content.decode()
    event = AuditEvent.objects.get(action="asesmen.view_sensitive")
    assert event.actor_id == people["verifikator"].pk


def test_a_photo_retaken_shows_in_what_changed(people):
    """From a review: a case returned for a blurry photo, resubmitted with it retaken, showed no
    change (the versions kept only the number of photos)."""
    case = make_case(people["psm_a"], photos=[_jpeg()])
    case = services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Foto kabur, ambil ulang."
    )
    services.assessment_save(
        by=people["psm_a"],
        subjek=case.subjek,
        data={},
        kategori=case.kategori.all(),
        photos=[_jpeg()],
        remove_photos=list(case.foto_set.all()),
        asesmen=case,
    )
    case = services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=people["psm_a"])
    assert services.version_diff(case) == [("Jumlah foto", "1", "1 (1 foto baru)")]


def test_a_role_that_reviews_nothing_is_refused_a_review_step(client, people):
    """A supervisor reads cases and reviews none: a review step they send is a 403, as the
    access policy answers a role that may read but not do (it was a redirect with a message)."""
    case = make_case(people["psm_a"])
    c = _client(client, people["supervisor"])
    url = reverse("assessments:case-review", args=[case.pk])
    answer = c.post(url, {"ke": "diverifikasi", "status_awal": "diajukan", "versi_awal": "1"})
    assert answer.status_code == 403
    assert Asesmen.objects.get(pk=case.pk).status == S.DIAJUKAN


def test_enter_in_the_case_form_saves_a_draft_and_sends_nothing_to_the_office(client, people):
    """A browser walk: Enter in a field (a phone keyboard's "Go") pressed the form's first
    button, "Ajukan ke dinas", and the case went to the office unasked. The form's default
    button, the first in it, is now a draft's."""
    import re

    c = _client(client, people["psm_a"])
    page = c.get(reverse("assessments:case-create")).content.decode()
    form = page[page.index('<form method="post" enctype="multipart/form-data"') :]
    first = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert 'value="draf"' in first and "hidden" in first


def test_a_case_page_shows_what_the_psm_typed_of_the_subject(client, people):
    """A walk: the subject's telephone, family card number and place of birth, and the
    documents the PSM ticked, were saved and shown nowhere: the reviewer could not check them.
    The family card's number is masked where the NIK is."""
    case = make_case(
        people["psm_a"],
        dokumen=["ktp", "kk"],
        subject={
            "tempat_lahir": "Magelang",
            "telepon": "0812-2777-1234",
            "no_kk": "3371011205480001",
        },
    )
    url = reverse("assessments:case-detail", args=[case.pk])
    body = _client(client, people["staf"]).get(url).content.decode()
    assert "Magelang, 2 Mei 1948" in body and "0812-2777-1234" in body
    assert '<dd class="col-7 nik">3371011205480001</dd>' in body
    assert '<dd id="dokumen-dimiliki">KTP, Kartu Keluarga</dd>' in body
    body = _client(client, people["supervisor"]).get(url).content.decode()
    assert "3371011205480001" not in body and "Kartu Keluarga" in body
