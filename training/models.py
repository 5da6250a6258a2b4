"""Bimtek training: events with their days, modules, speakers and kecamatan quotas; enrolment
with a waiting list; attendance per day; scores; certificates.

Business rules live in ``services.py``; here are the tables and the invariants the database keeps.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from psm_portal.codes import readable_code
from psm_portal.models import TimeStamped
from registry.models import Psm, TingkatBimtek, Wilayah


class Jenis(models.TextChoices):
    DASAR = "dasar", _("Bimtek dasar")
    LANJUTAN = "lanjutan", _("Bimtek pemantapan/lanjutan")
    SPESIALISASI = "spesialisasi", _("Bimtek spesialisasi")
    HARI_BAKTI = "hari_bakti", _("Hari Bakti Sosial PSM")
    STUDI_BANDING = "studi_banding", _("Studi banding")
    FASILITASI = "fasilitasi", _("Fasilitasi kegiatan PSM")


# Event kinds that are a training level (and write a PsmBimtek record when passed).
LEVEL_OF = {
    Jenis.DASAR: TingkatBimtek.DASAR,
    Jenis.LANJUTAN: TingkatBimtek.LANJUTAN,
    Jenis.SPESIALISASI: TingkatBimtek.SPESIALISASI,
}
# Tiered training: the level that must be passed first.
PREREQUISITE = {Jenis.LANJUTAN: TingkatBimtek.DASAR, Jenis.SPESIALISASI: TingkatBimtek.LANJUTAN}
# The basic level's default curriculum (seed documents 001-003).
MODUL_DASAR = [
    "Konsep dasar PSM (pengertian, persyaratan, tugas, fungsi)",
    "PSKS dan PPKS (Permensos 8/2012) serta alur pelayanan",
    "Kerelawanan sosial",
    "Program bantuan sosial (Sembako, PBI-JK, PKH) dan kriterianya",
    "Ikatan Pekerja Sosial Masyarakat (IPSM)",
    "Asesmen pendekatan awal dan asesmen jarak jauh",
    "Wawasan kebangsaan",
]


class Penyelenggara(models.TextChoices):
    KEMENSOS = "kemensos", _("Kementerian Sosial")
    PROVINSI = "provinsi", _("Dinas Sosial Provinsi")
    KABKOTA = "kabkota", _("Dinas Sosial Kabupaten/Kota")


class StatusEvent(models.TextChoices):
    DRAFT = "draft", _("Draf")
    BUKA = "buka", _("Pendaftaran dibuka")
    TUTUP = "tutup", _("Pendaftaran ditutup")
    SELESAI = "selesai", _("Selesai")
    BATAL = "batal", _("Dibatalkan")


class BimtekEvent(TimeStamped):
    judul = models.CharField(_("judul"), max_length=200)
    jenis = models.CharField(_("jenis"), max_length=16, choices=Jenis)
    penyelenggara = models.CharField(_("penyelenggara"), max_length=16, choices=Penyelenggara)
    wilayah = models.ForeignKey(
        Wilayah,
        verbose_name=_("wilayah penyelenggara"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Kab/kota atau provinsi yang menyelenggarakan."),
    )
    tempat = models.CharField(_("tempat"), max_length=200)
    kapasitas = models.PositiveIntegerField(_("kapasitas"), validators=[MinValueValidator(1)])
    pendaftaran_mulai = models.DateField(_("pendaftaran dibuka"))
    pendaftaran_selesai = models.DateField(_("pendaftaran ditutup"))
    tanggal_mulai = models.DateField(_("tanggal mulai"))
    tanggal_selesai = models.DateField(_("tanggal selesai"))
    status = models.CharField(
        _("status"), max_length=8, choices=StatusEvent, default=StatusEvent.DRAFT
    )
    min_kehadiran_persen = models.PositiveSmallIntegerField(
        _("kehadiran minimal (%)"), default=80, validators=[MaxValueValidator(100)]
    )
    nilai_lulus = models.PositiveSmallIntegerField(
        _("nilai post-test minimal"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Kosongkan bila kelulusan hanya dari kehadiran."),
    )
    keterangan = models.TextField(_("keterangan"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("kegiatan Bimtek")
        verbose_name_plural = _("kegiatan Bimtek")
        constraints = [
            models.CheckConstraint(
                condition=Q(tanggal_selesai__gte=F("tanggal_mulai")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(pendaftaran_selesai__gte=F("pendaftaran_mulai")),
                name="event_registration_window_ordered",
            ),
            models.CheckConstraint(condition=Q(kapasitas__gte=1), name="event_capacity_positive"),
            models.CheckConstraint(
                condition=Q(min_kehadiran_persen__lte=100), name="event_attendance_percent"
            ),
            models.CheckConstraint(
                condition=Q(nilai_lulus__isnull=True) | Q(nilai_lulus__lte=100),
                name="event_pass_mark_range",
            ),
        ]
        indexes = [models.Index(fields=["wilayah", "tanggal_mulai"])]

    def __str__(self):
        return self.judul

    @property
    def tingkat(self):
        return LEVEL_OF.get(self.jenis)


def _checkin_token() -> str:
    return secrets.token_urlsafe(16)


class HariEvent(TimeStamped):
    """One day of an event, with its sessions and the code for QR self check-in."""

    event = models.ForeignKey(BimtekEvent, on_delete=models.CASCADE, related_name="hari_set")
    tanggal = models.DateField(_("tanggal"))
    sesi = models.TextField(
        _("sesi"), max_length=2000, blank=True, help_text=_("Mis. 08.00-10.00 Konsep dasar PSM")
    )
    token_checkin = models.CharField(
        max_length=32, unique=True, editable=False, default=_checkin_token
    )

    class Meta:
        verbose_name = _("hari kegiatan")
        verbose_name_plural = _("hari kegiatan")
        constraints = [models.UniqueConstraint(fields=["event", "tanggal"], name="event_day_once")]

    def __str__(self):
        return f"{self.event_id}: {self.tanggal}"


class Modul(TimeStamped):
    event = models.ForeignKey(BimtekEvent, on_delete=models.CASCADE, related_name="modul_set")
    urutan = models.PositiveSmallIntegerField(_("urutan"))
    judul = models.CharField(_("judul modul"), max_length=200)

    class Meta:
        verbose_name = _("modul")
        verbose_name_plural = _("modul")

    def __str__(self):
        return self.judul


class Narasumber(TimeStamped):
    event = models.ForeignKey(BimtekEvent, on_delete=models.CASCADE, related_name="narasumber_set")
    nama = models.CharField(_("nama"), max_length=150)
    gelar = models.CharField(_("gelar"), max_length=100, blank=True)
    jabatan = models.CharField(_("jabatan"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("narasumber")
        verbose_name_plural = _("narasumber")

    def __str__(self):
        return self.nama


class KuotaKecamatan(TimeStamped):
    event = models.ForeignKey(BimtekEvent, on_delete=models.CASCADE, related_name="kuota_set")
    kecamatan = models.ForeignKey(Wilayah, on_delete=models.PROTECT, related_name="+")
    kuota = models.PositiveIntegerField(_("kuota"))

    class Meta:
        verbose_name = _("kuota kecamatan")
        verbose_name_plural = _("kuota kecamatan")
        constraints = [
            models.UniqueConstraint(fields=["event", "kecamatan"], name="quota_once_per_kecamatan")
        ]

    def __str__(self):
        return f"{self.kecamatan_id}: {self.kuota}"


class StatusPeserta(models.TextChoices):
    TERDAFTAR = "terdaftar", _("Terdaftar")
    MENUNGGU = "menunggu", _("Daftar tunggu")
    BATAL = "batal", _("Batal")
    LULUS = "lulus", _("Lulus")
    TIDAK_LULUS = "tidak_lulus", _("Tidak lulus")


def _certificate_code() -> str:
    return readable_code()  # printed under the QR code and typed back by hand


class Peserta(TimeStamped):
    """One person's enrolment in one event (a waiting-list place is an enrolment too)."""

    event = models.ForeignKey(BimtekEvent, on_delete=models.CASCADE, related_name="peserta_set")
    psm = models.ForeignKey(Psm, on_delete=models.PROTECT, related_name="bimtek_peserta_set")
    status = models.CharField(_("status"), max_length=12, choices=StatusPeserta)
    antrean = models.PositiveIntegerField(_("nomor antrean"), null=True, blank=True)
    nilai_pre = models.PositiveSmallIntegerField(
        _("nilai pre-test"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    nilai_post = models.PositiveSmallIntegerField(
        _("nilai post-test"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    nomor_sertifikat = models.CharField(
        _("nomor sertifikat"), max_length=40, null=True, blank=True, unique=True
    )
    kode_sertifikat = models.CharField(
        max_length=24, unique=True, default=_certificate_code, editable=False
    )
    sertifikat_dicabut = models.BooleanField(_("sertifikat dicabut"), default=False)
    didaftarkan_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("peserta")
        verbose_name_plural = _("peserta")
        constraints = [
            models.UniqueConstraint(fields=["event", "psm"], name="one_enrolment_per_event"),
            models.UniqueConstraint(
                fields=["event", "antrean"],
                name="waitlist_place_once",
                condition=Q(antrean__isnull=False),
            ),
            models.CheckConstraint(
                condition=Q(nilai_pre__isnull=True) | Q(nilai_pre__lte=100), name="pre_test_range"
            ),
            models.CheckConstraint(
                condition=Q(nilai_post__isnull=True) | Q(nilai_post__lte=100),
                name="post_test_range",
            ),
            models.CheckConstraint(
                condition=Q(status="menunggu", antrean__isnull=False)
                | (~Q(status="menunggu") & Q(antrean__isnull=True)),
                name="waitlist_has_a_place",
            ),
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self):
        return f"{self.psm} @ {self.event}"


class StatusHadir(models.TextChoices):
    HADIR = "hadir", _("Hadir")
    TERLAMBAT = "terlambat", _("Terlambat")
    IZIN = "izin", _("Izin")
    ABSEN = "absen", _("Tidak hadir")


class Kehadiran(TimeStamped):
    peserta = models.ForeignKey(Peserta, on_delete=models.CASCADE, related_name="kehadiran_set")
    hari = models.ForeignKey(HariEvent, on_delete=models.CASCADE, related_name="kehadiran_set")
    status = models.CharField(_("kehadiran"), max_length=10, choices=StatusHadir)
    dicatat_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("kehadiran")
        verbose_name_plural = _("kehadiran")
        constraints = [
            models.UniqueConstraint(fields=["peserta", "hari"], name="attendance_once_per_day")
        ]

    def __str__(self):
        return f"{self.peserta_id} {self.hari_id}: {self.status}"


class Pemberitahuan(TimeStamped):
    """A message for a PSM, e.g. that they moved up from the waiting list."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="pemberitahuan_set")
    pesan = models.CharField(_("pesan"), max_length=500)
    dibaca = models.BooleanField(_("sudah dibaca"), default=False)

    class Meta:
        verbose_name = _("pemberitahuan")
        verbose_name_plural = _("pemberitahuan")

    def __str__(self):
        return self.pesan
