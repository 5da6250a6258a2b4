"""Every write of PPKS case work: subjects, assessments and their review chain, referrals.

The review chain is one table (TRANSITIONS) and one function (:func:`assessment_transition`):
an illegal step is refused with a reason, every step records actor, time and note, and the case
row is locked so two reviewers acting at once cannot both win.
"""

import datetime as dt
import hashlib
import uuid
from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.access import (
    ADULT_AGE,
    desa_without_verifier,
    is_author,
    others_drafts,
    uses_kecamatan_level,
)
from assessments.models import (
    NEEDS_SCORED,
    AlasanTutup,
    AnggotaKeluarga,
    Asesmen,
    AsesmenFoto,
    AsesmenVersi,
    HubunganKeluarga,
    JenisAsesmen,
    JenisSubjek,
    KategoriPpks,
    LangkahRujukan,
    PemberiPersetujuan,
    Program,
    Rujukan,
    Sensitivitas,
    SinkronPerangkat,
    StatusAsesmen,
    StatusRujukan,
    Subjek,
    Transisi,
)
from psm_portal import audit
from psm_portal.access import Perm, has_permission
from psm_portal.images import (
    delete_replaced,
    files_removed_on_failure,
    normalised_jpeg,
    store_new_files,
)
from psm_portal.models import AuditEvent
from psm_portal.office import current_office
from psm_portal.text import BIDI_CONTROLS, grouped
from registry.models import Psm, Wilayah
from registry.nik import check_nik, check_no_kk
from registry.regions import kecamatan_in_national_list
from registry.services import work_date_problem
from registry.text import normalise_for_search

S = StatusAsesmen

# status -> statuses it may move to. Who may take each step is decided in _step_allowed.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAF: {S.DIAJUKAN},
    S.DIAJUKAN: {S.DIVERIFIKASI_KECAMATAN, S.DIVERIFIKASI, S.DIKEMBALIKAN, S.DITUTUP},
    S.DIVERIFIKASI_KECAMATAN: {S.DIVERIFIKASI, S.DIKEMBALIKAN},
    S.DIKEMBALIKAN: {S.DIAJUKAN},
    S.DIVERIFIKASI: {S.DIRUJUK, S.DITUTUP},
    S.DIRUJUK: {S.DITUTUP},
    S.DITUTUP: set(),
}
EDITABLE = (S.DRAF, S.DIKEMBALIKAN)
# Closing a remote assessment as handled or not eligible needs the follow-up visit first.
NEEDS_VISIT_TO_CLOSE = (AlasanTutup.DITANGANI, AlasanTutup.TIDAK_LAYAK)


# --- subjects -------------------------------------------------------------------------------


def nik_taken(nik: str, *, exclude_pk=None) -> Subjek | None:
    if not nik:
        return None
    return (
        Subjek.objects.filter(nik=nik, digabung_ke__isnull=True)
        .exclude(pk=exclude_pk)
        .select_related("desa")
        .first()
    )


def likely_duplicates(*, nama: str, tanggal_lahir, desa_id, exclude_pk=None) -> list[Subjek]:
    """Subjects with the same name (ignoring case and accents) and either the same birth date or
    the same desa: probably the same person entered twice."""
    if not nama:
        return []
    same_name = Subjek.objects.filter(
        nama_cari=normalise_for_search(nama), digabung_ke__isnull=True
    ).exclude(pk=exclude_pk)
    matches = same_name.filter(desa_id=desa_id)
    if tanggal_lahir:
        matches = matches | same_name.filter(tanggal_lahir=tanggal_lahir)
    return list(matches.select_related("desa").order_by("pk")[:5])


@transaction.atomic
def subject_create(*, data: dict, by) -> Subjek:
    """A new subject and its audit entry, together or neither."""
    subject = Subjek(**data, dibuat_oleh=by)
    _subject_check(subject)
    _subject_save(subject)
    audit.record(
        by=by,
        action="subjek.create",
        target=subject,
        target_label=f"Subjek #{subject.pk}",
        after=audit.snapshot(subject),
    )
    return subject


@transaction.atomic
def subject_update(*, subject: Subjek, data: dict, by) -> Subjek:
    """A subject's change and its audit entry, together or neither."""
    before = audit.snapshot(subject, masked=False)
    for key, value in data.items():
        setattr(subject, key, value)
    _subject_check(subject)
    old, new = audit.changed(before, audit.snapshot(subject, masked=False))
    if new:  # a form saved as it was changes nothing, not even the row's time
        _subject_save(subject)
        audit.record(
            by=by,
            action="subjek.update",
            target=subject,
            target_label=f"Subjek #{subject.pk}",
            before=old,
            after=new,
        )
    return subject


# The subject's identity as its form holds it: what the case's author may correct while the case
# is theirs (``identity_locked``), and the office corrects (``subject_correct``).
IDENTITY_FIELDS = (
    "jenis",
    "nama",
    "nik",
    "alasan_tanpa_nik",
    "no_kk",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "umur_perkiraan",
    "hubungan_kk",
    "telepon",
    "alamat",
    "rt",
    "rw",
    "desa",
    "status_dtsen",
    "desil",
)


def identity_locked(subject: Subjek) -> bool:
    """Whether the subject's identity is fixed for its registrant: once a case about it has
    gone to the office (submitted, verified, referred or closed), the office has checked, and
    may have referred to a programme, the person as written then; and once the office has
    corrected it (a PSM's form opened before the correction would undo it). A change afterwards
    goes through the office's correction (:func:`subject_correct`), with a reason in the trail.
    A case returned to be fixed does not lock it (the reviewer may have asked for the NIK)."""
    if subject.pk is None:
        return False
    sent = Asesmen.objects.filter(subjek_id=subject.pk).exclude(status__in=EDITABLE)
    corrected = AuditEvent.objects.filter(
        target_type=Subjek._meta.label_lower, target_id=str(subject.pk), action="subjek.koreksi"
    )
    return Subjek.objects.filter(pk=subject.pk).filter(Exists(sent) | Exists(corrected)).exists()


IDENTITY_LOCKED = gettext_lazy(
    "Identitas subjek ini sudah diperiksa dinas (ada asesmennya yang sudah dikirim, atau dinas "
    "sudah mengoreksinya); perbaikannya dilakukan staf dinas (koreksi identitas subjek)."
)


def fields_version(values: dict, names) -> str:
    """A record as a form showed it (``values``: field -> value), a short digest per field in
    ``names``' order: a save over a change made since the form was opened is refused, and the
    fields someone else changed can be named (``fields_changed_since``). Not ``updated_at``: a
    save that changed nothing moved it. Bidi controls left out, as a form sends its fields
    without them (``psm_portal.errors``): a value stored with one before read as typed."""
    return ".".join(
        hashlib.blake2s(
            str("" if values.get(name) is None else values[name]).translate(BIDI_CONTROLS).encode(),
            digest_size=3,
        ).hexdigest()
        for name in names
    )


def fields_changed_since(versi: str, values: dict, names) -> list[str]:
    """The fields of ``values`` that differ from the form that showed ``versi`` (every field
    when ``versi`` is not one)."""
    shown, now = versi.split("."), fields_version(values, names).split(".")
    if len(shown) != len(now):
        return list(names)
    return [name for name, a, b in zip(names, shown, now, strict=True) if a != b]


def _identity_values(subject: Subjek) -> dict:
    return {n: getattr(subject, f"{n}_id" if n == "desa" else n) for n in IDENTITY_FIELDS}


def identity_version(subject: Subjek) -> str:
    """The identity a correction page showed (``fields_version``)."""
    return fields_version(_identity_values(subject), IDENTITY_FIELDS)


def identity_changed_since(versi: str, subject: Subjek) -> list[str]:
    return fields_changed_since(versi, _identity_values(subject), IDENTITY_FIELDS)


@transaction.atomic
def subject_correct(*, subject: Subjek, data: dict, alasan: str, by, versi: str) -> Subjek:
    """The office's correction of a subject's identity (a correction request of the person,
    UU 27/2022 Pasal 30, or a mistake a reviewer found), with the reason in the trail. The row
    is locked and read again, so a merge or retention that went first is seen; ``versi``
    (``identity_version`` of what the page showed): a change made since is not silently undone.
    A corrected desa moves the subject's cases still being worked (as submitting one does): a
    closed case keeps the desa it was closed in."""
    if not has_permission(by, Perm.PPKS_CORRECT):
        raise ValidationError(_("Anda tidak berwenang mengoreksi identitas subjek."))
    if not alasan.strip():
        raise ValidationError({"alasan": _("Tulis alasan koreksi.")})
    subject = Subjek.objects.select_for_update().get(pk=subject.pk)
    if subject.dianonimkan_pada:
        raise ValidationError(ANONYMISED_NO_CORRECTION)
    if subject.digabung_ke_id:
        raise ValidationError(
            _("Subjek ini sudah digabung ke subjek #%(pk)d; koreksi subjek itu.")
            % {"pk": subject.digabung_ke_id}
        )
    if identity_changed_since(versi, subject):
        raise ValidationError(
            _(
                "Identitas subjek ini diubah orang lain sejak halaman ini dibuka (isian yang "
                "diubahnya ada di bawah). Periksa, lalu simpan lagi bila koreksi Anda tetap benar."
            ),
            code="stale",
        )
    before = audit.snapshot(subject, masked=False)
    for key, value in data.items():
        setattr(subject, key, value)
    _subject_check(subject)
    old, new = audit.changed(before, audit.snapshot(subject, masked=False))
    if not new:
        raise ValidationError(_("Tidak ada isian yang berubah."))
    _subject_save(subject)
    moved = 0
    if "desa" in new:
        moved = (
            Asesmen.objects.filter(subjek=subject)
            .exclude(status=S.DITUTUP)
            .exclude(desa_id=subject.desa_id)
            .update(desa_id=subject.desa_id, updated_at=timezone.now())
        )
    audit.record(
        by=by,
        action="subjek.koreksi",
        target=subject,
        target_label=f"Subjek #{subject.pk}",
        before=old,
        after={**new, **({"asesmen_pindah_desa": moved} if moved else {})},
        reason=alasan.strip(),
    )
    return subject


def correction_warnings(subject: Subjek, by) -> list[str]:
    """What the corrected identity (``subject``, not saved) makes doubtful in the subject's cases
    still being worked, as the case form would warn or refuse (a category's age or sex, a
    child's consent): for the office to confirm before saving. PSM drafts left out: they are
    their authors' notes until sent (and checked again then)."""
    warnings = []
    cases = (
        Asesmen.objects.filter(subjek_id=subject.pk)
        .exclude(status=S.DITUTUP)
        .exclude(others_drafts(by))
        .select_related("kategori_utama")
        .prefetch_related("kategori", "disabilitas")
        .order_by("pk")
    )
    for case in cases:
        errors, soft = saved_case_problems(case, subjek=subject)
        for message in [m for ms in errors.values() for m in ms] + list(soft):
            warnings.append(_("Asesmen #%(pk)d: %(pesan)s") % {"pk": case.pk, "pesan": message})
    return warnings


def _nik_taken_error() -> ValidationError:
    return ValidationError({"nik": _("NIK ini sudah terdaftar sebagai subjek PPKS.")})


def _subject_check(subject: Subjek) -> None:
    if subject.jenis == JenisSubjek.ORANG and not subject.nik and not subject.alasan_tanpa_nik:
        raise ValidationError(
            {"alasan_tanpa_nik": _("Isi NIK, atau pilih alasan bila tidak ada NIK.")}
        )
    if subject.nik and nik_taken(subject.nik, exclude_pk=subject.pk):
        raise _nik_taken_error()


def _subject_save(subject: Subjek) -> None:
    """Save a checked subject. The same NIK entered at the same moment in another request passes
    the check too: the loser gets the check's message, not a 500 whose log quotes the NIK."""
    try:
        with transaction.atomic():
            subject.save()
    except IntegrityError:
        raise _nik_taken_error() from None


# What a subject or case erased by retention (``assessments.retention``) answers (lazy: a
# module's constant is read in each request's language, not the one active at import).
ANONYMISED = gettext_lazy(
    "Data pribadi subjek ini sudah dihapus karena masa retensinya berakhir; catat sebagai "
    "subjek baru."
)
ANONYMISED_NO_COPY = gettext_lazy(
    "Data pribadi subjek ini sudah dihapus karena masa retensinya berakhir; tidak ada data "
    "pribadi yang dapat disalin."
)
ANONYMISED_NO_CORRECTION = gettext_lazy(
    "Data pribadi subjek ini sudah dihapus karena masa retensinya berakhir; tidak ada identitas "
    "yang dapat dikoreksi."
)
ANONYMISED_CASE = gettext_lazy(
    "Data pribadi kasus ini sudah dihapus karena masa retensinya berakhir; kasus ini tidak dapat "
    "diubah lagi."
)


# --- Family composition (domain.md section 3.3 D) ----------------------------------------------

# More than a KK holds in practice; a bound on what one subject's page lists and one form adds.
MAX_FAMILY_MEMBERS = 30
FAMILY_FIELDS = (
    "nama",
    "nik",
    "hubungan",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "pekerjaan",
    "penghasilan",
    "periode_penghasilan",
)


def family_refusal(subject: Subjek) -> str | None:
    """Why ``subject``'s family cannot be written, or None: a person erased by retention, a
    duplicate merged away (its family is read with the subject kept), or a community."""
    if subject.dianonimkan_pada:
        return _(
            "Data pribadi subjek ini sudah dihapus karena masa retensinya berakhir; anggota "
            "keluarganya tidak dapat dicatat."
        )
    if subject.digabung_ke_id:
        return _("Subjek ini sudah digabung ke subjek #%(pk)d; catat keluarganya di sana.") % {
            "pk": subject.digabung_ke_id
        }
    if subject.jenis == JenisSubjek.KOMUNITAS:
        return _("Subjek komunitas tidak memiliki susunan keluarga.")
    return None


def _family_check(subject: Subjek, member: AnggotaKeluarga) -> None:
    errors = {}
    others = AnggotaKeluarga.objects.filter(subjek=subject).exclude(pk=member.pk)
    if member.nik and member.nik == subject.nik:
        errors["nik"] = _("NIK ini NIK subjek sendiri, bukan anggota keluarganya.")
    elif member.nik and others.filter(nik=member.nik).exists():
        errors["nik"] = _("NIK ini sudah tercatat pada anggota keluarga lain subjek ini.")
    elif others.filter(nama__iexact=member.nama, tanggal_lahir=member.tanggal_lahir).exists():
        # the same person twice (a form sent twice, from the outbox and again by hand)
        errors["nama"] = _("Anggota keluarga dengan nama dan tanggal lahir ini sudah tercatat.")
    if member.hubungan == HubunganKeluarga.KEPALA:
        if subject.hubungan_kk == HubunganKeluarga.KEPALA:
            errors["hubungan"] = _(
                "Subjek sendiri tercatat sebagai kepala keluarga; pilih hubungan anggota ini "
                "dengan kepala keluarga."
            )
        elif head := others.filter(hubungan=HubunganKeluarga.KEPALA).first():
            errors["hubungan"] = _(
                "Kepala keluarga subjek ini sudah tercatat: %(nama)s. Ubah dulu hubungan "
                "%(nama)s bila kepala keluarganya berganti."
            ) % {"nama": head.nama}
    if member.pk is None and others.count() >= MAX_FAMILY_MEMBERS:
        errors["__all__"] = _("Paling banyak %(n)d anggota keluarga per subjek.") % {
            "n": MAX_FAMILY_MEMBERS
        }
    if errors:
        raise ValidationError(errors)


def family_values(member: AnggotaKeluarga) -> dict:
    return {name: getattr(member, name) for name in FAMILY_FIELDS}


def family_version(values: dict) -> str:
    """A member as a form showed it (``fields_version``)."""
    return fields_version(values, FAMILY_FIELDS)


def family_changed_since(versi: str, values: dict) -> list[str]:
    return fields_changed_since(versi, values, FAMILY_FIELDS)


def family_conflict_version(member: AnggotaKeluarga, shown: str) -> str:
    """What a copy sent anyway after a conflict carries: the member's version now, and the one
    its author's form showed (``family_member_save``)."""
    return f"{family_version(family_values(member))}~{shown.partition('~')[2] or shown}"


FAMILY_CONFLICT = gettext_lazy(
    "Data anggota keluarga ini diubah orang lain sejak formulir Anda dibuka (di bawah). Bila "
    "Anda tetap mengirim, hanya isian yang Anda ubah yang menggantikan isiannya."
)
FAMILY_STALE = gettext_lazy(
    "Data anggota keluarga ini diubah orang lain sejak formulir ini dibuka (yang diubahnya ada "
    "di bawah). Periksa, lalu simpan lagi bila isian Anda tetap benar."
)


@transaction.atomic
def family_member_save(
    *, subject: Subjek, member: AnggotaKeluarga | None, data: dict, by, versi: str | None = None
) -> AnggotaKeluarga:
    """Add a member to ``subject``'s family (``member`` None) or change one, with the change in
    the subject's trail (NIKs masked). The subject's row is locked and read again: a merge or
    retention that went first is seen, and two members added at once are checked one by one.
    ``versi`` (``family_version`` of what the form showed): a change made since is refused with
    ``code="stale"``, not silently undone. A ``versi`` of ``family_conflict_version`` is a copy
    sent anyway after a conflict: it replaces only the fields its author changed from what their
    form showed, not what someone else changed meanwhile."""
    subject = Subjek.objects.select_for_update().get(pk=subject.pk)
    refusal = family_refusal(subject)
    if refusal:
        raise ValidationError(refusal)
    if member is not None:
        member = AnggotaKeluarga.objects.filter(subjek=subject, pk=member.pk).first()
        if member is None:
            raise ValidationError(_("Anggota keluarga ini sudah dihapus orang lain."))
        now, _sep, shown = (versi or "").partition("~")
        if versi is not None and family_changed_since(now, family_values(member)):
            raise ValidationError(FAMILY_STALE, code="stale")
        if shown:
            untouched = set(FAMILY_FIELDS) - set(family_changed_since(shown, data))
            data = {**data, **{name: getattr(member, name) for name in untouched}}
    else:
        member = AnggotaKeluarga(subjek=subject)
    before = audit.snapshot(member, FAMILY_FIELDS, masked=False) if member.pk else {}
    for key in FAMILY_FIELDS:
        blank = None if key in ("tanggal_lahir", "penghasilan") else ""
        setattr(member, key, blank if data.get(key) in (None, "") else data[key])
    _family_check(subject, member)
    old, new = audit.changed(before, audit.snapshot(member, FAMILY_FIELDS, masked=False))
    if not new:
        return member
    adding = member.pk is None
    member.save()
    audit.record(
        by=by,
        action="subjek.keluarga_tambah" if adding else "subjek.keluarga_ubah",
        target=subject,
        target_label=f"Subjek #{subject.pk}",
        before=None if adding else {"anggota": member.pk, **old},
        after={"anggota": member.pk, **new},
    )
    return member


@transaction.atomic
def family_member_delete(*, member: AnggotaKeluarga, by) -> None:
    subject = Subjek.objects.select_for_update().get(pk=member.subjek_id)
    if subject.dianonimkan_pada or subject.digabung_ke_id:
        # (a community's members, left from when it was recorded as a person, may go)
        raise ValidationError(family_refusal(subject))
    deleted, _rows = AnggotaKeluarga.objects.filter(pk=member.pk, subjek=subject).delete()
    if deleted:
        audit.record(
            by=by,
            action="subjek.keluarga_hapus",
            target=subject,
            target_label=f"Subjek #{subject.pk}",
            before={
                "anggota": member.pk,
                **audit.snapshot(member, ("nama", "nik", "hubungan")),
            },
        )


@transaction.atomic
def subject_merge(*, keep: Subjek, duplicate: Subjek, by) -> Subjek:
    """Move the duplicate's assessments to ``keep`` and mark the duplicate merged (kept, not
    deleted, so its trail stays readable)."""
    if keep.pk == duplicate.pk:
        raise ValidationError(_("Subjek tidak dapat digabung dengan dirinya sendiri."))
    # Both rows locked (in one order, so two merges cannot wait on each other) and read again:
    # a merge from a page opened before another merge of the same two (A into B, then B into A
    # from a stale tab) would make each the other's duplicate, with no subject left to use.
    locked = {
        s.pk: s
        for s in Subjek.objects.select_for_update()
        .filter(pk__in=[keep.pk, duplicate.pk])
        .order_by("pk")
    }
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if keep.dianonimkan_pada or duplicate.dianonimkan_pada:
        raise ValidationError(ANONYMISED)
    if duplicate.digabung_ke_id:
        raise ValidationError(_("Subjek ini sudah pernah digabung."))
    if keep.digabung_ke_id:
        raise ValidationError(
            _("Subjek yang dipertahankan sudah digabung ke subjek #%(pk)d; gabungkan ke sana.")
            % {"pk": keep.digabung_ke_id}
        )
    if keep.nik and duplicate.nik and keep.nik != duplicate.nik:
        raise ValidationError(
            _("Kedua subjek punya NIK yang berbeda: mereka bukan orang yang sama.")
        )
    # Their version changes with it: an edit queued on a phone before the merge, which carries
    # the duplicate's identity, then comes back as a conflict saying so instead of being saved
    # over the subject kept.
    moved = Asesmen.objects.filter(subjek=duplicate).update(subjek=keep, updated_at=timezone.now())
    family_moved, family_same = _family_merge(keep, duplicate)
    # Subjects merged into the duplicate earlier now point at the one kept, so that following a
    # merge leads to a subject in use in one step.
    Subjek.objects.filter(digabung_ke=duplicate).update(digabung_ke=keep)
    duplicate.digabung_ke = keep
    duplicate.save(update_fields=["digabung_ke", "updated_at"])
    if duplicate.nik and not keep.nik:
        keep.nik, keep.alasan_tanpa_nik = duplicate.nik, ""
        keep.save(update_fields=["nik", "alasan_tanpa_nik", "updated_at"])
    audit.record(
        by=by,
        action="subjek.merge",
        target=keep,
        target_label=f"Subjek #{keep.pk}",
        after={
            "digabung": duplicate.pk,
            "asesmen_dipindah": moved,
            **({"anggota_keluarga_dipindah": family_moved} if family_moved else {}),
            **({"anggota_keluarga_sama": family_same} if family_same else {}),
        },
    )
    return keep


def _family_merge(keep: Subjek, duplicate: Subjek) -> tuple[int, int]:
    """The duplicate's family goes to the subject kept, where its page and its PSM find it: a
    member already there (the same NIK, or the same name and birth date) is not listed twice,
    and a second head of family comes as another relative. Answers (moved, left as the same)."""
    kept = list(AnggotaKeluarga.objects.filter(subjek=keep))
    by_nik = {m.nik: m for m in kept if m.nik}
    by_person = {(m.nama.casefold(), m.tanggal_lahir): m for m in kept}
    head = keep.hubungan_kk == HubunganKeluarga.KEPALA or any(
        m.hubungan == HubunganKeluarga.KEPALA for m in kept
    )
    moved = same = 0
    for member in AnggotaKeluarga.objects.filter(subjek=duplicate).order_by("pk"):
        person = (member.nama.casefold(), member.tanggal_lahir)
        twin = (by_nik.get(member.nik) if member.nik else None) or by_person.get(person)
        if twin is not None or (member.nik and member.nik == keep.nik):
            # the same person: what only the duplicate's copy knew fills the kept one's blanks
            blanks = [
                n
                for n in FAMILY_FIELDS
                if twin is not None
                and getattr(twin, n) in (None, "")
                and getattr(member, n) not in (None, "")
            ]
            for name in blanks:
                setattr(twin, name, getattr(member, name))
            if blanks:
                twin.save(update_fields=[*blanks, "updated_at"])
            member.delete()
            same += 1
            continue
        if member.hubungan == HubunganKeluarga.KEPALA:
            if head:
                member.hubungan = HubunganKeluarga.LAINNYA
            head = True
        member.subjek = keep
        member.save(update_fields=["subjek", "hubungan", "updated_at"])
        if member.nik:
            by_nik[member.nik] = member
        by_person[person] = member
        moved += 1
    return moved, same


def _refuse_anonymised(subject: Subjek) -> None:
    """A new case for a subject whose identity retention erased would be about nobody. The row
    is locked as retention locks it, so the two cannot cross (``assessments.retention``)."""
    locked = Subjek.objects.select_for_update().only("dianonimkan_pada").get(pk=subject.pk)
    if locked.dianonimkan_pada:
        raise ValidationError(ANONYMISED)


def subject_in_use(pk):
    """The id of the subject ``pk`` went into by merges (``pk`` itself when it was not merged).
    A merge re-points the subjects merged into its duplicate earlier, so this is one step; a few
    more are followed for chains left by merges made before that."""
    for _hop in range(5):
        into = Subjek.objects.filter(pk=pk).values_list("digabung_ke_id", flat=True).first()
        if into is None:
            break
        pk = into
    return pk


# --- assessments ----------------------------------------------------------------------------


def category_problems(*, subjek: Subjek, kategori, utama, disabilitas, on: dt.date):
    """(errors, warnings) of the chosen categories for this subject; errors by the form field to
    fix (a missing disability type is fixed under "disabilitas", not among the categories).
    Age and sex rules are soft (the texts disagree and ages are often estimated): warnings to
    confirm, not errors."""
    errors, warnings = {}, []
    kategori = list(kategori)
    if not kategori:
        errors.setdefault("kategori", []).append(_("Pilih paling sedikit satu kategori PPKS."))
    if utama and utama not in kategori:
        errors.setdefault("kategori_utama", []).append(
            _("Kategori utama harus salah satu kategori yang dipilih.")
        )
    if any(k.perlu_disabilitas for k in kategori) and not disabilitas:
        errors.setdefault("disabilitas", []).append(
            _("Kategori disabilitas memerlukan jenis disabilitas.")
        )
    age = subjek.umur(on)
    for k in kategori:
        unit_ok = {
            JenisSubjek.ORANG: k.untuk_orang,
            JenisSubjek.KELUARGA: k.untuk_keluarga,
            JenisSubjek.KOMUNITAS: k.untuk_komunitas,
        }[subjek.jenis]
        if not unit_ok:
            warnings.append(
                _("%(k)s biasanya bukan untuk subjek %(j)s.")
                % {"k": k.singkatan, "j": subjek.get_jenis_display().lower()}
            )
        if age is not None and (
            (k.umur_min is not None and age < k.umur_min)
            or (k.umur_maks is not None and age > k.umur_maks)
        ):
            bounds = (
                f"{k.umur_min or 0}-{k.umur_maks}" if k.umur_maks is not None else f"{k.umur_min}+"
            )
            warnings.append(
                _("%(k)s umumnya untuk umur %(b)s tahun; umur subjek %(a)d tahun.")
                % {"k": k.singkatan, "b": bounds, "a": age}
            )
        if k.jenis_kelamin and subjek.jenis_kelamin and subjek.jenis_kelamin != k.jenis_kelamin:
            warnings.append(
                _("%(k)s umumnya untuk %(jk)s.")
                % {"k": k.singkatan, "jk": k.get_jenis_kelamin_display().lower()}
            )
    if subjek.hubungan_kk == HubunganKeluarga.KEPALA and age is not None and age < 18:
        warnings.append(
            _("Subjek berumur %(a)d tahun tercatat sebagai kepala keluarga. Pastikan ini benar.")
            % {"a": age}
        )
    return errors, warnings


def consent_problems(*, subjek: Subjek, persetujuan_oleh: str, on: dt.date) -> dict:
    """UU 27/2022 Pasal 25: a child's data is processed with the consent of a parent or
    guardian (a child without either has one appointed), as the consent text itself says; not on
    the child's own word, nor a companion's."""
    age = subjek.umur(on)
    if (
        subjek.jenis == JenisSubjek.ORANG
        and persetujuan_oleh
        and persetujuan_oleh not in (PemberiPersetujuan.ORANG_TUA, PemberiPersetujuan.WALI)
        and age is not None
        and age < ADULT_AGE
    ):
        return {
            "persetujuan_oleh": [
                _(
                    "Subjek berumur %(a)d tahun: persetujuan untuk anak diberikan oleh orang "
                    "tua atau wali anak (UU 27/2022 Pasal 25)."
                )
                % {"a": age}
            ]
        }
    return {}


def _store_photos(case: Asesmen, images, written: list) -> None:
    """Store photos already normalised (``normalised_jpeg``: decoded by content, upright, at most
    1600 px, JPEG, EXIF only where the office keeps photo locations), each named in ``written``
    (``files_removed_on_failure``)."""
    for content, width, height in images:
        photo = AsesmenFoto(asesmen=case, lebar=width, tinggi=height)
        photo.berkas.save(f"{uuid.uuid4().hex}.jpg", ContentFile(content), save=False)
        written.append(photo.berkas)
        photo.save()


def _remove_photos(photos) -> None:
    """Photos the author took away: their rows now, their files once the change is committed
    (a rollback keeps both)."""
    for photo in photos:
        berkas = photo.berkas
        photo.delete()
        transaction.on_commit(lambda berkas=berkas: berkas.delete(save=False))


def photos_problems(case: Asesmen | None, uploads, removed=()) -> list[str]:
    existing = (case.foto_set.count() - len(removed)) if case and case.pk else 0
    limit = settings.PSM_MAX_CASE_PHOTOS
    if existing + len(uploads) > limit:
        return [
            _("Paling banyak %(n)d foto per asesmen (sudah ada %(ada)d, dikirim %(baru)d).")
            % {"n": limit, "ada": existing, "baru": len(uploads)}
        ]
    return []


def assessment_save(
    *,
    by,
    subjek: Subjek,
    data: dict,
    kategori,
    disabilitas=(),
    bantuan=(),
    photos=(),
    remove_photos=(),
    client_uuid=None,
    asesmen: Asesmen | None = None,
    written: list | None = None,
) -> tuple[Asesmen, bool]:
    """Create or change a draft (or a returned case) of ``by``. A form sent twice with the same
    ``client_uuid`` (a retry after the signal dropped, a double tap) changes the one case it
    created; it never makes a second. Answers (case, created). A caller whose own transaction
    goes on after this passes the ``files_removed_on_failure`` list it holds as ``written``."""
    # Every photo is decoded before anything is written: a third that is not an image leaves no
    # file of the first two behind.
    office = current_office()
    keep_location = bool(office and office.simpan_lokasi_foto)
    images = [normalised_jpeg(upload, keep_location=keep_location) for upload in photos]
    files = files_removed_on_failure() if written is None else nullcontext(written)
    with files as written, transaction.atomic():
        if asesmen is None and client_uuid:
            asesmen = Asesmen.objects.select_for_update().filter(client_uuid=client_uuid).first()
            if asesmen is not None and not is_author(by, asesmen):
                raise ValidationError(_("Formulir ini milik pengguna lain."))
            if asesmen is not None and asesmen.status not in EDITABLE:
                return asesmen, False  # already submitted: a late repeat changes nothing
        elif asesmen is not None:
            asesmen = Asesmen.objects.select_for_update().get(pk=asesmen.pk)
        created = asesmen is None
        if created:
            asesmen = Asesmen(
                client_uuid=client_uuid or uuid.uuid4(),
                dibuat_oleh=by,
                psm_id=by.psm_id,
                status=S.DRAF,
                status_sejak=timezone.now(),
            )
            before = None
        else:
            if not is_author(by, asesmen):
                raise ValidationError(
                    _(
                        "Hanya penulis asesmen ini yang dapat mengubahnya; kirim komentar lewat "
                        "pengembalian."
                    )
                )
            if asesmen.status not in EDITABLE:
                raise ValidationError(
                    _("Asesmen berstatus %(s)s tidak dapat diubah lagi.")
                    % {"s": asesmen.get_status_display()}
                )
            before = _snapshot(asesmen)
        removed = (
            list(asesmen.foto_set.filter(pk__in=[p.pk for p in remove_photos]))
            if asesmen.pk
            else []
        )
        problems = photos_problems(asesmen, photos, removed)
        if problems:
            raise ValidationError(problems)
        if asesmen.psm_id and data.get("tanggal"):
            # A PSM's case counts as their work (PR-01): not dated before they joined, nor
            # while they were nonaktif or stopped, as for an activity.
            psm = asesmen.psm if asesmen.pk else Psm.objects.get(pk=asesmen.psm_id)
            problem = work_date_problem(psm, data["tanggal"])
            if problem:
                raise ValidationError({"tanggal": problem})
        for key, value in data.items():
            setattr(asesmen, key, value)
        asesmen.subjek = subjek
        asesmen.desa_id = subjek.desa_id
        asesmen.save()
        asesmen.kategori.set(kategori)
        asesmen.disabilitas.set(disabilitas)
        asesmen.bantuan.set(bantuan)
        _remove_photos(removed)
        _store_photos(asesmen, images, written)
        after = _snapshot(asesmen)
        if created:
            audit.record(
                by=by,
                action="asesmen.create",
                target=asesmen,
                target_label=f"Asesmen #{asesmen.pk}",
                after={"status": asesmen.status, "jenis": asesmen.jenis},
            )
        else:
            old, new = audit.changed(before, after)
            audit.record(
                by=by,
                action="asesmen.update",
                target=asesmen,
                target_label=f"Asesmen #{asesmen.pk}",
                after={"isian_diubah": sorted(new)},
            )
    return asesmen, created


def case_save(
    *,
    by,
    data: dict,
    kategori,
    client_uuid,
    disabilitas=(),
    bantuan=(),
    photos=(),
    remove_photos=(),
    subjek: Subjek | None = None,
    subjek_data: dict | None = None,
    asesmen: Asesmen | None = None,
    submit: bool = False,
) -> tuple[Asesmen, bool]:
    """The form's one write: the subject (new, or corrected by whoever registered it), the
    assessment, and, when asked, its submission, all or nothing. A repeat of a form already saved
    (same ``client_uuid``) answers the case it made, even when both copies arrive at once."""
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            if asesmen is None:
                existing = (
                    Asesmen.objects.select_for_update()
                    .select_related("subjek")
                    .filter(client_uuid=client_uuid)
                    .first()
                )
                if existing is not None:
                    if not is_author(by, existing):
                        raise ValidationError(_("Formulir ini milik pengguna lain."))
                    if existing.status not in EDITABLE:
                        return existing, False
                    asesmen, subjek = existing, existing.subjek
            if asesmen is None and subjek is not None:
                _refuse_anonymised(subjek)
            if subjek_data is not None:
                if subjek is None:
                    subjek = subject_create(data=subjek_data, by=by)
                elif subjek.dibuat_oleh_id == by.pk:
                    # Locked and read again, as a correction locks it: checked before the
                    # office's correction committed, this save wrote the old identity over it.
                    subjek = Subjek.objects.select_for_update().get(pk=subjek.pk)
                    if identity_locked(subjek):
                        raise ValidationError(IDENTITY_LOCKED)
                    subjek = subject_update(subject=subjek, data=subjek_data, by=by)
            case, created = assessment_save(
                by=by,
                subjek=subjek,
                data=data,
                kategori=kategori,
                disabilitas=disabilitas,
                bantuan=bantuan,
                photos=photos,
                remove_photos=remove_photos,
                asesmen=asesmen,
                client_uuid=client_uuid,
                written=written,
            )
            if submit:
                case = assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=by)
            return case, created
    except (IntegrityError, ValidationError):
        # The same form arrived twice at once and the other copy won: answer what it made.
        twin = Asesmen.objects.filter(client_uuid=client_uuid).first()
        if twin is not None and is_author(by, twin) and asesmen is None:
            return twin, False
        raise


def case_by_client_uuid(value) -> Asesmen | None:
    try:
        key = uuid.UUID(str(value))
    except ValueError:
        return None
    return Asesmen.objects.select_related("subjek").filter(client_uuid=key).first()


# --- offline submissions -------------------------------------------------------------------


def base_version(case: Asesmen) -> str:
    """The version of a case a form was opened on: any save or review step changes it. A phone
    sends it back with a queued edit, so an edit made offline cannot silently overwrite what
    happened on the server meanwhile."""
    return case.updated_at.isoformat()


def offline_edit_conflict(case: Asesmen, based_on: str) -> dict | None:
    """None when a queued edit based on ``based_on`` may be applied; otherwise what changed on
    the server since (review steps with their notes and per-field comments) and whether the PSM
    may still send their copy (only while the case is theirs to edit)."""
    editable = case.status in EDITABLE
    if editable and based_on == base_version(case):
        return None
    try:
        since = dt.datetime.fromisoformat(based_on)
    except ValueError:
        since = None
    steps = case.transisi_set.select_related("oleh").order_by("pk")
    if since is not None:
        steps = steps.filter(created_at__gt=since)
    changes = []
    for step in steps:
        line = _("%(dari)s → %(ke)s oleh %(oleh)s") % {
            "dari": S(step.dari).label,
            "ke": S(step.ke).label,
            "oleh": step.oleh.get_full_name() or step.oleh.username,
        }
        changes.append(f"{line}: {step.catatan}" if step.catatan else line)
        changes += [f"{label}: {text}" for label, text in step.komentar_berlabel]
    merged = Subjek.objects.filter(digabung_ke=case.subjek_id)
    if since is not None:
        merged = merged.filter(updated_at__gt=since)
    for pk in merged.order_by("pk").values_list("pk", flat=True):
        changes.append(
            _(
                "Subjek #%(lama)d digabung dinas ke subjek #%(baru)d: identitas yang berlaku "
                "adalah milik subjek #%(baru)d."
            )
            % {"lama": pk, "baru": case.subjek_id}
        )
    if not changes:
        changes.append(_("Asesmen ini diubah di server setelah Anda membukanya."))
    if editable:
        message = _(
            "Kasus ini berubah di server sejak formulirnya Anda buka. Periksa perubahannya, "
            "lalu pilih: kirim salinan Anda atau buang."
        )
    else:
        message = _("Kasus ini sudah berstatus %(s)s dan tidak dapat diubah lagi.") % {
            "s": case.get_status_display()
        }
    return {
        "status_kasus": case.get_status_display(),
        "bisa_kirim": editable,
        "perubahan": changes,
        "pesan": [message],
    }


def device_sync_record(*, by, menunggu: int, konflik: int, perangkat: str, now) -> SinkronPerangkat:
    """A phone reported in: when, and how much it still holds. Not audited: it is a heartbeat
    (every few minutes per PSM), not a change to anyone's record."""
    sync, _created = SinkronPerangkat.objects.update_or_create(
        pengguna=by,
        defaults={
            "terakhir_sinkron": now,
            "menunggu": max(0, menunggu),
            "konflik": max(0, konflik),
            "perangkat": perangkat[:200],
        },
    )
    return sync


# The fields a reviewer compares between versions, in form order.
DIFF_FIELDS = [
    "jenis",
    "metode_kontak",
    "tanggal",
    "informan_nama",
    "informan_hubungan",
    "persetujuan_oleh",
    "persetujuan_nama",
    "kategori",
    "kategori_utama",
    "disabilitas",
    "tingkat_disabilitas",
    "kondisi_fisik",
    "kondisi_sosial",
    "kondisi_ekonomi",
    "kondisi_rumah",
    *NEEDS_SCORED,
    "dokumen",
    "bantuan",
    "masalah",
    "kebutuhan",
    "urgensi",
    "potensi",
    "rekomendasi",
    "kunjungan_lanjutan",
]


def _snapshot(case: Asesmen) -> dict:
    """What a person reads in each field, as text (choices by label, relations by name), in the
    office's language whoever saves it: a version saved from an English page read every choice
    as changed."""
    with translation.override(settings.LANGUAGE_CODE):
        return _snapshot_labels(case)


def _snapshot_labels(case: Asesmen) -> dict:
    data = {}
    for name in DIFF_FIELDS:
        field = Asesmen._meta.get_field(name)
        if field.many_to_many:
            value = ", ".join(str(o) for o in getattr(case, name).order_by("pk")) if case.pk else ""
        elif field.choices:
            # no score given reads as nothing, not "None"
            value = str(getattr(case, f"get_{name}_display")() or "")
        elif name == "dokumen":
            value = ", ".join(case.dokumen or [])
        else:
            value = getattr(case, name)
            value = "" if value is None else str(value)
        data[name] = value
    photos = sorted(case.foto_set.values_list("pk", flat=True)) if case.pk else []
    data["foto"] = str(len(photos))
    # whom the case is about, for the diff only: a merge moves a case to the subject kept
    data["subjek"] = case.subjek_id
    # which photos, for the diff only: a blurry photo retaken kept the count, and the reviewer
    # who asked for it read "no change"
    data["foto_id"] = photos
    return data


def field_label(name: str) -> str:
    if name == "foto":
        return _("Jumlah foto")
    return capfirst(str(Asesmen._meta.get_field(name).verbose_name))


def specific_data_in_diff(diff) -> set[str]:
    """Health data a version diff shows, by its disability and health rows, which are specific
    data whatever the case's categories (an earlier version's categories are names here: which of
    them were specific is not known, and most category changes are not)."""
    health = {field_label(n) for n in ("disabilitas", "tingkat_disabilitas", "kondisi_fisik")}
    if any(label in health for label, _before, _after in diff):
        return {Sensitivitas.KESEHATAN}
    return set()


def version_diff(case: Asesmen, *, without=frozenset()) -> list[tuple[str, str, str]]:
    """(label, before, after) of what changed between the last two submitted versions, but for
    the fields named in ``without``."""
    if case.versi < 2:  # submitted at most once: nothing to compare, and no query to find it out
        return []
    versions = list(case.versi_set.order_by("-nomor")[:2])
    if len(versions) < 2:
        return []
    new, old = versions[0].data, versions[1].data
    diff = [
        (field_label(name), old.get(name, ""), new.get(name, ""))
        for name in DIFF_FIELDS
        if name not in without and old.get(name, "") != new.get(name, "")
    ]
    replaced = (
        len(set(new["foto_id"]) - set(old["foto_id"]))
        if "foto_id" in new and "foto_id" in old  # versions saved before ids were kept: counts
        else 0
    )
    if "foto" not in without and (old.get("foto", "") != new.get("foto", "") or replaced):
        after = new.get("foto", "")
        if replaced:
            after = _("%(n)s (%(baru)d foto baru)") % {"n": after, "baru": replaced}
        diff.append((field_label("foto"), old.get("foto", ""), after))
    if old.get("subjek", new.get("subjek")) != new.get("subjek"):
        # Merged meanwhile: the case is now about the subject kept, another person's record.
        names = dict(
            Subjek.objects.filter(pk__in=[old["subjek"], new["subjek"]]).values_list("pk", "nama")
        )
        diff.append(
            tuple(
                [_("Subjek")]
                + [
                    _("Subjek #%(pk)d (%(nama)s)") % {"pk": pk, "nama": names.get(pk, "-")}
                    for pk in (old["subjek"], new["subjek"])
                ]
            )
        )
        return diff
    return diff + _identity_changes(case.subjek_id, versions[1].created_at, versions[0].created_at)


def identity_shown(name: str, value) -> str:
    return value_shown(Subjek, name, value)


def value_shown(model, name: str, value) -> str:
    """A subject's or family member's field value as a page shows it, from the model or from
    the trail (a date as ISO text there): a choice's label, yes or no, a date written out, an
    amount in rupiah, "-" for none. A desa is shown by what is given (its row, or its name)."""
    if value is None or value == "":
        return "-"
    if name == "penghasilan":
        return f"Rp{grouped(value)}"
    field = model._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Ya") if value else _("Tidak")
    if name == "tanggal_lahir":
        return date_format(value if isinstance(value, dt.date) else dt.date.fromisoformat(value))
    return str(value)


# Identity fields the trail keeps masked: a correction of the middle digits leaves the masks equal.
MASKED_IN_TRAIL = ("nik", "no_kk")


def _identity_changes(subject_id, since, until) -> list[tuple[str, str, str]]:
    """(label, before, after) of the subject's identity changed between two versions of a case,
    from the trail (a version holds the case, not the person: a name or NIK corrected on the
    return read as no change): its registrant's edits and the office's corrections, the latter
    labelled so. NIK and No. KK as the trail keeps them, masked."""
    events = AuditEvent.objects.filter(
        target_type=Subjek._meta.label_lower,
        target_id=str(subject_id),
        action__in=["subjek.update", "subjek.koreksi"],
        created_at__gt=since,
        created_at__lte=until,
    ).order_by("created_at", "pk")
    first, last, by_office = {}, {}, set()
    for action, before, after in events.values_list("action", "before", "after"):
        for name in IDENTITY_FIELDS:
            if isinstance(after, dict) and name in after:
                first.setdefault(name, (before or {}).get(name))
                last[name] = after[name]
                if action == "subjek.koreksi":
                    by_office.add(name)
    changed = [
        n for n in IDENTITY_FIELDS if n in last and (first[n] != last[n] or n in MASKED_IN_TRAIL)
    ]
    if not changed:
        return []
    desa_names = (
        dict(
            Wilayah.objects.filter(kode__in=[first["desa"], last["desa"]]).values_list(
                "kode", "nama"
            )
        )
        if "desa" in changed
        else {}
    )
    rows = []
    for n in changed:
        label = capfirst(Subjek._meta.get_field(n).verbose_name)
        before, after = (
            identity_shown(n, desa_names.get(v, v) if n == "desa" else v)
            for v in (first[n], last[n])
        )
        if before == after:  # masked alike: the middle digits changed
            after = _("%(nilai)s (diubah)") % {"nilai": after}
        rows.append(
            (
                _("%(isian)s (subjek, koreksi dinas)") % {"isian": label}
                if n in by_office
                else _("%(isian)s (subjek)") % {"isian": label},
                before,
                after,
            )
        )
    return rows


# A review is someone else's: the steps a case's author may not take on it (an office account
# that is also a PSM verified and referred its own case, staff their own office cases; the
# registry refuses the same for activities).
REVIEW_STEPS = (S.DIVERIFIKASI_KECAMATAN, S.DIVERIFIKASI, S.DIKEMBALIKAN)


def _step_allowed(
    user, case: Asesmen, ke: str, kecamatan_level: bool | None = None, *, own_review=False
) -> bool:
    """Whether ``user`` may move ``case`` to ``ke``; with ``own_review``, as if its author might
    review it (to tell them why not)."""
    if kecamatan_level is None:
        kecamatan_level = uses_kecamatan_level()
    if ke == S.DIAJUKAN:
        return has_permission(user, Perm.PPKS_CREATE) and is_author(user, case)
    if ke in REVIEW_STEPS and not own_review and is_author(user, case):
        return False
    if ke == S.DIVERIFIKASI_KECAMATAN:
        return kecamatan_level and has_permission(user, Perm.PPKS_REVIEW_KECAMATAN)
    if ke == S.DIVERIFIKASI:
        if case.status == S.DIAJUKAN and kecamatan_level:
            # the kecamatan verifier comes first; where no account can be one, the office
            return has_permission(user, Perm.PPKS_REVIEW) and stepping_in(case)
        return has_permission(user, Perm.PPKS_REVIEW)
    if ke == S.DIKEMBALIKAN:
        if case.status == S.DIAJUKAN and kecamatan_level:
            return has_permission(user, Perm.PPKS_REVIEW_KECAMATAN) or has_permission(
                user, Perm.PPKS_REVIEW
            )
        return has_permission(user, Perm.PPKS_REVIEW)
    if ke == S.DIRUJUK:
        return has_permission(user, Perm.PPKS_REFER)
    if ke == S.DITUTUP:
        return has_permission(user, Perm.PPKS_REVIEW)
    return False


def stepping_in(case: Asesmen) -> bool:
    """Whether the office verifies ``case`` in the kecamatan verifier's stead: no active
    verifier account covers its desa, so it would wait at the kecamatan step for good."""
    return bool(desa_without_verifier({case.desa_id}))


def reviewed_by_another(user, case: Asesmen) -> bool:
    """Whether ``user`` would review ``case`` now but for having written it (four eyes): their
    case page says so, where the review buttons would be."""
    if not (
        has_permission(user, Perm.PPKS_REVIEW) or has_permission(user, Perm.PPKS_REVIEW_KECAMATAN)
    ) or not is_author(user, case):
        return False
    kecamatan_level = uses_kecamatan_level()
    return any(
        ke in TRANSITIONS[case.status]
        and _step_allowed(user, case, ke, kecamatan_level, own_review=True)
        for ke in REVIEW_STEPS
    )


def next_steps(user, case: Asesmen) -> list[str]:
    """The statuses ``user`` may move ``case`` to now (for the buttons on the case page)."""
    kecamatan_level = uses_kecamatan_level()
    return [
        ke
        for ke in S.values
        if ke in TRANSITIONS[case.status]
        and ke != S.DIRUJUK
        and _step_allowed(user, case, ke, kecamatan_level)
    ]


def assessment_transition(
    *,
    asesmen: Asesmen,
    ke: str,
    by,
    catatan: str = "",
    komentar: dict | None = None,
    alasan_tutup: str = "",
    expected_status: str | None = None,
    expected_version: int | None = None,
    referral: Rujukan | None = None,
) -> Asesmen:
    if ke == S.DIRUJUK and referral is None:
        raise ValidationError(_("Status dirujuk hanya lewat pembuatan rujukan."))
    with transaction.atomic():
        case = (
            Asesmen.objects.select_for_update()
            .select_related("subjek", "kategori_utama")
            .get(pk=asesmen.pk)
        )
        if expected_status and case.status != expected_status:
            last = case.transisi_set.select_related("oleh").order_by("-pk").first()
            raise ValidationError(
                _(
                    "Kasus ini baru saja diproses oleh %(oleh)s (status sekarang: %(s)s). "
                    "Tindakan Anda tidak disimpan; periksa lagi halaman kasus."
                )
                % {
                    "oleh": last.oleh.get_full_name() or last.oleh.username if last else "-",
                    "s": case.get_status_display(),
                }
            )
        if expected_version is not None and case.versi != expected_version:
            raise ValidationError(
                _(
                    "Kasus ini sudah diperbaiki dan diajukan lagi (versi %(v)d) sejak halaman Anda "
                    "dibuka. Tindakan Anda tidak disimpan; periksa perubahannya dulu."
                )
                % {"v": case.versi}
            )
        if ke not in TRANSITIONS[case.status]:
            raise ValidationError(
                _("Status asesmen tidak dapat diubah dari %(a)s menjadi %(b)s.")
                % {"a": case.get_status_display(), "b": S(ke).label}
            )
        if not _step_allowed(by, case, ke):
            if _step_allowed(by, case, ke, own_review=True):
                raise ValidationError(
                    _("Asesmen yang Anda tulis sendiri ditinjau oleh petugas lain.")
                )
            if (
                ke == S.DIVERIFIKASI
                and case.status == S.DIAJUKAN
                and has_permission(by, Perm.PPKS_REVIEW)
            ):
                # a verifier account for its desa since the page was read: theirs now
                raise ValidationError(
                    _(
                        "Kasus ini menunggu verifikator kecamatan: desa/kelurahan ini sudah punya "
                        "akun verifikator."
                    )
                )
            raise ValidationError(
                _("Anda tidak berwenang mengubah asesmen ini menjadi %(b)s.") % {"b": S(ke).label}
            )
        komentar = {k: v.strip() for k, v in (komentar or {}).items() if v and v.strip()}
        catatan = (catatan or "").strip()
        # the office in the kecamatan's stead (``_step_allowed`` let it only so)
        langsung = ke == S.DIVERIFIKASI and case.status == S.DIAJUKAN and uses_kecamatan_level()
        if ke == S.DIKEMBALIKAN and not (catatan or komentar):
            raise ValidationError(
                _("Tuliskan apa yang perlu diperbaiki (catatan atau komentar pada isian).")
            )
        if ke == S.DITUTUP:
            if alasan_tutup not in AlasanTutup.values:
                raise ValidationError(_("Pilih alasan penutupan kasus."))
            if case.status == S.DIAJUKAN and alasan_tutup != AlasanTutup.DUPLIKAT:
                raise ValidationError(
                    _("Kasus yang belum diverifikasi hanya dapat ditutup sebagai duplikat.")
                )
            if case.perlu_kunjungan and alasan_tutup in NEEDS_VISIT_TO_CLOSE:
                raise ValidationError(
                    _(
                        "Asesmen jarak jauh harus dikunjungi dulu: isi tanggal kunjungan "
                        "lanjutan sebelum menutup kasus sebagai %(a)s."
                    )
                    % {"a": AlasanTutup(alasan_tutup).label.lower()}
                )
            case.alasan_tutup = alasan_tutup
        if ke == S.DIAJUKAN:
            _check_complete(case)
            # A draft saved in a month served, sent after the PSM's status was dated back over
            # it (or a returned case of such a month): no more their work than a new one.
            problem = case.psm_id and work_date_problem(case.psm, case.tanggal)
            if problem:
                raise ValidationError(problem)
            case.versi += 1
            AsesmenVersi.objects.create(asesmen=case, nomor=case.versi, data=_snapshot(case))
            case.desa_id = case.subjek.desa_id
        dari = case.status
        case.status = ke
        case.status_sejak = timezone.now()
        if ke == S.DIAJUKAN:
            case.diajukan_pada = case.status_sejak
        case.save()
        Transisi.objects.create(
            asesmen=case,
            dari=dari,
            ke=ke,
            oleh=by,
            catatan=catatan,
            komentar=komentar,
            langsung=langsung,
        )
        audit.record(
            by=by,
            action=f"asesmen.{ke}",
            target=case,
            target_label=f"Asesmen #{case.pk}",
            before={"status": dari},
            after={"status": ke, **({"langsung": True} if langsung else {})},
            reason=catatan,
        )
    return case


def case_problems(*, subjek, kategori, utama, disabilitas, persetujuan_oleh, on: dt.date):
    """(errors by field, warnings) of a case's categories and consent: what the form checks when
    it is sent, and what a saved case is checked against when submitted from its page."""
    errors, warnings = category_problems(
        subjek=subjek, kategori=kategori, utama=utama, disabilitas=disabilitas, on=on
    )
    return {
        **errors,
        **consent_problems(subjek=subjek, persetujuan_oleh=persetujuan_oleh, on=on),
    }, warnings


def subject_warnings(*, nik: str, no_kk: str, tanggal_lahir, jenis_kelamin: str) -> list[str]:
    """What a subject's NIK and No. KK say that the user is asked to confirm (domain.md §5.1,
    §5.2), as for a PSM: the NIK's birth date and sex against what was typed, its kecamatan
    against the national list; a No. KK whose date segment is no date, or serial 0000. Only
    valid numbers reach here (the form refuses impossible ones)."""
    warnings = []
    if nik:
        warnings += check_nik(
            nik,
            declared_dob=tanggal_lahir,
            declared_sex=jenis_kelamin or None,
            known_kecamatan=kecamatan_in_national_list,
        ).warnings
    if no_kk:
        warnings += check_no_kk(no_kk).warnings
    return warnings


def saved_case_problems(case: Asesmen, *, subjek: Subjek | None = None):
    """A saved case's problems, as its form would find them; with ``subjek``, as if about that
    identity (a correction not saved yet)."""
    return case_problems(
        subjek=subjek or case.subjek,
        kategori=case.kategori.all(),
        utama=case.kategori_utama,
        disabilitas=list(case.disabilitas.all()),
        persetujuan_oleh=case.persetujuan_oleh,
        on=case.tanggal,
    )


def _check_complete(case: Asesmen) -> None:
    errors, _warnings = saved_case_problems(case)
    if errors:
        raise ValidationError([message for messages in errors.values() for message in messages])


def assessments_verify_bulk(*, shown: dict[int, tuple[int, str]], by) -> tuple[int, list[str]]:
    """Verify several cases at the reviewer's level; each one alone, so one refused case does not
    hold back the others. ``shown`` maps each ticked case to the version and status the queue
    showed: a case resubmitted or moved on since then is refused, as on its own page. Answers
    (verified, problems).

    One transaction all the same, each case in a savepoint: a database error (a statement or
    lock wait past its bound, the database gone) undoes the cases verified before it, as the
    error page tells the reviewer nothing was saved."""
    from assessments.access import cases_visible_to

    done, problems = 0, []
    kecamatan_level = uses_kecamatan_level()
    with transaction.atomic():
        for case in cases_visible_to(by).filter(pk__in=shown).order_by("diajukan_pada", "pk"):
            versi, status = shown[case.pk]
            # the kecamatan's step, by whoever may take it, unless they may verify it for the
            # office outright (where it steps in for want of a verifier: an administrator, who
            # may do both); else the office's own, which says why when it may not
            ke = (
                S.DIVERIFIKASI_KECAMATAN
                if status == S.DIAJUKAN
                and kecamatan_level
                and has_permission(by, Perm.PPKS_REVIEW_KECAMATAN)
                and not _step_allowed(by, case, S.DIVERIFIKASI, kecamatan_level)
                else S.DIVERIFIKASI
            )
            try:
                assessment_transition(
                    asesmen=case, ke=ke, by=by, expected_status=status, expected_version=versi
                )
                done += 1
            except ValidationError as exc:
                problems.append(f"#{case.pk}: {' '.join(exc.messages)}")
    return done, problems


def visit_record(*, asesmen: Asesmen, tanggal: dt.date, catatan: str, by, today: dt.date):
    """The follow-up visit a remote assessment always asks for: once, while the case is open
    (the row is locked, so a second visit recorded at the same time finds the first)."""
    with transaction.atomic():
        asesmen = Asesmen.objects.select_for_update().get(pk=asesmen.pk)
        if asesmen.jenis != JenisAsesmen.JARAK_JAUH:
            raise ValidationError(_("Kunjungan lanjutan hanya untuk asesmen jarak jauh."))
        if asesmen.kunjungan_lanjutan is not None:
            raise ValidationError(
                _("Kunjungan lanjutan sudah tercatat pada %(t)s.")
                % {"t": date_format(asesmen.kunjungan_lanjutan)}
            )
        if asesmen.status in (S.DRAF, S.DITUTUP):
            raise ValidationError(
                _("Kunjungan tidak dapat dicatat pada asesmen berstatus %(s)s.")
                % {"s": asesmen.get_status_display().lower()}
            )
        if tanggal > today:
            raise ValidationError(_("Tanggal kunjungan tidak boleh di masa depan."))
        if tanggal < asesmen.tanggal:
            raise ValidationError(_("Tanggal kunjungan tidak boleh sebelum tanggal asesmen."))
        asesmen.kunjungan_lanjutan = tanggal
        asesmen.save(update_fields=["kunjungan_lanjutan", "updated_at"])
        # In the same transaction: the note is kept in this entry alone.
        audit.record(
            by=by,
            action="asesmen.visit",
            target=asesmen,
            target_label=f"Asesmen #{asesmen.pk}",
            after={"kunjungan_lanjutan": tanggal.isoformat()},
            reason=catatan,
        )
    return asesmen


# --- referrals ------------------------------------------------------------------------------


def referral_nik_refusal(program: Program, subjek: Subjek) -> str | None:
    """Why ``subjek`` cannot be referred to ``program``, a programme paid only to people with a
    NIK (``Program.wajib_nik``), or None. The programme would refuse them weeks later; what the
    office can do first is help them get a KTP/KIA recorded at Dukcapil."""
    if not program.wajib_nik or subjek.nik:
        return None
    if subjek.jenis == JenisSubjek.KELUARGA:
        # a family is paid through its members: the head's or a member's NIK will do
        if subjek.anggota_set.exclude(nik="").exists():
            return None
        return _(
            "%(program)s mensyaratkan NIK yang tercatat di Dukcapil, dan belum ada NIK kepala "
            "keluarga maupun anggota keluarga ini. Lengkapi NIK mereka lebih dulu."
        ) % {"program": program.nama}
    if subjek.jenis == JenisSubjek.KOMUNITAS:
        return _(
            "%(program)s hanya untuk orang yang NIK-nya tercatat di Dukcapil; subjek komunitas "
            "tidak dapat dirujuk ke program ini. Rujuk warganya masing-masing."
        ) % {"program": program.nama}
    return _(
        "%(program)s mensyaratkan NIK yang tercatat di Dukcapil, dan subjek ini belum ber-NIK. "
        "Bantu perekaman KTP/KIA di Dukcapil lebih dulu, lalu lengkapi NIK subjek."
    ) % {"program": program.nama}


def referral_refusals(subjek: Subjek) -> list[tuple[Program, str]]:
    """The active programmes paid by NIK that ``subjek`` cannot enter, each with its reason
    (``referral_nik_refusal``): the referral form leaves them out and says why. No query for a
    subject with a NIK."""
    if subjek.nik:
        return []
    paid_by_nik = Program.objects.filter(aktif=True, wajib_nik=True).order_by("urutan")
    return [
        (programme, refusal)
        for programme in paid_by_nik
        if (refusal := referral_nik_refusal(programme, subjek))
    ]


def referral_create(*, asesmen: Asesmen, data: dict, by, today: dt.date) -> Rujukan:
    with transaction.atomic():
        case = Asesmen.objects.select_for_update().get(pk=asesmen.pk)
        if case.status not in (S.DIVERIFIKASI, S.DIRUJUK):
            raise ValidationError(
                _("Hanya kasus yang sudah diverifikasi dinas yang dapat dirujuk.")
            )
        if not has_permission(by, Perm.PPKS_REFER):
            raise ValidationError(_("Anda tidak berwenang membuat rujukan."))
        if data["tanggal"] > today:
            raise ValidationError({"tanggal": _("Tanggal rujukan tidak boleh di masa depan.")})
        if data["tanggal"] < case.tanggal:
            raise ValidationError(
                {
                    "tanggal": _("Tanggal rujukan tidak boleh sebelum tanggal asesmen (%(tgl)s).")
                    % {"tgl": date_format(case.tanggal, "j F Y")}
                }
            )
        if case.rujukan_set.filter(
            program=data["program"], status__in=[StatusRujukan.DIUSULKAN, StatusRujukan.DIPROSES]
        ).exists():
            raise ValidationError(_("Kasus ini sudah dirujuk ke program tersebut."))
        if refusal := referral_nik_refusal(data["program"], case.subjek):
            raise ValidationError({"program": refusal})
        referral = Rujukan.objects.create(
            asesmen=case, status_sejak=data["tanggal"], dibuat_oleh=by, **data
        )
        LangkahRujukan.objects.create(
            rujukan=referral, status=referral.status, sejak=referral.status_sejak, oleh=by
        )
        if case.status == S.DIVERIFIKASI:
            assessment_transition(
                asesmen=case, ke=S.DIRUJUK, by=by, catatan=str(referral.program), referral=referral
            )
        audit.record(
            by=by,
            action="rujukan.create",
            target=referral,
            target_label=f"Rujukan #{referral.pk}",
            after={"asesmen": case.pk, "program": referral.program_id},
        )
    return referral


REFERRAL_NEXT = {
    StatusRujukan.DIUSULKAN: {
        StatusRujukan.DIPROSES,
        StatusRujukan.DITERIMA,
        StatusRujukan.DITOLAK,
    },
    StatusRujukan.DIPROSES: {StatusRujukan.DITERIMA, StatusRujukan.DITOLAK},
    StatusRujukan.DITERIMA: {StatusRujukan.SELESAI},
    StatusRujukan.DITOLAK: set(),
    StatusRujukan.SELESAI: set(),
}


def referral_steps(referral: Rujukan) -> list[tuple[str, str]]:
    """The statuses a referral's form offers: where it stands, then the steps it can take."""
    return [(referral.status, referral.get_status_display())] + [
        (value, label)
        for value, label in StatusRujukan.choices
        if value in REFERRAL_NEXT[referral.status]
    ]


def referral_version(referral: Rujukan) -> str:
    """What a referral's form was drawn from: its last change, to the microsecond."""
    return referral.updated_at.isoformat()


def referral_update(
    *,
    rujukan: Rujukan,
    status: str,
    hasil: str,
    by,
    today: dt.date,
    bukti=None,
    expected_version: str = "",
):
    with files_removed_on_failure() as written, transaction.atomic():
        # The case first, as retention locks it before its referrals: a result written about a
        # person whose case retention erased would be kept for good.
        case = (
            Asesmen.objects.select_for_update().only("dianonimkan_pada").get(pk=rujukan.asesmen_id)
        )
        if case.dianonimkan_pada:
            raise ValidationError(ANONYMISED_CASE)
        referral = Rujukan.objects.select_for_update().get(pk=rujukan.pk)
        if expected_version and referral_version(referral) != expected_version:
            raise ValidationError(
                _(
                    "Rujukan ini baru saja diperbarui orang lain (status sekarang: %(s)s). "
                    "Periksa lagi sebelum mengubahnya."
                )
                % {"s": referral.get_status_display()}
            )
        if not REFERRAL_NEXT[referral.status]:
            # a final answer (selesai, ditolak): its result and proof were replaced by posting
            # the same status again, with only the status in the trail
            raise ValidationError(
                _("Rujukan berstatus %(s)s sudah final dan tidak dapat diubah.")
                % {"s": referral.get_status_display()}
            )
        if status != referral.status and status not in REFERRAL_NEXT[referral.status]:
            raise ValidationError(
                _("Status rujukan tidak dapat diubah dari %(a)s menjadi %(b)s.")
                % {"a": referral.get_status_display(), "b": StatusRujukan(status).label}
            )
        if status == StatusRujukan.DITOLAK and not hasil.strip():
            # a final answer (nothing follows it): a stray choice in the list was saved for good,
            # and the office could not tell the person why
            raise ValidationError(
                {"hasil": _("Tuliskan alasan penolakan dari program di isian hasil.")}
            )
        before = {"status": referral.status}
        # A result typed with a step is that step's (a refusal's always: it is its reason);
        # left as the form showed it, it stays with the step it came with. Rewritten or cleared
        # without a new step, it is so where it stands (the referral keeps the latest, for its
        # lists and exports).
        changed = hasil != referral.hasil
        if status != referral.status:
            referral.status, referral.status_sejak = status, today
            LangkahRujukan.objects.create(
                rujukan=referral,
                status=status,
                sejak=today,
                oleh=by,
                hasil=hasil if changed or status == StatusRujukan.DITOLAK else "",
            )
        elif changed:
            steps = referral.langkah_set.order_by("-pk")
            holding = (steps.filter(hasil=referral.hasil).first() if referral.hasil else None) or (
                steps.first()
            )
            if holding is not None:
                holding.hasil = hasil
                holding.save(update_fields=["hasil"])
        referral.hasil = hasil
        replaced = referral.bukti.name
        if bukti:
            referral.bukti = bukti
            # Stored before the row, and deleted should the row not be: a letter about a person
            # left on disk is listed nowhere.
            store_new_files(referral, written)
        referral.save()
        delete_replaced(referral.bukti, replaced)
        audit.record(
            by=by,
            action="rujukan.update",
            target=referral,
            target_label=f"Rujukan #{referral.pk}",
            before=before,
            after={"status": referral.status},
        )
    return referral


def kategori_choices():
    return KategoriPpks.objects.filter(aktif=True).order_by("urutan", "kode")
