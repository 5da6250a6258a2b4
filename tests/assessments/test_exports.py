"""The case export as XLSX: answered at once when small, a background document when large; the
NIK rule, formula neutralising and the audit hold on both paths; Excel's row limit per sheet."""

import datetime as dt
import io
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from assessments import exports
from psm_portal import parallel, spreadsheets
from psm_portal.background import build_document
from psm_portal.models import AuditEvent, GeneratedDocument
from registry.models import Wilayah
from tests.factories import make_case

Status = GeneratedDocument.Status
NIK = "3371014505480001"


def _rows(content: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [row for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]


def _csv_rows(response) -> list[list[str]]:
    import csv

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _cases(people):
    make_case(people["psm_a"], subject={"nik": NIK, "alasan_tanpa_nik": ""})
    make_case(people["psm_b"], subject={"nama": '=HYPERLINK("http://127.0.0.1/x","klik")'})


def test_small_xlsx_export_is_answered_at_once_with_full_nik_and_audited(client, people):
    _cases(people)
    client.force_login(people["staf"])
    response = client.post(reverse("assessments:case-export"))
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    assert 'filename="kasus-ppks-' in response["Content-Disposition"]
    rows = _rows(response.content)
    assert rows[0][:3] == ("Nomor", "Nama", "NIK")
    assert len(rows) == 3 and NIK in {row[2] for row in rows}
    names = {row[1] for row in rows}
    assert '\'=HYPERLINK("http://127.0.0.1/x","klik")' in names
    assert not [c for row in rows for c in row if isinstance(c, str) and c[:1] in "=+-@"]
    event = AuditEvent.objects.get(action="asesmen.export", actor_id=people["staf"].pk)
    assert event.after["format"] == "xlsx" and event.after["latar"] is False
    assert not GeneratedDocument.objects.exists()


def test_dates_are_date_cells_in_a_workbook_and_iso_text_in_a_csv(client, people):
    """A workbook's dates were text ("2026-11-20"): Excel sorted them, but could not filter them
    by month or year nor count days with them."""
    from openpyxl import load_workbook

    make_case(people["psm_a"], tanggal=dt.date(2026, 11, 20))
    client.force_login(people["staf"])
    book = load_workbook(io.BytesIO(client.post(reverse("assessments:case-export")).content))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("Tanggal") + 1)
    assert cell.value == dt.datetime(2026, 11, 20) and cell.number_format == "dd/mm/yyyy"
    assert sheet.column_dimensions[cell.column_letter].width >= 10  # not "########"
    csv_rows = _csv_rows(client.get(reverse("assessments:case-export")))
    assert csv_rows[1][header.index("Tanggal")] == "2026-11-20"


def test_xlsx_export_is_refused_without_the_export_permission(client, people):
    client.force_login(people["supervisor"])
    assert client.post(reverse("assessments:case-export")).status_code == 403
    assert not AuditEvent.objects.filter(action="asesmen.export").exists()


def test_export_rows_mask_the_nik_for_a_role_without_sensitive_access(people, monkeypatch):
    _cases(people)
    monkeypatch.setattr(exports, "full_nik", lambda user: False)
    niks = {row[2] for row in exports.rows(people["staf"])}
    assert NIK not in niks and "3371**********01" in niks


def test_large_xlsx_export_becomes_a_background_document(client, people, monkeypatch):
    _cases(people)
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 1)
    monkeypatch.setattr(exports, "ROWS_PER_PART", 1)
    client.force_login(people["staf"])
    response = client.post(reverse("assessments:case-export"))
    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:document", args=[document.pk])
    assert document.jenis == exports.XLSX_JENIS
    assert document.params == {"status": "", "cakupan": ["33.71"]}  # the region asked for
    event = AuditEvent.objects.get(action="asesmen.export", actor_id=people["staf"].pk)
    assert event.after["latar"] is True

    assert build_document.call(str(document.pk)) == Status.DONE
    document.refresh_from_db()
    # Two parts of one row each, then the zip.
    assert (document.selesai, document.total) == (3, 3)
    assert document.nama_berkas.endswith(".xlsx")
    assert document.content_type == spreadsheets.XLSX_CONTENT_TYPE
    rows = _rows(Path(document.berkas.path).read_bytes())
    assert len(rows) == 3 and NIK in {row[2] for row in rows}
    assert any(str(row[1]).startswith("'=HYPERLINK") for row in rows)
    assert document.params["nik_lengkap"] is True  # what the file holds, as built
    url = reverse("reports:document-download", args=[document.pk])
    # A right lost after the build ends access to the file (it holds whole NIKs).
    with monkeypatch.context() as m:
        m.setattr(exports, "full_nik", lambda user: False)
        assert client.get(url).status_code == 403
    people["staf"].scope.set(Wilayah.objects.filter(kode="33.12"))  # moved: not theirs now
    assert client.get(url).status_code == 403
    people["staf"].scope.set(Wilayah.objects.filter(kode="33.71"))
    people["staf"].role = "supervisor"  # no export right at all
    people["staf"].save()
    assert client.get(url).status_code == 403
    people["staf"].role = "staf"
    people["staf"].save()
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == Path(document.berkas.path).read_bytes()
    download.close()


def test_background_export_fails_for_a_user_who_lost_the_permission(people, monkeypatch):
    _cases(people)
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 1)
    from psm_portal.background import document_request

    document = document_request(
        jenis=exports.XLSX_JENIS, judul="Ekspor", params={"status": ""}, by=people["staf"]
    )
    people["staf"].is_active = False
    people["staf"].save()
    assert build_document.call(str(document.pk)) == Status.FAILED
    document.refresh_from_db()
    assert "tidak lagi berwenang" in document.pesan_galat


def test_write_xlsx_continues_on_a_new_sheet_past_excels_row_limit(monkeypatch):
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)  # the header and two rows a sheet
    seen = []
    out = io.BytesIO()
    rows = [[i, f"baris {i}", "-1", None, "kendali\x01\x0b\x1b"] for i in range(5)]
    count = spreadsheets.write_xlsx(
        out, "Kasus", ["No", "Isi", "Angka", "Kosong", "Teks"], rows, on_rows=seen.append, every=2
    )
    workbook = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert count == 5 and seen == [2, 2, 1]
    assert workbook.sheetnames == ["Kasus", "Kasus (2)", "Kasus (3)"]
    sheets = [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]
    assert [len(rows) for rows in sheets] == [3, 3, 2]
    assert all(rows[0] == ("No", "Isi", "Angka", "Kosong", "Teks") for rows in sheets)
    assert sheets[0][1] == (0, "baris 0", "'-1", None, "kendali")


def test_write_xlsx_without_rows_still_has_its_header():
    out = io.BytesIO()
    assert spreadsheets.write_xlsx(out, "Rekap: 2026/1", ["A", "B"], []) == 0
    workbook = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert workbook.sheetnames == ["Rekap  2026 1"]
    assert list(workbook.active.iter_rows(values_only=True)) == [("A", "B")]


def test_a_second_sheets_cells_are_written_as_text_as_the_firsts():
    """A review: the extra sheet (a recap's categories) went through ``write_row``, which made
    "{=...}" an array formula and a URL a live link."""
    out = io.BytesIO()
    hostile = [["{=SUM(1,2)}", "http://evil.example/x", "=1+1", 7]]
    spreadsheets.write_xlsx(
        out, "Utama", ["A"], [], more_sheets=[("Lain", ["A", "B", "C", "D"], hostile)]
    )
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as book:
        xml = book.read("xl/worksheets/sheet2.xml").decode()
    assert "<f" not in xml and "hyperlink" not in xml
    workbook = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert list(workbook["Lain"].iter_rows(values_only=True))[1] == (
        "{=SUM(1,2)}",
        "http://evil.example/x",
        "'=1+1",
        7,
    )


def test_the_downloads_carry_the_case_lists_filters(client, people, monkeypatch):
    """What the list shows (kecamatan, year submitted) is what the CSV and the XLSX hold, at once
    or built in the background."""
    import datetime as dt

    kept = make_case(people["psm_a"], subject={"nama": "Warga Tahun Ini"})
    year = kept.tanggal.year
    older = dt.date(year - 1, 3, 1)
    make_case(people["psm_a"], tanggal=older, persetujuan_pada=older, subject={"nama": "Lama"})
    make_case(people["psm_a"], submit=False, subject={"nama": "Masih Draf"})
    kecamatan = kept.desa.induk_id
    client.force_login(people["staf"])
    listed = client.get(reverse("assessments:case-list"), {"kecamatan": kecamatan, "tahun": year})
    query = f"kecamatan={kecamatan}&amp;tahun={year}"
    assert f'{reverse("assessments:case-export")}?{query}"' in listed.content.decode()
    assert f'name="tahun" value="{year}"' in listed.content.decode()

    export = reverse("assessments:case-export")
    csv_answer = client.get(export, {"kecamatan": kecamatan, "tahun": year})
    assert [row[1] for row in _csv_rows(csv_answer)[1:]] == ["Warga Tahun Ini"]
    form = {"status": "", "kecamatan": kecamatan, "tahun": str(year)}
    xlsx_rows = _rows(client.post(export, form).content)
    assert [row[1] for row in xlsx_rows[1:]] == ["Warga Tahun Ini"]
    assert len(_csv_rows(client.get(export, {"kecamatan": "33.71.09"}))) == 1  # the header only

    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 0)
    client.post(reverse("assessments:case-export"), form)
    document = GeneratedDocument.objects.get()
    assert document.params == {
        "status": "",
        "kecamatan": kecamatan,
        "tahun": year,
        "cakupan": ["33.71"],
    }
    # Its title in "Dokumen saya" names the filters (the kecamatan by name), not only the status.
    nama = kept.desa.induk.nama
    assert document.judul == f"Ekspor kasus PPKS (Kec. {nama}; diajukan {year}), XLSX"
    assert build_document.call(str(document.pk)) == Status.DONE
    document.refresh_from_db()
    assert [r[1] for r in _rows(Path(document.berkas.path).read_bytes())[1:]] == ["Warga Tahun Ini"]
    event = AuditEvent.objects.filter(action="asesmen.export").latest("pk")
    assert event.after["tahun"] == year and event.after["kecamatan"] == kecamatan


def _sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as workbook:
        return workbook.read("xl/worksheets/sheet1.xml")


def test_parts_written_apart_join_into_the_sheet_written_at_once(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "_CHUNK", 7)  # the markers straddle the chunks read
    header = ["No", "Nama", "Catatan", "Tanggal"]
    rows = [
        [i, f"Warga <{i}> & Ma'ruf", "=1+1" if i % 2 else "", dt.date(2026, 1, 1 + i)]
        for i in range(10)
    ]
    alone = tmp_path / "alone.xlsx"
    spreadsheets.write_xlsx(alone, "Kasus", header, rows)
    parts = [tmp_path / f"{i}.xlsx" for i in range(3)]
    spreadsheets.write_xlsx(parts[0], "Kasus", header, rows[:4], one_sheet=True)
    spreadsheets.write_xlsx(parts[1], "Kasus", None, rows[4:9], first_row=5, one_sheet=True)
    spreadsheets.write_xlsx(parts[2], "Kasus", None, rows[9:], first_row=10, one_sheet=True)
    joined = tmp_path / "joined.xlsx"
    spreadsheets.join_parts(parts, joined, rows=10, columns=4)
    # The very sheet XlsxWriter writes in one go, used range included.
    assert _sheet_xml(joined) == _sheet_xml(alone)
    assert b'<dimension ref="A1:D11"/>' in _sheet_xml(joined)
    assert _rows(joined.read_bytes()) == _rows(alone.read_bytes())
    assert _rows(joined.read_bytes())[2] == (
        1, "Warga <1> & Ma'ruf", "'=1+1", dt.datetime(2026, 1, 2)
    )  # fmt: skip


def test_a_part_that_would_need_a_second_sheet_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 3)
    with pytest.raises(ValueError, match="one sheet"):
        spreadsheets.write_xlsx(
            tmp_path / "part.xlsx", "Kasus", None, [[1], [2], [3]], first_row=1, one_sheet=True
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a snapshot shared by processes")
@pytest.mark.django_db(transaction=True)
def test_a_large_export_is_written_by_two_processes_reading_one_snapshot(people, monkeypatch):
    """Two spawned processes write a half each, and the file is the one written in one process.
    A case submitted once the snapshot is taken is in neither half: had the newer half seen it,
    its last row would have taken the number of the older half's first."""
    for i in range(7):
        make_case(people["psm_a" if i % 2 else "psm_b"], subject={"nama": f"Warga {i}"})
    staf = people["staf"]
    monkeypatch.setattr(exports, "XLSX_IMMEDIATE_MAX_ROWS", 0)
    monkeypatch.setattr(exports, "ROWS_PER_PART", 2)

    def build() -> list[tuple]:
        document = GeneratedDocument.objects.create(
            jenis=exports.XLSX_JENIS, judul="Ekspor", params={"status": ""}, diminta_oleh=staf
        )
        assert build_document.call(str(document.pk)) == Status.DONE
        document.refresh_from_db()
        assert document.selesai == document.total
        return _rows(Path(document.berkas.path).read_bytes())

    alone = build()  # SIDE_BY_SIDE_MIN_ROWS is far above seven cases
    assert len(alone) == 8

    monkeypatch.setattr(exports, "SIDE_BY_SIDE_MIN_ROWS", 2)
    taken = parallel.shared_snapshot
    late = []

    @contextmanager
    def snapshot_then_a_new_case():
        with taken() as snapshot:
            late.append(make_case(people["psm_a"], subject={"nama": "Warga Terlambat"}))
            yield snapshot

    monkeypatch.setattr(parallel, "shared_snapshot", snapshot_then_a_new_case)
    assert build() == alone
    assert late and late[0].pk > max(row[0] for row in alone[1:])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's server-side cursors")
@pytest.mark.django_db(transaction=True)
def test_the_csv_reads_its_rows_as_they_come_not_after_computing_them_all(
    client, people, monkeypatch
):
    """Outside a transaction a cursor is declared WITH HOLD, and PostgreSQL computes the whole
    result before the first row (11 s for the national export): the CSV reads them in one."""
    _cases(people)
    monkeypatch.setattr(spreadsheets, "CSV_ROWS_PER_CHUNK", 1)
    client.force_login(people["staf"])
    response = client.get(reverse("assessments:case-export"))
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks), next(chunks)  # the BOM, the header, the first case
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        assert cursor.fetchall() == [(False,)]
    response.close()
    assert not connection.in_atomic_block


@pytest.mark.skipif(connection.vendor != "postgresql", reason="seen from another connection")
@pytest.mark.django_db(transaction=True)
def test_a_background_export_shows_its_progress_while_it_is_built(people, monkeypatch):
    """Each step is committed as it is made (the progress bar, the worker's heartbeat), not kept
    in a transaction until the last row."""
    from django.db import connections

    from psm_portal.background import Progress

    _cases(people)
    monkeypatch.setattr(exports, "ROWS_PER_PART", 1)
    other, seen, real_step = connections.create_connection("default"), [], Progress.step

    def step(self, done=1):
        real_step(self, done)
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT selesai FROM reports_generateddocument WHERE id = %s", [self.document.pk]
            )
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(Progress, "step", step)
    document = GeneratedDocument.objects.create(
        jenis=exports.XLSX_JENIS, judul="Ekspor", params={"status": ""}, diminta_oleh=people["staf"]
    )
    try:
        assert build_document.call(str(document.pk)) == Status.DONE
    finally:
        other.close()
    assert seen == [1, 2]


def test_a_text_xlsxwriter_would_write_as_raw_xml_is_kept_as_text():
    out = io.BytesIO()
    rich = "<r><f>1+1</f></r>"
    spreadsheets.write_xlsx(out, "Kasus", ["Nama"], [[rich], ["<r>biasa"]])
    assert _rows(out.getvalue()) == [("Nama",), (f"'{rich}",), ("<r>biasa",)]
