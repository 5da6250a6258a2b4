"""Reads of the registry, scoped to the user and with related rows pre-loaded."""

from django.db.models import Count, Q

from psm_portal.access import region_q
from registry.access import desa_in_scope, kecamatan_in_scope, psm_visible_to
from registry.filters import PsmFilter
from registry.models import Psm, StatusPsm, Wilayah


def psm_filter(user, params) -> PsmFilter:
    """The filtered, ordered PSM list of ``user``; ``.qs`` is ready for paging or export."""
    base = (
        psm_visible_to(user)
        .select_related("desa_tugas__induk")
        .prefetch_related("spesialisasi", "bimtek_set")
    )
    fs = PsmFilter(
        params or None,
        queryset=base,
        kecamatan_qs=kecamatan_in_scope(user),
        desa_qs=desa_in_scope(user),
    )
    return fs


def psm_filtered_queryset(fs: PsmFilter):
    return fs.qs.order_by(*fs.ordering())


def psm_profile(psm: Psm) -> dict:
    """Everything the profile page shows about one PSM, in a fixed number of queries."""
    history = psm.riwayat_status.select_related("actor").order_by("-tanggal_efektif", "-pk")
    return {
        "spesialisasi": list(psm.spesialisasi.order_by("nama")),
        "riwayat_status": list(history),
        "sk_list": list(psm.sk_set.order_by("-tanggal_sk", "-pk")),
        "bimtek_list": list(psm.bimtek_set.order_by("tanggal", "pk")),
        "ipsm_list": list(psm.ipsm_set.order_by("-periode_mulai", "-pk")),
        "bantuan_list": list(psm.bantuan_set.order_by("-tanggal", "-pk")),
        "penghargaan_list": list(psm.penghargaan_set.order_by("-tahun", "-pk")),
    }


def psm_audit_trail(psm: Psm, limit: int = 50):
    from psm_portal.models import AuditEvent

    return AuditEvent.objects.filter(target_type="registry.psm", target_id=str(psm.pk)).order_by(
        "-created_at", "-pk"
    )[:limit]


def coverage(user):
    """Every desa/kelurahan in scope with its number of active PSM, grouped by kecamatan."""
    desa = (
        Wilayah.objects.filter(tingkat=4)
        .filter(region_q(user, "kode"))
        .select_related("induk")
        .annotate(
            psm_aktif=Count("psm_set", filter=Q(psm_set__status=StatusPsm.AKTIF)),
            psm_total=Count("psm_set"),
        )
        .order_by("induk__nama", "nama", "kode")
    )
    return list(desa)
