"""Performance indicators against a fixture computed by hand, the evaluation rules, and the
dashboard and recap figures against independent SQL counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from assessments import services as case_services
from assessments.models import Program, StatusAsesmen
from psm_portal.models import Role
from registry.models import StatusKegiatan
from reports import indicators, selectors, services
from reports.models import Evaluasi
from tests.factories import (
    BimtekFactory,
    KegiatanFactory,
    PsmFactory,
    make_case,
    make_user,
    ppks_reference,
)

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def world(regions, staff):
    """PSM A (since 2020) with activities, cases, a referral and two Bimtek levels; PSM B (since
    mid-2025) with nothing; PSM C nonaktif. Expected values are worked out in the tests."""
    ppks_reference()
    a = PsmFactory(nama="Ayu Lestari", status="aktif", tanggal_bergabung=dt.date(2020, 1, 6))
    b = PsmFactory(nama="Bagus Santoso", status="aktif", tanggal_bergabung=dt.date(2025, 7, 1))
    c = PsmFactory(nama="Citra Nonaktif", status="nonaktif")
    user_a = make_user(Role.PSM, psm=a, username="ayu")
    for tanggal, jam, orang, status in [
        (dt.date(2026, 2, 3), 2, 10, StatusKegiatan.DIVERIFIKASI),
        (dt.date(2026, 6, 9), Decimal("1.5"), 5, StatusKegiatan.DICATAT),
        (dt.date(2026, 11, 10), 3, 0, StatusKegiatan.DIVERIFIKASI),
        (dt.date(2026, 8, 1), 4, 50, StatusKegiatan.DITOLAK),  # rejected: not counted
        (dt.date(2025, 12, 31), 5, 50, StatusKegiatan.DIVERIFIKASI),  # last year
    ]:
        KegiatanFactory(
            psm=a, tanggal=tanggal, durasi_jam=jam, jumlah_penerima=orang, status=status
        )
    first = make_case(user_a, subject={"nama": "Mbah Sarinah"})
    make_case(user_a, subject={"nama": "Pak Darmo", "tanggal_lahir": dt.date(1950, 1, 1)})
    make_case(user_a, submit=False, subject={"nama": "Draf Saja"})
    verified = case_services.assessment_transition(
        asesmen=first, ke=StatusAsesmen.DIVERIFIKASI, by=staff
    )
    referral = case_services.referral_create(
        asesmen=verified,
        data={
            "program": Program.objects.get(kode="PKH"),
            "tujuan_instansi": "Pendamping PKH",
            "tanggal": dt.date(2026, 11, 21),
            "nomor_surat": "",
        },
        by=staff,
        today=dt.date(2026, 11, 21),
    )
    referral.status = "diterima"
    referral.save()
    BimtekFactory(psm=a, tingkat="dasar", tanggal=dt.date(2021, 1, 15))
    BimtekFactory(psm=a, tingkat="lanjutan", tanggal=dt.date(2026, 3, 15))
    return {"a": a, "b": b, "c": c}


def _values(world, psm):
    period = indicators.Period.year(2026)
    from registry.models import Psm

    qs = Psm.objects.filter(pk__in=[p.pk for p in world.values()])
    return {
        name: compute(qs, period, TODAY).get(psm.pk, Decimal(0))
        for name, compute in indicators.PER_PSM.items()
    }


def test_each_computed_indicator_matches_the_hand_count(world):
    a = _values(world, world["a"])
    # (3 activities + 2 cases) / 11 months: January to November, the month of TODAY.
    assert a["frekuensi"] == Decimal("0.45")
    assert a["jam_kegiatan"] == Decimal("6.5")  # 2 + 1.5 + 3
    assert a["asesmen_diajukan"] == 2  # the draft does not count
    assert a["asesmen_diverifikasi"] == 1
    assert a["rujukan_diterima"] == 1
    assert a["warga_dibantu"] == 17  # 10 + 5 + 0 people at activities + 2 subjects
    assert a["masa_bakti"] == 6  # 6 Jan 2020 -> 24 Nov 2026
    assert a["bimtek_selesai"] == 2
    b = _values(world, world["b"])
    assert b["masa_bakti"] == 1 and b["frekuensi"] == 0 and b["jam_kegiatan"] == 0


def test_years_of_service_count_from_the_first_day_aktif_not_from_joining(regions):
    """A review: IN-02 (masa bakti, "lama menjadi PSM") counted from registration as a
    candidate, so a PSM aktif since December 2025 had a year of service in November 2026."""
    from registry.models import Psm, StatusPsm
    from tests.factories import status_history

    late = PsmFactory(nama="Joko Wulandari", tanggal_bergabung=dt.date(2025, 1, 2))
    status_history(
        late, (StatusPsm.CALON, dt.date(2025, 1, 2)), (StatusPsm.AKTIF, dt.date(2025, 12, 1))
    )
    candidate = PsmFactory(nama="Masih Calon", tanggal_bergabung=dt.date(2023, 1, 2))
    status_history(candidate, (StatusPsm.CALON, dt.date(2023, 1, 2)))
    # a history begun while already aktif (entered before the portal kept one): from joining
    earlier = PsmFactory(nama="Sudah Lama", tanggal_bergabung=dt.date(2019, 5, 1))
    status_history(earlier, (StatusPsm.AKTIF, dt.date(2019, 5, 1)))
    from registry.models import PsmStatusChange

    PsmStatusChange.objects.filter(psm=earlier).update(dari=StatusPsm.AKTIF, ke=StatusPsm.NONAKTIF)
    PsmStatusChange.objects.create(
        psm=earlier,
        dari=StatusPsm.NONAKTIF,
        ke=StatusPsm.AKTIF,
        tanggal_efektif=dt.date(2024, 1, 1),
    )
    # entered nonaktif, made aktif again in 2024: nonaktif is reached only from aktif
    resting = PsmFactory(nama="Entri Nonaktif", tanggal_bergabung=dt.date(2015, 1, 1))
    PsmStatusChange.objects.create(
        psm=resting,
        dari=StatusPsm.NONAKTIF,
        ke=StatusPsm.AKTIF,
        tanggal_efektif=dt.date(2024, 1, 1),
    )
    qs = Psm.objects.filter(pk__in=[late.pk, candidate.pk, earlier.pk, resting.pk])
    years = indicators.masa_bakti(qs, indicators.Period.year(2026), TODAY)
    assert years == {late.pk: 0, earlier.pk: 7, resting.pk: 11}


def test_a_status_on_a_day_is_read_as_aktif_on_reads_it(regions):
    """The recap's status of each PSM on its judged day: the last change on or before it, else
    what the first change after it was from; nothing for one entered after it."""
    from registry.models import Psm, StatusPsm
    from tests.factories import status_history

    day = dt.date(2025, 12, 31)
    stopped = PsmFactory(nama="Berhenti Juni", tanggal_bergabung=dt.date(2020, 1, 6))
    status_history(
        stopped,
        (StatusPsm.CALON, dt.date(2020, 1, 6)),
        (StatusPsm.AKTIF, dt.date(2020, 3, 1)),
        (StatusPsm.BERHENTI, dt.date(2025, 6, 1)),
        (StatusPsm.CALON, dt.date(2026, 2, 1)),
    )
    later = PsmFactory(nama="Masuk 2026", tanggal_bergabung=dt.date(2026, 1, 5))
    status_history(
        later, (StatusPsm.CALON, dt.date(2026, 1, 5)), (StatusPsm.AKTIF, dt.date(2026, 3, 1))
    )
    plain = PsmFactory(nama="Tanpa Riwayat")
    ids = [stopped.pk, later.pk, plain.pk]
    assert indicators.statuses_on(ids, day) == {stopped.pk: StatusPsm.BERHENTI}
    aktif_then = set(Psm.objects.filter(indicators.aktif_on(day)).values_list("pk", flat=True))
    assert later.pk not in aktif_then and stopped.pk not in aktif_then


def test_scores_round_a_five_up_as_the_printed_figures_do(world, staff):
    """PR-01 of 0.45 per month against a target of 4 scores 11.25: the rapor printed 11.2
    (Decimal's default sends a 5 to the even digit), while a reader working it out from the
    printed figures, and the templates' floatformat, make it 11.3."""
    from reports.documents import RaporKinerja

    rows = RaporKinerja(staff, today=TODAY, psm=world["a"], tahun=2026).context()["rows"]
    pr01 = next(r for r in rows if r["d"].kode == "PR-01")
    assert (pr01["nilai"], pr01["d"].target, pr01["skor"]) == (
        Decimal("0.45"),
        Decimal(4),
        Decimal("11.3"),
    )
    assert indicators.rounded(Decimal("0.125"), "0.01") == Decimal("0.13")


def test_scores_weight_targets_rubric_and_rank(world, staff):
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv")
    services.evaluation_save(
        psm=world["a"],
        tahun=2026,
        data={"kerajinan": 4, "disiplin": 4, "kerja_sama": 5, "kepemimpinan": 3, "prestasi": 4},
        by=supervisor,
        today=TODAY,
    )
    from registry.models import Psm

    ranked = indicators.scores(
        Psm.objects.filter(pk__in=[world["a"].pk, world["b"].pk]), 2026, today=TODAY
    )
    a, b = ranked
    # (10*100 + 10*100 + 20*11.25 + 15*6.5 + 15*8.333 + 15*5 + 10*10 + 5*8.5) / 100 = 26.65,
    # rounded as by hand: 26.7
    assert a.psm == world["a"] and a.skor_indikator == Decimal("26.7")
    assert a.evaluasi.skor_rubrik == 80.0  # mean mark 4 of 5
    assert a.skor_gabungan == Decimal("48.0")  # 0.6 * 26.7 + 0.4 * 80 = 48.02
    assert b.skor_indikator == Decimal("2.0") and b.skor_gabungan == Decimal("2.0")  # 1/5 years
    assert [a.peringkat, b.peringkat] == [1, 2]
    assert b.tidak_aktif and not a.tidak_aktif


def test_inactive_is_active_psm_without_recent_work(world):
    from registry.models import Psm

    flagged = set(indicators.inactive_psm(Psm.objects.all(), TODAY))
    assert flagged == {world["b"]}  # C is nonaktif, A worked this month
    later = TODAY + dt.timedelta(days=200)
    assert world["a"] in set(indicators.inactive_psm(Psm.objects.all(), later))


def test_a_past_year_is_judged_by_its_own_last_days_not_by_work_done_since(world):
    """A, whose work is of 31 December 2025 and later, was inactive at the end of 2024; its
    work done since made the list and the dashboard of 2024 show the PSM of this year. B joined
    in July 2025: no PSM of 2024 at all."""
    from registry.models import Psm

    as_of = indicators.inactive_as_of(2024, TODAY)
    assert as_of == dt.date(2024, 12, 31)
    assert set(indicators.inactive_psm(Psm.objects.all(), as_of)) == {world["a"]}
    # 31 December 2025 is within the last days of 2025
    flagged = set(
        indicators.inactive_psm(Psm.objects.all(), indicators.inactive_as_of(2025, TODAY))
    )
    assert flagged == {world["b"]}


def test_frequency_divides_by_the_months_a_psm_has_served_in_the_year(world):
    """Not by twelve: in May a year has had five months, and a PSM who joined in October has
    had three of them by December."""
    from registry.models import Psm

    late = PsmFactory(status="aktif", tanggal_bergabung=dt.date(2026, 10, 20))
    for tanggal in (dt.date(2026, 10, 25), dt.date(2026, 11, 2), dt.date(2026, 12, 1)):
        KegiatanFactory(psm=late, tanggal=tanggal, status=StatusKegiatan.DICATAT)
    qs = Psm.objects.filter(pk__in=[late.pk, world["a"].pk])
    in_december = indicators.frekuensi(qs, indicators.Period.year(2026), dt.date(2026, 12, 5))
    assert in_december[late.pk] == Decimal("1.00")  # 3 / (October, November, December)
    assert in_december[world["a"].pk] == Decimal("0.42")  # 5 / 12
    year = indicators.Period.year(2026)
    assert year.months_served(dt.date(2020, 1, 6), dt.date(2026, 5, 31)) == 5
    # Stopped in August: nothing is recorded from then on, and the months end there.
    assert year.months_served(dt.date(2020, 1, 6), TODAY, dt.date(2026, 8, 10)) == 8
    from registry.models import Psm

    Psm.objects.filter(pk=late.pk).update(status="berhenti", status_sejak=dt.date(2026, 11, 30))
    stopped = indicators.frekuensi(qs, year, dt.date(2026, 12, 5))
    assert stopped[late.pk] == Decimal("1.50")  # 3 / (October, November)
    assert year.months_served(None, dt.date(2027, 2, 1)) == 12
    assert year.months_served(dt.date(2026, 12, 30), dt.date(2026, 12, 31)) == 1
    a_last_year = indicators.frekuensi(qs, indicators.Period.year(2025), TODAY)
    assert a_last_year[world["a"].pk] == Decimal("0.08")  # 1 activity / 12 months of 2025


def test_frequency_counts_the_months_aktif_by_the_history_not_todays_status(world):
    """A PSM who stopped in September 2025 and has registered again since served nine months of
    2025, not twelve; re-activated in June 2026, six of 2026 by 24 November (the month of
    activation counted whole); one nonaktif since April counts January to April."""
    from registry.models import Psm, PsmStatusChange
    from tests.factories import status_history as history

    since_2020 = (("calon", dt.date(2020, 1, 6)), ("aktif", dt.date(2020, 1, 6)))

    again = PsmFactory(tanggal_bergabung=dt.date(2024, 2, 1))
    history(
        again,
        ("calon", dt.date(2024, 2, 1)),
        ("aktif", dt.date(2024, 3, 1)),
        ("berhenti", dt.date(2025, 9, 15)),
        ("calon", dt.date(2026, 1, 10)),
        ("aktif", dt.date(2026, 6, 2)),
    )
    resting = PsmFactory(tanggal_bergabung=dt.date(2020, 1, 6))
    history(
        resting,
        *since_2020,
        ("nonaktif", dt.date(2026, 4, 20)),
    )
    for psm, days in (
        (again, [dt.date(2025, 2, 3), dt.date(2025, 6, 9), dt.date(2026, 7, 1)]),
        (resting, [dt.date(2026, 2, 3), dt.date(2026, 3, 3)]),
    ):
        for tanggal in days:
            KegiatanFactory(psm=psm, tanggal=tanggal, status=StatusKegiatan.DICATAT)
    qs = Psm.objects.filter(pk__in=[again.pk, resting.pk, world["a"].pk])
    y2025, y2026 = indicators.Period.year(2025), indicators.Period.year(2026)
    assert indicators.months_served(qs, y2025, TODAY) == {
        again.pk: 9,  # January to September
        resting.pk: 12,
        world["a"].pk: 12,  # no history: the present status
    }
    assert indicators.months_served(qs, y2026, TODAY) == {
        again.pk: 6,  # June to November
        resting.pk: 4,  # January to April
        world["a"].pk: 11,
    }
    assert indicators.frekuensi(qs, y2025, TODAY)[again.pk] == Decimal("0.22")  # 2 / 9
    assert indicators.frekuensi(qs, y2026, TODAY)[again.pk] == Decimal("0.17")  # 1 / 6
    assert indicators.frekuensi(qs, y2026, TODAY)[resting.pk] == Decimal("0.50")  # 2 / 4
    # Only the months aktif count (from a review): stopped in March and re-activated in
    # October, or nonaktif from March to September, is not eleven months of 2026.
    returned = PsmFactory(tanggal_bergabung=dt.date(2020, 1, 6))
    history(
        returned,
        *since_2020,
        ("berhenti", dt.date(2026, 3, 5)),
        ("calon", dt.date(2026, 5, 1)),
        ("aktif", dt.date(2026, 10, 1)),
    )
    rested = PsmFactory(tanggal_bergabung=dt.date(2020, 1, 6))
    history(
        rested,
        *since_2020,
        ("nonaktif", dt.date(2026, 3, 10)),
        ("aktif", dt.date(2026, 9, 15)),
    )
    # Never aktif by the history: no months at all, not those of the present status.
    turned_down = PsmFactory(tanggal_bergabung=dt.date(2026, 2, 1))
    history(turned_down, ("calon", dt.date(2026, 2, 1)), ("berhenti", dt.date(2026, 5, 1)))
    # Entered without history as nonaktif, stopped in 2026: not aktif in 2025 either.
    entered = PsmFactory(tanggal_bergabung=dt.date(2020, 1, 6), status="berhenti")
    PsmStatusChange.objects.create(
        psm=entered, dari="nonaktif", ke="berhenti", tanggal_efektif=dt.date(2026, 2, 1)
    )
    KegiatanFactory(psm=turned_down, tanggal=dt.date(2026, 3, 1), status=StatusKegiatan.DICATAT)
    more = Psm.objects.filter(pk__in=[returned.pk, rested.pk, turned_down.pk, entered.pk])
    assert indicators.months_served(more, y2026, TODAY) == {
        returned.pk: 5,  # January to March, October and November
        rested.pk: 6,  # January to March, September to November
    }
    assert indicators.months_served(more, y2025, TODAY) == {returned.pk: 12, rested.pk: 12}
    assert turned_down.pk not in indicators.frekuensi(more, y2026, TODAY)


def test_drill_down_rows_add_up_to_the_figure(world):
    period = indicators.Period.year(2026)

    def counted(cara_hitung):
        return [qs.count() for qs in indicators.rows_for(cara_hitung, world["a"], period)]

    assert counted("jam_kegiatan") == [3]
    assert counted("asesmen_diajukan") == [2]
    assert counted("rujukan_diterima") == [1]
    assert counted("frekuensi") == [3, 2]  # the figure adds activities and cases
    assert counted("warga_dibantu") == [3, 2]
    assert counted("masa_bakti") == []  # from the profile, not from records


def test_a_new_indicator_version_applies_from_its_date(world):
    from reports.models import Indikator

    old = Indikator.objects.get(kode="PR-02", versi=1)
    Indikator.objects.create(
        kode="PR-02",
        versi=2,
        nama=old.nama,
        kategori=old.kategori,
        tingkat=old.tingkat,
        cara_hitung=old.cara_hitung,
        penjelasan=old.penjelasan,
        satuan=old.satuan,
        bobot=old.bobot,
        target=50,
        berlaku_mulai=dt.date(2027, 1, 1),
    )
    in_2026 = {d.kode: d for d in indicators.definitions(dt.date(2026, 12, 31))}
    in_2027 = {d.kode: d for d in indicators.definitions(dt.date(2027, 12, 31))}
    assert in_2026["PR-02"].versi == 1 and in_2027["PR-02"].target == 50


def test_evaluation_rules(world):
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv")
    marks = {"kerajinan": 3, "disiplin": 3, "kerja_sama": 3, "kepemimpinan": 3, "prestasi": 3}
    with pytest.raises(ValidationError, match="belum dapat"):
        services.evaluation_save(psm=world["a"], tahun=2027, data=marks, by=supervisor, today=TODAY)
    with pytest.raises(ValidationError, match="baru bergabung"):
        services.evaluation_save(psm=world["b"], tahun=2024, data=marks, by=supervisor, today=TODAY)
    with pytest.raises(ValidationError):
        services.evaluation_save(
            psm=world["c"],
            tahun=2026,
            data={**marks, "diusulkan_berprestasi": True},
            by=supervisor,
            today=TODAY,
        )
    with pytest.raises(ValidationError):
        services.evaluation_save(
            psm=world["a"], tahun=2026, data={**marks, "prestasi": 6}, by=supervisor, today=TODAY
        )
    with pytest.raises(ValidationError, match="Calon"):
        services.evaluation_save(
            psm=PsmFactory(status="calon"), tahun=2026, data=marks, by=supervisor, today=TODAY
        )
    stopped = PsmFactory(status="berhenti", status_sejak=dt.date(2025, 6, 30))
    with pytest.raises(ValidationError, match="tidak bertugas aktif pada tahun 2026"):
        services.evaluation_save(psm=stopped, tahun=2026, data=marks, by=supervisor, today=TODAY)
    services.evaluation_save(psm=stopped, tahun=2025, data=marks, by=supervisor, today=TODAY)
    services.evaluation_save(psm=world["a"], tahun=2026, data=marks, by=supervisor, today=TODAY)
    services.evaluation_save(
        psm=world["a"], tahun=2026, data={**marks, "prestasi": 5}, by=supervisor, today=TODAY
    )
    assert Evaluasi.objects.get(psm=world["a"], tahun=2026).prestasi == 5  # revised, not doubled
    with pytest.raises(IntegrityError), transaction.atomic():
        Evaluasi.objects.filter(psm=world["a"]).update(disiplin=0)


def _sql(query, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


def test_dashboard_and_recaps_equal_independent_sql_counts(world, staff):
    figures = selectors.dashboard(staff, tahun=2026, kecamatan="", today=TODAY)
    assert figures["psm_total"] == _sql(
        "SELECT count(*) FROM registry_psm WHERE desa_tugas_id LIKE %s", ["33.71.%"]
    )
    cases = _sql(
        "SELECT count(*) FROM assessments_asesmen WHERE status <> 'draf' "
        "AND tanggal BETWEEN %s AND %s",
        [dt.date(2026, 1, 1), dt.date(2026, 12, 31)],
    )
    assert figures["kasus_tahun_ini"] == cases == 2
    assert sum(n for _m, n, _a in figures["trend"]) == cases
    assert sum(a for _m, _n, a in figures["trend"]) == _sql(
        "SELECT count(*) FROM registry_kegiatan WHERE status <> 'ditolak' "
        "AND tanggal BETWEEN %s AND %s",
        [dt.date(2026, 1, 1), dt.date(2026, 12, 31)],
    )
    assert figures["desa_total"] == _sql(
        "SELECT count(*) FROM registry_wilayah WHERE tingkat = 4 AND kode LIKE %s", ["33.71.%"]
    )
    assert figures["office"]["desa_tanpa_psm"] == figures["desa_total"] - _sql(
        "SELECT count(DISTINCT desa_tugas_id) FROM registry_psm "
        "WHERE status = 'aktif' AND desa_tugas_id LIKE %s",
        ["33.71.%"],
    )
    assert figures["psm_tidak_aktif"] == 1
    recap = selectors.ppks_recap(staff, tahun=2026)
    assert recap["total"] == cases
    assert sum(r["n"] for r in recap["per_desa"]) == cases
    assert recap["total_verified"] == 1


def test_a_case_closed_as_a_duplicate_counts_for_no_one(world, staff):
    """Closing from "diajukan" is allowed only for a duplicate, which nobody verified; nor is it
    counted as submitted (its person is counted on the case it repeats)."""
    from assessments.models import Asesmen

    before = selectors.ppks_recap(staff, tahun=2026)
    second = Asesmen.objects.get(subjek__nama="Pak Darmo")
    case_services.assessment_transition(
        asesmen=second, ke=StatusAsesmen.DITUTUP, by=staff, alasan_tutup="duplikat"
    )
    values = _values(world, world["a"])
    assert values["asesmen_diverifikasi"] == 1
    assert values["asesmen_diajukan"] == 1 and values["warga_dibantu"] == 16
    recap = selectors.ppks_recap(staff, tahun=2026)
    assert recap["total_verified"] == 1
    assert recap["total"] == before["total"] - 1
    handled = Asesmen.objects.get(subjek__nama="Mbah Sarinah")  # verified, then referred
    Asesmen.objects.filter(pk=handled.pk).update(
        status=StatusAsesmen.DITUTUP, alasan_tutup="ditangani"
    )
    assert _values(world, world["a"])["asesmen_diverifikasi"] == 1  # closed after verification
    [drill] = indicators.rows_for("asesmen_diverifikasi", world["a"], indicators.Period.year(2026))
    assert list(drill.values_list("pk", flat=True)) == [handled.pk]
    assert _values(world, world["a"])["rujukan_diterima"] == 1
    # Found later to repeat another case: its accepted referral counts for no one either.
    Asesmen.objects.filter(pk=handled.pk).update(alasan_tutup="duplikat")
    assert _values(world, world["a"])["rujukan_diterima"] == 0
    [referrals] = indicators.rows_for("rujukan_diterima", world["a"], indicators.Period.year(2026))
    assert not referrals.exists()


def test_a_kecamatan_filter_keeps_only_its_rows(world, staff):
    PsmFactory(desa_kode="33.71.02.1003", status="aktif")
    utara = selectors.dashboard(staff, tahun=2026, kecamatan="33.71.02", today=TODAY)
    assert utara["psm_total"] == 1 and utara["kasus_tahun_ini"] == 0
    assert {r["kode"][:8] for r in utara["coverage"]} == {"33.71.02"}


def test_an_administrator_adds_the_next_version_of_an_indicator(client, regions):
    from reports.models import Indikator

    admin_user = make_user(Role.ADMIN, username="admin-indikator")
    admin_user.is_staff = admin_user.is_superuser = True  # as seed_demo's administrator
    admin_user.save()
    client.force_login(admin_user)
    old = Indikator.objects.get(kode="PR-02", versi=1)
    change = client.get(f"/admin/reports/indikator/{old.pk}/change/").content.decode()
    assert 'name="target"' not in change  # a version in force is read-only
    response = client.post(
        "/admin/reports/indikator/add/",
        {
            "kode": "PR-02",
            "versi": 2,
            "nama": old.nama,
            "kategori": old.kategori,
            "tingkat": old.tingkat,
            "cara_hitung": "jam_kegiatan",
            "penjelasan": old.penjelasan,
            "satuan": old.satuan,
            "bobot": "15",
            "target": "80",
            "berlaku_mulai": "2027-01-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Indikator.objects.get(kode="PR-02", versi=2).target == 80


def test_queue_ages_are_counted_in_whole_days_per_bucket(world, staff):
    from django.utils import timezone

    from assessments.models import Asesmen

    user_a = world["a"].user
    extra = [
        make_case(user_a, subject={"nama": f"Antre {days}", "tanggal_lahir": dt.date(1950, 1, 1)})
        for days in (10, 40)
    ]
    now = timezone.now()
    waiting = Asesmen.objects.filter(status=StatusAsesmen.DIAJUKAN).order_by("pk")
    ages = {waiting[0].pk: 3, extra[0].pk: 10, extra[1].pk: 40}
    for pk, days in ages.items():
        sent = now - dt.timedelta(days=days, hours=1)  # counted from the sending
        Asesmen.objects.filter(pk=pk).update(status_sejak=now, diajukan_pada=sent)
    figures = selectors.dashboard(staff, tahun=2026, kecamatan="", today=TODAY)
    assert figures["antrean"] == 3 and figures["antrean_tertua"] == 40
    assert [n for _label, n in figures["antrean_umur"]] == [1, 1, 0, 1]


@pytest.mark.django_db(transaction=True)
def test_a_first_evaluation_saved_four_times_at_once_is_one_evaluation(regions):
    """A double tap (or two supervisors) on a PSM's first evaluation of the year: the unique
    constraint answered 500 to the second; now each waits its turn and revises the one row."""
    from registry.models import Psm
    from tests.concurrency import at_once

    psm = PsmFactory()
    Psm.objects.filter(pk=psm.pk).update(status="aktif")
    psm.refresh_from_db()
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-kembar")
    marks = {"kerajinan": 4, "disiplin": 4, "kerja_sama": 5, "kepemimpinan": 3, "prestasi": 4}
    made, errors = at_once(
        lambda: (
            services.evaluation_save(
                psm=psm, tahun=2026, data=dict(marks), by=supervisor, today=TODAY
            ).pk
        ),
        [()] * 4,
    )
    assert errors == [] and len(set(made)) == 1
    assert Evaluasi.objects.filter(psm=psm, tahun=2026).count() == 1


def test_a_past_years_inactive_flag_is_as_of_that_years_end(regions, client):
    """Active all through last autumn, idle since: last year's recap does not flag them (it
    flagged whoever did nothing in the 90 days before today); this year's does. The list of
    inactive PSM the dashboard links to says the same for each year."""
    from django.urls import reverse
    from django.utils import timezone

    from registry.models import Psm

    d = PsmFactory(nama="Dewi Musiman", status="aktif", tanggal_bergabung=dt.date(2020, 1, 6))
    KegiatanFactory(psm=d, tanggal=dt.date(2025, 11, 15), status=StatusKegiatan.DIVERIFIKASI)
    only_d = Psm.objects.filter(pk=d.pk)
    (last_year,) = indicators.scores(only_d, 2025, today=TODAY)
    (this_year,) = indicators.scores(only_d, 2026, today=TODAY)
    assert not last_year.tidak_aktif and this_year.tidak_aktif
    # The page judges by the real date: a PSM last seen in December two years ago.
    this = timezone.localdate().year
    e = PsmFactory(nama="Eko Lama", status="aktif", tanggal_bergabung=dt.date(2020, 1, 6))
    KegiatanFactory(psm=e, tanggal=dt.date(this - 2, 12, 1), status=StatusKegiatan.DIVERIFIKASI)
    Psm.objects.exclude(pk=e.pk).update(status="nonaktif")
    client.force_login(make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-musim"))
    url = reverse("reports:inactive")
    listed = {
        year: [p.pk for p in client.get(url, {"tahun": year}).context["page"]]
        for year in (this - 2, this)
    }
    assert listed == {this - 2: [], this: [e.pk]}


def test_equal_scores_share_a_rank_and_the_next_counts_the_places_above(world):
    """Everyone of a year without work scored the same and was ranked 1, 2, 3 by name."""
    from registry.models import Psm

    d = PsmFactory(nama="Dewi Aktif", status="aktif", tanggal_bergabung=dt.date(2025, 7, 1))
    ranked = indicators.scores(
        Psm.objects.filter(pk__in=[world["a"].pk, world["b"].pk, d.pk]), 2026, today=TODAY
    )
    assert [(s.psm, s.peringkat) for s in ranked] == [
        (world["a"], 1),
        (world["b"], 2),
        (d, 2),
    ]
    assert ranked[1].skor_gabungan == ranked[2].skor_gabungan < ranked[0].skor_gabungan
    everyone_equal = indicators.scores(
        Psm.objects.filter(pk__in=[world["b"].pk, d.pk]), 2026, today=TODAY
    )
    assert [s.peringkat for s in everyone_equal] == [1, 1]


def test_kt04_counts_the_cases_psm_submitted_and_says_so(world, staff):
    """A case the office entered itself is no PSM's work: KT-04 leaves it out, and its name and
    explanation say so (they said every submitted case, which read as a wrong figure)."""
    from registry.models import Psm, Wilayah

    make_case(staff, subject={"nama": "Datang ke Kantor"})
    figures = indicators.office_figures(
        Psm.objects.all(), Wilayah.objects.filter(tingkat=4), indicators.Period.year(2026), TODAY
    )
    assert figures["ppks_per_psm"] == Decimal("1.00")  # A's two cases over A and B, active
    kt04 = next(d for d in indicators.definitions(TODAY, "kantor") if d.kode == "KT-04")
    assert kt04.nama == "Asesmen PPKS oleh PSM per PSM aktif"
    assert "diajukan PSM (tanpa yang dicatat dinas sendiri)" in kt04.penjelasan


def test_kt04_of_a_past_year_divides_by_the_psm_aktif_as_it_ended(world):
    """From a review: a past year's cases were divided by today's aktif PSM (one who joined
    since counted, one who stopped since did not), a figure the dashboard does not name as
    today's."""
    from psm_portal.models import User
    from registry.models import Psm, StatusPsm, Wilayah
    from tests.factories import status_history

    user_a = User.objects.get(username="ayu")
    make_case(user_a, tanggal=dt.date(2025, 10, 1), persetujuan_pada=dt.date(2025, 10, 1),
              subject={"nama": "Mbah Wiryo"})  # fmt: skip
    PsmFactory(nama="Dewi Baru", status="aktif", tanggal_bergabung=dt.date(2026, 3, 1))
    PsmFactory(nama="Fajar Baru", status="aktif", tanggal_bergabung=dt.date(2026, 4, 6))
    gone = PsmFactory(nama="Eko Berhenti", tanggal_bergabung=dt.date(2021, 1, 4))
    status_history(
        gone, (StatusPsm.AKTIF, dt.date(2021, 2, 1)), (StatusPsm.BERHENTI, dt.date(2026, 5, 1))
    )
    figures = indicators.office_figures(
        Psm.objects.all(), Wilayah.objects.filter(tingkat=4), indicators.Period.year(2025), TODAY
    )
    # one case over A, B and Eko, aktif on 31 December 2025 (not Dewi nor Fajar, who joined
    # since): today's four aktif gave 0.25
    assert figures["ppks_per_psm"] == Decimal("0.33")
    this_year = indicators.office_figures(
        Psm.objects.all(), Wilayah.objects.filter(tingkat=4), indicators.Period.year(2026), TODAY
    )
    assert this_year["ppks_per_psm"] == Decimal("0.50")  # A's two over today's four
