"""PPKS case work: reference data (categories, disability types, aid programmes), the subjects PSM
find in their desa, their assessments with the review chain, and referrals to aid programmes.

Reference data is data (seeded by migration 0002, editable in the admin), keyed on stable codes.
"""

import uuid

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from psm_portal.models import ChoiceLabels, TimeStamped
from registry.models import JenisKelamin, Psm, Wilayah
from registry.text import normalise_for_search


class Sensitivitas(models.TextChoices):
    """Specific personal data classes of UU 27/2022 Pasal 4 that a category reveals."""

    UMUM = "", _("Data umum")
    KESEHATAN = "kesehatan", _("Data kesehatan")
    ANAK = "anak", _("Data anak")
    PIDANA = "pidana", _("Catatan kejahatan")
    KEUANGAN = "keuangan", _("Data keuangan")
    LAINNYA = "lainnya", _("Data spesifik lainnya")


class KategoriPpks(TimeStamped):
    kode = models.CharField(_("kode"), max_length=10, primary_key=True)
    urutan = models.PositiveSmallIntegerField(_("urutan"))
    nama = models.CharField(_("nama"), max_length=200)
    singkatan = models.CharField(_("singkatan"), max_length=12)
    untuk_orang = models.BooleanField(_("subjek orang"), default=True)
    untuk_keluarga = models.BooleanField(_("subjek keluarga"), default=False)
    untuk_komunitas = models.BooleanField(_("subjek komunitas"), default=False)
    umur_min = models.PositiveSmallIntegerField(_("umur minimal"), null=True, blank=True)
    umur_maks = models.PositiveSmallIntegerField(_("umur maksimal"), null=True, blank=True)
    jenis_kelamin = models.CharField(
        _("jenis kelamin"), max_length=1, choices=JenisKelamin, blank=True
    )
    perlu_disabilitas = models.BooleanField(_("wajib jenis disabilitas"), default=False)
    sensitivitas = models.CharField(
        _("data pribadi spesifik"), max_length=10, choices=Sensitivitas, blank=True
    )
    kriteria = models.TextField(_("kriteria ringkas"), blank=True)
    aktif = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("kategori PPKS")
        verbose_name_plural = _("kategori PPKS")

    def __str__(self):
        return f"{self.nama} ({self.singkatan})"


class JenisDisabilitas(TimeStamped):
    """UU 8/2016: fisik, intelektual, mental, sensorik (netra, rungu, wicara)."""

    kode = models.CharField(_("kode"), max_length=20, primary_key=True)
    urutan = models.PositiveSmallIntegerField(_("urutan"))
    nama = models.CharField(_("nama"), max_length=100)
    kelompok = models.CharField(_("ragam"), max_length=20)
    aktif = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("jenis disabilitas")
        verbose_name_plural = _("jenis disabilitas")

    def __str__(self):
        return self.nama


class Program(TimeStamped):
    """An aid programme a case can be referred to. Amounts change yearly: not stored as rules."""

    kode = models.CharField(_("kode"), max_length=20, primary_key=True)
    urutan = models.PositiveSmallIntegerField(_("urutan"))
    nama = models.CharField(_("nama"), max_length=200)
    kriteria_ringkas = models.TextField(_("kriteria ringkas"), blank=True)
    penanggung_jawab = models.CharField(_("penanggung jawab"), max_length=200, blank=True)
    dasar_hukum = models.CharField(_("dasar hukum"), max_length=200, blank=True)
    aktif = models.BooleanField(_("aktif"), default=True)
    # A programme paid to a person registered at Dukcapil (PBI-JK: "NIK valid di Dukcapil";
    # Program Sembako: "NIK dan KK yang valid"; domain.md 4.3): a referral of someone without a
    # NIK would only come back refused, weeks later.
    wajib_nik = models.BooleanField(
        _("mensyaratkan NIK"),
        default=False,
        help_text=_(
            "Centang bila program hanya menerima orang yang NIK-nya tercatat di Dukcapil: "
            "subjek tanpa NIK tidak dapat dirujuk ke program ini."
        ),
    )

    class Meta:
        verbose_name = _("program bantuan")
        verbose_name_plural = _("program bantuan")

    def __str__(self):
        return self.nama


class JenisSubjek(models.TextChoices):
    ORANG = "orang", _("Perseorangan")
    KELUARGA = "keluarga", _("Keluarga")
    KOMUNITAS = "komunitas", _("Komunitas")


class AlasanTanpaNik(models.TextChoices):
    TIDAK_PUNYA = "tidak_punya", _("Tidak punya KTP/KIA")
    TIDAK_DIKETAHUI = "tidak_diketahui", _("Tidak diketahui")
    BELUM_DIREKAM = "belum_direkam", _("Belum direkam Dukcapil")
    LAINNYA = "lainnya", _("Lainnya")
    # Set only by retention (``assessments.retention``), never offered in a form.
    DIHAPUS = "dihapus", _("Dihapus setelah masa retensi")


class HubunganKeluarga(models.TextChoices):
    KEPALA = "kepala", _("Kepala keluarga")
    SUAMI_ISTRI = "suami_istri", _("Suami/istri")
    ANAK = "anak", _("Anak")
    ORANG_TUA = "orang_tua", _("Orang tua/mertua")
    CUCU = "cucu", _("Cucu")
    LAINNYA = "lainnya", _("Famili lain")


class StatusDtsen(models.TextChoices):
    TIDAK_DIKETAHUI = "", _("Belum diketahui")
    TERDAFTAR = "terdaftar", _("Terdaftar di DTSEN")
    TIDAK = "tidak", _("Tidak terdaftar")


class Subjek(TimeStamped):
    """A person, family or community in need. NIK is optional (street people often have no KTP),
    but then a reason is recorded; one NIK is one subject in the whole office."""

    jenis = models.CharField(_("jenis subjek"), max_length=10, choices=JenisSubjek)
    nama = models.CharField(_("nama"), max_length=150)
    nama_cari = models.CharField(max_length=150, editable=False, db_index=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    alasan_tanpa_nik = models.CharField(
        _("alasan tanpa NIK"), max_length=16, choices=AlasanTanpaNik, blank=True
    )
    no_kk = models.CharField(_("nomor KK"), max_length=16, blank=True)
    jenis_kelamin = models.CharField(
        _("jenis kelamin"), max_length=1, choices=JenisKelamin, blank=True
    )
    tempat_lahir = models.CharField(_("tempat lahir"), max_length=100, blank=True)
    tanggal_lahir = models.DateField(_("tanggal lahir"), null=True, blank=True)
    umur_perkiraan = models.BooleanField(
        _("tanggal lahir perkiraan"),
        default=False,
        help_text=_("Centang bila tanggal lahir hanya perkiraan umur."),
    )
    hubungan_kk = models.CharField(
        _("hubungan dengan kepala keluarga"),
        max_length=12,
        choices=HubunganKeluarga,
        blank=True,
    )
    telepon = models.CharField(_("telepon"), max_length=20, blank=True)
    alamat_ktp = models.CharField(_("alamat KTP"), max_length=300, blank=True)
    desa_ktp = models.ForeignKey(
        Wilayah,
        verbose_name=_("desa/kelurahan KTP"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"tingkat": 4},
    )
    alamat = models.CharField(_("alamat domisili"), max_length=300)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    desa = models.ForeignKey(
        Wilayah,
        verbose_name=_("desa/kelurahan domisili"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"tingkat": 4},
    )
    status_dtsen = models.CharField(
        _("status DTSEN"), max_length=10, choices=StatusDtsen, blank=True
    )
    desil = models.PositiveSmallIntegerField(_("desil DTSEN"), null=True, blank=True)
    digabung_ke = models.ForeignKey(
        "self",
        verbose_name=_("digabung ke"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dibuat_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # When retention erased this person's identity (``assessments.retention``).
    dianonimkan_pada = models.DateTimeField(
        _("data pribadi dihapus pada"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("subjek PPKS")
        verbose_name_plural = _("subjek PPKS")
        constraints = [
            models.UniqueConstraint(
                fields=["nik"],
                condition=~Q(nik="") & Q(digabung_ke__isnull=True),
                name="subjek_nik_unique",
                violation_error_message=_("NIK ini sudah terdaftar sebagai subjek PPKS."),
            ),
            models.CheckConstraint(
                condition=~Q(nik="") | ~Q(alasan_tanpa_nik="") | ~Q(jenis="orang"),
                name="subjek_nik_or_reason",
                violation_error_message=_("Isi NIK, atau pilih alasan bila tidak ada NIK."),
            ),
            models.CheckConstraint(
                condition=Q(desil__isnull=True) | Q(desil__gte=1, desil__lte=10),
                name="subjek_desil_range",
            ),
        ]
        indexes = [models.Index(fields=["desa", "tanggal_lahir"])]

    def __str__(self):
        return self.nama

    def save(self, *args, **kwargs):
        self.nama_cari = normalise_for_search(self.nama)
        if kwargs.get("update_fields") is not None and "nama" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "nama_cari"}
        super().save(*args, **kwargs)

    def umur(self, on) -> int | None:
        if not self.tanggal_lahir:
            return None
        born = self.tanggal_lahir
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class PeriodePenghasilan(models.TextChoices):
    BULAN = "bulan", _("per bulan")
    MINGGU = "minggu", _("per minggu")
    HARI = "hari", _("per hari")


class AnggotaKeluarga(TimeStamped):
    """One member of a subject's family (domain.md section 3.3 D). Income is personal financial
    data, specific under UU 27/2022 Pasal 4, as is everything about a child."""

    subjek = models.ForeignKey(Subjek, on_delete=models.CASCADE, related_name="anggota_set")
    nama = models.CharField(_("nama"), max_length=150)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    hubungan = models.CharField(_("hubungan"), max_length=12, choices=HubunganKeluarga)
    jenis_kelamin = models.CharField(_("jenis kelamin"), max_length=1, choices=JenisKelamin)
    tempat_lahir = models.CharField(_("tempat lahir"), max_length=100, blank=True)
    tanggal_lahir = models.DateField(_("tanggal lahir"), null=True, blank=True)
    pekerjaan = models.CharField(_("pekerjaan/sekolah"), max_length=100, blank=True)
    penghasilan = models.PositiveIntegerField(_("penghasilan (Rp)"), null=True, blank=True)
    periode_penghasilan = models.CharField(
        _("periode penghasilan"), max_length=6, choices=PeriodePenghasilan, blank=True
    )

    class Meta:
        verbose_name = _("anggota keluarga")
        verbose_name_plural = _("anggota keluarga")

    def __str__(self):
        return self.nama


class JenisAsesmen(models.TextChoices):
    PENDEKATAN_AWAL = "awal", _("Pendekatan awal (tatap muka)")
    JARAK_JAUH = "jarak_jauh", _("Jarak jauh")


class MetodeKontak(models.TextChoices):
    KUNJUNGAN = "kunjungan", _("Kunjungan rumah")
    TELEPON = "telepon", _("Telepon")
    VIDEO = "video", _("Panggilan video")
    PIHAK_KETIGA = "pihak_ketiga", _("Laporan pihak ketiga")
    CALL_171 = "171", _("Call center 171")


class PemberiPersetujuan(models.TextChoices):
    SUBJEK = "subjek", _("Subjek sendiri")
    ORANG_TUA = "orang_tua", _("Orang tua")
    WALI = "wali", _("Wali")
    PENDAMPING = "pendamping", _("Pendamping")


class Urgensi(models.TextChoices):
    DARURAT = "darurat", _("Darurat")
    SEGERA = "segera", _("Segera")
    BIASA = "biasa", _("Biasa")


def urgency_rank():
    """0 for darurat, 1 for segera, 2 for biasa: what the review queue is ordered by first (an
    emergency waits behind no one). The queue's index holds the same expression."""
    return models.Case(
        models.When(urgensi=Urgensi.DARURAT, then=models.Value(0)),
        models.When(urgensi=Urgensi.SEGERA, then=models.Value(1)),
        default=models.Value(2),
        output_field=models.SmallIntegerField(),
    )


class TingkatDisabilitas(models.TextChoices):
    RINGAN = "ringan", _("Ringan")
    SEDANG = "sedang", _("Sedang")
    BERAT = "berat", _("Berat")


class SkorKebutuhan(models.IntegerChoices):
    """Form P1's score of a physical need (domain.md section 3.3 E)."""

    SANGAT_KURANG = 1, _("1 - sangat kurang")
    KURANG = 2, _("2 - kurang")
    CUKUP = 3, _("3 - cukup")
    BAIK = 4, _("4 - baik")
    SANGAT_BAIK = 5, _("5 - sangat baik")


# The physical needs Form P1 scores, in its order.
NEEDS_SCORED = ("skor_pangan", "skor_sandang", "skor_papan")


class StatusAsesmen(models.TextChoices):
    DRAF = "draf", _("Draf")
    DIAJUKAN = "diajukan", _("Diajukan")
    DIVERIFIKASI_KECAMATAN = "verif_kec", _("Diverifikasi kecamatan")
    DIKEMBALIKAN = "dikembalikan", _("Dikembalikan untuk perbaikan")
    DIVERIFIKASI = "diverifikasi", _("Diverifikasi dinas")
    DIRUJUK = "dirujuk", _("Dirujuk")
    DITUTUP = "ditutup", _("Ditutup")


class AlasanTutup(models.TextChoices):
    DITANGANI = "ditangani", _("Sudah ditangani")
    TIDAK_LAYAK = "tidak_layak", _("Tidak memenuhi syarat")
    PINDAH = "pindah", _("Pindah")
    MENINGGAL = "meninggal", _("Meninggal dunia")
    DUPLIKAT = "duplikat", _("Duplikat")


# The cases counted as submitted in figures and recaps: not a draft, and not one closed as a
# duplicate (its person is counted on the case it repeats; counted twice before).
SUBMITTED = ~Q(status=StatusAsesmen.DRAF) & ~Q(
    status=StatusAsesmen.DITUTUP, alasan_tutup=AlasanTutup.DUPLIKAT
)


# Documents a household may hold (Form P1 / DTKS indicators), and the aid it may already receive.
DOKUMEN = [
    ("ktp", _("KTP")),
    ("kk", _("Kartu Keluarga")),
    ("akta", _("Akta kelahiran")),
    ("bpjs", _("BPJS/KIS")),
    ("kks", _("KKS")),
]


class Asesmen(TimeStamped):
    """One assessment of a subject by a PSM (or staff), through the review chain."""

    client_uuid = models.UUIDField(
        _("ID pengiriman"),
        default=uuid.uuid4,
        unique=True,
        help_text=_("Dipilih oleh formulir; kiriman ulang dengan ID yang sama tidak menggandakan."),
    )
    subjek = models.ForeignKey(
        Subjek, verbose_name=_("subjek"), on_delete=models.PROTECT, related_name="asesmen_set"
    )
    psm = models.ForeignKey(
        Psm,
        verbose_name=_("PSM"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="asesmen_set",
    )
    dibuat_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the subject's domicile when submitted: the region every scope filter uses.
    desa = models.ForeignKey(Wilayah, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=StatusAsesmen, default=StatusAsesmen.DRAF
    )
    status_sejak = models.DateTimeField(_("status sejak"), null=True, blank=True)
    # When this version was sent for review: the wait the queue orders by and shows. It stays
    # through the kecamatan's verification (status_sejak starts again there, and a case that
    # had waited ten days at the kecamatan came to the office as the newest); a resubmission
    # after a return sets it again, since the wait before was the PSM's.
    diajukan_pada = models.DateTimeField(_("diajukan pada"), null=True, blank=True, editable=False)
    versi = models.PositiveIntegerField(_("versi"), default=0)

    jenis = models.CharField(_("jenis asesmen"), max_length=10, choices=JenisAsesmen)
    metode_kontak = models.CharField(_("cara kontak"), max_length=12, choices=MetodeKontak)
    tanggal = models.DateField(_("tanggal asesmen"))
    informan_nama = models.CharField(_("nama informan"), max_length=150, blank=True)
    informan_hubungan = models.CharField(_("hubungan informan"), max_length=100, blank=True)
    informan_telepon = models.CharField(_("telepon informan"), max_length=20, blank=True)
    persetujuan_oleh = models.CharField(
        _("persetujuan diberikan oleh"), max_length=10, choices=PemberiPersetujuan
    )
    persetujuan_nama = models.CharField(_("nama pemberi persetujuan"), max_length=150)
    persetujuan_pada = models.DateField(_("tanggal persetujuan"))
    persetujuan_versi = models.CharField(_("versi teks persetujuan"), max_length=20)

    kategori = models.ManyToManyField(
        KategoriPpks, verbose_name=_("kategori PPKS"), related_name="+"
    )
    kategori_utama = models.ForeignKey(
        KategoriPpks,
        verbose_name=_("kategori utama"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    disabilitas = models.ManyToManyField(
        JenisDisabilitas, verbose_name=_("jenis disabilitas"), blank=True, related_name="+"
    )
    tingkat_disabilitas = models.CharField(
        _("tingkat disabilitas"), max_length=6, choices=TingkatDisabilitas, blank=True
    )
    kondisi_fisik = models.TextField(_("kondisi fisik dan kesehatan"), blank=True)
    kondisi_sosial = models.TextField(_("kondisi sosial"), blank=True)
    kondisi_ekonomi = models.TextField(_("kondisi ekonomi"), blank=True)
    kondisi_rumah = models.TextField(_("kondisi tempat tinggal"), blank=True)
    skor_pangan = models.PositiveSmallIntegerField(
        _("kecukupan pangan"), choices=SkorKebutuhan, null=True, blank=True
    )
    skor_sandang = models.PositiveSmallIntegerField(
        _("kecukupan sandang"), choices=SkorKebutuhan, null=True, blank=True
    )
    skor_papan = models.PositiveSmallIntegerField(
        _("kelayakan tempat tinggal"), choices=SkorKebutuhan, null=True, blank=True
    )
    dokumen = models.JSONField(_("dokumen yang dimiliki"), default=list, blank=True)
    bantuan = models.ManyToManyField(
        Program, verbose_name=_("bantuan yang sedang diterima"), blank=True, related_name="+"
    )
    masalah = models.TextField(_("masalah utama"))
    kebutuhan = models.TextField(_("kebutuhan"))
    urgensi = models.CharField(_("urgensi"), max_length=8, choices=Urgensi, default=Urgensi.BIASA)
    potensi = models.TextField(_("potensi dan sumber daya"), blank=True)
    rekomendasi = models.TextField(_("rekomendasi"), blank=True)
    latitude = models.DecimalField(
        _("lintang"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("bujur"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    kunjungan_lanjutan = models.DateField(
        _("tanggal kunjungan lanjutan"),
        null=True,
        blank=True,
        help_text=_("Asesmen jarak jauh harus dikunjungi sebelum ditutup."),
    )
    alasan_tutup = models.CharField(
        _("alasan penutupan"), max_length=12, choices=AlasanTutup, blank=True
    )
    # When retention erased the personal data in this case (``assessments.retention``).
    dianonimkan_pada = models.DateTimeField(
        _("data pribadi dihapus pada"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("asesmen")
        verbose_name_plural = _("asesmen")
        indexes = [
            # The review queue: the most urgent first, then the longest waiting since sent, with
            # its tiebreak, stopping after a page (``selectors.review_queue``).
            models.Index(
                "status",
                urgency_rank(),
                "diajukan_pada",
                "id",
                name="asesmen_antrean_urgensi_idx",
            ),
            # The same for one urgency (the CASE cannot tell PostgreSQL that the other urgencies'
            # entries come first), and the dashboard's ages of what waits.
            models.Index(fields=["status", "diajukan_pada", "id"], name="asesmen_menunggu_idx"),
            # Cases of one status by how long they have been in it: the case list filtered by
            # status, retention of closed cases.
            models.Index(fields=["status", "status_sejak", "id"], name="asesmen_antrean_idx"),
            # The case list, newest change first: without it a national list sorts two million
            # rows for each page (12 s, measured).
            models.Index(fields=["status_sejak", "id"], name="asesmen_status_sejak_idx"),
            models.Index(fields=["desa", "status"]),
            models.Index(fields=["psm", "status"]),
            # Year filters of the dashboard and recaps, and the first year on record.
            models.Index(fields=["tanggal"], name="asesmen_tanggal_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="asesmen_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="asesmen_longitude_range",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"asesmen_{name}_range",
                )
                for name in NEEDS_SCORED
            ),
        ]

    def __str__(self):
        return f"{self.subjek} ({self.tanggal:%d-%m-%Y})"

    @property
    def perlu_kunjungan(self) -> bool:
        return self.jenis == JenisAsesmen.JARAK_JAUH and self.kunjungan_lanjutan is None


class AsesmenFoto(TimeStamped):
    """A photo of the case. Stored outside the public media URL path: served only through an
    access-checked view (it is personal data)."""

    asesmen = models.ForeignKey(Asesmen, on_delete=models.CASCADE, related_name="foto_set")
    berkas = models.ImageField(_("foto"), upload_to="ppks/%Y/%m/")
    lebar = models.PositiveIntegerField(default=0)
    tinggi = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("foto asesmen")
        verbose_name_plural = _("foto asesmen")


class AsesmenVersi(ChoiceLabels, models.Model):
    """What the assessment said when it was submitted; the reviewer compares two of these."""

    asesmen = models.ForeignKey(Asesmen, on_delete=models.CASCADE, related_name="versi_set")
    nomor = models.PositiveIntegerField(_("versi"))
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("versi asesmen")
        verbose_name_plural = _("versi asesmen")
        constraints = [
            models.UniqueConstraint(fields=["asesmen", "nomor"], name="asesmen_versi_unique")
        ]

    def __str__(self):
        return f"{self.asesmen_id} v{self.nomor}"


class Transisi(ChoiceLabels, models.Model):
    """One step of the review chain: who moved the case from which status to which, and why."""

    asesmen = models.ForeignKey(Asesmen, on_delete=models.CASCADE, related_name="transisi_set")
    dari = models.CharField(max_length=12, choices=StatusAsesmen)
    ke = models.CharField(max_length=12, choices=StatusAsesmen)
    oleh = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    catatan = models.TextField(_("catatan"), blank=True)
    komentar = models.JSONField(
        _("komentar per isian"), default=dict, blank=True, help_text=_("{isian: komentar}")
    )
    # Verified by the office in the kecamatan verifier's stead: no verifier account covered the
    # case's desa (``services.stepping_in``). Not a note: it is said beside the step to whoever
    # reads the chain, and it outlives retention's erasure of the notes.
    langsung = models.BooleanField(
        _("diverifikasi langsung oleh Dinas"), default=False, db_default=False, editable=False
    )
    created_at = models.DateTimeField(_("waktu"), auto_now_add=True)

    class Meta:
        verbose_name = _("riwayat status asesmen")
        verbose_name_plural = _("riwayat status asesmen")

    def __str__(self):
        return f"{self.asesmen_id}: {self.dari} -> {self.ke}"

    @property
    def komentar_berlabel(self) -> list[tuple[str, str]]:
        """The per-field comments with the field's label, as the form shows it (labels looked up
        for the commented fields only: a case page shows several transitions)."""
        return [(label, text) for _name, label, text in self.komentar_per_isian]

    @property
    def komentar_per_isian(self) -> list[tuple[str, str, str]]:
        """(field name, label, comment): the edit form links each comment to its field."""
        return [(name, comment_label(name), text) for name, text in (self.komentar or {}).items()]


def comment_label(name: str) -> str:
    if name == "foto":
        return str(_("Foto"))
    try:
        field = Asesmen._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    label = getattr(field, "verbose_name", None)
    # capfirst, not capitalize: "Kategori PPKS" read "Kategori ppks"
    return capfirst(str(label)) if label is not None else name


class StatusRujukan(models.TextChoices):
    DIUSULKAN = "diusulkan", _("Diusulkan")
    DIPROSES = "diproses", _("Diproses")
    DITERIMA = "diterima", _("Diterima")
    DITOLAK = "ditolak", _("Ditolak")
    SELESAI = "selesai", _("Selesai")


# A referral in these statuses is still waiting for someone else to act.
RUJUKAN_TERBUKA = (StatusRujukan.DIUSULKAN, StatusRujukan.DIPROSES)


class Rujukan(TimeStamped):
    asesmen = models.ForeignKey(
        Asesmen, verbose_name=_("asesmen"), on_delete=models.PROTECT, related_name="rujukan_set"
    )
    program = models.ForeignKey(
        Program, verbose_name=_("program"), on_delete=models.PROTECT, related_name="+"
    )
    tujuan_instansi = models.CharField(_("instansi tujuan"), max_length=200)
    tanggal = models.DateField(_("tanggal rujukan"))
    nomor_surat = models.CharField(_("nomor surat"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=StatusRujukan, default=StatusRujukan.DIUSULKAN
    )
    status_sejak = models.DateField(_("status sejak"))
    hasil = models.TextField(_("hasil"), blank=True)
    bukti = models.FileField(_("bukti"), upload_to="rujukan/%Y/%m/", blank=True)
    dibuat_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("rujukan")
        verbose_name_plural = _("rujukan")
        indexes = [models.Index(fields=["status", "status_sejak"])]
        constraints = [
            models.UniqueConstraint(
                fields=["asesmen", "program"],
                condition=Q(status__in=["diusulkan", "diproses"]),
                name="rujukan_one_open_per_programme",
                violation_error_message=_("Kasus ini sudah dirujuk ke program tersebut."),
            )
        ]

    def __str__(self):
        return f"{self.program} ({self.get_status_display()})"


class LangkahRujukan(ChoiceLabels, models.Model):
    """One step of a referral (diusulkan, diproses, diterima...): who recorded it, since when,
    and the programme's answer that came with it, as ``Transisi`` is for the review chain. An
    answer rewritten without a new status rewrites the step that holds it; a proof replaced is
    not a step (its audit entry keeps it)."""

    rujukan = models.ForeignKey(Rujukan, on_delete=models.CASCADE, related_name="langkah_set")
    status = models.CharField(_("status"), max_length=10, choices=StatusRujukan)
    sejak = models.DateField(_("sejak"))
    # What the programme answered with this step, when it changed with it (personal data:
    # shown with the case's details only, erased by retention as the referral's own result is)
    hasil = models.TextField(_("hasil"), blank=True)
    # Empty for a step taken before steps were kept whose author the audit trail no longer
    # names (migration 0012): shown as not recorded, never guessed.
    oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("dicatat"), auto_now_add=True)

    class Meta:
        verbose_name = _("langkah rujukan")
        verbose_name_plural = _("langkah rujukan")

    def __str__(self):
        return f"{self.rujukan_id}: {self.status} ({self.sejak})"


class SinkronPerangkat(TimeStamped):
    """When a PSM's phone last reached the server, and how many offline items it still held:
    staff see who has work stuck on a device. One row per account, overwritten at each sync."""

    pengguna = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pengguna"),
        on_delete=models.CASCADE,
        related_name="sinkron_perangkat",
    )
    terakhir_sinkron = models.DateTimeField(_("terakhir sinkron"))
    menunggu = models.PositiveIntegerField(_("kiriman menunggu"), default=0)
    konflik = models.PositiveIntegerField(_("kiriman konflik"), default=0)
    perangkat = models.CharField(_("perangkat"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sinkron perangkat")
        verbose_name_plural = _("sinkron perangkat")

    def __str__(self):
        return f"{self.pengguna_id} {self.terakhir_sinkron:%Y-%m-%d %H:%M}"
