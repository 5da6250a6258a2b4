"""Reference data is edited by administrators here; cases are worked in the portal's own pages."""

from django.contrib import admin

from assessments.models import JenisDisabilitas, KategoriPpks, Program


@admin.register(KategoriPpks)
class KategoriPpksAdmin(admin.ModelAdmin):
    list_display = ["kode", "singkatan", "nama", "umur_min", "umur_maks", "sensitivitas", "aktif"]
    list_editable = ["aktif"]
    ordering = ["urutan", "kode"]

    def get_readonly_fields(self, request, obj=None):
        return ["kode"] if obj else []  # codes are stable: data is keyed on them


@admin.register(JenisDisabilitas)
class JenisDisabilitasAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "kelompok", "aktif"]
    ordering = ["urutan", "kode"]

    def get_readonly_fields(self, request, obj=None):
        return ["kode"] if obj else []


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "penanggung_jawab", "aktif"]
    list_editable = ["aktif"]
    ordering = ["urutan", "kode"]

    def get_readonly_fields(self, request, obj=None):
        return ["kode"] if obj else []
