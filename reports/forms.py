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
    tahun = forms.TypedChoiceField(
        label=_("Tahun"), coerce=int, widget=forms.Select(attrs={"class": "form-select"})
    )
    kecamatan = forms.ChoiceField(
        label=_("Kecamatan"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )

    def __init__(self, data, *, years, kecamatan):
        super().__init__(data)
        self.fields["tahun"].choices = [(y, str(y)) for y in years]  # never "2.026"
        self.fields["kecamatan"].choices = [("", _("Semua kecamatan"))] + [
            (k.kode, k.nama) for k in kecamatan
        ]
