"""Report classes: each builds its context through the other apps' selectors (tested without
rendering), and names its template under ``templates/pdf/``. Rendering is psm_portal.pdf's job."""

import datetime as dt
import math
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from psm_portal.access import Perm, has_permission, outermost_scope, sees_the_whole_country
from psm_portal.background import Built, DocumentError, asked_in_this_region, builder
from psm_portal.office import current_office, format_nip, indonesian_date
from psm_portal.pdf import render_parts, render_pdf
from psm_portal.spreadsheets import XLSX_CONTENT_TYPE, xlsx_bytes
from registry import selectors as registry_selectors
from registry.models import Psm, StatusPsm, Wilayah
from reports import indicators, selectors
from reports.charts import bar_chart
from training import selectors as training_selectors

# Above this many kecamatan the desa-level table is left out of an inline document.
MAX_KECAMATAN_DETAIL = 60


class OfficialDocument:
    title = ""
    jenis = ""
    template = ""

    def __init__(self, user, *, today: dt.date):
        self.user = user
        self.today = today

    @property
    def perihal(self) -> str:
        """The register's subject line: the title in title case, acronyms kept (PSM, PPKS)."""
        return " ".join(
            word if word in ("PSM", "PPKS") else word.capitalize() for word in self.title.split()
        )

    def letterhead(self) -> dict:
        office = current_office()
        return {
            "kantor": office,
            "tanggal": indonesian_date(self.today),
            "tempat": office.kota_surat if office else "",
            "nip": format_nip(office.penandatangan_nip) if office else "",
        }

    def region_covered(self, shown: int = 3) -> str:
        """What a report of the account's whole scope says it covers: the regions by name ("Kota
        Magelang"; "Kecamatan A, Kecamatan B"), the first few of a larger scope. A printed
        letter said "seluruh wilayah kerja", which tells a reader of the paper nothing."""
        if sees_the_whole_country(self.user):
            return "seluruh Indonesia"
        codes = outermost_scope(self.user)  # 33.71.01 says nothing beside 33.71
        regions = Wilayah.objects.filter(kode__in=codes).order_by("kode")[:shown]
        labels = [region.label for region in regions]
        if len(codes) > shown:
            labels.append(f"{len(codes) - shown} wilayah lain")
        if len(labels) > 1:
            return ", ".join(labels[:-1]) + " dan " + labels[-1]
        return labels[0] if labels else "seluruh wilayah kerja"

    def context(self) -> dict:
        raise NotImplementedError


def official_pdf(report: OfficialDocument, *, by) -> bytes:
    """``report`` laid out in the request, with its register number (taken once its content is
    known, and left on ``report.nomor``); its captions and figures in Indonesian, as an official
    letter is."""
    from reports.services import numberer

    number = numberer(report, by=by)

    def numbering(sidik: str) -> str:
        report.nomor = number(sidik)
        return report.nomor

    with translation.override("id"):
        context = report.context()
    return render_pdf(report.template, context, number=numbering)


class CoverageReport(OfficialDocument):
    """Laporan cakupan: active PSM per kecamatan and per desa/kelurahan, gaps highlighted.
    Aggregate only: no person is named."""

    title = "LAPORAN CAKUPAN PEKERJA SOSIAL MASYARAKAT"
    jenis = "cakupan"
    template = "pdf/report_coverage.html"

    def __init__(self, user, *, today, node_code=None):
        super().__init__(user, today=today)
        self.node_code = node_code

    def context(self) -> dict:
        top = registry_selectors.coverage(self.user, self.node_code)
        sections = []
        # The detail tables list each kecamatan's desa: only when the rows are kecamatan (a
        # province's rows are kab/kota, whose detail would be kecamatan under a desa heading).
        kecamatan_rows = all(row.wilayah.tingkat == 3 for row in top["rows"])
        if not top["desa_level"] and kecamatan_rows and len(top["rows"]) <= MAX_KECAMATAN_DETAIL:
            detail = registry_selectors.desa_coverage([row.wilayah for row in top["rows"]])
            sections = [
                {"wilayah": row.wilayah, "rows": detail[row.wilayah.kode]} for row in top["rows"]
            ]
        rows = top["rows"]
        totals = {
            "desa_total": sum(r.desa_total for r in rows),
            "desa_tanpa_psm": sum(r.desa_tanpa_psm for r in rows),
            "psm_aktif": sum(r.psm_aktif for r in rows),
            "psm_total": sum(r.psm_total for r in rows),
        }
        return {
            **self.letterhead(),
            "title": self.title,
            "wilayah": top["node"],
            "wilayah_kerja": "" if top["node"] else self.region_covered(),
            "rows": rows,
            "desa_level": top["desa_level"],
            "sections": sections,
            "totals": totals,
            "chart": bar_chart([(r.wilayah.nama, r.psm_aktif) for r in rows]),
            "chart_caption": _("PSM aktif per wilayah"),
        }


class RaporKinerja(OfficialDocument):
    """The individual PSM performance report of one year: every indicator with its value,
    target and score, the supervisor's rubric, the combined score and the rank among the PSM
    of the same kab/kota."""

    title = "RAPOR KINERJA PEKERJA SOSIAL MASYARAKAT"
    jenis = "rapor"
    template = "pdf/report_rapor.html"

    def __init__(self, user, *, today, psm: Psm, tahun: int):
        super().__init__(user, today=today)
        self.psm = psm
        self.tahun = tahun

    def context(self) -> dict:
        period = indicators.Period.year(self.tahun)
        kabkota = self.psm.desa_tugas_id.rsplit(".", 2)[0]
        # Ranked as on the ranking page: among the kab/kota's PSM who served in the year (the
        # rapor is given only for such a year: ``reports.views.rapor_pdf``).
        peers = Psm.objects.filter(
            indicators.served_in(self.tahun), desa_tugas__kode__startswith=f"{kabkota}."
        )
        ranked = indicators.scores(peers, self.tahun, today=self.today)
        mine = next(row for row in ranked if row.psm.pk == self.psm.pk)
        # Named on the rapor: the ranking page may rank within one kecamatan.
        ranked_in = Wilayah.objects.filter(kode=kabkota).values_list("nama", flat=True).first()
        defs = indicators.definitions(period.sampai)
        rows = [
            {
                "d": d,
                "nilai": mine.nilai[d.kode],
                "skor": indicators.rounded(
                    min(Decimal(100), 100 * mine.nilai[d.kode] / d.target), "0.1"
                ),
            }
            for d in defs
        ]
        return {
            **self.letterhead(),
            "title": self.title,
            "psm": mine.psm,
            "tahun": str(self.tahun),  # a year, never "2.026"
            "rows": rows,
            "score": mine,
            "jumlah_psm": len(ranked),
            "peringkat_di": ranked_in or kabkota,
            "bobot": indicators.COMBINED_WEIGHTS,
            # compact, so that a rapor with its signature fits one page (the signature went
            # over alone)
            "chart": bar_chart(
                [(r["d"].nama, float(r["skor"])) for r in rows],
                label_width=190,
                bar_height=11,
                gap=3,
                font_size=8,
            ),
            "inactive_days": settings.PSM_INACTIVE_DAYS,
            "tahun_lalu": self.tahun < self.today.year,  # its status line is today's
            "per_tanggal": indicators.inactive_as_of(self.tahun, self.today),
        }


class SalinanDataSubjek(OfficialDocument):
    """The copy of a PPKS subject's personal data and its processing trail that the person may
    ask for (UU 27/2022 Pasal 7 and 32, answered within 3 x 24 hours), signed by the office. Its
    register line names the subject by number only."""

    title = "SALINAN DATA PRIBADI"
    jenis = "salinan-data"
    template = "pdf/subject_data_copy.html"

    def __init__(self, user, *, today, subject):
        super().__init__(user, today=today)
        self.subject = subject

    @property
    def perihal(self) -> str:
        return f"Salinan Data Pribadi Subjek PPKS #{self.subject.pk}"

    def context(self) -> dict:
        from assessments.selectors import subject_data_copy

        head = self.letterhead()
        office = head["kantor"]
        return {
            **head,
            **subject_data_copy(self.user, self.subject),
            "title": self.title,
            "retensi_tahun": office.retensi_kasus_tahun if office else None,
        }


class PpksRecap(OfficialDocument):
    """PPKS assessments of one year per category and per desa/kelurahan. Aggregate: no names."""

    title = "REKAPITULASI ASESMEN PPKS"
    jenis = "rekap-ppks"
    template = "pdf/report_ppks.html"

    def __init__(self, user, *, today, tahun: int, kecamatan: str = ""):
        super().__init__(user, today=today)
        self.tahun = tahun
        self.kecamatan = kecamatan

    def context(self) -> dict:
        recap = selectors.ppks_recap(self.user, tahun=self.tahun, kecamatan=self.kecamatan)
        used = [c for c in recap["categories"] if c[3]]
        return {
            **self.letterhead(),
            **recap,
            "title": self.title,
            "tahun": str(self.tahun),  # a year, never "2.026"
            "wilayah": Wilayah.objects.filter(pk=self.kecamatan).first()
            if self.kecamatan
            else None,
            "wilayah_kerja": "" if self.kecamatan else self.region_covered(),
            "chart": bar_chart([(c[1], c[3]) for c in used], label_width=90),
        }


class TrainingRecap(OfficialDocument):
    """People trained per level and year, and per kecamatan (from the registry's records)."""

    title = "REKAPITULASI BIMBINGAN TEKNIS PSM"
    jenis = "rekap-bimtek"
    template = "pdf/report_training.html"

    def __init__(self, user, *, today, tahun: int | None = None, kecamatan: str = ""):
        super().__init__(user, today=today)
        self.tahun = tahun
        self.kecamatan = kecamatan

    def context(self) -> dict:
        recap = training_selectors.training_recap(self.user, self.tahun, self.kecamatan)
        wilayah = Wilayah.objects.filter(pk=self.kecamatan).first() if self.kecamatan else None
        return {
            **self.letterhead(),
            **recap,
            "title": self.title,
            "tahun": str(self.tahun or ""),
            # the regions it covers, as the other recaps name them
            "wilayah_kerja": wilayah.label if wilayah else self.region_covered(),
        }


def _mean_score(rows) -> Decimal:
    """The mean combined score of ``rows`` (at least one), to a tenth, as the recap prints it."""
    return indicators.rounded(sum((r.skor_gabungan for r in rows), Decimal(0)) / len(rows), "0.1")


class YearlyRecap(OfficialDocument):
    """The office's yearly PSM performance recap per kecamatan: a summary, then every PSM with
    their key indicators, scores and rank, kecamatan by kecamatan.

    Long (a page per ~40 PSM), so it is built in the background and laid out in parts: the
    summary first (its page count is then known), then pages of exactly ``ROWS_PER_PAGE``
    one-line rows (fixed table layout), rendered on several processes and joined."""

    title = "REKAPITULASI KINERJA PEKERJA SOSIAL MASYARAKAT"
    jenis = "rekap-kinerja"
    template = "pdf/report_recap.html"
    rows_template = "pdf/report_recap_rows.html"
    ROWS_PER_PAGE = 46
    # The closing sentence and the signature take the room of about this many rows: the last
    # page keeps no more rows than leave that room, so the signature stands under the table's
    # last rows, never alone on a page of its own (a signature alone signs nothing visible).
    CLOSING_ROWS = 14
    PAGES_PER_PART = 3
    KEY_INDICATORS = ("PR-01", "PR-02", "OP-01", "OP-02", "OC-01")

    def __init__(self, user, *, today, tahun: int, kecamatan: str = ""):
        super().__init__(user, today=today)
        self.tahun = tahun
        self.kecamatan = kecamatan

    def context(self) -> dict:
        psms = selectors.psm_scored(self.user, self.tahun, self.kecamatan)
        ranked = indicators.scores(psms, self.tahun, today=self.today)
        # aktif, and tidak aktif, on the day the year is judged on (its 31 December if past)
        as_of = indicators.inactive_as_of(self.tahun, self.today)
        aktif = set(
            psms.filter(indicators.aktif_as_of(as_of, today=self.today)).values_list(
                "pk", flat=True
            )
        )
        names = dict(selectors.kecamatan_in_scope(self.user).values_list("kode", "nama"))
        # each row's status on that day too, as the summary counts it (today's, for a past
        # year, said "Berhenti" of a PSM counted there as aktif, and stopped only since)
        then = indicators.statuses_on([r.psm.pk for r in ranked if r.psm.pk not in aktif], as_of)
        groups: dict[str, list] = {}
        for row in ranked:
            if row.psm.pk in aktif:
                row.status_per = "Tidak aktif" if row.tidak_aktif else "Aktif"
            else:
                row.status_per = StatusPsm(then.get(row.psm.pk, row.psm.status)).label
            groups.setdefault(row.psm.desa_tugas_id[:8], []).append(row)
        defs = {
            d.kode: d for d in indicators.definitions(indicators.Period.year(self.tahun).sampai)
        }
        key = [defs[k] for k in self.KEY_INDICATORS if k in defs]
        summary = []
        for code, rows in sorted(groups.items(), key=lambda g: (names.get(g[0], g[0]), g[0])):
            rows.sort(key=lambda r: r.peringkat)
            for no, row in enumerate(rows, start=1):
                row.no = no
                row.kecamatan_nama = names.get(code, code)
                row.nilai_kunci = [row.nilai[d.kode] for d in key]
            summary.append(
                {
                    "kode": code,
                    "nama": names.get(code, code),
                    "rows": rows,
                    "psm": len(rows),
                    "aktif": sum(r.psm.pk in aktif for r in rows),
                    "tidak_aktif": sum(r.tidak_aktif for r in rows),
                    "dievaluasi": sum(r.evaluasi is not None for r in rows),
                    "rerata": _mean_score(rows),
                }
            )
        return {
            **self.letterhead(),
            "title": self.title,
            "tahun": str(self.tahun),  # a year, never "2.026"
            "wilayah": Wilayah.objects.filter(pk=self.kecamatan).first()
            if self.kecamatan
            else None,
            "wilayah_kerja": "" if self.kecamatan else self.region_covered(),
            "summary": summary,
            # the closing row: every column's total, and the mean score of all PSM
            "jumlah": {
                **{k: sum(s[k] for s in summary) for k in ("aktif", "tidak_aktif", "dievaluasi")},
                "rerata": _mean_score(ranked) if ranked else None,
            },
            "key_indicators": key,
            "jumlah_psm": len(ranked),
            "berprestasi": [r for r in ranked if r.evaluasi and r.evaluasi.diusulkan_berprestasi],
            "chart": bar_chart([(s["nama"], float(s["rerata"])) for s in summary]),
            "inactive_days": settings.PSM_INACTIVE_DAYS,
            "per_tanggal": as_of,
        }

    def pages(self, context) -> list[dict]:
        """The detail pages: each a kecamatan's next ``ROWS_PER_PAGE`` PSM."""
        pages = []
        for group in context["summary"]:
            rows = group["rows"]
            for start in range(0, len(rows), self.ROWS_PER_PAGE):
                pages.append(
                    {
                        "kecamatan": group,
                        "rows": rows[start : start + self.ROWS_PER_PAGE],
                        "lanjutan": start > 0,
                    }
                )
        keep = max(1, self.ROWS_PER_PAGE - self.CLOSING_ROWS)
        if pages and len(pages[-1]["rows"]) > keep:
            last = pages.pop()
            pages.append({**last, "rows": last["rows"][:keep]})
            pages.append({**last, "rows": last["rows"][keep:], "lanjutan": True})
        return pages

    def render(self, context, *, number, workers: int, on_progress=None) -> bytes:
        """The summary, then the detail pages in parts of ``PAGES_PER_PART``, the last closing
        with the signature under its rows; laid out side by side and numbered once joined;
        ``number`` gives the register number (``psm_portal.pdf.numbered``)."""
        pages = self.pages(context)
        parts = [(self.template, context)]
        starts = range(0, len(pages), self.PAGES_PER_PART)
        parts += [
            (
                self.rows_template,
                {
                    **context,
                    "pages": pages[i : i + self.PAGES_PER_PART],
                    "closing": i == starts[-1],
                },
            )
            for i in starts
        ]
        return render_parts(
            parts,
            workers=workers,
            page_label="Halaman {n} dari {total}",
            on_part=(lambda i: on_progress()) if on_progress else None,
            number=number,
        )

    def parts_count(self, context) -> int:
        return 1 + math.ceil(len(self.pages(context)) / self.PAGES_PER_PART)


def _may_read_recap(user, document) -> bool:
    """Asked at build and at every download: the recap names every PSM of its scope with their
    scores, so it needs the right to reports, the same scope as when it was asked for and, for
    one kecamatan, that kecamatan in scope."""
    if not has_permission(user, Perm.REPORT_VIEW):
        return False
    if not asked_in_this_region(user, document):
        return False  # the recap is of another region than the account's now
    kecamatan = document.params.get("kecamatan", "")
    return not kecamatan or selectors.kecamatan_in_scope(user).filter(kode=kecamatan).exists()


@builder("reports.rekap-kinerja", may_download=_may_read_recap)
def yearly_recap(document, progress) -> Built:
    from reports import services

    user = document.diminta_oleh
    if not user.is_active or not _may_read_recap(user, document):
        raise DocumentError(_("Anda tidak lagi berwenang atas rekap ini."))
    tahun = int(document.params["tahun"])
    kecamatan = document.params.get("kecamatan", "")
    today = timezone.localdate(document.created_at)  # the office's day, not UTC's
    report = YearlyRecap(user, today=today, tahun=tahun, kecamatan=kecamatan)
    context = report.context()
    if not context["jumlah_psm"]:
        raise DocumentError(_("Tidak ada PSM di wilayah ini untuk direkap."))
    progress.start(report.parts_count(context))
    pdf = report.render(
        context,
        number=services.numberer(report, by=user),
        workers=settings.PSM_PDF_WORKERS,
        on_progress=progress.step,
    )
    return Built(pdf, f"rekap-kinerja-psm-{tahun}.pdf")


# --- recaps of a province or the country: the task worker's work --------------------------------
# A kab/kota's recap is built in the request. A province's or the country's (tens of thousands of
# desa rows, a score for every PSM: a minute or more) would outlive the request's timeout, and a
# PDF's register number would be taken for a file nobody received.

RECAP_PPKS_JENIS = "reports.rekap-ppks"
RECAP_KINERJA_XLSX_JENIS = "reports.rekap-kinerja-xlsx"


def ppks_recap_rows(context: dict) -> tuple[list, list]:
    """The PPKS recap per desa/kelurahan (``PpksRecap.context``) as the XLSX's header and rows,
    closed by their totals, as the PDF's table B."""
    header = [_("Kecamatan"), _("Desa/kelurahan"), _("Kode"), _("Diajukan"), _("Terverifikasi")]
    rows = [
        [r["desa__induk__nama"], r["desa__nama"], r["desa__kode"], r["n"], r["verified"]]
        for r in context["per_desa"]
    ]
    rows.append([_("Jumlah"), "", "", context["total"], context["total_verified"]])
    return header, rows


def ppks_recap_categories(context: dict) -> tuple[str, list, list]:
    """The same recap per PPKS category (the PDF's table A), as a second sheet: its name, header
    and rows, closed by the total."""
    header = [_("Kode"), _("Singkatan"), _("Kategori PPKS"), _("Diajukan")]
    rows = [[kode, singkatan, nama, n] for kode, singkatan, nama, n in context["categories"]]
    rows.append([_("Jumlah"), "", "", context["total"]])
    return _("Per kategori"), header, rows


def kinerja_recap_rows(user, *, tahun: int, kecamatan: str, today) -> tuple[list, list, int]:
    """The yearly scores of every PSM in scope who served in the year (``served_in``), as the
    XLSX recap's header and rows, and how many."""
    psms = selectors.psm_scored(user, tahun, kecamatan)
    defs = indicators.definitions(indicators.Period.year(tahun).sampai)
    ranked = indicators.scores(psms, tahun, today=today)
    header = [
        _("Peringkat"),
        _("Nama"),
        _("Kecamatan"),
        _("Desa/kelurahan"),
        _("Status saat ini"),  # today's, whatever the year
        *[f"{d.kode} {d.nama}" for d in defs],
        _("Skor indikator"),
        _("Skor supervisor"),
        _("Skor gabungan"),
        _("Tidak aktif"),
    ]
    rows = [
        [
            r.peringkat,
            r.psm.nama,
            r.psm.desa_tugas.induk.nama if r.psm.desa_tugas.induk_id else "",
            r.psm.desa_tugas.nama,
            r.psm.get_status_display(),
            *[float(r.nilai[d.kode]) for d in defs],
            float(r.skor_indikator),
            r.evaluasi.skor_rubrik if r.evaluasi else "",
            float(r.skor_gabungan),
            _("ya") if r.tidak_aktif else "",
        ]
        for r in ranked
    ]
    return header, rows, len(ranked)


def _recap_owner(document):
    user = document.diminta_oleh
    if not user.is_active or not _may_read_recap(user, document):
        raise DocumentError(_("Anda tidak lagi berwenang atas rekap ini."))
    return user, int(document.params["tahun"]), document.params.get("kecamatan", "")


@builder(RECAP_PPKS_JENIS, may_download=_may_read_recap)
def ppks_recap_document(document, progress) -> Built:
    from reports import services

    user, tahun, kecamatan = _recap_owner(document)
    today = timezone.localdate(document.created_at)
    report = PpksRecap(user, today=today, tahun=tahun, kecamatan=kecamatan)
    progress.start(2)
    context = report.context()
    progress.step()
    if document.params.get("format") == "xlsx":
        content = xlsx_bytes(
            _("Per desa"), *ppks_recap_rows(context), more_sheets=[ppks_recap_categories(context)]
        )[0]
        progress.step()
        return Built(content, f"rekap-ppks-{tahun}.xlsx", XLSX_CONTENT_TYPE)
    pdf = render_pdf(report.template, context, number=services.numberer(report, by=user))
    progress.step()
    return Built(pdf, f"rekap-ppks-{tahun}.pdf")


@builder(RECAP_KINERJA_XLSX_JENIS, may_download=_may_read_recap)
def kinerja_recap_xlsx_document(document, progress) -> Built:
    user, tahun, kecamatan = _recap_owner(document)
    progress.start(2)
    header, rows, _count = kinerja_recap_rows(
        user, tahun=tahun, kecamatan=kecamatan, today=timezone.localdate(document.created_at)
    )
    progress.step()
    content = xlsx_bytes(_("Rekap kinerja"), header, rows)[0]
    return Built(content, f"rekap-kinerja-psm-{tahun}.xlsx", XLSX_CONTENT_TYPE)
