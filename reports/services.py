"""Writes of the reports app: numbering the documents it issues."""

import datetime as dt

from django.conf import settings
from django.db import transaction

from psm_portal import audit
from reports.models import DocumentCounter, IssuedDocument


@transaction.atomic
def document_number_issue(*, jenis: str, perihal: str, by, today: dt.date) -> IssuedDocument:
    """Take the next number of the year (pattern from PSM_DOCUMENT_NUMBER_PATTERN)."""
    DocumentCounter.objects.get_or_create(tahun=today.year)
    counter = DocumentCounter.objects.select_for_update().get(tahun=today.year)
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
    )
    audit.record(by=by, action="document.issue", target=document, after={"nomor": nomor})
    return document
