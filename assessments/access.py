"""Loaders for PPKS cases and subjects. A PSM sees only the cases they created; everyone else only
their region (the subject's desa of domicile), and there not a PSM's draft: until the PSM submits
it, it is their unfinished notes (an office draft, of a case the office itself records, is the
office's). Outside that: 404, as if the case did not exist.

Cases touching specific personal data (UU 27/2022 Pasal 4: health, children, criminal records,
finances) show their details only to roles holding ``ppks.view_sensitive`` (as
:func:`holds_specific_data_right` reads it) and to the PSM who wrote them, and every such view is
written to the audit log by :func:`audit_sensitive_view`.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from assessments.models import Asesmen, Sensitivitas, StatusAsesmen, Subjek
from psm_portal import audit
from psm_portal.access import Perm, has_permission, region_q
from psm_portal.models import AuditEvent, Role, User
from psm_portal.office import current_office

ADULT_AGE = 18


def cases_visible_to(user):
    if not has_permission(user, Perm.PPKS_VIEW):
        return Asesmen.objects.none()
    if user.role == Role.PSM:
        return Asesmen.objects.filter(psm_id=user.psm_id) if user.psm_id else Asesmen.objects.none()
    return Asesmen.objects.filter(region_q(user, "desa__kode")).exclude(others_drafts(user))


def others_drafts(user) -> Q:
    """A PSM's unsent drafts, which are their notes until sent: not the office's to read."""
    drafts = Q(status=StatusAsesmen.DRAF, psm__isnull=False)
    if user.psm_id:  # an office account that is also a PSM keeps its own drafts
        drafts &= ~Q(psm_id=user.psm_id)
    return drafts


def referrals_visible_to(user) -> Q:
    """A filter on referrals matching ``cases_visible_to``, on the referral's own joins (not an
    IN over every visible case id: two million of them at the national preset)."""
    if not has_permission(user, Perm.PPKS_VIEW):
        return Q(pk__in=[])
    if user.role == Role.PSM:
        return Q(asesmen__psm_id=user.psm_id) if user.psm_id else Q(pk__in=[])
    return region_q(user, "asesmen__desa__kode")


def subjects_visible_to(user):
    if not has_permission(user, Perm.PPKS_VIEW):
        return Subjek.objects.none()
    if user.role == Role.PSM:
        return Subjek.objects.filter(asesmen_set__psm_id=user.psm_id).distinct()
    # A person a PSM has only drafted so far is in their notes, not yet the office's (the case
    # answered 404 while its subject's page showed the name and NIK). A subject with no case at
    # all (a duplicate merged away) stays the office's.
    cases = Asesmen.objects.filter(subjek=OuterRef("pk"))
    drafted_only = Exists(cases.filter(others_drafts(user))) & ~Exists(
        cases.exclude(others_drafts(user))
    )
    return Subjek.objects.filter(region_q(user, "desa__kode")).exclude(drafted_only)


CASE_RELATED = ("subjek__desa__induk", "psm", "kategori_utama", "desa__induk", "dibuat_oleh")


def get_case_for_user(
    user, pk, *, perm: Perm = Perm.PPKS_VIEW, related: tuple[str, ...] = CASE_RELATED
) -> Asesmen:
    """The case if ``user`` may see it (404 otherwise), with ``related`` joined. Each join costs
    PostgreSQL planning time: all of CASE_RELATED (eight joins) take 4 ms to plan for a 0.2 ms
    lookup, so a page needing fewer asks for fewer."""
    case = cases_visible_to(user).select_related(*related).filter(pk=pk).first()
    if case is None:
        raise Http404
    if not has_permission(user, perm):
        raise PermissionDenied
    return case


def get_subject_for_user(user, pk) -> Subjek:
    subject = subjects_visible_to(user).select_related("desa__induk").filter(pk=pk).first()
    if subject is None:
        raise Http404
    return subject


def is_author(user, case: Asesmen) -> bool:
    return wrote(user, psm_id=case.psm_id, dibuat_oleh_id=case.dibuat_oleh_id)


def wrote(user, *, psm_id, dibuat_oleh_id) -> bool:
    """Whether ``user`` wrote the case with these columns (``is_author`` for a value row): as
    its PSM, or as the office account that recorded a case with no PSM."""
    return bool(user.psm_id and psm_id == user.psm_id) or (
        psm_id is None and dibuat_oleh_id == user.pk
    )


def sensitivity_of(case: Asesmen, categories=None, disabilities=None) -> set[str]:
    """The specific-data classes a case touches: its categories'; health when it records a
    disability or the subject's physical and health condition, whatever its categories (UU
    27/2022 Pasal 4 names health data, and domain.md disability type and severity: an elderly
    person's case showed them to every role); and, for a child, 'anak'."""
    categories = categories if categories is not None else case.kategori.all()
    classes = {k.sensitivitas for k in categories if k.sensitivitas != Sensitivitas.UMUM}
    if (
        case.tingkat_disabilitas
        or case.kondisi_fisik.strip()
        or (bool(disabilities) if disabilities is not None else case.disabilitas.exists())
    ):
        classes.add(Sensitivitas.KESEHATAN)
    age = case.subjek.umur(case.tanggal)
    if age is not None and age < ADULT_AGE:
        classes.add(Sensitivitas.ANAK)
    return classes


# The fields of a case that hold specific data whatever its current categories: what an earlier
# version held in them is shown (the version diff) only to who may see specific data.
SPECIFIC_DATA_FIELDS = frozenset(
    {"kategori", "kategori_utama", "disabilitas", "tingkat_disabilitas", "kondisi_fisik"}
)


def uses_kecamatan_level() -> bool:
    """Whether this office has kecamatan verifiers check cases before it does (Kantor)."""
    office = current_office()
    return bool(office and office.menggunakan_verifikator_kecamatan)


def desa_without_verifier(desa: set[str]) -> set[str]:
    """Those of ``desa`` no active verifier account covers (a scope of the desa, its kecamatan
    or a region above): a case submitted there would wait for good at the kecamatan step, so
    the office verifies it itself (``services._step_allowed``). One query, none for an empty
    set."""
    if not desa:
        return set()
    # the desa's own code, its kecamatan's, kab/kota's and province's ("33.71.01.2001" ... "33")
    around = {code.rsplit(".", n)[0] for code in desa if code for n in range(4)}
    covered = set(
        User.objects.filter(
            role=Role.VERIFIKATOR, is_active=True, scope__kode__in=around
        ).values_list("scope__kode", flat=True)
    )
    return {
        code
        for code in desa
        if code and not any(code == c or code.startswith(f"{c}.") for c in covered)
    }


def holds_specific_data_right(user) -> bool:
    """``ppks.view_sensitive`` as this office uses it. A kecamatan verifier holds it to check
    cases before the office does; in an office that has no kecamatan step (Kantor setting) they
    review nothing, and least privilege (UU 27/2022 Pasal 35-39) leaves them without it."""
    if not has_permission(user, Perm.PPKS_VIEW_SENSITIVE):
        return False
    if user.role != Role.VERIFIKATOR:
        return True
    # Kept on the request's user: a case page asks three times (details, specific data, NIK).
    if not hasattr(user, "_kecamatan_step"):
        user._kecamatan_step = uses_kecamatan_level()
    return user._kecamatan_step


def may_see_specific_data(user, case: Asesmen) -> bool:
    return is_author(user, case) or holds_specific_data_right(user)


def names_category(user, case: Asesmen, specific_right: bool) -> bool:
    """Whether ``case``'s primary category may be named beside its person to ``user``: one that
    is itself specific personal data (ODHA, NAPZA, ABH...) only to whoever may see the case's
    details, as on its page (``specific_right``: ``holds_specific_data_right``, read once for a
    list). The case list and a subject's page name it so; the subject's page audits it."""
    return not case.kategori_utama.sensitivitas or specific_right or is_author(user, case)


def may_see_details(user, case: Asesmen, sensitive: set[str]) -> bool:
    return not sensitive or may_see_specific_data(user, case)


def may_see_nik(user, case: Asesmen) -> bool:
    return may_see_specific_data(user, case)


LISTED = "asesmen.view_sensitive_list"


def audit_categories_listed(user, listed) -> None:
    """The same for a list (the review queue, the case list) that names a case's specific-data
    category (ODHA, NAPZA, ABH...) beside its person: that says as much about them as the case
    page's heading. One entry per case so named, reader and day, in that case's trail: a
    reviewer reloads the queue all day, and the trail says which categories they saw named that
    day, not each reload (a list naming one not said yet that day is written again); the case
    page's reads are each kept.
    ``listed``: (case id, the sensitivities named, the case's ``psm_id`` and ``dibuat_oleh_id``)
    of the rows shown; what the user wrote themselves is their own notes, not a read. One query
    for the day's entries already there, one INSERT for the rest."""
    named = {
        str(pk): kinds
        for pk, kinds, psm_id, dibuat_oleh_id in listed
        if kinds and not wrote(user, psm_id=psm_id, dibuat_oleh_id=dibuat_oleh_id)
    }
    if not named:
        return
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    recorded = AuditEvent.objects.filter(
        target_type="assessments.asesmen",
        target_id__in=list(named),
        created_at__gte=today,
        action=LISTED,
        actor_id=user.pk,
    ).values_list("target_id", "after")
    said: dict[str, set] = {}
    for pk, after in recorded:
        said.setdefault(pk, set()).update((after or {}).get("data_spesifik", ()))
    # a case whose every category named now was said today is left; one naming more (the queue
    # names every category, the case list the main one) or changed since is written again
    named = {pk: kinds for pk, kinds in named.items() if not set(kinds) <= said.get(pk, set())}
    if named:
        AuditEvent.objects.bulk_create(
            audit.build(
                by=user,
                action=LISTED,
                target_type="assessments.asesmen",
                target_id=pk,
                target_label=f"Asesmen #{pk}",
                after={"data_spesifik": sorted(kinds)},
            )
            for pk, kinds in named.items()
        )


def audit_sensitive_view(
    user, case: Asesmen, sensitive: set[str], *, photo=None, referral=None
) -> None:
    """UU 27/2022 Pasal 31: who read which record of specific personal data, and when. A photo
    of such a case, or a referral's proof (the programme's letter about the person), is a read
    of its own: its address can be opened without the case page."""
    if sensitive:
        after = {"data_spesifik": sorted(sensitive)}
        action = "asesmen.view_sensitive"
        if photo is not None:
            after["foto"], action = photo.pk, "asesmen.view_sensitive_photo"
        if referral is not None:
            after["rujukan"], action = referral.pk, "asesmen.view_sensitive_proof"
        audit.record(
            by=user,
            action=action,
            target=case,
            target_label=f"Asesmen #{case.pk}",
            after=after,
        )
