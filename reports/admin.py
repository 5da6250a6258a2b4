"""Indicator definitions are edited by administrators here. A change of weight or target is a new
version with its own start date, so the scores of past years stay as they were printed."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from psm_portal.admin import ReadOnlyAdmin
from reports.indicators import PER_PSM
from reports.models import Indikator, IssuedDocument, TingkatIndikator

OFFICE_COMPUTATIONS = ["psm_per_desa", "persen_terlatih", "desa_tanpa_psm", "ppks_per_psm"]


class IndikatorForm(forms.ModelForm):
    """What an administrator may type: a computation of the indicator's own level (a PSM-level
    indicator computed per office broke every ranking, rapor and recap page with a 500), and a
    code that can stand in a URL (the drill-down's address; "PR.03" broke the ranking page)."""

    kode = forms.RegexField(
        label=_("kode"),
        regex=r"^[A-Za-z0-9_-]+$",
        max_length=20,
        error_messages={"invalid": _("Kode hanya huruf, angka, tanda hubung dan garis bawah.")},
    )

    class Meta:
        model = Indikator
        fields = [
            "kode",
            "versi",
            "nama",
            "kategori",
            "tingkat",
            "cara_hitung",
            "penjelasan",
            "satuan",
            "bobot",
            "target",
            "berlaku_mulai",
        ]

    def clean(self):
        data = super().clean()
        tingkat, cara = data.get("tingkat"), data.get("cara_hitung")
        allowed = PER_PSM if tingkat == TingkatIndikator.PSM else OFFICE_COMPUTATIONS
        if tingkat and cara and cara not in allowed:
            self.add_error(
                "cara_hitung",
                _("Cara hitung ini bukan untuk indikator tingkat %(tingkat)s.")
                % {"tingkat": TingkatIndikator(tingkat).label},
            )
        return data


@admin.register(Indikator)
class IndikatorAdmin(admin.ModelAdmin):
    form = IndikatorForm
    list_display = [
        "kode",
        "versi",
        "nama",
        "kategori",
        "tingkat",
        "bobot",
        "target",
        "berlaku_mulai",
    ]
    list_filter = ["kategori", "tingkat"]
    ordering = ["kode", "-versi"]
    search_fields = ["kode", "nama"]

    def get_readonly_fields(self, request, obj=None):
        # A version already in force is history: to change it, add the next version.
        return [f.name for f in Indikator._meta.fields] if obj else []

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "cara_hitung":
            choices = [(c, c) for c in [*PER_PSM, *OFFICE_COMPUTATIONS]]
            return forms.ChoiceField(choices=choices, label=db_field.verbose_name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """The outgoing register, to read: numbers are only issued by printing a document."""

    list_display = ["nomor", "perihal", "diminta_oleh", "created_at"]
    list_filter = ["tahun", "jenis"]
    search_fields = ["nomor", "perihal"]
    list_select_related = ["diminta_oleh"]
    ordering = ["-tahun", "-urut"]
