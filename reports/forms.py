"""Report forms: the supervisor's rubric and the dashboard's filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import RUBRIK, Evaluasi

MARKS = [(i, f"{i}") for i in range(1, 6)]


class EvaluasiForm(forms.ModelForm):
    """Five marks from 1 (kurang sekali) to 5 (sangat baik), notes, and the nomination."""

    class Meta:
        model = Evaluasi
        fields = [*RUBRIK, "catatan", "diusulkan_berprestasi"]
        widgets = {
            **{name: forms.RadioSelect(choices=MARKS) for name in RUBRIK},
            "catatan": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {name: _("1 = kurang sekali, 5 = sangat baik") for name in RUBRIK}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in RUBRIK:
            self.fields[name] = forms.TypedChoiceField(
                label=self.fields[name].label,
                choices=MARKS,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=self.Meta.help_texts[name],
                error_messages={"required": _("Beri nilai 1 sampai 5.")},
            )

    def validate_unique(self):
        pass  # one per PSM and year: the service revises the existing one


class DashboardFilter(forms.Form):
    """Year and kecamatan. A kecamatan is checked against the user's scope; the select lists
    them when there are few enough to choose from (a provincial or national account opens one
    from the coverage table instead)."""

    MAX_OPTIONS = 300

    tahun = forms.TypedChoiceField(
        label=_("Tahun"), coerce=int, widget=forms.Select(attrs={"class": "form-select"})
    )
    kecamatan = forms.CharField(
        label=_("Kecamatan"),
        required=False,
        max_length=8,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, data, *, years, kecamatan):
        super().__init__(data)
        self.kecamatan_in_scope = kecamatan
        self.fields["tahun"].choices = [(y, str(y)) for y in years]  # never "2.026"
        # (Django's "Select a valid choice. 0 is not one of the available choices")
        self.fields["tahun"].error_messages["invalid_choice"] = _(
            "Tidak ada laporan untuk tahun itu; pilih tahun %(awal)s sampai %(akhir)s."
        ) % {"awal": min(years), "akhir": max(years)}
        options = list(kecamatan.values_list("kode", "nama")[: self.MAX_OPTIONS + 1])
        chosen = (data or {}).get("kecamatan", "")
        if len(options) > self.MAX_OPTIONS:
            # Too many to list: the chosen one stays shown (wherever it sorts), others are found
            # through the coverage page, whose kecamatan rows link here.
            options = (
                list(kecamatan.filter(kode=chosen).values_list("kode", "nama")) if chosen else []
            )
            self.fields["kecamatan"].help_text = _("Pilih kecamatan lewat halaman Cakupan wilayah.")
        self.fields["kecamatan"].widget.choices = [("", _("Semua kecamatan")), *options]

    def clean_kecamatan(self):
        code = self.cleaned_data["kecamatan"]
        if code and not self.kecamatan_in_scope.filter(kode=code).exists():
            raise forms.ValidationError(_("Kecamatan ini tidak ada di wilayah kerja Anda."))
        return code
