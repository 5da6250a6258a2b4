"""Demo Bimtek events for ``make run``: one finished (graduates with certificates), one open for
candidates, one draft. Written through the services, like real data."""

import datetime as dt

from psm_portal.models import User
from registry.models import Psm, StatusPsm, Wilayah
from training import services
from training.models import BimtekEvent, Jenis, Narasumber, StatusEvent, StatusHadir


def _event(data: dict, by) -> BimtekEvent:
    return services.event_save(
        data={"penyelenggara": "kabkota", "min_kehadiran_persen": 80, **data}, by=by
    )


def seed_training(*, today: dt.date, region: str) -> None:
    if BimtekEvent.objects.exists():
        return
    admin = User.objects.get(username="admin")
    kota = Wilayah.objects.get(kode=region)

    # A Bimtek pemantapan two months ago: active PSM attended two days, most passed.
    start = today - dt.timedelta(days=60)
    done = _event(
        {
            "judul": f"Bimtek Pemantapan PSM Kota Magelang {start.year}",
            "jenis": Jenis.LANJUTAN,
            "wilayah": kota,
            "tempat": "Aula Dinas Sosial Kota Magelang",
            "kapasitas": 20,
            "pendaftaran_mulai": start - dt.timedelta(days=30),
            "pendaftaran_selesai": start - dt.timedelta(days=3),
            "tanggal_mulai": start,
            "tanggal_selesai": start + dt.timedelta(days=1),
            "nilai_lulus": 60,
        },
        admin,
    )
    Narasumber.objects.create(
        event=done,
        nama="Dr. Hendro Wibowo",
        gelar="M.Kesos.",
        jabatan="Widyaiswara Balai Besar Pendidikan dan Pelatihan Kesejahteraan Sosial",
    )
    services.event_set_status(event=done, status=StatusEvent.BUKA, by=admin)
    active = list(
        Psm.objects.filter(status=StatusPsm.AKTIF, bimtek_set__tingkat="dasar")
        .order_by("pk")
        .distinct()[:14]
    )
    window = start - dt.timedelta(days=10)
    seats = [
        services.enrolment_create(event=done, psm=psm, by=admin, today=window) for psm in active
    ]
    services.event_set_status(event=done, status=StatusEvent.TUTUP, by=admin)
    for i, day in enumerate(done.hari_set.order_by("tanggal")):
        marks = {}
        for n, seat in enumerate(seats):
            absent = (n % 7 == 3 and i == 1) or n % 11 == 5
            marks[seat.pk] = StatusHadir.ABSEN if absent else StatusHadir.HADIR
        services.attendance_mark(hari=day, marks=marks, by=admin)
    for n, seat in enumerate(seats):
        services.scores_set(
            enrolment=seat, nilai_pre=45 + n % 20, nilai_post=58 + (n * 7) % 40, by=admin
        )
    services.event_complete(event=done, by=admin, today=start + dt.timedelta(days=2))

    # A Bimtek dasar next month, registration open: candidates enrol before appointment.
    start = today + dt.timedelta(days=21)
    dasar = _event(
        {
            "judul": f"Bimtek Dasar Calon PSM Angkatan {start.year}",
            "jenis": Jenis.DASAR,
            "wilayah": kota,
            "tempat": "Gedung Wanita Kota Magelang",
            "kapasitas": 25,
            "pendaftaran_mulai": today - dt.timedelta(days=7),
            "pendaftaran_selesai": start - dt.timedelta(days=3),
            "tanggal_mulai": start,
            "tanggal_selesai": start + dt.timedelta(days=2),
        },
        admin,
    )
    services.event_set_status(event=dasar, status=StatusEvent.BUKA, by=admin)
    for psm in Psm.objects.filter(status=StatusPsm.CALON).order_by("pk")[:8]:
        services.enrolment_create(event=dasar, psm=psm, by=admin, today=today)

    # A specialisation being prepared.
    start = today + dt.timedelta(days=75)
    _event(
        {
            "judul": "Bimtek Spesialisasi Pendampingan Penyandang Disabilitas",
            "jenis": Jenis.SPESIALISASI,
            "wilayah": kota,
            "tempat": "Balai Pelatihan Dinas Sosial",
            "kapasitas": 15,
            "pendaftaran_mulai": start - dt.timedelta(days=30),
            "pendaftaran_selesai": start - dt.timedelta(days=5),
            "tanggal_mulai": start,
            "tanggal_selesai": start + dt.timedelta(days=1),
        },
        admin,
    )
