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
class PsmAdmin(admin.ModelAdmin):
    """Read-mostly: PSM are registered and changed through the portal's services."""

    list_display = ["nama", "desa_tugas", "status"]
    search_fields = ["nama_cari"]
    list_filter = ["status"]
    autocomplete_fields = ["desa_ktp", "desa_domisili", "desa_tugas"]
    # The photo only through the portal's form: there it is kept on the PSM's consent and
    # stored without its EXIF location (registry.services).
    exclude = ["nik", "foto"]
    # The status only through the portal's status form, which keeps its history: the yearly
    # reports read who was aktif when from that history (reports.indicators.aktif_on).
    readonly_fields = ["status", "status_sejak"]

    def has_add_permission(self, request):
        return False


@admin.register(Kegiatan)
class KegiatanAdmin(ReadOnlyAdmin):
    """For looking up an activity; PSM record them and staff verify them in the portal (audited
    there). Its change form let a verification time of year 1 be saved, which PostgreSQL keeps
    as a year BC that no page could read back."""

    list_display = ["psm", "jenis", "tanggal", "status"]
    list_filter = ["status", "jenis"]
    date_hierarchy = "tanggal"
