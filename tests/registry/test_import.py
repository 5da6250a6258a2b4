import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from psm_portal.models import AuditEvent, Role
from registry import importer
from registry.models import ImportBatch, Psm, PsmStatusChange, StatusImpor, StatusPsm, Wilayah
from tests.factories import PsmFactory

TODAY = dt.date(2026, 11, 24)
HEADER = [
    "NIK",
    "Nama",
    "Jenis Kelamin",
    "Tempat Lahir",
    "Tgl Lahir",
    "Alamat",
    "Kecamatan",
    "Desa/Kelurahan",
    "No HP",
]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name="daftar.xlsx"):
    return client.post(
        reverse("registry:import-upload"), {"berkas": SimpleUploadedFile(name, content)}
    )


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def messy_rows(existing_nik):
    return [
        # 2: clean, NIK as text, ISO date
        [
            "3371014503900001",
            "Siti Rahayu",
            "P",
            "Magelang",
            "1990-03-05",
            "Jl. Tidar 1",
            "Magelang Selatan",
            "Rejowinangun Selatan",
            "0812-1111-2222",
        ],
        # 3: NIK as an exact number, Indonesian month name, "Kec." prefix and odd case
        [
            3371021211870001,
            "Ma'ruf Hidayat",
            "Laki-laki",
            "Magelang",
            "12 November 1987",
            "Jl. Pemuda 2",
            "kec. magelang utara",
            "KELURAHAN WATES",
            None,
        ],
        # 4: misspelt kelurahan -> error with a suggestion
        [
            "3371015508950001",
            "Dewi Lestari",
            "P",
            "Magelang",
            "15/08/1995",
            "Jl. Ikhlas 3",
            "Magelang Selatan",
            "Rejowinangun Seltan",
            "",
        ],
        # 5: impossible NIK (31 February)
        [
            "3371013102900001",
            "Budi Santoso",
            "L",
            "Magelang",
            "31-01-1990",
            "Jl. A",
            "Magelang Selatan",
            "Magersari",
            "",
        ],
        # 6: kecamatan outside the scope (Wonogiri)
        [
            "3312011503800001",
            "Orang Wonogiri",
            "L",
            "Wonogiri",
            "15-03-1980",
            "Jl. B",
            "Pracimantoro",
            "Sumberagung",
            "",
        ],
        # 7: the NIK already registered in scope
        [
            existing_nik,
            "Nama Baru",
            "L",
            "Magelang",
            "10-03-1985",
            "Jl. Baru 9",
            "Magelang Selatan",
            "Rejowinangun Selatan",
            "0899-1234-5678",
        ],
        # 8: scientific notation that lost digits
        [
            "3.37101E+15",
            "Ani",
            "P",
            "Magelang",
            "01-01-1990",
            "Jl. C",
            "Magelang Selatan",
            "Magersari",
            "",
        ],
        # 9: markup in a cell, Excel serial date, codes instead of names
        [
            "3371016707920001",
            "<script>alert(1)</script> Dyah",
            "P",
            "Magelang",
            33812,
            "Jl. D",
            "33.71.01",
            "33.71.01.1007",
            "",
        ],
        # 10: a date that is not one
        [
            "3371014101910001",
            "Tri Wulandari",
            "P",
            "Magelang",
            "31/02/1991",
            "Jl. E",
            "Magelang Selatan",
            "Magersari",
            "",
        ],
        # 11: the same NIK twice in the file
        [
            "3371014503900001",
            "Siti Kembar",
            "P",
            "Magelang",
            "1990-03-05",
            "Jl. F",
            "Magelang Selatan",
            "Magersari",
            "",
        ],
    ]


@pytest.fixture
def existing(regions):
    return PsmFactory(nama="Nama Lama", telepon="0811", pekerjaan="Guru")


def test_messy_roster_preview_reports_each_row(staff_client, existing):
    response = upload(staff_client, xlsx(messy_rows(existing.nik)))
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    rows = {r["baris"]: r for r in batch.baris}
    assert rows[2]["errors"] == [] and rows[2]["desa_kode"] == "33.71.01.1003"
    assert rows[3]["errors"] == [] and rows[3]["desa_kode"] == "33.71.02.1003"
    assert rows[3]["nilai"]["tanggal_lahir"] == "1987-11-12"
    assert any("angka" in w for w in rows[3]["warnings"])
    assert any("Maksud Anda: Rejowinangun Selatan?" in e for e in rows[4]["errors"])
    assert any("bukan tanggal yang ada" in e for e in rows[5]["errors"])
    assert any("tidak dikenal di wilayah kerja Anda" in e for e in rows[6]["errors"])
    assert rows[7]["aksi"] == "ada" and rows[7]["errors"] == []
    assert any("digit terakhirnya hilang" in e for e in rows[8]["errors"])
    # a message that names its column is not prefixed with it again ("NIK: NIK harus ...")
    assert all(
        not e.lower().startswith(("nik: nik", "nama: nama"))
        for r in rows.values()
        for e in r["errors"]
    ), [r["errors"] for r in rows.values()]
    assert rows[8]["errors"][0].startswith("NIK tersimpan sebagai angka"), rows[8]["errors"]
    assert rows[9]["errors"] == [] and rows[9]["nilai"]["tanggal_lahir"] == "1992-07-27"
    assert rows[9]["desa_kode"] == "33.71.01.1007"
    assert any("'31/02/1991' bukan tanggal" in e for e in rows[10]["errors"])
    assert any("lebih dari sekali" in e for e in rows[11]["errors"])
    assert batch.jumlah_valid == 4
    assert not Psm.objects.exclude(pk=existing.pk).exists()  # a preview writes no PSM


def test_a_rows_every_problem_is_listed_at_once(staff_client, regions):
    """A browser walk: a row with an unknown desa, a name missing and a 15-year-old listed the
    desa alone; the rest showed only once the desa was fixed and the file sent again."""
    born = dt.date.today().replace(year=dt.date.today().year - 15, day=1)
    nik = f"337101{born.day + 40:02d}{born.month:02d}{born.year % 100:02d}0001"
    row = [nik, "", "P", "Magelang", born.isoformat(), "Jl. A", "Magelang Selatan", "Atlantis", ""]
    upload(staff_client, xlsx([row]))
    [checked] = ImportBatch.objects.get().baris
    errors = " | ".join(checked["errors"])
    assert "Atlantis" in errors and "Nama" in errors, errors
    assert errors.count("Desa") + errors.count("desa") == 1, errors  # said once, not per field
    # fixed, the same row is a candidate of 15: a warning (the age rule met at activation)
    row[1], row[7] = "Nur Fitri", "Magersari"
    ImportBatch.objects.all().delete()
    upload(staff_client, xlsx([row]))
    [checked] = ImportBatch.objects.get().baris
    assert checked["errors"] == []
    assert any("Usia hari ini baru 15 tahun" in w for w in checked["warnings"])
    assert not any(w.startswith("NIK: Usia") for w in checked["warnings"])


def test_preview_page_escapes_markup_and_lists_problems_first(staff_client, existing):
    upload(staff_client, xlsx(messy_rows(existing.nik)))
    batch = ImportBatch.objects.get()
    body = staff_client.get(reverse("registry:import-preview", args=[batch.pk])).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert body.index("Rejowinangun Seltan") < body.index("Siti Rahayu")
    # Four valid rows, one of them a registered NIK: each choice says what it will save (the
    # button said "Simpan 4 baris valid" when skipping saved three); the commits below agree.
    assert "Lewati (data lama tetap): 3 PSM baru disimpan, 1 yang sudah terdaftar tidak diubah" in (
        body
    )
    assert "Perbarui dengan data dari berkas: 3 PSM baru disimpan, 1 yang sudah terdaftar " in body
    assert "Simpan impor</button>" in body and "baris valid" not in body


def test_commit_with_skip_creates_new_rows_only(staff_client, staff, existing):
    upload(staff_client, xlsx(messy_rows(existing.nik)))
    batch = ImportBatch.objects.get()
    response = staff_client.post(
        reverse("registry:import-commit", args=[batch.pk]), {"nik_terdaftar": "lewati"}
    )
    assert response.status_code == 302
    names = set(Psm.objects.exclude(pk=existing.pk).values_list("nama", flat=True))
    assert names == {"Siti Rahayu", "Ma'ruf Hidayat", "<script>alert(1)</script> Dyah"}
    assert set(Psm.objects.exclude(pk=existing.pk).values_list("status", flat=True)) == {
        StatusPsm.CALON
    }
    existing.refresh_from_db()
    assert existing.nama == "Nama Lama"
    batch.refresh_from_db()
    assert batch.status == StatusImpor.SELESAI
    assert batch.hasil["baru"] == 3 and batch.hasil["dilewati"] == 7
    # The parsed rows (every NIK of the file, refused people's too) are not kept past the commit;
    # the batch's page says what was done.
    assert batch.baris == []
    page = staff_client.get(reverse("registry:import-preview", args=[batch.pk])).content.decode()
    assert "Sudah disimpan: 3 PSM baru, 0 diperbarui, 7 dilewati." in page
    assert "tidak disimpan lagi" in page and existing.nik not in page
    assert AuditEvent.objects.filter(action="psm.register").count() == 3
    assert AuditEvent.objects.filter(action="psm.import", actor_id=staff.pk).exists()


def test_commit_with_update_changes_only_roster_columns(staff_client, existing):
    upload(staff_client, xlsx(messy_rows(existing.nik)))
    batch = ImportBatch.objects.get()
    staff_client.post(
        reverse("registry:import-commit", args=[batch.pk]), {"nik_terdaftar": "perbarui"}
    )
    existing.refresh_from_db()
    assert (existing.nama, existing.telepon, existing.alamat_ktp) == (
        "Nama Baru",
        "0899-1234-5678",
        "Jl. Baru 9",
    )
    assert existing.pekerjaan == "Guru"  # not in the roster: kept
    assert existing.tanggal_bergabung == dt.date(2020, 1, 6)  # not in the roster: kept


def test_an_update_keeps_a_ktp_desa_that_differs_from_the_duty_desa(staff, regions):
    """From a review: a roster update set the KTP desa to the duty desa, overwriting a KTP in
    another kab/kota (and then the activation rule "KTP desa equals duty desa" held on invented
    data)."""
    from registry.models import Wilayah

    elsewhere = PsmFactory(desa_kode="33.71.01.1003")
    Psm.objects.filter(pk=elsewhere.pk).update(desa_ktp=Wilayah.objects.get(kode="33.12.01.2001"))
    together = PsmFactory(desa_kode="33.71.01.1003")
    rows = [update_row(elsewhere), update_row(together)]
    batch = importer.build_preview(data=xlsx(rows), filename="daftar.xlsx", by=staff, today=TODAY)
    importer.commit_batch(batch=batch, update_existing=True, by=staff, today=TODAY)
    elsewhere.refresh_from_db()
    together.refresh_from_db()
    assert (elsewhere.desa_ktp_id, elsewhere.desa_tugas_id) == ("33.12.01.2001", "33.71.01.1003")
    assert together.desa_ktp_id == together.desa_tugas_id == "33.71.01.1003"


def test_commit_is_all_or_nothing_when_the_registry_changed(staff_client, regions):
    upload(
        staff_client,
        xlsx(
            [
                [
                    "3371014503900001",
                    "Siti Rahayu",
                    "P",
                    "Magelang",
                    "1990-03-05",
                    "Jl. Tidar 1",
                    "Magelang Selatan",
                    "Rejowinangun Selatan",
                    "",
                ],
                [
                    "3371021211870001",
                    "Budi",
                    "L",
                    "Magelang",
                    "1987-11-12",
                    "Jl. Pemuda 2",
                    "Magelang Utara",
                    "Wates",
                    "",
                ],
            ]
        ),
    )
    batch = ImportBatch.objects.get()
    # Meanwhile someone registers the second NIK by hand.
    PsmFactory(nik="3371021211870001", desa_kode="33.71.02.1003")
    response = staff_client.post(
        reverse("registry:import-commit", args=[batch.pk]), {"nik_terdaftar": "lewati"}, follow=True
    )
    body = response.content.decode()
    # Masked: the message travels in the messages cookie.
    assert "NIK sudah terdaftar sebagai PSM: 3371**********01." in body
    assert "Tidak ada yang disimpan" in body
    assert not Psm.objects.filter(nik="3371014503900001").exists()  # rolled back
    batch.refresh_from_db()
    assert batch.status == StatusImpor.PRATINJAU


def test_commit_twice_is_refused(staff_client, regions):
    upload(
        staff_client,
        xlsx(
            [
                [
                    "3371014503900001",
                    "Siti",
                    "P",
                    "Magelang",
                    "1990-03-05",
                    "Jl. Tidar 1",
                    "Magelang Selatan",
                    "Magersari",
                    "",
                ]
            ]
        ),
    )
    batch = ImportBatch.objects.get()
    url = reverse("registry:import-commit", args=[batch.pk])
    staff_client.post(url, {"nik_terdaftar": "lewati"})
    response = staff_client.post(url, {"nik_terdaftar": "lewati"}, follow=True)
    assert "sudah disimpan atau dibatalkan" in response.content.decode()
    assert Psm.objects.count() == 1


def test_csv_with_semicolons_cp1252_and_scientific_nik(staff_client, regions):
    text = (
        "NIK;Nama;JK;Tempat lahir;Tanggal lahir;Alamat;Kecamatan;Kelurahan\n"
        "3.371014503900001E+15;Siti Ñurhayati;P;Magelang;05.03.1990;Jl. Tidar;"
        "Magelang Selatan;Magersari\n"
    )
    response = upload(staff_client, text.encode("cp1252"), name="roster.csv")
    assert response.status_code == 302
    row = ImportBatch.objects.get().baris[0]
    assert row["errors"] == [], row["errors"]
    assert row["nilai"]["nik"] == "3371014503900001"
    assert row["nilai"]["nama"] == "Siti Ñurhayati"


def test_formula_text_in_csv_is_a_row_error_and_nothing_is_written(staff_client, regions):
    text = (
        "NIK,Nama,JK,Tempat lahir,Tanggal lahir,Alamat,Kecamatan,Kelurahan\n"
        '3371014503900001,"=HYPERLINK(""http://x"",""klik"")",P,Magelang,05-03-1990,'
        "Jl. Tidar,Magelang Selatan,Magersari\n"
    )
    upload(staff_client, text.encode(), name="roster.csv")
    row = ImportBatch.objects.get().baris[0]
    assert any(e.startswith("Nama: sel berisi rumus Excel (=HYPERLINK(") for e in row["errors"])


def test_formula_cell_in_xlsx_is_named_as_a_formula(staff_client, regions):
    upload(
        staff_client,
        xlsx(
            [
                [
                    "3371014503900001",
                    '=HYPERLINK("http://x","Siti")',
                    "P",
                    "Magelang",
                    "1990-03-05",
                    "Jl. Tidar",
                    "Magelang Selatan",
                    "Magersari",
                    "",
                ]
            ]
        ),
    )
    row = ImportBatch.objects.get().baris[0]
    assert row["errors"][0].startswith("Nama: sel berisi rumus Excel (=HYPERLINK(")
    assert "Tempel Khusus > Nilai" in row["errors"][0]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "kosong.csv", "kosong"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "sandi.xlsx", "dilindungi sandi"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "foto.xlsx", "isinya bukan berkas Excel"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "foto.csv", "bukan XLSX atau CSV"),
        # text renamed .xlsx: "Kolom wajib tidak ditemukan" said nothing of why
        (b"NIK;Nama\n3371014503900001;Siti\n", "daftar.xlsx", "isinya bukan berkas Excel"),
        (b"PK\x03\x04 this is not really a zip", "rusak.xlsx", "rusak"),
        (b"Nama,Alamat\nSiti,Jl. Tidar\n", "kurang.csv", "Kolom wajib tidak ditemukan"),
        (b"%PDF-1.4 ...", "dokumen.csv", "bukan XLSX atau CSV"),
    ],
)
def test_bad_files_get_a_message_and_no_batch(staff_client, regions, content, name, message):
    response = upload(staff_client, content, name=name)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_sound_zip_with_a_broken_sheet_gets_a_message_not_a_500(staff_client, regions):
    """openpyxl's read-only mode parses the sheet only while its rows are read: a cut-off
    sheet1.xml in an intact zip used to fail past the check and answer 500."""
    import zipfile

    workbook = Workbook()
    workbook.active.append(["NIK", "Nama"])
    workbook.active.append(["3371014503900001", "Siti"])
    good = io.BytesIO()
    workbook.save(good)
    broken = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    response = upload(staff_client, broken.getvalue(), name="terpotong.xlsx")
    assert response.status_code == 422
    assert "Berkas Excel rusak atau tidak dapat dibaca." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_of_30_mb_is_refused_with_message(staff_client, regions):
    response = upload(staff_client, b"a" * (30 * 1024 * 1024), name="besar.csv")
    assert response.status_code == 422
    assert "Berkas terlalu besar" in response.content.decode()


def test_ten_thousand_character_name_is_a_row_error(staff_client, regions):
    upload(
        staff_client,
        xlsx(
            [
                [
                    "3371014503900001",
                    "A" * 10_000,
                    "P",
                    "Magelang",
                    "1990-03-05",
                    "Jl. Tidar",
                    "Magelang Selatan",
                    "Magersari",
                    "",
                ]
            ]
        ),
    )
    row = ImportBatch.objects.get().baris[0]
    assert any("Nama" in e and "150 karakter" in e for e in row["errors"])


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.VERIFIKATOR, Role.PSM])
def test_import_is_for_staff_only(client, users, role):
    client.force_login(users[role])
    assert client.get(reverse("registry:import-upload")).status_code == 403


def test_another_users_batch_is_404(client, users, regions):
    batch = ImportBatch.objects.create(dibuat_oleh=users[Role.ADMIN], nama_berkas="x.csv")
    client.force_login(users[Role.STAF])
    assert client.get(reverse("registry:import-preview", args=[batch.pk])).status_code == 404


def test_cancel_forgets_the_parsed_rows(staff_client, regions):
    upload(
        staff_client,
        xlsx(
            [
                [
                    "3371014503900001",
                    "Siti",
                    "P",
                    "Magelang",
                    "1990-03-05",
                    "Jl. Tidar 1",
                    "Magelang Selatan",
                    "Magersari",
                    "",
                ]
            ]
        ),
    )
    batch = ImportBatch.objects.get()
    staff_client.post(reverse("registry:import-cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.baris) == (StatusImpor.BATAL, [])
    # Who held the file of NIKs and who dropped it are on the audit trail.
    assert list(
        AuditEvent.objects.filter(target_id=str(batch.pk))
        .order_by("pk")
        .values_list("action", "after")
    ) == [("import.preview", {"baris": 1, "valid": 1}), ("import.cancel", None)]


def test_template_holds_no_person_and_its_example_round_trips(staff_client, regions):
    """A staff walk: the template's example row, uploaded unchanged, was "1 siap disimpan": a
    "Contoh Nama" with a valid-looking NIK. The example is a guide on a second sheet, one
    column per row (a workbook with two rosters is refused); the import reads the first."""
    from openpyxl import load_workbook

    content = staff_client.get(reverse("registry:import-template")).content
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Daftar PSM", "Petunjuk pengisian"]
    (header,) = list(book["Daftar PSM"].values)
    guide = list(book["Petunjuk pengisian"].values)[1:]
    assert [row[0] for row in guide] == list(header)
    answer = upload(staff_client, content)
    assert answer.status_code == 422 and not ImportBatch.objects.exists()
    assert "Isi data PSM di bawah judul kolom di lembar pertama" in answer.content.decode()
    # the example, filled in on the first sheet as an office does, passes every check
    book["Daftar PSM"].append([row[1] or None for row in guide])
    buffer = io.BytesIO()
    book.save(buffer)
    assert upload(staff_client, buffer.getvalue()).status_code == 302
    row = ImportBatch.objects.get().baris[0]
    assert row["errors"] == [] and row["desa_kode"] == "33.71.01.1003"


def test_preview_query_count_does_not_grow_with_rows(
    staff_client, regions, django_assert_num_queries
):
    rows = [
        [
            f"33710145039{i:05d}",
            f"Warga {i}",
            "P",
            "Magelang",
            "1990-03-05",
            "Jl. Tidar",
            "Magelang Selatan",
            "Magersari",
            "",
        ]
        for i in range(1, 36)
    ]
    upload(staff_client, xlsx(rows))
    batch = ImportBatch.objects.get()
    assert batch.jumlah_valid == 35
    # session, user, batch, and the rows' desa/kelurahan checked against the user's scope (2)
    with django_assert_num_queries(5):
        staff_client.get(reverse("registry:import-preview", args=[batch.pk]))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1990-03-05", "1990-03-05"),
        ("05-03-1990", "1990-03-05"),
        ("05/03/1990", "1990-03-05"),
        ("5 Maret 1990", "1990-03-05"),
        ("5 mar 1990", "1990-03-05"),
        (32937, "1990-03-05"),
        (dt.datetime(1990, 3, 5, 0, 0), "1990-03-05"),
    ],
)
def test_parse_date_accepts_the_formats_offices_use(value, expected):
    parsed, error = importer.parse_date(value)
    assert error is None and parsed.isoformat() == expected


@pytest.mark.parametrize("value", [2019, 2019.0, "2019"])
def test_a_year_alone_is_not_taken_for_a_date(value):
    """An XLSX number 2019 is Excel's serial day for 11 July 1905: refused with what to write."""
    parsed, error = importer.parse_date(value)
    assert parsed is None and "hanya tahun" in error and "01-01-2019" in error


def test_a_two_digit_year_is_never_in_the_future():
    today = dt.date(2026, 12, 5)
    assert importer.parse_date("10/03/65", today=today)[0] == dt.date(1965, 3, 10)
    assert importer.parse_date("10-03-24", today=today)[0] == dt.date(2024, 3, 10)


ROSTER_HEADER = "NIK,Nama,JK,Tempat lahir,Tanggal lahir,Alamat,Kecamatan,Kelurahan\n"
ROSTER_ROW = "3371014503900001,Siti,P,Magelang,05-03-1990,Jl. Tidar,Magelang Selatan,Magersari\n"


def test_nul_byte_late_in_a_csv_is_refused_not_a_500(staff_client, regions):
    text = ROSTER_HEADER + ROSTER_ROW * 60 + ROSTER_ROW.replace("Siti", "Si\x00ti")
    response = upload(staff_client, text.encode(), name="roster.csv")
    assert response.status_code == 422
    assert "bukan XLSX atau CSV" in response.content.decode()


def test_utf16_csv_from_excel_unicode_text_is_read(staff_client, regions):
    text = "\ufeff" + (ROSTER_HEADER + ROSTER_ROW.replace("Siti", "Ma\u2019ruf")).replace(",", "\t")
    assert upload(staff_client, text.encode("utf-16-le"), name="roster.txt").status_code == 302
    row = ImportBatch.objects.get().baris[0]
    assert row["errors"] == [] and row["nilai"]["nama"] == "Ma\u2019ruf"


def test_header_only_file_says_there_are_no_data_rows(staff_client, regions):
    response = upload(staff_client, ROSTER_HEADER.encode(), name="roster.csv")
    assert response.status_code == 422
    assert "tanpa baris data" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_title_and_blank_rows_keep_the_sheet_row_numbers(staff_client, regions):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DAFTAR PSM KOTA MAGELANG TAHUN 2026"])
    sheet.append([])
    sheet.append(HEADER)
    sheet.append(
        [
            "3371014503900001",
            "Siti",
            "P",
            "Magelang",
            "1990-03-05",
            "Jl. A",
            "Magelang Selatan",
            "Magersari",
            "",
        ]
    )
    sheet.append([])
    sheet.append(
        [
            "3371014503900002",
            "Ani",
            "P",
            "Magelang",
            "1990-02-30",
            "Jl. B",
            "Magelang Selatan",
            "Magersari",
            "",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(staff_client, buffer.getvalue()).status_code == 302
    rows = {r["baris"]: r for r in ImportBatch.objects.get().baris}
    assert set(rows) == {4, 6}
    assert rows[4]["errors"] == []
    assert any("'1990-02-30'" in e for e in rows[6]["errors"])


@pytest.mark.parametrize("nik", [3371014503900010, 3.37101450390001e15])
def test_numeric_nik_that_excel_may_have_cut_is_an_error(staff_client, regions, nik):
    row = ["x", "Siti", "P", "Magelang", "1990-03-05", "Jl. A", "Magelang Selatan", "Magersari", ""]
    row[0] = nik
    upload(staff_client, xlsx([row]))
    errors = ImportBatch.objects.get().baris[0]["errors"]
    assert any("digit terakhirnya hilang (3371014503900010)" in e for e in errors)


def test_zip_bomb_is_refused_before_openpyxl_reads_it(staff_client, regions, monkeypatch):
    monkeypatch.setattr(importer, "XLSX_MAX_UNPACKED", 1000)
    response = upload(staff_client, xlsx([]))
    assert response.status_code == 422
    assert "terlalu besar setelah dibuka" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("05/03/1990 00:00", "1990-03-05"),
        ("1990-03-05 00:00:00", "1990-03-05"),
        ("1990-03-05T00:00:00", "1990-03-05"),
        ("32937", "1990-03-05"),
        (32937.0, "1990-03-05"),
    ],
)
def test_parse_date_accepts_what_excel_writes_into_csv(value, expected):
    parsed, error = importer.parse_date(value)
    assert error is None and parsed.isoformat() == expected


def roster(count, start=1):
    return [
        [
            f"33710145039{i:05d}",
            f"Warga {i}",
            "P",
            "Magelang",
            "1990-03-05",
            "Jl. Tidar",
            "Magelang Selatan",
            "Magersari",
            "",
        ]
        for i in range(start, start + count)
    ]


def update_row(psm) -> list:
    """A roster row for a registered PSM: a new name, address and phone, in the same desa."""
    return [
        psm.nik,
        f"{psm.nama} Baru",
        "L",
        "Magelang",
        "10-03-1985",
        "Jl. Baru 9",
        "Magelang Selatan",
        "Rejowinangun Selatan",
        "0899-1234-5678",
    ]


def commit_queries(user, rows, *, update_existing=False) -> int:
    batch = importer.build_preview(data=xlsx(rows), filename="daftar.xlsx", by=user, today=TODAY)
    with CaptureQueriesContext(connection) as queries:
        importer.commit_batch(batch=batch, update_existing=update_existing, by=user, today=TODAY)
    return len(queries)


def test_commit_query_count_does_not_grow_with_new_rows(staff):
    ten = commit_queries(staff, roster(10))
    thirty = commit_queries(staff, roster(30, start=101))
    assert ten == thirty <= 17  # savepoints included
    assert Psm.objects.count() == 40
    assert PsmStatusChange.objects.filter(ke=StatusPsm.CALON).count() == 40
    assert AuditEvent.objects.filter(action="psm.register").count() == 40
    assert AuditEvent.objects.filter(action="psm.import").count() == 2


def test_commit_query_count_does_not_grow_with_updated_rows(staff):
    def update_queries(count):
        people = PsmFactory.create_batch(count)
        return commit_queries(staff, [update_row(p) for p in people], update_existing=True)

    assert update_queries(3) == update_queries(9) <= 17
    assert set(Psm.objects.values_list("alamat_ktp", "telepon")) == {
        ("Jl. Baru 9", "0899-1234-5678")
    }
    assert all(nama.endswith(" Baru") for nama in Psm.objects.values_list("nama", flat=True))
    assert Psm.objects.filter(nama_cari__endswith=" baru").count() == 12
    events = AuditEvent.objects.filter(action="psm.update")
    assert events.count() == 12
    assert set(events.first().after) == {"nama", "alamat_ktp", "telepon"}


def test_commit_of_a_batch_previewed_before_cleaned_rows_were_kept(staff):
    batch = importer.build_preview(
        data=xlsx(roster(2)), filename="daftar.xlsx", by=staff, today=TODAY
    )
    batch.baris = [{k: v for k, v in row.items() if k != "bersih"} for row in batch.baris]
    batch.save()
    result = importer.commit_batch(batch=batch, update_existing=False, by=staff, today=TODAY)
    assert result["baru"] == 2
    assert set(Psm.objects.values_list("nama", "desa_tugas_id")) == {
        ("Warga 1", "33.71.01.1007"),
        ("Warga 2", "33.71.01.1007"),
    }


def test_commit_refuses_a_row_whose_desa_left_the_users_regions(staff):
    batch = importer.build_preview(
        data=xlsx(roster(2)), filename="daftar.xlsx", by=staff, today=TODAY
    )
    staff.scope.set(Wilayah.objects.filter(kode="33.71.02"))  # Magelang Utara only
    user = type(staff).objects.get(pk=staff.pk)
    # Why, and which rows (the row form would have called the desa/kelurahan empty).
    with pytest.raises(
        ValidationError,
        match="Baris 2, 3 tidak lagi valid: desa/kelurahannya tidak lagi termasuk wilayah kerja",
    ):
        importer.commit_batch(batch=batch, update_existing=False, by=user, today=TODAY)
    assert not Psm.objects.exists()


def test_the_preview_page_checks_the_users_regions_as_they_are_now(staff_client, staff):
    """Rows matched while the account held Kota Magelang, shown after it was narrowed to
    Magelang Utara (after a refused commit, or the next morning): the rows of Magelang Selatan
    are not 'Siap', the page says why and offers no save the commit would refuse; the rows of
    the file stay readable (the uploader's own), and the batch is kept until it is cancelled."""
    rows = roster(2)
    rows[1][6:8] = ["Magelang Utara", "Wates"]
    upload(staff_client, xlsx(rows))
    batch = ImportBatch.objects.get()
    staff.scope.set(Wilayah.objects.filter(kode="33.71.02"))
    url = reverse("registry:import-preview", args=[batch.pk])
    body = staff_client.get(url).content.decode()
    assert "2 baris dibaca: 1 siap disimpan, 1 bermasalah" in body
    assert "Desa/kelurahan ini tidak lagi termasuk wilayah kerja Anda." in body
    assert "1 baris tidak lagi berada di wilayah kerja Anda" in body
    assert 'class="btn btn-primary" disabled>Simpan 1 baris valid' in body
    assert body.index("Warga 1") < body.index("Warga 2")  # the problem first
    response = staff_client.post(
        reverse("registry:import-commit", args=[batch.pk]), {"nik_terdaftar": "lewati"}, follow=True
    )
    assert "Baris 2 tidak lagi valid: desa/kelurahannya" in response.content.decode()
    assert not Psm.objects.exists()
    batch.refresh_from_db()
    assert batch.status == StatusImpor.PRATINJAU and batch.jumlah_valid == 2


def test_the_preview_page_no_longer_offers_to_update_a_psm_moved_away(staff_client, staff):
    """The NIK was found in the user's region at upload; the PSM was moved to Wonogiri since.
    The page says what any NIK of another region gets, without a badge or an update to offer."""
    person = PsmFactory(desa_kode="33.71.01.1003")
    upload(staff_client, xlsx([update_row(person), roster(1)[0]]))
    batch = ImportBatch.objects.get()
    assert batch.baris[0]["aksi"] == "ada"
    Psm.objects.filter(pk=person.pk).update(
        desa_tugas_id="33.12.01.2001", desa_ktp_id="33.12.01.2001"
    )
    body = staff_client.get(reverse("registry:import-preview", args=[batch.pk])).content.decode()
    assert "NIK: sudah terdaftar sebagai PSM di wilayah lain." in body
    assert "NIK sudah terdaftar" not in body and "perbarui" not in body
    assert "1 siap disimpan, 1 bermasalah" in body
    assert "1 baris tidak lagi berada di wilayah kerja Anda" in body


def test_commit_refuses_to_update_a_psm_moved_out_of_the_users_regions(staff):
    """The preview found the NIK in the user's region; by the commit, the PSM was moved to
    another office's region. Updating it would move it back: nothing is saved."""
    person = PsmFactory(desa_kode="33.71.01.1003")
    rows = [update_row(person)]
    batch = importer.build_preview(data=xlsx(rows), filename="d.xlsx", by=staff, today=TODAY)
    assert batch.baris[0]["aksi"] == "ada"
    Psm.objects.filter(pk=person.pk).update(
        desa_tugas_id="33.12.01.2001", desa_ktp_id="33.12.01.2001"
    )
    with pytest.raises(ValidationError, match="sudah tidak ada di wilayah Anda"):
        importer.commit_batch(batch=batch, update_existing=True, by=staff, today=TODAY)
    person.refresh_from_db()
    assert person.desa_tugas_id == "33.12.01.2001" and not person.nama.endswith(" Baru")


def test_a_cancel_after_the_commit_changes_nothing(staff):
    batch = importer.build_preview(data=xlsx(roster(1)), filename="d.xlsx", by=staff, today=TODAY)
    importer.commit_batch(batch=batch, update_existing=False, by=staff, today=TODAY)
    importer.cancel_batch(batch=batch, by=staff)  # the stale copy still says "pratinjau"
    batch.refresh_from_db()
    assert batch.status == StatusImpor.SELESAI and batch.hasil["baru"] == 1


def test_a_nik_typed_with_spaces_or_dots_is_matched_as_its_sixteen_digits(staff, regions):
    """From a KTP photocopy: "3371 0145 0390 0001". The registered PSM is found (an update, not
    a new row), the same person twice is caught, and the commit goes through."""
    psm = PsmFactory(nik="3371014503900001")
    spaced = update_row(psm)
    spaced[0] = "3371 0145 0390 0001"
    twice = roster(1, start=7)[0]
    dotted = [*twice]
    dotted[0] = f"{twice[0][:4]}.{twice[0][4:8]}.{twice[0][8:12]}.{twice[0][12:]}"
    batch = importer.build_preview(
        data=xlsx([spaced, twice, dotted]), filename="daftar.xlsx", by=staff, today=TODAY
    )
    rows = {r["baris"]: r for r in batch.baris}
    assert rows[2]["aksi"] == "ada" and rows[2]["errors"] == []
    assert rows[3]["errors"] == []
    assert any("lebih dari sekali" in e for e in rows[4]["errors"])
    importer.commit_batch(batch=batch, update_existing=True, by=staff, today=TODAY)
    psm.refresh_from_db()
    assert psm.nama.endswith("Baru") and Psm.objects.filter(nik=twice[0]).exists()


def test_a_second_roster_sheet_is_named_not_silently_left_out(staff_client, regions):
    workbook = Workbook()
    first = workbook.active
    first.append(HEADER)
    first.append(roster(1)[0])
    second = workbook.create_sheet("Magelang Utara")
    second.append(HEADER)
    second.append(roster(1, start=2)[0])
    notes = workbook.create_sheet("Petunjuk")
    notes.append(["Isi satu baris per PSM; NIK 16 digit."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(staff_client, buffer.getvalue())
    body = response.content.decode()
    assert response.status_code == 422 and not ImportBatch.objects.exists()
    assert "lebih dari satu lembar daftar PSM (juga: Magelang Utara)" in body
    del workbook["Magelang Utara"]  # a sheet of instructions alone is fine
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(staff_client, buffer.getvalue()).status_code == 302


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), 10**400])
def test_an_infinite_number_in_a_date_column_is_not_a_date(value):
    assert importer.parse_date(value)[0] is None
    assert importer.parse_date(value)[1].endswith("' bukan tanggal.")


def test_a_preview_left_unsaved_for_a_day_is_cancelled_with_its_rows(staff, regions):
    """A closed tab or a failed commit leaves a preview holding every NIK of the file: the daily
    prune cancels it; a preview of this morning, and a saved batch, are left as they are."""
    from django.core.management import call_command
    from django.utils import timezone

    old = importer.build_preview(data=xlsx(roster(2)), filename="a.xlsx", by=staff, today=TODAY)
    fresh = importer.build_preview(
        data=xlsx(roster(1, start=5)), filename="b.xlsx", by=staff, today=TODAY
    )
    two_days_ago = timezone.now() - dt.timedelta(days=2)
    ImportBatch.objects.filter(pk=old.pk).update(updated_at=two_days_ago)
    out = io.StringIO()
    call_command("prune_import_previews", "--dry-run", stdout=out)
    assert out.getvalue().startswith("1 pratinjau") and ImportBatch.objects.get(pk=old.pk).baris
    call_command("prune_import_previews", stdout=io.StringIO())
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == StatusImpor.BATAL and old.baris == []
    assert fresh.status == StatusImpor.PRATINJAU and len(fresh.baris) == 1


def test_a_message_is_put_under_its_column_only_when_it_does_not_name_it():
    from registry.importer import _labelled

    assert _labelled("NIK", "NIK harus 16 digit angka.") == "NIK harus 16 digit angka."
    assert _labelled("NIK", "The NIK must be 16 digits.") == "The NIK must be 16 digits."
    assert _labelled("NIK", "muncul lebih dari sekali.") == "NIK: muncul lebih dari sekali."
    # a word that only begins like the column's name is not its name
    assert _labelled("Nama", "Namanya terlalu panjang.") == "Nama: Namanya terlalu panjang."
    assert _labelled("", "Baris kosong.") == "Baris kosong."


def test_a_roster_nik_first_registered_elsewhere_in_the_country_is_no_warning(staff_client):
    """The office loads only its own regions: Jakarta's 31.74.07 was "not in the Kemendagri
    list"; a kecamatan in no list still is."""
    row = ["Siti Rahayu", "P", "Magelang", "1990-03-05", "Jl. Tidar 1", "Magelang Selatan"]
    rows = [
        ["3174074503900001", *row, "Rejowinangun Selatan", "0812-1111-2222"],
        ["3371094503900002", *row, "Rejowinangun Selatan", "0813-1111-2222"],
    ]
    upload(staff_client, xlsx(rows))
    found = {r["baris"]: r["warnings"] for r in ImportBatch.objects.get().baris}
    assert not any("daftar Kemendagri" in w for w in found[2])
    assert any("33.71.09 pada NIK tidak ada di daftar Kemendagri" in w for w in found[3])


def test_a_nik_of_any_size_in_scientific_notation_is_a_message(staff_client, regions):
    """From a review: "1.000000000000000E5000" in a CSV's NIK column answered 500 (an integer
    past what Python turns into text); a CSV the reader cannot parse quoted Python's English."""
    from registry.importer import parse_nik

    for text in ("1.000000000000000E5000", "3.371014503900001E+16", "3.371014503900001E+14"):
        nik, error, _warning = parse_nik(text)
        assert nik == "" and error, text
    assert parse_nik("3.371014503900001E+15")[0] == "3371014503900001"
    huge = "NIK;Nama\n" + "1;" + "x" * 200_000 + "\n"
    response = upload(staff_client, huge.encode(), name="daftar.csv")
    body = response.content.decode()
    assert response.status_code == 422, response.status_code
    assert "Berkas CSV tidak dapat dibaca: susunan kolomnya rusak" in body
    assert "field larger" not in body


def test_a_cell_holds_no_bidi_controls():
    """As from a form (psm_portal.errors.StripBidiControlsMiddleware): a roster cell's override
    would reverse what a page writes after the name."""
    assert importer.cell_text("Sri \u202eLestari\u202c  ") == "Sri Lestari"
    assert importer.cell_text("\u2066Joko\u2069 Santoso") == "Joko Santoso"


def test_a_roster_cannot_move_a_joining_date_past_the_day_a_psm_was_made_aktif(staff):
    """From a review: the entry form refused it, the roster's update did not, and the yearly
    reports then dropped the years the PSM had served before the new joining date."""
    from registry.models import StatusPsm
    from tests.factories import status_history

    psm = PsmFactory(desa_kode="33.71.01.1003")
    status_history(
        psm, (StatusPsm.CALON, dt.date(2020, 1, 6)), (StatusPsm.AKTIF, dt.date(2021, 2, 1))
    )
    unchanged = PsmFactory(desa_kode="33.71.01.1003")  # never aktif: any date before today
    rows = [[*update_row(psm), "01-01-2026"], [*update_row(unchanged), "01-01-2026"]]
    batch = importer.build_preview(
        data=xlsx(rows, header=[*HEADER, "Tanggal Bergabung"]),
        filename="daftar.xlsx",
        by=staff,
        today=TODAY,
    )
    first, second = batch.baris
    assert first["errors"] == [
        "Tanggal bergabung: PSM ini sudah aktif sejak 1 Februari 2021: tanggal bergabung tidak "
        "boleh sesudahnya."
    ]
    assert second["errors"] == []
    psm.refresh_from_db()
    assert psm.tanggal_bergabung == dt.date(2020, 1, 6)


def test_a_psm_made_aktif_between_preview_and_commit_keeps_the_joining_date(staff):
    """A review: the commit wrote the preview's rows without asking again, so a PSM activated
    meanwhile had their joining date moved past the day they were made aktif."""
    from registry.models import StatusPsm
    from tests.factories import status_history

    psm = PsmFactory(desa_kode="33.71.01.1003")
    batch = importer.build_preview(
        data=xlsx([[*update_row(psm), "01-01-2026"]], header=[*HEADER, "Tanggal Bergabung"]),
        filename="daftar.xlsx",
        by=staff,
        today=TODAY,
    )
    assert batch.baris[0]["errors"] == []
    status_history(
        psm, (StatusPsm.CALON, dt.date(2020, 1, 6)), (StatusPsm.AKTIF, dt.date(2021, 2, 1))
    )
    with pytest.raises(ValidationError) as refused:
        importer.commit_batch(batch=batch, update_existing=True, by=staff, today=TODAY)
    assert refused.value.messages == [
        "Baris 2 tidak lagi valid: PSM ini sudah aktif sejak 1 Februari 2021: tanggal bergabung "
        "tidak boleh sesudahnya. Tidak ada yang disimpan; unggah ulang berkasnya."
    ]
    psm.refresh_from_db()
    assert psm.tanggal_bergabung == dt.date(2020, 1, 6)


def test_a_roster_without_joining_dates_updates_psm_already_aktif(staff, regions):
    """A staff walk: the preview filled a missing joining date with today, which the entry
    form refuses for a PSM aktif since earlier, so a roster without that column updated no PSM
    aktif ("0 siap disimpan"). The commit never wrote it: the date on record stays."""
    from tests.factories import status_history

    aktif = PsmFactory(desa_kode="33.71.01.1003", tanggal_bergabung=dt.date(2022, 11, 1))
    status_history(
        aktif, (StatusPsm.CALON, dt.date(2022, 11, 1)), (StatusPsm.AKTIF, dt.date(2023, 1, 16))
    )
    aktif.refresh_from_db()
    batch = importer.build_preview(
        data=xlsx([update_row(aktif)]), filename="daftar.xlsx", by=staff, today=TODAY
    )
    (row,) = batch.baris
    assert row["aksi"] == "ada" and row["errors"] == [], row["errors"]
    importer.commit_batch(batch=batch, update_existing=True, by=staff, today=TODAY)
    aktif.refresh_from_db()
    assert aktif.nama.endswith(" Baru") and aktif.tanggal_bergabung == dt.date(2022, 11, 1)


def test_a_joining_date_on_record_that_breaks_a_rule_is_not_a_rosters_problem(staff, regions):
    """A review: a candidate entered with joining date 1 January 0001 (before that was refused)
    could no longer be updated by a roster without the column: its row said "Tanggal
    bergabung: Tahun bergabung tidak masuk akal", of a column the file does not have."""
    calon = PsmFactory(desa_kode="33.71.01.1003")
    Psm.objects.filter(pk=calon.pk).update(tanggal_bergabung=dt.date(1, 1, 1))
    batch = importer.build_preview(
        data=xlsx([update_row(calon)]), filename="daftar.xlsx", by=staff, today=TODAY
    )
    (row,) = batch.baris
    assert row["aksi"] == "ada" and row["errors"] == [], row["errors"]
