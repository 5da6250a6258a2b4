"""Filters for the PSM list (applied inside ``selectors.psm_list``)."""

import re

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


def search_psm(queryset, value: str, *, by_nik: bool = True):
    """A 16-digit value is an exact NIK (never a partial NIK match); anything else is a partial,
    case- and accent-insensitive name (trigram-indexed on PostgreSQL). Without ``by_nik`` (a
    role that sees NIKs masked) a NIK finds no one: the one row it found told whose NIK it was."""
    digits = clean_nik(value)
    if re.fullmatch(r"[0-9]{16}", digits):
        return queryset.filter(nik=digits) if by_nik else queryset.none()
    term = normalise_for_search(value)
    return queryset.filter(nama_cari__contains=term) if term else queryset


def _spesialisasi_choices():
    """A dozen rows in one plain query. (A ModelChoiceFilter reads its queryset with iterator(),
    which on PostgreSQL opens a server-side cursor: DECLARE, FETCH and CLOSE on every page view.)"""
    return list(Spesialisasi.objects.order_by("nama", "pk").values_list("pk", "nama"))


# A select longer than this is not rendered whole: the user narrows the region first. It keeps
# the list page fast for a provincial or national scope (8,563 desa in Jawa Tengah alone).
MAX_REGION_OPTIONS = 300


class PsmFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Cari nama atau NIK"), method="filter_q")
    kabkota = django_filters.ModelChoiceFilter(
        label=_("Kabupaten/kota"),
        queryset=Wilayah.objects.none(),
        method="filter_region",
        empty_label=_("Semua kab/kota"),
    )
    kecamatan = django_filters.ModelChoiceFilter(
        label=_("Kecamatan"),
        queryset=Wilayah.objects.none(),
        method="filter_region",
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
    spesialisasi = django_filters.ChoiceFilter(
        label=_("Spesialisasi"), choices=_spesialisasi_choices, empty_label=_("Semua spesialisasi")
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
        fields = ["q", "kabkota", "kecamatan", "desa", "status", "spesialisasi", "bimtek", "urut"]

    def __init__(
        self, *args, regions: dict, broad_scope: bool = False, by_nik: bool = True, **kwargs
    ):
        """``regions`` maps kabkota/kecamatan/desa to the querysets in the user's scope; they
        validate the choice, while the options shown follow the parent chosen above them. With a
        ``broad_scope`` (a province or more) the lower levels wait for their parent without even
        asking the database: there are thousands of them."""
        super().__init__(*args, **kwargs)
        self.by_nik = by_nik
        if not by_nik:
            self.filters["q"].label = _("Cari nama")
        for name, queryset in regions.items():
            self.filters[name].queryset = queryset
        data = self.data or {}
        kab, kec = data.get("kabkota"), data.get("kecamatan")
        kab_shown = self._show_options("kabkota", regions["kabkota"], _("Semua kab/kota"))
        if kab_shown is not None and len(kab_shown) <= 1 and not kab:
            del self.form.fields["kabkota"]  # an office serving one kab/kota needs no such select
            broad_scope = False
        kecamatan = regions["kecamatan"].filter(induk_id=kab) if kab else regions["kecamatan"]
        if broad_scope and not kab:
            kecamatan = None
        kec_shown = self._show_options("kecamatan", kecamatan, _("Pilih kab/kota dulu"))
        desa = regions["desa"]
        if kec:
            desa = desa.filter(induk_id=kec)
        elif kec_shown is None or len(kec_shown) > 1:
            # Hundreds of desa in one select help nobody and cost every page view its rendering:
            # the desa wait for their kecamatan (the form submits itself when it changes).
            desa = None
        self._show_options("desa", desa, _("Pilih kecamatan dulu"))
        for field in self.form.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if hasattr(field, "choices") else "form-control"
            )

    def _show_options(self, name, queryset, too_many_label) -> list | None:
        """Render at most MAX_REGION_OPTIONS options (one query, whatever the data size); None
        when there are more (or ``queryset`` is None: known to be too many)."""
        field = self.form.fields[name]
        if queryset is None:  # known to be too many: no query
            field.widget.choices = [("", too_many_label)]
            return None
        rows = list(
            queryset.order_by("nama", "kode").values_list("kode", "nama")[: MAX_REGION_OPTIONS + 1]
        )
        label = field.empty_label
        if len(rows) > MAX_REGION_OPTIONS:
            field.widget.choices = [("", too_many_label)]
            return None
        field.widget.choices = [("", label), *rows]
        return rows

    def filter_q(self, queryset, name, value):
        return search_psm(queryset, value, by_nik=self.by_nik)

    def filter_region(self, queryset, name, value):
        return queryset.filter(desa_tugas__kode__startswith=f"{value.kode}.")

    def filter_bimtek(self, queryset, name, value):
        if value == "belum":
            return queryset.filter(~Q(bimtek_set__tingkat=TingkatBimtek.DASAR))
        return queryset.filter(bimtek_set__tingkat=value).distinct()

    def filter_noop(self, queryset, name, value):
        return queryset  # ordering is applied by the selector

    def ordering(self) -> tuple[str, ...]:
        key = self.form.cleaned_data.get("urut") if self.form.is_valid() else ""
        return SORTS.get(key or "nama", SORTS["nama"])
