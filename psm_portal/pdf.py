"""The one module that calls WeasyPrint. Templates live under ``templates/pdf/`` on their own base
with the kop surat; callers pass a context and get bytes back."""

import base64

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation


def qr_svg_data_uri(url: str) -> str:
    """A QR code as an inline SVG data URI (no temporary files, crisp at any print size)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def public_url(path: str) -> str:
    return settings.PSM_PUBLIC_BASE_URL.rstrip("/") + path


def _url_fetcher():
    """Documents load only embedded (data:) and local (file:) resources, never the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data", "file"}, timeout=5)


def static_file_uri(path: str) -> str:
    found = finders.find(path)
    return f"file://{found}" if found else ""


def render_document(template: str, context: dict):
    """Render ``template`` to a laid-out WeasyPrint document, always in Indonesian (documents are
    official). Use :func:`render_pdf` for bytes, or :func:`merge_pdf` to join several."""
    from weasyprint import HTML

    with translation.override("id"):
        html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()).render()


def render_pdf(template: str, context: dict) -> bytes:
    return render_document(template, context).write_pdf()


def merge_pdf(documents) -> bytes:
    """One PDF of the pages of several rendered documents, in order."""
    documents = list(documents)
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
