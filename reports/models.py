"""Reports: the register that numbers every document the office issues, indicator definitions
(versioned data), supervisors' yearly evaluations and dashboard snapshots. Documents built in the
background live in psm_portal (every app builds some)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from psm_portal.models import TimeStamped


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
    """One numbered document: what it was, for whom, who asked for it (the outgoing register).

    ``sidik`` is the fingerprint of the document's content as laid out (its number left out): the
    same letter opened again (a reprint, a retry after a failed build) keeps its number."""

    created_at = models.DateTimeField(_("waktu"), auto_now_add=True)
    tahun = models.PositiveSmallIntegerField(_("tahun"))
    urut = models.PositiveIntegerField(_("nomor urut"))
    nomor = models.CharField(_("nomor dokumen"), max_length=100, unique=True)
    jenis = models.CharField(_("jenis dokumen"), max_length=64)
    perihal = models.CharField(_("perihal"), max_length=300)
    diminta_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sidik = models.CharField(_("sidik isi"), max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("register dokumen keluar")
        verbose_name_plural = _("register dokumen keluar")
        constraints = [
            models.UniqueConstraint(fields=["tahun", "urut"], name="document_number_unique"),
            # Numbers issued before fingerprints were kept have none.
            models.UniqueConstraint(
                fields=["tahun", "jenis", "sidik"],
                condition=~models.Q(sidik=""),
                name="document_content_numbered_once",
            ),
        ]

    def __str__(self):
        return self.nomor


class KategoriIndikator(models.TextChoices):
    """The seed documents' five levels of measuring PSM empowerment."""

    INPUT = "input", _("Input")
    PROSES = "proses", _("Proses")
    OUTPUT = "output", _("Output")
    OUTCOME = "outcome", _("Outcome")
    DAMPAK = "dampak", _("Dampak")


class TingkatIndikator(models.TextChoices):
    PSM = "psm", _("Per PSM")
    KANTOR = "kantor", _("Kantor (wilayah)")


class Indikator(TimeStamped):
    """An indicator definition, kept as versioned data: a change of weight or target is a new
    version from a date, so last year's scores stay what they were. ``cara_hitung`` names the
    computation in ``reports.indicators`` that produces its value from the data."""

    kode = models.CharField(_("kode"), max_length=20)
    versi = models.PositiveSmallIntegerField(_("versi"), default=1)
    nama = models.CharField(_("nama"), max_length=200)
    kategori = models.CharField(_("kategori"), max_length=8, choices=KategoriIndikator)
    tingkat = models.CharField(_("tingkat"), max_length=8, choices=TingkatIndikator)
    cara_hitung = models.CharField(_("cara hitung"), max_length=40)
    penjelasan = models.CharField(_("penjelasan"), max_length=300)
    satuan = models.CharField(_("satuan"), max_length=30)
    bobot = models.DecimalField(_("bobot"), max_digits=5, decimal_places=2, default=0)
    target = models.DecimalField(
        _("target"),
        max_digits=9,
        decimal_places=2,
        help_text=_("Nilai yang memberi skor 100 (skor dibatasi 0-100)."),
    )
    berlaku_mulai = models.DateField(_("berlaku mulai"))

    class Meta:
        verbose_name = _("indikator")
        verbose_name_plural = _("indikator")
        constraints = [
            models.UniqueConstraint(fields=["kode", "versi"], name="indikator_kode_versi_unik"),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="indikator_target_pos"),
            models.CheckConstraint(condition=models.Q(bobot__gte=0), name="indikator_bobot_pos"),
        ]

    def __str__(self):
        return f"{self.kode} v{self.versi} {self.nama}"


RUBRIK = ("kerajinan", "disiplin", "kerja_sama", "kepemimpinan", "prestasi")


class Evaluasi(TimeStamped):
    """A supervisor's yearly evaluation of one PSM on the seed documents' rubric (1-5 each)."""

    psm = models.ForeignKey(
        "registry.Psm", on_delete=models.CASCADE, related_name="evaluasi_set", verbose_name="PSM"
    )
    tahun = models.PositiveSmallIntegerField(_("tahun"))
    penilai = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kerajinan = models.PositiveSmallIntegerField(_("kerajinan"))
    disiplin = models.PositiveSmallIntegerField(_("kedisiplinan"))
    kerja_sama = models.PositiveSmallIntegerField(_("kerja sama"))
    kepemimpinan = models.PositiveSmallIntegerField(_("kepemimpinan"))
    prestasi = models.PositiveSmallIntegerField(_("prestasi"))
    catatan = models.TextField(_("catatan"), max_length=2000, blank=True)
    diusulkan_berprestasi = models.BooleanField(
        _("diusulkan sebagai PSM berprestasi"), default=False
    )

    class Meta:
        verbose_name = _("evaluasi PSM")
        verbose_name_plural = _("evaluasi PSM")
        constraints = [
            models.UniqueConstraint(fields=["psm", "tahun"], name="evaluasi_satu_per_tahun"),
            *[
                models.CheckConstraint(
                    condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"evaluasi_{name}_1_5",
                )
                for name in RUBRIK
            ],
        ]

    def __str__(self):
        return f"{self.psm} {self.tahun}"

    @property
    def skor_rubrik(self) -> float:
        """The rubric on a 0-100 scale (the mean of five 1-5 marks, times 20)."""
        return round(sum(getattr(self, name) for name in RUBRIK) / len(RUBRIK) * 20, 1)


class CuplikanDasbor(TimeStamped):
    """The dashboard's figures computed once for everyone who sees the same thing (role, scope,
    year, kecamatan), so the page never computes them while a user waits on a large scope: the
    task worker refreshes a stale snapshot and the page says when its figures were computed."""

    kunci = models.CharField(_("kunci"), max_length=64, unique=True)
    # Whose view of the data this is: the worker recomputes it as this account (same role and
    # scope as everyone sharing the key).
    pengguna = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    tahun = models.PositiveSmallIntegerField(_("tahun"))
    kecamatan = models.CharField(_("kecamatan"), max_length=13, blank=True)
    data = models.JSONField(_("angka"), null=True, blank=True)
    dihitung_pada = models.DateTimeField(_("dihitung pada"), null=True, blank=True)
    diminta_pada = models.DateTimeField(_("pembaruan diminta pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("cuplikan dasbor")
        verbose_name_plural = _("cuplikan dasbor")

    def __str__(self):
        return f"{self.tahun}/{self.kecamatan or '-'} @ {self.dihitung_pada}"
