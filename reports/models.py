"""Official documents: the register that numbers every document the office issues."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentCounter(models.Model):
    """The last number issued in a year; locked while a number is taken, so two supervisors
    downloading at once never get the same number."""

    tahun = models.PositiveSmallIntegerField(primary_key=True)
    terakhir = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("penghitung nomor dokumen")

    def __str__(self):
        return f"{self.tahun}: {self.terakhir}"


class IssuedDocument(models.Model):
    """One numbered document: what it was, for whom, who asked for it (the outgoing register)."""

    created_at = models.DateTimeField(_("waktu"), auto_now_add=True)
    tahun = models.PositiveSmallIntegerField(_("tahun"))
    urut = models.PositiveIntegerField(_("nomor urut"))
    nomor = models.CharField(_("nomor dokumen"), max_length=100, unique=True)
    jenis = models.CharField(_("jenis dokumen"), max_length=64)
    perihal = models.CharField(_("perihal"), max_length=300)
    diminta_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("register dokumen keluar")
        verbose_name_plural = _("register dokumen keluar")
        constraints = [
            models.UniqueConstraint(fields=["tahun", "urut"], name="document_number_unique")
        ]

    def __str__(self):
        return self.nomor


class GeneratedDocument(models.Model):
    """A document built in the background (a task run by ``manage.py db_worker``): who asked for
    it, how far the build is, and the file once done. The id is a UUID, so a document's address
    cannot be guessed; only the person who asked for it may open it."""

    class Status(models.TextChoices):
        QUEUED = "antre", _("Menunggu giliran")
        RUNNING = "proses", _("Sedang dibuat")
        DONE = "selesai", _("Selesai")
        FAILED = "gagal", _("Gagal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("diminta"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    jenis = models.CharField(_("jenis"), max_length=64)
    judul = models.CharField(_("judul"), max_length=300)
    params = models.JSONField(_("parameter"), default=dict, blank=True)
    diminta_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diminta oleh"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.QUEUED)
    selesai = models.PositiveIntegerField(_("bagian selesai"), default=0)
    total = models.PositiveIntegerField(_("jumlah bagian"), default=0)
    task_id = models.CharField(_("ID tugas"), max_length=64, blank=True)
    berkas = models.FileField(_("berkas"), upload_to="dokumen/%Y/%m/", blank=True)
    nama_berkas = models.CharField(_("nama berkas"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    pesan_galat = models.TextField(_("pesan galat"), blank=True)

    class Meta:
        verbose_name = _("dokumen latar")
        verbose_name_plural = _("dokumen latar")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["diminta_oleh", "-created_at"])]

    def __str__(self):
        return self.judul

    @property
    def persen(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.selesai / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
