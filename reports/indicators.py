"""PSM performance indicators, computed from data the portal already holds.

Each indicator definition (``reports.models.Indikator``, versioned data) names a computation here
by ``cara_hitung``. Per-PSM computations take a queryset of PSM and a period and answer
``{psm_id: value}`` with one aggregate query each, whatever the number of PSM; office-level ones
answer one number for a set of PSM and desa. Every number can be traced back to its rows:
``rows_for`` gives the queryset each per-PSM figure counts (the drill-down).

Score: each per-PSM indicator scores ``min(100, 100 * value / target)``; the indicator score is
the weighted mean of those; the combined score adds the supervisor's rubric
(``COMBINED_WEIGHTS``). The one definition of an inactive PSM is :func:`inactive_psm`.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby
from operator import itemgetter

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _

from assessments.models import (
    SUBMITTED,
    AlasanTutup,
    Asesmen,
    Rujukan,
    StatusAsesmen,
    StatusRujukan,
)
from registry.models import Kegiatan, Psm, PsmBimtek, PsmStatusChange, StatusKegiatan, StatusPsm
from registry.selectors import statuses_on  # noqa: F401 (the recap reads it from here)
from reports.models import Evaluasi, Indikator, KategoriIndikator, TingkatIndikator

# Indicators count 60%, the supervisor's rubric 40% (with no evaluation yet: indicators alone).
COMBINED_WEIGHTS = (Decimal("0.6"), Decimal("0.4"))

# Verified by the office: verified, referred, or closed after that. A case closed as a duplicate
# counts for no one: from "diajukan" nobody verified it, and after verification the case it
# repeats is the one that counts.
VERIFIED = Q(status__in=[StatusAsesmen.DIVERIFIKASI, StatusAsesmen.DIRUJUK]) | (
    Q(status=StatusAsesmen.DITUTUP) & ~Q(alasan_tutup=AlasanTutup.DUPLIKAT)
)
ACCEPTED_REFERRALS = [StatusRujukan.DITERIMA, StatusRujukan.SELESAI]
COUNTED_ACTIVITIES = [StatusKegiatan.DICATAT, StatusKegiatan.DIVERIFIKASI]


@dataclass(frozen=True)
class Period:
    """A closed date range, usually a calendar year."""

    mulai: dt.date
    sampai: dt.date

    @classmethod
    def year(cls, tahun: int) -> "Period":
        return cls(dt.date(tahun, 1, 1), dt.date(tahun, 12, 31))

    def months_served(
        self, joined: dt.date | None, today: dt.date, stopped: dt.date | None = None
    ) -> int:
        """Calendar months of the period a PSM could work in: from the month they joined (if
        within the period) to this month (if the period is not over) or the month they stopped,
        all counted whole; at least one. A per-month rate divides by these, not by twelve: in
        May a year has had five months, and a PSM who joined in October has had three of them."""
        start = max(self.mulai, joined) if joined else self.mulai
        end = min(self.sampai, today, stopped) if stopped else min(self.sampai, today)
        return calendar_months(start, end)


def calendar_months(start: dt.date, end: dt.date) -> int:
    """Months from ``start``'s to ``end``'s, both counted whole; at least one."""
    return max(1, (end.year - start.year) * 12 + end.month - start.month + 1)


def _activities(period: Period):
    return Kegiatan.objects.filter(
        status__in=COUNTED_ACTIVITIES, tanggal__gte=period.mulai, tanggal__lte=period.sampai
    )


def _assessments(period: Period, statuses):
    """Cases of the period in ``statuses`` (a list of statuses, or a Q such as VERIFIED)."""
    condition = statuses if isinstance(statuses, Q) else Q(status__in=statuses)
    return Asesmen.objects.filter(condition, tanggal__gte=period.mulai, tanggal__lte=period.sampai)


def _grouped(qs, value) -> dict[int, Decimal]:
    return {
        row["psm_id"]: Decimal(row["v"] or 0)
        for row in qs.values("psm_id").annotate(v=value).order_by()
    }


# --- per-PSM computations: (psm queryset, period, today) -> {psm_id: value} ---------------------


def frekuensi(psms, period, today):
    """Activities and assessments per month served in the period: the frequency of involvement.
    A PSM the status history shows never aktif in the period has none."""
    ids = psms.values("pk")
    acts = _grouped(_activities(period).filter(psm__in=ids), Count("pk"))
    cases = _grouped(_assessments(period, SUBMITTED).filter(psm__in=ids), Count("pk"))
    counted = acts.keys() | cases.keys()
    months = months_served(psms, period, today) if counted else {}
    return {
        pk: per_month(acts.get(pk, 0) + cases.get(pk, 0), months[pk])
        for pk in counted
        if pk in months
    }


def per_month(count, months: int) -> Decimal:
    """PR-01's figure: ``count`` activities and assessments over ``months`` months served."""
    return rounded(Decimal(count) / months, "0.01")


def rounded(value: Decimal, places: str) -> Decimal:
    """``value`` to ``places`` ("0.1", "0.01") as a reader rounds by hand and as the templates'
    ``floatformat`` does: a 5 goes up (8.25 is 8.3). Decimal's own default sends it to the even
    digit (8.2), so a score worked out from the printed figures did not match the one printed."""
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def months_served(psms, period: Period, today: dt.date) -> dict[int, int]:
    """``{psm_id: months}``: the calendar months of ``period`` (up to ``today``) in which each PSM
    was aktif on at least one day, read from the status history, whatever their status today.
    A PSM who stopped in September 2025 and has registered again since served nine months of
    2025; one nonaktif from March to September served the other months; one re-activated in
    June, the seven months of a whole year from June. The month a PSM stops or is made aktif
    counts. A PSM the history shows never aktif in the period is left out; one without history
    (entered before the portal kept one) is judged by the present status: from joining to the
    day they stopped. One query, whatever the number of PSM."""
    end = min(period.sampai, today)
    result = {}
    for pk, joined, status, since, changes in _with_history(psms):
        if not changes:
            result[pk] = period.months_served(joined, today, stopped_on(status, since))
            continue
        months = {
            (year, month)
            for first, last in _aktif_spells(changes, period.mulai, end)
            if last >= joined
            for year, month in _months_between(max(first, joined), last)
        }
        if months:
            result[pk] = len(months)
    return result


def _with_history(psms):
    """Each of ``psms`` as (pk, joining date, status, status since, changes), the changes of its
    status history as (date, from, to) in order: one query, whatever the number of PSM."""
    rows = psms.order_by("pk", "riwayat_status__tanggal_efektif", "riwayat_status__pk").values_list(
        "pk",
        "tanggal_bergabung",
        "status",
        "status_sejak",
        "riwayat_status__tanggal_efektif",
        "riwayat_status__dari",
        "riwayat_status__ke",
    )
    for pk, group in groupby(rows, key=itemgetter(0)):
        group = list(group)
        joined, status, since = group[0][1:4]
        yield pk, joined, status, since, [row[4:] for row in group if row[4] is not None]


def _aktif_spells(changes, mulai: dt.date, end: dt.date):
    """The (first, last) days of each spell aktif between ``mulai`` and ``end`` by ``changes``
    (date, from, to; in order). Before the history's first change the PSM was what it changed
    from, as in ``aktif_on``; the day a PSM leaves aktif is the last of the spell."""
    before = [ke for tanggal, _dari, ke in changes if tanggal <= mulai]
    aktif = (before[-1] if before else changes[0][1]) == StatusPsm.AKTIF
    start = mulai if aktif else None
    for tanggal, _dari, ke in changes:
        if not mulai < tanggal <= end:
            continue
        if aktif and ke != StatusPsm.AKTIF:
            yield start, tanggal
        elif not aktif and ke == StatusPsm.AKTIF:
            start = tanggal
        aktif = ke == StatusPsm.AKTIF
    if aktif:
        yield start, end


def _months_between(first: dt.date, last: dt.date):
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _history():
    return PsmStatusChange.objects.filter(psm=OuterRef("pk"))


def _without_history(joined_by: dt.date, aktif_after: dt.date) -> Q:
    """For a PSM with no status history (entered before the portal kept one): joined by
    ``joined_by`` and aktif now, or nonaktif or stopped since a day after ``aktif_after``."""
    return (
        ~Exists(_history())
        & Q(tanggal_bergabung__lte=joined_by)
        & (
            Q(status=StatusPsm.AKTIF)
            | Q(status__in=[StatusPsm.NONAKTIF, StatusPsm.BERHENTI], status_sejak__gt=aktif_after)
        )
    )


def aktif_on(day: dt.date) -> Q:
    """The PSM who were aktif on ``day``: by the last change of the status history dated on or
    before it; before a history's first change, what that change was from (a PSM entered
    without history and changed since); for a PSM without history, by the present status and
    its date."""
    last = _history().filter(tanggal_efektif__lte=day).order_by("-tanggal_efektif", "-pk")
    first_after = _history().filter(tanggal_efektif__gt=day).order_by("tanggal_efektif", "pk")
    state = Coalesce(
        Subquery(last.values("ke")[:1]), NullIf(Subquery(first_after.values("dari")[:1]), Value(""))
    )
    return (Q(Exact(state, StatusPsm.AKTIF)) & Q(tanggal_bergabung__lte=day)) | _without_history(
        day, day
    )


def served_in(tahun: int) -> Q:
    """The PSM a year's scores are about: those who were aktif on some day of it, read from the
    status history (``PsmStatusChange``): aktif as the year began, or made aktif during it. A
    recap of 2025 asked for in 2026 keeps who stopped or went nonaktif in the middle of 2025 and
    leaves out who stopped or went nonaktif before it, a candidate all of it (one turned down
    included) and who joined after it; a PSM who stopped and registered again counts for the
    years they served. A PSM with no history (entered before the portal kept one) is judged by
    their present status and its date."""
    period = Period.year(tahun)
    made_active = _history().filter(
        ke=StatusPsm.AKTIF, tanggal_efektif__range=(period.mulai, period.sampai)
    )
    return (
        aktif_on(period.mulai)
        | Q(Exists(made_active))
        | _without_history(period.sampai, period.mulai)
    )


def served(psm: Psm, tahun: int) -> bool:
    """Whether ``psm`` served in ``tahun`` (``served_in``): one is ranked, evaluated and given a
    rapor only for such a year."""
    return Psm.objects.filter(served_in(tahun), pk=psm.pk).exists()


def not_served_message(psm: Psm, tahun: int) -> str:
    """Why ``psm`` is not scored for ``tahun`` (``served`` is False), for the page and the form."""
    if psm.status == StatusPsm.CALON:
        return _("Calon PSM belum dievaluasi; evaluasi dimulai setelah diaktifkan.")
    return _(
        "%(nama)s tidak bertugas aktif pada tahun %(t)s, jadi tidak dinilai untuk tahun itu."
    ) % {
        "nama": psm.nama,
        "t": tahun,
    }


def stopped_on(status: str, since: dt.date) -> dt.date | None:
    """The day a stopped PSM stopped: no work is recorded from it on (``activity_record``)."""
    return since if status == StatusPsm.BERHENTI else None


def jam_kegiatan(psms, period, today):
    """Hours of recorded activities: the intensity of involvement."""
    return _grouped(_activities(period).filter(psm__in=psms.values("pk")), Sum("durasi_jam"))


def asesmen_diajukan(psms, period, today):
    return _grouped(_assessments(period, SUBMITTED).filter(psm__in=psms.values("pk")), Count("pk"))


def asesmen_diverifikasi(psms, period, today):
    return _grouped(_assessments(period, VERIFIED).filter(psm__in=psms.values("pk")), Count("pk"))


# Referrals of a case closed as a duplicate count for no one, as the case itself.
OF_A_DUPLICATE = Q(
    asesmen__status=StatusAsesmen.DITUTUP, asesmen__alasan_tutup=AlasanTutup.DUPLIKAT
)


def rujukan_diterima(psms, period, today):
    rows = (
        Rujukan.objects.exclude(OF_A_DUPLICATE)
        .filter(
            asesmen__psm__in=psms.values("pk"),
            status__in=ACCEPTED_REFERRALS,
            tanggal__gte=period.mulai,
            tanggal__lte=period.sampai,
        )
        .values(psm_id=F("asesmen__psm_id"))
        .annotate(v=Count("pk"))
        .order_by()
    )
    return {row["psm_id"]: Decimal(row["v"]) for row in rows}


def warga_dibantu(psms, period, today):
    """People reached: distinct PPKS subjects assessed plus people counted at activities."""
    ids = psms.values("pk")
    reached = _grouped(_activities(period).filter(psm__in=ids), Sum("jumlah_penerima"))
    subjects = _grouped(
        _assessments(period, SUBMITTED).filter(psm__in=ids), Count("subjek", distinct=True)
    )
    return {k: reached.get(k, 0) + subjects.get(k, 0) for k in reached.keys() | subjects.keys()}


def masa_bakti(psms, period, today):
    """Whole years as a PSM at the end of the period (or today, if earlier): from the first day
    aktif by the status history, not from joining (a candidate is not yet a PSM: the months
    between registration and the SK counted as a year of service). From joining for a PSM
    entered without history, or aktif before it began; a PSM never aktif has none. One query."""
    end = min(period.sampai, today)
    result = {}
    for pk, joined, _status, _since, changes in _with_history(psms):
        # aktif before the history began: its first change is from aktif, or from nonaktif
        # (reached only from aktif); such a PSM was entered with their status, not their story
        if not changes or changes[0][1] in (StatusPsm.AKTIF, StatusPsm.NONAKTIF):
            since = joined
        else:
            since = next((day for day, _dari, ke in changes if ke == StatusPsm.AKTIF), None)
            if since is None:
                continue
        result[pk] = Decimal(
            max(0, end.year - since.year - ((end.month, end.day) < (since.month, since.day)))
        )
    return result


def bimtek_selesai(psms, period, today):
    """Bimtek levels completed up to the end of the period."""
    return _grouped(
        PsmBimtek.objects.filter(psm__in=psms.values("pk"), tanggal__lte=period.sampai),
        Count("tingkat", distinct=True),
    )


PER_PSM = {
    "frekuensi": frekuensi,
    "jam_kegiatan": jam_kegiatan,
    "asesmen_diajukan": asesmen_diajukan,
    "asesmen_diverifikasi": asesmen_diverifikasi,
    "rujukan_diterima": rujukan_diterima,
    "warga_dibantu": warga_dibantu,
    "masa_bakti": masa_bakti,
    "bimtek_selesai": bimtek_selesai,
}


def rows_for(cara_hitung: str, psm: Psm, period: Period) -> list:
    """The querysets of rows a per-PSM figure counts, for the drill-down from a number to its
    records: activities and cases both, where the figure adds the two. Empty for a figure taken
    from the profile (years of service)."""
    activities = _activities(period).filter(psm=psm)
    submitted = _assessments(period, SUBMITTED).filter(psm=psm)
    return {
        "frekuensi": [activities, submitted],
        "jam_kegiatan": [activities],
        "warga_dibantu": [activities, submitted],
        "asesmen_diajukan": [submitted],
        "asesmen_diverifikasi": [_assessments(period, VERIFIED).filter(psm=psm)],
        "rujukan_diterima": [
            Rujukan.objects.exclude(OF_A_DUPLICATE).filter(
                asesmen__psm=psm,
                status__in=ACCEPTED_REFERRALS,
                tanggal__gte=period.mulai,
                tanggal__lte=period.sampai,
            )
        ],
        "bimtek_selesai": [PsmBimtek.objects.filter(psm=psm, tanggal__lte=period.sampai)],
    }.get(cara_hitung, [])


# --- the one definition of an inactive PSM -----------------------------------------------------


def inactive_as_of(tahun: int, today: dt.date) -> dt.date:
    """The day a year's "tidak aktif" is judged on: today for this year, 31 December for a past
    one (the 90 days before today say nothing about last year)."""
    return min(today, Period.year(tahun).sampai)


def aktif_as_of(day: dt.date, *, today: dt.date | None = None) -> Q:
    """Aktif on ``day``: before ``today`` by the status history (``aktif_on``); on today, or
    with no ``today`` given, by the present status (the same, read from one column)."""
    return aktif_on(day) if today is not None and day < today else Q(status=StatusPsm.AKTIF)


def inactive_psm(psms, day: dt.date, *, today: dt.date | None = None):
    """PSM aktif on ``day`` with no activity and no assessment in the ``PSM_INACTIVE_DAYS``
    days up to it (the day judged on: for a past year its 31 December, when work done after it
    says nothing about that year). Aktif on a ``day`` before ``today`` is read from the status
    history (a PSM stopped since was aktif then, one stopped before it not); on today, or with
    no ``today`` given, from the present status."""
    since = day - dt.timedelta(days=settings.PSM_INACTIVE_DAYS)
    # Two separate NOT EXISTS, which PostgreSQL plans as hash anti-joins over the recent rows
    # (an OR of them, or NOT IN, makes it probe per PSM or go lossy at 86,000 active PSM).
    recent_activity = Kegiatan.objects.filter(
        psm=OuterRef("pk"), tanggal__range=(since, day), status__in=COUNTED_ACTIVITIES
    )
    recent_case = Asesmen.objects.filter(SUBMITTED, psm=OuterRef("pk"), tanggal__range=(since, day))
    return (
        # a PSM who joined after the day judged was nobody's inactive PSM on it
        psms.filter(aktif_as_of(day, today=today), tanggal_bergabung__lte=day)
        .exclude(Exists(recent_activity))
        .exclude(Exists(recent_case))
    )


# --- office level --------------------------------------------------------------------------------


def office_figures(psms, desa, period: Period, today: dt.date) -> dict[str, Decimal]:
    """Office-level indicators for PSM ``psms`` serving desa ``desa`` (both already scoped)."""
    active = psms.filter(status=StatusPsm.AKTIF)
    n_active = active.count()
    n_desa = desa.count()
    covered = desa.filter(psm_set__status=StatusPsm.AKTIF).distinct().count()
    trained = active.filter(bimtek_set__isnull=False).distinct().count()
    cases = _assessments(period, SUBMITTED).filter(psm__in=psms.values("pk")).count()
    # KT-04 is the period's cases over the PSM aktif as it ended (today for this year): a past
    # year's cases were divided by today's PSM, whom the dashboard does not name as its figure.
    end = min(period.sampai, today)
    n_serving = n_active if end >= today else psms.filter(aktif_as_of(end, today=today)).count()
    return {
        "psm_per_desa": rounded(Decimal(n_active) / n_desa if n_desa else Decimal(0), "0.01"),
        "persen_terlatih": rounded(
            Decimal(100 * trained) / n_active if n_active else Decimal(0), "0.1"
        ),
        "desa_tanpa_psm": Decimal(n_desa - covered),
        "ppks_per_psm": rounded(Decimal(cases) / n_serving if n_serving else Decimal(0), "0.01"),
    }


# --- definitions and scores ----------------------------------------------------------------------


def definitions(on: dt.date, tingkat: str = TingkatIndikator.PSM) -> list[Indikator]:
    """The version of each indicator in force on ``on`` (the newest that started by then)."""
    rows = Indikator.objects.filter(tingkat=tingkat, berlaku_mulai__lte=on).order_by(
        "kode", "-versi"
    )
    current = {}
    for row in rows:
        current.setdefault(row.kode, row)
    order = list(KategoriIndikator.values)  # input, proses, output, outcome, dampak
    return sorted(current.values(), key=lambda i: (order.index(i.kategori), i.kode))


@dataclass
class PsmScore:
    psm: Psm
    nilai: dict[str, Decimal] = field(default_factory=dict)
    skor_indikator: Decimal = Decimal(0)
    evaluasi: Evaluasi | None = None
    skor_gabungan: Decimal = Decimal(0)
    peringkat: int = 0
    bersama: int = 0  # how many others share the rank
    tidak_aktif: bool = False
    # Filled by the recap: the row's number inside its kecamatan and its key indicator values.
    no: int = 0
    nilai_kunci: list = field(default_factory=list)


def _indicator_score(values: dict[str, Decimal], defs: list[Indikator]) -> Decimal:
    total_weight = sum((d.bobot for d in defs), Decimal(0))
    if not total_weight:
        return Decimal(0)
    weighted = sum(
        (
            d.bobot * min(Decimal(100), 100 * values.get(d.kode, Decimal(0)) / d.target)
            for d in defs
        ),
        Decimal(0),
    )
    return rounded(weighted / total_weight, "0.1")


def combined(skor_indikator: Decimal, evaluasi: Evaluasi | None) -> Decimal:
    if evaluasi is None:
        return skor_indikator
    w_ind, w_rubric = COMBINED_WEIGHTS
    return rounded(w_ind * skor_indikator + w_rubric * Decimal(str(evaluasi.skor_rubrik)), "0.1")


def scores(psms, tahun: int, *, today: dt.date) -> list[PsmScore]:
    """Every PSM of ``psms`` scored for ``tahun`` and ranked (highest combined score first; equal
    scores share a rank and are listed by name, then id). A fixed number of queries, whatever
    the number of PSM."""
    period = Period.year(tahun)
    defs = definitions(period.sampai)
    psm_rows = list(psms.select_related("desa_tugas__induk").order_by("nama", "pk"))
    values = {d.kode: PER_PSM[d.cara_hitung](psms, period, today) for d in defs}
    evaluations = {
        e.psm_id: e for e in Evaluasi.objects.filter(psm__in=psms.values("pk"), tahun=tahun)
    }
    inactive = set(
        inactive_psm(psms, inactive_as_of(tahun, today), today=today).values_list("pk", flat=True)
    )
    result = []
    for psm in psm_rows:
        nilai = {d.kode: values[d.kode].get(psm.pk, Decimal(0)) for d in defs}
        skor = _indicator_score(nilai, defs)
        evaluasi = evaluations.get(psm.pk)
        result.append(
            PsmScore(
                psm=psm,
                nilai=nilai,
                skor_indikator=skor,
                evaluasi=evaluasi,
                skor_gabungan=combined(skor, evaluasi),
                tidak_aktif=psm.pk in inactive,
            )
        )
    result.sort(key=lambda s: (-s.skor_gabungan, s.psm.nama, s.psm.pk))
    # Equal scores share a rank, and the next score ranks by the PSM above it (1, 1, 3): the
    # rapor's "peringkat 2" must not depend on which of two equal PSM comes first by name.
    for position, row in enumerate(result, start=1):
        tied = position > 1 and row.skor_gabungan == result[position - 2].skor_gabungan
        row.peringkat = result[position - 2].peringkat if tied else position
    sharing = Counter(row.peringkat for row in result)
    for row in result:
        row.bersama = sharing[row.peringkat] - 1
    return result
