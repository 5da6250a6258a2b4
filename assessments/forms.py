"""Case forms: validation only. Errors in Bahasa Indonesia next to the field; soft rules (age and
sex of a category, a likely duplicate, a child heading a household) are warnings to confirm."""

import datetime as dt
import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from assessments.models import (
    DOKUMEN,
    NEEDS_SCORED,
    AlasanTanpaNik,
    AlasanTutup,
    AnggotaKeluarga,
    Asesmen,
    AsesmenFoto,
    JenisDisabilitas,
    KategoriPpks,
    PeriodePenghasilan,
    Program,
    Rujukan,
    SkorKebutuhan,
    StatusRujukan,
    Subjek,
    comment_label,
)
from assessments.services import (
    IDENTITY_FIELDS,
    family_values,
    family_version,
    identity_version,
    subject_warnings,
)
from psm_portal.text import form_phone, grouped
from psm_portal.uploads import PhotosField
from registry.forms import DateInput, scope_desa_fields
from registry.nik import check_nik, check_no_kk, clean_nik

# The consent text the case form shows (UU 27/2022 Pasal 22: clear Bahasa Indonesia), by version,
# and the day it took effect. A consent is recorded with the version shown, so it cannot be dated
# before that day: a person who agreed earlier agreed to another text.
CONSENT_VERSION = "2026-11"
CONSENT_SINCE = dt.date(2026, 11, 1)
CONSENT_FIELDS = ("persetujuan_oleh", "persetujuan_nama", "persetujuan_pada")


CONFIRM_WARNINGS = _(
    "Ada peringatan pada data ini. Periksa, lalu centang konfirmasi untuk menyimpan."
)


class ConfirmWarnings(forms.Form):
    """Soft problems the user confirms before saving (a category unusual for the age, a NIK
    whose birth date differs): ``require_confirmation`` after the form's own checks."""

    konfirmasi_peringatan = forms.BooleanField(
        label=_("Saya sudah memeriksa peringatan di atas dan data ini benar"), required=False
    )

    def require_confirmation(self, warnings: list[str]) -> None:
        self.warnings = warnings
        if warnings and not self.cleaned_data.get("konfirmasi_peringatan"):
            self.add_error("konfirmasi_peringatan", CONFIRM_WARNINGS)


class PersonChecks:
    """A person's name (spaces tidied) and NIK (checked, written as 16 digits): a subject's,
    a family member's."""

    def clean_nama(self):
        nama = " ".join(self.cleaned_data["nama"].split())
        if not nama:
            raise ValidationError(_("Nama wajib diisi."))
        return nama

    def clean_nik(self):
        raw = self.cleaned_data.get("nik", "")
        if not clean_nik(raw):
            return ""
        result = check_nik(raw)
        if result.errors:
            raise ValidationError(result.errors)
        return result.nik


class SubjekForm(PersonChecks, forms.ModelForm):
    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Kosongkan bila tidak ada, lalu pilih alasannya."),
    )

    # The identity as the page showed it (``services.identity_version``): what the user changed,
    # told apart from what someone else changed since.
    versi = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    class Meta:
        model = Subjek
        fields = list(IDENTITY_FIELDS)
        widgets = {"tanggal_lahir": DateInput()}

    def __init__(self, *args, desa_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        # what the NIK and No. KK checks accept but ask the user to confirm (the case form adds
        # them to its own warnings)
        self.warnings: list[str] = []
        if not self.is_bound:
            self.initial["versi"] = identity_version(self.instance)
        if desa_qs is not None:
            scope_desa_fields(self, ("desa",), desa_qs)
        self.fields["no_kk"].widget.attrs.update(inputmode="numeric", autocomplete="off")
        self.fields["telepon"].widget.attrs.update(inputmode="tel")
        for name in ("rt", "rw"):
            self.fields[name].widget.attrs.update(inputmode="numeric", size=3)
        self.fields["desil"].widget.attrs.update(min=1, max=10)
        # Retention's mark, not a reason anyone gives.
        self.fields["alasan_tanpa_nik"].choices = [
            c for c in self.fields["alasan_tanpa_nik"].choices if c[0] != AlasanTanpaNik.DIHAPUS
        ]

    def clean_telepon(self):
        return form_phone(self, "telepon")

    def clean_no_kk(self):
        kk = clean_nik(self.cleaned_data.get("no_kk", ""))
        if not kk:
            return ""
        result = check_no_kk(kk)
        if result.errors:
            raise ValidationError(result.errors)
        return kk

    def clean_desil(self):
        desil = self.cleaned_data.get("desil")
        if desil is not None and not 1 <= desil <= 10:
            raise ValidationError(_("Desil DTSEN 1 sampai 10."))
        return desil

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("jenis") == "orang"
            and not cleaned.get("nik")
            and not cleaned.get("alasan_tanpa_nik")
            and "nik" not in self.errors
        ):
            self.add_error("alasan_tanpa_nik", _("Isi NIK, atau pilih alasan bila tidak ada NIK."))
        if cleaned.get("nik"):
            cleaned["alasan_tanpa_nik"] = ""
        born = cleaned.get("tanggal_lahir")
        if born and born > timezone.localdate():
            self.add_error("tanggal_lahir", _("Tanggal lahir tidak boleh di masa depan."))
        if not self.errors:
            self.warnings = subject_warnings(
                nik=cleaned.get("nik", ""),
                no_kk=cleaned.get("no_kk", ""),
                tanggal_lahir=cleaned.get("tanggal_lahir"),
                jenis_kelamin=cleaned.get("jenis_kelamin", ""),
            )
        return cleaned

    def validate_constraints(self):
        # The NIK's uniqueness is checked by the view and the service, with a link to the
        # subject already registered; the other constraints are the form's own checks above.
        pass


class RupiahField(forms.Field):
    """Whole rupiah as people write them: "Rp 1.500.000", "1.500.000" or "1500000" (a dot
    groups thousands in Indonesian; a number input refused the dots, or read them as a decimal
    point on a phone set to English). Sen are not written."""

    MAX = 1_000_000_000
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        text = str(value or "")
        digits = text.upper().strip().removeprefix("RP").replace(".", "").replace(" ", "")
        if not digits:
            return None
        if not re.fullmatch(r"[0-9]+", digits):  # \d would take other scripts' digits
            raise ValidationError(
                _(
                    "Tulis angka rupiahnya saja, tanpa sen dan tanpa kata: misalnya 1.500.000 "
                    "(bukan 1,5 juta)."
                )
            )
        # the length first: a thousand digits are no amount, and not read as a number
        if len(digits) > len(str(self.MAX)) or int(digits) > self.MAX:
            raise ValidationError(_("Penghasilan lebih dari Rp1.000.000.000; periksa lagi."))
        return int(digits)

    def prepare_value(self, value):
        # an amount stored shows as typed in Indonesian ("1.500.000"); what was typed, as typed
        return grouped(value) if isinstance(value, int) else value


class AnggotaKeluargaForm(PersonChecks, ConfirmWarnings, forms.ModelForm):
    """One member of a subject's family, as the KK lists them (domain.md section 3.3 D)."""

    penghasilan = RupiahField(label=_("Penghasilan (Rp)"), required=False)
    # The member as the form showed it (``services.family_version``); the outbox's name for a
    # record's version, so that a queued edit of a member changed since comes back as a conflict.
    versi_dasar = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)

    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("Boleh kosong bila belum diketahui."),
    )

    class Meta:
        model = AnggotaKeluarga
        fields = [
            "nama",
            "hubungan",
            "jenis_kelamin",
            "nik",
            "tempat_lahir",
            "tanggal_lahir",
            "pekerjaan",
            "penghasilan",
            "periode_penghasilan",
        ]
        labels = {"hubungan": _("Hubungan dengan kepala keluarga")}
        widgets = {"tanggal_lahir": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings: list[str] = []
        self.fields["nama"].widget.attrs["autocomplete"] = "off"
        if not self.is_bound and self.instance.pk:
            self.initial["versi_dasar"] = family_version(family_values(self.instance))

    def clean_tanggal_lahir(self):
        born = self.cleaned_data.get("tanggal_lahir")
        if born and born > timezone.localdate():
            raise ValidationError(_("Tanggal lahir tidak boleh di masa depan."))
        if born and born.year < 1900:
            raise ValidationError(_("Tanggal lahir sebelum tahun 1900; periksa tahunnya."))
        return born

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("penghasilan") is not None and not cleaned.get("periode_penghasilan"):
            self.add_error(
                "periode_penghasilan", _("Pilih periode penghasilan (per bulan, minggu atau hari).")
            )
        if cleaned.get("penghasilan") is None:
            cleaned["periode_penghasilan"] = ""
        if not self.errors:
            self.require_confirmation(
                subject_warnings(
                    nik=cleaned.get("nik", ""),
                    no_kk="",
                    tanggal_lahir=cleaned.get("tanggal_lahir"),
                    jenis_kelamin=cleaned.get("jenis_kelamin", ""),
                )
                + self._income_warnings(cleaned)
            )
        return cleaned

    # A month's worth, by period; past the bound an amount is more likely a slip of the period
    # (1.500.000 a day) than the income of a family the office assesses.
    MONTH = {"bulan": 1, "minggu": 4, "hari": 30}
    LIKELY_MONTHLY_MAX = 20_000_000

    def _income_warnings(self, cleaned) -> list[str]:
        amount, period = cleaned.get("penghasilan"), cleaned.get("periode_penghasilan")
        if amount is None or period not in self.MONTH:
            return []
        monthly = amount * self.MONTH[period]
        if monthly <= self.LIKELY_MONTHLY_MAX:
            return []
        return [
            _(
                "Penghasilan Rp%(n)s %(periode)s berarti sekitar Rp%(bulan)s sebulan; periksa "
                "angka dan periodenya."
            )
            % {
                "n": grouped(amount),
                "periode": PeriodePenghasilan(period).label,
                "bulan": grouped(monthly),
            }
        ]

    def validate_constraints(self):
        # The family's own rules (one head, a NIK once) are the service's, with its messages.
        pass


class AsesmenForm(ConfirmWarnings, forms.ModelForm):
    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    kategori = forms.ModelMultipleChoiceField(
        label=_("Kategori PPKS"),
        queryset=KategoriPpks.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Boleh lebih dari satu."),
    )
    disabilitas = forms.ModelMultipleChoiceField(
        label=_("Jenis disabilitas"),
        queryset=JenisDisabilitas.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    dokumen = forms.MultipleChoiceField(
        label=_("Dokumen yang dimiliki"),
        choices=DOKUMEN,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    bantuan = forms.ModelMultipleChoiceField(
        label=_("Bantuan yang sedang diterima"),
        queryset=Program.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    foto = PhotosField(
        label=_("Foto"),
        required=False,
        help_text=_(
            "Hanya gambar (JPG/PNG), masing-masing paling besar 5 MB; diperkecil otomatis."
        ),
    )
    # A returned case whose photo was blurry: the PSM takes the saved one away (new photos were
    # only added beside it).
    hapus_foto = forms.ModelMultipleChoiceField(
        label=_("Hapus foto yang sudah tersimpan"),
        queryset=AsesmenFoto.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Asesmen
        fields = [
            "jenis",
            "metode_kontak",
            "tanggal",
            "informan_nama",
            "informan_hubungan",
            "informan_telepon",
            "persetujuan_oleh",
            "persetujuan_nama",
            "persetujuan_pada",
            "kategori",
            "kategori_utama",
            "disabilitas",
            "tingkat_disabilitas",
            "kondisi_fisik",
            "kondisi_sosial",
            "kondisi_ekonomi",
            "kondisi_rumah",
            *NEEDS_SCORED,
            "dokumen",
            "bantuan",
            "masalah",
            "kebutuhan",
            "urgensi",
            "potensi",
            "rekomendasi",
            "latitude",
            "longitude",
        ]
        widgets = {
            "tanggal": DateInput(),
            "persetujuan_pada": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in (
                    "kondisi_fisik",
                    "kondisi_sosial",
                    "kondisi_ekonomi",
                    "kondisi_rumah",
                    "masalah",
                    "kebutuhan",
                    "potensi",
                    "rekomendasi",
                )
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = KategoriPpks.objects.filter(aktif=True).order_by("urutan", "kode")
        self.fields["kategori"].queryset = categories
        self.fields["kategori_utama"].queryset = categories
        self.fields["disabilitas"].queryset = JenisDisabilitas.objects.filter(aktif=True).order_by(
            "urutan"
        )
        self.fields["bantuan"].queryset = Program.objects.filter(aktif=True).order_by("urutan")
        self.fields["informan_telepon"].widget.attrs.update(inputmode="tel")
        for name in NEEDS_SCORED:
            self.fields[name].choices = [("", _("Belum dinilai")), *SkorKebutuhan.choices]
        self.fields["hapus_foto"].queryset = (
            self.instance.foto_set.order_by("pk")
            if self.instance.pk
            else AsesmenFoto.objects.none()
        )
        if not self.is_bound and not self.initial.get("client_uuid"):
            self.initial["client_uuid"] = (
                self.instance.client_uuid if self.instance.pk else uuid.uuid4()
            )
        self.warnings: list[str] = []

    def clean_informan_telepon(self):
        return form_phone(self, "informan_telepon")

    def clean(self):
        cleaned = super().clean()
        today = timezone.localdate()
        for name in ("tanggal", "persetujuan_pada"):
            if cleaned.get(name) and cleaned[name] > today:
                self.add_error(name, _("Tanggal tidak boleh di masa depan."))
        consent_on = cleaned.get("persetujuan_pada")
        if self.consent_recorded and consent_on and consent_on < CONSENT_SINCE:
            self.add_error(
                "persetujuan_pada",
                _(
                    "Teks persetujuan di atas berlaku sejak %(tgl)s; persetujuan sebelum tanggal "
                    "itu diberikan atas teks lain. Bacakan teks ini dan catat tanggal "
                    "persetujuannya."
                )
                % {"tgl": date_format(CONSENT_SINCE, "j F Y")},
            )
        lat, lon = cleaned.get("latitude"), cleaned.get("longitude")
        if (lat is None) != (lon is None):
            self.add_error(
                "longitude", _("Isi lintang dan bujur bersama-sama, atau kosongkan keduanya.")
            )
        if lat is not None and not -90 <= lat <= 90:
            self.add_error("latitude", _("Lintang harus antara -90 dan 90."))
        if lon is not None and not -180 <= lon <= 180:
            self.add_error("longitude", _("Bujur harus antara -180 dan 180."))
        return cleaned

    @property
    def consent_recorded(self) -> bool:
        """Whether this save records a consent (a new case, or who, by whom or when changed):
        it is then stamped with the text shown now (``CONSENT_VERSION``); an edit that leaves
        the consent as it was keeps the version it was given on."""
        return not self.instance.pk or bool(set(CONSENT_FIELDS) & set(self.changed_data))


class ReviewForm(forms.Form):
    """Verify, return with comments on specific fields, or close."""

    ke = forms.CharField(widget=forms.HiddenInput)
    status_awal = forms.CharField(widget=forms.HiddenInput)
    # The version the reviewer read: a case returned, fixed and resubmitted meanwhile is back in
    # the same status, and must be read again (optional: a page opened before this field).
    versi_awal = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    catatan = forms.CharField(
        label=_("Catatan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )
    alasan_tutup = forms.ChoiceField(
        label=_("Alasan penutupan"), choices=[("", "-")] + AlasanTutup.choices, required=False
    )

    COMMENTABLE = [
        "kategori",
        "kondisi_fisik",
        "kondisi_sosial",
        "kondisi_ekonomi",
        "kondisi_rumah",
        "masalah",
        "kebutuhan",
        "rekomendasi",
        "foto",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.COMMENTABLE:
            self.fields[f"komentar_{name}"] = forms.CharField(
                # labelled as the PSM reads the comment ("Foto", not the diff's "Jumlah foto")
                label=_("Komentar untuk %(f)s") % {"f": comment_label(name)},
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 1, "class": "form-control form-control-sm"}),
            )

    def komentar(self) -> dict:
        return {
            name: self.cleaned_data.get(f"komentar_{name}", "")
            for name in self.COMMENTABLE
            if self.cleaned_data.get(f"komentar_{name}")
        }


class VisitForm(forms.Form):
    tanggal = forms.DateField(label=_("Tanggal kunjungan"), widget=DateInput())
    catatan = forms.CharField(label=_("Catatan kunjungan"), required=False, max_length=2000)


class RujukanForm(forms.ModelForm):
    class Meta:
        model = Rujukan
        fields = ["program", "tujuan_instansi", "tanggal", "nomor_surat"]
        widgets = {"tanggal": DateInput()}

    def __init__(self, *args, not_offered=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = (
            Program.objects.filter(aktif=True).exclude(pk__in=not_offered).order_by("urutan")
        )


class RujukanStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=StatusRujukan.choices)
    # The referral as the page showed it (``services.referral_version``): an answer recorded
    # meanwhile by someone else is not overwritten by one typed on an older page.
    versi_awal = forms.CharField(max_length=40, required=False)
    hasil = forms.CharField(
        label=_("Hasil"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    bukti = forms.FileField(label=_("Bukti (PDF)"), required=False)

    def clean_bukti(self):
        from psm_portal.uploads import validate_pdf

        bukti = self.cleaned_data.get("bukti")
        if bukti:
            validate_pdf(bukti)
        return bukti


class KoreksiSubjekForm(ConfirmWarnings, SubjekForm):
    """The office's correction of a subject's identity: the same fields, the reason for the
    trail, and the version the page showed (a correction over someone else's change made
    meanwhile is refused, not silently undone)."""

    alasan = forms.CharField(
        label=_("Alasan koreksi"),
        max_length=500,
        error_messages={"required": _("Tulis alasan koreksi.")},
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Mis. permintaan koreksi dari yang bersangkutan dengan KTP/KK diperlihatkan, atau "
            "temuan verifikasi. Dicatat di jejak audit."
        ),
    )

    def clean_alasan(self):
        alasan = " ".join(self.cleaned_data["alasan"].split())
        if not alasan:
            raise ValidationError(_("Tulis alasan koreksi."))
        return alasan


class MergeForm(forms.Form):
    duplikat = forms.IntegerField(label=_("Nomor subjek duplikat"), min_value=1)
