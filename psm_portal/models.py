"""What every app shares: the user and their role and scope, audit events, the office's settings."""

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# A civil servant's NIP (domain.md §5.3): 18 digits, printed with spaces by office.format_nip.
nip_format = RegexValidator(
    r"^[0-9]{18}$", _("NIP harus 18 digit angka, tanpa spasi (contoh: 196804111993032009).")
)


class ChoiceLabels:
    """``get_FOO_display()`` from a label dict built once per field. Django's builds a new dict of
    every label on each call, hashing each lazy translation (a gettext call each): 700 gettext
    calls on a 50-row review queue, 14% of its rendering (measured). Labels stay lazy, so each
    call still answers in the active language."""

    def _get_FIELD_display(self, field):
        labels = field.__dict__.get("_labels_by_value")
        if labels is None:
            labels = field._labels_by_value = dict(field.flatchoices)
        value = getattr(self, field.attname)
        try:
            label = labels.get(value, value)
        except TypeError:  # an unhashable value (a list in a JSON field): Django's way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)


class TimeStamped(ChoiceLabels, models.Model):
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    STAF = "staf", _("Staf dinas")
    SUPERVISOR = "supervisor", _("Supervisor")
    VERIFIKATOR = "verifikator", _("Verifikator kecamatan")
    PSM = "psm", _("PSM")


class User(AbstractUser):
    """A portal account. Its scope is one or more region nodes; a PSM account is tied to one PSM."""

    role = models.CharField(_("peran"), max_length=16, choices=Role, default=Role.STAF)
    scope = models.ManyToManyField(
        "registry.Wilayah",
        verbose_name=_("wilayah kerja"),
        blank=True,
        related_name="+",
        help_text=_("Provinsi, kab/kota atau kecamatan yang boleh dilihat akun ini."),
    )
    psm = models.OneToOneField(
        "registry.Psm",
        verbose_name=_("data PSM"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    jabatan = models.CharField(_("jabatan"), max_length=200, blank=True)
    nip = models.CharField(_("NIP"), max_length=18, blank=True, validators=[nip_format])
    updated_at = models.DateTimeField(_("diubah"), auto_now=True)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="psm") | models.Q(psm__isnull=False),
                name="user_psm_role_has_psm",
                violation_error_message=_("Akun PSM harus terhubung ke satu data PSM."),
            ),
        ]

    @cached_property
    def scope_codes(self) -> tuple[str, ...]:
        """Kemendagri code prefixes this account may see (one query, cached per request)."""
        if not self.is_authenticated:
            return ()
        return tuple(sorted(self.scope.values_list("kode", flat=True)))


class AuditEvent(models.Model):
    """Append-only record of every write and every sensitive read. No foreign keys on purpose:
    nothing here blocks deleting what it mentions, and nothing deleted erases its trail. The only
    changes ever made to a row are retention's (``assessments.retention``,
    ``registry.retention``): it empties ``before``, ``after`` and ``reason`` of an erased case's
    or PSM's entries, and names an erased PSM account by its new login name; who did what and
    when stays."""

    created_at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(_("ID pelaku"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("pelaku"), max_length=200)
    # The role the actor had when they acted (an account's role changes; the trail a person is
    # given says by which role their data was processed). Empty before it was kept, and for the
    # system.
    actor_role = models.CharField(_("peran pelaku"), max_length=16, choices=Role, blank=True)
    action = models.CharField(_("tindakan"), max_length=64, db_index=True)
    target_type = models.CharField(_("jenis objek"), max_length=64)
    target_id = models.CharField(_("ID objek"), max_length=64, blank=True)
    target_label = models.CharField(_("objek"), max_length=300, blank=True)
    before = models.JSONField(_("sebelum"), null=True, blank=True)
    after = models.JSONField(_("sesudah"), null=True, blank=True)
    reason = models.TextField(_("alasan"), blank=True)

    class Meta:
        verbose_name = _("jejak audit")
        verbose_name_plural = _("jejak audit")
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]

    def __str__(self):
        # the office's time, as the admin's list writes it (it read UTC: 16.25 beside 23.25 WIB)
        when = (
            f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M %Z} " if self.created_at else ""
        )
        return f"{when}{self.actor_label} {self.action} {self.target_label}"


class Kantor(TimeStamped):
    """The office this deployment serves: its region, its letterhead and who signs. One row."""

    wilayah = models.ForeignKey(
        "registry.Wilayah",
        verbose_name=_("wilayah layanan"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    pemerintah = models.CharField(
        _("pemerintah daerah"), max_length=200, help_text=_("Mis. PEMERINTAH KOTA MAGELANG")
    )
    nama = models.CharField(_("nama dinas"), max_length=200, default="DINAS SOSIAL")
    alamat = models.CharField(_("alamat"), max_length=300, blank=True)
    telepon = models.CharField(_("telepon"), max_length=60, blank=True)
    email = models.EmailField(_("pos-el"), blank=True)
    laman = models.CharField(_("laman"), max_length=200, blank=True)
    kode_pos = models.CharField(_("kode pos"), max_length=5, blank=True)
    kota_surat = models.CharField(
        _("tempat penandatanganan"), max_length=100, help_text=_("Mis. Magelang")
    )
    logo = models.ImageField(_("logo"), upload_to="kantor/", blank=True)
    penandatangan_nama = models.CharField(_("nama penandatangan"), max_length=200, blank=True)
    penandatangan_jabatan = models.CharField(_("jabatan penandatangan"), max_length=200, blank=True)
    penandatangan_pangkat = models.CharField(_("pangkat/golongan"), max_length=100, blank=True)
    penandatangan_nip = models.CharField(
        _("NIP penandatangan"), max_length=18, blank=True, validators=[nip_format]
    )
    menggunakan_verifikator_kecamatan = models.BooleanField(
        _("memakai verifikator kecamatan"), default=False
    )
    rujukan_macet_hari = models.PositiveSmallIntegerField(
        _("rujukan dianggap macet setelah (hari)"),
        default=14,
        help_text=_("Rujukan yang statusnya tidak berubah selama ini tampil di daftar macet."),
    )
    simpan_lokasi_foto = models.BooleanField(
        _("simpan lokasi GPS pada foto"),
        default=False,
        help_text=_("Bila tidak, data lokasi (EXIF) dihapus dari foto kasus saat diunggah."),
    )
    draf_offline_hari = models.PositiveSmallIntegerField(
        _("draf di perangkat disimpan (hari)"),
        default=14,
        help_text=_(
            "Draf formulir yang tersimpan di ponsel PSM dan belum dikirim dihapus otomatis "
            "setelah sekian hari (berisi data pribadi)."
        ),
    )

    # UU 27/2022 Pasal 53: a public service processing specific data names an officer for the
    # protection of personal data; the privacy notice (/privasi/) tells people how to reach them.
    pelindungan_data_nama = models.CharField(
        _("pejabat pelindungan data pribadi"), max_length=200, blank=True
    )
    pelindungan_data_kontak = models.CharField(
        _("kontak pejabat pelindungan data pribadi"),
        max_length=200,
        blank=True,
        help_text=_("Pos-el atau telepon untuk permintaan akses, koreksi dan penghapusan data."),
    )

    # UU 27/2022 Pasal 42-44 and the office's archival retention schedule (JRA): how long a closed
    # case keeps its personal data. Empty: not decided yet, and nothing is erased
    # (``manage.py terapkan_retensi`` says so).
    retensi_kasus_tahun = models.PositiveSmallIntegerField(
        _("masa retensi berkas kasus (tahun)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Menurut jadwal retensi arsip Dinas. Sekian tahun setelah kasus ditutup, data "
            "pribadinya dihapus dan hanya data untuk statistik yang tersisa; draf yang tidak "
            "disentuh selama itu dihapus. Kosong: belum diputuskan, tidak ada yang dihapus."
        ),
    )

    # The same for a PSM who stopped: how long after they stopped their identity and contact
    # details are kept (``registry.retention``). Empty: not decided, nothing erased.
    retensi_psm_tahun = models.PositiveSmallIntegerField(
        _("masa retensi data pribadi PSM berhenti (tahun)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Sekian tahun setelah PSM berhenti, NIK, tanggal dan tempat lahir (tahunnya tetap), "
            "alamat, telepon, pos-el, pekerjaan, foto, motivasi, nama pengguna akun dan foto "
            "kegiatannya dihapus. Nama dan riwayat pengabdiannya (SK, Bimtek, IPSM, bantuan, "
            "penghargaan, kegiatan) tetap sebagai arsip dinas. Kosong: belum diputuskan, tidak "
            "ada yang dihapus."
        ),
    )

    class Meta:
        verbose_name = _("kantor")
        verbose_name_plural = _("kantor")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="kantor_single_row")]

    def __str__(self):
        return f"{self.nama} {self.pemerintah}"


class KirimanOffline(models.Model):
    """A receipt for one offline submission: the identifier the device chose, and the answer it
    got. A repeat (a retry after the signal dropped, a double tap, two tabs) receives the stored
    answer instead of being processed again. Only successful answers are stored: a refused
    submission can be corrected and sent again under the same identifier."""

    kunci = models.UUIDField(_("ID kiriman"), unique=True)
    pengguna = models.ForeignKey(
        "psm_portal.User", verbose_name=_("pengguna"), on_delete=models.CASCADE, related_name="+"
    )
    jalur = models.CharField(_("alamat formulir"), max_length=200)
    hasil = models.JSONField(_("jawaban"), default=dict)
    created_at = models.DateTimeField(_("diterima"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("kiriman luring")
        verbose_name_plural = _("kiriman luring")

    def __str__(self):
        return f"{self.kunci} ({self.jalur})"


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
        db_table = "reports_generateddocument"  # where it was created, before every app used it
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


class InsidenData(TimeStamped):
    """A personal-data breach (UU 27/2022 Pasal 46): what happened, which data and how many
    people it touched, what was done, and when the people concerned and the PDP authority were
    told, in writing, which must be within 3 x 24 hours of the office knowing of it. Kept in the
    admin by the data-protection officer; the README's runbook says what to do, in order."""

    NOTICE_WITHIN = dt.timedelta(hours=72)

    diketahui_pada = models.DateTimeField(
        _("diketahui pada"),
        help_text=_("Saat Dinas mengetahui insiden: batas 3 × 24 jam dihitung dari sini."),
    )
    terjadi_pada = models.DateTimeField(_("terjadi pada (perkiraan)"), null=True, blank=True)
    uraian = models.TextField(_("apa yang terjadi dan bagaimana"))
    data_terdampak = models.TextField(_("data pribadi yang terungkap"))
    data_spesifik = models.BooleanField(
        _("termasuk data spesifik"),
        default=False,
        help_text=_("Kesehatan, disabilitas, anak, catatan kejahatan, keuangan (Pasal 4)."),
    )
    jumlah_orang = models.PositiveIntegerField(
        _("perkiraan jumlah orang terdampak"), null=True, blank=True
    )
    penanganan = models.TextField(_("upaya penanganan dan pemulihan"), blank=True)
    subjek_diberitahu_pada = models.DateTimeField(
        _("pemberitahuan tertulis ke orang terdampak"), null=True, blank=True
    )
    lembaga_diberitahu_pada = models.DateTimeField(
        _("pemberitahuan tertulis ke lembaga PDP"), null=True, blank=True
    )
    diumumkan_pada = models.DateTimeField(
        _("diumumkan kepada masyarakat"),
        null=True,
        blank=True,
        help_text=_(
            "Bila insiden mengganggu pelayanan publik atau berdampak serius (Pasal 46 ayat 3)."
        ),
    )
    ditutup_pada = models.DateTimeField(_("ditutup pada"), null=True, blank=True)
    dicatat_oleh = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dicatat oleh"),
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = _("insiden data pribadi")
        verbose_name_plural = _("insiden data pribadi")
        ordering = ["-diketahui_pada", "-pk"]

    def __str__(self):
        first_line = self.uraian.strip().splitlines()[0] if self.uraian.strip() else ""
        return f"#{self.pk or '-'} {first_line[:80]}"

    @property
    def batas_pemberitahuan(self) -> dt.datetime | None:
        return self.diketahui_pada + self.NOTICE_WITHIN if self.diketahui_pada else None

    def notices_late(self, now: dt.datetime) -> list[str]:
        """The written notices not given by the deadline (missing past it, or given after it)."""
        deadline = self.batas_pemberitahuan
        if deadline is None:
            return []
        late = []
        for field in ("subjek_diberitahu_pada", "lembaga_diberitahu_pada"):
            given = getattr(self, field)
            if (given is None and now > deadline) or (given is not None and given > deadline):
                late.append(str(self._meta.get_field(field).verbose_name))
        return late

    def clean(self):
        super().clean()
        errors: dict[str, list] = {}

        def refuse(field: str, message) -> None:
            errors.setdefault(field, []).append(message)

        now = timezone.now()
        if self.diketahui_pada and self.diketahui_pada > now:
            refuse("diketahui_pada", _("Waktu diketahui tidak boleh di masa depan."))
        if self.terjadi_pada and self.diketahui_pada and self.terjadi_pada > self.diketahui_pada:
            refuse("terjadi_pada", _("Insiden tidak mungkin terjadi sesudah diketahui."))
        for field in (
            "subjek_diberitahu_pada",
            "lembaga_diberitahu_pada",
            "diumumkan_pada",
            "ditutup_pada",
        ):
            value = getattr(self, field)
            if value and self.diketahui_pada and value < self.diketahui_pada:
                refuse(field, _("Tidak boleh sebelum insiden diketahui."))
            elif value and value > now:
                refuse(field, _("Tidak boleh di masa depan."))
        if self.ditutup_pada and not (self.subjek_diberitahu_pada and self.lembaga_diberitahu_pada):
            refuse(
                "ditutup_pada",
                _(
                    "Catat pemberitahuan tertulis ke orang terdampak dan ke lembaga PDP sebelum "
                    "menutup insiden (Pasal 46)."
                ),
            )
        if self.ditutup_pada and not self.penanganan.strip():
            refuse("penanganan", _("Tulis upaya penanganan dan pemulihan sebelum menutup insiden."))
        if errors:
            raise ValidationError(errors)
