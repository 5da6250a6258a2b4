"""The case (PPKS assessment) export: its columns, the NIK rule, and the XLSX built in the
background when it is too big to build while the browser waits.

A CSV streams, so any size is answered at once. An XLSX is a zip that can only be sent once it is
whole: a million rows take XlsxWriter 74 s on one core, far past what a request may take. Up to
``XLSX_IMMEDIATE_MAX_ROWS`` rows (a few seconds) it is answered at once; above, it becomes a
background document (``psm_portal.background``) with its progress page, like the yearly recap.
From ``SIDE_BY_SIDE_MIN_ROWS`` rows on PostgreSQL, two processes write a half each
(``_xlsx_side_by_side``): the national million rows in about 50 s.
"""

import math
import os
import re
import tempfile
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.core.files import File
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import selectors
from assessments.access import holds_specific_data_right
from assessments.models import JenisAsesmen, Urgensi
from assessments.models import StatusAsesmen as S
from psm_portal import parallel, spreadsheets
from psm_portal.access import Perm, has_permission
from psm_portal.background import Built, DocumentError, asked_in_this_region, builder
from psm_portal.privacy import mask_nik
from psm_portal.spreadsheets import XLSX_CONTENT_TYPE, XLSX_MAX_ROWS, xlsx_bytes
from registry.models import Wilayah

XLSX_JENIS = "assessments.ekspor-kasus"
# About 1.5 s of building on the 2-core benchmark machine: larger ones go to the task worker.
XLSX_IMMEDIATE_MAX_ROWS = 20_000
# One step of the progress bar.
ROWS_PER_PART = 10_000
# From this many rows the XLSX is written by two processes at once (``_xlsx_side_by_side``): the
# national export's million rows in 48-52 s instead of 74 s. Below, starting them (a second) and
# joining their halves is not worth it. The rows and the header must fit on one sheet, with room
# for cases submitted between the count and the snapshot (a second); a half that would still not
# fit fails the document rather than go on to a sheet the join would leave out.
SIDE_BY_SIDE_MIN_ROWS = 100_000
SIDE_BY_SIDE_MAX_ROWS = XLSX_MAX_ROWS - 1 - 1_000


def header() -> list[str]:
    return [
        _("Nomor"),
        _("Nama"),
        _("NIK"),
        _("Kecamatan"),
        _("Desa/kelurahan"),
        _("Kategori utama"),
        _("Jenis asesmen"),
        _("Tanggal"),
        _("Urgensi"),
        _("Status"),
        _("PSM"),
    ]


def sheet_name() -> str:
    return _("Kasus PPKS")


def filename(extension: str, today=None) -> str:
    return f"kasus-ppks-{today or timezone.localdate()}.{extension}"


def full_nik(user) -> bool:
    """Only roles that may see sensitive data get the whole NIK; the others get it masked."""
    return holds_specific_data_right(user)


REGION_CODE = re.compile(r"[0-9.]{1,13}", re.ASCII)


def case_filters(params) -> dict:
    """The case list's filters (status, kecamatan, tahun) from a query string, a form or a
    background document's stored parameters; anything unknown is left out."""
    status = params.get("status", "")
    kecamatan = str(params.get("kecamatan", "") or "")
    tahun = str(params.get("tahun", "") or "")
    tahun = int(tahun) if tahun.isascii() and tahun.isdigit() and len(tahun) == 4 else None
    return {
        "status": status if status in S.values else "",
        # A region code: ASCII digits and dots, at most 13 (desa: 33.71.02.1003). Anything else
        # (a NUL byte, broken UTF-8 from a hand-made form) is nobody's and would reach the query.
        "kecamatan": kecamatan if REGION_CODE.fullmatch(kecamatan) else "",
        "tahun": tahun if tahun and tahun >= 1900 else None,
    }


def rows(user, *, above=None, at_most=None, **filters) -> Iterator[list]:
    """The cases ``user`` may export, as the export's rows (labels in the active language);
    ``filters`` as ``case_filters`` gives them; ``above`` and ``at_most`` bound the primary key."""
    show_nik = full_nik(user)
    jenis_labels = {k: str(v) for k, v in JenisAsesmen.choices}
    urgensi_labels = {k: str(v) for k, v in Urgensi.choices}
    status_labels = {k: str(v) for k, v in S.choices}
    for (
        pk,
        nama,
        nik,
        kecamatan,
        desa,
        kategori,
        jenis,
        tanggal,
        urgensi,
        status_,
        psm,
    ) in selectors.case_export_rows(user, above=above, at_most=at_most, **filters):
        yield [
            pk,
            nama,
            (nik if show_nik else mask_nik(nik)) if nik else "",
            kecamatan,
            desa,
            kategori,
            jenis_labels.get(jenis, jenis),
            tanggal,
            urgensi_labels.get(urgensi, urgensi),
            status_labels.get(status_, status_),
            psm or "",
        ]


def is_large(user, **filters) -> bool:
    """Whether the XLSX of these cases is built in the background (counts at most one row past
    the limit, so a national account's click does not count two million rows)."""
    count = selectors.case_export_count(user, limit=XLSX_IMMEDIATE_MAX_ROWS + 1, **filters)
    return count > XLSX_IMMEDIATE_MAX_ROWS


def document_title(status: str = "", kecamatan: str = "", tahun: int | None = None) -> str:
    """The title in *Dokumen saya*: what the file holds, filters included (``case_filters``), so
    two exports of one day can be told apart before they are opened."""
    parts = [str(S(status).label)] if status else []
    if kecamatan:
        nama = Wilayah.objects.filter(kode=kecamatan).values_list("nama", flat=True).first()
        parts.append(_("Kec. %(nama)s") % {"nama": nama or kecamatan})
    if tahun:
        parts.append(_("diajukan %(tahun)s") % {"tahun": tahun})
    if parts:
        return _("Ekspor kasus PPKS (%(filter)s), XLSX") % {"filter": "; ".join(parts)}
    return _("Ekspor kasus PPKS, XLSX")


def _may_export(user, document) -> bool:
    """The right to export, in the region the file was asked for (``cakupan``, recorded since
    2026-12-06): asked when the file is built and at every download."""
    return (
        user.is_active
        and has_permission(user, Perm.PPKS_EXPORT)
        and asked_in_this_region(user, document)
    )


def _may_download(user, document) -> bool:
    """``_may_export``, and the right to whole NIKs when the file holds them, as of now."""
    if not _may_export(user, document):
        return False
    return not document.params.get("nik_lengkap", True) or full_nik(user)


@builder(XLSX_JENIS, may_download=_may_download)
def case_export_xlsx(document, progress) -> Built:
    """The XLSX of a large export, written row by row (memory stays flat) by the task worker, or
    by two processes it starts when there are many rows."""
    user = document.diminta_oleh
    if not _may_export(user, document):
        raise DocumentError(_("Anda tidak lagi berwenang mengekspor kasus PPKS ini."))
    filters = case_filters(document.params)
    document.params = {**document.params, "nik_lengkap": full_nik(user)}  # saved with the file
    total = selectors.case_export_count(user, **filters)
    # One part per ROWS_PER_PART rows, and the last one: the zip written when the rows are done.
    progress.start(math.ceil(total / ROWS_PER_PART) + 1)
    middle = None
    if parallel.available() and SIDE_BY_SIDE_MIN_ROWS <= total <= SIDE_BY_SIDE_MAX_ROWS:
        middle = selectors.case_export_middle(user, total // 2, **filters)
    if middle is not None:
        content = _xlsx_side_by_side(user, filters, middle, progress)
    else:
        content, _count = xlsx_bytes(
            sheet_name(),
            header(),
            rows(user, **filters),
            on_rows=lambda _n: progress.step(),
            every=ROWS_PER_PART,
        )
    return Built(
        content, filename("xlsx", timezone.localdate(document.created_at)), XLSX_CONTENT_TYPE
    )


def _xlsx_side_by_side(user, filters: dict, middle: int, progress) -> File:
    """The XLSX written by two processes at once, a half of the rows each, then joined into one
    sheet (``join_parts``): the newer half (primary keys above the middle row's) by the first,
    with the header; the older half by the second, from the row after the first half's last.
    Both read one snapshot (``parallel``), so that row is known exactly; it is checked anyway."""
    # Rows written by both (the progress bar); each half's rows, and the newer half's as the
    # older one counted them before it started.
    done, written = parallel.CONTEXT.Value("q", 0), parallel.CONTEXT.Array("q", 3)
    stepped = 0

    def tick():
        nonlocal stepped
        reached = done.value // ROWS_PER_PART
        if reached > stepped:
            progress.step(reached - stepped)
            stepped = reached

    with tempfile.TemporaryDirectory() as folder:
        paths = [os.path.join(folder, f"bagian-{half}.xlsx") for half in (0, 1)]
        with parallel.shared_snapshot() as snapshot, parallel.running() as halves:
            for half in (0, 1):
                halves.append(
                    parallel.start(
                        "assessments.exports.write_half",
                        snapshot,
                        half,
                        user.pk,
                        filters,
                        middle,
                        paths[half],
                        done,
                        written,
                    )
                )
            parallel.wait(halves, tick=tick)
        if written[2] != written[0]:
            raise RuntimeError(f"halves do not meet: {written[0]} rows, {written[2]} counted")
        # Handed over open: saved from and closed by build_document (``Built``), gone once closed.
        joined = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            spreadsheets.join_parts(
                [paths[0]] + ([paths[1]] if written[1] else []),
                joined,
                rows=written[0] + written[1],
                columns=len(header()),
            )
        except BaseException:
            joined.close()
            raise
    return File(joined, name="kasus.xlsx")


def write_half(half: int, user_pk: int, filters: dict, middle: int, path, done, written) -> None:
    """One process's half of ``_xlsx_side_by_side``, in the shared snapshot (``parallel.start``):
    ``done`` counts the rows written by both (the progress bar), ``written[half]`` this half's,
    and the second half records in ``written[2]`` how many rows it left for the first."""
    user = get_user_model().objects.get(pk=user_pk)

    def count(n):
        with done.get_lock():
            done.value += n

    if half == 0:
        head, first_row, bounds = header(), 1, {"above": middle}
    else:
        written[2] = selectors.case_export_count(user, above=middle, **filters)
        head, first_row, bounds = None, 1 + written[2], {"at_most": middle}
    try:
        written[half] = spreadsheets.write_xlsx(
            path,
            sheet_name(),
            head,
            rows(user, **bounds, **filters),
            on_rows=count,
            every=1_000,
            first_row=first_row,
            one_sheet=True,
            tmpdir=os.path.dirname(path),
        )
    except BaseException:
        # Stopped or failed: no half-written file of names and NIKs is left behind, even when
        # the worker that would have removed the folder is gone.
        if os.path.exists(path):
            os.remove(path)
        raise
