import csv
import datetime as dt
import io
import re
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from psm_portal import audit
from psm_portal.models import AuditEvent, Role
from registry.models import Psm, PsmAppointment, Spesialisasi, StatusPsm, Wilayah
from tests.factories import BimtekFactory, KegiatanFactory, PsmFactory, SkFactory, make_user

DESA = "33.71.01.1003"


def _form_data(**overrides):
    data = {
        "nik": "3371014503900001",
        "nama": "Siti Rahayu",
        "jenis_kelamin": "P",
        "tempat_lahir": "Magelang",
        "tanggal_lahir": "1990-03-05",
        "kewarganegaraan": "WNI",
        "alamat_ktp": "Jl. Tidar 3 RT 01/RW 02",
        "desa_ktp": DESA,
        "desa_tugas": DESA,
        "tanggal_bergabung": "2024-01-02",
        "bisa_baca_tulis": "on",
        "berkelakuan_baik": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_psm_create_saves_and_redirects_to_profile(staff_client):
    response = staff_client.post(reverse("registry:psm-create"), _form_data())
    psm = Psm.objects.get(nik="3371014503900001")
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:psm-detail", args=[psm.pk])
    assert psm.nik not in response["Location"]


def test_psm_create_accepts_nik_typed_with_spaces_and_dots(staff_client):
    staff_client.post(reverse("registry:psm-create"), _form_data(nik="3371.0145 0390-0001"))
    assert Psm.objects.filter(nik="3371014503900001").exists()


def test_psm_create_impossible_nik_keeps_everything_typed(staff_client):
    response = staff_client.post(
        reverse("registry:psm-create"), _form_data(nik="3371013102900001", nama="Ma'ruf Amin")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tanggal lahir pada NIK (digit 7-12) bukan tanggal yang ada." in body
    assert 'value="3371013102900001"' in body and 'value="Ma&#x27;ruf Amin"' in body
    assert not Psm.objects.exists()


@pytest.mark.parametrize(
    "joined,message",
    [
        ("1980-01-01", "Tanggal bergabung tidak boleh sebelum tanggal lahir PSM (5 Maret 1990)."),
        ("0001-01-01", "Tahun bergabung tidak masuk akal."),
    ],
)
def test_a_joining_date_before_birth_or_of_year_one_is_refused(staff_client, joined, message):
    """A staff walk: "Calon sejak 1 Januari 0001" and a PSM joined before being born were
    saved, and the reports count a PSM's months from that date."""
    response = staff_client.post(
        reverse("registry:psm-create"), _form_data(tanggal_bergabung=joined)
    )
    assert response.status_code == 200 and not Psm.objects.exists()
    body = response.content.decode()
    assert message in body and 'value="Siti Rahayu"' in body


@pytest.mark.parametrize("phone", ["abc😀", "0812", "+62 812 +3456", "0812345678901234567"])
def test_a_phone_that_is_no_number_is_refused_and_kept(staff_client, phone):
    """A staff walk: "abc😀" was saved as a PSM's telephone and shown on the profile."""
    response = staff_client.post(reverse("registry:psm-create"), _form_data(telepon=phone))
    assert response.status_code == 200 and not Psm.objects.exists()
    body = response.content.decode()
    assert "Nomor telepon ditulis dengan angka (boleh diawali +62" in body
    assert f'value="{phone}"' in body


@pytest.mark.parametrize(
    "phone,stored",
    [
        ("0812-3456-7890", "0812-3456-7890"),
        ("+62 812 3456 7890", "+62 812 3456 7890"),
        ("(0293) 362 008", "(0293) 362 008"),
        ("(+62) 812 3456 7890", "(+62) 812 3456 7890"),
        ("0812\u00a03456\u20117890", "0812 3456-7890"),  # pasted from a document
        ("-", ""),  # the usual "none"
    ],
)
def test_a_phone_as_people_write_it_is_accepted(staff_client, phone, stored):
    staff_client.post(reverse("registry:psm-create"), _form_data(telepon=phone))
    assert Psm.objects.get().telepon == stored


def test_two_numbers_apart_by_a_slash_are_a_phone():
    from psm_portal.text import phone_problem

    assert phone_problem("0812-3456-7890 / 0856-1111-2222") is None  # where the field is long
    assert phone_problem("0812-3456-7890 / tetangga") is not None


def test_a_phone_stored_before_the_rule_does_not_block_an_edit_of_something_else(
    staff_client, staff
):
    """A review: "abc" stored before phones were checked refused every later edit of that PSM
    (their address, say) until someone found a number they might not know."""
    from registry import services

    psm = services.psm_register(data=_register_like(), by=staff, today=dt.date(2026, 1, 5))
    Psm.objects.filter(pk=psm.pk).update(telepon="hubungi RT")
    url = reverse("registry:psm-update", args=[psm.pk])
    moved = _form_data(telepon="hubungi RT", alamat_ktp="Jl. Pindah 1")
    assert staff_client.post(url, moved).status_code == 302
    psm.refresh_from_db()
    assert (psm.alamat_ktp, psm.telepon) == ("Jl. Pindah 1", "hubungi RT")
    # typed anew, it is checked
    body = staff_client.post(url, {**moved, "telepon": "hubungi RW"}).content.decode()
    assert "Nomor telepon ditulis dengan angka" in body


def test_a_candidate_under_18_is_registered_only_once_confirmed(staff_client):
    """A browser walk: a 15-year-old was registered, and given an SK, without a word; the age
    rule was first met at activation."""
    today = dt.date.today()
    born = today.replace(year=today.year - 15, day=1)
    nik = f"337101{born.day + 40:02d}{born.month:02d}{born.year % 100:02d}0001"
    data = _form_data(nik=nik, tanggal_lahir=born.isoformat(), tanggal_bergabung=today.isoformat())
    response = staff_client.post(reverse("registry:psm-create"), data)
    assert response.status_code == 200 and not Psm.objects.exists()
    assert "Usia hari ini baru 15 tahun: PSM diangkat paling muda 18 tahun" in (
        response.content.decode()
    )
    response = staff_client.post(
        reverse("registry:psm-create"), {**data, "konfirmasi_peringatan": "on"}
    )
    assert response.status_code == 302 and Psm.objects.get().status == "calon"


def test_psm_create_warning_needs_confirmation_then_saves(staff_client):
    # NIK says 5 March 1990, the form says 6 March: a warning, not an error.
    data = _form_data(tanggal_lahir="1990-03-06")
    response = staff_client.post(reverse("registry:psm-create"), data)
    assert response.status_code == 200
    assert "Tanggal lahir pada NIK (5 Maret 1990) berbeda dengan isian" in response.content.decode()
    assert not Psm.objects.exists()
    response = staff_client.post(
        reverse("registry:psm-create"), {**data, "konfirmasi_peringatan": "on"}
    )
    assert response.status_code == 302
    assert Psm.objects.get().tanggal_lahir == dt.date(1990, 3, 6)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nama": "A" * 10_000}, "paling banyak 150 karakter"),
        ({"tanggal_lahir": "2099-01-01"}, "Tanggal lahir tidak boleh di masa depan."),
        ({"tanggal_lahir": "1990-02-30"}, "Masukkan tanggal yang valid."),
        ({"nik": "1234"}, "NIK harus 16 digit angka"),
        ({"nik": ""}, "Bidang ini tidak boleh kosong."),
        ({"desa_tugas": "33.12.01.2001"}, "Masukkan pilihan yang valid."),  # outside scope
    ],
)
def test_psm_create_bad_input_gets_an_indonesian_message(staff_client, overrides, message):
    response = staff_client.post(reverse("registry:psm-create"), _form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Psm.objects.exists()


def test_psm_create_duplicate_nik_is_refused_with_message(staff_client, psm):
    response = staff_client.post(
        reverse("registry:psm-create"),
        _form_data(nik=psm.nik, tanggal_lahir="1985-03-10", jenis_kelamin="L"),
    )
    assert "NIK ini sudah terdaftar sebagai PSM." in response.content.decode()


def test_psm_create_escapes_markup_and_keeps_emoji(staff_client):
    staff_client.post(
        reverse("registry:psm-create"), _form_data(nama="<script>alert(1)</script> Dewi 🌸")
    )
    psm = Psm.objects.get()
    body = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Dewi 🌸" in body


def test_psm_create_rejects_pdf_disguised_as_photo(staff_client):
    fake = SimpleUploadedFile("foto.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = staff_client.post(
        reverse("registry:psm-create"), {**_form_data(), "foto": fake, "persetujuan_foto": "on"}
    )
    assert "Unggah gambar yang valid" in response.content.decode()
    assert not Psm.objects.exists()


def test_a_profile_photo_is_stored_small_without_its_location_or_file_name(staff_client):
    """A phone photo carries the GPS of where it was taken (often the PSM's home) and its file
    name can carry a person's name: the stored portrait has neither."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x8825] = {1: "S", 2: (7.0, 28.0, 0.0), 3: "E", 4: (110.0, 13.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), "teal").save(out, "PNG", exif=exif)
    photo = SimpleUploadedFile("Siti Rahayu di rumah.png", out.getvalue(), "image/png")
    response = staff_client.post(
        reverse("registry:psm-create"), {**_form_data(), "foto": photo, "persetujuan_foto": "on"}
    )
    assert response.status_code == 302
    psm = Psm.objects.get()
    assert "Siti" not in psm.foto.name and psm.foto.name.endswith(".jpg")
    with Image.open(psm.foto.path) as stored:
        assert stored.format == "JPEG" and max(stored.size) == 800
        assert not stored.getexif().get_ifd(0x8825) and "exif" not in stored.info
    answer = staff_client.get(reverse("registry:psm-photo", args=[psm.pk]))
    assert answer["Content-Type"] == "image/jpeg" and b"".join(answer.streaming_content)


def test_psm_create_rejects_30_mb_photo_with_message(staff_client):
    big = SimpleUploadedFile(
        "foto.jpg", b"\xff\xd8\xff" + b"0" * (30 * 1024 * 1024), content_type="image/jpeg"
    )
    response = staff_client.post(
        reverse("registry:psm-create"), {**_form_data(), "foto": big, "persetujuan_foto": "on"}
    )
    assert response.status_code == 200
    assert not Psm.objects.exists()
    assert "Berkas terlalu besar (30,0\xa0MB). Batasnya 5,0\xa0MB." in response.content.decode()


# An SK as the profile's "add SK" form sends it.
SK_FORM = {
    "nomor_sk": "400.9/1/2024",
    "tanggal_sk": "2024-01-02",
    "penerbit_level": "dinas",
    "penerbit_nama": "Kepala Dinas",
    "berlaku_mulai": "2024-01-02",
}


def test_service_record_periods_and_years_are_explained_in_words(staff_client, psm):
    """The database's rules (an end before its start) and absurd years: a sentence, not the
    constraint's name, and what was typed stays in the form."""
    url = reverse("registry:psm-record-add", args=[psm.pk, "sk"])
    body = staff_client.post(url, {**SK_FORM, "berlaku_sampai": "2023-01-01"}).content.decode()
    assert "Tanggal berlaku sampai tidak boleh sebelum tanggal berlaku mulai." in body
    assert "sk_period_ordered" not in body and 'value="400.9/1/2024"' in body
    ipsm = {
        "tingkat": "desa",
        "jabatan": "ketua",
        "periode_mulai": "2024",
        "periode_selesai": "2020",
    }
    url = reverse("registry:psm-record-add", args=[psm.pk, "ipsm"])
    assert "Periode selesai tidak boleh sebelum periode mulai." in (
        staff_client.post(url, ipsm).content.decode()
    )
    url = reverse("registry:psm-record-add", args=[psm.pk, "penghargaan"])
    award = {"nama": "PSM Berprestasi", "tingkat": "kabkota", "tahun": "0"}
    assert "Tahun paling awal 1945." in staff_client.post(url, award).content.decode()
    assert not psm.penghargaan_set.exists() and not psm.ipsm_set.exists()


def test_a_bimtek_certificate_entered_twice_is_refused_with_a_message(staff_client, psm):
    """The form said "ditambahkan" for a certificate already on record and kept nothing of what
    was typed (two taps at once: ``test_services``)."""
    from registry.models import PsmBimtek

    url = reverse("registry:psm-record-add", args=[psm.pk, "bimtek"])
    form = {
        "tingkat": "dasar",
        "nomor_sertifikat": "SRT/2024/017",
        "penyelenggara": "Dinas Sosial Provinsi",
        "tanggal": "2024-05-02",
    }
    assert staff_client.post(url, form).status_code == 302
    again = staff_client.post(url, {**form, "penyelenggara": "Balai Besar"})
    body = again.content.decode()
    assert again.status_code == 200
    assert "Sertifikat dengan nomor ini sudah tercatat untuk tingkat ini." in body
    assert 'value="Balai Besar"' in body
    assert PsmBimtek.objects.filter(psm=psm).count() == 1


def test_sk_upload_must_really_be_a_pdf(staff_client, psm):
    url = reverse("registry:psm-record-add", args=[psm.pk, "sk"])
    data = SK_FORM
    fake = SimpleUploadedFile("sk.pdf", b"MZ\x90\x00 an executable", content_type="application/pdf")
    response = staff_client.post(url, {**data, "dokumen": fake})
    assert "Dokumen harus berupa berkas PDF." in response.content.decode()
    # A PDF whose name says HTML is stored under a generated .pdf name, never as sk.html.
    real = SimpleUploadedFile("sk.html", b"%PDF-1.4\n<script>x</script>%%EOF", "text/html")
    assert staff_client.post(url, {**data, "dokumen": real}).status_code == 302
    stored = PsmAppointment.objects.get(psm=psm).dokumen.name
    assert stored.startswith("psm/sk/") and stored.endswith(".pdf") and "sk.html" not in stored


def test_status_change_view_explains_missing_requirements(staff_client, psm):
    response = staff_client.post(
        reverse("registry:psm-status", args=[psm.pk]), {"ke": "aktif", "tanggal": "2024-01-02"}
    )
    assert response.status_code == 422
    assert response.content.decode().count("Belum ada SK pengangkatan.") == 1  # shown once
    psm.refresh_from_db()
    assert psm.status == StatusPsm.CALON
    stop = staff_client.post(
        reverse("registry:psm-status", args=[psm.pk]), {"ke": "berhenti", "tanggal": "2024-01-02"}
    )
    assert stop.context["form"].errors["alasan"] == ["Alasan berhenti wajib diisi."]


def test_status_change_view_activates(staff_client, psm):
    BimtekFactory(psm=psm)
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    response = staff_client.post(
        reverse("registry:psm-status", args=[psm.pk]), {"ke": "aktif", "tanggal": "2021-02-01"}
    )
    assert response.status_code == 302
    psm.refresh_from_db()
    assert psm.status == StatusPsm.AKTIF


def test_status_change_dated_in_the_future_is_refused_next_to_the_date(staff_client, psm):
    """A typo such as 2052 would hold the record: every later change must be dated after it."""
    BimtekFactory(psm=psm)
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    later = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = staff_client.post(
        reverse("registry:psm-status", args=[psm.pk]),
        {"ke": "aktif", "tanggal": later, "catatan": "SK 2021"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["tanggal"] == [
        "Tanggal efektif tidak boleh di masa depan."
    ]
    assert "SK 2021" in response.content.decode()  # what was typed is kept
    psm.refresh_from_db()
    assert psm.status == StatusPsm.CALON


def test_supervisor_cannot_change_status(client, users, psm):
    client.force_login(users[Role.SUPERVISOR])
    response = client.post(
        reverse("registry:psm-status", args=[psm.pk]),
        {"ke": "berhenti", "tanggal": "2024-01-02", "alasan": "lainnya"},
    )
    assert response.status_code == 403


@pytest.fixture
def many_psm(regions):
    """35 PSM over several desa, each with two specialisations and a Bimtek."""
    specs = [Spesialisasi.objects.create(kode=f"s{i}", nama=f"Spesialisasi {i}") for i in range(3)]
    people = []
    for i in range(35):
        psm = PsmFactory(
            desa_kode=["33.71.01.1003", "33.71.02.1003", "33.71.03.1001"][i % 3],
            nama=f"Warga {i:02d}",
        )
        psm.spesialisasi.set(specs[:2])
        BimtekFactory(psm=psm)
        people.append(psm)
    return people


def test_psm_list_query_count_is_constant(staff_client, many_psm, django_assert_num_queries):
    # session, user, scope, count, rows, spesialisasi, bimtek, kab/kota + kecamatan options
    # (the desa wait for a kecamatan), spesialisasi options
    with django_assert_num_queries(10):
        response = staff_client.get(reverse("registry:psm-list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 35


@pytest.fixture
def kept_totals(settings):
    """Every list total kept in the cache, and none left behind for the next test."""
    from django.core.cache import cache

    cache.clear()
    settings.PSM_COUNT_CACHE_MIN_ROWS = 1
    yield
    cache.clear()


def test_the_next_page_link_keeps_the_filters_and_opens_the_next_page(staff_client, many_psm):
    """The link is followed as a browser would: it read '??page=2' and stayed on page 1."""
    import html
    import re

    spec = Spesialisasi.objects.get(kode="s0")  # all 35 have it: two pages
    PsmFactory(nama="Tanpa Spesialisasi")
    url = reverse("registry:psm-list")
    first = staff_client.get(url, {"spesialisasi": spec.pk}).content.decode()
    link = html.unescape(re.search(r'href="([^"]*)">Berikutnya', first).group(1))
    assert link.startswith("?") and not link.startswith("??") and f"spesialisasi={spec.pk}" in link
    second = staff_client.get(url + link)
    assert second.context["page"].number == 2
    assert second.context["page"].paginator.count == 35  # the filter held


def test_psm_list_rows_show_sorted_names_and_a_later_page_of_a_kept_total_costs_no_more(
    staff_client, many_psm, kept_totals, django_assert_num_queries
):
    url = reverse("registry:psm-list")
    first = staff_client.get(url, {"page": 2})  # counts, and keeps the total
    assert [row.nama for row in first.context["page"]] == [f"Warga {i:02d}" for i in range(25, 35)]
    row = first.context["page"].object_list[0]
    assert row.spesialisasi == ["Spesialisasi 0", "Spesialisasi 1"]
    assert row.bimtek == ["Bimtek dasar"] and row.status_label == "Calon"
    # session, user, scope, rows, spesialisasi, bimtek, region options (2), spesialisasi options:
    # the kept total spares the count, and the page is read once, as its rows
    with django_assert_num_queries(9):
        again = staff_client.get(url, {"page": 2})
    assert [r.pk for r in again.context["page"]] == [r.pk for r in first.context["page"]]


def test_psm_list_filters_by_spesialisasi_and_ignores_an_unknown_one(staff_client, many_psm):
    url = reverse("registry:psm-list")
    lone = PsmFactory(desa_kode="33.71.01.1003", nama="Tanpa Spesialisasi")
    spec = many_psm[0].spesialisasi.order_by("pk").first()
    page = staff_client.get(url, {"spesialisasi": spec.pk}).context["page"]
    assert page.paginator.count == 35
    assert lone.pk not in [row.pk for row in page]
    assert staff_client.get(url).context["page"].paginator.count == 36
    unknown = staff_client.get(url, {"spesialisasi": "99999"})
    assert unknown.status_code == 200
    assert unknown.context["page"].paginator.count == 36  # an unknown choice filters nothing


def test_psm_profile_query_count_is_constant(staff_client, many_psm, django_assert_num_queries):
    """Several rows of every list the page shows, with their actors: a list read per row, or
    an actor per history row, would show here (with one row each it could not, a review
    found)."""
    from psm_portal import audit
    from registry.models import BantuanPeralatan, IpsmMembership, Penghargaan, PsmStatusChange

    psm = many_psm[0]
    for i in range(3):
        SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1 + i))
        KegiatanFactory(psm=psm, tanggal=dt.date(2026, 3, 1 + i))
        BimtekFactory(psm=psm, tingkat=("dasar", "lanjutan", "spesialisasi")[i])
        IpsmMembership.objects.create(
            psm=psm, tingkat="desa", jabatan="ketua", periode_mulai=2020 + i
        )
        BantuanPeralatan.objects.create(
            psm=psm, jenis="Sepeda motor", tanggal=dt.date(2022, 1, 1 + i), sumber="APBD"
        )
        Penghargaan.objects.create(psm=psm, tingkat="kabkota", tahun=2020 + i)
        PsmStatusChange.objects.create(
            psm=psm,
            dari="aktif",
            ke="aktif",
            tanggal_efektif=dt.date(2023, 1, 1 + i),
            actor=make_user(Role.STAF, scope=["33.71"], username=f"pencatat-{i}"),
        )
        audit.record(
            by=make_user(Role.STAF, scope=["33.71"], username=f"pengubah-{i}"),
            action="psm.update",
            target=psm,
            after={"telepon": f"08{i}"},
        )
    with django_assert_num_queries(13):
        response = staff_client.get(reverse("registry:psm-detail", args=[psm.pk]))
    assert response.status_code == 200
    assert len(response.context["kegiatan_terakhir"]) == 3


def _search(client, term, **filters):
    """Search as the page does: the form posts, the list is then shown under an opaque token."""
    response = client.post(reverse("registry:psm-list"), {"q": term, **filters})
    assert response.status_code == 302
    assert term not in response["Location"]
    return client.get(response["Location"])


def test_psm_list_search_is_case_and_accent_insensitive(staff_client, regions):
    PsmFactory(nama="Ma’rúf Hidayat")
    PsmFactory(nama="Siti Aminah")
    response = _search(staff_client, "MA'RUF")
    assert [p.nama for p in response.context["page"]] == ["Ma’rúf Hidayat"]
    assert response.context["filter"].form["q"].value() == "MA'RUF"  # the box keeps the term


def test_psm_list_exact_nik_search_and_no_partial_nik_match(staff_client, regions):
    psm = PsmFactory()
    PsmFactory()
    found = _search(staff_client, psm.nik).context["page"]
    assert [p.pk for p in found] == [psm.pk]
    assert list(_search(staff_client, psm.nik[:8]).context["page"]) == []


def test_a_role_that_sees_niks_masked_cannot_look_one_up(client, regions):
    """From a review: a supervisor sees NIKs masked, but searching a full NIK answered the one
    PSM it belongs to: whose NIK it was, by trying."""
    psm = PsmFactory()
    client.force_login(make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-nik"))
    response = _search(client, psm.nik)
    assert list(response.context["page"]) == []
    assert "Cari nama" in response.content.decode()
    assert [p.pk for p in _search(client, psm.nama).context["page"]] == [psm.pk]


def test_psm_list_never_takes_a_search_term_from_the_url(staff_client, regions):
    psm = PsmFactory()
    PsmFactory()
    page = staff_client.get(reverse("registry:psm-list"), {"q": psm.nik}).context["page"]
    assert page.paginator.count == 2  # ignored: a NIK must not travel in a URL


def test_psm_list_search_keeps_filters_and_paginates_under_the_token(staff_client, many_psm):
    response = _search(staff_client, "warga", kecamatan="33.71.02")
    assert response.context["page"].paginator.count == 12
    assert "cari=" in response.request["QUERY_STRING"]
    assert "kecamatan=33.71.02" in response.request["QUERY_STRING"]


def test_export_uses_the_search_of_the_list(staff_client, regions):
    PsmFactory(nama="Dewi Lestari")
    PsmFactory(nama="Budi Santoso")
    listing = _search(staff_client, "dewi")
    response = staff_client.get(
        reverse("registry:psm-export", args=["csv"]) + "?" + listing.request["QUERY_STRING"]
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Dewi Lestari" in text and "Budi Santoso" not in text


def test_a_nik_typed_into_the_export_address_stays_out_of_the_trail(staff_client, regions):
    """From a review: the export's entry kept every query parameter but the search token, so a
    "q" (a NIK) typed into the address was stored, though the export ignores it."""
    from psm_portal.models import AuditEvent

    nik = "3371014503900001"
    url = reverse("registry:psm-export", args=["csv"])
    response = staff_client.get(url, {"q": nik, "nik": nik, "kecamatan": "33.71.02"})
    b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="psm.export")
    assert nik not in str(event.after)
    assert event.after == {"kecamatan": "33.71.02", "latar": False}


def test_psm_list_filters_by_kecamatan_status_and_bimtek(staff_client, many_psm):
    url = reverse("registry:psm-list")
    page = staff_client.get(url, {"kecamatan": "33.71.02"}).context["page"]
    assert page.paginator.count == 12
    assert staff_client.get(url, {"status": "aktif"}).context["page"].paginator.count == 0
    assert staff_client.get(url, {"bimtek": "belum"}).context["page"].paginator.count == 0
    assert staff_client.get(url, {"bimtek": "dasar"}).context["page"].paginator.count == 35


def test_psm_list_masks_nik_for_supervisor(client, users, psm):
    client.force_login(users[Role.SUPERVISOR])
    body = client.get(reverse("registry:psm-list")).content.decode()
    assert psm.nik not in body and f"{psm.nik[:4]}**********{psm.nik[-2:]}" in body


def test_psm_list_row_links_the_profile_escapes_and_labels(staff_client, regions):
    psm = PsmFactory(nama='<img src=x onerror="alert(1)"> & Sri', status="nonaktif")
    body = staff_client.get(reverse("registry:psm-list")).content.decode()
    start = body.rindex("<tr>", 0, body.index(reverse("registry:psm-detail", args=[psm.pk])))
    row = body[start : body.index("</tr>", start)]
    assert "<img" not in body
    link = reverse("registry:psm-detail", args=[psm.pk])
    assert f'<a href="{link}">&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Sri</a>' in row
    assert f'<td class="nik">{psm.nik}</td>' in row  # staff may see whole NIKs
    assert '<span class="badge text-bg-warning">Nonaktif</span>' in row
    assert '<span class="text-body-secondary">belum</span>' in row  # no Bimtek yet
    assert psm.desa_tugas.nama in row and psm.desa_tugas.induk.nama in row
    empty = staff_client.get(reverse("registry:psm-list"), {"status": "berhenti"})
    assert "Tidak ada PSM yang cocok dengan saringan." in empty.content.decode()


def test_profile_status_form_offers_the_moves_of_each_status(staff_client, regions):
    """The form is kept per status, language and day: each PSM still gets their status's moves."""
    from django.utils import timezone

    def moves(psm):
        body = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
        form = body[body.index('name="ke"') : body.index("</select>", body.index('name="ke"'))]
        return set(re.findall(r'<option value="([a-z]+)"', form)), body

    calon, aktif = PsmFactory(status="calon"), PsmFactory(status="aktif")
    (calon_moves, body), (aktif_moves, _) = moves(calon), moves(aktif)
    assert "aktif" in calon_moves and "aktif" not in aktif_moves
    assert "nonaktif" in aktif_moves
    assert moves(PsmFactory(status="calon"))[0] == calon_moves
    assert f'value="{timezone.localdate().isoformat()}"' in body


def test_export_csv_neutralises_formulas_and_is_audited(staff_client, regions):
    PsmFactory(nama='=HYPERLINK("http://x")')
    PsmFactory(nama="@SUM(A1)")
    response = staff_client.get(reverse("registry:psm-export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    names = [row[0] for row in csv.reader(io.StringIO(text))][1:]
    assert sorted(names) == ['\'=HYPERLINK("http://x")', "'@SUM(A1)"]
    assert AuditEvent.objects.filter(action="psm.export", actor_id__isnull=False).exists()


def test_export_rows_carry_every_column_across_chunks(staff_client, regions, monkeypatch):
    """Each row's labels, regions, spesialisasi (by name) and Bimtek tiers (each once, sorted),
    also past the first chunk of rows read together."""
    from registry import exports

    monkeypatch.setattr(exports, "ROWS_PER_QUERY", 2)
    gizi = Spesialisasi.objects.create(kode="gizi", nama="Gizi")
    anak = Spesialisasi.objects.create(kode="anak", nama="Anak")
    people = [PsmFactory(nama=f"Ekspor {i}", jenis_kelamin="LP"[i % 2]) for i in range(5)]
    last = people[-1]  # in the third chunk
    last.spesialisasi.set([gizi, anak])
    BimtekFactory(psm=last, tingkat="lanjutan", tanggal=dt.date(2022, 5, 1))
    BimtekFactory(psm=last, tingkat="dasar", tanggal=dt.date(2021, 1, 15))
    BimtekFactory(psm=last, tingkat="dasar", tanggal=dt.date(2023, 1, 15))
    Psm.objects.filter(pk=last.pk).update(status=StatusPsm.AKTIF, status_sejak=dt.date(2024, 2, 3))
    response = staff_client.get(reverse("registry:psm-export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert len(rows) == 6  # the header and five PSM
    assert rows["Ekspor 4"] == [
        "Ekspor 4",
        last.nik,
        "Laki-laki",
        "1985-03-10",
        "Rejowinangun Selatan",
        "Magelang Selatan",
        "33.71.01.1003",
        "Aktif",
        "2024-02-03",
        "Anak, Gizi",
        "Bimtek dasar, Pemantapan/lanjutan",
    ]
    assert rows["Ekspor 1"][2] == "Perempuan"
    assert rows["Ekspor 1"][9:] == ["", ""]
    # In English, the columns and the labels alike.
    response = staff_client.get(
        reverse("registry:psm-export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="en"
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    english = list(csv.reader(io.StringIO(text)))
    assert english[0][:3] == ["Name", "NIK", "Sex"]
    assert english[0][7:] == ["Status", "Status since", "Specialisation", "Bimtek"]
    row = next(r for r in english if r[0] == "Ekspor 4")
    assert (row[2], row[7], row[10]) == ("Male", "Active", "Advanced Bimtek, Basic Bimtek")


def test_export_xlsx_masks_nik_for_supervisor(client, users, psm):
    client.force_login(users[Role.SUPERVISOR])
    response = client.get(reverse("registry:psm-export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Nama", "NIK")
    assert rows[1][1] == f"{psm.nik[:4]}**********{psm.nik[-2:]}"


def test_a_large_xlsx_export_is_built_in_the_background_with_the_lists_search(
    client, users, regions, monkeypatch
):
    """250,000 PSM took 62 s in the request, past gunicorn's timeout: past the limit the list's
    button queues a document; the search typed into the list (never in a URL) goes with it."""
    from psm_portal.background import build_document
    from psm_portal.models import GeneratedDocument
    from registry import exports

    kept = PsmFactory(nama="Dewi Lestari")
    PsmFactory(nama="Budi Santoso")
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 0)
    client.force_login(users[Role.SUPERVISOR])  # may export, sees NIKs masked
    listing = _search(client, "dewi")
    assert f'action="{reverse("registry:psm-export", args=["xlsx"])}?' in listing.content.decode()
    url = reverse("registry:psm-export", args=["xlsx"]) + "?" + listing.request["QUERY_STRING"]

    # A link followed (GET) queues nothing: it points at the button.
    answer = client.get(url, follow=True)
    assert "tekan tombol Unduh XLSX" in answer.content.decode()
    assert not GeneratedDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="psm.export").exists()

    response = client.post(url)
    document = GeneratedDocument.objects.get()
    assert response["Location"] == reverse("reports:document", args=[document.pk])
    assert document.judul == "Ekspor data PSM (1 baris), XLSX"
    assert document.params == {"q": ["dewi"], "cakupan": ["33.71"]}  # no page, no token
    assert AuditEvent.objects.get(action="psm.export").after["latar"] is True
    # What was searched (a name, or a NIK) stays out of the audit trail, which is kept forever.
    assert AuditEvent.objects.get(action="document.request").after["pencarian"] is True
    assert "dewi" not in str(list(AuditEvent.objects.values_list("after", "target_label")))

    assert build_document.call(str(document.pk)) == GeneratedDocument.Status.DONE
    document.refresh_from_db()
    # Read-only, openpyxl keeps the file open until the workbook is closed: left to the garbage
    # collector, its ResourceWarning failed whichever later test the collection fell in.
    workbook = load_workbook(document.berkas.path, read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert [row[0] for row in rows] == ["Nama", "Dewi Lestari"]
    assert rows[1][1] == f"{kept.nik[:4]}**********{kept.nik[-2:]}"
    assert document.params["nik_lengkap"] is False
    url = reverse("reports:document-download", args=[document.pk])
    # Moved to another kab/kota: the file of the old one is not theirs any more.
    users[Role.SUPERVISOR].scope.set(Wilayah.objects.filter(kode="33.12"))
    assert client.get(url).status_code == 403
    users[Role.SUPERVISOR].scope.set(Wilayah.objects.filter(kode="33.71"))
    download = client.get(url)
    assert download.status_code == 200
    download.close()


def test_a_background_psm_export_whose_filter_no_longer_holds_fails_instead_of_exporting_all(
    staff_client, regions, monkeypatch
):
    from psm_portal.background import build_document
    from psm_portal.models import GeneratedDocument
    from registry import exports

    PsmFactory()
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", -1)  # even an empty list
    url = reverse("registry:psm-export", args=["xlsx"]) + "?kecamatan=33.71.02"
    staff_client.post(url)
    document = GeneratedDocument.objects.get()
    assert document.params["kecamatan"] == ["33.71.02"]
    document.params = {**document.params, "kecamatan": ["33.12.01"]}  # out of scope by now
    document.save()
    assert build_document.call(str(document.pk)) == GeneratedDocument.Status.FAILED
    document.refresh_from_db()
    assert "tidak berlaku lagi" in document.pesan_galat and not document.berkas


def test_export_respects_region_scope(staff_client, regions):
    PsmFactory(desa_kode="33.12.01.2001", nama="Orang Wonogiri")
    PsmFactory(nama="Orang Magelang")
    response = staff_client.get(reverse("registry:psm-export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Orang Magelang" in text and "Orang Wonogiri" not in text


def test_coverage_drills_down_from_kab_kota_to_desa(staff_client, regions):
    active = PsmFactory(status=StatusPsm.AKTIF)
    PsmFactory(status=StatusPsm.CALON)
    PsmFactory(status=StatusPsm.AKTIF, desa_kode="33.12.01.2001")  # outside the scope
    top = staff_client.get(reverse("registry:coverage")).context
    by_code = {r.wilayah.kode: r for r in top["rows"]}
    assert sorted(by_code) == ["33.71.01", "33.71.02", "33.71.03"]
    selatan = by_code["33.71.01"]
    assert (selatan.desa_total, selatan.desa_tanpa_psm, selatan.psm_aktif, selatan.psm_total) == (
        6,
        5,
        1,
        2,
    )
    assert top["tanpa_psm"] == 16 and not top["desa_level"]
    down = staff_client.get(reverse("registry:coverage"), {"wilayah": "33.71.01"}).context
    rows = {r.wilayah.kode: r for r in down["rows"]}
    assert down["desa_level"] and len(rows) == 6
    assert (rows[active.desa_tugas_id].psm_aktif, rows[active.desa_tugas_id].psm_total) == (1, 2)
    assert [w.kode for w in down["trail"]] == ["33.71", "33.71.01"]


def test_coverage_of_a_scope_mixing_a_kab_kota_and_a_kecamatan(client, regions):
    """Each row is grouped by its own code width (a kecamatan elsewhere answered 500)."""
    client.force_login(make_user(Role.STAF, scope=["33.71", "33.12.01"]))
    PsmFactory(status=StatusPsm.AKTIF)
    PsmFactory(status=StatusPsm.AKTIF, desa_kode="33.12.01.2001")
    PsmFactory(status=StatusPsm.CALON, desa_kode="33.12.01.2001")
    answer = client.get(reverse("registry:coverage"))
    assert answer.status_code == 200
    rows = {r.wilayah.kode: r for r in answer.context["rows"]}
    assert sorted(rows) == ["33.12.01", "33.71"]
    assert (rows["33.71"].desa_total, rows["33.71"].psm_aktif, rows["33.71"].psm_total) == (
        17,
        1,
        1,
    )
    desa = Wilayah.objects.filter(kode__startswith="33.12.01.", tingkat=4).count()
    kecamatan = rows["33.12.01"]
    assert (kecamatan.desa_total, kecamatan.psm_aktif, kecamatan.psm_total) == (desa, 1, 2)
    assert kecamatan.desa_tanpa_psm == desa - 1


def test_coverage_outside_scope_falls_back_to_own_region(staff_client, regions):
    context = staff_client.get(reverse("registry:coverage"), {"wilayah": "33.12"}).context
    assert context["node"].kode == "33.71"


def test_coverage_query_count_does_not_grow(staff_client, many_psm, django_assert_num_queries):
    with django_assert_num_queries(8):
        staff_client.get(reverse("registry:coverage"), {"wilayah": "33.71.02"})


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_card_pdf_reads_back_with_masked_nik(client, users, psm, tmp_path):
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.AKTIF)  # carded only then
    client.force_login(users[Role.PSM])
    response = client.get(reverse("registry:psm-card", args=[psm.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    assert "KARTU PEKERJA SOSIAL MASYARAKAT" in text
    assert psm.nama in text and "Rejowinangun Selatan" in text
    assert psm.nik not in text and f"{psm.nik[:4]}**********{psm.nik[-2:]}" in text


def test_a_card_is_printed_only_for_a_psm_aktif(client, users, psm):
    """A staff walk: "KARTU PEKERJA SOSIAL MASYARAKAT" printed for a candidate and for a PSM
    who had stopped; the profile offered it."""
    client.force_login(users[Role.STAF])
    for status in (StatusPsm.CALON, StatusPsm.BERHENTI):
        Psm.objects.filter(pk=psm.pk).update(status=status)
        answer = client.get(reverse("registry:psm-card", args=[psm.pk]), follow=True)
        assert answer.redirect_chain[-1][0] == reverse("registry:psm-detail", args=[psm.pk])
        body = answer.content.decode()
        assert f"Kartu PSM hanya dicetak untuk PSM aktif; PSM ini berstatus {status}." in body
        assert reverse("registry:psm-card", args=[psm.pk]) not in body
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.AKTIF)
    body = client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert reverse("registry:psm-card", args=[psm.pk]) in body


def test_public_verification_shows_only_name_status_and_desa(client, psm):
    psm.telepon = "081299998888"
    psm.save()
    body = client.get(reverse("registry:psm-verify", args=[psm.kode_verifikasi])).content.decode()
    assert psm.nama in body and "Calon" in body and "Rejowinangun Selatan" in body
    for secret in (psm.nik, psm.telepon, psm.alamat_ktp, psm.nik[:4]):
        assert secret not in body


def test_public_verification_unknown_code_is_404_with_message(client, regions):
    response = client.get(reverse("registry:psm-verify", args=["tebak-tebakan"]))
    assert response.status_code == 404
    assert "Kartu tidak dikenal" in response.content.decode()


def test_region_filter_options_follow_the_chosen_parent(staff_client, regions, monkeypatch):
    monkeypatch.setattr("registry.filters.MAX_REGION_OPTIONS", 5)  # Magelang has 17 kelurahan
    form = staff_client.get(reverse("registry:psm-list")).context["filter"].form
    assert "kabkota" not in form.fields  # one kab/kota in scope: no select for it
    assert list(form.fields["desa"].widget.choices) == [("", "Pilih kecamatan dulu")]
    form = (
        staff_client.get(reverse("registry:psm-list"), {"kecamatan": "33.71.02"})
        .context["filter"]
        .form
    )
    codes = [code for code, _label in form.fields["desa"].widget.choices if code]
    assert len(codes) == 5 and all(code.startswith("33.71.02.") for code in codes)


def test_desa_options_wait_for_the_kecamatan_unless_the_scope_is_one_kecamatan(
    client, staff_client, regions
):
    form = staff_client.get(reverse("registry:psm-list")).context["filter"].form
    assert list(form.fields["desa"].widget.choices) == [("", "Pilih kecamatan dulu")]
    client.force_login(make_user(Role.STAF, scope=["33.71.02"], username="staf-kec"))
    form = client.get(reverse("registry:psm-list")).context["filter"].form
    codes = [code for code, _label in form.fields["desa"].widget.choices if code]
    assert codes and all(code.startswith("33.71.02.") for code in codes)


def test_region_filter_refuses_a_region_outside_the_scope(staff_client, regions):
    PsmFactory(desa_kode="33.12.01.2001")
    inside = PsmFactory(desa_kode="33.71.02.1003")  # in the staff's scope
    response = staff_client.get(reverse("registry:psm-list"), {"kecamatan": "33.12.01"})
    assert "kecamatan" in response.context["filter"].form.errors
    assert [row.pk for row in response.context["page"].object_list] == [inside.pk]


def test_profile_change_history_names_fields_for_people(staff_client, psm, staff):
    from registry import services

    services.psm_update(psm=psm, data={"telepon": "081234567890"}, by=staff)
    body = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "Perubahan data" in body
    assert "Telepon</span>: - &rarr; 081234567890" in body
    assert "kode_verifikasi" not in body and psm.kode_verifikasi not in body


def test_card_pdf_prints_markup_as_text(client, users, psm, tmp_path):
    psm.nama = "<b>Dewi</b> & Ma'ruf 🌸"
    psm.status = StatusPsm.AKTIF  # carded only then
    psm.save()
    client.force_login(users[Role.PSM])
    text = _pdf_text(client.get(reverse("registry:psm-card", args=[psm.pk])).content, tmp_path)
    assert "<b>Dewi</b> & Ma'ruf" in text


def test_a_scope_with_thousands_of_desa_types_the_code_and_stays_in_scope(
    staff_client, monkeypatch
):
    monkeypatch.setattr("registry.forms.MAX_DESA_OPTIONS", 3)  # Magelang has 17 kelurahan
    page = staff_client.get(reverse("registry:psm-create")).content.decode()
    assert 'name="desa_tugas"' in page and '<option value="33.71.01.1003"' not in page
    assert "Ketik kode wilayah Kemendagri desa/kelurahan" in page
    outside = staff_client.post(
        reverse("registry:psm-create"), _form_data(desa_tugas="33.12.01.2001")
    )
    assert outside.status_code == 200 and not Psm.objects.exists()
    assert "di luar wilayah kerja Anda" in outside.content.decode()
    assert 'value="Siti Rahayu"' in outside.content.decode()  # nothing typed is lost
    staff_client.post(
        reverse("registry:psm-create"), _form_data(desa_tugas=" 3371011003 ", desa_ktp=DESA)
    )
    assert Psm.objects.get().desa_tugas_id == DESA  # spaces ignored, dots added


def test_an_awards_year_reads_as_a_year_on_the_profile(staff_client, psm):
    url = reverse("registry:psm-record-add", args=[psm.pk, "penghargaan"])
    award = {"nama": "PSM Berprestasi", "tingkat": "kabkota", "tahun": "2024"}
    assert staff_client.post(url, award).status_code == 302
    body = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "PSM Berprestasi</strong> Kabupaten/Kota 2024" in body and "2.024" not in body


def test_an_edit_that_takes_an_aktif_psm_out_of_the_requirements_asks_first(staff_client, staff):
    """Permensos 10/2019: the KTP desa is the duty desa, a PSM is WNI and can read. Editing an
    aktif PSM's KTP desa elsewhere is saved only once confirmed, with the reason named, and the
    status is left for staff to change."""
    from registry import services
    from registry.models import StatusPsm

    psm = services.psm_register(data=_register_like(), by=staff, today=dt.date(2026, 1, 5))
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.AKTIF)
    url = reverse("registry:psm-update", args=[psm.pk])
    moved = _form_data(desa_ktp="33.71.01.1007", alamat_ktp="Jl. Pindah 1")
    body = staff_client.post(url, moved).content.decode()
    assert "PSM ini berstatus aktif, dan dengan perubahan ini tidak lagi memenuhi syarat" in body
    assert "Desa/kelurahan KTP harus sama dengan desa/kelurahan tempat bertugas." in body
    assert 'value="Jl. Pindah 1"' in body  # nothing typed is lost
    psm.refresh_from_db()
    assert psm.desa_ktp_id == DESA
    response = staff_client.post(url, {**moved, "konfirmasi_peringatan": "on"})
    assert response.status_code == 302
    psm.refresh_from_db()
    assert psm.desa_ktp_id == "33.71.01.1007" and psm.status == StatusPsm.AKTIF
    # A calon's record is not held to it until activation, which checks it anyway.
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.CALON, desa_ktp_id=DESA)
    assert staff_client.post(url, moved).status_code == 302


def test_the_joining_date_stays_before_the_day_a_psm_was_made_aktif(staff_client, staff):
    """From a review: a PSM aktif since 2024 had their joining date moved to 2025, and the
    reports (who served is read from the status history, and no one is aktif before joining)
    dropped the year between; a status change could also be dated before joining."""
    from django.core.exceptions import ValidationError

    from registry import services
    from registry.models import PsmStatusChange, StatusPsm

    psm = services.psm_register(data=_register_like(), by=staff, today=dt.date(2026, 1, 5))
    PsmStatusChange.objects.create(
        psm=psm, dari="calon", ke="aktif", tanggal_efektif=dt.date(2024, 2, 1)
    )
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.AKTIF, status_sejak=dt.date(2024, 2, 1))
    url = reverse("registry:psm-update", args=[psm.pk])
    body = staff_client.post(url, _form_data(tanggal_bergabung="2025-06-01")).content.decode()
    assert "PSM ini sudah aktif sejak 1 Februari 2024" in body
    psm.refresh_from_db()
    assert psm.tanggal_bergabung == dt.date(2024, 1, 2)
    assert staff_client.post(url, _form_data(tanggal_bergabung="2024-01-10")).status_code == 302
    # a calon's joining date corrected later: no status can be dated before it
    Psm.objects.filter(pk=psm.pk).update(
        status=StatusPsm.CALON,
        status_sejak=dt.date(2024, 1, 2),
        tanggal_bergabung=dt.date(2025, 3, 1),
    )
    psm.refresh_from_db()
    with pytest.raises(ValidationError, match="sebelum tanggal bergabung"):
        services.psm_change_status(
            psm=psm,
            ke=StatusPsm.BERHENTI,
            tanggal=dt.date(2024, 6, 1),
            by=staff,
            alasan="pindah_domisili",
        )


def _register_like() -> dict:
    from registry.models import Wilayah

    data = _form_data()
    desa = Wilayah.objects.get(kode=DESA)
    return {
        **{
            k: v
            for k, v in data.items()
            if k not in ("desa_ktp", "desa_tugas", "bisa_baca_tulis", "berkelakuan_baik")
        },
        "tanggal_lahir": dt.date(1990, 3, 5),
        "tanggal_bergabung": dt.date(2024, 1, 2),
        "desa_ktp": desa,
        "desa_tugas": desa,
        "bisa_baca_tulis": True,
        "berkelakuan_baik": True,
    }


def test_a_psm_whose_ktp_desa_is_outside_the_editors_region_can_still_be_edited(staff_client):
    """A PSM who moved here from Kab. Wonogiri keeps their KTP desa there until they change their
    KTP: a kab/kota office's edit of their phone number is saved with it (it was refused as a
    choice outside the region), while a new desa outside the region is still refused."""
    psm = PsmFactory(status="calon", desa_kode=DESA)
    Psm.objects.filter(pk=psm.pk).update(desa_ktp_id="33.12.01.2001", desa_domisili_id=None)
    url = reverse("registry:psm-update", args=[psm.pk])
    form = staff_client.get(url).context["form"]
    data = {
        **_form_data(nik=psm.nik, desa_ktp="33.12.01.2001", telepon="081234567890"),
        "tanggal_lahir": psm.tanggal_lahir.isoformat(),
        "jenis_kelamin": psm.jenis_kelamin,
    }
    assert form.fields["desa_ktp"].queryset.filter(pk="33.12.01.2001").exists()
    response = staff_client.post(url, data)
    assert response.status_code == 302
    psm.refresh_from_db()
    assert psm.telepon == "081234567890" and psm.desa_ktp_id == "33.12.01.2001"
    elsewhere = staff_client.post(url, {**data, "desa_domisili": "33.12.01.2001", "desa_ktp": DESA})
    assert elsewhere.status_code == 200
    assert "desa_domisili" in elsewhere.context["form"].errors
    refused_duty = staff_client.post(url, {**data, "desa_tugas": "33.12.01.2001"})
    assert "desa_tugas" in refused_duty.context["form"].errors


def test_a_card_asked_for_in_english_is_still_an_indonesian_card(client, users, psm, tmp_path):
    """Without an office row the card names "Dinas Sosial": it took the reader's language and
    printed "SOCIAL SERVICES OFFICE (DINAS SOSIAL)" on an official card."""
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.AKTIF)  # carded only then
    client.force_login(users[Role.PSM])
    answer = client.get(
        reverse("registry:psm-card", args=[psm.pk]), headers={"accept-language": "en"}
    )
    text = _pdf_text(answer.content, tmp_path)
    assert "DINAS SOSIAL" in text and "SOCIAL SERVICES" not in text


def test_the_profile_prints_years_as_years_and_empty_history_values_as_a_dash(staff_client, psm):
    """An open-ended IPSM membership printed "2.023–sekarang" on the profile and "Periode
    selesai (tahun): None" in the change history."""
    staff_client.post(
        reverse("registry:psm-record-add", args=[psm.pk, "ipsm"]),
        {"tingkat": "desa", "jabatan": "ketua", "periode_mulai": "2023", "periode_selesai": ""},
    )
    assert psm.ipsm_set.count() == 1
    body = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "2023&ndash;sekarang" in body
    history = body[body.index('id="h-audit"') :]
    assert "None" not in history
    # an added record shows what it holds, not the fields left empty
    assert "Periode mulai (tahun)</span>: 2023" in history and "Periode selesai" not in history
    # a field emptied by a change reads as a dash
    audit.record(
        by=None, action="psm.update", target=psm, before={"email": "sri@contoh.id"}, after={}
    )
    body = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "Pos-el</span>: sri@contoh.id &rarr; -" in body


def test_a_nik_first_registered_elsewhere_in_the_country_needs_no_confirmation(staff_client):
    """A kab/kota office loads only its own regions: a PSM who moved here from Jakarta was
    warned that 31.74.07 (Kebayoran Baru) was not in the Kemendagri list, and asked to confirm."""
    response = staff_client.post(reverse("registry:psm-create"), _form_data(nik="3174074503900001"))
    assert response.status_code == 302
    assert Psm.objects.get().nik == "3174074503900001"


def test_a_nik_whose_kecamatan_is_in_no_list_is_still_a_warning(staff_client):
    data = _form_data(nik="3371094503900001")  # Kota Magelang has kecamatan 01 to 03
    response = staff_client.post(reverse("registry:psm-create"), data)
    assert response.status_code == 200
    assert "Kode wilayah 33.71.09 pada NIK tidak ada di daftar Kemendagri" in (
        response.content.decode()
    )
    assert not Psm.objects.exists()


def test_an_aktif_psms_birth_date_that_makes_them_a_minor_on_their_sk_asks_first(
    staff_client, staff
):
    """An aktif PSM's birth date edited to 2015 (and the NIK to match) was saved with no word;
    activation checks the age on the SK's date, an edit did not."""
    from registry import services

    psm = services.psm_register(data=_register_like(), by=staff, today=dt.date(2026, 1, 5))
    SkFactory(psm=psm, tanggal_sk=dt.date(2026, 1, 10))
    Psm.objects.filter(pk=psm.pk).update(status=StatusPsm.AKTIF)
    url = reverse("registry:psm-update", args=[psm.pk])
    minor = _form_data(nik="3371014503150001", tanggal_lahir="2015-03-05")
    body = staff_client.post(url, minor).content.decode()
    assert "Usia pada tanggal SK 10 Januari 2026 baru 10 tahun; minimal 18 tahun." in body
    psm.refresh_from_db()
    assert psm.tanggal_lahir == dt.date(1990, 3, 5)
    answer = staff_client.post(url, {**minor, "konfirmasi_peringatan": "on"})
    assert answer.status_code == 302  # a correction the office confirms is saved


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        (
            "bimtek",
            {
                "tingkat": "dasar",
                "nomor_sertifikat": "BD-1",
                "penyelenggara": "Dinas Sosial",
                "tanggal": "1960-01-01",
            },
            "Tanggal tidak boleh sebelum tanggal lahir PSM",
        ),
        (
            "ipsm",
            {"tingkat": "desa", "jabatan": "anggota", "periode_mulai": "1960"},
            "Periode tidak boleh dimulai sebelum PSM lahir",
        ),
        (
            "penghargaan",
            {"nama": "PSM Teladan", "tingkat": "kabkota", "tahun": "2030"},
            "Tahun penghargaan tidak boleh di masa depan.",
        ),
        (
            "bantuan",
            {"jenis": "sepeda", "tanggal": "2099-01-01", "sumber": "APBD"},
            "Tanggal diterima tidak boleh di masa depan.",
        ),
    ],
)
def test_a_service_record_from_before_birth_or_the_future_is_refused(
    staff_client, psm, kind, data, message
):
    """The walk recorded a Bimtek passed in 1990 by a PSM born in 2000 (it counted towards
    activation), an IPSM term from before birth, an award of 2030 and aid received in 2028."""
    url = reverse("registry:psm-record-add", args=[psm.pk, kind])
    answer = staff_client.post(url, data)
    assert answer.status_code == 200 and message in answer.content.decode()


def test_one_bimtek_certificate_number_is_not_recorded_for_two_psm(staff_client, psm):
    form = {
        "tingkat": "dasar",
        "nomor_sertifikat": "BD-2023-0001",
        "penyelenggara": "Dinas Sosial Kota Magelang",
        "tanggal": "2023-05-01",
    }
    BimtekFactory(psm=PsmFactory(nama="Fatimah"), **{**form, "tanggal": dt.date(2023, 5, 1)})
    url = reverse("registry:psm-record-add", args=[psm.pk, "bimtek"])
    body = staff_client.post(url, form).content.decode()
    assert "Nomor sertifikat ini sudah tercatat untuk PSM lain." in body
    assert "Fatimah" not in body  # someone perhaps outside the editor's region
    assert not psm.bimtek_set.exists()


def _png(name="foto.png") -> SimpleUploadedFile:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 80), "teal").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), "image/png")


def test_a_psm_photo_is_kept_only_with_their_consent_and_goes_when_it_is_withdrawn(
    staff_client, settings, tmp_path, django_capture_on_commit_callbacks
):
    """UU 27/2022 Pasal 20(2)(a) and 22: a face photo is optional; kept, it rests on the PSM's
    consent, recorded with its time and the text's version, and withdrawn by removing it."""
    settings.MEDIA_ROOT = tmp_path
    create = reverse("registry:psm-create")
    refused = staff_client.post(create, {**_form_data(), "foto": _png()})
    assert refused.status_code == 200 and not Psm.objects.exists()
    assert "Foto hanya disimpan dengan persetujuan PSM" in refused.content.decode()
    assert 'value="Siti Rahayu"' in refused.content.decode()  # the rest of the form kept
    staff_client.post(create, {**_form_data(), "foto": _png(), "persetujuan_foto": "on"})
    psm = Psm.objects.get()
    assert psm.foto and psm.foto_persetujuan_versi == "2026-12"
    agreed = psm.foto_persetujuan_pada
    assert agreed is not None
    profile = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "Disetujui PSM" in profile and "(teks 2026-12)" in profile
    update = reverse("registry:psm-update", args=[psm.pk])
    form = staff_client.get(update).content.decode()
    assert re.search(r'name="persetujuan_foto"[^>]*checked', form)
    # The stored photo is shown through the view that checks who asks; no link to /media/,
    # which is not served (it led to a 404 and showed the storage path).
    photo_url = reverse("registry:psm-photo", args=[psm.pk])
    assert f'src="{photo_url}"' in form and "media/" not in form and "psm/foto/" not in form
    assert "berkas tersimpan" in form
    # An edit of something else keeps the consent as it was given.
    staff_client.post(update, {**_form_data(telepon="0812-3456-7890"), "persetujuan_foto": "on"})
    psm.refresh_from_db()
    assert psm.telepon == "0812-3456-7890" and psm.foto_persetujuan_pada == agreed
    # A new photo is agreed to when it is taken, under the text shown then.
    replaced_consent = agreed - dt.timedelta(days=400)
    Psm.objects.filter(pk=psm.pk).update(
        foto_persetujuan_pada=replaced_consent, foto_persetujuan_versi="2025-01"
    )
    staff_client.post(update, {**_form_data(), "foto": _png(), "persetujuan_foto": "on"})
    psm.refresh_from_db()
    assert psm.foto_persetujuan_pada > agreed and psm.foto_persetujuan_versi == "2026-12"
    agreed = psm.foto_persetujuan_pada
    history = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "+00:00" not in history  # the consent's time in the change history, as a local time
    # Unticked while the photo stays: said what withdrawing means, nothing changed.
    answer = staff_client.post(update, _form_data())
    assert "hapus juga fotonya" in answer.content.decode()
    psm.refresh_from_db()
    assert psm.foto and psm.foto_persetujuan_pada == agreed
    # Withdrawn: the photo goes (its file too) and the consent with it.
    path = tmp_path / psm.foto.name
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        removed = staff_client.post(update, {**_form_data(), "foto-clear": "on"})
    assert removed.status_code == 302  # a 500 before: the form's False was saved as it came
    psm.refresh_from_db()
    assert not psm.foto and psm.foto_persetujuan_pada is None and not path.exists()
    assert AuditEvent.objects.filter(
        action="psm.update", before__has_key="foto_persetujuan_pada"
    ).exists()


def test_a_photo_refused_for_want_of_consent_is_not_shown_as_stored(
    staff_client, settings, tmp_path
):
    """The form re-shown after a refused upload shows no stored photo where there is none (the
    upload sat on the instance, and the image pointed at a photo view that answers 404)."""
    settings.MEDIA_ROOT = tmp_path
    psm = PsmFactory()
    update = reverse("registry:psm-update", args=[psm.pk])
    answer = staff_client.post(update, {**_form_data(), "foto": _png()})
    body = answer.content.decode()
    assert "Foto hanya disimpan dengan persetujuan PSM" in body
    assert reverse("registry:psm-photo", args=[psm.pk]) not in body
    assert "berkas tersimpan" not in body


def test_a_photo_stored_before_consent_was_recorded_says_so(staff_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    psm = PsmFactory(foto=_png())
    profile = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "Persetujuan PSM atas foto ini belum tercatat" in profile


def test_the_admin_cannot_put_a_photo_in_past_the_consent(admin_client, regions):
    """The admin's PSM form offered the photo field: a photo stored there had no recorded consent
    and kept its EXIF location."""
    psm = PsmFactory()
    page = admin_client.get(reverse("admin:registry_psm_change", args=[psm.pk]))
    assert page.status_code == 200 and 'name="foto"' not in page.content.decode()


def test_a_psm_asking_for_the_registry_list_lands_on_their_own_profile(client, users, psm):
    """A walk: `/registri/psm/` answered a PSM with a list of their own row, beside filters of
    regions and statuses that are not theirs to search."""
    client.force_login(users[Role.PSM])
    for query in ("", "?status=aktif&q=a"):
        response = client.get(reverse("registry:psm-list") + query)
        assert response.status_code == 302
        assert response["Location"] == reverse("registry:psm-detail", args=[psm.pk])
    assert client.get(response["Location"]).status_code == 200
