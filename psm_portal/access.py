"""The one access policy: a permission vocabulary, the roles that hold each permission, and the
region scope every query is filtered by.

Views never test roles or ``is_staff`` themselves: they load objects through an app's access helpers
(``registry.access``), which answer 404 for what lies outside the user's scope and 403 when the
role may read but not do what was asked.
"""

import time
from enum import StrEnum

from django.db.models import Q

from psm_portal.models import Role


class Perm(StrEnum):
    PSM_VIEW = "psm.view"
    PSM_VIEW_NIK = "psm.view_nik"
    PSM_CREATE = "psm.create"
    PSM_EDIT = "psm.edit"
    PSM_CHANGE_STATUS = "psm.change_status"
    PSM_IMPORT = "psm.import"
    PSM_EXPORT = "psm.export"
    PSM_CARD = "psm.card"
    COVERAGE_VIEW = "wilayah.coverage"
    AUDIT_VIEW = "audit.view"
    TRAINING_VIEW = "training.view"
    TRAINING_MANAGE = "training.manage"
    TRAINING_ENROL_SELF = "training.enrol_self"
    TRAINING_RECAP = "training.recap"
    PPKS_VIEW = "ppks.view"
    PPKS_VIEW_SENSITIVE = "ppks.view_sensitive"
    PPKS_CREATE = "ppks.create"
    PPKS_REVIEW_KECAMATAN = "ppks.review_kecamatan"
    PPKS_REVIEW = "ppks.review"
    PPKS_REFER = "ppks.refer"
    PPKS_MERGE = "ppks.merge"
    PPKS_CORRECT = "ppks.correct"
    PPKS_EXPORT = "ppks.export"
    ACTIVITY_RECORD = "activity.record"
    ACTIVITY_VIEW = "activity.view"
    ACTIVITY_VERIFY = "activity.verify"
    REPORT_VIEW = "report.view"
    EVALUATION_EDIT = "evaluation.edit"


_STAFF = {
    Perm.PSM_VIEW,
    Perm.PSM_VIEW_NIK,
    Perm.PSM_CREATE,
    Perm.PSM_EDIT,
    Perm.PSM_CHANGE_STATUS,
    Perm.PSM_IMPORT,
    Perm.PSM_EXPORT,
    Perm.PSM_CARD,
    Perm.COVERAGE_VIEW,
    Perm.AUDIT_VIEW,
    Perm.TRAINING_VIEW,
    Perm.TRAINING_MANAGE,
    Perm.TRAINING_RECAP,
    Perm.PPKS_VIEW,
    Perm.PPKS_VIEW_SENSITIVE,
    Perm.PPKS_CREATE,
    Perm.PPKS_REVIEW,
    Perm.PPKS_REFER,
    Perm.PPKS_MERGE,
    Perm.PPKS_CORRECT,
    Perm.PPKS_EXPORT,
    Perm.ACTIVITY_VIEW,
    Perm.ACTIVITY_VERIFY,
    Perm.REPORT_VIEW,
}
ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.STAF: frozenset(_STAFF),
    # Supervisors read, export and sign; they do not need a PSM's full NIK, nor the specific
    # personal data (health, children, criminal records, finances) inside PPKS cases.
    Role.SUPERVISOR: frozenset(
        {
            Perm.PSM_VIEW,
            Perm.PSM_EXPORT,
            Perm.PSM_CARD,
            Perm.COVERAGE_VIEW,
            Perm.AUDIT_VIEW,
            Perm.TRAINING_VIEW,
            Perm.TRAINING_RECAP,
            Perm.PPKS_VIEW,
            Perm.ACTIVITY_VIEW,
            Perm.REPORT_VIEW,
            # The yearly evaluation and the PSM berprestasi nomination are the supervisor's.
            Perm.EVALUATION_EDIT,
        }
    ),
    # The kecamatan verifier checks the cases of their kecamatan before the office does.
    Role.VERIFIKATOR: frozenset(
        {
            Perm.PSM_VIEW,
            Perm.COVERAGE_VIEW,
            Perm.TRAINING_VIEW,
            Perm.TRAINING_RECAP,
            Perm.PPKS_VIEW,
            Perm.PPKS_VIEW_SENSITIVE,
            Perm.PPKS_REVIEW_KECAMATAN,
            Perm.ACTIVITY_VIEW,
        }
    ),
    # A PSM sees their own record (NIK included: it is theirs), prints their own card, enrols
    # themselves in open training, and assesses cases (seeing only the cases they created).
    Role.PSM: frozenset(
        {
            Perm.PSM_VIEW,
            Perm.PSM_VIEW_NIK,
            Perm.PSM_CARD,
            Perm.TRAINING_VIEW,
            Perm.TRAINING_ENROL_SELF,
            Perm.PPKS_VIEW,
            Perm.PPKS_CREATE,
            Perm.ACTIVITY_VIEW,
            Perm.ACTIVITY_RECORD,
        }
    ),
}


def has_permission(user, perm: Perm, obj=None) -> bool:
    """Whether ``user``'s role grants ``perm``. With ``obj``, the object must also be in scope
    (callers that loaded ``obj`` through an access helper already know it is)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if perm not in ROLE_PERMISSIONS.get(user.role, ()):
        return False
    if obj is not None and user.role == Role.PSM:
        return getattr(obj, "pk", None) == user.psm_id and obj._meta.model_name == "psm"
    return True


# A scope listing this many codes may be the whole country (38 provinces); see region_q.
NATIONAL_SCOPE_MIN_CODES = 30


def region_q(user, lookup: str) -> Q:
    """A filter keeping rows whose Kemendagri code at ``lookup`` lies inside the user's scope.

    An administrator without a scope sees everything; anyone else without a scope sees nothing.
    """
    codes = outermost_scope(user)
    if sees_the_whole_country(user):
        # An administrator without a scope, or a national account: every row is in scope. 76
        # OR'ed LIKEs would make PostgreSQL scan and test every row of the table instead
        # (measured: 120 ms for a count of PSM).
        return Q()
    if not codes:
        return Q(pk__in=[])
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{lookup: code}) | Q(**{f"{lookup}__startswith": f"{code}."})
    return q


def outermost_scope(user) -> tuple[str, ...]:
    """The account's scope codes without those inside another one, kept on the user object for
    the request, like scope_codes."""
    codes = getattr(user, "_outermost_codes", None)
    if codes is None:
        codes = user._outermost_codes = _outermost(user.scope_codes)
    return codes


def sees_the_whole_country(user) -> bool:
    """An administrator without a scope, or an account holding every province."""
    codes = outermost_scope(user)
    if not codes:
        return user.role == Role.ADMIN
    return len(codes) >= NATIONAL_SCOPE_MIN_CODES and _covers_every_province(user, codes)


def spans_a_province(user) -> bool:
    """Whether the scope holds a whole province or more (no scope: an administrator's country).
    Such scopes list regions and compute figures differently: there are thousands of them."""
    codes = user.scope_codes
    return not codes or min(code.count(".") for code in codes) == 0


def _outermost(codes) -> tuple[str, ...]:
    """Scope codes without those inside another one (33.71 is inside 33)."""
    held = set(codes)
    return tuple(c for c in codes if not any(parent in held for parent in _parents(c)))


def _parents(code: str):
    """33.71.01 -> 33, 33.71."""
    parts = code.split(".")
    return (".".join(parts[:i]) for i in range(1, len(parts)))


def _covers_every_province(user, codes) -> bool:
    """Asked once per request (kept on the user object) for accounts listing 30+ codes."""
    if getattr(user, "_covers_every_province", None) is None:
        provinces = _province_codes()
        user._covers_every_province = bool(provinces) and set(codes) >= provinces
    return user._covers_every_province


# Provinces change only when load_regions adds one (which calls forget_province_codes); another
# process catches up within this many seconds. Until then the one thing an account listing every
# other province could see is a province loaded moments ago, with no PSM or case in it yet.
PROVINCE_CODES_SECONDS = 300
_provinces: tuple[float, frozenset[str]] | None = None


def _province_codes() -> frozenset[str]:
    """The provinces loaded, kept per process (asked only for accounts listing 30+ codes, on
    every request of theirs: one query each before)."""
    global _provinces
    now = time.monotonic()
    if _provinces is None or now - _provinces[0] > PROVINCE_CODES_SECONDS:
        from registry.models import Wilayah

        codes = frozenset(Wilayah.objects.filter(tingkat=1).values_list("kode", flat=True))
        if not codes:  # regions not loaded yet: nothing to keep
            return codes
        _provinces = (now, codes)
    return _provinces[1]


def forget_province_codes() -> None:
    global _provinces
    _provinces = None
