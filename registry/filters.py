"""Filters for the PSM list (applied inside ``selectors.psm_list``)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Psm, Spesialisasi, StatusPsm, TingkatBimtek, Wilayah
from registry.nik import clean_nik
from registry.text import normalise_for_search

SORTS = {
    "nama": ("nama_cari", "pk"),
    "-nama": ("-nama_cari", "-pk"),
    "desa": ("desa_tugas__nama", "nama_cari", "pk"),
    "status": ("status", "nama_cari", "pk"),
    "bergabung": ("tanggal_bergabung", "pk"),
    "-bergabung": ("-tanggal_bergabung", "-pk"),
}


class PsmFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Cari nama atau NIK"), method="filter_q")
    kecamatan = django_filters.ModelChoiceFilter(
        label=_("Kecamatan"),
        queryset=Wilayah.objects.none(),
        method="filter_kecamatan",
        empty_label=_("Semua kecamatan"),
    )
    desa = django_filters.ModelChoiceFilter(
        label=_("Desa/kelurahan"),
        field_name="desa_tugas",
        queryset=Wilayah.objects.none(),
        empty_label=_("Semua desa/kelurahan"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=StatusPsm.choices, empty_label=_("Semua status")
    )
    spesialisasi = django_filters.ModelChoiceFilter(
        label=_("Spesialisasi"),
        queryset=Spesialisasi.objects.order_by("nama", "pk"),
        empty_label=_("Semua spesialisasi"),
    )
    bimtek = django_filters.ChoiceFilter(
        label=_("Pelatihan"),
        choices=[*TingkatBimtek.choices, ("belum", _("Belum Bimtek"))],
        method="filter_bimtek",
        empty_label=_("Semua"),
    )
    urut = django_filters.ChoiceFilter(
        label=_("Urutkan"),
        method="filter_noop",
        empty_label=_("Nama (A-Z)"),
        choices=[
            ("-nama", _("Nama (Z-A)")),
            ("desa", _("Desa/kelurahan")),
            ("status", _("Status")),
            ("bergabung", _("Bergabung (terlama)")),
            ("-bergabung", _("Bergabung (terbaru)")),
        ],
    )

    class Meta:
        model = Psm
        fields = ["q", "kecamatan", "desa", "status", "spesialisasi", "bimtek", "urut"]

    def __init__(self, *args, kecamatan_qs=None, desa_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if kecamatan_qs is not None:
            self.filters["kecamatan"].queryset = kecamatan_qs
        if desa_qs is not None:
            self.filters["desa"].queryset = desa_qs
        for field in self.form.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if hasattr(field, "choices") else "form-control"
            )

    def filter_q(self, queryset, name, value):
        digits = clean_nik(value)
        if digits.isdigit() and len(digits) == 16:
            return queryset.filter(nik=digits)  # exact NIK; never a partial NIK match
        term = normalise_for_search(value)
        return queryset.filter(nama_cari__contains=term) if term else queryset

    def filter_kecamatan(self, queryset, name, value):
        return queryset.filter(desa_tugas__induk=value)

    def filter_bimtek(self, queryset, name, value):
        if value == "belum":
            return queryset.filter(~Q(bimtek_set__tingkat=TingkatBimtek.DASAR))
        return queryset.filter(bimtek_set__tingkat=value).distinct()

    def filter_noop(self, queryset, name, value):
        return queryset  # ordering is applied by the selector

    def ordering(self) -> tuple[str, ...]:
        key = self.form.cleaned_data.get("urut") if self.form.is_valid() else ""
        return SORTS.get(key or "nama", SORTS["nama"])
