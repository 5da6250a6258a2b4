"""Every write of the training app. Each service runs in a transaction, validates, writes and
records an audit event; ``today`` comes from the caller. A passed Bimtek reaches the registry
only through ``registry.services.bimtek_record``."""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from psm_portal import audit
from psm_portal.office import office_language
from registry import services as registry_services
from registry.models import Psm, StatusPsm
from training.models import (
    LEVEL_OF,
    MODUL_DASAR,
    PREREQUISITE,
    BimtekEvent,
    HariEvent,
    Jenis,
    Kehadiran,
    KuotaKecamatan,
    Modul,
    Pemberitahuan,
    Penyelenggara,
    Peserta,
    StatusEvent,
    StatusHadir,
    StatusPeserta,
)

EVENT_TRANSITIONS = {
    StatusEvent.DRAFT: {StatusEvent.BUKA, StatusEvent.BATAL},
    StatusEvent.BUKA: {StatusEvent.TUTUP, StatusEvent.BATAL},
    StatusEvent.TUTUP: {StatusEvent.BUKA, StatusEvent.BATAL},  # SELESAI only via event_complete
    StatusEvent.SELESAI: set(),
    StatusEvent.BATAL: set(),
}
SEATED = (StatusPeserta.TERDAFTAR, StatusPeserta.LULUS, StatusPeserta.TIDAK_LULUS)
# Marks that count as attendance (late is present).
PRESENT = (StatusHadir.HADIR, StatusHadir.TERLAMBAT)
# The longest event (a specialisation course of several weeks, with room to spare).
MAX_EVENT_DAYS = 60
_EVENT_FIELDS = [
    "judul",
    "jenis",
    "penyelenggara",
    "wilayah",
    "tempat",
    "kapasitas",
    "pendaftaran_mulai",
    "pendaftaran_selesai",
    "tanggal_mulai",
    "tanggal_selesai",
    "min_kehadiran_persen",
    "nilai_lulus",
    "keterangan",
]


# An event's days are rows (attendance is taken on each): no event runs longer than a year.
MAX_EVENT_DAYS = 366


def overlapping_events(event: BimtekEvent):
    """Other live events of the same organiser region whose dates overlap (a warning only)."""
    return (
        BimtekEvent.objects.filter(
            wilayah=event.wilayah_id,
            tanggal_mulai__lte=event.tanggal_selesai,
            tanggal_selesai__gte=event.tanggal_mulai,
        )
        .exclude(pk=event.pk)
        .exclude(status=StatusEvent.BATAL)
        .order_by("tanggal_mulai")
    )


@transaction.atomic
def event_save(
    *, data: dict, by, event: BimtekEvent | None = None, today: dt.date | None = None
) -> BimtekEvent:
    """Create or change an event. The days from start to end are created with it; a new Bimtek
    dasar gets the default curriculum."""
    creating = event is None
    if creating:
        event = BimtekEvent()
        before = None
    else:
        event = BimtekEvent.objects.select_for_update().get(pk=event.pk)
        before = audit.snapshot(event)
        if event.status in (StatusEvent.SELESAI, StatusEvent.BATAL):
            raise ValidationError(_("Kegiatan yang sudah selesai atau batal tidak dapat diubah."))
    for key in _EVENT_FIELDS:
        if key in data:
            setattr(event, key, data[key])
    if (
        event.tanggal_mulai
        and event.tanggal_selesai
        and (event.tanggal_selesai - event.tanggal_mulai).days >= MAX_EVENT_DAYS
    ):
        # a day row is made for each date: an end typed as 9999 made millions (and at
        # 31-12-9999, a 500 past the last date there is)
        raise ValidationError(
            {"tanggal_selesai": _("Kegiatan paling lama %(n)d hari.") % {"n": MAX_EVENT_DAYS}}
        )
    if (
        event.pendaftaran_mulai
        and event.tanggal_selesai
        and event.pendaftaran_mulai > event.tanggal_selesai
    ):
        raise ValidationError(
            {"pendaftaran_mulai": _("Pendaftaran harus dibuka sebelum kegiatan selesai.")}
        )
    if (
        event.pendaftaran_selesai
        and event.tanggal_selesai
        and event.pendaftaran_selesai > event.tanggal_selesai
    ):
        raise ValidationError(
            {
                "pendaftaran_selesai": _(
                    "Pendaftaran harus ditutup paling lambat pada hari terakhir kegiatan."
                )
            }
        )
    event.full_clean()
    if (event.tanggal_selesai - event.tanggal_mulai).days >= MAX_EVENT_DAYS:
        # One row per day is written below: a mistyped year would write tens of thousands.
        raise ValidationError(
            {
                "tanggal_selesai": _("Kegiatan paling lama %(n)d hari; periksa tahunnya.")
                % {"n": MAX_EVENT_DAYS}
            }
        )
    if not creating:
        # Who may enrol was decided by the kind and the region: changed under the people already
        # enrolled, a dasar turned lanjutan would record lanjutan for candidates without a dasar.
        moved = [
            name
            for name, now in (("jenis", event.jenis), ("wilayah", event.wilayah_id))
            if before[name] != now
        ]
        if moved and event.peserta_set.exclude(status=StatusPeserta.BATAL).exists():
            raise ValidationError(
                {name: _("Tidak dapat diubah: sudah ada peserta yang mendaftar.") for name in moved}
            )
        seated = event.peserta_set.filter(status__in=SEATED).count()
        if event.kapasitas < seated:
            raise ValidationError(
                {
                    "kapasitas": _(
                        "Kapasitas tidak boleh di bawah jumlah peserta terdaftar (%(n)d)."
                    )
                    % {"n": seated}
                }
            )
        outside = event.hari_set.exclude(
            tanggal__range=(event.tanggal_mulai, event.tanggal_selesai)
        )
        taken = sorted(
            set(outside.filter(kehadiran_set__isnull=False).values_list("tanggal", flat=True))
        )
        if taken:
            # on the date that would leave them out (a message above the form named no field)
            errors = {}
            if taken[-1] > event.tanggal_selesai:
                errors["tanggal_selesai"] = _(
                    "Kehadiran sudah tercatat pada %(tgl)s: kegiatan tidak dapat berakhir "
                    "sebelumnya."
                ) % {"tgl": date_format(taken[-1], "j F Y")}
            if taken[0] < event.tanggal_mulai:
                errors["tanggal_mulai"] = _(
                    "Kehadiran sudah tercatat pada %(tgl)s: kegiatan tidak dapat dimulai "
                    "sesudahnya."
                ) % {"tgl": date_format(taken[0], "j F Y")}
            raise ValidationError(errors)
        outside.delete()
    event.save()
    existing = set(event.hari_set.values_list("tanggal", flat=True))
    for n in range((event.tanggal_selesai - event.tanggal_mulai).days + 1):
        day = event.tanggal_mulai + dt.timedelta(days=n)
        if day not in existing:
            HariEvent.objects.create(event=event, tanggal=day)
    if creating and event.jenis == Jenis.DASAR:
        Modul.objects.bulk_create(
            Modul(event=event, urutan=i, judul=judul) for i, judul in enumerate(MODUL_DASAR, 1)
        )
    after = audit.snapshot(event)
    if creating:
        audit.record(by=by, action="event.create", target=event, after=after)
    else:
        old, new = audit.changed(before, after)
        audit.record(by=by, action="event.update", target=event, before=old, after=new)
        # a larger capacity seats who is waiting first
        _promote_waiting(event, by=by, today=today)
    return event


@transaction.atomic
def event_set_status(
    *, event: BimtekEvent, status: str, by, today: dt.date | None = None
) -> BimtekEvent:
    event = BimtekEvent.objects.select_for_update().get(pk=event.pk)
    if status not in EVENT_TRANSITIONS[event.status]:
        raise ValidationError(
            _("Status kegiatan tidak dapat diubah dari %(a)s menjadi %(b)s.")
            % {"a": StatusEvent(event.status).label, "b": StatusEvent(status).label}
        )
    if (
        status == StatusEvent.BUKA
        and today is not None
        and event.pendaftaran_selesai
        and event.pendaftaran_selesai < today
    ):
        # opened, it refused every enrolment and nomination one by one ("Di luar masa
        # pendaftaran"), with nothing pointing at the dates
        raise ValidationError(
            _(
                "Masa pendaftaran kegiatan ini sudah berakhir (%(tgl)s). Ubah tanggal "
                "pendaftarannya dulu, lalu buka pendaftaran."
            )
            % {"tgl": date_format(event.pendaftaran_selesai, "j F Y")}
        )
    before = event.status
    event.status = status
    event.save(update_fields=["status", "updated_at"])
    audit.record(
        by=by,
        action="event.status",
        target=event,
        before={"status": before},
        after={"status": status},
    )
    if status == StatusEvent.BATAL:
        _cancel_enrolments(event, by=by)
    return event


def _cancel_enrolments(event: BimtekEvent, *, by, statuses=None, pesan: str = "") -> None:
    """A cancelled event's enrolled and waiting PSM (or those in ``statuses``) are no longer
    enrolled, and each is told (they still saw "Daftar tunggu" and a cancel button that was
    refused), with ``pesan`` or that the event was cancelled."""
    if not pesan:
        with office_language():
            pesan = _("%(judul)s (%(tgl)s) dibatalkan oleh penyelenggara.") % {
                "judul": event.judul,
                "tgl": date_format(event.tanggal_mulai, "j F Y"),
            }
    for enrolment in event.peserta_set.filter(
        status__in=statuses or (StatusPeserta.TERDAFTAR, StatusPeserta.MENUNGGU)
    ):
        enrolment.status, enrolment.antrean = StatusPeserta.BATAL, None
        enrolment.save(update_fields=["status", "antrean", "updated_at"])
        audit.record(by=by, action="enrolment.cancel", target=enrolment, reason=pesan)
        Pemberitahuan.objects.create(psm_id=enrolment.psm_id, pesan=pesan)


@transaction.atomic
def quota_set(
    *, event: BimtekEvent, kecamatan, kuota: int, by, today: dt.date | None = None
) -> KuotaKecamatan:
    if not kecamatan.kode.startswith(f"{event.wilayah_id}.") or kecamatan.tingkat != 3:
        raise ValidationError(_("Kecamatan ini tidak berada di wilayah penyelenggara."))
    event = BimtekEvent.objects.select_for_update().get(pk=event.pk)
    if event.status in (StatusEvent.SELESAI, StatusEvent.BATAL):
        raise ValidationError(_("Kuota kegiatan yang sudah selesai atau batal tidak dapat diubah."))
    if kuota > event.kapasitas:
        # a kecamatan's seats are a share of the event's: 50 of 10 said nothing
        raise ValidationError(
            _("Kuota kecamatan (%(kuota)d) tidak boleh melebihi kapasitas kegiatan (%(kap)d).")
            % {"kuota": kuota, "kap": event.kapasitas}
        )
    quota, _created = KuotaKecamatan.objects.update_or_create(
        event=event, kecamatan=kecamatan, defaults={"kuota": kuota}
    )
    audit.record(
        by=by,
        action="event.quota",
        target=event,
        after={"kecamatan": kecamatan.kode, "kuota": kuota},
    )
    _promote_waiting(event, by=by, today=today)
    return quota


def registration_problems(event: BimtekEvent, *, today: dt.date) -> list[str]:
    """Why nobody may enrol in ``event`` today (empty when registration is open): what staff's
    nomination says once, not once per person picked."""
    if event.status != StatusEvent.BUKA:
        return [_("Pendaftaran kegiatan ini tidak sedang dibuka.")]
    if not event.pendaftaran_mulai <= today <= event.pendaftaran_selesai:
        return [
            _("Di luar masa pendaftaran (%(a)s s.d. %(b)s).")
            % {
                "a": date_format(event.pendaftaran_mulai, "j F Y"),
                "b": date_format(event.pendaftaran_selesai, "j F Y"),
            }
        ]
    if today > event.tanggal_selesai:
        # an event saved before its registration had to close by its last day
        return [
            _("Kegiatan ini sudah berakhir pada %(tgl)s.")
            % {"tgl": date_format(event.tanggal_selesai, "j F Y")}
        ]
    return []


def enrolment_problems(event: BimtekEvent, psm: Psm, *, today: dt.date) -> list[str]:
    """Why ``psm`` may not enrol in ``event`` today (empty when they may)."""
    return registration_problems(event, today=today) + eligibility_problems(event, psm)


def eligibility_problems(event: BimtekEvent, psm: Psm) -> list[str]:
    """Why ``psm`` may not take part in ``event`` at all, whatever the day: also checked when
    a seat comes free for someone on the waiting list (who may have stopped since)."""
    problems = []
    if not psm.desa_tugas_id.startswith(f"{event.wilayah_id}."):
        problems.append(_("%(nama)s bertugas di luar wilayah penyelenggara.") % {"nama": psm.nama})
    if psm.status == StatusPsm.BERHENTI:
        problems.append(_("%(nama)s sudah berhenti sebagai PSM.") % {"nama": psm.nama})
    elif psm.status == StatusPsm.CALON and event.jenis != Jenis.DASAR:
        problems.append(_("Calon PSM hanya dapat mengikuti Bimtek dasar."))
    passed = set(psm.bimtek_set.values_list("tingkat", flat=True))
    needed = PREREQUISITE.get(event.jenis)
    if needed and needed not in passed:
        problems.append(
            _("%(nama)s belum lulus %(tingkat)s.")
            % {
                "nama": psm.nama,
                "tingkat": LEVEL_OF[Jenis(needed)].label if needed in LEVEL_OF else needed,
            }
        )
    if event.tingkat and event.tingkat in passed:
        problems.append(_("%(nama)s sudah lulus tingkat ini.") % {"nama": psm.nama})
    elif event.tingkat:
        # a seat at one event of a level at a time: two held one from someone else, and both
        # ended in a certificate of the same level (a place on another's waiting list is fine)
        elsewhere = (
            Peserta.objects.filter(
                psm=psm, status=StatusPeserta.TERDAFTAR, event__jenis=event.jenis
            )
            .exclude(event=event)
            .exclude(event__status__in=(StatusEvent.SELESAI, StatusEvent.BATAL))
            .values_list("event__judul", flat=True)
            .first()
        )
        if elsewhere:
            problems.append(
                _("%(nama)s sudah mendapat tempat di %(judul)s, Bimtek tingkat yang sama.")
                % {"nama": psm.nama, "judul": elsewhere}
            )
    return problems


@transaction.atomic
def enrolment_create(*, event: BimtekEvent, psm: Psm, by, today: dt.date) -> Peserta:
    """Enrol ``psm``: a seat while capacity and the kecamatan quota allow, else the next place on
    the waiting list. The event row is locked, so people enrolling at the same moment into the
    last seats never overbook it."""
    event = BimtekEvent.objects.select_for_update().get(pk=event.pk)
    problems = enrolment_problems(event, psm, today=today)
    if problems:
        raise ValidationError(problems)
    enrolment = Peserta.objects.filter(event=event, psm=psm).first()
    if enrolment is not None and enrolment.status != StatusPeserta.BATAL:
        raise ValidationError(
            _("%(nama)s sudah terdaftar di kegiatan ini (%(status)s).")
            % {"nama": psm.nama, "status": enrolment.get_status_display()}
        )
    if enrolment is not None:
        # enrolling again after cancelling starts afresh: the marks and attendance of the
        # cancelled enrolment are not this one's
        enrolment.nilai_pre = enrolment.nilai_post = None
        enrolment.kehadiran_set.all().delete()
    enrolment = enrolment or Peserta(event=event, psm=psm)
    enrolment.didaftarkan_oleh = by if by and by.is_authenticated else None
    if _has_seat(event, psm):
        enrolment.status, enrolment.antrean = StatusPeserta.TERDAFTAR, None
    else:
        last = event.peserta_set.aggregate(m=Max("antrean"))["m"] or 0
        enrolment.status, enrolment.antrean = StatusPeserta.MENUNGGU, last + 1
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as exc:  # a second request for the same person won the race
        raise ValidationError(
            _("%(nama)s sudah terdaftar di kegiatan ini.") % {"nama": psm.nama}
        ) from exc
    audit.record(
        by=by,
        action="enrolment.create",
        target=enrolment,
        after={"status": enrolment.status, "antrean": enrolment.antrean},
    )
    return enrolment


def enrolments_create(
    *, event: BimtekEvent, people, by, today: dt.date
) -> tuple[list[Peserta], list[str]]:
    """Enrol several people at once (staff's nomination); each one alone, so one refused person
    does not hold back the others. Answers (enrolments, refusals, one line per person).

    One transaction all the same, each person in a savepoint: a database error (a statement or
    lock wait past its bound, the database gone) undoes the people enrolled before it, as the
    error page tells the staff nothing was saved. (Kept, they were refused as already enrolled
    when the list was sent again.)"""
    enrolments, refused = [], []
    with transaction.atomic():
        for psm in people:
            try:
                enrolments.append(enrolment_create(event=event, psm=psm, by=by, today=today))
            except ValidationError as exc:
                refused.append(f"{psm.nama}: {' '.join(exc.messages)}")
    return enrolments, refused


def waiting_position(enrolment: Peserta) -> int:
    """``enrolment``'s place on its event's waiting list now (its ``antrean`` is the number it
    was given on joining, which stays while those ahead are seated or leave)."""
    return enrolment.event.peserta_set.filter(
        status=StatusPeserta.MENUNGGU, antrean__lte=enrolment.antrean
    ).count()


def _has_seat(event: BimtekEvent, psm: Psm) -> bool:
    seated = event.peserta_set.filter(status__in=SEATED)
    if seated.count() >= event.kapasitas:
        return False
    kecamatan = psm.desa_tugas_id.rsplit(".", 1)[0]
    quota = event.kuota_set.filter(kecamatan_id=kecamatan).values_list("kuota", flat=True).first()
    if quota is None:
        return True
    return seated.filter(psm__desa_tugas__kode__startswith=f"{kecamatan}.").count() < quota


@transaction.atomic
def enrolment_cancel(*, enrolment: Peserta, by, today: dt.date | None = None) -> Peserta | None:
    """Cancel an enrolment; a freed seat goes to the first person on the waiting list who fits
    their kecamatan quota, who is told so. Answers the promoted enrolment, if any."""
    event = BimtekEvent.objects.select_for_update().get(pk=enrolment.event_id)
    enrolment = Peserta.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status not in (StatusPeserta.TERDAFTAR, StatusPeserta.MENUNGGU):
        raise ValidationError(_("Pendaftaran ini tidak dapat dibatalkan lagi."))
    if event.status in (StatusEvent.SELESAI, StatusEvent.BATAL):
        raise ValidationError(_("Kegiatan sudah selesai atau batal."))
    freed = enrolment.status == StatusPeserta.TERDAFTAR
    enrolment.status, enrolment.antrean = StatusPeserta.BATAL, None
    enrolment.save(update_fields=["status", "antrean", "updated_at"])
    audit.record(by=by, action="enrolment.cancel", target=enrolment)
    if not freed:
        return None
    promoted = _promote_waiting(event, by=by, today=today)
    return promoted[0] if promoted else None


def _promote_waiting(event: BimtekEvent, *, by, today: dt.date | None = None) -> list[Peserta]:
    """Seat whoever waits, in their order, while the capacity and their kecamatan's quota allow
    (after a cancellation, a larger capacity or a larger quota), and tell each of them. Not once
    the event has begun (a seat given on its third day is one the PSM fails on attendance), and
    not who may no longer take part (stopped, or passed that level elsewhere meanwhile): they
    stay on the list. The caller holds the event's row lock."""
    today = today or timezone.localdate()
    if event.status in (StatusEvent.SELESAI, StatusEvent.BATAL) or today >= event.tanggal_mulai:
        return []
    if event.peserta_set.filter(status__in=SEATED).count() >= event.kapasitas:
        return []
    promoted = []
    for waiting in (
        event.peserta_set.filter(status=StatusPeserta.MENUNGGU)
        .select_related("psm")
        .order_by("antrean")
    ):
        if eligibility_problems(event, waiting.psm) or not _has_seat(event, waiting.psm):
            continue
        waiting.status, waiting.antrean = StatusPeserta.TERDAFTAR, None
        waiting.save(update_fields=["status", "antrean", "updated_at"])
        with office_language():
            pesan = _("Anda mendapat tempat di %(judul)s (%(tgl)s) dari daftar tunggu.") % {
                "judul": event.judul,
                "tgl": date_format(event.tanggal_mulai, "j F Y"),
            }
        Pemberitahuan.objects.create(psm=waiting.psm, pesan=pesan)
        audit.record(by=by, action="enrolment.promote", target=waiting)
        promoted.append(waiting)
    return promoted


def results_locked(event: BimtekEvent) -> str:
    """Why attendance and marks of ``event`` can no longer change, or "": once an event is
    completed its passes, certificates and registry records stand on them (a later edit would
    contradict the certificate), and a cancelled event has no results."""
    if event.status == StatusEvent.SELESAI:
        return _(
            "Kegiatan ini sudah selesai dan kelulusannya sudah ditetapkan: kehadiran dan nilai "
            "tidak dapat diubah lagi."
        )
    if event.status == StatusEvent.BATAL:
        return _("Kegiatan ini dibatalkan: kehadiran dan nilai tidak dicatat.")
    return ""


def _check_results_open(event: BimtekEvent) -> None:
    """Inside the caller's transaction: the event's row is read again and locked, so an edit
    sent while the event is being completed (``event_complete`` locks the same row) waits and
    is then refused, instead of changing what the passes were decided on."""
    event.status = (
        BimtekEvent.objects.select_for_update()
        .filter(pk=event.pk)
        .values_list("status", flat=True)
        .get()
    )
    if reason := results_locked(event):
        raise ValidationError(reason)


@transaction.atomic
def attendance_mark(
    *, hari: HariEvent, marks: dict[int, str], by, today: dt.date | None = None
) -> int:
    """Record attendance of one day: {enrolment id: status}. Refuses enrolments of another
    event or without a seat, a completed or cancelled event and, given ``today``, a day still
    to come. Answers the number of marks saved."""
    _check_results_open(hari.event)
    if today is not None and hari.tanggal > today:
        raise ValidationError(
            _("Kehadiran %(tgl)s belum dapat dicatat: harinya belum tiba.")
            % {"tgl": date_format(hari.tanggal, "j F Y")}
        )
    valid = set(
        Peserta.objects.filter(event=hari.event_id, status__in=SEATED).values_list("pk", flat=True)
    )
    unknown = set(marks) - valid
    if unknown:
        raise ValidationError(_("Ada peserta yang tidak terdaftar di kegiatan ini."))
    bad = {s for s in marks.values() if s not in StatusHadir.values}
    if bad:
        raise ValidationError(_("Status kehadiran tidak dikenal."))
    actor = by if by and by.is_authenticated else None
    earlier = dict(
        Kehadiran.objects.filter(hari=hari, peserta_id__in=marks).values_list(
            "peserta_id", "status"
        )
    )
    for peserta_id, status in marks.items():
        if earlier.get(peserta_id) != status:  # an unchanged mark keeps who recorded it
            Kehadiran.objects.update_or_create(
                peserta_id=peserta_id,
                hari=hari,
                defaults={"status": status, "dicatat_oleh": actor},
            )
    # A mark changed (hadir to absen decides a certificate): who had what before, per person.
    changed = {
        str(pid): [earlier[pid], status]
        for pid, status in marks.items()
        if pid in earlier and earlier[pid] != status
    }
    audit.record(
        by=by,
        action="attendance.mark",
        target=hari.event,
        after={
            "hari": str(hari.tanggal),
            "jumlah": len(marks),
            **({"diubah": changed} if changed else {}),
        },
    )
    return len(marks)


def checkin_problem(*, hari: HariEvent, psm: Psm, today: dt.date) -> str:
    """Why ``psm`` cannot check in with this day's code now, or "". The page says it in place of
    the button (a button that can only fail, pressed on a weak signal, costs the PSM a round
    trip for the same sentence); the service refuses with it."""
    return _checkin_seat(hari=hari, psm=psm, today=today)[0]


def _checkin_seat(*, hari: HariEvent, psm: Psm, today: dt.date) -> tuple[str, Peserta | None]:
    """(why not, "") and the PSM's seat in the day's event when they may check in."""
    if hari.tanggal != today:
        when = _("Kode presensi ini hanya berlaku pada %(tgl)s.")
        return when % {"tgl": date_format(hari.tanggal)}, None
    if locked := results_locked(hari.event):
        return locked, None
    seat = Peserta.objects.filter(event=hari.event, psm=psm, status__in=SEATED).first()
    if seat is None:
        return _("Anda tidak terdaftar sebagai peserta kegiatan ini."), None
    return "", seat


@transaction.atomic
def checkin_self(*, token: str, psm: Psm, today: dt.date, by=None) -> Kehadiran:
    """QR self check-in: the PSM opens the day's code on their phone and is marked present."""
    hari = HariEvent.objects.select_related("event").filter(token_checkin=token).first()
    if hari is None:
        raise ValidationError(_("Kode presensi tidak dikenal."))
    _check_results_open(hari.event)  # the event's row locked, its status read again
    problem, enrolment = _checkin_seat(hari=hari, psm=psm, today=today)
    if problem:
        raise ValidationError(problem)
    mark, created = Kehadiran.objects.select_for_update().get_or_create(
        peserta=enrolment, hari=hari, defaults={"status": StatusHadir.HADIR}
    )
    before = None
    if not created and mark.status in (StatusHadir.ABSEN, StatusHadir.IZIN):
        # The roster was kept before they arrived: here now, they came late. Left as it was,
        # the page would say "tercatat" over a mark that fails them.
        before = {"status": mark.status}
        mark.status = StatusHadir.TERLAMBAT
        mark.dicatat_oleh = by if by is not None and by.is_authenticated else None
        mark.save(update_fields=["status", "dicatat_oleh", "updated_at"])
    if created or before:
        audit.record(
            by=by,
            action="attendance.checkin",
            target=enrolment,
            before=before,
            after={"hari": hari.tanggal.isoformat(), "status": mark.status},
        )
    return mark


@transaction.atomic
def scores_set(*, enrolment: Peserta, nilai_pre, nilai_post, by) -> Peserta:
    _check_results_open(enrolment.event)
    return _scores_write(enrolment, nilai_pre, nilai_post, by)


@transaction.atomic
def scores_set_all(*, event: BimtekEvent, scores: list[tuple[Peserta, object, object]], by):
    """The scores page's rows (enrolment, pre, post) of one event: all of them or none, the
    event checked and locked once (not once per participant)."""
    _check_results_open(event)
    for enrolment, nilai_pre, nilai_post in scores:
        _scores_write(enrolment, nilai_pre, nilai_post, by)


def _scores_write(enrolment: Peserta, nilai_pre, nilai_post, by) -> Peserta:
    for label, value in ((_("Nilai pre-test"), nilai_pre), (_("Nilai post-test"), nilai_post)):
        if value is not None and not 0 <= value <= 100:
            raise ValidationError(_("%(label)s harus 0 sampai 100.") % {"label": label})
    enrolment.nilai_pre, enrolment.nilai_post = nilai_pre, nilai_post
    enrolment.save(update_fields=["nilai_pre", "nilai_post", "updated_at"])
    audit.record(
        by=by,
        action="enrolment.scores",
        target=enrolment,
        after={"pre": nilai_pre, "post": nilai_post},
    )
    return enrolment


def attendance_days(event: BimtekEvent) -> int:
    """The event's days on which attendance was taken (a roster kept or a QR check-in). A day
    row exists for every date from start to end, weekends and rest days included: counting
    them all put a participant present at every session under 80 %."""
    return Kehadiran.objects.filter(hari__event=event).values("hari").distinct().count()


def present_days(enrolment: Peserta) -> int:
    return sum(1 for k in enrolment.kehadiran_set.all() if k.status in PRESENT)


def met_attendance(event: BimtekEvent, enrolment: Peserta, days: int) -> bool:
    """The event's minimum attendance, compared without rounding: 26 of 29 days is 89.7 %,
    under a 90 % minimum."""
    return 100 * present_days(enrolment) >= event.min_kehadiran_persen * days


def met_mark(event: BimtekEvent, enrolment: Peserta) -> bool:
    return event.nilai_lulus is None or (
        enrolment.nilai_post is not None and enrolment.nilai_post >= event.nilai_lulus
    )


def fail_reasons(event: BimtekEvent, enrolment: Peserta, days: int) -> list[str]:
    """Why ``enrolment`` did not pass, by the rule ``event_complete`` applied: the staff's list
    said only "Tidak lulus"."""
    reasons = []
    if not met_attendance(event, enrolment, days):
        reasons.append(
            _("kehadiran %(h)d%%, minimal %(m)d%%")
            % {"h": attendance_percent(enrolment, days), "m": event.min_kehadiran_persen}
        )
    if not met_mark(event, enrolment):
        reasons.append(
            _("nilai akhir %(n)s, lulus %(l)s")
            % {
                "n": "-" if enrolment.nilai_post is None else enrolment.nilai_post,
                "l": event.nilai_lulus,
            }
        )
    return reasons


def attendance_percent(enrolment: Peserta, days: int) -> int:
    """For display, rounded; the pass rule compares without rounding (``event_complete``)."""
    return round(100 * present_days(enrolment) / days) if days else 0


def organiser_name(event: BimtekEvent) -> str:
    """Who held the event, as the registry's records name it ("Dinas Sosial Kota Magelang"),
    not the kind of organiser ("Dinas Sosial Kabupaten/Kota")."""
    region = event.wilayah
    if event.penyelenggara == Penyelenggara.KABKOTA and region.tingkat == 2:
        return _("Dinas Sosial %(wilayah)s") % {"wilayah": region.nama}
    if event.penyelenggara == Penyelenggara.PROVINSI and region.tingkat == 1:
        return _("Dinas Sosial Provinsi %(wilayah)s") % {"wilayah": region.nama}
    return event.get_penyelenggara_display()


class UnmarkedAttendance(ValidationError):
    """``event_complete`` refused until the office confirms what completing counts: the
    unmarked participant-days as absent (``unmarked_attendance``), the days with no attendance
    at all as not held (``days_without_attendance``), grading on ``days_counted``. ``digest``
    names this list, which the confirmation sends back; ``changed``: a list confirmed earlier
    is no longer this one."""

    def __init__(
        self,
        message,
        *,
        unmarked: list[tuple[str, dt.date]],
        days_without: list[dt.date],
        days_counted: int,
        changed: bool = False,
    ):
        super().__init__(message)
        self.unmarked, self.days_without, self.changed = unmarked, days_without, changed
        self.days_counted = days_counted
        self.digest = completion_digest(unmarked, days_without)


def completion_digest(unmarked: list[tuple[str, dt.date]], days_without: list[dt.date]) -> str:
    """What a completion's confirmation was shown: confirmed, it completes only that list (a
    day marked meanwhile in another tab failed participants the page had shown as present)."""
    shown = repr((unmarked, days_without)).encode()
    return hashlib.sha256(shown).hexdigest()[:32]


def days_without_attendance(event: BimtekEvent) -> list[dt.date]:
    """The event's days on which nobody's attendance was taken: not counted (a rest day, or a
    whole day forgotten, the likelier slip). One query."""
    return list(
        HariEvent.objects.filter(event=event, kehadiran_set__isnull=True)
        .order_by("tanggal")
        .values_list("tanggal", flat=True)
    )


def unmarked_attendance(event: BimtekEvent) -> list[tuple[str, dt.date]]:
    """(participant, day) for each day attendance was taken on which a seated participant has
    no mark: completing counts them absent, for good. Two queries."""
    days = list(
        HariEvent.objects.filter(event=event, kehadiran_set__isnull=False)
        .distinct()
        .order_by("tanggal")
    )
    marked = (
        set(Kehadiran.objects.filter(hari__in=days).values_list("peserta_id", "hari_id"))
        if days
        else set()
    )
    seated = event.peserta_set.filter(status=StatusPeserta.TERDAFTAR).select_related("psm")
    return [
        (enrolment.psm.nama, day.tanggal)
        for enrolment in seated.order_by("psm__nama", "pk")
        for day in days
        if (enrolment.pk, day.pk) not in marked
    ]


@transaction.atomic
def event_complete(*, event: BimtekEvent, by, today: dt.date, confirmed: str = "") -> dict:
    """Close the event: lulus or tidak lulus by the event's rule (minimum attendance and, when
    set, the post-test mark); graduates get a certificate number and, for a Bimtek level, a
    record in the registry (which makes a candidate eligible for activation). Attendance left
    unmarked on a day it was taken counts as absent, and a day with no attendance at all as not
    held, only once ``confirmed`` names the list the office saw (``completion_digest``) and it is
    still the list: completing is final."""
    event = BimtekEvent.objects.select_for_update().get(pk=event.pk)
    if event.status != StatusEvent.TUTUP:
        raise ValidationError(_("Tutup pendaftaran dulu sebelum menyelesaikan kegiatan."))
    if today < event.tanggal_selesai:
        raise ValidationError(
            _("Kegiatan baru berakhir pada %(tgl)s.")
            % {"tgl": date_format(event.tanggal_selesai, "j F Y")}
        )
    days = attendance_days(event)
    if not days and event.peserta_set.filter(status=StatusPeserta.TERDAFTAR).exists():
        # with no day taken every participant met any minimum: all passed, with certificates
        raise ValidationError(
            _(
                "Belum ada kehadiran yang dicatat untuk kegiatan ini. Catat kehadiran peserta "
                "(daftar hadir atau presensi QR) sebelum menyelesaikan kegiatan."
            )
        )
    seated = list(
        event.peserta_set.filter(status=StatusPeserta.TERDAFTAR)
        .select_related("psm")
        .prefetch_related("kehadiran_set")
        .order_by("pk")
    )
    attended = {e.pk: met_attendance(event, e, days) for e in seated}
    unmarked = sorted(
        e.psm.nama
        for e in seated
        if attended[e.pk] and event.nilai_lulus is not None and e.nilai_post is None
    )
    if unmarked:
        # Completing is final: without their mark they failed, and could not be marked after.
        raise ValidationError(
            _(
                "Nilai post-test belum diisi untuk %(n)d peserta yang memenuhi kehadiran: "
                "%(nama)s. Isi nilainya (0 bila tidak ikut tes) sebelum menyelesaikan kegiatan."
            )
            % {
                "n": len(unmarked),
                "nama": ", ".join(unmarked[:10]) + (", ..." * (len(unmarked) > 10)),
            }
        )
    unmarked = unmarked_attendance(event)
    # with nobody seated there is nobody a day's count could fail
    days_without = days_without_attendance(event) if seated else []
    if (unmarked or days_without) and confirmed != completion_digest(unmarked, days_without):
        raise UnmarkedAttendance(
            _("Periksa kehadiran yang belum dicatat sebelum menyelesaikan kegiatan."),
            unmarked=unmarked,
            days_without=days_without,
            days_counted=days,
            changed=bool(confirmed),
        )
    seq = 0
    result = {"lulus": 0, "tidak_lulus": 0, "hari_presensi": days}
    for enrolment in seated:
        passed = attended[enrolment.pk] and met_mark(event, enrolment)
        if passed:
            seq += 1
            enrolment.status = StatusPeserta.LULUS
            enrolment.nomor_sertifikat = (
                f"SRT/{event.wilayah_id.replace('.', '')}/{event.tanggal_selesai.year}/"
                f"{event.pk:04d}/{seq:03d}"
            )
            if event.tingkat:
                with office_language():
                    penyelenggara = organiser_name(event)
                registry_services.bimtek_record(
                    psm=enrolment.psm,
                    tingkat=event.tingkat,
                    nomor_sertifikat=enrolment.nomor_sertifikat,
                    penyelenggara=penyelenggara,
                    tanggal=event.tanggal_selesai,
                    by=by,
                )
            result["lulus"] += 1
        else:
            enrolment.status = StatusPeserta.TIDAK_LULUS
            result["tidak_lulus"] += 1
        enrolment.save(update_fields=["status", "nomor_sertifikat", "updated_at"])
    # who still waited is told the list is closed (it was set aside without a word or a trail)
    with office_language():
        pesan = _("%(judul)s (%(tgl)s) sudah selesai; daftar tunggunya ditutup.") % {
            "judul": event.judul,
            "tgl": date_format(event.tanggal_mulai, "j F Y"),
        }
    _cancel_enrolments(event, by=by, statuses=(StatusPeserta.MENUNGGU,), pesan=pesan)
    event.status = StatusEvent.SELESAI
    event.save(update_fields=["status", "updated_at"])
    audit.record(by=by, action="event.complete", target=event, after=result)
    return result


@transaction.atomic
def certificate_revoke(*, enrolment: Peserta, reason: str, by) -> Peserta:
    """Withdraw a certificate, for a reason the audit keeps. Once: the row is locked, so a
    second revocation (two tabs, a double tap) is refused instead of recorded twice."""
    enrolment = Peserta.objects.select_for_update().select_related("psm").get(pk=enrolment.pk)
    if not enrolment.nomor_sertifikat:
        raise ValidationError(_("Peserta ini tidak memiliki sertifikat."))
    if enrolment.sertifikat_dicabut:
        raise ValidationError(_("Sertifikat ini sudah dicabut."))
    if not reason.strip():
        raise ValidationError(_("Tuliskan alasan pencabutan."))
    enrolment.sertifikat_dicabut = True
    enrolment.save(update_fields=["sertifikat_dicabut", "updated_at"])
    audit.record(by=by, action="certificate.revoke", target=enrolment, reason=reason)
    # The registry's record of the passed level goes with it: it is what activation and the
    # training recap read. (A PSM already made active stays so until the office decides.)
    registry_services.bimtek_withdraw(
        psm=enrolment.psm, nomor_sertifikat=enrolment.nomor_sertifikat, reason=reason, by=by
    )
    return enrolment
