from django.contrib import admin

from psm_portal.admin import ReadOnlyAdmin
from registry.models import Kegiatan, Psm, Spesialisasi, Wilayah


@admin.register(Wilayah)
class WilayahAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama", "tingkat", "jenis"]
    list_filter = ["tingkat"]
    search_fields = ["kode", "nama"]


@admin.register(Spesialisasi)
class SpesialisasiAdmin(admin.ModelAdmin):
    list_display = ["kode", "nama"]


@admin.register(Psm)
class PsmAdmin(ReadOnlyAdmin):
    """For looking up a PSM: they are registered and changed through the portal's forms, whose
    services check Permensos 10/2019 and keep the change history (the admin's form moved an
    aktif PSM's joining date past their activation, made them WNA, and wrote no history)."""

    list_display = ["nama", "desa_tugas", "status"]
    search_fields = ["nama_cari"]
    list_filter = ["status"]
    # Neither the NIK nor the photo: the portal's profile shows them to those who may see them,
    # and audits the reading.
    exclude = ["nik", "foto"]


@admin.register(Kegiatan)
class KegiatanAdmin(ReadOnlyAdmin):
    """For looking up an activity; PSM record them and staff verify them in the portal (audited
    there). Its change form let a verification time of year 1 be saved, which PostgreSQL keeps
    as a year BC that no page could read back."""

    list_display = ["psm", "jenis", "tanggal", "status"]
    list_filter = ["status", "jenis"]
    date_hierarchy = "tanggal"
