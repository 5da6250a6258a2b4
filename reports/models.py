"""Official documents: the register that numbers every document the office issues."""

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
