"""Report downloads. Small documents render inline; big ones are built in the background and
followed on their own page (reports.background)."""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from psm_portal.access import Perm
from psm_portal.pdf import render_pdf
from registry.access import require
from reports import services
from reports.background import refresh_status
from reports.documents import CoverageReport
from reports.models import GeneratedDocument


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
    return render(request, template, {"document": document})


@require_GET
def document_download(request, pk):
    document = _own_document(request, pk)
    if document.status != GeneratedDocument.Status.DONE or not document.berkas:
        raise Http404
    return FileResponse(
        document.berkas.open("rb"),
        as_attachment=True,
        filename=document.nama_berkas,
        content_type=document.content_type,
    )
