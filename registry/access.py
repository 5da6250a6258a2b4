"""Loaders for registry objects: everything a request touches comes through here.

Outside the user's scope -> 404 (we do not even confirm the record exists);
inside the scope but without the permission asked for -> 403.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from psm_portal.access import Perm, has_permission, region_q
from psm_portal.models import Role
from registry.models import Kegiatan, Psm, Wilayah


def psm_visible_to(user):
    """The PSM rows ``user`` may see at all."""
    if not has_permission(user, Perm.PSM_VIEW):
        return Psm.objects.none()
    if user.role == Role.PSM:
        return Psm.objects.filter(pk=user.psm_id)
    return Psm.objects.filter(region_q(user, "desa_tugas__kode"))


def get_psm_for_user(user, pk, *, perm: Perm = Perm.PSM_VIEW) -> Psm:
    try:
        psm = (
            psm_visible_to(user)
            .select_related("desa_tugas__induk", "desa_ktp__induk", "desa_domisili__induk")
            .get(pk=pk)
        )
    except (Psm.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not has_permission(user, perm, psm):
        raise PermissionDenied
    return psm


def require(user, perm: Perm) -> None:
    """For views that touch no single object (lists, imports): 403 without the permission."""
    if not has_permission(user, perm):
        raise PermissionDenied


def desa_in_scope(user):
    """Desa/kelurahan the user may assign PSM to, with their kecamatan loaded."""
    return (
        Wilayah.objects.filter(tingkat=4)
        .filter(region_q(user, "kode"))
        .select_related("induk")
        .order_by("induk__nama", "nama", "kode")
    )


def regions_in_scope(user) -> dict:
    """Kab/kota, kecamatan and desa/kelurahan the user may filter by (lazy querysets)."""
    scoped = Wilayah.objects.filter(region_q(user, "kode"))
    return {
        "kabkota": scoped.filter(tingkat=2),
        "kecamatan": scoped.filter(tingkat=3),
        "desa": scoped.filter(tingkat=4),
    }


def activities_visible_to(user):
    """Activities ``user`` may see: a PSM their own, everyone else those of PSM in their region."""
    if not has_permission(user, Perm.ACTIVITY_VIEW):
        return Kegiatan.objects.none()
    if user.role == Role.PSM:
        return Kegiatan.objects.filter(psm_id=user.psm_id)
    return Kegiatan.objects.filter(region_q(user, "psm__desa_tugas__kode"))


def get_activity_for_user(user, pk, *, perm: Perm = Perm.ACTIVITY_VIEW):
    try:
        kegiatan = (
            activities_visible_to(user)
            .select_related("psm__desa_tugas__induk", "desa__induk", "diverifikasi_oleh")
            .get(pk=pk)
        )
    except (Kegiatan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not has_permission(user, perm):
        raise PermissionDenied
    return kegiatan
