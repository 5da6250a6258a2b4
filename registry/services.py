"""Every write to the registry. Each service runs in a transaction, validates, writes, and records
an audit event with the actor. ``today`` is passed in by callers so tests need no clock tricks."""

import datetime as dt
import logging
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from psm_portal import audit
from psm_portal.images import (
    delete_replaced,
    files_removed_on_failure,
    normalised_jpeg,
    store_new_files,
)
from psm_portal.models import AuditEvent, Role
from psm_portal.office import current_office, office_language
from psm_portal.privacy import mask_nik
from registry.models import (
    AlasanBerhenti,
    BantuanPeralatan,
    IpsmMembership,
    Kegiatan,
    KegiatanFoto,
    Kewarganegaraan,
    Penghargaan,
    Psm,
    PsmAppointment,
    PsmBimtek,
    PsmStatusChange,
    StatusKegiatan,
    StatusPsm,
    TingkatBimtek,
    Wilayah,
)
from registry.text import normalise_for_search

logger = logging.getLogger(__name__)

# Which lifecycle steps are allowed; anything else is refused by psm_change_status.
TRANSITIONS: dict[str, set[str]] = {
    StatusPsm.CALON: {StatusPsm.AKTIF, StatusPsm.BERHENTI},
    StatusPsm.AKTIF: {StatusPsm.NONAKTIF, StatusPsm.BERHENTI},
    StatusPsm.NONAKTIF: {StatusPsm.AKTIF, StatusPsm.BERHENTI},
    StatusPsm.BERHENTI: {StatusPsm.CALON},  # re-registration starts again as a candidate
}

BULK_REFUSED = gettext_lazy(
    "Sebagian data bentrok dengan data yang sudah ada (misalnya NIK yang sama baru saja "
    "dimasukkan orang lain). Tidak ada yang disimpan; periksa lalu coba lagi."
)

# The PSM columns registration and updates write (the roster import keeps them for its commit).
PSM_FIELDS = [
    "nik",
    "nama",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "kewarganegaraan",
    "alamat_ktp",
    "desa_ktp",
    "alamat_domisili",
    "desa_domisili",
    "desa_tugas",
    "telepon",
    "email",
    "pendidikan",
    "pekerjaan",
    "tanggal_bergabung",
    "foto",
    "foto_persetujuan_pada",
    "foto_persetujuan_versi",
    "bisa_baca_tulis",
    "pernyataan_komitmen",
    "berkelakuan_baik",
    "motivasi",
]


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_problems(birth: dt.date, on: dt.date) -> list[str]:
    """Permensos 10/2019 requirement (d): 18 or older on the SK's date, no upper limit."""
    if age_on(birth, on) >= 18:
        return []
    return [
        _("Usia pada tanggal SK %(tgl)s baru %(usia)d tahun; minimal 18 tahun.")
        % {"tgl": date_format(on, "j F Y"), "usia": age_on(birth, on)}
    ]


def standing_problems(psm: Psm) -> list[str]:
    """The requirements of Permensos 10/2019 that a PSM's own record keeps meeting while they
    serve (an SK and a passed Bimtek, once given, stay): checked at activation, and when the
    record of an aktif PSM is edited."""
    problems = []
    if psm.kewarganegaraan != Kewarganegaraan.WNI:
        problems.append(_("PSM harus warga negara Indonesia (WNI)."))
    if psm.desa_ktp_id != psm.desa_tugas_id:
        problems.append(_("Desa/kelurahan KTP harus sama dengan desa/kelurahan tempat bertugas."))
    if not psm.bisa_baca_tulis:
        problems.append(_("PSM harus dapat membaca dan menulis."))
    return problems


def activation_problems(
    psm: Psm,
    *,
    on: dt.date | None = None,
    sk_list: list[PsmAppointment] | None = None,
    bimtek_list: list[PsmBimtek] | None = None,
    effective: dt.date | None = None,
) -> list[str]:
    """Why ``psm`` cannot become aktif (Permensos 10/2019, domain.md §2.3); empty when they can.

    ``on`` defaults to the date of the latest SK; without an SK there is no appointment to check.
    A caller that already holds the PSM's SK (newest first) and Bimtek records passes them in
    (the profile page), sparing two queries. ``effective``: the date the PSM would become aktif,
    which cannot come before the SK that appoints them.
    """
    problems = []
    if sk_list is None:
        sk = psm.sk_set.order_by("-tanggal_sk", "-pk").first()
    else:
        sk = sk_list[0] if sk_list else None
    if sk is None:
        problems.append(_("Belum ada SK pengangkatan."))
    elif effective is not None and effective < sk.tanggal_sk:
        problems.append(
            _("Tanggal efektif %(tgl)s sebelum tanggal SK pengangkatan %(sk)s.")
            % {"tgl": date_format(effective, "j F Y"), "sk": date_format(sk.tanggal_sk, "j F Y")}
        )
    elif (
        psm.status == StatusPsm.CALON
        and sk.tanggal_sk < psm.status_sejak
        and psm.riwayat_status.filter(
            dari=StatusPsm.BERHENTI, ke=StatusPsm.CALON, tanggal_efektif=psm.status_sejak
        ).exists()
    ):
        # The SK of an earlier term (a PSM who stopped and registered again) appoints no one
        # now. (A first candidacy may follow its SK: an office entering its PSM of earlier years.)
        problems.append(
            _(
                "SK pengangkatan terakhir (%(nomor)s, %(sk)s) lebih lama dari pendaftarannya "
                "sebagai calon (%(sejak)s): catat SK pengangkatan yang baru."
            )
            % {
                "nomor": sk.nomor_sk,
                "sk": date_format(sk.tanggal_sk, "j F Y"),
                "sejak": date_format(psm.status_sejak, "j F Y"),
            }
        )
    elif effective is not None and sk.berlaku_sampai and effective > sk.berlaku_sampai:
        # an SK that ran out in 2022 activated a PSM in 2026 (from a review)
        problems.append(
            _(
                "SK pengangkatan terakhir (%(nomor)s) berlaku sampai %(sampai)s: catat SK yang "
                "berlaku pada tanggal efektif."
            )
            % {"nomor": sk.nomor_sk, "sampai": date_format(sk.berlaku_sampai, "j F Y")}
        )
    on = on or (sk.tanggal_sk if sk else None)
    if on is not None:
        problems += age_problems(psm.tanggal_lahir, on)
    problems += standing_problems(psm)
    if not psm.berkelakuan_baik:
        problems.append(_("Belum ada surat keterangan berkelakuan baik."))
    if bimtek_list is None:
        bimtek = psm.bimtek_set.filter(tingkat=TingkatBimtek.DASAR)
        if on is not None:
            bimtek = bimtek.filter(tanggal__lte=on)
        passed = bimtek.exists()
    else:
        passed = any(
            b.tingkat == TingkatBimtek.DASAR and (on is None or b.tanggal <= on)
            for b in bimtek_list
        )
    if not passed:
        problems.append(_("Belum lulus Bimtek dasar pada atau sebelum tanggal SK."))
    return problems


def _save_checked(psm: Psm) -> None:
    """Save a PSM that passed full_clean. The one constraint still breakable is a NIK entered at
    the same moment in another request: a message on the field, not a 500 whose logged database
    error quotes the NIK."""
    try:
        with transaction.atomic():
            psm.save()
    except IntegrityError:
        message = Psm._meta.get_field("nik").error_messages["unique"]
        raise ValidationError({"nik": message}) from None


# A portrait on a profile and a card: small, and never where it was taken.
PORTRAIT_SIDE = 800


def _portrait(data: dict) -> dict:
    """``data`` with a newly uploaded ``foto`` decoded, turned upright, shrunk and re-encoded
    without EXIF (a phone's photo carries the GPS of the place it was taken, often the PSM's
    home), under a generated name (the uploader's file name can carry a person's name). A kept
    photo passes through; a cleared one (the form's ``False``) becomes no photo, as a ModelForm
    would store it (set as it came, the save failed with a 500)."""
    upload = data.get("foto")
    if upload is False:
        return {**data, "foto": ""}
    # Not hasattr(upload, "read"): on a stored photo (FieldFile) that opens the file.
    if not isinstance(upload, File) or isinstance(upload, FieldFile):
        return data
    try:
        content, _width, _height = normalised_jpeg(upload, max_side=PORTRAIT_SIDE)
    except ValidationError as exc:
        raise ValidationError({"foto": exc.messages}) from None
    return {**data, "foto": ContentFile(content, name=f"{uuid.uuid4().hex}.jpg")}


def psm_register(*, data: dict, spesialisasi=(), by, today: dt.date) -> Psm:
    """Register a new PSM or candidate. New records start as calon, since the day they joined
    (``tanggal_bergabung``), not the day they are entered: an office entering the PSM it has had
    for years records each one's activation on the day of their SK, and a year's reports read
    who served in it from this history (entered as calon today, a PSM of 2020 was aktif only
    from the day the office caught up)."""
    data = _portrait(data)
    # The photo list outside the transaction: a failed COMMIT deletes the photo too.
    with files_removed_on_failure() as written, transaction.atomic():
        psm = Psm(**{k: v for k, v in data.items() if k in PSM_FIELDS})
        psm.status = StatusPsm.CALON
        psm.status_sejak = psm.tanggal_bergabung or today
        psm.full_clean()
        store_new_files(psm, written)
        _save_checked(psm)
        psm.spesialisasi.set(spesialisasi)
        with office_language():
            note = _("Pendaftaran")
        PsmStatusChange.objects.create(
            psm=psm,
            dari="",
            ke=StatusPsm.CALON,
            tanggal_efektif=psm.status_sejak,
            catatan=note,
            actor=by if by and by.is_authenticated else None,
        )
        audit.record(by=by, action="psm.register", target=psm, after=audit.snapshot(psm))
    return psm


@transaction.atomic
def psm_register_many(*, rows: list[dict], by, today: dt.date) -> list[Psm]:
    """Register many candidates at once (a roster import): the same checks as psm_register,
    but the uniqueness and region checks are one query each and the rows are bulk-inserted,
    so 10,000 people take seconds, not minutes. Each person still gets a history row and an
    audit event."""
    people = []
    for data in rows:
        psm = Psm(**{k: v for k, v in data.items() if k in PSM_FIELDS})
        # since the day they joined, as ``psm_register`` says why
        psm.status, psm.status_sejak = StatusPsm.CALON, psm.tanggal_bergabung or today
        psm.nama_cari = normalise_for_search(psm.nama)
        # Uniqueness and regions are checked below in one query each; the check constraints
        # are the database's own (an IntegrityError below), not a query per row here.
        psm.full_clean(
            exclude=["desa_ktp", "desa_tugas", "desa_domisili"],
            validate_unique=False,
            validate_constraints=False,
        )
        people.append(psm)
    niks = [p.nik for p in people]
    if len(set(niks)) != len(niks):
        raise ValidationError(_("Ada NIK yang sama lebih dari sekali."))
    taken = set(Psm.objects.filter(nik__in=niks).values_list("nik", flat=True))
    if taken:
        raise ValidationError(
            # Masked: the message travels in the messages cookie.
            _("NIK sudah terdaftar sebagai PSM: %(n)s.")
            % {"n": ", ".join(mask_nik(n) for n in sorted(taken)[:5])}
        )
    codes = {c for p in people for c in (p.desa_ktp_id, p.desa_tugas_id, p.desa_domisili_id) if c}
    known = set(Wilayah.objects.filter(kode__in=codes, tingkat=4).values_list("kode", flat=True))
    if codes - known:
        raise ValidationError(
            _("Kode desa/kelurahan tidak dikenal: %(k)s.")
            % {"k": ", ".join(sorted(codes - known)[:5])}
        )
    try:
        with transaction.atomic():
            Psm.objects.bulk_create(people, batch_size=1000)
    except IntegrityError as exc:
        # The database's own text names constraints and may quote a whole row (NIK included):
        # it stays out of the message and the log.
        logger.warning("bulk PSM write refused by a constraint (%s)", type(exc).__name__)
        raise ValidationError(BULK_REFUSED) from exc
    actor = by if by and by.is_authenticated else None
    with office_language():
        note = _("Impor daftar PSM")
    PsmStatusChange.objects.bulk_create(
        [
            PsmStatusChange(
                psm=p,
                dari="",
                ke=StatusPsm.CALON,
                tanggal_efektif=p.status_sejak,
                catatan=note,
                actor=actor,
            )
            for p in people
        ],
        batch_size=1000,
    )
    AuditEvent.objects.bulk_create(
        [
            audit.build(
                by=by,
                action="psm.register",
                target=p,
                after=audit.snapshot(p),
                reason=_("Impor daftar PSM"),
            )
            for p in people
        ],
        batch_size=1000,
    )
    return people


def _specialisations(psm: Psm) -> str:
    """The PSM's spesialisasi as the change history shows them (a many-to-many is not a column,
    so ``audit.snapshot`` does not see it)."""
    return ", ".join(sorted(psm.spesialisasi.values_list("nama", flat=True)))


def _registration_follows_joining(changed: list[tuple[Psm, dt.date]]) -> None:
    """A corrected joining date moves what it dated: registration makes a PSM calon from the day
    they joined (``psm_register``), so the history's first row, and "calon sejak" while nothing
    has followed it, still said the old day. ``changed``: each PSM (its new date set, not yet
    saved) with its old joining date. A registration dated otherwise, or a new date past the
    next step of the history, is left as it is (the form refuses a date past activation). One
    query, and one write when something moves."""
    if not changed:
        return
    old = {psm.pk: (psm, was) for psm, was in changed}
    history: dict[int, list[PsmStatusChange]] = {}
    for row in PsmStatusChange.objects.filter(psm_id__in=old).order_by(
        "psm_id", "tanggal_efektif", "pk"
    ):
        history.setdefault(row.psm_id, []).append(row)
    moved = []
    for pk, rows in history.items():
        psm, was = old[pk]
        first, later = rows[0], rows[1:]
        if first.dari or first.tanggal_efektif != was:
            continue
        if later and psm.tanggal_bergabung > later[0].tanggal_efektif:
            continue
        first.tanggal_efektif = psm.tanggal_bergabung
        moved.append(first)
        if not later and psm.status_sejak == was:
            psm.status_sejak = psm.tanggal_bergabung
    PsmStatusChange.objects.bulk_update(moved, ["tanggal_efektif"])


# What a PSM whose personal data retention erased answers (``registry.retention``).
ERASED = gettext_lazy(
    "Data pribadi PSM ini sudah dihapus karena masa retensinya berakhir, jadi datanya tidak "
    "dapat diubah lagi. Bila ia kembali menjadi PSM, daftarkan sebagai PSM baru."
)


def refuse_erased(psm: Psm) -> None:
    if psm.dianonimkan_pada:
        raise ValidationError(ERASED, code="erased")


def psm_update(*, psm: Psm, data: dict, spesialisasi=None, by) -> Psm:
    data = _portrait(data)
    # As psm_register: a new photo is deleted again if the write fails, up to its COMMIT.
    with files_removed_on_failure() as written, transaction.atomic():
        psm = Psm.objects.select_for_update().get(pk=psm.pk)
        refuse_erased(psm)  # read under the lock that retention takes too
        before = {**audit.snapshot(psm, masked=False), "spesialisasi": _specialisations(psm)}
        old_photo, joined = psm.foto.name, psm.tanggal_bergabung
        for key, value in data.items():
            if key in PSM_FIELDS:
                setattr(psm, key, value)
        if psm.tanggal_bergabung != joined:
            _registration_follows_joining([(psm, joined)])
        psm.full_clean()
        store_new_files(psm, written)
        _save_checked(psm)
        if spesialisasi is not None:
            psm.spesialisasi.set(spesialisasi)
        after = {**audit.snapshot(psm, masked=False), "spesialisasi": _specialisations(psm)}
        old, new = audit.changed(before, after)
        if old or new:
            audit.record(by=by, action="psm.update", target=psm, before=old, after=new)
        delete_replaced(psm.foto, old_photo)
    return psm


@transaction.atomic
def psm_update_many(*, changes: list[tuple[Psm, dict]], by) -> list[Psm]:
    """Update many PSM at once (a roster import that updates registered NIKs): psm_update's
    checks and one audit event per changed person, in a fixed number of queries. NIKs are not
    changed here, so uniqueness needs no check; the regions are checked in one query and the
    check constraints are the database's own."""
    if not changes:
        return []
    locked = Psm.objects.select_for_update().in_bulk([psm.pk for psm, _data in changes])
    missing = [psm.pk for psm, _data in changes if psm.pk not in locked]
    if missing:
        raise ValidationError(_("Sebagian PSM yang akan diperbarui sudah dihapus."))
    if any("nik" in data for _psm, data in changes):
        raise ValueError("psm_update_many does not change NIKs")
    people, events, rejoined, befores = [], [], [], {}
    now = timezone.now()
    for psm, data in changes:
        psm = locked[psm.pk]
        befores[psm.pk] = audit.snapshot(psm, masked=False)
        joined = psm.tanggal_bergabung
        for key, value in data.items():
            if key in PSM_FIELDS:
                setattr(psm, key, value)
        if psm.tanggal_bergabung != joined:
            rejoined.append((psm, joined))
    _registration_follows_joining(rejoined)  # one query for all, before the checks below
    for psm, _data in changes:
        psm = locked[psm.pk]
        before = befores[psm.pk]
        psm.full_clean(
            exclude=["desa_ktp", "desa_tugas", "desa_domisili"],
            validate_unique=False,
            validate_constraints=False,
        )
        psm.nama_cari = normalise_for_search(psm.nama)
        psm.updated_at = now
        people.append(psm)
        old, new = audit.changed(before, audit.snapshot(psm, masked=False))
        if old or new:
            events.append(
                audit.build(by=by, action="psm.update", target=psm, before=old, after=new)
            )
    codes = {c for p in people for c in (p.desa_ktp_id, p.desa_tugas_id, p.desa_domisili_id) if c}
    known = set(Wilayah.objects.filter(kode__in=codes, tingkat=4).values_list("kode", flat=True))
    if codes - known:
        raise ValidationError(
            _("Kode desa/kelurahan tidak dikenal: %(k)s.")
            % {"k": ", ".join(sorted(codes - known)[:5])}
        )
    fields = [f for f in PSM_FIELDS if any(f in data for _psm, data in changes)]
    if rejoined:
        fields.append("status_sejak")  # a candidate's "calon sejak" follows the joining date
    try:
        with transaction.atomic():
            Psm.objects.bulk_update(people, [*fields, "nama_cari", "updated_at"], batch_size=500)
    except IntegrityError as exc:
        # The database's own text names constraints and may quote a whole row (NIK included):
        # it stays out of the message and the log.
        logger.warning("bulk PSM write refused by a constraint (%s)", type(exc).__name__)
        raise ValidationError(BULK_REFUSED) from exc
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return people


@transaction.atomic
def psm_change_status(
    *,
    psm: Psm,
    ke: str,
    tanggal: dt.date,
    by,
    alasan: str = "",
    catatan: str = "",
    referensi: str = "",
) -> PsmStatusChange:
    """Move a PSM along calon -> aktif -> nonaktif -> berhenti, keeping the history."""
    psm = Psm.objects.select_for_update().get(pk=psm.pk)
    refuse_erased(psm)
    dari = psm.status
    if ke not in TRANSITIONS.get(dari, set()):
        raise ValidationError(
            _("Status tidak dapat diubah dari %(dari)s menjadi %(ke)s.")
            % {
                "dari": StatusPsm(dari).label,
                "ke": StatusPsm(ke).label if ke in StatusPsm.values else ke,
            }
        )
    if tanggal < psm.status_sejak:
        raise ValidationError(
            _("Tanggal efektif tidak boleh sebelum status saat ini berlaku (%(tgl)s).")
            % {"tgl": date_format(psm.status_sejak, "j F Y")}
        )
    if tanggal < psm.tanggal_bergabung:
        raise ValidationError(
            _("Tanggal efektif tidak boleh sebelum tanggal bergabung (%(tgl)s).")
            % {"tgl": date_format(psm.tanggal_bergabung, "j F Y")}
        )
    if ke == StatusPsm.AKTIF:
        problems = activation_problems(psm, effective=tanggal)
        if problems:
            raise ValidationError(problems)
    if ke == StatusPsm.BERHENTI and not alasan:
        raise ValidationError({"alasan": _("Alasan berhenti wajib diisi.")})
    if (
        dari == StatusPsm.BERHENTI
        and _last_stop_reason(psm) == AlasanBerhenti.MENINGGAL
        and not (by and getattr(by, "role", None) == Role.ADMIN)
    ):
        # A reason picked by mistake is not for ever: the administrator may still re-register
        # (in the trail as any change).
        raise ValidationError(
            _(
                "PSM ini tercatat berhenti karena meninggal dunia; tidak dapat didaftarkan lagi. "
                "Bila pencatatan itu keliru, administrator portal dapat mendaftarkannya lagi."
            )
        )
    change = PsmStatusChange.objects.create(
        psm=psm,
        dari=dari,
        ke=ke,
        tanggal_efektif=tanggal,
        alasan=alasan,
        catatan=catatan,
        referensi=referensi,
        actor=by if by and by.is_authenticated else None,
    )
    psm.status = ke
    psm.status_sejak = tanggal
    psm.save(update_fields=["status", "status_sejak", "updated_at"])
    # A PSM who stopped no longer works in the portal, nor reads the cases they wrote (specific
    # personal data, UU 27/2022 Pasal 35-39): their PSM login ends with the stop (a session
    # open on their phone included). Re-registration does not bring it back by itself: an
    # account may have been turned off for another reason too; the page says to ask the admin.
    switched = 0
    if ke == StatusPsm.BERHENTI:
        switched = (
            get_user_model()
            .objects.filter(psm=psm, role=Role.PSM, is_active=True)
            .update(is_active=False)
        )
    # For the page: the PSM's login turned off now, or still off after a re-registration.
    change.login_off = bool(switched)
    change.login_still_off = (
        dari == StatusPsm.BERHENTI
        and get_user_model().objects.filter(psm=psm, role=Role.PSM, is_active=False).exists()
    )
    accounts = ({"akun_login_aktif": True}, {"akun_login_aktif": False}) if switched else ({}, {})
    audit.record(
        by=by,
        action="psm.status",
        target=psm,
        before={"status": dari, **accounts[0]},
        after={
            "status": ke,
            **accounts[1],
            "tanggal": str(tanggal),
            # what the change history shows under its own labels (the reason stays for the log)
            **{
                key: value
                for key, value in (
                    ("alasan", alasan),
                    ("referensi", referensi),
                    ("catatan", catatan),
                )
                if value
            },
        },
        reason=alasan or catatan,
    )
    return change


def _last_stop_reason(psm: Psm) -> str | None:
    return (
        psm.riwayat_status.filter(ke=StatusPsm.BERHENTI)
        .order_by("-tanggal_efektif", "-pk")
        .values_list("alasan", flat=True)
        .first()
    )


def _add_record(model, *, psm: Psm, data: dict, by, action: str, written: list | None = None):
    """``written``: the ``files_removed_on_failure`` list of a record that carries a file."""
    obj = model(psm=psm, **data)
    obj.full_clean()
    if written is not None:
        store_new_files(obj, written)
    obj.save()
    audit.record(by=by, action=action, target=psm, after=audit.snapshot(obj))
    return obj


def sk_add(*, psm: Psm, data: dict, by) -> PsmAppointment:
    """An SK and its scan: the scan is deleted again if the write fails, up to its COMMIT."""
    _check_sk(psm, data)
    with files_removed_on_failure() as written, transaction.atomic():
        return _add_record(
            PsmAppointment, psm=psm, data=data, by=by, action="psm.sk_add", written=written
        )


def _not_before_birth(psm: Psm, tanggal, field: str) -> None:
    """A record of a PSM's service dated before they were born (a Bimtek passed in 1990 by a
    PSM born in 2000 counted towards activation)."""
    if tanggal and tanggal < psm.tanggal_lahir:
        raise ValidationError(
            {
                field: _("Tanggal tidak boleh sebelum tanggal lahir PSM (%(tgl)s).")
                % {"tgl": date_format(psm.tanggal_lahir, "j F Y")}
            }
        )


def _certificate_taken() -> ValidationError:
    return ValidationError(
        {"nomor_sertifikat": _("Sertifikat dengan nomor ini sudah tercatat untuk tingkat ini.")}
    )


@transaction.atomic
def bimtek_add(*, psm: Psm, data: dict, by) -> PsmBimtek:
    """A passed Bimtek typed in from its certificate (the profile's form). A certificate already
    recorded is refused with a message: the form said "added" and dropped what was typed, and
    a double tap that raced the check answered 500."""
    key = {"tingkat": data.get("tingkat"), "nomor_sertifikat": data.get("nomor_sertifikat")}
    if PsmBimtek.objects.filter(psm=psm, **key).exists():
        raise _certificate_taken()
    _not_before_birth(psm, data.get("tanggal"), "tanggal")
    if (
        key["nomor_sertifikat"]
        and PsmBimtek.objects.filter(**key, penyelenggara=data.get("penyelenggara", ""))
        .exclude(psm=psm)
        .exists()
    ):
        # one certificate is one person's (the walk found one number on three PSM)
        raise ValidationError(
            {"nomor_sertifikat": _("Nomor sertifikat ini sudah tercatat untuk PSM lain.")}
        )
    try:
        with transaction.atomic():
            return _add_record(PsmBimtek, psm=psm, data=data, by=by, action="psm.bimtek_add")
    except IntegrityError:
        raise _certificate_taken() from None


@transaction.atomic
def bimtek_record(
    *, psm: Psm, tingkat: str, nomor_sertifikat: str, penyelenggara: str, tanggal: dt.date, by
) -> PsmBimtek:
    """Record a passed Bimtek. The training app calls this (registry never imports training)."""
    existing = PsmBimtek.objects.filter(
        psm=psm, tingkat=tingkat, nomor_sertifikat=nomor_sertifikat
    ).first()
    if existing is not None:
        return existing
    obj = PsmBimtek(
        psm=psm,
        tingkat=tingkat,
        nomor_sertifikat=nomor_sertifikat,
        penyelenggara=penyelenggara,
        tanggal=tanggal,
    )
    obj.full_clean()
    obj.save()
    audit.record(by=by, action="psm.bimtek_add", target=psm, after=audit.snapshot(obj))
    return obj


@transaction.atomic
def bimtek_withdraw(*, psm: Psm, nomor_sertifikat: str, reason: str, by) -> int:
    """Remove the passed Bimtek a revoked certificate recorded, each row with its audit entry
    (all or none). Answers how many rows went."""
    records = list(PsmBimtek.objects.filter(psm=psm, nomor_sertifikat=nomor_sertifikat))
    for record in records:
        audit.record(
            by=by,
            action="psm.bimtek_withdraw",
            target=psm,
            before=audit.snapshot(record),
            reason=reason,
        )
        record.delete()
    return len(records)


def _year_not_before_birth(psm: Psm, tahun, field: str, message) -> None:
    if tahun and tahun < psm.tanggal_lahir.year:
        raise ValidationError({field: message % {"tahun": psm.tanggal_lahir.year}})


def _check_sk(psm: Psm, data: dict, record=None) -> None:
    """An SK signed, or in force, before its PSM was born is a typo (of a year, most often):
    for a candidate nothing else caught it, and it stood on the profile and the card."""
    _not_before_birth(psm, data.get("tanggal_sk"), "tanggal_sk")
    _not_before_birth(psm, data.get("berlaku_mulai"), "berlaku_mulai")


def _check_ipsm(psm: Psm, data: dict, record=None) -> None:
    """``record``: the membership corrected, not compared with itself."""
    _year_not_before_birth(
        psm,
        data.get("periode_mulai"),
        "periode_mulai",
        _("Periode tidak boleh dimulai sebelum PSM lahir (%(tahun)s)."),
    )
    mulai, selesai, tingkat = (data.get(f) for f in ("periode_mulai", "periode_selesai", "tingkat"))
    if not (mulai and tingkat):
        return
    # Periods are whole years: two at one level may share the year a post changed hands; more
    # than that is one PSM holding two posts of one board at once (a duplicate, most often, or
    # an earlier post never closed).
    overlapping = Q(periode_mulai__lt=selesai or 10_000) & (
        Q(periode_selesai__isnull=True) | Q(periode_selesai__gt=mulai)
    )
    # the same post from the same year: one typed twice, even within a single year
    same = Q(periode_mulai=mulai, jabatan=data.get("jabatan"))
    others = psm.ipsm_set.filter(overlapping | same, tingkat=tingkat)
    if record is not None:
        others = others.exclude(pk=record.pk)
    clash = others.order_by("periode_mulai", "pk").first()
    if clash:
        raise ValidationError(
            {
                "periode_mulai": _(
                    "Periode ini bertumpang tindih dengan keanggotaan IPSM tingkat %(tingkat)s "
                    "yang sudah tercatat: %(jabatan)s, %(periode)s. Bila jabatannya berganti, "
                    "isi dulu periode selesai keanggotaan itu."
                )
                % {
                    "tingkat": clash.get_tingkat_display(),
                    "jabatan": clash.get_jabatan_display(),
                    "periode": f"{clash.periode_mulai}–{clash.periode_selesai or _('sekarang')}",
                }
            }
        )


def _check_bantuan(psm: Psm, data: dict, record=None) -> None:
    _not_before_birth(psm, data.get("tanggal"), "tanggal")


def _check_penghargaan(psm: Psm, data: dict, record=None) -> None:
    _year_not_before_birth(
        psm, data.get("tahun"), "tahun", _("Tahun tidak boleh sebelum PSM lahir (%(tahun)s).")
    )


@transaction.atomic
def ipsm_add(*, psm: Psm, data: dict, by) -> IpsmMembership:
    _lock_status(psm)  # two memberships sent at once are compared one after the other
    _check_ipsm(psm, data)
    return _add_record(IpsmMembership, psm=psm, data=data, by=by, action="psm.ipsm_add")


@transaction.atomic
def bantuan_add(*, psm: Psm, data: dict, by) -> BantuanPeralatan:
    _check_bantuan(psm, data)
    return _add_record(BantuanPeralatan, psm=psm, data=data, by=by, action="psm.bantuan_add")


@transaction.atomic
def penghargaan_add(*, psm: Psm, data: dict, by) -> Penghargaan:
    _check_penghargaan(psm, data)
    return _add_record(Penghargaan, psm=psm, data=data, by=by, action="psm.penghargaan_add")


# The service-record entries the office types in and may correct or remove: a typo in an SK
# number stayed on the profile, the card and every document for good. (A Bimtek passed is
# withdrawn with its certificate, by the training app.) Each kind: its model and the rules its
# add checks, which a correction checks again.
CORRECTABLE_RECORDS = {
    "sk": (PsmAppointment, _check_sk),
    "ipsm": (IpsmMembership, _check_ipsm),
    "bantuan": (BantuanPeralatan, _check_bantuan),
    "penghargaan": (Penghargaan, _check_penghargaan),
}


def _serving_sk_problems(psm: Psm, sk_list: list[PsmAppointment]) -> list[str]:
    """What activation (``activation_problems``) would say of a serving PSM (aktif or
    nonaktif) appointed by ``sk_list``, as of the day they became aktif; nothing for others."""
    if psm.status not in (StatusPsm.AKTIF, StatusPsm.NONAKTIF):
        return []
    since = (
        psm.riwayat_status.filter(ke=StatusPsm.AKTIF)
        .order_by("-tanggal_efektif", "-pk")
        .values_list("tanggal_efektif", flat=True)
        .first()
    )
    newest_first = sorted(sk_list, key=lambda sk: (sk.tanggal_sk, sk.pk), reverse=True)
    # The SK that appointed them is the newest one signed by that day: a renewal signed since
    # appoints no one then (judged by it, every change read as already broken, and the SK
    # their activation cited could be removed). None signed by then: the earliest, which
    # says why.
    appointing = [sk for sk in newest_first if since is None or sk.tanggal_sk <= since]
    return activation_problems(psm, sk_list=appointing or newest_first[-1:], effective=since)


def _sk_change_refusal(
    psm: Psm, sk_after: list[PsmAppointment], intro: str, outro: str = ""
) -> None:
    """Refuse a change of a serving PSM's SKs that breaks a rule of their activation which held
    before it (a rule already broken, say a Bimtek never recorded, does not block fixing a typo
    in the SK's number)."""
    before = _serving_sk_problems(psm, list(psm.sk_set.all()))
    broken = [p for p in _serving_sk_problems(psm, sk_after) if p not in before]
    if broken:
        raise ValidationError(" ".join([intro, *broken, outro]))


def record_label(kind: str, record) -> str:
    """The entry as a reader of the change history knows it ("SK 400.9/17/2024"): a PSM may
    have several of a kind. In the office's language, as the trail keeps it."""
    with office_language():
        if kind == "sk":
            return _("SK %(nomor)s") % {"nomor": record.nomor_sk}
        if kind == "ipsm":
            return f"{record.get_jabatan_display()} IPSM {record.get_tingkat_display()} " + (
                f"{record.periode_mulai}"
            )
        if kind == "bantuan":
            return f"{record.jenis}, {date_format(record.tanggal, 'j F Y')}"
        return f"{record.nama} {record.tahun}"


# An entry removed meanwhile, in another tab or by a colleague.
RECORD_GONE = gettext_lazy("Data ini sudah dihapus orang lain; muat ulang profil PSM.")


# An entry changed meanwhile: two tabs, or two colleagues, correcting it from the same page.
RECORD_CHANGED = gettext_lazy(
    "Data ini baru saja diubah orang lain (sekarang: %(entri)s). Isian Anda tetap di bawah: "
    "periksa, lalu kirim lagi bila memang perlu."
)


def record_version(record) -> str:
    """What a correction's form was drawn from: the entry's last change, to the microsecond."""
    return record.updated_at.isoformat()


def _locked_record(kind: str, psm: Psm, record_pk: int, expected_version: str = ""):
    """The entry, locked; refused when it is gone, or changed since ``expected_version`` (a
    form without one, from a page older than the check, is not compared: the later save wins,
    as before)."""
    model, _check = CORRECTABLE_RECORDS[kind]
    record = model.objects.select_for_update().filter(psm=psm, pk=record_pk).first()
    if record is None:
        raise ValidationError(RECORD_GONE)
    if expected_version and record_version(record) != expected_version:
        raise ValidationError(
            RECORD_CHANGED % {"entri": record_label(kind, record)}, code="changed"
        )
    return record


def record_update(
    *, psm: Psm, kind: str, record_pk: int, data: dict, alasan: str, by, expected_version: str = ""
) -> bool:
    """Correct an entry of ``psm``'s service record (``CORRECTABLE_RECORDS``), checked as its
    add is, audited with what changed and why; refused if it changed since the form was drawn
    (``expected_version``). An SK's scan is kept unless another is uploaded; the replaced one is
    deleted once the change commits. Answers whether anything changed. A missing reason is
    refused after the entry's own checks, so that a form can say both at once."""
    model, check = CORRECTABLE_RECORDS[kind]
    with files_removed_on_failure() as written, transaction.atomic():
        _lock_status(psm)
        record = _locked_record(kind, psm, record_pk, expected_version)
        before, label = audit.snapshot(record, masked=False), record_label(kind, record)
        old_file = record.dokumen.name if kind == "sk" else ""
        check(psm, data, record)
        for name, value in data.items():
            if name == "dokumen" and not value:
                continue  # nothing uploaded: the scan on record stays
            setattr(record, name, value)
        record.full_clean()
        if kind == "sk":
            others = list(psm.sk_set.exclude(pk=record.pk))
            _sk_change_refusal(
                psm,
                [*others, record],
                _("Perbaikan SK ini membuat PSM yang sedang menjabat tidak lagi memenuhi syarat:"),
            )
        if not alasan.strip():
            raise ValidationError(_("Tuliskan alasan memperbaiki data ini."), code="no_reason")
        store_new_files(record, written)
        record.save()
        if kind == "sk":
            delete_replaced(record.dokumen, old_file)
        was, now = audit.changed(before, audit.snapshot(record, masked=False))
        if now:
            # which entry: a PSM may have several of a kind (Pasal 31's record of processing)
            audit.record(
                by=by,
                action=f"psm.{kind}_update",
                target=psm,
                before={"id": record.pk, "entri": label, **was},
                after={"id": record.pk, "entri": label, **now},
                reason=alasan,
            )
    return bool(now)


def _lock_status(psm: Psm) -> None:
    """Lock the PSM's row and read its status again: an SK checked against a status changed
    meanwhile, or two SKs removed at once, would each pass alone."""
    psm.status = (
        Psm.objects.select_for_update().filter(pk=psm.pk).values_list("status", flat=True).get()
    )


def record_remove_refusal(psm: Psm, kind: str, record) -> str | None:
    """Why an entry cannot be removed, or None: the SK that appoints a PSM serving or paused
    (their card and documents cite it) cannot go if what remains would not have appointed them;
    it is corrected, or the right one recorded first."""
    if kind != "sk":
        return None
    try:
        _sk_change_refusal(
            psm,
            list(psm.sk_set.exclude(pk=record.pk)),
            _("Tanpa SK ini, PSM yang sedang menjabat tidak memenuhi syarat:"),
            _("Perbaiki isinya, atau catat SK yang benar lebih dulu."),
        )
    except ValidationError as exc:
        return " ".join(exc.messages)
    return None


def record_remove(
    *, psm: Psm, kind: str, record_pk: int, alasan: str, by, expected_version: str = ""
) -> None:
    """Remove an entry typed in by mistake (a duplicate, another PSM's), with the reason, its
    contents kept in the audit trail; an SK's scan goes once the removal commits. Refused if
    the entry changed since the page was drawn: what was judged wrong may have been fixed."""
    with transaction.atomic():
        _lock_status(psm)  # first: two SKs removed at once must not each leave the other
        record = _locked_record(kind, psm, record_pk, expected_version)
        if refusal := record_remove_refusal(psm, kind, record):
            raise ValidationError(refusal)
        audit.record(
            by=by,
            action=f"psm.{kind}_remove",
            target=psm,
            before={"entri": record_label(kind, record), **audit.snapshot(record)},
            reason=alasan,
        )
        if kind == "sk" and record.dokumen:
            name, storage = record.dokumen.name, record.dokumen.storage
            transaction.on_commit(lambda: storage.delete(name))
        record.delete()


# Photos per activity: enough to show the room and the people, few enough for a weak signal.
MAX_ACTIVITY_PHOTOS = 5
_ACTIVITY_FIELDS = ["jenis", "tanggal", "durasi_jam", "tempat", "desa", "uraian", "jumlah_penerima"]


def _check_hours_of_the_day(psm: Psm, data: dict) -> None:
    """At most 24 hours of a PSM's activities on one day (ten 24-hour activities filled PR-02).
    Under the PSM's row lock: a phone's outbox sending several at once is counted one by one."""
    Psm.objects.select_for_update().filter(pk=psm.pk).values_list("pk", flat=True).get()
    same_day = (
        Kegiatan.objects.filter(psm=psm, tanggal=data["tanggal"])
        .exclude(status=StatusKegiatan.DITOLAK)
        .aggregate(jam=Sum("durasi_jam"))["jam"]
        or 0
    )
    if same_day + Decimal(str(data.get("durasi_jam") or 0)) > 24:
        raise ValidationError(
            {
                "durasi_jam": _(
                    "Kegiatan pada %(tgl)s sudah tercatat %(jam)s jam; sehari paling banyak 24 jam."
                )
                % {
                    "tgl": date_format(data["tanggal"], "j F Y"),
                    "jam": f"{Decimal(same_day).normalize():f}",
                }
            }
        )


# The statuses in which a PSM does not serve: the indicators leave their months out
# (``reports.indicators.months_served``), so no work is recorded in them.
NOT_SERVING = (StatusPsm.NONAKTIF, StatusPsm.BERHENTI)


def card_refusal(psm: Psm) -> str | None:
    """Why no PSM card is printed for ``psm``, or None. A card says its holder serves: a
    candidate is not appointed yet (Permensos 10/2019, by SK), and one nonaktif or stopped
    would carry it where they no longer do."""
    if psm.status == StatusPsm.AKTIF:
        return None
    return _("Kartu PSM hanya dicetak untuk PSM aktif; PSM ini berstatus %(s)s.") % {
        "s": psm.get_status_display().lower()
    }


def work_date_problem(psm: Psm, day: dt.date) -> str | None:
    """Why work of ``psm`` (an activity, a case) dated ``day`` is not recorded, or None: a day
    before they joined, or in a spell nonaktif or stopped, now or ended since (one query for an
    earlier spell). PR-01 divides a PSM's work by the months they were aktif, so work of other
    months would count against months it is not divided by. Work dated before a spell began
    (held in a phone's outbox, say) is still recorded."""
    if psm.status in NOT_SERVING and day >= psm.status_sejak:
        return _not_serving_refusal(psm.status, psm.status_sejak, None)
    spell = _earlier_spell_not_serving(psm, day)
    if spell is not None:
        return _not_serving_refusal(*spell)
    if day < psm.tanggal_bergabung:
        # Work from before joining would inflate the per-month figures of the year joined.
        return _(
            "PSM ini bergabung pada %(tgl)s; kegiatan dan asesmen sebelum tanggal itu tidak "
            "dicatat."
        ) % {"tgl": date_format(psm.tanggal_bergabung, "j F Y")}
    return None


def _earlier_spell_not_serving(
    psm: Psm, day: dt.date
) -> tuple[str, dt.date | None, dt.date] | None:
    """The status and the (first, last) days of a spell nonaktif or stopped of ``psm``, ended
    since, that ``day`` falls in, by the status history; first None for a spell that began
    before the history did."""
    changes = list(
        PsmStatusChange.objects.filter(psm=psm)
        .order_by("tanggal_efektif", "pk")
        .values_list("tanggal_efektif", "dari", "ke")
    )
    if changes and changes[0][1] in NOT_SERVING and day < changes[0][0]:
        # Before the history's first change the PSM was what it changed from (as the indicators
        # read it, ``reports.indicators.aktif_on``): since a day the portal never knew.
        return changes[0][1], None, changes[0][0] - dt.timedelta(days=1)
    for (since, _dari, ke), (until, _d, _k) in zip(changes, changes[1:], strict=False):
        if ke in NOT_SERVING and since <= day < until:
            return ke, since, until - dt.timedelta(days=1)
    return None


def _not_serving_refusal(status: str, first: dt.date | None, last: dt.date | None) -> str:
    """Why work dated in a spell of ``status`` (nonaktif or berhenti) is refused: from ``first``
    (None: since before the history) to ``last`` (None: to this day)."""
    when = {
        "dari": date_format(first, "j F Y") if first else "",
        "sampai": date_format(last, "j F Y") if last else "",
    }
    if status == StatusPsm.NONAKTIF:
        if last is None:
            text = _(
                "PSM ini nonaktif sejak %(dari)s; kegiatan dan asesmen sejak tanggal itu tidak "
                "dapat dicatat."
            )
        elif first is None:
            text = _(
                "PSM ini nonaktif sampai %(sampai)s; kegiatan dan asesmen pada masa itu tidak "
                "dapat dicatat."
            )
        else:
            text = _(
                "PSM ini nonaktif dari %(dari)s sampai %(sampai)s; kegiatan dan asesmen pada masa "
                "itu tidak dapat dicatat."
            )
    elif last is None:
        text = _(
            "PSM ini berhenti sejak %(dari)s; kegiatan dan asesmen sejak tanggal itu tidak dapat "
            "dicatat."
        )
    elif first is None:
        text = _(
            "PSM ini berhenti sampai %(sampai)s; kegiatan dan asesmen pada masa itu tidak dapat "
            "dicatat."
        )
    else:
        text = _(
            "PSM ini berhenti dari %(dari)s sampai %(sampai)s; kegiatan dan asesmen pada masa "
            "itu tidak dapat dicatat."
        )
    return text % when


def activity_record(
    *, psm: Psm, data: dict, photos=(), client_uuid: uuid.UUID, by, today: dt.date
) -> tuple[Kegiatan, bool]:
    """Record an activity of ``psm``. The same ``client_uuid`` sent again (a retry after the signal
    dropped, a double tap, the phone's outbox) answers the activity it made: ``(kegiatan, False)``.
    """
    existing = Kegiatan.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        if existing.psm_id != psm.pk:
            raise ValidationError(_("Kode kiriman ini sudah dipakai. Muat ulang formulir."))
        return existing, False
    if data["tanggal"] > today:
        raise ValidationError({"tanggal": _("Tanggal kegiatan tidak boleh di masa depan.")})
    problem = work_date_problem(psm, data["tanggal"])
    if problem:
        raise ValidationError({"tanggal": problem})
    if len(photos) > MAX_ACTIVITY_PHOTOS:
        raise ValidationError(
            {"foto": _("Paling banyak %(n)d foto per kegiatan.") % {"n": MAX_ACTIVITY_PHOTOS}}
        )
    office = current_office()
    keep_location = bool(office and office.simpan_lokasi_foto)
    images = [normalised_jpeg(upload, keep_location=keep_location) for upload in photos]
    kegiatan = Kegiatan(psm=psm, client_uuid=client_uuid, **data)
    kegiatan.full_clean(exclude=["client_uuid"])
    try:
        with files_removed_on_failure() as written, transaction.atomic():
            _check_hours_of_the_day(psm, data)
            kegiatan.save()
            for content, width, height in images:
                photo = KegiatanFoto(kegiatan=kegiatan, lebar=width, tinggi=height)
                photo.berkas.save(f"{uuid.uuid4().hex}.jpg", ContentFile(content), save=False)
                written.append(photo.berkas)
                photo.save()
            audit.record(
                by=by,
                action="kegiatan.record",
                target=kegiatan,
                after=audit.snapshot(kegiatan, _ACTIVITY_FIELDS),
            )
    except IntegrityError:
        # The same submission arrived twice at once: the other copy won; answer with it.
        twin = Kegiatan.objects.filter(client_uuid=client_uuid, psm=psm).first()
        if twin is None:
            raise
        return twin, False
    return kegiatan, True


@transaction.atomic
def activity_verify(*, kegiatan: Kegiatan, approve: bool, note: str = "", by) -> Kegiatan:
    """Staff confirm (or reject, with a reason) an activity a PSM recorded."""
    kegiatan = Kegiatan.objects.select_for_update().get(pk=kegiatan.pk)
    if kegiatan.status != StatusKegiatan.DICATAT:
        raise ValidationError(
            _("Kegiatan ini sudah %(s)s.") % {"s": kegiatan.get_status_display().lower()}
        )
    if not approve and not note.strip():
        raise ValidationError({"catatan_verifikasi": _("Tuliskan alasan penolakan.")})
    if by is not None and by.psm_id and by.psm_id == kegiatan.psm_id:
        raise ValidationError(_("Kegiatan Anda sendiri diverifikasi oleh orang lain."))
    before = kegiatan.status
    kegiatan.status = StatusKegiatan.DIVERIFIKASI if approve else StatusKegiatan.DITOLAK
    kegiatan.catatan_verifikasi = note.strip()
    kegiatan.diverifikasi_oleh = by
    kegiatan.diverifikasi_pada = timezone.now()
    kegiatan.save()
    audit.record(
        by=by,
        action="kegiatan.verify",
        target=kegiatan,
        before={"status": before},
        after={"status": kegiatan.status},
        reason=note,
    )
    return kegiatan
