"""Report downloads. Small documents render inline; big ones are built in the background and
followed on their own page (psm_portal.background)."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psm_portal import audit
from psm_portal.access import Perm, has_permission, spans_a_province
from psm_portal.background import document_request, may_download, refresh_status
from psm_portal.models import GeneratedDocument
from psm_portal.paging import CachedCountPaginator
from psm_portal.spreadsheets import xlsx_response
from registry import selectors as registry_selectors
from registry.access import get_psm_for_user, require
from registry.models import Psm, Wilayah
from reports import indicators, selectors, services
from reports.charts import bar_chart
from reports.dashboard import dashboard_figures
from reports.documents import (
    RECAP_KINERJA_XLSX_JENIS,
    RECAP_PPKS_JENIS,
    CoverageReport,
    PpksRecap,
    RaporKinerja,
    TrainingRecap,
    kinerja_recap_rows,
    official_pdf,
    ppks_recap_categories,
    ppks_recap_rows,
)
from reports.forms import DashboardFilter, EvaluasiForm
from reports.models import Evaluasi


def _pdf_response(report, *, by, filename: str) -> HttpResponse:
    response = HttpResponse(official_pdf(report, by=by), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def coverage_pdf(request):
    require(request.user, Perm.COVERAGE_VIEW)
    today = timezone.localdate()
    code = request.GET.get("wilayah", "")
    if code and registry_selectors.coverage_node(request.user, code) is None:
        # not the whole scope under a register number, titled as asked
        messages.error(request, registry_selectors.COVERAGE_NODE_UNKNOWN)
        return redirect("registry:coverage")
    report = CoverageReport(request.user, today=today, node_code=code or None)
    return _pdf_response(report, by=request.user, filename=f"laporan-cakupan-{today}.pdf")


def _own_document(request, pk) -> GeneratedDocument:
    """Only the person who asked for a document may follow or download it."""
    return refresh_status(get_object_or_404(GeneratedDocument, pk=pk, diminta_oleh=request.user))


@require_GET
def document_list(request):
    documents = GeneratedDocument.objects.filter(diminta_oleh=request.user)[:50]
    return render(
        request,
        "reports/document_list.html",
        {"documents": [refresh_status(d) for d in documents]},
    )


@require_GET
def document(request, pk):
    """The progress page; htmx polls it for the progress fragment until the document is done."""
    document = _own_document(request, pk)
    template = "reports/document.html"
    if request.headers.get("HX-Request"):
        template = "reports/includes/document_progress.html"
    return render(
        request, template, {"document": document, "keep_days": settings.PSM_DOCUMENT_KEEP_DAYS}
    )


@require_GET
def document_download(request, pk):
    document = _own_document(request, pk)
    if document.status != GeneratedDocument.Status.DONE or not document.berkas:
        raise Http404
    if not may_download(request.user, document):
        raise PermissionDenied
    return FileResponse(
        document.berkas.open("rb"),
        as_attachment=True,
        filename=document.nama_berkas,
        content_type=document.content_type,
    )


# --- dashboard, ranking, evaluations, drill-down ---------------------------------------------


def _filters(request, *, today):
    """Year and kecamatan from the query string, checked against what the user may see."""
    kecamatan = selectors.kecamatan_in_scope(request.user)
    data = request.GET.copy()
    data.setdefault("tahun", str(today.year))
    form = DashboardFilter(
        data,
        years=selectors.years_available(today),
        kecamatan=kecamatan,
    )
    form.is_valid()
    # what was sent right stays (a kecamatan out of scope kept the year chosen, but showed this
    # year's figures under it); what was sent wrong is this year, the whole scope
    return form, form.cleaned_data.get("tahun", today.year), form.cleaned_data.get("kecamatan", "")


def _document_filters(request, *, today):
    """(tahun, kecamatan, None) of an official document or an export, or (None, None, the
    dashboard again) when the filters sent are wrong. The dashboard itself falls back to this
    year and the whole scope; a document would spend a register number on a year or a region
    nobody asked for, under their title. The dashboard shows the filters as sent, with what is
    wrong with them."""
    form, tahun, kecamatan = _filters(request, today=today)
    if form.is_valid():
        return tahun, kecamatan, None
    messages.error(request, _("Dokumen tidak dibuat: periksa tahun dan kecamatannya."))
    return None, None, redirect(f"{reverse('reports:dashboard')}?{request.GET.urlencode()}")


WORKER_SLOW = dt.timedelta(minutes=2)  # a national snapshot takes seconds, not minutes


def _month_label(month: int) -> str:
    return capfirst(MONTHS_3[month])  # "Mei", "Agu" in Indonesian; "May", "Aug" in English


def _age_label(low: int, high: int | None) -> str:
    if high is None:
        return _("lebih dari %(n)s hari") % {"n": low - 1}
    return _("%(a)s-%(b)s hari") % {"a": low, "b": high}


@require_GET
def dashboard(request):
    require(request.user, Perm.REPORT_VIEW)
    today = timezone.localdate()
    form, tahun, kecamatan = _filters(request, today=today)
    result = dashboard_figures(request.user, tahun=tahun, kecamatan=kecamatan, today=today)
    figures, charts = result.data, {}
    if figures is not None:
        # A phone's width, in letters a phone can read: an SVG is scaled to its box, and the
        # printed documents' 480 px at 10 px came out as 7 px letters on a 360 px screen.
        on_screen = {"width": 320, "font_size": 12}
        charts = {
            "trend": bar_chart(
                [(_month_label(m), n) for m, n, _a in figures["trend"]],
                label_width=40,
                **on_screen,
            ),
            "trend_kegiatan": bar_chart(
                [(_month_label(m), a) for m, _n, a in figures["trend"]],
                label_width=40,
                color="#2e7d32",
                **on_screen,
            ),
            "kategori": bar_chart(figures["per_category"], label_width=100, **on_screen),
            "antrean": bar_chart(
                [(_age_label(*bucket), n) for bucket, n in figures["antrean_umur"]],
                label_width=140,  # "lebih dari 30 hari" whole (at 90 its first letter was cut)
                color="#b35c00",
                **on_screen,
            ),
        }
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "f": figures,
            "dihitung": result.dihitung,
            "memperbarui": result.memperbarui,
            # Asked for minutes ago and still not computed: is a task worker running at all?
            "pekerja_lambat": result.diminta is not None
            and timezone.now() - result.diminta > WORKER_SLOW,
            "diminta": result.diminta,
            "today": today,
            "as_of": indicators.inactive_as_of(tahun, today),
            "refresh_minutes": max(1, settings.PSM_DASHBOARD_CACHE_SECONDS // 60),
            "charts": charts,
            "tahun": tahun,
            "kecamatan": kecamatan,
            # The documents' links ask for the figures shown: a filter sent wrong shows this
            # year's for the whole scope (and says what is wrong), and so do they.
            "filters_shown": urlencode(
                {"tahun": tahun, **({"kecamatan": kecamatan} if kecamatan else {})}
            ),
            # A figure links to its rows only where this role may open them (not to a 403).
            "may_open_queue": has_permission(request.user, Perm.PPKS_REVIEW)
            or has_permission(request.user, Perm.PPKS_REVIEW_KECAMATAN),
            "may_open_referrals": has_permission(request.user, Perm.PPKS_REFER),
        },
    )


@require_GET
def ranking(request):
    """Every PSM scored for the year, ranked: the basis of the PSM berprestasi nomination."""
    require(request.user, Perm.REPORT_VIEW)
    today = timezone.localdate()
    form, tahun, kecamatan = _filters(request, today=today)
    psms = selectors.psm_scored(request.user, tahun, kecamatan)
    # Every PSM is scored to rank them: fine for a province (seconds), not for the country
    # (250,000 PSM, 40 s measured). Such a scope ranks one kecamatan at a time.
    # (Counted up to one past the bound: who served is read per PSM from their history.)
    limit = settings.PSM_RANKING_MAX_PSM
    too_many = not kecamatan and psms[: limit + 1].count() > limit
    rows = [] if too_many else indicators.scores(psms, tahun, today=today)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/ranking.html",
        {
            "form": form,
            "page": page,
            "tahun": tahun,
            "kecamatan": kecamatan,
            "defs": indicators.definitions(indicators.Period.year(tahun).sampai),
            "can_evaluate": has_permission(request.user, Perm.EVALUATION_EDIT),
            "too_many": too_many,
        },
    )


@require_GET
def inactive(request):
    """The PSM the shared definition calls inactive, with their last activity or assessment."""
    require(request.user, Perm.REPORT_VIEW)
    today = timezone.localdate()
    form, tahun, kecamatan = _filters(request, today=today)
    as_of = indicators.inactive_as_of(tahun, today)
    rows = (
        indicators.inactive_psm(selectors.psm_for(request.user, kecamatan), as_of, today=today)
        .select_related("desa_tugas__induk")
        .order_by("desa_tugas__induk__nama", "nama", "pk")
    )
    page = CachedCountPaginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/inactive.html",
        {
            "form": form,
            "page": page,
            "days": settings.PSM_INACTIVE_DAYS,
            "kecamatan": kecamatan,
            "as_of": as_of,
            # a past year's list names PSM who may have stopped since (aktif on its last day)
            "past": as_of < today,
        },
    )


def _year(tahun: int, today) -> int:
    if not 2000 <= tahun <= today.year:
        raise Http404
    return tahun


DRILL_ROWS = 500


def _drill_section(rows) -> dict:
    """One kind of record an indicator counts (activities, cases, ...), newest first."""
    return {
        "model": rows.model._meta.model_name,
        "title": capfirst(rows.model._meta.verbose_name_plural),
        "count": rows.count(),
        "rows": list(rows.order_by("-tanggal", "-pk")[:DRILL_ROWS]),
        "limit": DRILL_ROWS,
    }


@require_GET
def indicator_rows(request, psm_pk, tahun, indikator):
    """The drill-down: the rows one PSM's indicator value counts."""
    require(request.user, Perm.REPORT_VIEW)
    psm = get_psm_for_user(request.user, psm_pk, perm=Perm.REPORT_VIEW)
    today = timezone.localdate()
    period = indicators.Period.year(_year(tahun, today))
    definition = next(
        (d for d in indicators.definitions(period.sampai) if d.kode == indikator), None
    )
    if definition is None:
        raise Http404
    sections = [
        _drill_section(qs) for qs in indicators.rows_for(definition.cara_hitung, psm, period)
    ]
    months = None
    if definition.cara_hitung == "frekuensi":
        # the figure from the rows counted above and the months served: one query, not the
        # three of ``frekuensi`` again
        months = indicators.months_served(Psm.objects.filter(pk=psm.pk), period, today).get(psm.pk)
        value = indicators.per_month(sum(s["count"] for s in sections), months) if months else 0
    else:
        value = indicators.PER_PSM[definition.cara_hitung](
            Psm.objects.filter(pk=psm.pk), period, today
        ).get(psm.pk, 0)
    return render(
        request,
        "reports/indicator_rows.html",
        {
            "psm": psm,
            "tahun": period.mulai.year,
            "d": definition,
            "value": value,
            "sections": sections,
            "months": months,
            # a year the status history shows the PSM never aktif in: nothing to divide by
            "not_served": definition.cara_hitung == "frekuensi" and months is None,
        },
    )


@require_http_methods(["GET", "POST"])
def evaluation(request, psm_pk, tahun):
    psm = get_psm_for_user(request.user, psm_pk, perm=Perm.EVALUATION_EDIT)
    today = timezone.localdate()
    tahun = _year(tahun, today)
    if not indicators.served(psm, tahun):  # the ranking does not list them for the year
        messages.error(request, indicators.not_served_message(psm, tahun))
        # the ranking of that year, when it has one to show (2019's added "2019 is not one of
        # the choices" under the message that said why)
        shown = {"tahun": tahun} if tahun in selectors.years_available(today) else {}
        query = urlencode({**shown, "kecamatan": psm.desa_tugas_id[:8]})
        return redirect(f"{reverse('reports:ranking')}?{query}")
    existing = Evaluasi.objects.filter(psm=psm, tahun=tahun).first()
    form = EvaluasiForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.evaluation_save(psm=psm, tahun=tahun, data=data, by=request.user, today=today)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Evaluasi %(nama)s tahun %(t)d disimpan.") % {"nama": psm.nama, "t": tahun},
            )
            return redirect(
                f"{reverse('reports:ranking')}?tahun={tahun}&kecamatan={psm.desa_tugas_id[:8]}"
            )
    period = indicators.Period.year(tahun)
    score = next(
        (s for s in indicators.scores(Psm.objects.filter(pk=psm.pk), tahun, today=today)), None
    )
    return render(
        request,
        "reports/evaluation_form.html",
        {
            "psm": psm,
            "tahun": tahun,
            "form": form,
            "score": score,
            "defs": indicators.definitions(period.sampai),
        },
    )


# --- official documents ------------------------------------------------------------------------


@require_GET
def rapor_pdf(request, psm_pk, tahun):
    psm = get_psm_for_user(request.user, psm_pk, perm=Perm.REPORT_VIEW)
    today = timezone.localdate()
    tahun = _year(tahun, today)
    if not indicators.served(psm, tahun):
        messages.error(request, indicators.not_served_message(psm, tahun))
        return redirect("registry:psm-detail", pk=psm.pk)
    report = RaporKinerja(request.user, today=today, psm=psm, tahun=tahun)
    return _pdf_response(report, by=request.user, filename=f"rapor-kinerja-{psm.pk}-{tahun}.pdf")


@require_POST
def recap_request(request):
    """The yearly recap is long: built by the task worker, followed on its own page."""
    require(request.user, Perm.REPORT_VIEW)
    today = timezone.localdate()
    tahun, kecamatan, refused = _document_filters(request, today=today)
    if refused:
        return refused
    document = document_request(
        jenis="reports.rekap-kinerja",
        # what it covers, in the list of documents (two requests of one year read alike)
        judul=_("Rekap kinerja PSM %(t)d, %(w)s") % {"t": tahun, "w": _scope_label(kecamatan)},
        # The scope it covers, so a download after the account moves elsewhere is refused.
        params={"tahun": tahun, "kecamatan": kecamatan, "cakupan": list(request.user.scope_codes)},
        by=request.user,
    )
    return redirect("reports:document", pk=document.pk)


def _scope_label(kecamatan: str) -> str:
    if not kecamatan:
        return _("seluruh wilayah kerja")
    nama = Wilayah.objects.filter(kode=kecamatan).values_list("nama", flat=True).first()
    return _("Kecamatan %(nama)s") % {"nama": nama}


def _wide_recap(request, *, jenis: str, judul: str, tahun: int, kecamatan: str, **params):
    """A province's or the country's recap, asked for with a link: queued for the task worker
    (see ``reports.documents``); the user follows it on its page. None for a narrower scope."""
    if kecamatan or not spans_a_province(request.user):
        return None
    document = document_request(
        jenis=jenis,
        judul=judul,
        params={
            "tahun": tahun,
            "kecamatan": kecamatan,
            "cakupan": list(request.user.scope_codes),
            **params,
        },
        by=request.user,
    )
    return redirect("reports:document", pk=document.pk)


@require_GET
def recap_xlsx(request):
    require(request.user, Perm.REPORT_VIEW)
    today = timezone.localdate()
    tahun, kecamatan, refused = _document_filters(request, today=today)
    if refused:
        return refused
    label = f"rekap kinerja {tahun} {kecamatan}".strip()
    with transaction.atomic():  # the document queued and its audit entry, or neither
        wide = _wide_recap(
            request,
            jenis=RECAP_KINERJA_XLSX_JENIS,
            judul=_("Rekap kinerja PSM %(t)s, XLSX") % {"t": tahun},
            tahun=tahun,
            kecamatan=kecamatan,
        )
        if wide:
            audit.record(
                by=request.user, action="report.export", target_label=label, after={"latar": True}
            )
    if wide:
        return wide
    header, rows, count = kinerja_recap_rows(
        request.user, tahun=tahun, kecamatan=kecamatan, today=today
    )
    audit.record(
        by=request.user, action="report.export", target_label=label, after={"baris": count}
    )
    return xlsx_response(f"rekap-kinerja-psm-{tahun}.xlsx", _("Rekap kinerja"), header, rows)


@require_GET
def ppks_recap(request, fmt):
    require(request.user, Perm.REPORT_VIEW)
    today = timezone.localdate()
    tahun, kecamatan, refused = _document_filters(request, today=today)
    if refused:
        return refused
    with transaction.atomic():  # the audit entry and the document queued, or neither
        if fmt != "pdf":
            audit.record(
                by=request.user, action="report.export", target_label=f"rekap PPKS {tahun}"
            )
        wide = _wide_recap(
            request,
            jenis=RECAP_PPKS_JENIS,
            judul=_("Rekap PPKS %(t)s, %(f)s") % {"t": tahun, "f": fmt.upper()},
            tahun=tahun,
            kecamatan=kecamatan,
            format=fmt,
        )
    if wide:
        return wide
    report = PpksRecap(request.user, today=today, tahun=tahun, kecamatan=kecamatan)
    if fmt == "pdf":
        return _pdf_response(report, by=request.user, filename=f"rekap-ppks-{tahun}.pdf")
    context = report.context()
    header, rows = ppks_recap_rows(context)
    return xlsx_response(
        f"rekap-ppks-{tahun}.xlsx",
        _("Per desa"),
        header,
        rows,
        more_sheets=[ppks_recap_categories(context)],
    )


@require_GET
def training_recap_pdf(request):
    require(request.user, Perm.TRAINING_RECAP)
    today = timezone.localdate()
    sent = request.GET.get("tahun", "")
    tahun = int(sent) if sent.isascii() and sent.isdigit() and len(sent) == 4 else None
    if sent and (tahun is None or not 1990 <= tahun <= today.year):
        # not "every year" under a register number nobody asked for
        messages.error(
            request,
            _("Rekap Bimtek tidak dibuat: tahun %(t)s tidak dikenal (1990 sampai %(akhir)d).")
            % {"t": sent[:10], "akhir": today.year},
        )
        return redirect("training:recap")
    kecamatan = request.GET.get("kecamatan", "")
    if kecamatan and not selectors.kecamatan_in_scope(request.user).filter(kode=kecamatan).exists():
        # the dashboard's kecamatan, edited by hand: not the whole scope under its title
        messages.error(
            request,
            _("Rekap Bimtek tidak dibuat: kecamatan itu tidak ada di wilayah kerja Anda."),
        )
        return redirect(f"{reverse('reports:dashboard')}?{request.GET.urlencode()}")
    report = TrainingRecap(request.user, today=today, tahun=tahun, kecamatan=kecamatan)
    return _pdf_response(report, by=request.user, filename=f"rekap-bimtek-{today}.pdf")
