"""Writes of the reports app: numbering the documents it issues, and supervisors' evaluations."""

import datetime as dt
import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from psm_portal import audit
from registry.models import Psm, StatusPsm
from reports import indicators
from reports.models import DocumentCounter, Evaluasi, IssuedDocument


@transaction.atomic
def document_number_issue(
    *, jenis: str, perihal: str, by, today: dt.date, sidik: str = ""
) -> IssuedDocument:
    """Take the next number of the year (pattern from PSM_DOCUMENT_NUMBER_PATTERN).

    ``sidik`` fingerprints the document's content (``psm_portal.pdf``): a document already
    numbered this year with the same content (a reprint, the same figures asked for again the same
    day, a retry after a build that failed once numbered) gets its number back instead of a new
    one, so the register holds letters, not downloads, and a failed build leaves no gap."""
    if sidik:
        issued = _numbered_before(jenis=jenis, sidik=sidik, by=by, today=today)
        if issued:
            return issued
    DocumentCounter.objects.get_or_create(tahun=today.year)
    counter = DocumentCounter.objects.select_for_update().get(tahun=today.year)
    if sidik:
        # Another request may have numbered the same content while this one waited for the lock.
        issued = _numbered_before(jenis=jenis, sidik=sidik, by=by, today=today)
        if issued:
            return issued
    counter.terakhir += 1
    counter.save(update_fields=["terakhir"])
    nomor = settings.PSM_DOCUMENT_NUMBER_PATTERN.format(urut=counter.terakhir, tahun=today.year)
    document = IssuedDocument.objects.create(
        tahun=today.year,
        urut=counter.terakhir,
        nomor=nomor,
        jenis=jenis,
        perihal=perihal,
        diminta_oleh=by if by is not None and by.is_authenticated else None,
        sidik=sidik,
    )
    audit.record(by=by, action="document.issue", target=document, after={"nomor": nomor})
    return document


def numberer(report, *, by):
    """``report``'s register number for ``psm_portal.pdf.numbered``: taken once its content is
    known. The region the report covers is part of the fingerprint: two offices' recaps of the
    same empty year read alike, and are still two letters."""
    scope = ",".join(report.user.scope_codes)

    def number(sidik: str) -> str:
        sidik = hashlib.sha256(f"{scope}\x00{sidik}".encode()).hexdigest()
        return document_number_issue(
            jenis=report.jenis, perihal=report.perihal, by=by, today=report.today, sidik=sidik
        ).nomor

    return number


def _numbered_before(*, jenis: str, sidik: str, by, today: dt.date) -> IssuedDocument | None:
    issued = IssuedDocument.objects.filter(tahun=today.year, jenis=jenis, sidik=sidik).first()
    if issued:
        audit.record(by=by, action="document.reprint", target=issued, after={"nomor": issued.nomor})
    return issued


@transaction.atomic
def evaluation_save(*, psm, tahun: int, data: dict, by, today: dt.date) -> Evaluasi:
    """A supervisor's yearly evaluation of one PSM (one per PSM and year; saving again revises
    it, and the audit trail keeps what it was)."""
    if tahun > today.year:
        raise ValidationError(_("Evaluasi tahun %(t)d belum dapat dibuat.") % {"t": tahun})
    if psm.tanggal_bergabung.year > tahun:
        raise ValidationError(
            _("%(nama)s baru bergabung pada %(thn)d.")
            % {"nama": psm.nama, "thn": psm.tanggal_bergabung.year}
        )
    # Not among the year's ranked PSM either. A candidate who served before (one registering
    # again after stopping) is evaluated for the years served.
    if not indicators.served(psm, tahun):
        raise ValidationError(indicators.not_served_message(psm, tahun))
    if data.get("diusulkan_berprestasi") and psm.status != StatusPsm.AKTIF:
        raise ValidationError(
            {"diusulkan_berprestasi": _("Hanya PSM yang aktif dapat diusulkan berprestasi.")}
        )
    # The PSM's row is the lock: a first evaluation has no row of its own to lock yet, and two
    # saves at once (a double tap, two supervisors) would both insert (a 500 from the unique
    # constraint). The second now waits, finds the first and revises it.
    Psm.objects.select_for_update().filter(pk=psm.pk).values_list("pk", flat=True).get()
    evaluasi = Evaluasi.objects.select_for_update().filter(psm=psm, tahun=tahun).first()
    before = audit.snapshot(evaluasi) if evaluasi else None
    evaluasi = evaluasi or Evaluasi(psm=psm, tahun=tahun)
    for name, value in data.items():
        setattr(evaluasi, name, value)
    evaluasi.penilai = by
    evaluasi.full_clean()
    evaluasi.save()
    audit.record(
        by=by,
        action="evaluasi.save",
        target=evaluasi,
        target_label=f"{psm.nama} {tahun}",
        before=before,
        after=audit.snapshot(evaluasi),
    )
    return evaluasi
