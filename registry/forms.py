"""Registry forms: validation only (layout by crispy). Errors in Bahasa Indonesia, next to the
field; warnings (NIK mismatches) are shown and may be confirmed, errors may not."""

import datetime as dt
import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from psm_portal.text import form_phone, grouped
from psm_portal.uploads import LimitedImageField, PhotosField, validate_pdf
from registry.models import (
    AlasanBerhenti,
    BantuanPeralatan,
    IpsmMembership,
    Kegiatan,
    Penghargaan,
    Psm,
    PsmAppointment,
    PsmBimtek,
    Spesialisasi,
    StatusPsm,
    Wilayah,
)
from registry.nik import check_nik
from registry.regions import kecamatan_in_national_list


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DesaChoiceField(forms.ModelChoiceField):
    """A desa/kelurahan select grouped by kecamatan."""

    def label_from_instance(self, obj):
        return f"{obj.nama} ({obj.induk.nama})" if obj.induk_id else obj.nama


# A select of every desa stops helping long before it stops rendering: a province has ~8,000,
# the country 83,762 (22 s to render the PSM form with three of them, measured).
MAX_DESA_OPTIONS = 1000


class DesaCodeField(forms.ModelChoiceField):
    """A desa/kelurahan typed as its Kemendagri code: spaces are ignored and ten bare digits get
    their dots ("3371011001" is 33.71.01.1001)."""

    def to_python(self, value):
        code = "".join(str(value or "").split())
        if re.fullmatch(r"\d{10}", code):
            code = f"{code[:2]}.{code[2:4]}.{code[4:6]}.{code[6:]}"
        return super().to_python(code)


def scope_desa_fields(form: forms.BaseForm, names, queryset) -> None:
    """The desa a user may choose: a select for a kab/kota office, the Kemendagri code typed in
    for a wider scope (checked against the same scope, so nothing outside it is accepted)."""
    wide = queryset.order_by().count() > MAX_DESA_OPTIONS  # once for all the form's desa fields
    for name in names:
        field = form.fields[name]
        field.queryset = queryset
        if wide:
            form.fields[name] = DesaCodeField(
                queryset=queryset,
                required=field.required,
                label=field.label,
                widget=forms.TextInput(
                    attrs={
                        "placeholder": "33.71.01.1001",
                        "autocomplete": "off",
                        "spellcheck": "false",
                    }
                ),
                help_text=_(
                    "Ketik kode wilayah Kemendagri desa/kelurahan, mis. 33.71.01.1001 (lihat "
                    "halaman Cakupan wilayah): wilayah kerja Anda terlalu luas untuk satu daftar "
                    "pilihan."
                ),
                error_messages={
                    "invalid_choice": _(
                        "Kode desa/kelurahan ini tidak dikenal atau di luar wilayah kerja Anda."
                    )
                },
            )


def _date_widgets(*names):
    return {name: DateInput() for name in names}


# The photo consent's text, as the form's checkbox says it, and its version: a new wording takes
# a new version, and each PSM's record keeps the version they agreed to.
PHOTO_CONSENT_TEXT = _(
    "PSM menyetujui fotonya disimpan di Portal PSM dan ditampilkan pada profilnya untuk "
    "pengenalan oleh petugas Dinas"
)
PHOTO_CONSENT_VERSION = "2026-12"


def joined_after_activation(first_aktif: dt.date) -> str:
    """Why a joining date after the day a PSM was first made aktif is refused."""
    return _("PSM ini sudah aktif sejak %(tgl)s: tanggal bergabung tidak boleh sesudahnya.") % {
        "tgl": date_format(first_aktif, "j F Y")
    }


class PsmForm(forms.ModelForm):
    # Longer than 16 on purpose: "3174 0755 0895 0001" from a KTP photocopy is cleaned, not refused.
    nik = forms.CharField(
        label=_("NIK"),
        max_length=30,
        help_text=_("16 digit sesuai KTP."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    konfirmasi_peringatan = forms.BooleanField(
        label=_("Saya sudah memeriksa peringatan di atas dan data ini benar"), required=False
    )
    persetujuan_foto = forms.BooleanField(
        label=PHOTO_CONSENT_TEXT,
        help_text=_(
            "Wajib bila mengunggah foto (UU 27/2022 Pasal 20 dan 22). Foto tidak wajib; "
            "persetujuan ditarik dengan menghapus fotonya."
        ),
        required=False,
    )

    class Meta:
        model = Psm
        fields = [
            "nik",
            "nama",
            "jenis_kelamin",
            "tempat_lahir",
            "tanggal_lahir",
            "kewarganegaraan",
            "alamat_ktp",
            "desa_ktp",
            "alamat_domisili",
            "desa_domisili",
            "desa_tugas",
            "telepon",
            "email",
            "pendidikan",
            "pekerjaan",
            "tanggal_bergabung",
            "foto",
            "spesialisasi",
            "bisa_baca_tulis",
            "pernyataan_komitmen",
            "berkelakuan_baik",
            "motivasi",
        ]
        field_classes = {
            "desa_ktp": DesaChoiceField,
            "desa_domisili": DesaChoiceField,
            "desa_tugas": DesaChoiceField,
            "foto": LimitedImageField,
        }
        widgets = {
            **_date_widgets("tanggal_lahir", "tanggal_bergabung"),
            "telepon": forms.TextInput(attrs={"inputmode": "tel"}),
            "spesialisasi": forms.CheckboxSelectMultiple,
            "motivasi": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, desa_qs=None, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.known_kecamatan = kecamatan_in_national_list
        self.warnings: list[str] = []
        self.nik_warnings: list[str] = []  # those of ``warnings`` about the NIK
        desa_qs = desa_qs if desa_qs is not None else Wilayah.objects.none()
        scope_desa_fields(self, ("desa_ktp", "desa_domisili", "desa_tugas"), desa_qs)
        # A PSM's KTP or home desa may lie outside the editor's region (a PSM moved here from
        # another kab/kota): it stays a valid choice, or no other field of theirs could be saved.
        # The duty desa is what puts the PSM in a region, and stays within the editor's.
        for name in ("desa_ktp", "desa_domisili"):
            current = getattr(self.instance, f"{name}_id", None)
            if current:
                field = self.fields[name]
                field.queryset = field.queryset | Wilayah.objects.filter(pk=current)
        self.fields["spesialisasi"].queryset = Spesialisasi.objects.order_by("nama", "pk")
        self.fields["foto"].help_text = _("JPG atau PNG, paling besar 5 MB.")
        if self.instance.foto_persetujuan_pada:
            self.fields["persetujuan_foto"].initial = True

    def clean_nama(self):
        nama = " ".join(self.cleaned_data["nama"].split())
        if not nama:
            raise ValidationError(_("Nama wajib diisi."))
        return nama

    def clean_telepon(self):
        return form_phone(self, "telepon")

    def clean_tanggal_lahir(self):
        value = self.cleaned_data["tanggal_lahir"]
        if value > self.today:
            raise ValidationError(_("Tanggal lahir tidak boleh di masa depan."))
        if value.year < 1900:
            raise ValidationError(_("Tahun lahir tidak masuk akal."))
        return value

    def clean_tanggal_bergabung(self):
        value = self.cleaned_data["tanggal_bergabung"]
        if value > self.today:
            raise ValidationError(_("Tanggal bergabung tidak boleh di masa depan."))
        if value.year < 1950:  # 1 Januari 0001 was saved, and the reports counted from it
            raise ValidationError(_("Tahun bergabung tidak masuk akal."))
        if self.instance.pk:
            # Moved past the day they were made aktif, the reports dropped the years between
            # (who served is read from the history, and no one is aktif before joining); a
            # roster's update too.
            first_aktif = self._first_aktif()
            if first_aktif and value > first_aktif:
                raise ValidationError(joined_after_activation(first_aktif))
        return value

    # The roster import updates only what a roster holds and keeps KTP and duty desa together.
    check_standing = True
    # {psm id: the day first made aktif} read once for a whole roster; None: asked per PSM.
    first_aktif_of: dict | None = None

    def _first_aktif(self):
        if self.first_aktif_of is not None:
            return self.first_aktif_of.get(self.instance.pk)
        return (
            self.instance.riwayat_status.filter(ke=StatusPsm.AKTIF)
            .order_by("tanggal_efektif")
            .values_list("tanggal_efektif", flat=True)
            .first()
        )

    def _standing_warnings(self, cleaned) -> list[str]:
        """An edit that takes an aktif PSM out of the Permensos requirements (KTP desa moved
        away from the duty desa, WNA, cannot read) is saved only once confirmed, and says the
        status is the next thing to look at."""
        if not (
            self.check_standing and self.instance.pk and self.instance.status == StatusPsm.AKTIF
        ):
            return []
        from registry.services import age_problems, standing_problems

        problems = []
        born = cleaned.get("tanggal_lahir")
        if born and born != self.instance.tanggal_lahir:
            # a birth date corrected to one that makes them a minor on their SK's date
            sk = self.instance.sk_set.order_by("-tanggal_sk", "-pk").first()
            if sk is not None:
                problems += age_problems(born, sk.tanggal_sk)
        edited = Psm(
            kewarganegaraan=cleaned.get("kewarganegaraan", self.instance.kewarganegaraan),
            desa_ktp=cleaned.get("desa_ktp") or self.instance.desa_ktp,
            desa_tugas=cleaned.get("desa_tugas") or self.instance.desa_tugas,
            bisa_baca_tulis=cleaned.get("bisa_baca_tulis", self.instance.bisa_baca_tulis),
        )
        return [
            _(
                "PSM ini berstatus aktif, dan dengan perubahan ini tidak lagi memenuhi syarat: "
                "%(syarat)s Bila benar, ubah statusnya setelah menyimpan."
            )
            % {"syarat": problem}
            for problem in problems + standing_problems(edited)
        ]

    def _age_warnings(self, cleaned) -> list[str]:
        """A candidate under 18 today (a new one, or a birth date corrected) is registered only
        once confirmed: the age rule was first met at activation, after an SK had been issued
        to a 15-year-old. (An aktif PSM's corrected birth date is weighed against the SK's date
        by ``_standing_warnings``.)"""
        from registry.services import age_on

        born = cleaned.get("tanggal_lahir")
        is_candidate = not self.instance.pk or (
            self.instance.status == StatusPsm.CALON and born != self.instance.tanggal_lahir
        )
        if not born or not is_candidate or age_on(born, self.today) >= 18:
            return []
        return [
            _(
                "Usia hari ini baru %(usia)d tahun: PSM diangkat paling muda 18 tahun pada "
                "tanggal SK-nya."
            )
            % {"usia": age_on(born, self.today)}
        ]

    def _photo_consent(self, cleaned) -> None:
        """A new photo needs the PSM's consent ticked; consent kept while a photo stays cannot
        be unticked (withdrawing it is removing the photo, said so); a photo removed takes its
        consent with it. A photo stored before consent was recorded stays until someone ticks
        the box or removes it (the profile says which)."""
        if "foto" in self.errors:
            return
        photo, agreed = cleaned.get("foto"), cleaned.get("persetujuan_foto")
        new_photo = isinstance(photo, UploadedFile)
        if new_photo and not agreed:
            self.add_error(
                "persetujuan_foto",
                _(
                    "Foto hanya disimpan dengan persetujuan PSM: centang persetujuannya, atau "
                    "kosongkan foto."
                ),
            )
            return
        if photo and not agreed and self.instance.foto_persetujuan_pada:
            self.add_error(
                "persetujuan_foto",
                _("Bila PSM menarik persetujuannya, hapus juga fotonya (centang Hapus pada foto)."),
            )
            return
        if photo and agreed:
            if new_photo or not self.instance.foto_persetujuan_pada:
                # A new photo is agreed to now, under the text shown now (the box stays ticked
                # from the photo before, and that consent was to that photo).
                cleaned["foto_persetujuan_pada"] = timezone.now()
                cleaned["foto_persetujuan_versi"] = PHOTO_CONSENT_VERSION
            # else the photo and its consent stay as they are
        elif not photo:
            cleaned["foto_persetujuan_pada"], cleaned["foto_persetujuan_versi"] = None, ""

    def clean(self):
        cleaned = super().clean()
        self._photo_consent(cleaned)
        born, joined = cleaned.get("tanggal_lahir"), cleaned.get("tanggal_bergabung")
        if born and joined and joined < born:
            # (as the Bimtek, SK and award dates are refused before it)
            self.add_error(
                "tanggal_bergabung",
                _("Tanggal bergabung tidak boleh sebelum tanggal lahir PSM (%(tgl)s).")
                % {"tgl": date_format(born, "j F Y")},
            )
        if "nik" in self.errors:
            return cleaned
        result = check_nik(
            cleaned.get("nik"),
            declared_dob=cleaned.get("tanggal_lahir"),
            declared_sex=cleaned.get("jenis_kelamin"),
            today=self.today,
            known_kecamatan=self.known_kecamatan,
        )
        if result.errors:
            for message in result.errors:
                self.add_error("nik", message)
            return cleaned
        cleaned["nik"] = result.nik
        self.nik_warnings = result.warnings
        self.warnings = (
            result.warnings + self._age_warnings(cleaned) + self._standing_warnings(cleaned)
        )
        if self.warnings and not cleaned.get("konfirmasi_peringatan"):
            self.add_error(
                "konfirmasi_peringatan",
                _(
                    "Ada peringatan pada data ini. Periksa, lalu centang konfirmasi "
                    "untuk menyimpan."
                ),
            )
        return cleaned


class StatusChangeForm(forms.Form):
    ke = forms.ChoiceField(label=_("Status baru"), choices=StatusPsm.choices)
    tanggal = forms.DateField(label=_("Tanggal efektif"), widget=DateInput())
    alasan = forms.ChoiceField(
        label=_("Alasan (wajib bila berhenti)"),
        required=False,
        choices=[("", "---------"), *AlasanBerhenti.choices],
    )
    referensi = forms.CharField(label=_("Nomor SK/surat"), required=False, max_length=100)
    catatan = forms.CharField(
        label=_("Catatan"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ke"].choices = [
            (v, StatusPsm(v).label) for v in StatusPsm.values if v in allowed
        ]

    def clean_tanggal(self):
        # A later date would hold the record there: every change after it must be dated later.
        tanggal = self.cleaned_data["tanggal"]
        if tanggal > timezone.localdate():
            raise ValidationError(_("Tanggal efektif tidak boleh di masa depan."))
        return tanggal


class SkForm(forms.ModelForm):
    class Meta:
        model = PsmAppointment
        fields = [
            "nomor_sk",
            "tanggal_sk",
            "penerbit_level",
            "penerbit_nama",
            "berlaku_mulai",
            "berlaku_sampai",
            "dokumen",
        ]
        widgets = _date_widgets("tanggal_sk", "berlaku_mulai", "berlaku_sampai")

    def clean_tanggal_sk(self):
        # An SK is recorded once signed. A later date would let an activation pass the age and
        # Bimtek checks, which are made as of the SK's date.
        tanggal = self.cleaned_data["tanggal_sk"]
        if tanggal > timezone.localdate():
            raise ValidationError(_("Tanggal SK tidak boleh di masa depan."))
        return tanggal

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A correction: the scan on record stays unless another is chosen. (The stock
            # widget would link the file's media address and offer to clear it.)
            self.fields["dokumen"].widget = forms.FileInput(attrs={"accept": "application/pdf"})
            self.fields["dokumen"].help_text = _(
                "Kosongkan untuk mempertahankan dokumen yang sudah ada; pilih berkas lain untuk "
                "menggantinya."
            )

    def clean_dokumen(self):
        dokumen = self.cleaned_data.get("dokumen")
        if isinstance(dokumen, UploadedFile):  # not the scan already on record
            validate_pdf(dokumen)
        return dokumen


class RecordCorrectionForm(forms.Form):
    """Why an entry of a PSM's service record is corrected: kept in its audit trail, as a
    removal's reason is (what was wrong, and who said so, is read later from the history)."""

    alasan_perbaikan = forms.CharField(
        label=_("Alasan perbaikan"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Mis. nomor SK salah ketik, sesuai dokumen asli. Disimpan di riwayat perubahan."
        ),
        error_messages={"required": _("Tuliskan alasan memperbaiki data ini.")},
    )


class RecordRemoveForm(forms.Form):
    """Why an entry of a PSM's service record is removed: kept in its audit trail."""

    alasan = forms.CharField(
        label=_("Alasan menghapus"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mis. tercatat dua kali, atau milik PSM lain. Disimpan di riwayat perubahan."),
        error_messages={"required": _("Tuliskan alasan menghapus data ini.")},
    )


class BimtekRecordForm(forms.ModelForm):
    class Meta:
        model = PsmBimtek
        fields = ["tingkat", "nomor_sertifikat", "penyelenggara", "tanggal"]
        widgets = _date_widgets("tanggal")

    def clean_tanggal(self):
        tanggal = self.cleaned_data["tanggal"]
        if tanggal > timezone.localdate():
            raise ValidationError(_("Tanggal lulus tidak boleh di masa depan."))
        return tanggal


class IpsmForm(forms.ModelForm):
    class Meta:
        model = IpsmMembership
        fields = ["tingkat", "jabatan", "periode_mulai", "periode_selesai"]

    def clean_periode_mulai(self):
        # 2203 for 2023 passed (up to 2100 is a year); a term that has not begun is no
        # membership yet. Its end may lie ahead.
        tahun = self.cleaned_data["periode_mulai"]
        if tahun > timezone.localdate().year:
            raise ValidationError(_("Periode mulai tidak boleh di masa depan."))
        return tahun


class BantuanForm(forms.ModelForm):
    class Meta:
        model = BantuanPeralatan
        fields = ["jenis", "tanggal", "sumber", "keterangan"]
        widgets = _date_widgets("tanggal")

    def clean_tanggal(self):
        tanggal = self.cleaned_data["tanggal"]
        if tanggal > timezone.localdate():
            raise ValidationError(_("Tanggal diterima tidak boleh di masa depan."))
        return tanggal


class PenghargaanForm(forms.ModelForm):
    class Meta:
        model = Penghargaan
        fields = ["nama", "tingkat", "tahun", "keterangan"]

    def clean_tahun(self):
        tahun = self.cleaned_data["tahun"]
        if tahun > timezone.localdate().year:
            raise ValidationError(_("Tahun penghargaan tidak boleh di masa depan."))
        return tahun


class HoursField(forms.DecimalField):
    """Hours as people write them: "1,5" or "1.5". A number input read "1,5" as 15 on a phone
    set to English (the comma taken for a thousands separator), so this is a text field with the
    phone's decimal keypad, and both separators mean the decimal point here."""

    widget = forms.TextInput

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not 0 < value <= 24:  # the table's own rule, in words
            raise ValidationError(_("Lama kegiatan lebih dari 0 dan paling lama 24 jam."))


class KegiatanForm(forms.ModelForm):
    """A PSM's activity, sized for a phone. ``client_uuid`` is chosen when the form is first
    shown (or by the phone's outbox), so sending it twice records it once."""

    client_uuid = forms.UUIDField(widget=forms.HiddenInput)
    desa = DesaChoiceField(queryset=Wilayah.objects.none(), label=_("Desa/kelurahan"))
    foto = PhotosField(label=_("Foto (boleh lebih dari satu)"), required=False)

    class Meta:
        model = Kegiatan
        fields = ["jenis", "tanggal", "durasi_jam", "tempat", "desa", "jumlah_penerima", "uraian"]
        widgets = {
            **_date_widgets("tanggal"),
            "uraian": forms.Textarea(attrs={"rows": 4}),
        }
        field_classes = {"durasi_jam": HoursField}

    def __init__(self, *args, psm: Psm, **kwargs):
        super().__init__(*args, **kwargs)
        kabkota = psm.desa_tugas_id.rsplit(".", 2)[0]
        self.fields["desa"].queryset = (
            Wilayah.objects.filter(tingkat=4, kode__startswith=f"{kabkota}.")
            .select_related("induk")
            .order_by("induk__nama", "nama")
        )
        if not self.is_bound:
            self.initial.setdefault("desa", psm.desa_tugas_id)
            self.initial.setdefault("tanggal", timezone.localdate())
            self.initial.setdefault("client_uuid", uuid.uuid4())

    def clean_tanggal(self):
        tanggal = self.cleaned_data["tanggal"]
        if tanggal > timezone.localdate():
            raise ValidationError(_("Tanggal kegiatan tidak boleh di masa depan."))
        return tanggal

    # A district's whole sosialisasi or a disaster response, not a typo of eleven nines (it was
    # recorded, and counted in the reach figures).
    MAX_PENERIMA = 10_000

    def clean_jumlah_penerima(self):
        jumlah = self.cleaned_data["jumlah_penerima"]
        if jumlah is not None and jumlah > self.MAX_PENERIMA:
            raise ValidationError(
                _("Jumlah warga paling banyak %(n)s per kegiatan; periksa lagi angkanya.")
                % {"n": grouped(self.MAX_PENERIMA)}
            )
        return jumlah


class KegiatanVerifyForm(forms.Form):
    keputusan = forms.ChoiceField(
        label=_("Keputusan"),
        choices=[("terima", _("Verifikasi")), ("tolak", _("Tolak"))],
        widget=forms.RadioSelect,
    )
    catatan = forms.CharField(label=_("Catatan"), max_length=500, required=False)
