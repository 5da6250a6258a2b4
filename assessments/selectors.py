"""Reads of PPKS case work, already scoped to what the user may see and with related rows loaded."""

import datetime as dt

from django.db.models import Case, Count, F, Prefetch, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.access import (
    ADULT_AGE,
    cases_visible_to,
    desa_without_verifier,
    referrals_visible_to,
    subjects_visible_to,
    uses_kecamatan_level,
    wrote,
)
from assessments.models import (
    DOKUMEN,
    RUJUKAN_TERBUKA,
    SUBMITTED,
    Asesmen,
    HubunganKeluarga,
    LangkahRujukan,
    Rujukan,
    Sensitivitas,
    StatusAsesmen,
    Transisi,
    Urgensi,
    urgency_rank,
)
from psm_portal.access import Perm, has_permission, region_q
from psm_portal.models import Role, User
from psm_portal.office import current_office
from registry.models import Wilayah

S = StatusAsesmen


def queue_statuses(user, kecamatan_level: bool | None = None) -> list[str]:
    """The statuses waiting for this user's review level (``kecamatan_level``: the office's
    setting, when the caller has read it already)."""
    if kecamatan_level is None:
        kecamatan_level = uses_kecamatan_level()
    statuses = []
    if has_permission(user, Perm.PPKS_REVIEW_KECAMATAN) and kecamatan_level:
        statuses.append(S.DIAJUKAN)
    if has_permission(user, Perm.PPKS_REVIEW):
        statuses.append(S.DIVERIFIKASI_KECAMATAN if kecamatan_level else S.DIAJUKAN)
        if kecamatan_level:
            statuses.append(S.DIAJUKAN)  # the office sees what waits at the kecamatan too
    return list(dict.fromkeys(statuses))


def queue_waiting_elsewhere(user, kecamatan_level: bool) -> set[str]:
    """The statuses the queue shows this user that another level verifies first: an office
    with the kecamatan step shows its staff what waits there, not for them to tick (their bulk
    verification was refused: "tidak berwenang ... Diverifikasi kecamatan")."""
    if kecamatan_level and not has_permission(user, Perm.PPKS_REVIEW_KECAMATAN):
        return {S.DIAJUKAN}
    return set()


def review_queue(
    user,
    *,
    kecamatan="",
    kategori="",
    urgensi="",
    min_hari=None,
    now=None,
    kecamatan_level: bool | None = None,
):
    """Cases waiting for review: darurat first, then segera, then biasa, each the longest
    waiting since it was sent first (a wait at the kecamatan counts). An emergency reported
    today is not behind a month of ordinary cases."""
    now = now or timezone.now()
    cases = cases_visible_to(user).filter(status__in=queue_statuses(user, kecamatan_level))
    if kecamatan:
        cases = cases.filter(desa__induk_id=kecamatan)
    if kategori:
        # A subquery, not a join: a join repeats a case per category and needs DISTINCT, which
        # at two million cases sorts every column of every waiting case on disk (1.4 s).
        cases = cases.filter(
            pk__in=Asesmen.kategori.through.objects.filter(kategorippks__kode=kategori).values(
                "asesmen_id"
            )
        )
    if urgensi:
        cases = cases.filter(urgensi=urgensi)
    if min_hari:
        # To the minute: the query (and so its kept total) stays the same for a minute.
        since = now.replace(second=0, microsecond=0) - dt.timedelta(days=min_hari)
        cases = cases.filter(diajukan_pada__lte=since)
    # Counted as it is; a page of it becomes rows in queue_page_details. (Counting the value rows
    # would join subject, PSM and regions for nothing: 31 ms per view for a province.)
    if urgensi:
        # One urgency: its rank is the same for all, and PostgreSQL cannot tell that from the
        # CASE, so it would read the index's other urgencies first (134 ms, national preset).
        return cases.order_by("diajukan_pada", "pk")
    return cases.order_by(urgency_rank(), "diajukan_pada", "pk")


def queue_page_details(page_queryset) -> list[dict]:
    """A page (a sliced ``review_queue``) as plain rows with their labels and categories (the
    main one marked): two queries. Not five model instances per case (a case has some forty
    columns): a page of 50 cost 15 ms to load as models."""
    rows = list(
        page_queryset.values(
            "pk",
            "versi",
            "status",
            "status_sejak",
            "diajukan_pada",
            "urgensi",
            "kategori_utama_id",
            "psm_id",
            "dibuat_oleh_id",
            subjek_nama=F("subjek__nama"),
            psm_nama=F("psm__nama"),
            desa_kode=F("desa_id"),
            desa_nama=F("desa__nama"),
            kecamatan_nama=F("desa__induk__nama"),
        )
    )
    links: dict[int, list[str]] = {}
    through = Asesmen.kategori.through.objects.filter(asesmen_id__in=[r["pk"] for r in rows])
    for case_id, singkatan, kode, sensitivitas in through.order_by(
        "kategorippks__urutan"
    ).values_list(
        "asesmen_id", "kategorippks__singkatan", "kategorippks_id", "kategorippks__sensitivitas"
    ):
        links.setdefault(case_id, []).append((singkatan, kode, sensitivitas))
    statuses, urgencies = dict(S.choices), dict(Urgensi.choices)
    for row in rows:
        row["status_label"] = statuses.get(row["status"], row["status"])
        row["urgensi_label"] = urgencies.get(row["urgensi"], row["urgensi"])
        row["kategori"] = [
            {"singkatan": singkatan, "utama": kode == row["kategori_utama_id"]}
            for singkatan, kode, _sensitivitas in links.get(row["pk"], [])
        ]
        # what the categories named say of the person (UU 27/2022 Pasal 4): audited by the view
        row["spesifik"] = {sens for _s, _k, sens in links.get(row["pk"], []) if sens}
    return rows


def queue_untickable(rows: list[dict], user, waiting_elsewhere: set[str]) -> bool:
    """Mark the queue rows this user cannot verify from it, with why (``tanpa_centang``): what
    waits for the kecamatan's verifier, and a case they wrote themselves (another officer
    reviews it; its tick only earned "Asesmen yang Anda tulis sendiri ditinjau oleh petugas
    lain" for a case the page named nowhere). Answers whether any row can be ticked."""
    elsewhere, own = _("menunggu verifikator kecamatan"), _("tulisan Anda; ditinjau petugas lain")
    nobody = _("belum ada akun verifikator untuk desa/kelurahan ini: Dinas memverifikasi langsung")
    unserved = desa_without_verifier(
        {r["desa_kode"] for r in rows if r["status"] in waiting_elsewhere}
    )
    tickable = False
    for row in rows:
        row["catatan"] = ""
        if row["status"] in waiting_elsewhere and row["desa_kode"] not in unserved:
            row["tanpa_centang"] = elsewhere
        elif wrote(user, psm_id=row["psm_id"], dibuat_oleh_id=row["dibuat_oleh_id"]):
            row["tanpa_centang"] = own
        else:
            # what waits for a verifier no account can be is the office's to verify
            row["tanpa_centang"], tickable = "", True
            row["catatan"] = nobody if row["status"] in waiting_elsewhere else ""
    return tickable


MY_CASES_SHOWN = 200


def returned_count(user) -> int:
    """How many of a PSM's own cases the office has returned to them: what they are told first."""
    return cases_visible_to(user).filter(status=S.DIKEMBALIKAN).count()


def my_cases(user):
    """A PSM's own cases: returned ones first (they need the PSM), then drafts, then the latest
    ``MY_CASES_SHOWN`` of the rest. Every returned case and draft is listed however many cases
    the PSM has: a case returned months ago must not fall off the list it is fixed from."""
    waiting = [S.DIKEMBALIKAN, S.DRAF]
    own = cases_visible_to(user)
    latest_others = (
        own.exclude(status__in=waiting).order_by("-updated_at", "-pk").values("pk")[:MY_CASES_SHOWN]
    )
    return list(
        own.filter(Q(status__in=waiting) | Q(pk__in=latest_others))
        .select_related("subjek", "desa", "kategori_utama")
        .prefetch_related(
            Prefetch(
                "transisi_set",
                queryset=Transisi.objects.filter(ke=S.DIKEMBALIKAN).order_by("-pk"),
                to_attr="returns",
            )
        )
        .order_by(
            Case(When(status=S.DIKEMBALIKAN, then=0), When(status=S.DRAF, then=1), default=2),
            "-updated_at",
            "-pk",
        )
    )


def filtered_cases(user, *, status="", kecamatan="", tahun=None):
    """The cases ``user`` sees, narrowed as the case list's filters say (its downloads use the
    same). ``tahun``: cases counted as submitted (``SUBMITTED``) with an assessment date in that
    year, the cases the dashboard counts as "asesmen PPKS diajukan" for it."""
    cases = cases_visible_to(user)
    if status:
        cases = cases.filter(status=status)
    if tahun:
        cases = cases.filter(
            SUBMITTED, tanggal__gte=dt.date(tahun, 1, 1), tanggal__lte=dt.date(tahun, 12, 31)
        )
    if kecamatan:
        cases = cases.filter(desa__induk_id=kecamatan)
    return cases


def case_list(user, **filters):
    return (
        filtered_cases(user, **filters)
        .select_related("subjek", "desa__induk", "psm", "kategori_utama")
        .order_by("-status_sejak", "-pk")
    )


EXPORT_COLUMNS = [
    "pk",
    "subjek__nama",
    "subjek__nik",
    "desa__induk__nama",
    "desa__nama",
    "kategori_utama__singkatan",
    "jenis",
    "tanggal",
    "urgensi",
    "status",
    "psm__nama",
]


def case_export_rows(user, *, above=None, at_most=None, **filters):
    """The export's columns as plain tuples, newest first (a backward scan of the primary key:
    no sort before the first row, no model instances: a million rows stream in seconds, not
    minutes). ``filters`` as ``filtered_cases`` takes them; ``above`` and ``at_most`` bound the
    primary key (a part of the export written beside another)."""
    cases = _export_cases(user, above, at_most, **filters).order_by("-pk")
    return cases.values_list(*EXPORT_COLUMNS).iterator(chunk_size=5000)


def case_export_count(user, *, limit=None, above=None, at_most=None, **filters) -> int:
    """How many rows the export holds, or at most ``limit`` (a bounded count: deciding whether an
    XLSX is built at once needs no full count of a national scope)."""
    cases = _export_cases(user, above, at_most, **filters).order_by()
    return (cases[:limit] if limit else cases).count()


def case_export_middle(user, index: int, **filters) -> int | None:
    """The primary key of the export's row ``index`` (0 is the newest), to split it in two."""
    cases = filtered_cases(user, **filters).order_by("-pk").values_list("pk", flat=True)
    return next(iter(cases[index : index + 1]), None)


def _export_cases(user, above, at_most, **filters):
    cases = filtered_cases(user, **filters)
    if above is not None:
        cases = cases.filter(pk__gt=above)
    if at_most is not None:
        cases = cases.filter(pk__lte=at_most)
    return cases


def case_page(case: Asesmen) -> dict:
    """Everything the case page shows, in a fixed number of queries."""
    return {
        "categories": list(case.kategori.order_by("urutan")),
        "disabilities": list(case.disabilitas.order_by("urutan")),
        "aid": list(case.bantuan.order_by("urutan")),
        "photos": list(case.foto_set.order_by("pk")),
        "transitions": list(case.transisi_set.select_related("oleh").order_by("created_at", "pk")),
        # each with its steps, who took them and since when (one query more, where there are
        # referrals at all)
        "referrals": list(
            case.rujukan_set.select_related("program")
            .prefetch_related(
                Prefetch(
                    "langkah_set",
                    queryset=LangkahRujukan.objects.select_related("oleh").order_by("pk"),
                )
            )
            .order_by("tanggal", "pk")
        ),
    }


def stalled_referrals(user, *, today: dt.date, days: int | None = None, kecamatan=""):
    """Open referrals whose status has not moved for ``days`` (the office's setting)."""
    if days is None:
        office = current_office()
        days = office.rujukan_macet_hari if office else 14
    referrals = Rujukan.objects.filter(
        referrals_visible_to(user),
        status__in=RUJUKAN_TERBUKA,
        status_sejak__lte=today - dt.timedelta(days=days),
        # a case retention erased takes no more answers (``services.referral_update``)
        asesmen__dianonimkan_pada__isnull=True,
    )
    if kecamatan:
        referrals = referrals.filter(asesmen__desa__induk_id=kecamatan)
    return (
        referrals.select_related("program", "asesmen__desa__induk", "asesmen__subjek").order_by(
            "asesmen__desa__induk__nama", "status_sejak", "pk"
        ),
        days,
    )


# Above this many kecamatan in scope (a provincial or national account) the filter lists only the
# chosen one: a select of 7,277 options costs half a second to render and nobody scrolls it.
MAX_KECAMATAN_OPTIONS = 300


def kecamatan_options(user, *, chosen: str = "") -> list[dict]:
    """The kecamatan a filter offers (``kode``, ``nama``): all of the scope's, or past
    MAX_KECAMATAN_OPTIONS only the chosen one. Value rows: finding out that a national scope has
    too many reads 301 of them on every view (model instances cost 3 ms of it)."""
    scoped = Wilayah.objects.filter(tingkat=3).filter(region_q(user, "kode")).values("kode", "nama")
    rows = list(scoped.order_by("nama", "kode")[: MAX_KECAMATAN_OPTIONS + 1])
    if len(rows) > MAX_KECAMATAN_OPTIONS:
        return list(scoped.filter(kode=chosen)) if chosen else []
    return rows


def subject_history(user, subject):
    return (
        cases_visible_to(user)
        .filter(subjek=subject)
        .select_related("psm", "kategori_utama")
        .prefetch_related(
            Prefetch(
                "rujukan_set",
                queryset=Rujukan.objects.select_related("program").order_by("tanggal", "pk"),
            )
        )
        .order_by("tanggal", "pk")
    )


def family_of(members, *, today: dt.date, full: bool) -> list:
    """A subject's family ``members`` as a KK lists them (the head first, then spouse,
    children by age, ...), each with ``umur`` (by the birth date, or the NIK's), ``anak`` (under
    18, or a child or grandchild of unknown age), ``spesifik`` (the specific-data classes the
    row holds: a child, an income) and ``nik_tampil``. Without ``full`` (a role without the
    specific-data right that wrote no case about the subject) NIKs are masked, everyone's income
    left out, and the birth date, birthplace and school of a child or of someone whose age is
    not known (``dirahasiakan``)."""
    from psm_portal.privacy import mask_nik
    from registry.nik import check_nik
    from registry.services import age_on

    order = {value: i for i, value in enumerate(HubunganKeluarga.values)}
    members = sorted(
        members,
        key=lambda m: (order.get(m.hubungan, len(order)), m.tanggal_lahir or dt.date.max, m.pk),
    )
    for m in members:
        born = m.tanggal_lahir or _born_by_nik(m, today, check_nik)
        m.umur = age_on(born, today) if born else None
        m.anak = m.umur < ADULT_AGE if m.umur is not None else m.hubungan in CHILDREN
        m.spesifik = {Sensitivitas.ANAK} if m.anak else set()
        if m.penghasilan is not None:
            m.spesifik.add(Sensitivitas.KEUANGAN)
        m.nik_tampil = m.nik if full else mask_nik(m.nik) if m.nik else ""
        m.dirahasiakan = not full and (m.anak or m.umur is None)
        # what is withheld and was there, so that a page tells it from what was never written
        m.rahasia = set()
        if not full:
            m.penghasilan = None
        if m.dirahasiakan:
            # a child's details, and those of someone whose age is not known (who may be one)
            m.rahasia = {n for n, v in (("umur", born), ("pekerjaan", m.pekerjaan)) if v}
            m.tempat_lahir, m.tanggal_lahir, m.umur, m.pekerjaan = "", None, None, ""
    return members


def subject_age(subject, *, today: dt.date, full: bool) -> tuple[int | None, bool]:
    """(age, withheld) of ``subject`` for its own row of the family table, as ``family_of``
    gives a member's: a child's age is withheld without ``full``."""
    umur = subject.umur(today)
    withheld = not full and umur is not None and umur < ADULT_AGE
    return (None if withheld else umur), withheld


# Relations of a grown-up: a NIK's two-digit year is read as 19yy for them (20yy is the NIK's
# own guess for a year up to this one, which made a 101-year-old parent a baby).
GROWN_UPS = {HubunganKeluarga.KEPALA, HubunganKeluarga.SUAMI_ISTRI, HubunganKeluarga.ORANG_TUA}


def _born_by_nik(member, today: dt.date, check_nik) -> dt.date | None:
    """A member's birth date by their NIK, when none was typed (a child's NIK is there from
    birth); None when the NIK gives none, or one after today."""
    born = check_nik(member.nik, today=today).birth_date if member.nik else None
    if born and member.hubungan in GROWN_UPS and born.year >= 2000:
        try:
            born = born.replace(year=born.year - 100)
        except ValueError:  # 29 February 2000 was; 1900's was not
            born = born.replace(year=born.year - 100, day=28)
    return born if born and born <= today else None


# Relations that are a child when no birth date says otherwise.
CHILDREN = {HubunganKeluarga.ANAK, HubunganKeluarga.CUCU}


def device_sync_list(user):
    """PSM with an account in ``user``'s region, with what their phone last reported (none when
    it never synced), the longest silent first: staff see whose work may be stuck on a device."""
    from django.db.models import F

    from registry.access import psm_visible_to

    return (
        psm_visible_to(user)
        .filter(user__role=Role.PSM)
        .select_related("desa_tugas__induk", "user__sinkron_perangkat")
        .order_by(
            F("user__sinkron_perangkat__terakhir_sinkron").asc(nulls_first=True), "nama", "pk"
        )
    )


# What the processing trail of a subject's data copy calls each audited action (UU 27/2022
# Pasal 32: access includes the processing trail). Status steps are named by their status.
TRAIL_ACTIONS = {
    "subjek.create": "Data subjek dicatat",
    "subjek.update": "Data subjek diubah",
    "subjek.koreksi": "Data subjek dikoreksi dinas",
    "subjek.merge": "Data ganda digabung ke data ini",
    "subjek.keluarga_tambah": "Anggota keluarga dicatat",
    "subjek.keluarga_ubah": "Data anggota keluarga diubah",
    "subjek.keluarga_hapus": "Anggota keluarga dihapus",
    "subjek.view_sensitive": "Data spesifik susunan keluarga dibaca",
    "subjek.retensi": "Data pribadi subjek dihapus (masa retensi berakhir)",
    "subjek.salinan_data": "Salinan data pribadi dibuat",
    "asesmen.create": "Asesmen dicatat",
    "asesmen.update": "Asesmen diubah",
    "asesmen.visit": "Kunjungan lanjutan dicatat",
    "asesmen.view_sensitive": "Data spesifik dibaca",
    "asesmen.view_sensitive_photo": "Foto dibuka petugas",
    "asesmen.view_sensitive_proof": "Bukti rujukan dibuka petugas",
    "asesmen.view_sensitive_list": "Kategori data spesifik tampil di daftar petugas",
    "asesmen.retensi": "Data pribadi asesmen dihapus (masa retensi berakhir)",
    "rujukan.create": "Dirujuk ke program bantuan",
    "rujukan.update": "Status rujukan diubah",
}


def _trail_label(action: str) -> str:
    if action in TRAIL_ACTIONS:
        return TRAIL_ACTIONS[action]
    step = action.removeprefix("asesmen.")
    if step in S.values:
        return f"Status asesmen menjadi {S(step).label.lower()}"
    return action


def subject_data_copy(user, subject) -> dict:
    """Everything the office holds about ``subject`` that ``user`` may see, for the copy the
    person may ask for (UU 27/2022 Pasal 7 and 32): identity, family, the duplicates merged
    into it, every visible case with its referrals, review steps, per-field comments and visit
    note, and the processing trail (when, what, by which role; the same reads of one day and
    role counted on one line).

    Other people's data stays out (Pasal 33): the informant is named by relation only, whoever
    consented for the person by role, the PSM and officers by role, family members' NIKs
    masked. What the user's region does not cover, and PSM drafts not yet sent, are counted, not
    shown, so the copy says it is not the whole file. A fixed number of queries, whatever the
    number of cases."""
    from psm_portal.models import AuditEvent

    cases = list(
        cases_visible_to(user)
        .filter(subjek=subject)
        .select_related("kategori_utama", "desa")
        .prefetch_related(
            "kategori",
            "disabilitas",
            "bantuan",
            "foto_set",
            Prefetch(
                "rujukan_set",
                queryset=Rujukan.objects.select_related("program")
                .prefetch_related(
                    Prefetch("langkah_set", queryset=LangkahRujukan.objects.order_by("pk"))
                )
                .order_by("tanggal", "pk"),
            ),
            Prefetch("transisi_set", queryset=Transisi.objects.order_by("created_at", "pk")),
        )
        .order_by("tanggal", "pk")
    )
    for case in cases:
        for referral in case.rujukan_set.all():
            # each result the programme gave, with the step it came with (the latest alone was
            # kept before steps had their own)
            # (migration 0013 put each answer kept before on a step: none stands elsewhere)
            referral.hasil_langkah = [
                (step.get_status_display(), step.hasil)
                for step in referral.langkah_set.all()
                if step.hasil
            ]
    shown = [c.pk for c in cases]
    # Not shown, only counted: a PSM's unsent draft is their notes until they send it, and a case
    # in a desa outside the user's region is another office's to copy.
    not_shown = dict(
        Asesmen.objects.filter(subjek=subject)
        .exclude(pk__in=shown)
        .values_list(Case(When(status=S.DRAF, then=True), default=False))
        .annotate(n=Count("pk"))
        .order_by()
    )
    merged = list(
        subjects_visible_to(user).filter(digabung_ke=subject).prefetch_related("anggota_set")
    )
    subject_ids = [str(subject.pk), *(str(m.pk) for m in merged)]
    targets = Q(target_type="assessments.subjek", target_id__in=subject_ids) | Q(
        target_type="assessments.asesmen", target_id__in=[str(pk) for pk in shown]
    )
    referral_ids = [str(r.pk) for c in cases for r in c.rujukan_set.all()]
    if referral_ids:
        targets |= Q(target_type="assessments.rujukan", target_id__in=referral_ids)
    events = list(
        AuditEvent.objects.filter(targets)
        .order_by("created_at", "pk")
        .values_list("created_at", "action", "actor_id", "actor_role", "target_id", "reason")
    )
    # An entry written before the role was kept with it: the account's role today.
    roles = dict(
        User.objects.filter(pk__in={e[2] for e in events if e[2] and not e[3]}).values_list(
            "pk", "role"
        )
    )
    visit_notes = {
        target: reason for _t, action, _a, _r, target, reason in events if action == "asesmen.visit"
    }
    labels = dict(DOKUMEN)
    for case in cases:
        case.dokumen_label = ", ".join(str(labels.get(d, d)) for d in case.dokumen or [])
        case.catatan_kunjungan = visit_notes.get(str(case.pk), "")
    trail = []
    for created_at, action, actor, role, _target, _reason in events:
        if role or actor in roles:
            by = Role(role or roles[actor]).label
        else:
            by = "Sistem" if actor is None else "Petugas (akun sudah dihapus)"
        row = {
            "waktu": created_at,
            "tindakan": _trail_label(action),
            "oleh": by,
            "kali": 1,
            # a list's read is kept once a day per case and officer: counted as entries, not views
            "harian": action == "asesmen.view_sensitive_list",
        }
        last = trail[-1] if trail else None
        if (
            last is not None
            and action.endswith(
                (
                    "view_sensitive",
                    "view_sensitive_photo",
                    "view_sensitive_proof",
                    "view_sensitive_list",
                )
            )
            and (last["tindakan"], last["oleh"]) == (row["tindakan"], row["oleh"])
            and timezone.localdate(last["waktu"]) == timezone.localdate(created_at)
        ):
            last["kali"] += 1
            continue
        trail.append(row)
    # Family members are other people (Pasal 33): as a role without the specific-data right
    # sees them, NIKs masked, a child's details and incomes left out.
    today = timezone.localdate()
    members = family_of(subject.anggota_set.all(), today=today, full=False)
    for duplicate in merged:
        family_of(duplicate.anggota_set.all(), today=today, full=False)
    return {
        "subjek": subject,
        "anggota": members,
        "cases": cases,
        "hidden_drafts": not_shown.get(True, 0),
        "outside_region": not_shown.get(False, 0),
        "merged": merged,
        "trail": trail,
    }
