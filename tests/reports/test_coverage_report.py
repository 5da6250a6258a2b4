import datetime as dt
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from psm_portal.models import Role
from registry.models import StatusPsm
from reports import services
from reports.documents import CoverageReport
from reports.models import IssuedDocument
from tests.concurrency import at_once
from tests.factories import PsmFactory

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def people(regions):
    for kode, status in [
        ("33.71.01.1003", StatusPsm.AKTIF),
        ("33.71.01.1003", StatusPsm.AKTIF),
        ("33.71.01.1007", StatusPsm.CALON),
        ("33.71.02.1003", StatusPsm.AKTIF),
        ("33.71.03.1001", StatusPsm.BERHENTI),
        ("33.12.01.2001", StatusPsm.AKTIF),
    ]:
        PsmFactory(desa_kode=kode, status=status)


def _sql(query, params=()):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def test_coverage_report_context_equals_an_independent_sql_count(users, office, people):
    context = CoverageReport(users[Role.STAF], today=TODAY).context()
    expected = dict(
        _sql(
            "SELECT substr(w.kode, 1, 8), count(p.id) FROM registry_wilayah w "
            "LEFT JOIN registry_psm p ON p.desa_tugas_id = w.kode AND p.status = 'aktif' "
            "WHERE w.tingkat = 4 AND w.kode LIKE '33.71.%%' GROUP BY 1"
        )
    )
    assert {r.wilayah.kode: r.psm_aktif for r in context["rows"]} == expected
    desa_without = _sql(
        "SELECT count(*) FROM registry_wilayah w WHERE w.tingkat = 4 AND w.kode LIKE '33.71.%%' "
        "AND NOT EXISTS (SELECT 1 FROM registry_psm p WHERE p.desa_tugas_id = w.kode "
        "AND p.status = 'aktif')"
    )[0][0]
    assert context["totals"]["desa_tanpa_psm"] == desa_without == 15
    assert context["totals"]["psm_total"] == 6  # 5 + the users fixture's PSM; not Wonogiri's
    assert len(context["sections"]) == 3


def test_coverage_report_pdf_reads_back(client, users, office, people, tmp_path):
    client.force_login(users[Role.SUPERVISOR])
    response = client.get(reverse("reports:coverage-pdf"))
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "cakupan.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in [
        "PEMERINTAH KOTA MAGELANG",
        "DINAS SOSIAL",
        "LAPORAN CAKUPAN PEKERJA SOSIAL MASYARAKAT",
        "Nomor: 400.9/001/Dinsos/",
        "Dra. Wulan Prasetyaningsih, M.Si.",
        "NIP 19680411 199303 2 009",
        "Pembina Tingkat I (IV/b)",
        "Rejowinangun Selatan",
        "Halaman 1 dari",
    ]:
        assert expected in text, expected
    assert " Jumlah " in text or "Jumlah" in text
    assert IssuedDocument.objects.get().diminta_oleh == users[Role.SUPERVISOR]


def test_coverage_report_names_nobody(users, office, people):
    context = CoverageReport(users[Role.STAF], today=TODAY).context()
    from django.template.loader import render_to_string

    html = render_to_string("pdf/report_coverage.html", {**context, "nomor": "X"})
    assert "Warga Uji" not in html  # the factory's names


def test_document_numbers_are_sequential_per_year(users):
    staf = users[Role.STAF]
    first = services.document_number_issue(jenis="x", perihal="a", by=staf, today=TODAY)
    second = services.document_number_issue(jenis="x", perihal="b", by=staf, today=TODAY)
    next_year = services.document_number_issue(
        jenis="x", perihal="c", by=staf, today=dt.date(2027, 1, 2)
    )
    assert (first.nomor, second.nomor, next_year.nomor) == (
        "400.9/001/Dinsos/2026",
        "400.9/002/Dinsos/2026",
        "400.9/001/Dinsos/2027",
    )


@pytest.mark.django_db(transaction=True)
def test_document_numbers_never_repeat_under_concurrency(regions):
    issued, errors = at_once(
        lambda: services.document_number_issue(jenis="x", perihal="y", by=None, today=TODAY),
        [()] * 8,
    )
    numbers = [document.urut for document in issued]
    assert errors == []
    assert sorted(numbers) == list(range(1, 9))


def test_a_provinces_coverage_report_has_no_kecamatan_sections_of_kab_kota(office, people):
    """For a province, the rows are kab/kota: their detail would be kecamatan under a "desa"
    heading, titled "Kecamatan Kota Magelang". The summary stands alone."""
    from psm_portal.models import Role
    from tests.factories import make_user

    provincial = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov-cakupan")
    context = CoverageReport(provincial, today=TODAY).context()
    assert context["rows"] and all(r.wilayah.tingkat == 2 for r in context["rows"])
    assert context["sections"] == []
    kota = CoverageReport(
        make_user(Role.STAF, scope=["33.71"], username="staf-cakupan"), today=TODAY
    )
    assert kota.context()["sections"]  # a kab/kota's kecamatan still get theirs


def test_the_desa_tables_equal_each_kecamatans_own_coverage_in_a_fixed_number_of_queries(
    users, office, people, django_assert_num_queries
):
    """The detail tables are read for all kecamatan at once: two kecamatan cost the queries
    three do (they were four queries more per kecamatan), and each table is the one the
    coverage page shows for its kecamatan."""
    from registry import selectors as registry_selectors
    from tests.factories import make_user

    staf = users[Role.STAF]
    context = CoverageReport(staf, today=TODAY).context()
    assert len(context["sections"]) == 3
    for section in context["sections"]:
        own = registry_selectors.coverage(staf, section["wilayah"].kode)
        assert section["rows"] == own["rows"]
    assert sum(r.psm_aktif for s in context["sections"] for r in s["rows"]) == sum(
        r.psm_aktif for r in context["rows"]
    )
    three = make_user(Role.STAF, scope=["33.71.01", "33.71.02", "33.71.03"], username="tiga")
    two = make_user(Role.STAF, scope=["33.71.01", "33.71.02"], username="dua")
    with CaptureQueriesContext(connection) as three_queries:
        assert len(CoverageReport(three, today=TODAY).context()["sections"]) == 3
    assert len(three_queries) == 8  # with the names of the regions covered
    with django_assert_num_queries(len(three_queries)):
        assert len(CoverageReport(two, today=TODAY).context()["sections"]) == 2
