"""Reads of the training app for lists and recaps, scoped to the user."""

from django.db.models import Count, Prefetch
from django.db.models.functions import ExtractYear, Substr

from psm_portal.access import region_q
from registry.models import PsmBimtek, Wilayah
from training.models import Kehadiran
from training.services import SEATED, attendance_days, attendance_percent


def participants(event) -> list[dict]:
    """The event's participants with attendance and scores (three queries)."""
    days = attendance_days(event)
    enrolments = (
        event.peserta_set.filter(status__in=SEATED)
        .select_related("psm__desa_tugas__induk")
        .prefetch_related(Prefetch("kehadiran_set", queryset=Kehadiran.objects.all()))
        .order_by("psm__nama_cari", "pk")
    )
    return [{"peserta": e, "hadir": attendance_percent(e, days)} for e in enrolments]


def training_recap(user, year: int | None = None, kecamatan: str = "") -> dict:
    """People trained (a passed Bimtek recorded in the registry) per level and year, and per
    kecamatan and level, inside the user's scope (and ``kecamatan``'s, when given: the caller
    checks it is in scope). Four queries whatever the size."""
    records = PsmBimtek.objects.filter(region_q(user, "psm__desa_tugas__kode"))
    kecamatans = Wilayah.objects.filter(region_q(user, "kode"), tingkat=3)
    if kecamatan:
        records = records.filter(psm__desa_tugas__kode__startswith=f"{kecamatan}.")
        kecamatans = kecamatans.filter(kode=kecamatan)
    per_year = list(
        records.annotate(tahun=ExtractYear("tanggal"))
        .values("tahun", "tingkat")
        .annotate(n=Count("psm", distinct=True))
        .order_by("tahun", "tingkat")
    )
    if year:
        records = records.filter(tanggal__year=year)
    per_kecamatan = (
        records.annotate(kec=Substr("psm__desa_tugas_id", 1, 8))
        .values("kec", "tingkat")
        .annotate(n=Count("psm", distinct=True))
    )
    names = dict(kecamatans.values_list("kode", "nama"))
    levels = [c for c, _label in PsmBimtek._meta.get_field("tingkat").choices]
    table = {}
    for row in per_kecamatan:
        table.setdefault(row["kec"], dict.fromkeys(levels, 0))[row["tingkat"]] = row["n"]
    for code in names:
        table.setdefault(code, dict.fromkeys(levels, 0))
    years = sorted({r["tahun"] for r in per_year})
    by_year = {y: dict.fromkeys(levels, 0) for y in years}
    for row in per_year:
        by_year[row["tahun"]][row["tingkat"]] = row["n"]
    return {
        "levels": levels,
        "by_year": by_year,
        "by_kecamatan": sorted(
            # by name, then code: namesakes in different kabupaten keep one order, so the
            # recap's letter is the same text each time (its register number follows the text)
            ((names.get(k, k), k, v) for k, v in table.items()),
            key=lambda item: (item[0], item[1]),
        ),
    }
