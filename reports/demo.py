"""Demo activities and evaluations for ``make run``: most active PSM recorded a few activities this
year (some verified) and more last year, a handful recorded nothing lately (so the dashboard
flags them inactive), and the supervisor has evaluated a few, one nominated as PSM berprestasi."""

import datetime as dt
import random
import uuid

from psm_portal.models import User
from registry import services as registry_services
from registry.models import JenisKegiatan, Kegiatan, Psm, StatusPsm
from reports import services

PLACES = ["Balai RW 03", "Rumah warga", "Kantor kelurahan", "Posyandu Melati", "Masjid Al-Ikhlas"]
STORIES = {
    JenisKegiatan.SOSIALISASI: "Sosialisasi Program Sembako dan PKH kepada warga.",
    JenisKegiatan.KUNJUNGAN: "Kunjungan rumah lansia yang tinggal sendiri.",
    JenisKegiatan.PENDAMPINGAN: "Mendampingi warga mengurus BPJS PBI di kelurahan.",
    JenisKegiatan.RAPAT_IPSM: "Pertemuan bulanan IPSM kecamatan.",
    JenisKegiatan.FORUM_WARGA: "Forum warga peduli sosial membahas warga rentan.",
}


def seed_activities(*, today: dt.date, region: str) -> None:
    if Kegiatan.objects.exists():
        return
    rng = random.Random(2027)
    staf = User.objects.get(username="staf")
    supervisor = User.objects.get(username="supervisor")
    active = list(
        Psm.objects.filter(status=StatusPsm.AKTIF, desa_tugas__kode__startswith=f"{region}.")
        .select_related("desa_tugas")
        .order_by("pk")
    )
    last_year_end = dt.date(today.year - 1, 12, 31)
    for i, psm in enumerate(active):
        days = []
        if i % 7 != 6:  # else nothing recorded lately: flagged inactive on the dashboard
            days += [
                max(today - dt.timedelta(days=rng.randint(0, 80)), psm.tanggal_bergabung)
                for _ in range(rng.randint(2, 6))
            ]
        # Last year's work too, so that its ranking, recap and rapor have something to rank
        # (one in five did little or nothing then).
        # One a day at most, on days without this year's (the 24-hour check adds them up).
        if psm.tanggal_bergabung <= last_year_end and i % 5:
            start = max(psm.tanggal_bergabung, dt.date(today.year - 1, 1, 1))
            free = [
                start + dt.timedelta(days=n)
                for n in range((last_year_end - start).days + 1)
                if start + dt.timedelta(days=n) not in days
            ]
            days += rng.sample(free, k=min(rng.randint(3, 12), len(free)))
        for tanggal in days:
            jenis = rng.choice(list(STORIES))
            kegiatan, _created = registry_services.activity_record(
                psm=psm,
                data={
                    "jenis": jenis,
                    "tanggal": tanggal,
                    "durasi_jam": rng.choice([1, 1.5, 2, 3, 4]),
                    "tempat": rng.choice(PLACES),
                    "desa": psm.desa_tugas,
                    "uraian": STORIES[jenis],
                    "jumlah_penerima": rng.randint(0, 40),
                },
                client_uuid=uuid.uuid4(),
                by=getattr(psm, "user", None) or staf,
                today=today,
            )
            # most of last year's were verified long ago
            if rng.random() < (0.9 if tanggal <= last_year_end else 0.6):
                registry_services.activity_verify(kegiatan=kegiatan, approve=True, by=staf)
    for i, psm in enumerate(active[:5]):
        services.evaluation_save(
            psm=psm,
            tahun=today.year,
            data={
                "kerajinan": rng.randint(3, 5),
                "disiplin": rng.randint(3, 5),
                "kerja_sama": rng.randint(3, 5),
                "kepemimpinan": rng.randint(2, 5),
                "prestasi": rng.randint(3, 5),
                "catatan": "Aktif dan dapat diandalkan.",
                "diusulkan_berprestasi": i == 0,
            },
            by=supervisor,
            today=today,
        )
