"""The one module that calls WeasyPrint. Templates live under ``templates/pdf/`` on their own base
with the kop surat; callers pass a context and get bytes back."""

import hashlib
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

# Where a numbered document's register number goes until its content is known (``numbered``): a
# comment, which no escaped text (a name, a note) can contain.
NUMBER_SLOT = mark_safe("<!--nomor-dokumen-->")


def qr_svg_data_uri(url: str) -> str:
    """A QR code as an SVG data URI (no temporary files, crisp at any print size), for an
    ``<img>`` on a page or in a PDF: with its namespace, which a browser needs to draw an SVG
    image (segno's inline SVG left it out, and the attendance page showed a broken image)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def public_url(path: str) -> str:
    return settings.PSM_PUBLIC_BASE_URL.rstrip("/") + path


def _url_fetcher():
    """Documents load only embedded (data:) and local (file:) resources, never the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data", "file"}, timeout=5)


def static_file_uri(path: str) -> str:
    found = finders.find(path)
    return f"file://{found}" if found else ""


def _html(template: str, context: dict) -> str:
    with translation.override("id"):  # documents are official: always in Indonesian
        return render_to_string(template, context)


def numbered(htmls: list[str], number: Callable[[str], str]) -> list[str]:
    """Put the register number into documents rendered with ``nomor=NUMBER_SLOT``.

    ``number(sidik)`` takes the number for the content's fingerprint (the SHA-256 of the HTML
    without its number): the register gives the same content the number it already has, so the
    number is asked for only once the content is known, and before the slow layout."""
    sidik = hashlib.sha256("\x00".join(htmls).encode()).hexdigest()
    nomor = escape(number(sidik))
    return [html.replace(NUMBER_SLOT, nomor) for html in htmls]


def render_document(template: str, context: dict):
    """Render ``template`` to a laid-out WeasyPrint document, always in Indonesian (documents are
    official). Use :func:`render_pdf` for bytes, or :func:`merge_pdf` to join several."""
    from weasyprint import HTML

    html = _html(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()).render()


def render_pdf(
    template: str, context: dict, *, number: Callable[[str], str] | None = None
) -> bytes:
    """The PDF of ``template``; with ``number``, a register-numbered document (:func:`numbered`)
    whose template prints ``{{ nomor }}``."""
    if number is None:
        return render_document(template, context).write_pdf()
    [html] = numbered([_html(template, {**context, "nomor": NUMBER_SLOT})], number)
    return render_html(html)


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


def render_parts(
    parts: list[tuple[str, dict]],
    *,
    workers: int = 2,
    on_part=None,
    page_label: str = "",
    number: Callable[[str], str] | None = None,
) -> bytes:
    """Lay out the parts of one long document on ``workers`` processes and join them in order.

    WeasyPrint lays out a few pages a second on one core, so a long official document is split
    into parts (``(template, context)`` pairs) rendered side by side. Their page numbers are only
    known once all are laid out, so the parts print none (``no_page_numbers``) and the joined
    document is stamped afterwards with ``page_label`` (``"Halaman {n} dari {total}"``) from one
    small overlay document. ``on_part(i)`` is called as each part finishes (progress); with
    ``number``, the parts are one register-numbered document (:func:`numbered`)."""
    import io
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connection, connections
    from pypdf import PdfReader, PdfWriter

    slot = {"nomor": NUMBER_SLOT} if number else {}
    htmls = [
        _html(template, {**context, "no_page_numbers": bool(page_label), **slot})
        for template, context in parts
    ]
    if number:
        htmls = numbered(htmls, number)
    # Inside a transaction the connections cannot be closed for the fork: lay out in-process.
    if workers <= 1 or len(htmls) == 1 or connection.in_atomic_block:
        pdfs = []
        for i, html in enumerate(htmls):
            pdfs.append(render_html(html))
            if on_part:
                on_part(i)
    else:
        # Forked workers inherit the settings; they must not share the parent's database
        # sockets, so those are closed first (Django reopens them on the next query).
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pdfs = []
            for i, pdf in enumerate(pool.map(render_html, htmls)):
                pdfs.append(pdf)
                if on_part:
                    on_part(i)
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    if page_label:
        total = len(writer.pages)
        overlay = PdfReader(io.BytesIO(render_html(_page_numbers_html(page_label, total))))
        for page, numbers in zip(writer.pages, overlay.pages, strict=True):
            page.merge_page(numbers)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_numbers_html(label: str, total: int) -> str:
    """``total`` empty A4 pages whose footer reads ``label`` (``{n}`` and ``{total}``)."""
    before, _, after = label.partition("{n}")
    content = f'"{before}" counter(page) "{after.replace("{total}", str(total))}"'
    return (
        "<html><head><style>@page { size: A4; margin: 18mm 16mm; @bottom-center { content: "
        f"{content}; font-family: 'DejaVu Sans', sans-serif; font-size: 8pt; color: #555; }} }}"
        " div { break-after: page; } div:last-child { break-after: auto; }</style></head><body>"
        + "<div></div>" * total
        + "</body></html>"
    )
