"""Places (Kemendagri regions) and people (PSM volunteers and their whole service record).

Business rules live in ``services.py``; this module holds tables, choices and the invariants the
database itself must keep.
"""

import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from psm_portal.codes import readable_code
from psm_portal.models import ChoiceLabels, TimeStamped
from registry.text import normalise_for_search

nik_format = RegexValidator(r"^\d{16}$", _("NIK harus 16 digit angka."))


class Tingkat(models.IntegerChoices):
    PROVINSI = 1, _("Provinsi")
    KABKOTA = 2, _("Kabupaten/Kota")
    KECAMATAN = 3, _("Kecamatan")
    DESA = 4, _("Desa/Kelurahan")


# Kemendagri's code per level (domain.md §6.1): a desa's last four digits start with 1
# (kelurahan), 2 (desa) or 3 (desa adat).
CODE_FORMATS = {
    1: r"[0-9]{2}",
    2: r"[0-9]{2}\.[0-9]{2}",
    3: r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}",
    4: r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[123][0-9]{3}",
}
CODE_EXAMPLES = {1: "33", 2: "33.71", 3: "33.71.01", 4: "33.71.01.1003"}


class Wilayah(ChoiceLabels, models.Model):
    """A Kemendagri region, keyed by its dotted code (``33.71.01.1003``). Codes are never deleted
    while anything refers to them: foreign keys to this table use PROTECT."""

    kode = models.CharField(_("kode"), max_length=13, primary_key=True)
    nama = models.CharField(_("nama"), max_length=100)
    tingkat = models.PositiveSmallIntegerField(_("tingkat"), choices=Tingkat)
    jenis = models.CharField(_("jenis"), max_length=20)
    induk = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="anak",
    )
    sumber = models.CharField(_("sumber"), max_length=100, default="Kepmendagri 300.2.2-2138/2025")

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tingkat__gte=1, tingkat__lte=4), name="wilayah_tingkat_valid"
            ),
        ]
        # Options of one level in name order (filters, the dashboard), provinces of a national
        # scope: without it each is a scan of the 91,000 regions (5 ms per query, measured).
        indexes = [
            models.Index(fields=["tingkat", "nama", "kode"], name="wilayah_tingkat_nama_idx")
        ]

    def __str__(self):
        return self.nama

    def clean(self):
        """Kemendagri's format for the level (domain.md §6.1) and the parent the code names: an
        administrator could add "33.71.01.5003" (no 5th kind of desa) or "33.71.00"."""
        code, errors = self.kode or "", {}
        pattern = CODE_FORMATS.get(self.tingkat)
        if pattern and not re.fullmatch(pattern, code):
            errors["kode"] = _(
                "Kode %(kode)s tidak berformat kode %(tingkat)s Kemendagri (contoh: %(contoh)s)."
            ) % {
                "kode": code,
                "tingkat": Tingkat(self.tingkat).label.lower(),
                "contoh": CODE_EXAMPLES[self.tingkat],
            }
        elif "00" in code.split(".")[1:3]:
            errors["kode"] = _("Kode kabupaten/kota atau kecamatan tidak boleh 00.")
        elif self.tingkat and self.tingkat > 1:
            parent = code.rsplit(".", 1)[0]
            if self.induk_id != parent:
                errors["induk"] = _("Induk wilayah %(kode)s adalah %(induk)s.") % {
                    "kode": code,
                    "induk": parent,
                }
        elif self.tingkat == 1 and self.induk_id:
            errors["induk"] = _("Provinsi tidak memiliki induk.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def tingkat_of(kode: str) -> int:
        """The level follows from the code's shape: 33 / 33.71 / 33.71.01 / 33.71.01.1003."""
        return kode.count(".") + 1

    @property
    def label(self) -> str:
        """The name with its kind, as on paper: "Kecamatan Magelang Selatan". A kab/kota's
        Kemendagri name already carries it ("Kota Magelang")."""
        kind = self.jenis.replace("_", " ").title()
        return self.nama if self.nama.startswith(f"{kind} ") else f"{kind} {self.nama}"


class Spesialisasi(TimeStamped):
    """A field a PSM specialises in (disability, children, elderly, disaster ...), kept as data."""

    kode = models.SlugField(_("kode"), max_length=40, unique=True)
    nama = models.CharField(_("nama"), max_length=100)

    class Meta:
        verbose_name = _("spesialisasi")
        verbose_name_plural = _("spesialisasi")

    def __str__(self):
        return self.nama


class JenisKelamin(models.TextChoices):
    L = "L", _("Laki-laki")
    P = "P", _("Perempuan")


class Kewarganegaraan(models.TextChoices):
    WNI = "WNI", _("WNI")
    WNA = "WNA", _("WNA")


class Pendidikan(models.TextChoices):
    TIDAK_SEKOLAH = "tidak_sekolah", _("Tidak/belum sekolah")
    SD = "sd", _("SD/sederajat")
    SMP = "smp", _("SMP/sederajat")
    SMA = "sma", _("SMA/SMK/sederajat")
    D3 = "d3", _("Diploma")
    S1 = "s1", _("S1/D4")
    S2 = "s2", _("S2")
    S3 = "s3", _("S3")


class StatusPsm(models.TextChoices):
    CALON = "calon", _("Calon")
    AKTIF = "aktif", _("Aktif")
    NONAKTIF = "nonaktif", _("Nonaktif")
    BERHENTI = "berhenti", _("Berhenti")


class AlasanBerhenti(models.TextChoices):
    MENINGGAL = "meninggal_dunia", _("Meninggal dunia")
    MENGUNDURKAN_DIRI = "mengundurkan_diri", _("Mengundurkan diri")
    PINDAH = "pindah_domisili", _("Pindah domisili")
    TIDAK_MEMENUHI_SYARAT = "tidak_memenuhi_syarat", _("Tidak memenuhi syarat")
    TIDAK_AKTIF = "tidak_aktif", _("Tidak aktif")
    MELANGGAR_ETIKA = "melanggar_etika", _("Melanggar etika")
    LAINNYA = "lainnya", _("Lainnya")


class TingkatBimtek(models.TextChoices):
    DASAR = "dasar", _("Bimtek dasar")
    LANJUTAN = "lanjutan", _("Pemantapan/lanjutan")
    SPESIALISASI = "spesialisasi", _("Spesialisasi")


def _new_verification_code() -> str:
    return readable_code()  # behind the card's QR code, and typed back by hand


class Psm(TimeStamped):
    """A PSM volunteer (or candidate). The NIK is a 16-character string, unique, never in a URL."""

    nik = models.CharField(
        _("NIK"),
        max_length=16,
        unique=True,
        # empty (NULL, so that it stays unique) only once retention erased it; forms require it
        null=True,
        validators=[nik_format],
        error_messages={"unique": _("NIK ini sudah terdaftar sebagai PSM.")},
    )
    nama = models.CharField(_("nama lengkap"), max_length=150)
    # Indexed with the primary key below (the list's order); partial search has a trigram index.
    nama_cari = models.CharField(max_length=150, editable=False)
    jenis_kelamin = models.CharField(_("jenis kelamin"), max_length=1, choices=JenisKelamin)
    tempat_lahir = models.CharField(_("tempat lahir"), max_length=100)
    tanggal_lahir = models.DateField(_("tanggal lahir"))
    kewarganegaraan = models.CharField(
        _("kewarganegaraan"), max_length=3, choices=Kewarganegaraan, default=Kewarganegaraan.WNI
    )
    alamat_ktp = models.CharField(_("alamat KTP"), max_length=300)
    desa_ktp = models.ForeignKey(
        Wilayah, verbose_name=_("desa/kelurahan KTP"), on_delete=models.PROTECT, related_name="+"
    )
    alamat_domisili = models.CharField(_("alamat domisili"), max_length=300, blank=True)
    desa_domisili = models.ForeignKey(
        Wilayah,
        verbose_name=_("desa/kelurahan domisili"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    desa_tugas = models.ForeignKey(
        Wilayah,
        verbose_name=_("desa/kelurahan tugas"),
        on_delete=models.PROTECT,
        related_name="psm_set",
    )
    telepon = models.CharField(_("telepon"), max_length=20, blank=True)
    email = models.EmailField(_("pos-el"), blank=True)
    pendidikan = models.CharField(
        _("pendidikan terakhir"), max_length=16, choices=Pendidikan, blank=True
    )
    pekerjaan = models.CharField(_("pekerjaan"), max_length=100, blank=True)
    tanggal_bergabung = models.DateField(_("tanggal bergabung"))
    foto = models.ImageField(_("foto"), upload_to="psm/foto/", blank=True)
    # UU 27/2022 Pasal 20(2)(a) and 22: a face photo is optional and kept on the PSM's consent,
    # recorded with the consent text's version (``registry.forms.PHOTO_CONSENT_VERSION``).
    foto_persetujuan_pada = models.DateTimeField(
        _("persetujuan foto dicatat"), null=True, blank=True, editable=False
    )
    foto_persetujuan_versi = models.CharField(
        _("versi teks persetujuan foto"), max_length=20, blank=True, editable=False
    )
    spesialisasi = models.ManyToManyField(
        Spesialisasi, verbose_name=_("spesialisasi"), blank=True, related_name="psm_set"
    )
    bisa_baca_tulis = models.BooleanField(_("dapat membaca dan menulis"), default=True)
    pernyataan_komitmen = models.BooleanField(_("surat pernyataan komitmen"), default=False)
    # Permensos 10/2019 requirement (f): the document is local practice (a letter from the lurah
    # or kepala desa, or the police), so the office records that it has seen one.
    berkelakuan_baik = models.BooleanField(
        _("surat keterangan berkelakuan baik"),
        default=False,
        help_text=_("Dari lurah/kepala desa atau kepolisian; syarat pengangkatan PSM."),
    )
    motivasi = models.TextField(_("motivasi"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=StatusPsm, default=StatusPsm.CALON, db_index=True
    )
    status_sejak = models.DateField(_("status sejak"))
    kode_verifikasi = models.CharField(
        max_length=24, unique=True, default=_new_verification_code, editable=False
    )
    # When retention erased this PSM's personal data, years after they stopped
    # (``registry.retention``); what stays is their name and service record.
    dianonimkan_pada = models.DateTimeField(
        _("data pribadi dihapus pada"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("PSM")
        verbose_name_plural = _("PSM")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(nik__isnull=False, nik__regex=r"^[0-9]{16}$")
                | models.Q(nik__isnull=True, dianonimkan_pada__isnull=False),
                name="psm_nik_16_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(jenis_kelamin__in=["L", "P"]), name="psm_jenis_kelamin_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=StatusPsm.values), name="psm_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["desa_tugas", "status"]),
            # The list's default order (name, then id): with the name alone PostgreSQL reads and
            # sorts every PSM sharing the first names of the page (308 rows for 25 at national).
            models.Index(fields=["nama_cari", "id"], name="psm_nama_cari_id_idx"),
        ]

    def __str__(self):
        return self.nama

    def save(self, *args, **kwargs):
        # Derived column for case- and accent-insensitive search on any database.
        self.nama_cari = normalise_for_search(self.nama)
        if kwargs.get("update_fields") is not None and "nama" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "nama_cari"}
        super().save(*args, **kwargs)


class PsmStatusChange(ChoiceLabels, models.Model):
    """One step of a PSM's lifecycle: from, to, effective date, reason and who did it."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="riwayat_status")
    dari = models.CharField(_("dari"), max_length=10, choices=StatusPsm, blank=True)
    ke = models.CharField(_("menjadi"), max_length=10, choices=StatusPsm)
    tanggal_efektif = models.DateField(_("tanggal efektif"))
    alasan = models.CharField(_("alasan"), max_length=32, choices=AlasanBerhenti, blank=True)
    catatan = models.TextField(_("catatan"), max_length=2000, blank=True)
    referensi = models.CharField(_("nomor SK/surat"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("riwayat status")
        verbose_name_plural = _("riwayat status")

    def __str__(self):
        return f"{self.psm_id}: {self.dari or '-'} -> {self.ke} ({self.tanggal_efektif})"


class PenerbitSk(models.TextChoices):
    DESA = "desa", _("Desa/Kelurahan")
    DINAS = "dinas", _("Dinas Sosial")
    KEPALA_DAERAH = "kepala_daerah", _("Bupati/Wali Kota")


def sk_path(instance, filename) -> str:
    """SK documents are stored under a generated .pdf name, never the uploader's (a file named
    sk.html must not be served as a page if the media folder is ever published)."""
    return f"psm/sk/{uuid.uuid4().hex}.pdf"


class PsmAppointment(TimeStamped):
    """An appointment decree (SK) for a PSM."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="sk_set")
    nomor_sk = models.CharField(_("nomor SK"), max_length=100)
    tanggal_sk = models.DateField(_("tanggal SK"))
    penerbit_level = models.CharField(_("penerbit"), max_length=16, choices=PenerbitSk)
    penerbit_nama = models.CharField(_("nama penerbit"), max_length=200)
    berlaku_mulai = models.DateField(_("berlaku mulai"))
    berlaku_sampai = models.DateField(_("berlaku sampai"), null=True, blank=True)
    dokumen = models.FileField(_("dokumen SK (PDF)"), upload_to=sk_path, blank=True)

    class Meta:
        verbose_name = _("SK pengangkatan")
        verbose_name_plural = _("SK pengangkatan")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(berlaku_sampai__isnull=True)
                | models.Q(berlaku_sampai__gte=models.F("berlaku_mulai")),
                name="sk_period_ordered",
                violation_error_message=_(
                    "Tanggal berlaku sampai tidak boleh sebelum tanggal berlaku mulai."
                ),
            ),
        ]


class PsmBimtek(TimeStamped):
    """A completed Bimtek, recorded from its certificate until the training app writes it."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="bimtek_set")
    tingkat = models.CharField(_("tingkat"), max_length=16, choices=TingkatBimtek)
    nomor_sertifikat = models.CharField(_("nomor sertifikat"), max_length=100)
    penyelenggara = models.CharField(_("penyelenggara"), max_length=200)
    tanggal = models.DateField(_("tanggal lulus"))

    class Meta:
        verbose_name = _("riwayat Bimtek")
        verbose_name_plural = _("riwayat Bimtek")
        constraints = [
            models.UniqueConstraint(
                fields=["psm", "tingkat", "nomor_sertifikat"], name="bimtek_record_unique"
            ),
        ]

    def __str__(self):
        return f"{self.get_tingkat_display()} · {self.nomor_sertifikat} · {self.penyelenggara}"


class TingkatIpsm(models.TextChoices):
    DESA = "desa", _("Desa/Kelurahan")
    KECAMATAN = "kecamatan", _("Kecamatan")
    KABKOTA = "kabkota", _("Kabupaten/Kota")
    PROVINSI = "provinsi", _("Provinsi")
    NASIONAL = "nasional", _("Nasional")


class JabatanIpsm(models.TextChoices):
    KETUA = "ketua", _("Ketua")
    WAKIL = "wakil_ketua", _("Wakil ketua")
    SEKRETARIS = "sekretaris", _("Sekretaris")
    BENDAHARA = "bendahara", _("Bendahara")
    ANGGOTA = "anggota", _("Anggota")


# A year on the service record (IPSM periods, awards): 0 or 32767 is a typing slip.
year_validators = [
    MinValueValidator(1945, _("Tahun paling awal 1945.")),
    MaxValueValidator(2100, _("Tahun paling akhir 2100.")),
]


class IpsmMembership(TimeStamped):
    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="ipsm_set")
    tingkat = models.CharField(_("tingkat kepengurusan"), max_length=16, choices=TingkatIpsm)
    jabatan = models.CharField(_("jabatan"), max_length=16, choices=JabatanIpsm)
    periode_mulai = models.PositiveSmallIntegerField(
        _("periode mulai (tahun)"), validators=year_validators
    )
    periode_selesai = models.PositiveSmallIntegerField(
        _("periode selesai (tahun)"), null=True, blank=True, validators=year_validators
    )

    class Meta:
        verbose_name = _("keanggotaan IPSM")
        verbose_name_plural = _("keanggotaan IPSM")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(periode_selesai__isnull=True)
                | models.Q(periode_selesai__gte=models.F("periode_mulai")),
                name="ipsm_period_ordered",
                violation_error_message=_("Periode selesai tidak boleh sebelum periode mulai."),
            ),
        ]


class BantuanPeralatan(TimeStamped):
    """Work equipment given to a PSM (motorbike, phone, vest, bag ...)."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="bantuan_set")
    jenis = models.CharField(_("jenis bantuan"), max_length=150)
    tanggal = models.DateField(_("tanggal diterima"))
    sumber = models.CharField(_("sumber"), max_length=150)
    keterangan = models.CharField(_("keterangan"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("bantuan peralatan")
        verbose_name_plural = _("bantuan peralatan")


class TingkatPenghargaan(models.TextChoices):
    KABKOTA = "kabkota", _("Kabupaten/Kota")
    PROVINSI = "provinsi", _("Provinsi")
    NASIONAL = "nasional", _("Nasional")


class Penghargaan(TimeStamped):
    """An award, typically PSM berprestasi at kab/kota, provincial or national level."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="penghargaan_set")
    nama = models.CharField(_("nama penghargaan"), max_length=200, default="PSM Berprestasi")
    tingkat = models.CharField(_("tingkat"), max_length=16, choices=TingkatPenghargaan)
    tahun = models.PositiveSmallIntegerField(_("tahun"), validators=year_validators)
    keterangan = models.CharField(_("keterangan"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("penghargaan")
        verbose_name_plural = _("penghargaan")


class StatusImpor(models.TextChoices):
    PRATINJAU = "pratinjau", _("Pratinjau")
    SELESAI = "selesai", _("Sudah disimpan")
    BATAL = "batal", _("Dibatalkan")


class ImportBatch(TimeStamped):
    """One uploaded roster between its preview and its commit. The parsed rows (with their
    errors, warnings and matched region codes) are kept here, never the file itself."""

    dibuat_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    nama_berkas = models.CharField(_("nama berkas"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=StatusImpor, default=StatusImpor.PRATINJAU
    )
    baris = models.JSONField(_("baris"), default=list)
    jumlah_baris = models.PositiveIntegerField(_("jumlah baris"), default=0)
    jumlah_valid = models.PositiveIntegerField(_("baris valid"), default=0)
    hasil = models.JSONField(_("hasil"), default=dict, blank=True)

    class Meta:
        verbose_name = _("impor daftar PSM")
        verbose_name_plural = _("impor daftar PSM")

    def __str__(self):
        return f"{self.nama_berkas} ({self.get_status_display()})"


class JenisKegiatan(models.TextChoices):
    """What a PSM does in the field (the seed documents' list of PSM roles)."""

    SOSIALISASI = "sosialisasi", _("Sosialisasi program")
    KAMPANYE = "kampanye", _("Kampanye sosial")
    BIMBINGAN = "bimbingan", _("Bimbingan sosial")
    KUNJUNGAN = "kunjungan", _("Kunjungan rumah")
    PENDAMPINGAN = "pendampingan", _("Pendampingan program bantuan")
    BENCANA = "bencana", _("Tanggap bencana")
    RAPAT_IPSM = "rapat_ipsm", _("Pertemuan IPSM")
    FORUM_WARGA = "forum_warga", _("Forum warga peduli sosial")
    LAINNYA = "lainnya", _("Lainnya")


class StatusKegiatan(models.TextChoices):
    DICATAT = "dicatat", _("Dicatat")
    DIVERIFIKASI = "diverifikasi", _("Diverifikasi")
    DITOLAK = "ditolak", _("Ditolak")


class Kegiatan(TimeStamped):
    """One activity a PSM records (the PSM's administrator function: recording and reporting).
    ``client_uuid`` is chosen by the form (or the phone, offline) so a resend makes no second
    row. Verified activities feed the performance indicators."""

    psm = models.ForeignKey(Psm, on_delete=models.CASCADE, related_name="kegiatan_set")
    client_uuid = models.UUIDField(unique=True, editable=False)
    jenis = models.CharField(_("jenis kegiatan"), max_length=16, choices=JenisKegiatan)
    tanggal = models.DateField(_("tanggal"), db_index=True)
    durasi_jam = models.DecimalField(
        _("lama (jam)"), max_digits=4, decimal_places=1, help_text=_("Misalnya 1,5 untuk 90 menit.")
    )
    tempat = models.CharField(_("tempat"), max_length=200)
    desa = models.ForeignKey(
        Wilayah,
        verbose_name=_("desa/kelurahan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    uraian = models.TextField(_("uraian kegiatan"), max_length=3000)
    jumlah_penerima = models.PositiveIntegerField(_("jumlah warga yang dibantu/hadir"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=StatusKegiatan, default=StatusKegiatan.DICATAT
    )
    diverifikasi_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("diverifikasi oleh"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    diverifikasi_pada = models.DateTimeField(_("diverifikasi pada"), null=True, blank=True)
    catatan_verifikasi = models.CharField(_("catatan verifikasi"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("kegiatan PSM")
        verbose_name_plural = _("kegiatan PSM")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(durasi_jam__gt=0, durasi_jam__lte=24),
                name="kegiatan_durasi_0_24_jam",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=StatusKegiatan.values), name="kegiatan_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["psm", "tanggal"])]

    def __str__(self):
        return f"{self.get_jenis_display()} {self.tanggal}"


class KegiatanFoto(TimeStamped):
    kegiatan = models.ForeignKey(Kegiatan, on_delete=models.CASCADE, related_name="foto_set")
    berkas = models.ImageField(_("foto"), upload_to="kegiatan/%Y/%m/")
    lebar = models.PositiveIntegerField(default=0)
    tinggi = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("foto kegiatan")
        verbose_name_plural = _("foto kegiatan")
