"""Training forms: validation only. Errors in Bahasa Indonesia, next to the field."""

from django import forms
from django.utils.translation import gettext_lazy as _

from registry.forms import DateInput
from registry.models import Wilayah
from training.models import BimtekEvent, StatusHadir


class EventForm(forms.ModelForm):
    class Meta:
        model = BimtekEvent
        fields = [
            "judul",
            "jenis",
            "penyelenggara",
            "wilayah",
            "tempat",
            "kapasitas",
            "pendaftaran_mulai",
            "pendaftaran_selesai",
            "tanggal_mulai",
            "tanggal_selesai",
            "min_kehadiran_persen",
            "nilai_lulus",
            "keterangan",
        ]
        widgets = {
            "pendaftaran_mulai": DateInput(),
            "pendaftaran_selesai": DateInput(),
            "tanggal_mulai": DateInput(),
            "tanggal_selesai": DateInput(),
            "keterangan": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, wilayah_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wilayah"].queryset = (
            wilayah_qs if wilayah_qs is not None else Wilayah.objects.none()
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("tanggal_mulai"), cleaned.get("tanggal_selesai")
        if start and end and end < start:
            self.add_error(
                "tanggal_selesai", _("Tanggal selesai tidak boleh sebelum tanggal mulai.")
            )
        open_, close = cleaned.get("pendaftaran_mulai"), cleaned.get("pendaftaran_selesai")
        if open_ and close and close < open_:
            self.add_error(
                "pendaftaran_selesai", _("Pendaftaran tidak boleh ditutup sebelum dibuka.")
            )
        if open_ and end and open_ > end:
            self.add_error(
                "pendaftaran_mulai", _("Pendaftaran harus dibuka sebelum kegiatan selesai.")
            )
        elif close and end and close > end:
            # A walk-in on the first day is enrolment during the event; past its last day it
            # enrols a PSM in a Bimtek they can no longer attend (the certificate needs days).
            self.add_error(
                "pendaftaran_selesai",
                _("Pendaftaran harus ditutup paling lambat pada hari terakhir kegiatan."),
            )
        return cleaned


class QuotaForm(forms.Form):
    kecamatan = forms.ModelChoiceField(label=_("Kecamatan"), queryset=Wilayah.objects.none())
    kuota = forms.IntegerField(label=_("Kuota"), min_value=0, max_value=10_000)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kecamatan"].queryset = Wilayah.objects.filter(
            tingkat=3, kode__startswith=f"{event.wilayah_id}."
        ).order_by("nama", "kode")


class CabutSertifikatForm(forms.Form):
    alasan = forms.CharField(
        label=_("Alasan pencabutan"),
        min_length=10,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Dicatat di jejak audit bersama nama Anda. Contoh: data kehadiran ternyata dipalsukan."
        ),
    )


def roster_form_class(enrolments):
    """One radio group per participant: present, late, excused or absent."""
    fields = {
        f"p{e.pk}": forms.ChoiceField(
            label=e.psm.nama, choices=StatusHadir.choices, required=False, widget=forms.RadioSelect
        )
        for e in enrolments
    }
    return type("RosterForm", (forms.Form,), fields)


def scores_form_class(enrolments):
    fields = {}
    for e in enrolments:
        for key, label in (("pre", _("pre-test")), ("post", _("post-test"))):
            fields[f"{key}{e.pk}"] = forms.IntegerField(
                label=f"{e.psm.nama} {label}",
                required=False,
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "form-control"}),
            )
    return type("ScoresForm", (forms.Form,), fields)
