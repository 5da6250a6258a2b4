"""Reads of the reports app: the dashboard's figures and the recaps, from the other apps'
data through their access rules (staff see their region; nothing here writes).

Aggregates only: these never return a PPKS subject's name."""

import datetime as dt

from django.db.models import Count, Min, Q
from django.db.models.functions import ExtractMonth, Substr
from django.utils import timezone

from assessments.access import cases_visible_to
from assessments.models import SUBMITTED, Asesmen, KategoriPpks, StatusAsesmen
from assessments.selectors import queue_statuses, stalled_referrals
from psm_portal.access import region_q
from registry.access import psm_visible_to
from registry.models import Kegiatan, Psm, StatusPsm, Wilayah
from reports import indicators
from reports.indicators import Period
from reports.models import TingkatIndikator

QUEUE_AGE_BUCKETS = [(0, 7), (8, 14), (15, 30), (31, None)]


def kecamatan_in_scope(user):
    return Wilayah.objects.filter(region_q(user, "kode"), tingkat=3).order_by("nama", "kode")


def psm_for(user, kecamatan: str = ""):
    psms = psm_visible_to(user)
    if kecamatan:
        psms = psms.filter(desa_tugas__kode__startswith=f"{kecamatan}.")
    return psms


def psm_scored(user, tahun: int, kecamatan: str = ""):
    """The PSM in ``user``'s scope a year's ranking and recaps score: those who served in it."""
    return psm_for(user, kecamatan).filter(indicators.served_in(tahun))


def desa_for(user, kecamatan: str = ""):
    desa = Wilayah.objects.filter(region_q(user, "kode"), tingkat=4)
    if kecamatan:
        desa = desa.filter(kode__startswith=f"{kecamatan}.")
    return desa


def cases_for(user, kecamatan: str = ""):
    cases = cases_visible_to(user)
    if kecamatan:
        cases = cases.filter(desa__kode__startswith=f"{kecamatan}.")
    return cases


def dashboard(user, *, tahun: int, kecamatan: str = "", today: dt.date) -> dict:
    """Key figures and chart series for one year and (optionally) one kecamatan."""
    period = Period.year(tahun)
    psms = psm_for(user, kecamatan)
    desa = desa_for(user, kecamatan)
    by_status = dict(psms.values_list("status").annotate(n=Count("pk")).order_by())
    cases = cases_for(user, kecamatan).filter(
        SUBMITTED, tanggal__gte=period.mulai, tanggal__lte=period.sampai
    )
    per_month = dict(
        cases.annotate(m=ExtractMonth("tanggal"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    acts_per_month = dict(
        Kegiatan.objects.filter(
            psm__in=psms.values("pk"),
            status__in=indicators.COUNTED_ACTIVITIES,
            tanggal__gte=period.mulai,
            tanggal__lte=period.sampai,
        )
        .annotate(m=ExtractMonth("tanggal"))
        .values_list("m")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_category = list(
        cases.values_list("kategori_utama__singkatan")
        .annotate(n=Count("pk"))
        .order_by("-n", "kategori_utama__singkatan")[:10]
    )
    now = timezone.now()
    day = dt.timedelta(days=1)

    def age_between(low, high):  # whole days waited since sent, as (now - since).days counts
        q = Q(diajukan_pada__lte=now - low * day)
        return q & Q(diajukan_pada__gt=now - (high + 1) * day) if high is not None else q

    queue = (
        cases_for(user, kecamatan)
        .filter(
            # a reader who reviews nothing (a supervisor) sees all that waits, at the office too
            status__in=queue_statuses(user)
            or [StatusAsesmen.DIAJUKAN, StatusAsesmen.DIVERIFIKASI_KECAMATAN],
            diajukan_pada__isnull=False,
        )
        .aggregate(
            n=Count("pk"),
            oldest=Min("diajukan_pada"),
            **{
                f"b{i}": Count("pk", filter=age_between(low, high))
                for i, (low, high) in enumerate(QUEUE_AGE_BUCKETS)
            },
        )
    )
    stalled, stalled_days = stalled_referrals(user, today=today, kecamatan=kecamatan)
    office = indicators.office_figures(psms, desa, period, today)
    as_of = indicators.inactive_as_of(tahun, today)
    return {
        "tahun": tahun,
        "kecamatan": kecamatan,
        "psm_total": sum(by_status.values()),
        "psm_by_status": {s.value: by_status.get(s.value, 0) for s in StatusPsm},
        "psm_tidak_aktif": indicators.inactive_psm(psms, as_of, today=today).count(),
        # what that is out of: the PSM aktif on the same day (a past year's 31 December; the
        # count by status above is today's)
        "psm_aktif_per": by_status.get(StatusPsm.AKTIF, 0)
        if as_of == today
        else psms.filter(
            indicators.aktif_as_of(as_of, today=today), tanggal_bergabung__lte=as_of
        ).count(),
        "desa_total": desa.count(),
        "office": office,
        "office_rows": [
            (d, office.get(d.cara_hitung))
            for d in indicators.definitions(period.sampai, TingkatIndikator.KANTOR)
        ],
        "kasus_tahun_ini": sum(per_month.values()),
        # Months and ages as numbers: the page names them in the reader's language.
        "trend": [(m, per_month.get(m, 0), acts_per_month.get(m, 0)) for m in range(1, 13)],
        "per_category": per_category,
        "antrean": queue["n"],
        "antrean_tertua": (now - queue["oldest"]).days if queue["oldest"] else 0,
        "antrean_umur": [
            ((low, high), queue[f"b{i}"]) for i, (low, high) in enumerate(QUEUE_AGE_BUCKETS)
        ],
        "rujukan_macet": stalled.count(),
        "rujukan_macet_hari": stalled_days,
        "coverage": coverage_by_kecamatan(user, kecamatan),
    }


# Length of a Kemendagri code per level: provinsi, kab/kota, kecamatan, desa/kelurahan.
CODE_LENGTH = {1: 2, 2: 5, 3: 8, 4: 13}
COVERAGE_PER_PROVINCE_FROM = 6  # provinces in a scope


def coverage_by_kecamatan(user, kecamatan: str = "") -> list[dict]:
    """Coverage one level below what is shown: per desa inside a chosen kecamatan, otherwise per
    kecamatan for a kab/kota office, per kab/kota for a provincial account, per province for an
    account over six provinces or more and an administrator without a scope (never hundreds of
    rows). Each row: desa, desa with an active PSM, active PSM."""
    desa = desa_for(user, kecamatan)
    # The level below the broadest scope code ("33" -> kab/kota, "33.71" -> kecamatan); an
    # account over many provinces gets one row per province, not 514 kab/kota.
    codes = user.scope_codes
    below_scope = min((code.count(".") + 2 for code in codes), default=1)
    provinces = sum(1 for code in codes if "." not in code)
    if provinces >= COVERAGE_PER_PROVINCE_FROM:
        below_scope = 1
    level = 4 if kecamatan else min(3, below_scope)
    width = CODE_LENGTH[level]
    names = dict(
        Wilayah.objects.filter(region_q(user, "kode"), tingkat=level)
        .filter(kode__startswith=kecamatan)
        .values_list("kode", "nama")
    )
    rows = {
        code: {"kode": code, "nama": name, "tingkat": level, "desa": 0, "tercakup": 0, "psm": 0}
        for code, name in names.items()
    }
    covered = set(
        Psm.objects.filter(status=StatusPsm.AKTIF, desa_tugas__in=desa).values_list(
            "desa_tugas_id", flat=True
        )
    )
    for code in desa.values_list("kode", flat=True):
        row = rows.get(code[:width])
        if row is not None:
            row["desa"] += 1
            row["tercakup"] += code in covered
    active = (
        psm_for(user, kecamatan)
        .filter(status=StatusPsm.AKTIF)
        .annotate(g=Substr("desa_tugas_id", 1, width))
        .values_list("g")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for code, n in active:
        if code in rows:
            rows[code]["psm"] = n
    return sorted(rows.values(), key=lambda r: (r["nama"], r["kode"]))


def ppks_recap(user, *, tahun: int, kecamatan: str = "") -> dict:
    """Submitted assessments per PPKS category (primary) and per desa/kelurahan in one year."""
    period = Period.year(tahun)
    cases = cases_for(user, kecamatan).filter(
        SUBMITTED, tanggal__gte=period.mulai, tanggal__lte=period.sampai
    )
    per_category = dict(cases.values_list("kategori_utama_id").annotate(n=Count("pk")).order_by())
    categories = [
        (k.kode, k.singkatan, k.nama, per_category.get(k.pk, 0))
        for k in KategoriPpks.objects.order_by("kode")
    ]
    per_desa = list(
        cases.values("desa__kode", "desa__nama", "desa__induk__nama")
        .annotate(
            n=Count("pk"),
            verified=Count("pk", filter=indicators.VERIFIED),
        )
        .order_by("desa__induk__nama", "desa__nama", "desa__kode")
    )
    return {
        "categories": categories,
        "per_desa": per_desa,
        "total": sum(per_category.values()),
        "total_verified": sum(r["verified"] for r in per_desa),
    }


def years_available(today: dt.date) -> list[int]:
    """From the first year on record (at least the last three years), newest first."""
    first = Asesmen.objects.order_by("tanggal").values_list("tanggal", flat=True).first()
    start = min(first.year if first else today.year, today.year - 2)
    return list(range(today.year, start - 1, -1))
