"""The PSM export: its columns and rows, and the XLSX built in the background when it is too big
to build while the browser waits.

A CSV streams, so any size is answered at once. An XLSX can only be sent once it is whole:
250,000 PSM of a national scope took 62 s in the request, past gunicorn's 30 s timeout, so the
worker serving it was killed and the office got an error page (19 s since the rows are read as
values, still too long to keep a browser and a worker waiting). Up to ``XLSX_IMMEDIATE_MAX_ROWS``
it is answered at once; above, it becomes a background document with its progress page, like
the case export (``assessments.exports``).
"""

import itertools
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
from registry.models import JenisKelamin, StatusPsm, TingkatBimtek

XLSX_JENIS = "registry.ekspor-psm"
# 1.6 s of building at the national preset (250,000 PSM: 19 s): larger ones go to the task
# worker. The same limit as the case export's.
XLSX_IMMEDIATE_MAX_ROWS = 20_000
ROWS_PER_PART = 10_000  # one step of the progress bar


def header() -> list[str]:
    """The columns, in the language the rows' labels are in (as the case export's)."""
    return [
        _("Nama"),
        _("NIK"),
        _("Jenis kelamin"),
        _("Tanggal lahir"),
        _("Desa/kelurahan tugas"),
        _("Kecamatan"),
        _("Kode wilayah"),
        _("Status"),
        _("Status sejak"),
        _("Spesialisasi"),
        _("Bimtek"),
    ]


def queryset(user, params):
    """The PSM ``user`` may export, filtered and ordered as the list with ``params`` shows them."""
    return selectors.psm_filtered_queryset(selectors.psm_filter(user, params))


ROWS_PER_QUERY = 1000  # rows fetched at a time, with their spesialisasi and Bimtek


def rows(psms, show_nik: bool):
    """The export's rows, as value rows read in chunks, each chunk's spesialisasi and Bimtek in
    two queries. (At the national preset, 50,000 rows took 8.2 s as model instances with their
    prefetches, 1.5 s as value rows; the 250,000 of the country 6.5 s.)"""
    # A generator: this runs at the first row, so the labels are in the language active when
    # the rows are read (a streamed CSV reads them late).
    genders = {k: str(v) for k, v in JenisKelamin.choices}
    statuses = {k: str(v) for k, v in StatusPsm.choices}
    tier_labels = {k: str(v) for k, v in TingkatBimtek.choices}
    values = psms.prefetch_related(None).values_list(
        "pk",
        "nama",
        "nik",
        "jenis_kelamin",
        "tanggal_lahir",
        "desa_tugas__nama",
        "desa_tugas__induk__nama",
        "desa_tugas_id",
        "status",
        "status_sejak",
    )
    for chunk in itertools.batched(values.iterator(chunk_size=ROWS_PER_QUERY), ROWS_PER_QUERY):
        specs, tiers = selectors.spesialisasi_and_bimtek([row[0] for row in chunk])
        for pk, nama, nik, gender, born, desa, kecamatan, kode, status, since in chunk:
            yield [
                nama,
                nik if show_nik else mask_nik(nik),
                genders.get(gender, gender),
                # retention keeps an erased PSM's year of birth only, as 1 January: not a date
                born if nik else None,
                desa,
                kecamatan or "",
                kode,
                statuses.get(status, status),
                since,
                ", ".join(specs.get(pk, ())),
                ", ".join(sorted({tier_labels.get(t, t) for t in tiers.get(pk, ())})),
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
        header(),
        rows(psms, show_nik),
        on_rows=lambda _n: progress.step(),
        every=ROWS_PER_PART,
    )
    return Built(
        content, filename("xlsx", timezone.localdate(document.created_at)), XLSX_CONTENT_TYPE
    )
