"""Report classes: each builds its context through the other apps' selectors (tested without
rendering), and names its template under ``templates/pdf/``. Rendering is psm_portal.pdf's job."""

import datetime as dt

from django.utils.translation import gettext as _

from psm_portal.office import current_office, format_nip, indonesian_date
from registry import selectors as registry_selectors
from reports.charts import bar_chart

# Above this many kecamatan the desa-level table is left out of an inline document.
MAX_KECAMATAN_DETAIL = 60


class OfficialDocument:
    title = ""
    jenis = ""
    template = ""

    def __init__(self, user, *, today: dt.date):
        self.user = user
        self.today = today

    def letterhead(self) -> dict:
        office = current_office()
        return {
            "kantor": office,
            "tanggal": indonesian_date(self.today),
            "tempat": office.kota_surat if office else "",
            "nip": format_nip(office.penandatangan_nip) if office else "",
        }

    def context(self) -> dict:
        raise NotImplementedError


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
        if not top["desa_level"] and len(top["rows"]) <= MAX_KECAMATAN_DETAIL:
            for row in top["rows"]:
                detail = registry_selectors.coverage(self.user, row.wilayah.kode)
                sections.append({"wilayah": row.wilayah, "rows": detail["rows"]})
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
            "rows": rows,
            "desa_level": top["desa_level"],
            "sections": sections,
            "totals": totals,
            "chart": bar_chart([(r.wilayah.nama, r.psm_aktif) for r in rows]),
            "chart_caption": _("PSM aktif per wilayah"),
        }
