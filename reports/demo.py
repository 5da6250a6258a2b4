"""Demo activities and evaluations for ``make run``: most active PSM recorded a few activities this
year (some verified), a handful recorded nothing lately (so the dashboard flags them inactive),
and the supervisor has evaluated a few, one nominated as PSM berprestasi."""

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
    for i, psm in enumerate(active):
        if i % 7 == 6:
            continue  # nothing recorded: flagged inactive on the dashboard
        for _ in range(rng.randint(2, 6)):
            jenis = rng.choice(list(STORIES))
            kegiatan, _created = registry_services.activity_record(
                psm=psm,
                data={
                    "jenis": jenis,
                    "tanggal": max(
                        today - dt.timedelta(days=rng.randint(0, 80)), psm.tanggal_bergabung
                    ),
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
            if rng.random() < 0.6:
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
