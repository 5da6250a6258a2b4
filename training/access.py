"""Loaders for training objects. An event belongs to the kab/kota or province that organises it:
staff see the events of their scope and of the regions above it (a provincial Bimtek is open to
a kab/kota's PSM); a PSM sees the events above their desa. Outside that: 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from psm_portal.access import Perm, has_permission, region_q
from psm_portal.models import Role
from training.models import BimtekEvent, Peserta, StatusEvent


def ancestor_codes(code: str) -> list[str]:
    """33.71.01.1003 -> [33, 33.71, 33.71.01]."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def events_visible_to(user):
    if not has_permission(user, Perm.TRAINING_VIEW):
        return BimtekEvent.objects.none()
    if user.role == Role.PSM:  # the events above their desa, once announced (not drafts)
        desa = user.psm.desa_tugas_id if user.psm_id else ""
        return BimtekEvent.objects.filter(wilayah__kode__in=ancestor_codes(desa)).exclude(
            status=StatusEvent.DRAFT
        )
    if not user.scope_codes:
        return BimtekEvent.objects.filter(region_q(user, "wilayah__kode"))  # admin: all
    inside = region_q(user, "wilayah__kode")
    if not inside:  # every region (a national scope): OR-ing anything to Q() would narrow it
        return BimtekEvent.objects.all()
    above = {a for code in user.scope_codes for a in ancestor_codes(code)}
    return BimtekEvent.objects.filter(inside | Q(wilayah__kode__in=above))


def get_event_for_user(user, pk, *, perm: Perm = Perm.TRAINING_VIEW) -> BimtekEvent:
    event = events_visible_to(user).select_related("wilayah").filter(pk=pk).first()
    if event is None:
        raise Http404
    if not has_permission(user, perm):
        raise PermissionDenied
    if perm == Perm.TRAINING_MANAGE and not _manages(user, event):
        raise PermissionDenied  # a provincial event seen from a kab/kota: read-only there
    return event


def _manages(user, event) -> bool:
    codes = user.scope_codes
    if not codes:
        return user.role == Role.ADMIN
    return any(event.wilayah_id == c or event.wilayah_id.startswith(f"{c}.") for c in codes)


def can_manage(user, event) -> bool:
    return has_permission(user, Perm.TRAINING_MANAGE) and _manages(user, event)


def get_enrolment_for_user(user, pk) -> Peserta:
    """An enrolment: its event's managers may act on it, and the PSM on their own."""
    enrolments = Peserta.objects.select_related("event__wilayah", "psm__desa_tugas__induk")
    if user.role == Role.PSM:
        # Their own, wherever they serve now: a PSM who moved to another desa keeps their
        # certificates, though the event's region no longer shows them its events.
        enrolment = enrolments.filter(pk=pk, psm_id=user.psm_id).first() if user.psm_id else None
        if enrolment is None:
            raise Http404
        return enrolment
    enrolment = enrolments.filter(pk=pk, event__in=events_visible_to(user)).first()
    if enrolment is None:
        raise Http404
    if not can_manage(user, enrolment.event):
        raise PermissionDenied
    return enrolment
