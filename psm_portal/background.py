"""Documents built in the background, with visible progress.

A view calls :func:`document_request`; that writes a :class:`GeneratedDocument` and enqueues
:func:`build_document` in the same transaction (the queue is a table of the same database, so a
request either exists with its task or not at all). ``manage.py db_worker`` runs the task, which
looks the builder up by the document's kind. Builders live beside their app and report progress
part by part: ``training/documents`` registers the certificate bundle, ``assessments/exports``
the large case export, ``reports/documents`` the recaps.

A worker killed mid-build leaves no document "in progress" for ever: a document whose progress has
not moved for ``PSM_DOCUMENT_STALE_MINUTES`` is shown, and stored, as failed, and can be asked for
again.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from psm_portal import audit
from psm_portal.models import GeneratedDocument, User

logger = logging.getLogger(__name__)
Status = GeneratedDocument.Status


class DocumentError(Exception):
    """A reason, in words for the user, why a document cannot be built (e.g. nothing to print)."""


@dataclass(frozen=True)
class Built:
    # The document, or for a large one an open file: saved from it in chunks, then closed.
    content: bytes | File
    filename: str
    content_type: str = "application/pdf"


class Progress:
    """Tells the document's page how far the build is; each step is also the worker's heartbeat."""

    def __init__(self, document: GeneratedDocument):
        self.document = document

    def start(self, total: int) -> None:
        self._set(selesai=0, total=total)

    def step(self, done: int = 1) -> None:
        self._set(selesai=self.document.selesai + done)

    def _set(self, **fields) -> None:
        for name, value in fields.items():
            setattr(self.document, name, value)
        GeneratedDocument.objects.filter(pk=self.document.pk).update(
            updated_at=timezone.now(), **fields
        )


Builder = Callable[[GeneratedDocument, Progress], Built]
DownloadCheck = Callable[[object, GeneratedDocument], bool]
BUILDERS: dict[str, Builder] = {}
DOWNLOAD_CHECKS: dict[str, DownloadCheck] = {}


def builder(jenis: str, *, may_download: DownloadCheck | None = None):
    """Register the builder of a kind of document; ``may_download(user, document)``, when given,
    is asked again at every download (an export's file outlives the right that built it)."""

    def register(func: Builder) -> Builder:
        BUILDERS[jenis] = func
        if may_download is not None:
            DOWNLOAD_CHECKS[jenis] = may_download
        return func

    return register


def asked_in_this_region(user, document: GeneratedDocument) -> bool:
    """Whether ``user`` still serves the region the document was asked for (its ``cakupan``
    parameter): a file of every PSM or case of a region is not theirs once they are moved.
    Documents asked for before the region was recorded carry none."""
    cakupan = document.params.get("cakupan")
    return cakupan is None or list(user.scope_codes) == cakupan


def may_download(user, document: GeneratedDocument) -> bool:
    check = DOWNLOAD_CHECKS.get(document.jenis)
    return user.is_active and (check is None or check(user, document))


def documents_prune(*, now, dry_run: bool = False) -> int:
    """Delete documents finished more than ``PSM_DOCUMENT_KEEP_DAYS`` ago, with their files (an
    export can hold every case of a province; personal data is kept no longer than needed).
    The register of numbered documents (IssuedDocument) is not touched."""
    old = GeneratedDocument.objects.filter(
        finished_at__lt=now - timedelta(days=settings.PSM_DOCUMENT_KEEP_DAYS)
    )
    count = old.count()
    if not dry_run:
        for document in old.only("pk", "berkas").iterator():
            if document.berkas:
                document.berkas.delete(save=False)
        old.delete()
    return count


def document_request(
    *, jenis: str, judul: str, params: dict, by, audited: dict | None = None
) -> GeneratedDocument:
    """Queue a document; asking again for one still being built returns that one (double click).
    ``audited``: what the audit trail keeps of ``params``, when they hold what it must not (a
    search term, which may be a name or a NIK); all of them by default."""
    if jenis not in BUILDERS:
        raise ValueError(f"no builder for {jenis!r}")
    with transaction.atomic():
        # The requester's row, locked: a double click's two requests queue one after the other,
        # so the second finds the first's document (a lock on rows not yet written holds none).
        User.objects.select_for_update().values_list("pk", flat=True).get(pk=by.pk)
        pending = (
            GeneratedDocument.objects.select_for_update()
            .filter(
                diminta_oleh=by,
                jenis=jenis,
                params=params,
                status__in=[Status.QUEUED, Status.RUNNING],
            )
            .first()
        )
        if pending and not is_stale(pending):
            return pending
        document = GeneratedDocument.objects.create(
            jenis=jenis, judul=judul, params=params, diminta_oleh=by
        )
        result = build_document.enqueue(str(document.pk))
        document.task_id = str(result.id)
        document.save(update_fields=["task_id"])
        audit.record(
            by=by,
            action="document.request",
            target=document,
            target_label=judul,
            after={**(params if audited is None else audited), "jenis": jenis},
        )
    return document


def is_stale(document: GeneratedDocument, now=None) -> bool:
    """A build nobody will finish: running, with no progress for a while (its worker died), or
    queued while its task is over or gone (it failed before claiming the document: the database
    dropped, a deploy renamed the task, the task results were pruned). A queued document whose
    task still waits its turn is not stale, however long the queue."""
    if document.status == Status.QUEUED:
        task = DBTaskResult.objects.filter(id=document.task_id or None).values_list(
            "status", flat=True
        )
        return task.first() in (None, "FAILED", "SUCCESSFUL")
    if document.status != Status.RUNNING:
        return False
    limit = timedelta(minutes=settings.PSM_DOCUMENT_STALE_MINUTES)
    return (now or timezone.now()) - document.updated_at > limit


def refresh_status(document: GeneratedDocument) -> GeneratedDocument:
    """Record a build whose worker died, or whose task was lost, as failed, so nobody waits for
    it for ever."""
    stale = is_stale(document)
    if stale and document.status == Status.QUEUED:
        # Only while still queued: a worker that claimed it meanwhile goes on.
        GeneratedDocument.objects.filter(pk=document.pk, status=Status.QUEUED).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            pesan_galat=_(
                "Permintaan dokumen ini hilang dari antrean pekerja latar. Silakan minta "
                "dokumen ini lagi."
            ),
        )
        document.refresh_from_db()
    elif stale:
        marked = GeneratedDocument.objects.filter(
            pk=document.pk, status=Status.RUNNING, updated_at=document.updated_at
        ).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            pesan_galat=_(
                "Pembuatan dokumen terhenti di tengah jalan (pekerja latar berhenti). "
                "Silakan minta dokumen ini lagi."
            ),
        )
        if marked:
            # django-tasks-db has no reaper: its own row of a killed worker's task would stay
            # RUNNING for ever; record it as failed too.
            DBTaskResult.objects.filter(id=document.task_id or None, status="RUNNING").update(
                status="FAILED", finished_at=timezone.now()
            )
            document.refresh_from_db()
    return document


@task()
def build_document(document_id: str) -> str:
    """Build one requested document. Runs once: a second run of a finished or claimed document
    does nothing."""
    claimed = GeneratedDocument.objects.filter(pk=document_id, status=Status.QUEUED).update(
        status=Status.RUNNING, updated_at=timezone.now()
    )
    document = GeneratedDocument.objects.select_related("diminta_oleh").get(pk=document_id)
    if not claimed:
        return document.status
    try:
        with translation.override("id"):
            built = BUILDERS[document.jenis](document, Progress(document))
    except Exception as exc:
        if isinstance(exc, DocumentError):
            message = str(exc)
        else:
            logger.exception("background document %s (%s) failed", document.pk, document.jenis)
            message = _(
                "Terjadi kesalahan saat membuat dokumen. Tim teknis dapat melihat rinciannya "
                "di log dengan kode %(kode)s."
            ) % {"kode": document.pk}
        GeneratedDocument.objects.filter(pk=document.pk).update(
            status=Status.FAILED, pesan_galat=message, finished_at=timezone.now()
        )
        if isinstance(exc, DocumentError):
            return Status.FAILED
        raise
    content = built.content if isinstance(built.content, File) else ContentFile(built.content)
    with content:
        document.berkas.save(built.filename, content, save=False)
    finished = GeneratedDocument.objects.filter(pk=document.pk, status=Status.RUNNING).update(
        params=document.params,  # a builder may record what the file holds (a whole NIK)
        berkas=document.berkas.name,
        nama_berkas=built.filename,
        content_type=built.content_type,
        status=Status.DONE,
        selesai=F("total"),
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    if not finished:
        # Recorded as stopped while this build was still going (``refresh_status``): the user
        # was told so and may have asked again. The late file is not put back over that.
        document.berkas.delete(save=False)
        return Status.FAILED
    return Status.DONE
