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


def render_html(html: str) -> bytes:
    """WeasyPrint on an already rendered HTML string (also in a worker process)."""
    from weasyprint import HTML

    return HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()
    ).write_pdf()


def render_parts(template: str, contexts: list[dict], *, workers: int = 2, on_part=None) -> bytes:
    """Render one template per context (parts of one long document whose page numbers the
    contexts already carry) on ``workers`` processes, and join the parts in order.

    WeasyPrint lays out a few pages a second on one core; long official documents are split
    into parts of known page counts and laid out in parallel. ``on_part(i)`` is called as each
    part finishes (progress)."""
    import io
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection, connections
    from pypdf import PdfWriter

    with translation.override("id"):
        htmls = [render_to_string(template, context) for context in contexts]
    # Inside a transaction the connections cannot be closed for the fork: lay out in-process.
    if workers <= 1 or len(htmls) == 1 or connection.in_atomic_block:
        parts = []
        for i, html in enumerate(htmls):
            parts.append(render_html(html))
            if on_part:
                on_part(i)
    else:
        # Forked workers inherit the settings; they must not share the parent's database
        # sockets, so those are closed first (Django reopens them on the next query).
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            parts = []
            for i, pdf in enumerate(pool.map(render_html, htmls)):
                parts.append(pdf)
                if on_part:
                    on_part(i)
    writer = PdfWriter()
    for pdf in parts:
        writer.append(io.BytesIO(pdf))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
