"""Report downloads. Small documents render inline; big ones will be background tasks."""

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from psm_portal.access import Perm
from psm_portal.pdf import render_pdf
from registry.access import require
from reports import services
from reports.documents import CoverageReport


def _pdf_response(report, *, by, filename: str) -> HttpResponse:
    context = report.context()
    document = services.document_number_issue(
        jenis=report.jenis, perihal=report.title.title(), by=by, today=report.today
    )
    pdf = render_pdf(report.template, {**context, "nomor": document.nomor})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def coverage_pdf(request):
    require(request.user, Perm.COVERAGE_VIEW)
    today = timezone.localdate()
    report = CoverageReport(request.user, today=today, node_code=request.GET.get("wilayah"))
    return _pdf_response(report, by=request.user, filename=f"laporan-cakupan-{today}.pdf")
