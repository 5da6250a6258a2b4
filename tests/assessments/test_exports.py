"""The case export as XLSX: answered at once when small, a background document when large; the
NIK rule, formula neutralising and the audit hold on both paths; Excel's row limit per sheet."""

import io
from pathlib import Path

from django.urls import reverse
from openpyxl import load_workbook

from assessments import exports
from psm_portal import spreadsheets
from psm_portal.background import build_document
from psm_portal.models import AuditEvent, GeneratedDocument
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
    assert document.jenis == exports.XLSX_JENIS and document.params == {"status": ""}
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
    assert document.params == {"status": "", "kecamatan": kecamatan, "tahun": year}
    # Its title in "Dokumen saya" names the filters (the kecamatan by name), not only the status.
    nama = kept.desa.induk.nama
    assert document.judul == f"Ekspor kasus PPKS (Kec. {nama}; diajukan {year}), XLSX"
    assert build_document.call(str(document.pk)) == Status.DONE
    document.refresh_from_db()
    assert [r[1] for r in _rows(Path(document.berkas.path).read_bytes())[1:]] == ["Warga Tahun Ini"]
    event = AuditEvent.objects.filter(action="asesmen.export").latest("pk")
    assert event.after["tahun"] == year and event.after["kecamatan"] == kecamatan
