import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from psm_portal.models import AuditEvent
from registry.models import PsmBimtek, StatusPsm, Wilayah
from registry.services import activation_problems
from tests.concurrency import at_once
from tests.factories import BimtekFactory, EventFactory, PsmFactory, SkFactory, bimtek_results
from training import selectors, services
from training.models import (
    BimtekEvent,
    HariEvent,
    Kehadiran,
    Modul,
    Pemberitahuan,
    Peserta,
    StatusEvent,
    StatusPeserta,
)

TODAY = dt.date(2026, 11, 24)


def _event_data(**overrides):
    from registry.models import Wilayah

    data = {
        "judul": "Bimtek Dasar PSM 2026",
        "jenis": "dasar",
        "penyelenggara": "kabkota",
        "wilayah": Wilayah.objects.get(kode="33.71"),
        "tempat": "Aula",
        "kapasitas": 20,
        "pendaftaran_mulai": dt.date(2026, 11, 1),
        "pendaftaran_selesai": dt.date(2026, 11, 30),
        "tanggal_mulai": dt.date(2026, 12, 7),
        "tanggal_selesai": dt.date(2026, 12, 8),
        "min_kehadiran_persen": 100,
        "nilai_lulus": None,
    }
    data.update(overrides)
    return data


def test_event_save_creates_days_and_default_curriculum(staff):
    event = services.event_save(data=_event_data(), by=staff)
    assert list(event.hari_set.order_by("tanggal").values_list("tanggal", flat=True)) == [
        dt.date(2026, 12, 7),
        dt.date(2026, 12, 8),
    ]
    assert Modul.objects.filter(event=event).count() == 7
    assert AuditEvent.objects.filter(action="event.create", actor_id=staff.pk).exists()


def test_event_ending_before_it_starts_is_refused(staff):
    with pytest.raises(ValidationError):
        services.event_save(data=_event_data(tanggal_selesai=dt.date(2026, 12, 1)), by=staff)
    assert not BimtekEvent.objects.exists()


def test_event_end_before_start_is_a_database_constraint(regions):
    with pytest.raises(IntegrityError), transaction.atomic():
        EventFactory(tanggal_selesai=dt.date(2026, 12, 1))


def test_capacity_below_enrolment_is_refused(staff, regions):
    event = EventFactory(kapasitas=3)
    for _ in range(3):
        services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
    with pytest.raises(ValidationError, match="Kapasitas tidak boleh di bawah"):
        services.event_save(event=event, data={"kapasitas": 2}, by=staff)


def test_overlapping_events_are_found(staff, regions):
    first = EventFactory()
    second = EventFactory(tanggal_mulai=dt.date(2026, 12, 8), tanggal_selesai=dt.date(2026, 12, 9))
    EventFactory(tanggal_mulai=dt.date(2026, 12, 10), tanggal_selesai=dt.date(2026, 12, 10))
    assert list(services.overlapping_events(second)) == [first]


def test_enrolment_fills_capacity_then_waitlists_in_order(staff, regions):
    event = EventFactory(kapasitas=2)
    people = [PsmFactory() for _ in range(4)]
    result = [services.enrolment_create(event=event, psm=p, by=staff, today=TODAY) for p in people]
    assert [(r.status, r.antrean) for r in result] == [
        ("terdaftar", None),
        ("terdaftar", None),
        ("menunggu", 1),
        ("menunggu", 2),
    ]


def test_cancellation_promotes_the_next_and_tells_them(staff, regions):
    event = EventFactory(kapasitas=1)
    first, second, third = (
        services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
        for _ in range(3)
    )
    promoted = services.enrolment_cancel(enrolment=first, by=staff, today=TODAY)
    assert promoted == second
    second.refresh_from_db()
    assert (second.status, second.antrean) == ("terdaftar", None)
    assert Pemberitahuan.objects.get(psm=second.psm).pesan.startswith("Anda mendapat tempat")
    third.refresh_from_db()
    assert third.status == "menunggu"


def test_kecamatan_quota_waitlists_and_promotion_respects_it(staff, regions):
    from registry.models import Wilayah

    event = EventFactory(kapasitas=10)
    services.quota_set(
        event=event, kecamatan=Wilayah.objects.get(kode="33.71.01"), kuota=1, by=staff
    )
    selatan_1 = services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
    selatan_2 = services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
    utara = services.enrolment_create(
        event=event, psm=PsmFactory(desa_kode="33.71.02.1003"), by=staff, today=TODAY
    )
    assert (selatan_1.status, selatan_2.status, utara.status) == (
        "terdaftar",
        "menunggu",
        "terdaftar",
    )
    assert services.enrolment_cancel(enrolment=selatan_1, by=staff, today=TODAY) == selatan_2


def test_more_seats_go_to_who_is_waiting_first_and_they_are_told_in_indonesian(staff, regions):
    from django.utils import translation

    from registry.models import Wilayah

    event = EventFactory(kapasitas=1)
    first, second, third = (
        services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
        for _ in range(3)
    )
    with translation.override("en"):  # the staff member reads the portal in English
        services.event_save(event=event, data={"kapasitas": 2}, by=staff, today=TODAY)
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, third.status, third.antrean) == ("terdaftar", "menunggu", 2)
    assert Pemberitahuan.objects.get(psm=second.psm).pesan.startswith("Anda mendapat tempat")
    late = services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
    assert late.status == "menunggu"  # the queue stays in order

    quota = EventFactory(kapasitas=10)
    selatan = Wilayah.objects.get(kode="33.71.01")
    services.quota_set(event=quota, kecamatan=selatan, kuota=1, by=staff)
    seated, waiting = (
        services.enrolment_create(event=quota, psm=PsmFactory(), by=staff, today=TODAY)
        for _ in range(2)
    )
    assert waiting.status == "menunggu"
    services.quota_set(event=quota, kecamatan=selatan, kuota=2, by=staff, today=TODAY)
    waiting.refresh_from_db()
    assert waiting.status == "terdaftar"


def test_registration_after_the_events_last_day_is_refused_and_enrols_nobody(staff, regions):
    """From a review: the rule was the form's only (its sibling, opening before the end, is the
    service's too), and an event saved before it still enrolled PSM after its last day."""
    with pytest.raises(ValidationError) as refused:
        services.event_save(data=_event_data(pendaftaran_selesai=dt.date(2026, 12, 9)), by=staff)
    assert list(refused.value.message_dict) == ["pendaftaran_selesai"]
    event = EventFactory()  # 7-8 December 2026
    BimtekEvent.objects.filter(pk=event.pk).update(pendaftaran_selesai=dt.date(2026, 12, 31))
    event.refresh_from_db()
    after = services.enrolment_problems(event, PsmFactory(), today=dt.date(2026, 12, 10))
    assert after[0] == "Kegiatan ini sudah berakhir pada 8 Desember 2026."
    assert services.registration_problems(event, today=dt.date(2026, 12, 8)) == []


def test_an_event_longer_than_two_months_is_refused_on_its_end_date(staff):
    with pytest.raises(ValidationError) as refused:
        services.event_save(data=_event_data(tanggal_selesai=dt.date(2205, 12, 8)), by=staff)
    assert list(refused.value.message_dict) == ["tanggal_selesai"]
    assert not BimtekEvent.objects.exists() and not HariEvent.objects.exists()
    event = services.event_save(data=_event_data(tanggal_selesai=dt.date(2027, 2, 4)), by=staff)
    assert event.hari_set.count() == 60


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("closed_event", "tidak sedang dibuka"),
        ("after_window", "Di luar masa pendaftaran"),
        ("stopped", "sudah berhenti"),
        ("candidate_advanced", "Calon PSM hanya dapat mengikuti Bimtek dasar"),
        ("no_prerequisite", "belum lulus"),
        ("already_passed", "sudah lulus tingkat ini"),
        ("outside_region", "di luar wilayah penyelenggara"),
    ],
)
def test_enrolment_rules(staff, regions, setup, message):
    event = EventFactory()
    psm = PsmFactory()
    today = TODAY
    if setup == "closed_event":
        event.status = StatusEvent.TUTUP
    if setup == "after_window":
        today = dt.date(2026, 12, 1)
    if setup == "stopped":
        psm.status = StatusPsm.BERHENTI
    if setup == "candidate_advanced":
        event.jenis = "lanjutan"
    if setup == "no_prerequisite":
        psm.status = StatusPsm.AKTIF
        event.jenis = "lanjutan"
    if setup == "already_passed":
        BimtekFactory(psm=psm)
    if setup == "outside_region":
        psm = PsmFactory(desa_kode="33.12.01.2001")
    event.save()
    psm.save()
    with pytest.raises(ValidationError) as exc:
        services.enrolment_create(event=event, psm=psm, by=staff, today=today)
    assert any(message in m for m in exc.value.messages), exc.value.messages
    assert not Peserta.objects.exists()


def test_enrolling_twice_is_refused_with_message(staff, regions):
    event, psm = EventFactory(), PsmFactory()
    services.enrolment_create(event=event, psm=psm, by=staff, today=TODAY)
    with pytest.raises(ValidationError, match="sudah terdaftar di kegiatan ini"):
        services.enrolment_create(event=event, psm=psm, by=staff, today=TODAY)


def test_one_enrolment_per_person_is_a_database_constraint(staff, regions):
    event, psm = EventFactory(), PsmFactory()
    Peserta.objects.create(event=event, psm=psm, status="terdaftar")
    with pytest.raises(IntegrityError), transaction.atomic():
        Peserta.objects.create(event=event, psm=psm, status="terdaftar")


@pytest.mark.django_db(transaction=True)
def test_no_overbooking_under_concurrency(regions):
    """Twelve people enrol at the same moment into the last three seats, each on its own
    PostgreSQL connection: exactly three get seats, nine wait in order, nobody gets an error."""
    event = EventFactory(kapasitas=5)
    for _ in range(2):
        services.enrolment_create(event=event, psm=PsmFactory(), by=None, today=TODAY)
    people = [PsmFactory() for _ in range(12)]
    _seated, errors = at_once(
        lambda psm: services.enrolment_create(event=event, psm=psm, by=None, today=TODAY), people
    )
    assert errors == []
    statuses = list(Peserta.objects.filter(event=event).values_list("status", flat=True))
    assert statuses.count("terdaftar") == 5 and statuses.count("menunggu") == 9
    places = sorted(
        Peserta.objects.filter(event=event, status="menunggu").values_list("antrean", flat=True)
    )
    assert places == list(range(1, 10))


@pytest.mark.django_db(transaction=True)
def test_same_person_enrolling_twice_at_once_gets_one_enrolment(regions):
    event, psm = EventFactory(), PsmFactory()
    seated, refused = at_once(
        lambda: services.enrolment_create(event=event, psm=psm, by=None, today=TODAY), [(), ()]
    )
    outcomes = ["ok"] * len(seated) + [
        "refused" for exc in refused if isinstance(exc, ValidationError)
    ]
    assert sorted(outcomes) == ["ok", "refused"]
    assert Peserta.objects.filter(event=event, psm=psm).count() == 1


@pytest.fixture
def running_event(staff, regions):
    event = services.event_save(
        data=_event_data(min_kehadiran_persen=100, nilai_lulus=70), by=staff
    )
    services.event_set_status(event=event, status=StatusEvent.BUKA, by=staff)
    return event


def test_attendance_for_another_events_day_is_refused(staff, running_event):
    other = EventFactory()
    other_day = HariEvent.objects.create(event=other, tanggal=dt.date(2026, 12, 7))
    enrolment = services.enrolment_create(
        event=running_event, psm=PsmFactory(), by=staff, today=TODAY
    )
    with pytest.raises(ValidationError, match="tidak terdaftar di kegiatan ini"):
        services.attendance_mark(hari=other_day, marks={enrolment.pk: "hadir"}, by=staff)


def test_scores_out_of_range_are_refused(staff, running_event):
    enrolment = services.enrolment_create(
        event=running_event, psm=PsmFactory(), by=staff, today=TODAY
    )
    with pytest.raises(ValidationError, match="0 sampai 100"):
        services.scores_set(enrolment=enrolment, nilai_pre=50, nilai_post=101, by=staff)


def test_attendance_of_a_day_still_to_come_is_refused(staff, running_event):
    enrolment = services.enrolment_create(
        event=running_event, psm=PsmFactory(), by=staff, today=TODAY
    )
    day = running_event.hari_set.order_by("tanggal").first()
    with pytest.raises(ValidationError, match="harinya belum tiba"):
        services.attendance_mark(
            hari=day, marks={enrolment.pk: "hadir"}, by=staff, today=day.tanggal - dt.timedelta(1)
        )
    assert not Kehadiran.objects.exists()
    services.attendance_mark(hari=day, marks={enrolment.pk: "hadir"}, by=staff, today=day.tanggal)
    assert Kehadiran.objects.get().status == "hadir"


def test_completion_passes_by_attendance_and_post_test_and_feeds_the_registry(staff, running_event):
    good, absent, low = (PsmFactory() for _ in range(3))
    enrolled = bimtek_results(
        running_event,
        staff,
        {
            good: (["hadir", "hadir"], 85),
            absent: (["hadir", "absen"], 90),
            low: (["terlambat", "terlambat"], 60),
        },
        today=TODAY,
    )
    services.event_set_status(event=running_event, status=StatusEvent.TUTUP, by=staff)
    with pytest.raises(ValidationError, match="baru berakhir"):
        services.event_complete(event=running_event, by=staff, today=dt.date(2026, 12, 7))
    result = services.event_complete(event=running_event, by=staff, today=dt.date(2026, 12, 8))
    assert result == {"lulus": 1, "tidak_lulus": 2, "hari_presensi": 2}
    passed = Peserta.objects.get(pk=enrolled[good].pk)
    assert passed.status == StatusPeserta.LULUS
    assert passed.nomor_sertifikat == f"SRT/3371/2026/{running_event.pk:04d}/001"
    record = PsmBimtek.objects.get(psm=good)
    assert (record.tingkat, record.tanggal) == ("dasar", dt.date(2026, 12, 8))
    # named as the office's own records name it, not by the kind of organiser
    assert record.penyelenggara == "Dinas Sosial Kota Magelang"
    # The candidate is now eligible for activation once an SK follows the course.
    SkFactory(psm=good, tanggal_sk=dt.date(2026, 12, 15))
    assert activation_problems(good) == []
    assert not PsmBimtek.objects.filter(psm__in=[absent, low]).exists()
    assert Kehadiran.objects.count() == 6


def test_completion_shows_unmarked_days_and_counts_them_absent_only_when_confirmed(
    staff, running_event
):
    """A participant with no mark on a day attendance was taken was counted absent, silently
    and for good: completing is final."""
    marked, forgotten = PsmFactory(nama="Ani Tercatat"), PsmFactory(nama="Budi Terlewat")
    enrolled = bimtek_results(running_event, staff, {marked: (["hadir", "hadir"], 85)}, today=TODAY)
    late = services.enrolment_create(event=running_event, psm=forgotten, by=staff, today=TODAY)
    first, second = running_event.hari_set.order_by("tanggal")
    services.attendance_mark(hari=first, marks={late.pk: "hadir"}, by=staff)
    services.scores_set(enrolment=late, nilai_pre=40, nilai_post=90, by=staff)
    services.event_set_status(event=running_event, status=StatusEvent.TUTUP, by=staff)
    assert services.unmarked_attendance(running_event) == [("Budi Terlewat", second.tanggal)]
    with pytest.raises(services.UnmarkedAttendance) as shown:
        services.event_complete(event=running_event, by=staff, today=dt.date(2026, 12, 8))
    assert Peserta.objects.get(pk=late.pk).status == StatusPeserta.TERDAFTAR
    assert shown.value.days_without == [] and not shown.value.changed

    result = services.event_complete(
        event=running_event, by=staff, today=dt.date(2026, 12, 8), confirmed=shown.value.digest
    )
    assert result == {"lulus": 1, "tidak_lulus": 1, "hari_presensi": 2}
    assert Peserta.objects.get(pk=enrolled[marked].pk).status == StatusPeserta.LULUS
    assert Peserta.objects.get(pk=late.pk).status == StatusPeserta.TIDAK_LULUS


def test_the_completion_button_lists_the_unmarked_days_before_anything_is_final(staff, client):
    """From the event page: the list first, then completion on the office's word."""
    from django.urls import reverse

    event, (late, marked), (first, second) = _ended_event(
        staff, ["Budi Terlewat", "Ani Tercatat"], days=2
    )
    services.attendance_mark(hari=first, marks={late.pk: "hadir", marked.pk: "hadir"}, by=staff)
    services.attendance_mark(hari=second, marks={marked.pk: "hadir"}, by=staff)
    client.force_login(staff)
    url = reverse("training:event-complete", args=[event.pk])
    page = client.post(url).content.decode()
    from django.utils.formats import date_format

    day = date_format(second.tanggal, "j F Y")  # the office's way, as the page writes it
    assert f"Budi Terlewat: {day}" in page and "dihitung tidak hadir" in page
    event.refresh_from_db()
    assert event.status == StatusEvent.TUTUP
    assert "Kelulusan dihitung dari 2 hari yang presensinya dicatat" in page
    assert "hari-tanpa-presensi" not in page  # both days were taken
    confirmed = {"kehadiran_kosong": _confirmation(page)}
    done = client.post(url, confirmed, follow=True).content.decode()
    assert "Kegiatan selesai: 1 lulus, 1 tidak lulus." in done
    event.refresh_from_db()
    assert event.status == StatusEvent.SELESAI


def _confirmation(page: str) -> str:
    start = page.index('name="kehadiran_kosong" value="') + len('name="kehadiran_kosong" value="')
    return page[start : page.index('"', start)]


def _ended_event(staff, names, *, days=3):
    """A Bimtek of ``days`` days that ended two days ago, registration closed, with ``names``
    seated: (event, enrolments, its days)."""
    today = dt.date.today()
    event = services.event_save(
        data=_event_data(
            pendaftaran_mulai=today - dt.timedelta(days=20),
            pendaftaran_selesai=today - dt.timedelta(days=10),
            tanggal_mulai=today - dt.timedelta(days=1 + days),
            tanggal_selesai=today - dt.timedelta(days=2),
        ),
        by=staff,
    )
    services.event_set_status(event=event, status=StatusEvent.BUKA, by=staff)
    enrolments = [
        services.enrolment_create(
            event=event, psm=PsmFactory(nama=name), by=staff, today=today - dt.timedelta(days=15)
        )
        for name in names
    ]
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    return event, enrolments, list(event.hari_set.order_by("tanggal"))


def test_a_completion_confirmed_on_a_list_that_changed_since_is_shown_again(staff, client):
    """A walk: the confirmation listed one unmarked day; in another tab a third day was then
    recorded for one participant only; the first tab's "Selesaikan" failed two participants
    present on every day the page had shown, for good. It completes only the list it showed."""
    from django.urls import reverse

    event, (budi, dewi, eko), (first, second, third) = _ended_event(
        staff, ["Budi Hadir", "Dewi Hadir", "Eko Terlewat"]
    )
    services.attendance_mark(hari=first, marks={p.pk: "hadir" for p in (budi, dewi, eko)}, by=staff)
    services.attendance_mark(hari=second, marks={budi.pk: "hadir", dewi.pk: "hadir"}, by=staff)
    client.force_login(staff)
    url = reverse("training:event-complete", args=[event.pk])
    page = client.post(url).content.decode()
    assert page.count("<li>Eko Terlewat") == 1 and "Budi Hadir" not in page
    shown = _confirmation(page)

    services.attendance_mark(hari=third, marks={eko.pk: "hadir"}, by=staff)  # the other tab
    again = client.post(url, {"kehadiran_kosong": shown}).content.decode()
    assert 'id="daftar-berubah"' in again and "Kegiatan belum diselesaikan" in again
    assert "<li>Budi Hadir" in again and "<li>Dewi Hadir" in again  # now unmarked on day 3
    event.refresh_from_db()
    assert event.status == StatusEvent.TUTUP
    assert not Peserta.objects.filter(event=event, status=StatusPeserta.TIDAK_LULUS).exists()

    done = client.post(url, {"kehadiran_kosong": _confirmation(again)}, follow=True)
    assert "Kegiatan selesai: 0 lulus, 3 tidak lulus." in done.content.decode()


def test_a_day_with_no_attendance_at_all_is_named_before_completing(staff, client):
    """A walk: day 3 was never recorded; the page listed the unmarked participant-days of the
    other days and said nothing of it, and only the message after completing said "dihitung
    dari 2 hari". A whole day forgotten is the likelier slip: it is named first."""
    from django.urls import reverse
    from django.utils.formats import date_format

    event, (ani, budi), (first, second, third) = _ended_event(
        staff, ["Ani Lengkap", "Budi Lengkap"]
    )
    for day in (first, second):
        services.attendance_mark(hari=day, marks={ani.pk: "hadir", budi.pk: "hadir"}, by=staff)
    client.force_login(staff)
    url = reverse("training:event-complete", args=[event.pk])
    page = client.post(url).content.decode()
    assert "Kelulusan dihitung dari 2 hari yang presensinya dicatat" in page
    forgotten = page[page.index('id="hari-tanpa-presensi"') :]
    assert f"<li>{date_format(third.tanggal, 'l, j F Y')}</li>" in forgotten
    assert "belum-dicatat" not in page  # every seated participant has both days marked
    assert "hari tanpa presensi tidak dihitung" in page
    event.refresh_from_db()
    assert event.status == StatusEvent.TUTUP
    done = client.post(url, {"kehadiran_kosong": _confirmation(page)}, follow=True)
    assert "Kegiatan selesai: 2 lulus, 0 tidak lulus." in done.content.decode()


def test_completion_waits_for_the_marks_that_decide_and_tells_who_waited(staff, running_event):
    """From a review: with a pass mark set and a post-test mark not entered, completing failed
    everyone who had attended, for good (marks are locked once completed); and who still waited
    was set aside without a word or a trail."""
    from psm_portal.models import AuditEvent

    services.event_save(event=running_event, data={"kapasitas": 2}, by=staff, today=TODAY)
    attended, absent, waiting = (PsmFactory(nama=n) for n in ("Dewi Hadir", "Eko Absen", "Fajar"))
    enrolled = {
        p: services.enrolment_create(event=running_event, psm=p, by=staff, today=TODAY)
        for p in (attended, absent, waiting)
    }
    assert enrolled[waiting].status == StatusPeserta.MENUNGGU
    for day in running_event.hari_set.all():
        services.attendance_mark(
            hari=day, marks={enrolled[attended].pk: "hadir", enrolled[absent].pk: "absen"}, by=staff
        )
    services.event_set_status(event=running_event, status=StatusEvent.TUTUP, by=staff)
    # the absent one fails on attendance whatever the mark: only the other's is asked for
    with pytest.raises(ValidationError, match="belum diisi untuk 1 peserta .*: Dewi Hadir\\."):
        services.event_complete(event=running_event, by=staff, today=dt.date(2026, 12, 8))
    running_event.refresh_from_db()
    assert running_event.status == StatusEvent.TUTUP
    assert Peserta.objects.get(pk=enrolled[attended].pk).status == StatusPeserta.TERDAFTAR
    services.scores_set(enrolment=enrolled[attended], nilai_pre=50, nilai_post=80, by=staff)
    result = services.event_complete(event=running_event, by=staff, today=dt.date(2026, 12, 8))
    assert result == {"lulus": 1, "tidak_lulus": 1, "hari_presensi": 2}
    assert Peserta.objects.get(pk=enrolled[waiting].pk).status == StatusPeserta.BATAL
    told = Pemberitahuan.objects.get(psm=waiting).pesan
    assert "sudah selesai; daftar tunggunya ditutup" in told
    assert AuditEvent.objects.filter(
        action="enrolment.cancel", target_id=str(enrolled[waiting].pk)
    ).exists()


def test_a_freed_seat_goes_to_who_may_still_take_part_and_not_once_begun(staff, regions):
    """From a review: a PSM who had stopped since joining the waiting list got the seat, and a
    seat freed on the event's second day was given (the PSM then failed on attendance)."""
    from registry.models import Psm

    event = EventFactory(kapasitas=1)
    first, stopped, next_ = (
        services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
        for _ in range(3)
    )
    Psm.objects.filter(pk=stopped.psm_id).update(status="berhenti")
    assert services.enrolment_cancel(enrolment=first, by=staff, today=TODAY) == next_
    stopped.refresh_from_db()
    assert stopped.status == StatusPeserta.MENUNGGU
    # begun: the seat stays free
    assert services.enrolment_cancel(enrolment=next_, by=staff, today=event.tanggal_mulai) is None
    assert not event.peserta_set.filter(status=StatusPeserta.TERDAFTAR).exists()


def test_a_kecamatan_quota_is_a_share_of_the_events_seats(staff, regions):
    """A quota of 50 on an event of 10 seats was saved with "Kuota kecamatan tersimpan."."""
    event = EventFactory(kapasitas=10)
    selatan = Wilayah.objects.get(kode="33.71.01")
    with pytest.raises(
        ValidationError, match=r"\(50\) tidak boleh melebihi kapasitas kegiatan \(10\)"
    ):
        services.quota_set(event=event, kecamatan=selatan, kuota=50, by=staff)
    assert not event.kuota_set.exists()
    assert services.quota_set(event=event, kecamatan=selatan, kuota=10, by=staff).kuota == 10


def test_a_finished_events_quota_and_a_year_long_event_are_refused(staff, regions, client):
    """From a review: a quota posted to a finished event was saved ("Kuota kecamatan
    tersimpan."), and an end date of 31-12-9999 was a 500 (one day row per date)."""
    from registry.models import Wilayah

    selatan = Wilayah.objects.get(kode="33.71.01")
    done = EventFactory(status=StatusEvent.SELESAI)
    with pytest.raises(ValidationError, match="sudah selesai atau batal"):
        services.quota_set(event=done, kecamatan=selatan, kuota=3, by=staff)
    assert not done.kuota_set.exists()
    for end in (dt.date(2027, 12, 8), dt.date(9999, 12, 31)):
        with pytest.raises(ValidationError, match="paling lama 366 hari"):
            services.event_save(data=_event_data(tanggal_selesai=end), by=staff)
    from django.urls import reverse

    client.force_login(staff)
    data = {k: getattr(v, "pk", v) for k, v in _event_data().items() if v is not None}
    response = client.post(
        reverse("training:event-create"), {**data, "tanggal_selesai": "9999-12-31"}
    )
    assert response.status_code == 200
    assert "Kegiatan paling lama 366 hari." in response.content.decode()


def test_an_event_with_no_attendance_taken_cannot_be_completed(staff, running_event):
    """With no day taken, every participant met any minimum: all passed, with certificates
    and a Bimtek record that made candidates eligible for activation."""
    psm = PsmFactory()
    services.enrolment_create(event=running_event, psm=psm, by=staff, today=TODAY)
    services.event_set_status(event=running_event, status=StatusEvent.TUTUP, by=staff)
    with pytest.raises(ValidationError, match="Belum ada kehadiran yang dicatat"):
        services.event_complete(event=running_event, by=staff, today=dt.date(2026, 12, 8))
    assert Peserta.objects.get(psm=psm).status == StatusPeserta.TERDAFTAR
    assert not PsmBimtek.objects.filter(psm=psm).exists()
    # an event nobody took part in may still be closed
    empty = services.event_save(data=_event_data(judul="Tanpa peserta"), by=staff)
    services.event_set_status(event=empty, status=StatusEvent.BUKA, by=staff)
    services.event_set_status(event=empty, status=StatusEvent.TUTUP, by=staff)
    result = services.event_complete(event=empty, by=staff, today=dt.date(2026, 12, 8))
    assert result == {"lulus": 0, "tidak_lulus": 0, "hari_presensi": 0}


def test_a_cancelled_events_participants_are_no_longer_enrolled_and_are_told(staff, regions):
    event = EventFactory(kapasitas=1)
    seated, waiting = (
        services.enrolment_create(event=event, psm=PsmFactory(), by=staff, today=TODAY)
        for _ in range(2)
    )
    services.event_set_status(event=event, status=StatusEvent.BATAL, by=staff)
    for enrolment in (seated, waiting):
        enrolment.refresh_from_db()
        assert (enrolment.status, enrolment.antrean) == (StatusPeserta.BATAL, None)
        told = Pemberitahuan.objects.get(psm=enrolment.psm).pesan
        assert told.endswith("dibatalkan oleh penyelenggara.") and event.judul in told
        # each in the audit trail, as a cancellation of one enrolment is
        assert AuditEvent.objects.filter(
            action="enrolment.cancel", target_id=str(enrolment.pk)
        ).exists()


def test_self_checkin_marks_present_only_on_the_day(staff, running_event):
    psm = PsmFactory()
    services.enrolment_create(event=running_event, psm=psm, by=staff, today=TODAY)
    day = running_event.hari_set.order_by("tanggal").first()
    with pytest.raises(ValidationError, match="hanya berlaku"):
        services.checkin_self(token=day.token_checkin, psm=psm, today=TODAY)
    mark = services.checkin_self(token=day.token_checkin, psm=psm, today=day.tanggal, by=staff)
    assert mark.status == "hadir"
    services.checkin_self(token=day.token_checkin, psm=psm, today=day.tanggal, by=staff)  # twice
    checkin = AuditEvent.objects.get(action="attendance.checkin")  # recorded once
    assert checkin.after == {"hari": day.tanggal.isoformat(), "status": "hadir"}
    with pytest.raises(ValidationError, match="tidak terdaftar"):
        services.checkin_self(token=day.token_checkin, psm=PsmFactory(), today=day.tanggal)
    with pytest.raises(ValidationError, match="tidak dikenal"):
        services.checkin_self(token="tebakan", psm=psm, today=day.tanggal)


def test_attendance_counts_the_days_it_was_taken_not_the_calendar(staff):
    """A Monday-to-Sunday course meets on five days: the weekend's day rows hold no roster, and
    a participant at every session is at 100 %, not 5 of 7 (71 %, under the minimum). The rule
    is compared unrounded: 2 of 3 days is 66.7 %, under a 67 % minimum (round() made it 67)."""
    event = services.event_save(
        data=_event_data(
            tanggal_mulai=dt.date(2026, 12, 7),  # a Monday
            tanggal_selesai=dt.date(2026, 12, 13),  # the Sunday after
            min_kehadiran_persen=100,
        ),
        by=staff,
    )
    services.event_set_status(event=event, status=StatusEvent.BUKA, by=staff)
    every, most = (PsmFactory() for _ in range(2))
    enrolled = {
        p: services.enrolment_create(event=event, psm=p, by=staff, today=TODAY)
        for p in (every, most)
    }
    weekdays = [d for d in event.hari_set.order_by("tanggal") if d.tanggal.weekday() < 5]
    assert event.hari_set.count() == 7 and len(weekdays) == 5
    for day in weekdays:
        marks = {enrolled[every].pk: "hadir", enrolled[most].pk: "hadir"}
        if day == weekdays[-1]:
            marks[enrolled[most].pk] = "absen"
        services.attendance_mark(hari=day, marks=marks, by=staff, today=day.tanggal)
    rows = {r["peserta"].psm_id: r["hadir"] for r in selectors.participants(event)}
    assert rows == {every.pk: 100, most.pk: 80}
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    # the weekend is named as not counted, and confirmed, before anything is final
    with pytest.raises(services.UnmarkedAttendance) as shown:
        services.event_complete(event=event, by=staff, today=dt.date(2026, 12, 13))
    assert shown.value.days_without == [dt.date(2026, 12, 12), dt.date(2026, 12, 13)]
    assert shown.value.unmarked == []
    result = services.event_complete(
        event=event, by=staff, today=dt.date(2026, 12, 13), confirmed=shown.value.digest
    )
    assert result == {"lulus": 1, "tidak_lulus": 1, "hari_presensi": 5}
    assert Peserta.objects.get(psm=every).status == StatusPeserta.LULUS


def test_the_attendance_minimum_is_compared_unrounded(staff):
    event = services.event_save(
        data=_event_data(tanggal_selesai=dt.date(2026, 12, 9), min_kehadiran_persen=67),
        by=staff,
    )
    services.event_set_status(event=event, status=StatusEvent.BUKA, by=staff)
    psm = PsmFactory()
    enrolment = services.enrolment_create(event=event, psm=psm, by=staff, today=TODAY)
    days = event.hari_set.order_by("tanggal")
    for day, status in zip(days, ("hadir", "hadir", "absen"), strict=True):
        services.attendance_mark(
            hari=day, marks={enrolment.pk: status}, by=staff, today=day.tanggal
        )
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    assert services.event_complete(event=event, by=staff, today=dt.date(2026, 12, 9))["lulus"] == 0


def test_a_qr_checkin_after_the_roster_said_absent_records_late(staff, running_event):
    """Staff keep the roster at 08:00 and mark a latecomer absent; the PSM arrives and scans:
    the mark becomes "terlambat" (it counts), with what it was in the audit trail."""
    psm = PsmFactory()
    enrolment = services.enrolment_create(event=running_event, psm=psm, by=staff, today=TODAY)
    day = running_event.hari_set.order_by("tanggal").first()
    services.attendance_mark(hari=day, marks={enrolment.pk: "absen"}, by=staff, today=day.tanggal)
    mark = services.checkin_self(token=day.token_checkin, psm=psm, today=day.tanggal)
    assert mark.status == "terlambat" and Kehadiran.objects.get().status == "terlambat"
    event = AuditEvent.objects.get(action="attendance.checkin")
    assert event.before == {"status": "absen"}
    assert event.after == {"hari": day.tanggal.isoformat(), "status": "terlambat"}
    services.checkin_self(token=day.token_checkin, psm=psm, today=day.tanggal)  # again
    assert AuditEvent.objects.filter(action="attendance.checkin").count() == 1


def test_an_events_kind_and_region_stay_once_people_enrolled(staff, running_event):
    """A dasar turned lanjutan under its enrolled candidates would record lanjutan for people
    without a dasar at completion; a region moved would keep participants from outside it."""
    services.enrolment_create(event=running_event, psm=PsmFactory(), by=staff, today=TODAY)
    from registry.models import Wilayah

    for change in ({"jenis": "lanjutan"}, {"wilayah": Wilayah.objects.get(kode="33.71.01")}):
        with pytest.raises(ValidationError) as refused:
            services.event_save(data=change, by=staff, event=running_event)
        (field,) = change
        assert refused.value.message_dict == {
            field: ["Tidak dapat diubah: sudah ada peserta yang mendaftar."]
        }
    running_event.refresh_from_db()
    assert running_event.jenis == "dasar" and running_event.wilayah_id == "33.71"
    services.event_save(data={"tempat": "Aula Baru"}, by=staff, event=running_event)  # the rest


def test_a_changed_attendance_mark_is_audited_per_person(staff, running_event):
    enrolment = services.enrolment_create(
        event=running_event, psm=PsmFactory(), by=staff, today=TODAY
    )
    day = running_event.hari_set.order_by("tanggal").first()
    services.attendance_mark(hari=day, marks={enrolment.pk: "hadir"}, by=staff, today=day.tanggal)
    services.attendance_mark(hari=day, marks={enrolment.pk: "absen"}, by=staff, today=day.tanggal)
    first, second = AuditEvent.objects.filter(action="attendance.mark").order_by("pk")
    assert "diubah" not in first.after
    assert second.after["diubah"] == {str(enrolment.pk): ["hadir", "absen"]}


def test_event_status_transitions(staff, running_event):
    with pytest.raises(ValidationError):
        services.event_set_status(event=running_event, status=StatusEvent.SELESAI, by=staff)
    services.event_set_status(event=running_event, status=StatusEvent.BATAL, by=staff)
    with pytest.raises(ValidationError):
        services.event_set_status(event=running_event, status=StatusEvent.BUKA, by=staff)


@pytest.mark.django_db(transaction=True)
def test_a_certificate_revoked_twice_at_once_is_revoked_once(regions):
    """Two tabs, or a double tap: one revocation, one audit event, one withdrawal from the
    registry; the other is told it is already revoked."""
    event = EventFactory(status=StatusEvent.SELESAI)
    psm = PsmFactory()
    enrolment = Peserta.objects.create(
        event=event, psm=psm, status=StatusPeserta.LULUS, nomor_sertifikat="SRT/UJI/1"
    )
    BimtekFactory(psm=psm, nomor_sertifikat="SRT/UJI/1")
    done, refused = at_once(
        lambda: services.certificate_revoke(enrolment=enrolment, reason="data palsu", by=None),
        [(), ()],
    )
    assert len(done) == 1
    assert [exc.messages for exc in refused] == [["Sertifikat ini sudah dicabut."]]
    assert AuditEvent.objects.filter(action="certificate.revoke").count() == 1
    assert not PsmBimtek.objects.filter(psm=psm).exists()
