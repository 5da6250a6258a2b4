"""The PSM export: its columns and rows, and the XLSX built in the background when it is too big
to build while the browser waits.

A CSV streams, so any size is answered at once. An XLSX can only be sent once it is whole:
250,000 PSM of a national scope took 62 s in the request, past gunicorn's 30 s timeout, so the
worker serving it was killed and the office got an error page. Up to ``XLSX_IMMEDIATE_MAX_ROWS``
it is answered at once; above, it becomes a background document with its progress page, like
the case export (``assessments.exports``).
"""

import math

from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from psm_portal.access import Perm, has_permission
from psm_portal.background import Built, DocumentError, asked_in_this_region, builder
from psm_portal.privacy import mask_nik
from psm_portal.spreadsheets import XLSX_CONTENT_TYPE, xlsx_bytes
from registry import selectors
from registry.filters import PsmFilter

XLSX_JENIS = "registry.ekspor-psm"
# About 5 s of building (250,000 PSM took 62 s): larger ones go to the task worker.
XLSX_IMMEDIATE_MAX_ROWS = 20_000
ROWS_PER_PART = 10_000  # one step of the progress bar

HEADER = [
    "Nama",
    "NIK",
    "Jenis kelamin",
    "Tanggal lahir",
    "Desa/kelurahan tugas",
    "Kecamatan",
    "Kode wilayah",
    "Status",
    "Status sejak",
    "Spesialisasi",
    "Bimtek",
]


def queryset(user, params):
    """The PSM ``user`` may export, filtered and ordered as the list with ``params`` shows them."""
    return selectors.psm_filtered_queryset(selectors.psm_filter(user, params))


def rows(psms, show_nik: bool):
    for psm in psms.iterator(chunk_size=1000):
        yield [
            psm.nama,
            psm.nik if show_nik else mask_nik(psm.nik),
            psm.get_jenis_kelamin_display(),
            psm.tanggal_lahir.isoformat(),
            psm.desa_tugas.nama,
            psm.desa_tugas.induk.nama if psm.desa_tugas.induk_id else "",
            psm.desa_tugas_id,
            psm.get_status_display(),
            psm.status_sejak.isoformat(),
            ", ".join(s.nama for s in psm.spesialisasi.all()),
            ", ".join(sorted({b.get_tingkat_display() for b in psm.bimtek_set.all()})),
        ]


def filename(extension: str, today=None) -> str:
    return f"psm-{today or timezone.localdate()}.{extension}"


def stored_params(user, params: QueryDict) -> dict:
    """What a background document keeps (JSON) of the list's filters: the filters only, every
    value of each (no page, no session token: asking twice is one document), and the requester's
    region, which must still be theirs when the file is built and downloaded."""
    kept = {key: params.getlist(key) for key in PsmFilter.Meta.fields if params.getlist(key)}
    return {**kept, "cakupan": list(user.scope_codes)}


def audited(stored: dict) -> dict:
    """The stored filters as the audit trail keeps them: whether there was a search, not what
    was searched (a name or a NIK, which never travels in a URL or lands in a log either)."""
    return {**{k: v for k, v in stored.items() if k != "q"}, "pencarian": bool(stored.get("q"))}


def _query(stored: dict) -> QueryDict:
    params = QueryDict(mutable=True)
    for key in PsmFilter.Meta.fields:
        if key in stored:
            params.setlist(key, [str(v) for v in stored[key]])
    return params


def _may_export(user, document) -> bool:
    """The right to export, in the region the file was asked for: asked when the file is built
    and at every download."""
    return (
        user.is_active
        and has_permission(user, Perm.PSM_EXPORT)
        and asked_in_this_region(user, document)
    )


def _may_download(user, document) -> bool:
    """``_may_export``, and the right to whole NIKs when the file holds them, as of now."""
    if not _may_export(user, document):
        return False
    return not document.params.get("nik_lengkap", True) or has_permission(user, Perm.PSM_VIEW_NIK)


@builder(XLSX_JENIS, may_download=_may_download)
def psm_export_xlsx(document, progress) -> Built:
    """The XLSX of a large PSM export, written row by row by the task worker."""
    user = document.diminta_oleh
    if not _may_export(user, document):
        raise DocumentError(_("Anda tidak lagi berwenang mengekspor data PSM ini."))
    listed = selectors.psm_filter(user, _query(document.params))
    if listed.is_bound and not listed.is_valid():
        # django-filter would drop the filter that no longer holds and export the whole region.
        raise DocumentError(
            _(
                "Saringan ekspor ini tidak berlaku lagi (misalnya pilihan yang sudah dihapus); "
                "mintalah lagi dari Daftar PSM."
            )
        )
    psms = selectors.psm_filtered_queryset(listed)
    show_nik = has_permission(user, Perm.PSM_VIEW_NIK)
    document.params = {**document.params, "nik_lengkap": show_nik}  # saved with the file
    progress.start(math.ceil(psms.count() / ROWS_PER_PART) + 1)
    content, _count = xlsx_bytes(
        "PSM",
        HEADER,
        rows(psms, show_nik),
        on_rows=lambda _n: progress.step(),
        every=ROWS_PER_PART,
    )
    return Built(
        content, filename("xlsx", timezone.localdate(document.created_at)), XLSX_CONTENT_TYPE
    )
