"""Indicator definitions are edited by administrators here. A change of weight or target is a new
version with its own start date, so the scores of past years stay as they were printed."""

from django import forms
from django.contrib import admin

from reports.indicators import PER_PSM
from reports.models import Indikator

OFFICE_COMPUTATIONS = ["psm_per_desa", "persen_terlatih", "desa_tanpa_psm", "ppks_per_psm"]


@admin.register(Indikator)
class IndikatorAdmin(admin.ModelAdmin):
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
