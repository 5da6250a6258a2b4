"""Report pages and documents: the dashboard and its filter, the ranking and evaluation form,
the drill-down, every official document read back as text, and the yearly recap built by a
real worker process (its parts laid out on two processes)."""

import datetime as dt
import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from psm_portal.models import GeneratedDocument, Role
from registry.models import Psm, PsmStatusChange
from reports import services
from reports.dashboard import refresh_dashboard
from reports.documents import CoverageReport, YearlyRecap
from reports.models import CuplikanDasbor, Evaluasi, IssuedDocument
from tests.factories import (
    BimtekFactory,
    KegiatanFactory,
    PsmFactory,
    make_case,
    make_user,
    ppks_reference,
    status_history,
)
from tests.workers import run_worker

TODAY = timezone.localdate()
YEAR = TODAY.year
TASK_PATH = "reports.dashboard.refresh_dashboard"


def pdf_text(content: bytes, tmp_path, name="doc.pdf", mode="-layout") -> str:
    """The PDF's text: laid out as printed, or with ``mode="-raw"`` in the order it was
    written (a rapor's score and signature stand side by side; laid out, their lines mix)."""
    path = tmp_path / name
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", mode, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def supervisor(regions):
    return make_user(Role.SUPERVISOR, scope=["33.71"], username="spv")


@pytest.fixture
def data(regions, office):
    ppks_reference()
    selatan = [PsmFactory(nama=f"PSM Selatan {i}", status="aktif") for i in range(3)]
    utara = PsmFactory(nama="PSM Utara", status="aktif", desa_kode="33.71.02.1003")
    for psm in selatan[:2]:
        KegiatanFactory(psm=psm, tanggal=timezone.localdate() - dt.timedelta(days=3))
    user = make_user(Role.PSM, psm=selatan[0], username="psm-a")
    make_case(user, tanggal=timezone.localdate(), persetujuan_pada=timezone.localdate())
    return {"selatan": selatan, "utara": utara}


def test_dashboard_filters_by_kecamatan_and_links_figures_to_rows(
    client, supervisor, data, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with django_assert_max_num_queries(30):
        page = client.get(reverse("reports:dashboard"), {"tahun": YEAR, "kecamatan": "33.71.02"})
    body = page.content.decode()
    assert page.context["f"]["psm_total"] == 1
    # the office's way of writing a time (13.05), as on every other page; 13:05 in English;
    # with the zone, as a letter writes it (domain.md section 7.3)
    assert re.search(r"Angka dihitung pukul \d{2}\.\d{2} WIB\.", body)
    client.cookies["django_language"] = "en"
    english = client.get(reverse("reports:dashboard"), {"tahun": YEAR}).content.decode()
    assert re.search(r"Figures computed at \d{2}:\d{2} WIB\.\s", english), "1:05 p.m.. before"
    assert f"{reverse('registry:psm-list')}?kecamatan=33.71.02" in body
    assert reverse("reports:inactive") in body
    everything = client.get(reverse("reports:dashboard"), {"tahun": YEAR})
    assert (
        everything.context["f"]["psm_total"] == 4
        and everything.context["f"]["kasus_tahun_ini"] == 1
    )


def test_a_past_years_dashboard_says_which_figures_are_of_today(client, supervisor, data):
    """The PSM counts, the queue and the stalled referrals are today's whatever the year chosen;
    a past year's dashboard says so beside its figures of that year."""
    client.force_login(supervisor)
    note = "adalah keadaan saat ini; asesmen, kegiatan dan PSM tidak aktif mengikuti tahun"
    assert note not in client.get(reverse("reports:dashboard"), {"tahun": YEAR}).content.decode()
    last = client.get(reverse("reports:dashboard"), {"tahun": YEAR - 1}).content.decode()
    assert f"{note} {YEAR - 1}." in last


def test_the_submitted_cases_figure_opens_the_cases_it_counts(client, supervisor, data):
    """The figure counts submitted cases dated in the year: its link lists those, not drafts,
    not a case closed as a duplicate (its person is counted on the case it repeats), nor other
    years' cases."""
    from django.contrib.auth import get_user_model

    from assessments import services as case_services
    from assessments.models import StatusAsesmen

    author = get_user_model().objects.get(username="psm-a")
    last_year = dt.date(YEAR - 1, 6, 1)
    old = make_case(author, tanggal=last_year, persetujuan_pada=last_year, subject={"nama": "Lama"})
    draft = make_case(author, submit=False, tanggal=timezone.localdate(), subject={"nama": "Draf"})
    today = timezone.localdate()
    again = make_case(author, tanggal=today, persetujuan_pada=today, subject={"nama": "Dua Kali"})
    case_services.assessment_transition(
        asesmen=again,
        ke=StatusAsesmen.DITUTUP,
        by=make_user(Role.STAF, scope=["33.71"], username="staf-duplikat"),
        alasan_tutup="duplikat",
    )
    client.force_login(supervisor)
    body = client.get(reverse("reports:dashboard"), {"tahun": YEAR}).content.decode()
    link = f"{reverse('assessments:case-list')}?kecamatan=&amp;tahun={YEAR}"
    assert link in body
    listed = client.get(link.replace("&amp;", "&"))
    assert listed.context["page"].paginator.count == 1
    shown = {c.pk for c in listed.context["page"]}
    assert old.pk not in shown and draft.pk not in shown and again.pk not in shown
    assert f'<option value="{YEAR}" selected>{YEAR}</option>' in listed.content.decode()
    every_year = {c.pk for c in client.get(reverse("assessments:case-list")).context["page"]}
    assert {old.pk, again.pk} <= every_year  # the list itself shows them all ...
    assert draft.pk not in every_year  # ... but a PSM's draft, which is theirs until submitted
    for odd in ("1899", "abc", "99999", "²⁰²⁶"):
        answer = client.get(reverse("assessments:case-list"), {"tahun": odd})
        assert answer.status_code == 200 and answer.context["tahun"] is None


def test_dashboard_keeps_the_kecamatan_when_the_year_is_left_out(client, supervisor, data):
    client.force_login(supervisor)
    page = client.get(reverse("reports:dashboard"), {"kecamatan": "33.71.02"})
    assert page.context["kecamatan"] == "33.71.02" and page.context["tahun"] == YEAR


def test_dashboard_ignores_a_kecamatan_outside_the_scope(client, supervisor, data):
    client.force_login(supervisor)
    # A valid year, so that only the kecamatan can be what the form refuses.
    page = client.get(reverse("reports:dashboard"), {"tahun": YEAR, "kecamatan": "33.12.01"})
    assert page.status_code == 200 and page.context["kecamatan"] == ""
    assert list(page.context["form"].errors) == ["kecamatan"]
    assert page.context["tahun"] == YEAR
    inside = client.get(reverse("reports:dashboard"), {"tahun": YEAR, "kecamatan": "33.71.02"})
    assert inside.context["kecamatan"] == "33.71.02"  # the same request inside the scope


def test_dashboard_query_count_does_not_grow_with_data(
    client, supervisor, data, django_assert_num_queries
):
    client.force_login(supervisor)
    client.get(reverse("reports:dashboard"))
    CuplikanDasbor.objects.all().delete()  # computed again in the request (a kab/kota office)
    with django_assert_num_queries(27) as first:
        client.get(reverse("reports:dashboard"))
    for i in range(5):
        PsmFactory(nama=f"Tambahan {i}", status="aktif", desa_kode="33.71.03.1001")
    CuplikanDasbor.objects.all().delete()
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(reverse("reports:dashboard"))
    with django_assert_num_queries(7):  # the stored figures, read back
        client.get(reverse("reports:dashboard"))


def test_ranking_query_count_is_constant(client, supervisor, data, django_assert_num_queries):
    client.force_login(supervisor)
    client.get(reverse("reports:ranking"))
    # 21, and the count of PSM to rank (one of them: when each PSM joined, for PR-01's months)
    with django_assert_num_queries(22) as first:
        client.get(reverse("reports:ranking"), {"tahun": YEAR})
    for i in range(4):
        KegiatanFactory(psm=PsmFactory(nama=f"Baru {i}", status="aktif"))
    with django_assert_num_queries(len(first.captured_queries)):
        page = client.get(reverse("reports:ranking"), {"tahun": YEAR})
    assert len(page.context["page"]) == 8


def test_supervisor_evaluates_and_a_bad_mark_keeps_the_rest(client, supervisor, data):
    psm = data["selatan"][0]
    client.force_login(supervisor)
    url = reverse("reports:evaluation", args=[psm.pk, YEAR])
    bad = client.post(
        url,
        {
            "kerajinan": "4",
            "disiplin": "9",
            "kerja_sama": "5",
            "kepemimpinan": "",
            "prestasi": "4",
            "catatan": "Rajin <b>sekali</b>",
        },
    )
    body = bad.content.decode()
    assert bad.status_code == 200 and "Rajin &lt;b&gt;sekali&lt;/b&gt;" in body
    assert "Beri nilai 1 sampai 5." in body and not Evaluasi.objects.exists()
    good = client.post(
        url,
        {
            "kerajinan": "4",
            "disiplin": "4",
            "kerja_sama": "5",
            "kepemimpinan": "3",
            "prestasi": "4",
            "catatan": "Rajin",
            "diusulkan_berprestasi": "on",
        },
    )
    assert good.status_code == 302
    evaluasi = Evaluasi.objects.get()
    assert evaluasi.penilai == supervisor and evaluasi.diusulkan_berprestasi
    staff = make_user(Role.STAF, scope=["33.71"], username="staf2")
    client.force_login(staff)
    assert client.get(url).status_code == 403  # the evaluation is the supervisor's
    assert client.get(reverse("reports:evaluation", args=[psm.pk, 1999])).status_code == 403
    client.force_login(supervisor)
    assert client.get(reverse("reports:evaluation", args=[psm.pk, 1999])).status_code == 404


def test_drill_down_lists_the_counted_rows(client, supervisor, data):
    psm = data["selatan"][0]
    client.force_login(supervisor)
    page = client.get(reverse("reports:indicator-rows", args=[psm.pk, YEAR, "PR-02"]))
    [activities] = page.context["sections"]
    assert len(activities["rows"]) == 1 and page.context["value"] == 2
    assert (
        client.get(reverse("reports:indicator-rows", args=[psm.pk, YEAR, "XX-99"])).status_code
        == 404
    )
    outsider = PsmFactory(desa_kode="33.12.01.2001")
    assert (
        client.get(reverse("reports:indicator-rows", args=[outsider.pk, YEAR, "PR-02"])).status_code
        == 404
    )
    # PR-01 counts activities and cases per month served: the drill-down lists both and says
    # what it divides by (PSM Selatan 0 has one of each).
    page = client.get(reverse("reports:indicator-rows", args=[psm.pk, YEAR, "PR-01"]))
    assert [(s["model"], s["count"]) for s in page.context["sections"]] == [
        ("kegiatan", 1),
        ("asesmen", 1),
    ]
    months = page.context["months"]
    assert page.context["value"] == round(Decimal(2) / months, 2)
    assert f"dibagi {months} bulan masa tugas pada {YEAR}" in page.content.decode()
    # A passed Bimtek reads as what it is, not "PsmBimtek object (7)".
    from tests.factories import BimtekFactory

    BimtekFactory(psm=psm, nomor_sertifikat="SRT/3371/2024/0007/001", tanggal=dt.date(2024, 3, 1))
    body = client.get(reverse("reports:indicator-rows", args=[psm.pk, YEAR, "IN-01"]))
    assert "SRT/3371/2024/0007/001" in body.content.decode()
    assert "object (" not in body.content.decode()


def test_the_frequency_drill_down_counts_the_months_aktif_once(
    client, supervisor, data, django_assert_num_queries
):
    """PR-01's drill-down asked ``frekuensi``'s three queries and then the months again; a PSM
    the history shows never aktif in the year was divided by the months of their present
    status."""
    psm = data["selatan"][0]
    status_history(psm, ("calon", dt.date(YEAR - 3, 1, 1)), ("aktif", dt.date(YEAR, 1, 1)))
    client.force_login(supervisor)
    url = reverse("reports:indicator-rows", args=[psm.pk, YEAR, "PR-01"])
    client.get(url)  # warms the per-process caches (menu, province list)
    # session, user, scope, the PSM, the indicator definitions, the two sections' counts and
    # rows, the months served
    with django_assert_num_queries(10):
        page = client.get(url)
    months = TODAY.month
    assert page.context["months"] == months
    assert page.context["value"] == round(Decimal(2) / months, 2)
    turned_down = PsmFactory(nama="Calon Ditolak")
    status_history(turned_down, ("calon", dt.date(YEAR, 1, 1)), ("berhenti", dt.date(YEAR, 1, 2)))
    page = client.get(reverse("reports:indicator-rows", args=[turned_down.pk, YEAR, "PR-01"]))
    assert page.context["value"] == 0 and page.context["months"] is None
    assert "tidak aktif bertugas pada" in page.content.decode()


def test_rapor_kinerja_pdf_reads_back(client, supervisor, data, tmp_path):
    psm = data["selatan"][0]
    PsmFactory(nama="Calon Baru", status="calon")  # not ranked, as on the ranking page
    note = "Aktif mendampingi warga lansia dan penyandang disabilitas di kelurahannya; " * 4
    marks = {"kerajinan": 1, "disiplin": 1, "kerja_sama": 1, "kepemimpinan": 1, "prestasi": 1}
    services.evaluation_save(
        psm=psm, tahun=YEAR, data={**marks, "catatan": note}, by=supervisor, today=TODAY
    )
    client.force_login(supervisor)
    response = client.get(reverse("reports:rapor", args=[psm.pk, YEAR]))
    text = " ".join(pdf_text(response.content, tmp_path, mode="-raw").split())
    assert "RAPOR KINERJA PEKERJA SOSIAL MASYARAKAT" in text
    assert "DINAS SOSIAL" in text and "Jl. Jenderal Sudirman No. 46" in text
    assert psm.nama in text and "Intensitas keterlibatan" in text
    assert "Dra. Wulan Prasetyaningsih, M.Si." in text and "NIP 19680411 199303 2 009" in text
    # one page, signature included, with the supervisor's evaluation and a four-line note (the
    # signature went over to a second page alone, and with an evaluation the score with it)
    assert "Catatan: Aktif mendampingi" in text
    assert "dari 4 PSM di Kota Magelang" in text and "Halaman 1 dari 1" in text
    assert "bersama" not in text
    # PSM Utara and PSM Selatan 2 did nothing this year: the same score, the same rank, said so
    response = client.get(reverse("reports:rapor", args=[data["utara"].pk, YEAR]))
    text = " ".join(pdf_text(response.content, tmp_path, "utara.pdf", mode="-raw").split())
    assert "Peringkat 3 (bersama 1 PSM lain dengan skor sama) dari 4 PSM" in text
    # Their status, and on a line of its own whether they were inactive in the year judged
    # (within the status line, it read as a status of theirs today).
    assert "Status : Aktif Keaktifan" in text
    assert f"Keaktifan {YEAR} : tidak aktif, tanpa kegiatan/asesmen dalam 90 hari sampai" in text
    assert "Halaman 1 dari 1" in text


def _ranked(client, tahun) -> list[str]:
    page = client.get(reverse("reports:ranking"), {"tahun": tahun}).context["page"]
    return [row.psm.nama for row in page]


def test_a_years_ranking_recaps_and_rapor_count_only_who_served_in_it(
    client, supervisor, data, tmp_path
):
    """A year's figures are about who was aktif on some day of it, read from the status
    history (or, for a PSM entered without one, from the present status and its date)."""
    last = YEAR - 1
    d = dt.date
    # without history: judged by the present status and dates
    PsmFactory(nama="Berhenti Dulu", status="berhenti", status_sejak=d(last - 1, 6, 30))
    PsmFactory(nama="Berhenti Tengah", status="berhenti", status_sejak=d(last, 6, 30))
    PsmFactory(nama="Berhenti 1 Januari", status="berhenti", status_sejak=d(last, 1, 1))
    PsmFactory(
        nama="Bergabung Kemudian",
        status="aktif",
        tanggal_bergabung=d(YEAR, 1, 2),
        status_sejak=d(YEAR, 3, 1),
    )
    # with history
    status_history(
        PsmFactory(nama="Calon Ditolak"), ("calon", d(last - 1, 3, 1)), ("berhenti", d(last, 5, 1))
    )
    status_history(
        PsmFactory(nama="Daftar Ulang"),
        ("calon", d(2019, 1, 1)),
        ("aktif", d(2020, 1, 1)),
        ("berhenti", d(last, 9, 30)),
        ("calon", d(YEAR, 1, 5)),
    )
    status_history(
        PsmFactory(nama="Nonaktif Lama"),
        ("calon", d(2019, 1, 1)),
        ("aktif", d(2020, 1, 1)),
        ("nonaktif", d(last - 1, 3, 1)),
    )
    status_history(
        PsmFactory(nama="Aktif 31 Desember"), ("calon", d(last, 6, 1)), ("aktif", d(last, 12, 31))
    )
    # entered without history, made nonaktif this year: aktif until then, by what it changed from
    later = PsmFactory(nama="Riwayat Sebagian", status="nonaktif", status_sejak=d(YEAR, 3, 1))
    PsmStatusChange.objects.create(
        psm=later, dari="aktif", ke="nonaktif", tanggal_efektif=d(YEAR, 3, 1)
    )
    client.force_login(supervisor)
    served = {*(p.nama for p in data["selatan"]), "PSM Utara", "Riwayat Sebagian"}
    served_last = {*served, "Berhenti Tengah", "Daftar Ulang", "Aktif 31 Desember"}
    assert set(_ranked(client, last)) == served_last
    # who has stopped or re-registered since says so beside their name (their status today)
    ranking = client.get(reverse("reports:ranking"), {"tahun": last}).content.decode()
    for nama, status in (("Berhenti Tengah", "Berhenti"), ("Daftar Ulang", "Calon")):
        assert re.search(rf">{nama}</a> <span [^>]*>{status}</span>", ranking), nama
    assert '>PSM Utara</a> <span class="badge text-bg-secondary"' not in ranking  # aktif
    rows = list(
        load_workbook(
            io.BytesIO(client.get(reverse("reports:recap-xlsx"), {"tahun": last}).content)
        ).active.values
    )
    assert {r[1] for r in rows[1:]} == served_last
    assert rows[0][4] == "Status saat ini"
    report = YearlyRecap(supervisor, today=TODAY, tahun=last)
    context = report.context()
    # aktif on its 31 December: not who stopped in it (Berhenti Tengah, Daftar Ulang)
    assert context["jumlah_psm"] == 8 and context["jumlah"]["aktif"] == 6
    text = " ".join(
        pdf_text(report.render(context, number=lambda s: "1", workers=1), tmp_path).split()
    )
    assert "8 PSM yang aktif bertugas pada tahun itu" in text
    assert f"* Per 31 Desember {last}." in text
    response = client.get(reverse("reports:rapor", args=[data["utara"].pk, last]))
    text = " ".join(pdf_text(response.content, tmp_path, mode="-raw").split())
    assert "dari 8 PSM di Kota Magelang" in text
    assert "Status saat ini : Aktif" in text  # a past year's rapor: the status is today's
    # this year: who joined counts; who stopped or re-registered last year does not
    assert set(_ranked(client, YEAR)) == {*served, "Bergabung Kemudian", "Aktif 31 Desember"}
    # last year's inactive PSM: who was aktif on its 31 December with nothing done in the 90
    # days before, though stopped since; not who had stopped or gone nonaktif before it
    status_history(
        PsmFactory(nama="Berhenti Tahun Ini"),
        ("calon", d(2019, 1, 1)),
        ("aktif", d(2020, 1, 1)),
        ("berhenti", d(YEAR, 1, 10)),
    )
    inactive = client.get(reverse("reports:inactive"), {"tahun": last}).content.decode()
    assert "Berhenti Tahun Ini" in inactive and "Aktif 31 Desember" in inactive
    assert not {"Daftar Ulang", "Nonaktif Lama", "Berhenti Tengah"} & set(
        re.findall(r">([^<>]+)<", inactive)
    )
    ranked = {
        row.psm.nama: row
        for row in client.get(reverse("reports:ranking"), {"tahun": last}).context["page"]
    }
    assert ranked["Berhenti Tahun Ini"].tidak_aktif and not ranked["Daftar Ulang"].tidak_aktif
    # no rapor and no evaluation for a year one did not serve: said, not a document of zeros
    gone = Psm.objects.get(nama="Nonaktif Lama")
    answer = client.get(reverse("reports:rapor", args=[gone.pk, last]), follow=True)
    assert answer.redirect_chain[-1][0] == reverse("registry:psm-detail", args=[gone.pk])
    assert f"Nonaktif Lama tidak bertugas aktif pada tahun {last}" in answer.content.decode()
    answer = client.get(reverse("reports:evaluation", args=[gone.pk, last]), follow=True)
    assert "tidak bertugas aktif pada tahun" in answer.content.decode()
    assert answer.redirect_chain[-1][0].startswith(reverse("reports:ranking"))
    assert client.get(reverse("reports:evaluation", args=[gone.pk, last - 2])).status_code == 200
    # one registering again (a candidate now) is evaluated for the year they served
    again = Psm.objects.get(nama="Daftar Ulang")
    marks = {"kerajinan": 3, "disiplin": 3, "kerja_sama": 3, "kepemimpinan": 3, "prestasi": 3}
    services.evaluation_save(psm=again, tahun=last, data=marks, by=supervisor, today=TODAY)
    with pytest.raises(ValidationError, match="Calon PSM belum dievaluasi"):
        services.evaluation_save(psm=again, tahun=YEAR, data=marks, by=supervisor, today=TODAY)


def test_ppks_and_training_recaps_read_back_without_names(client, supervisor, data, tmp_path):
    client.force_login(supervisor)
    text = pdf_text(
        client.get(reverse("reports:ppks-recap", args=["pdf"]), {"tahun": YEAR}).content, tmp_path
    )
    assert "REKAPITULASI ASESMEN PPKS" in text and "DINAS SOSIAL" in text
    assert "Jumlah" in text and "Mbah Sarinah" not in text  # aggregate: no case-level names
    xlsx = client.get(reverse("reports:ppks-recap", args=["xlsx"]), {"tahun": YEAR})
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book["Per desa"].values)
    assert rows[0][0] == "Kecamatan" and sum(r[3] for r in rows[1:-1]) == 1
    assert rows[-1] == ("Jumlah", None, None, 1, 0)  # the PDF's table B, closed by its total
    # and its table A: per category, as the review found only in the PDF
    categories = list(book["Per kategori"].values)
    assert categories[0] == ("Kode", "Singkatan", "Kategori PPKS", "Diajukan")
    assert sum(r[3] for r in categories[1:-1]) == 1 and categories[-1][::3] == ("Jumlah", 1)
    text = pdf_text(client.get(reverse("reports:training-recap")).content, tmp_path, "b.pdf")
    assert "REKAPITULASI BIMBINGAN TEKNIS PSM" in text and "Wulan Prasetyaningsih" in text
    assert "Wilayah: Kota Magelang" in text  # as the other recaps name what they cover


def test_the_bimtek_recap_of_a_kecamatan_dashboard_is_of_that_kecamatan(
    client, supervisor, data, tmp_path
):
    """The dashboard of Magelang Utara linked the Bimtek recap of the whole city."""
    for psm in (*data["selatan"], data["utara"]):
        BimtekFactory(psm=psm, tanggal=dt.date(YEAR, 2, 3))
    client.force_login(supervisor)
    page = client.get(reverse("reports:dashboard"), {"tahun": YEAR, "kecamatan": "33.71.02"})
    link = f"{reverse('reports:training-recap')}?tahun={YEAR}&amp;kecamatan=33.71.02"
    assert link in page.content.decode()
    pdf = client.get(reverse("reports:training-recap"), {"tahun": YEAR, "kecamatan": "33.71.02"})
    text = pdf_text(pdf.content, tmp_path)
    assert "Wilayah: Kecamatan Magelang Utara" in text
    assert "Magelang Selatan" not in text and "Magelang Tengah" not in text
    # the PPKS recap of a kecamatan names it as the Bimtek recap does (it said "Magelang Utara")
    ppks = client.get(
        reverse("reports:ppks-recap", args=["pdf"]), {"tahun": YEAR, "kecamatan": "33.71.02"}
    )
    assert "Wilayah: Kecamatan Magelang Utara" in pdf_text(ppks.content, tmp_path, "p.pdf")
    assert re.search(rf"{YEAR}\s+1\s+0\s+0", text)  # one PSM of Utara passed the basic level
    whole = pdf_text(
        client.get(reverse("reports:training-recap"), {"tahun": YEAR}).content, tmp_path
    )
    assert "Wilayah: Kota Magelang" in whole and re.search(rf"{YEAR}\s+4\s+0\s+0", whole)
    # a kecamatan of another kab, edited into the link: refused, no letter numbered
    from reports.models import IssuedDocument

    issued = IssuedDocument.objects.count()
    refused = client.get(
        reverse("reports:training-recap"), {"tahun": YEAR, "kecamatan": "33.12.01"}, follow=True
    )
    assert "kecamatan itu tidak ada di wilayah kerja Anda" in refused.content.decode()
    assert IssuedDocument.objects.count() == issued


def test_recap_xlsx_has_every_psm_ranked(client, supervisor, data):
    client.force_login(supervisor)
    response = client.get(reverse("reports:recap-xlsx"), {"tahun": YEAR})
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    # the last two have the same combined score (second column from the end), so the same rank
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 3]
    assert rows[3][-2] == rows[4][-2] and rows[2][-2] > rows[3][-2]
    assert {r[1] for r in rows[1:]} == {
        "PSM Selatan 0",
        "PSM Selatan 1",
        "PSM Selatan 2",
        "PSM Utara",
    }


def test_a_provinces_recaps_are_built_in_the_background(client, data, tmp_path):
    """A province's PPKS recap (thousands of desa rows) and scores (every PSM) outlived the
    request's timeout, and the PDF's register number was taken for a file nobody received:
    for a scope of a province or more the links queue a document, which the worker builds
    and its requester alone downloads. A kecamatan of it is small: answered at once."""
    from psm_portal.background import build_document

    provincial = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov-rekap")
    client.force_login(provincial)
    links = {
        "pdf": reverse("reports:ppks-recap", args=["pdf"]),
        "xlsx": reverse("reports:ppks-recap", args=["xlsx"]),
        "kinerja": reverse("reports:recap-xlsx"),
    }
    documents = {}
    for kind, url in links.items():
        answer = client.get(url, {"tahun": YEAR})
        documents[kind] = GeneratedDocument.objects.latest("created_at")
        assert answer.status_code == 302
        assert answer["Location"] == reverse("reports:document", args=[documents[kind].pk])
    assert GeneratedDocument.objects.count() == 3
    for document in documents.values():
        assert build_document.call(str(document.pk)) == GeneratedDocument.Status.DONE

    def download(kind):
        url = reverse("reports:document-download", args=[documents[kind].pk])
        return b"".join(client.get(url).streaming_content)

    text = pdf_text(download("pdf"), tmp_path)
    assert "REKAPITULASI ASESMEN PPKS" in text and "Mbah Sarinah" not in text
    book = load_workbook(io.BytesIO(download("xlsx")))
    rows = list(book["Per desa"].values)
    assert rows[0][0] == "Kecamatan" and sum(r[3] for r in rows[1:-1]) == 1
    assert list(book["Per kategori"].values)[-1][::3] == ("Jumlah", 1)
    rows = list(load_workbook(io.BytesIO(download("kinerja"))).active.values)
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 3]  # the last two tie
    # Not the requester's: no download.
    client.force_login(make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov-lain"))
    url = reverse("reports:document-download", args=[documents["pdf"].pk])
    assert client.get(url).status_code == 404

    client.force_login(provincial)
    one = client.get(links["kinerja"], {"tahun": YEAR, "kecamatan": "33.71.01"})
    assert one.status_code == 200 and GeneratedDocument.objects.count() == 3


def test_yearly_recap_renders_summary_pages_and_signature(supervisor, data, tmp_path):
    marks = {"kerajinan": 5, "disiplin": 5, "kerja_sama": 5, "kepemimpinan": 5, "prestasi": 5}
    services.evaluation_save(
        psm=data["utara"],
        tahun=YEAR,
        data={**marks, "diusulkan_berprestasi": True},
        by=supervisor,
        today=timezone.localdate(),
    )
    report = YearlyRecap(supervisor, today=timezone.localdate(), tahun=YEAR)
    report.ROWS_PER_PAGE = 2  # several detail pages from few rows
    context = report.context()
    pdf = report.render(context, number=lambda sidik: "400.9/001/Dinsos/2026", workers=1)
    text = pdf_text(pdf, tmp_path)
    assert "REKAPITULASI KINERJA PEKERJA SOSIAL MASYARAKAT" in text
    assert "Nomor: 400.9/001/Dinsos/2026" in text
    assert "Kecamatan Magelang Selatan (lanjutan)" in text and "PSM Utara" in text
    # the closing row totals every column (it totalled the PSM alone), and the mean of all PSM
    mean = sum(r.skor_gabungan for s in context["summary"] for r in s["rows"]) / 4
    assert re.search(rf"Jumlah\s+4\s+4\s+2\s+1\s+{f'{mean:.1f}'.replace('.', ',')}\b", text)
    pages = len(report.pages(context))
    assert pages == 3  # 3 in Selatan at 2 a page + 1 in Utara
    total = text.count("\f")
    assert f"Halaman {total} dari {total}" in text  # numbered across the joined parts
    assert "Dra. Wulan Prasetyaningsih, M.Si." in text
    proposed = text[text.index("Usulan PSM berprestasi") :].splitlines()[:8]
    assert any("PSM Utara" in line and "Magelang Utara" in line for line in proposed), proposed


def test_the_recaps_signature_stands_under_its_last_rows_never_alone(supervisor, office, tmp_path):
    """The closing was a part of its own: the last page held the sentence and the signature
    alone, signing no figure a reader could see. A kecamatan of exactly a page of PSM (the
    fullest last page) is the hard case: some of its rows go over with the signature."""
    import subprocess

    per_page = YearlyRecap.ROWS_PER_PAGE
    for i in range(per_page):
        PsmFactory(nama=f"PSM Penuh {i:02d}", status="aktif")
    report = YearlyRecap(supervisor, today=TODAY, tahun=YEAR)
    context = report.context()
    pages = report.pages(context)
    assert [len(p["rows"]) for p in pages] == [per_page - report.CLOSING_ROWS, report.CLOSING_ROWS]
    pdf = report.render(context, number=lambda sidik: "400.9/002/Dinsos/2026", workers=1)
    path = tmp_path / "rekap.pdf"
    path.write_bytes(pdf)
    count = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout,
        ).group(1)
    )
    last = subprocess.run(
        ["pdftotext", "-layout", "-f", str(count), "-l", str(count), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Dra. Wulan Prasetyaningsih, M.Si." in last and "Demikian rekapitulasi" in last
    assert "PSM Penuh" in last and "(lanjutan)" in last
    assert f"Halaman {count} dari {count}" in last
    # every PSM once, over the pages
    text = pdf_text(pdf, tmp_path)
    assert all(text.count(f"PSM Penuh {i:02d}") == 1 for i in range(per_page))
    assert count == 3  # the summary, a page of rows, the rest with the signature


def test_a_tables_closing_note_keeps_the_signature_with_the_last_rows(supervisor, office, tmp_path):
    """The note under a recap's table ("Laporan agregat; ...") went over to a new page with the
    signature, leaving them alone there whenever the table filled its last page."""
    import subprocess

    from psm_portal.pdf import render_pdf
    from reports.documents import PpksRecap

    context = PpksRecap(supervisor, today=TODAY, tahun=YEAR).context()
    desa = {"desa__induk__nama": "Magelang Selatan", "n": 1, "verified": 1}
    alone = []
    for count in range(20, 56, 3):  # the table's end walks down the page and over it
        context["per_desa"] = [{**desa, "desa__nama": f"Desa {i:02d}"} for i in range(count)]
        path = tmp_path / f"rekap-{count}.pdf"
        path.write_bytes(render_pdf(PpksRecap.template, {**context, "nomor": "1"}))
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        last = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        text = subprocess.run(
            ["pdftotext", "-f", str(last), "-l", str(last), str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "Dra. Wulan Prasetyaningsih, M.Si." in text
        if "Desa " not in text and "Jumlah" not in text:
            alone.append(count)
    assert alone == []


def test_a_recap_asked_for_early_on_new_years_day_is_dated_and_numbered_in_the_office_year(
    supervisor, data, tmp_path, settings
):
    """01:30 WIB on 1 January is still 31 December in UTC: the letter is the office's day."""
    from psm_portal.background import build_document, document_request
    from reports.models import IssuedDocument

    settings.PSM_PDF_WORKERS = 1
    document = document_request(
        jenis="reports.rekap-kinerja", judul="Rekap", params={"tahun": YEAR}, by=supervisor
    )
    new_year = dt.datetime(YEAR, 12, 31, 18, 30, tzinfo=dt.UTC)
    GeneratedDocument.objects.filter(pk=document.pk).update(created_at=new_year)
    assert build_document.call(str(document.pk)) == GeneratedDocument.Status.DONE
    issued = IssuedDocument.objects.get()
    assert issued.tahun == YEAR + 1 and issued.perihal == (
        "Rekapitulasi Kinerja Pekerja Sosial Masyarakat"
    )
    document.refresh_from_db()
    with document.berkas.open("rb") as built:
        text = pdf_text(built.read(), tmp_path)
    assert f"1 Januari {YEAR + 1}" in text and issued.nomor in text


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_yearly_recap_in_parallel_parts(client, regions, office, tmp_path):
    ppks_reference()
    for i in range(50):
        PsmFactory(nama=f"PSM Rekap {i:02d}", status="aktif")
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-pekerja")
    client.force_login(supervisor)
    response = client.post(reverse("reports:recap-request") + f"?tahun={YEAR}")
    document = GeneratedDocument.objects.get()
    assert response["Location"] == reverse("reports:document", args=[document.pk])
    worker = run_worker(PSM_PDF_WORKERS="2")
    assert worker.returncode == 0, worker.stderr
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.DONE, document.pesan_galat
    # two parts laid out side by side: the summary, and the detail pages with the signature
    assert document.selesai == document.total == 2
    with document.berkas.open("rb") as built:
        text = pdf_text(built.read(), tmp_path)
    assert "PSM Rekap 00" in text and "PSM Rekap 49" in text
    assert "(lanjutan)" in text  # 50 PSM in one kecamatan: two detail pages
    issued = IssuedDocument.objects.get()  # numbered once, before the parts were laid out
    assert text.count(f"Nomor {issued.nomor}") >= 2 and "Nomor: " + issued.nomor in text


# --- the outgoing register: a number per letter, not per download --------------------------------


def _nomor(text: str) -> str:
    return re.search(r"Nomor:? (400\.9/\d{3}/Dinsos/\d{4})", text).group(1)


def test_the_same_letter_opened_again_keeps_its_number(client, supervisor, data, tmp_path):
    """A supervisor who opens a rapor again (to print a second copy, or after closing the tab)
    gets the same letter: the register had a new number for every download."""
    from psm_portal.models import AuditEvent
    from reports.models import IssuedDocument

    client.force_login(supervisor)
    links = [
        reverse("reports:rapor", args=[data["selatan"][0].pk, YEAR]),
        reverse("reports:rapor", args=[data["utara"].pk, YEAR]),
        reverse("reports:coverage-pdf"),
        reverse("reports:training-recap"),
        reverse("reports:ppks-recap", args=["pdf"]) + f"?tahun={YEAR}",
    ]
    first = [_nomor(pdf_text(client.get(link).content, tmp_path)) for link in links]
    again = [_nomor(pdf_text(client.get(link).content, tmp_path)) for link in links]
    assert again == first and len(set(first)) == len(links)  # two PSM: two letters
    assert IssuedDocument.objects.count() == len(links)
    actions = list(AuditEvent.objects.filter(action__startswith="document."))
    assert sorted(e.action for e in actions) == ["document.issue"] * 5 + ["document.reprint"] * 5


def test_a_letter_is_in_indonesian_and_keeps_its_number_whatever_the_pages_language(
    client, supervisor, data, tmp_path
):
    """A supervisor reading the portal in English got figures formatted the English way (4.2)
    and an English chart caption in the official letter, and, the text differing, a new number."""
    client.force_login(supervisor)
    for link in [
        reverse("reports:rapor", args=[data["selatan"][0].pk, YEAR]),
        reverse("reports:coverage-pdf"),
    ]:
        english = pdf_text(client.get(link, headers={"accept-language": "en"}).content, tmp_path)
        indonesian = pdf_text(client.get(link, headers={"accept-language": "id"}).content, tmp_path)
        assert english == indonesian
    assert "PSM aktif per wilayah" in english and "Active PSM" not in english
    assert IssuedDocument.objects.count() == 2


def test_a_recap_names_the_regions_it_covers(client, supervisor, data, tmp_path):
    """A printed recap of the account's whole scope said "Wilayah: seluruh wilayah kerja", which
    tells a reader of the paper nothing."""
    client.force_login(supervisor)
    for link in [
        reverse("reports:ppks-recap", args=["pdf"]) + f"?tahun={YEAR}",
        reverse("reports:coverage-pdf"),
    ]:
        assert "Wilayah: Kota Magelang" in pdf_text(client.get(link).content, tmp_path)
    four = make_user(Role.STAF, scope=["33.71.01", "33.71.02", "33.71.03", "33.12.01"])
    client.force_login(four)
    text = pdf_text(client.get(reverse("reports:coverage-pdf")).content, tmp_path)
    assert "Wilayah: Kecamatan Pracimantoro, Kecamatan Magelang Selatan, Kecamatan Magelang" in text
    assert "dan 1 wilayah lain" in text
    # a kecamatan inside a kota held too says nothing more; an administrator sees the country
    nested = make_user(Role.STAF, scope=["33.71", "33.71.01"], username="bersarang")
    client.force_login(nested)
    recap = client.get(reverse("reports:ppks-recap", args=["pdf"]), {"tahun": YEAR})
    text = pdf_text(recap.content, tmp_path)
    assert "Wilayah: Kota Magelang ·" in text
    assert CoverageReport(make_user(Role.ADMIN), today=TODAY).region_covered() == (
        "seluruh Indonesia"
    )


def test_two_regions_recaps_that_read_alike_are_two_letters(client, data, tmp_path):
    """Two accounts of four kecamatan each, three of them shared, read the same recap of a year
    without cases ("... dan 1 wilayah lain"): it is still two letters, with two numbers."""
    numbers = set()
    for last in ["33.12.04", "33.12.05"]:
        scope = ["33.12.01", "33.12.02", "33.12.03", last]
        client.force_login(make_user(Role.SUPERVISOR, scope=scope, username=f"spv-{last}"))
        answer = client.get(reverse("reports:ppks-recap", args=["pdf"]), {"tahun": YEAR - 1})
        text = pdf_text(answer.content, tmp_path)
        assert f"Tahun {YEAR - 1} · Wilayah: Kecamatan" in text and "dan 1 wilayah lain" in text
        numbers.add(_nomor(text))
    assert len(numbers) == 2 and IssuedDocument.objects.count() == 2


def test_text_that_looks_like_the_number_slot_is_not_numbered():
    from django.utils.html import escape

    from psm_portal.pdf import NUMBER_SLOT, numbered

    typed = escape(str(NUMBER_SLOT))  # a name or note typed as the slot reads, escaped
    assert numbered([f"<p>{typed}</p><p>{NUMBER_SLOT}</p>"], lambda sidik: "400.9/001") == [
        f"<p>{typed}</p><p>400.9/001</p>"
    ]


def test_a_letter_whose_content_changed_takes_a_new_number(client, supervisor, data, tmp_path):
    psm = data["selatan"][0]
    client.force_login(supervisor)
    link = reverse("reports:rapor", args=[psm.pk, YEAR])
    before = _nomor(pdf_text(client.get(link).content, tmp_path))
    marks = {"kerajinan": 4, "disiplin": 4, "kerja_sama": 4, "kepemimpinan": 4, "prestasi": 4}
    services.evaluation_save(psm=psm, tahun=YEAR, data=marks, by=supervisor, today=TODAY)
    text = pdf_text(client.get(link).content, tmp_path)
    assert _nomor(text) != before
    assert _nomor(pdf_text(client.get(link).content, tmp_path)) == _nomor(text)


def test_a_letter_whose_layout_failed_gets_its_number_back_on_the_next_try(
    supervisor, data, tmp_path, monkeypatch
):
    """The number is taken once the content is known, before WeasyPrint's layout: a layout that
    fails (here made to, once) left a number in the register for a letter nobody received, and a
    gap in the printed numbers. Asking again now prints the number it was given."""
    from psm_portal import pdf
    from reports.models import IssuedDocument
    from tests.faults import visitor

    layout = pdf.render_html
    failures = []

    def fails_once(html):
        if not failures:
            failures.append(html)
            raise RuntimeError("tata letak gagal (uji)")
        return layout(html)

    monkeypatch.setattr(pdf, "render_html", fails_once)
    link = reverse("reports:rapor", args=[data["selatan"][0].pk, YEAR])
    client = visitor(supervisor)
    assert client.get(link).status_code == 500 and failures
    answer = client.get(link)
    assert answer.status_code == 200
    issued = IssuedDocument.objects.get()
    assert (
        _nomor(pdf_text(answer.content, tmp_path))
        == issued.nomor
        == "400.9/001/Dinsos/" + str(TODAY.year)
    )


def test_a_recap_built_again_by_the_worker_keeps_its_number(supervisor, data, tmp_path, settings):
    """A background recap asked for twice the same day (or built again after a worker was killed)
    is the same letter."""
    from psm_portal.background import build_document, document_request
    from reports.models import IssuedDocument

    settings.PSM_PDF_WORKERS = 1
    texts = []
    for _ in range(2):
        document = document_request(
            jenis="reports.rekap-kinerja", judul="Rekap", params={"tahun": YEAR}, by=supervisor
        )
        assert build_document.call(str(document.pk)) == GeneratedDocument.Status.DONE
        document.refresh_from_db()
        with document.berkas.open("rb") as built:
            texts.append(pdf_text(built.read(), tmp_path))
    issued = IssuedDocument.objects.get()
    assert [issued.nomor in text for text in texts] == [True, True]


@pytest.mark.django_db(transaction=True)
def test_the_same_content_asked_for_at_once_is_numbered_once(regions):
    """Eight requests for the same letter at the same moment wait for the register's lock; the
    first numbers it and the others find that number after the wait."""
    from reports import services
    from reports.models import IssuedDocument
    from tests.concurrency import at_once

    def issue(sidik):
        return services.document_number_issue(
            jenis="x", perihal="y", by=None, today=TODAY, sidik=sidik
        ).nomor

    numbers, errors = at_once(issue, ["a" * 64] * 6 + ["b" * 64] * 2)
    assert errors == []
    assert len(set(numbers)) == 2 and IssuedDocument.objects.count() == 2


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.STAF])
def test_every_link_on_the_dashboard_opens_for_its_role(client, data, role):
    """A figure the role may not open (the review queue for a supervisor) is not a link."""
    import html
    import re

    client.force_login(make_user(role, scope=["33.71"], username=f"dasbor-{role}"))
    body = client.get(reverse("reports:dashboard"), {"tahun": YEAR}).content.decode()
    main = body[body.index("<main") :]
    links = {html.unescape(h) for h in re.findall(r'href="(/[^"#]*)"', main)}
    links = {h for h in links if not h.startswith("/static/")}
    assert links
    for link in sorted(links):
        assert client.get(link).status_code == 200, link
    queue = reverse("assessments:queue") in main
    assert queue == (role == Role.STAF)


def test_dashboard_refuses_a_kecamatan_outside_the_scope_with_a_message(client, supervisor, data):
    client.force_login(supervisor)
    page = client.get(reverse("reports:dashboard"), {"tahun": YEAR, "kecamatan": "33.12.01"})
    assert page.status_code == 200 and page.context["kecamatan"] == ""
    assert "Kecamatan ini tidak ada di wilayah kerja Anda." in page.content.decode()
    # the year chosen stays: the select showed it above this year's figures, and the
    # documents' links asked for this year
    page = client.get(reverse("reports:dashboard"), {"tahun": YEAR - 1, "kecamatan": "33.12.01"})
    assert page.context["tahun"] == YEAR - 1 and page.context["f"]["tahun"] == YEAR - 1
    assert f"?tahun={YEAR - 1}" in page.content.decode()


def test_a_provincial_dashboard_shows_coverage_per_kab_kota(client, regions, data):
    provincial = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov")
    client.force_login(provincial)
    waiting = client.get(reverse("reports:dashboard"), {"tahun": YEAR})
    assert waiting.context["f"] is None  # a province: computed by the worker, not in the request
    (queued,) = DBTaskResult.objects.filter(task_path=TASK_PATH)
    refresh_dashboard.call(*queued.args_kwargs["args"])
    rows = client.get(reverse("reports:dashboard"), {"tahun": YEAR}).context["f"]["coverage"]
    assert {r["kode"] for r in rows} == {"33.71", "33.12"}  # the two kab/kota loaded
    assert sum(r["psm"] for r in rows) == 4


def test_an_account_over_many_provinces_sees_coverage_per_province(regions, data):
    from registry.models import Wilayah
    from reports.selectors import coverage_by_kecamatan

    others = ["11", "12", "13", "14", "15"]
    Wilayah.objects.bulk_create(
        [Wilayah(kode=code, nama=f"Provinsi {code}", tingkat=1) for code in others]
    )
    national = make_user(Role.SUPERVISOR, scope=["33", *others], username="spv-nasional")
    rows = coverage_by_kecamatan(national)
    assert [r["kode"] for r in rows if r["psm"]] == ["33"] and len(rows) == 6
    assert {r["tingkat"] for r in rows} == {1}
    assert sum(r["psm"] for r in rows) == 4


def test_a_scope_too_large_to_rank_at_once_asks_for_a_kecamatan(client, supervisor, data, settings):
    settings.PSM_RANKING_MAX_PSM = 3  # the scope holds 4 PSM
    client.force_login(supervisor)
    page = client.get(reverse("reports:ranking"), {"tahun": YEAR})
    assert page.status_code == 200 and len(page.context["page"]) == 0
    assert "terlalu luas untuk diperingkat sekaligus" in page.content.decode()
    one = client.get(reverse("reports:ranking"), {"tahun": YEAR, "kecamatan": "33.71.02"})
    assert [s.psm.nama for s in one.context["page"]] == ["PSM Utara"]


def test_a_chosen_kecamatan_stays_shown_when_the_scope_has_too_many_to_list(
    client, supervisor, data, monkeypatch
):
    from reports.forms import DashboardFilter

    monkeypatch.setattr(DashboardFilter, "MAX_OPTIONS", 1)
    client.force_login(supervisor)
    page = client.get(reverse("reports:ranking"), {"tahun": YEAR, "kecamatan": "33.71.02"})
    form = page.context["form"]
    assert [code for code, _ in form.fields["kecamatan"].widget.choices] == ["", "33.71.02"]
    assert "Pilih kecamatan lewat halaman Cakupan wilayah" in page.content.decode()
    coverage = client.get(reverse("registry:coverage"), {"wilayah": "33.71"}).content.decode()
    assert f"{reverse('reports:ranking')}?kecamatan=33.71.02" in coverage
    assert f"{reverse('reports:dashboard')}?kecamatan=33.71.02" in coverage


def test_old_background_documents_and_their_files_are_pruned(regions, office, settings):
    import datetime as dt
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.management import call_command

    owner = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-arsip")
    now = timezone.now()
    old, recent, running = (
        GeneratedDocument.objects.create(jenis="x", judul=name, diminta_oleh=owner)
        for name in ("lama", "baru", "berjalan")
    )
    for document, age in ((old, 8), (recent, 6)):
        document.berkas.save(f"{document.judul}.pdf", ContentFile(b"%PDF-1.7"), save=False)
        document.status, document.finished_at = "selesai", now - dt.timedelta(days=age)
        document.save()
    old_file = Path(old.berkas.path)
    out = io.StringIO()
    call_command("prune_documents", "--dry-run", stdout=out)
    assert "1 dokumen" in out.getvalue() and old_file.exists()
    call_command("prune_documents", stdout=io.StringIO())
    assert set(GeneratedDocument.objects.values_list("judul", flat=True)) == {"baru", "berjalan"}
    assert not old_file.exists() and Path(recent.berkas.path).exists()


@pytest.mark.parametrize(
    "method,name,args,params",
    [
        ("get", "reports:ppks-recap", ["pdf"], {"tahun": YEAR, "kecamatan": "33.12.01"}),
        ("get", "reports:ppks-recap", ["xlsx"], {"tahun": "abc"}),
        ("get", "reports:recap-xlsx", [], {"tahun": "0"}),
        ("post", "reports:recap-request", [], {"tahun": "99999"}),
    ],
)
def test_a_document_asked_for_with_wrong_filters_is_refused_not_made_for_this_year(
    client, supervisor, data, method, name, args, params
):
    """The dashboard shows this year for the whole scope when its filters are wrong; a document
    asked for so was made for them: a register number spent on a letter of a year or a region
    nobody asked for. The dashboard comes back with the filters as sent and what is wrong."""
    from django.utils.http import urlencode

    from psm_portal.models import AuditEvent

    client.force_login(supervisor)
    url = f"{reverse(name, args=args)}?{urlencode(params)}"
    answer = getattr(client, method)(url, follow=True)
    assert answer.redirect_chain[-1][0] == f"{reverse('reports:dashboard')}?{urlencode(params)}"
    body = answer.content.decode()
    assert "Dokumen tidak dibuat: periksa tahun dan kecamatannya." in body
    assert (
        "Kecamatan ini tidak ada di wilayah kerja Anda." in body
        if "kecamatan" in params
        else f"Tidak ada laporan untuk tahun itu; pilih tahun {YEAR - 2} sampai {YEAR}." in body
    )
    assert not IssuedDocument.objects.exists() and not GeneratedDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="report.export").exists()
    # the dashboard's own links ask for what it shows (this year, the whole scope)
    assert f"{reverse('reports:recap-xlsx')}?tahun={YEAR}&quot;" in body.replace('"', "&quot;")


def test_a_bimtek_recap_or_coverage_letter_of_an_unknown_year_or_region_is_refused(
    client, supervisor, data, tmp_path
):
    client.force_login(supervisor)
    answer = client.get(reverse("reports:training-recap"), {"tahun": "abc"}, follow=True)
    assert answer.redirect_chain[-1][0] == reverse("training:recap")
    assert (
        f"Rekap Bimtek tidak dibuat: tahun abc tidak dikenal (1990 sampai {YEAR})."
        in answer.content.decode()
    )
    unknown = "Wilayah itu tidak ada di wilayah kerja Anda, atau berupa desa/kelurahan"
    for code in ("33.12.01", "33.71.01.1003", "abc"):  # another kab's, a desa, nothing
        answer = client.get(reverse("reports:coverage-pdf"), {"wilayah": code}, follow=True)
        assert answer.redirect_chain[-1][0] == reverse("registry:coverage")
        assert unknown in answer.content.decode()
        # the page itself shows the whole scope, and says why
        page = client.get(reverse("registry:coverage"), {"wilayah": code}).content.decode()
        assert unknown in page
    assert not IssuedDocument.objects.exists()
    text = pdf_text(
        client.get(reverse("reports:coverage-pdf"), {"wilayah": "33.71.01"}).content, tmp_path
    )
    assert "Magelang Selatan" in text and "Magelang Utara" not in text
    assert unknown not in client.get(reverse("registry:coverage")).content.decode()


def test_a_past_years_inactive_psm_are_counted_against_who_was_aktif_then(
    client, supervisor, data, tmp_path
):
    """A review: a past year's dashboard set its inactive PSM (aktif on 31 December) beside
    today's count of PSM aktif (61 "tidak aktif" beside 56 aktif), its list named PSM stopped
    since without saying so, and the recap marked a PSM aktif then and stopped since as
    "Berhenti*" in a column its summary counted as aktif."""
    from registry.models import StatusPsm as St

    last = YEAR - 1
    since = dt.date(last - 2, 1, 5)
    stopped_since = PsmFactory(nama="Dyah Handayani", status="aktif", tanggal_bergabung=since)
    status_history(
        stopped_since,
        (St.CALON, since),
        (St.AKTIF, dt.date(last - 2, 3, 1)),
        (St.BERHENTI, dt.date(YEAR, 1, 2)),
    )
    stopped_then = PsmFactory(nama="Budi Suryani", status="aktif", tanggal_bergabung=since)
    status_history(
        stopped_then,
        (St.CALON, since),
        (St.AKTIF, dt.date(last - 2, 3, 1)),
        (St.NONAKTIF, dt.date(last, 6, 1)),
        (St.AKTIF, dt.date(YEAR, 1, 2)),
    )
    PsmFactory(nama="Baru Tahun Ini", status="aktif", tanggal_bergabung=dt.date(YEAR, 1, 2))
    client.force_login(supervisor)
    page = client.get(reverse("reports:dashboard"), {"tahun": last})
    f = page.context["f"]
    # aktif on 31 December: the four of the fixture (no history: by today's status), and Dyah;
    # today: the four, Budi and the new one
    assert (f["psm_aktif_per"], f["psm_by_status"]["aktif"]) == (5, 6)
    assert f["psm_tidak_aktif"] == 5  # nobody worked in the last 90 days of that year
    assert (
        f"PSM tidak aktif per 31 Desember {last} (dari 5 PSM aktif saat itu)"
        in page.content.decode()
    )
    listed = client.get(reverse("reports:inactive"), {"tahun": last}).content.decode()
    assert f"PSM yang berstatus aktif pada 31 Desember {last}" in listed
    assert "Status sekarang" in listed and "<td>Berhenti</td>" in listed
    this_year = client.get(reverse("reports:inactive"), {"tahun": YEAR}).content.decode()
    assert "Status sekarang" not in this_year

    report = YearlyRecap(supervisor, today=TODAY, tahun=last)
    rows = {r.psm.nama: r.status_per for s in report.context()["summary"] for r in s["rows"]}
    assert rows["Dyah Handayani"] == "Tidak aktif"  # aktif then, no work: not "Berhenti*"
    assert rows["Budi Suryani"] == "Nonaktif"  # not "Aktif", today's
    assert rows["PSM Utara"] == "Tidak aktif"
    text = pdf_text(report.render(report.context(), number=lambda s: "X", workers=1), tmp_path)
    assert f"*Status per 31 Desember {last}" in text


def test_a_requested_recap_is_listed_with_the_region_it_covers(client, supervisor, data):
    """A review: a whole-city request and a Magelang Utara one were both listed in *Dokumen
    saya* as "Rekap kinerja PSM 2026"."""
    client.force_login(supervisor)
    client.post(f"{reverse('reports:recap-request')}?tahun={YEAR}&kecamatan=33.71.02")
    client.post(f"{reverse('reports:recap-request')}?tahun={YEAR}")
    listed = client.get(reverse("reports:document-list")).content.decode()
    assert f"Rekap kinerja PSM {YEAR}, Kecamatan Magelang Utara" in listed
    assert f"Rekap kinerja PSM {YEAR}, seluruh wilayah kerja" in listed


def test_a_figure_is_written_without_trailing_zeros_in_each_language():
    """A supervisor's walk: a rapor printed "11,50 jam" beside "5 jam", and the ranking 11,5."""
    from django.utils import translation

    from psm_portal.templatetags.portal import angka

    with translation.override("id"):
        written = [angka(Decimal(v)) for v in ("11.50", "5.00", "0.45", "1234.5", "0")]
        assert written == ["11,5", "5", "0,45", "1.234,5", "0"]
    with translation.override("en"):
        assert angka(Decimal("11.50")) == "11.5" and angka(Decimal("12.00")) == "12"


def test_an_evaluation_of_a_year_before_the_reports_says_one_thing(client, supervisor, data):
    """A supervisor's walk: the evaluation of 2019 (before the PSM joined, and before the years
    the reports offer) led to the ranking of 2019, which added a second message."""
    client.force_login(supervisor)
    psm = data["selatan"][0]  # joined 6 January 2020
    answer = client.get(reverse("reports:evaluation", args=[psm.pk, 2019]), follow=True)
    shown = [str(m) for m in answer.context["messages"]]
    assert shown == [
        f"{psm.nama} tidak bertugas aktif pada tahun 2019, jadi tidak dinilai untuk tahun itu."
    ]
    assert "Tidak ada laporan untuk tahun itu" not in answer.content.decode()
    assert answer.context["tahun"] == YEAR
