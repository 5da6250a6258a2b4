"""Realistic demo data for `make run`: Kota Magelang's 17 kelurahan, PSM in every status in each,
and one account per role. Everything goes through the registry services, so the demo obeys the
same rules as real data (an aktif PSM really has an SK and a Bimtek dasar)."""

import datetime as dt
import random

from django.db import transaction

from psm_portal.models import Kantor, Role, User
from registry import services
from registry.models import (
    AlasanBerhenti,
    JabatanIpsm,
    PenerbitSk,
    Psm,
    Spesialisasi,
    StatusPsm,
    TingkatBimtek,
    TingkatIpsm,
    TingkatPenghargaan,
    Wilayah,
)
from registry.regions import load_regions

DEMO_REGION = "33.71"
DEMO_PASSWORD = "demo-psm-2026"  # noqa: S105  (printed by make run; demo data only)

MALE = [
    "Ahmad",
    "Budi",
    "Slamet",
    "Joko",
    "Sugeng",
    "Agus",
    "Bambang",
    "Heru",
    "Wahyu",
    "Teguh",
    "Ma'ruf",
    "Eko",
    "Sutrisno",
    "Suparman",
    "Hadi",
    "H. Ahmad",
    "Muhammad",
    "Yusuf",
    "Rudi",
]
FEMALE = [
    "Siti",
    "Sri",
    "Endang",
    "Tri",
    "Dewi",
    "Rini",
    "Yuni",
    "Wulan",
    "Ratna",
    "Sumarni",
    "Lestari",
    "Puji",
    "Nur",
    "Hj. Aminah",
    "Fatimah",
    "Kartini",
    "Ani",
    "Dyah",
]
FAMILY = [
    "Santoso",
    "Wibowo",
    "Susanto",
    "Prasetyo",
    "Hidayat",
    "Rahayu",
    "Purwanti",
    "Setiawan",
    "Nugroho",
    "Kurniawan",
    "Wulandari",
    "Handayani",
    "Utami",
    "Saputra",
    "Widodo",
    "Sulistyowati",
    "Hartono",
    "Pratiwi",
    "Suryani",
    "Mulyono",
]
JOBS = [
    "Ibu rumah tangga",
    "Pedagang",
    "Wiraswasta",
    "Guru",
    "Pensiunan",
    "Buruh",
    "Petani",
    "Karyawan swasta",
    "Perangkat kelurahan",
]
STREETS = [
    "Jl. Pahlawan",
    "Jl. Tidar",
    "Jl. Ikhlas",
    "Jl. Sriwijaya",
    "Jl. Jenderal Sudirman",
    "Jl. Gatot Subroto",
    "Jl. Pemuda",
    "Jl. Kartini",
    "Jl. Ade Irma Suryani",
]
SPESIALISASI = [
    ("disabilitas", "Penyandang disabilitas"),
    ("anak", "Perlindungan anak"),
    ("lansia", "Lanjut usia"),
    ("bencana", "Penanggulangan bencana"),
    ("kemiskinan", "Penanganan fakir miskin"),
    ("napza", "Korban NAPZA"),
]


def make_nik(kecamatan_code: str, birth: dt.date, sex: str, serial: int) -> str:
    """A NIK consistent with birth date, sex and region (domain.md §5.1)."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"{kecamatan_code.replace('.', '')}{day:02d}{birth:%m%y}{serial:04d}"


def _person(rng: random.Random, kecamatan: Wilayah, serial: int, today: dt.date) -> dict:
    sex = rng.choice("LP")
    first = rng.choice(MALE if sex == "L" else FEMALE)
    nama = f"{first} {rng.choice(FAMILY)}"
    birth = dt.date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
    return {
        "nik": make_nik(kecamatan.kode, birth, sex, serial),
        "nama": nama,
        "jenis_kelamin": sex,
        "tempat_lahir": rng.choice(
            ["Magelang", "Magelang", "Temanggung", "Purworejo", "Yogyakarta", "Semarang"]
        ),
        "tanggal_lahir": birth,
        "pekerjaan": rng.choice(JOBS),
        "telepon": f"08{rng.randint(11, 99)}{rng.randint(10000000, 99999999)}",
        "tanggal_bergabung": today - dt.timedelta(days=rng.randint(30, 3000)),
        "bisa_baca_tulis": True,
        "pernyataan_komitmen": True,
        "berkelakuan_baik": True,
        "pendidikan": rng.choice(["sma", "sma", "smp", "s1", "d3", ""]),
    }


def _appoint(psm: Psm, rng: random.Random, admin, today: dt.date, seq: int) -> None:
    """Give ``psm`` what Permensos 10/2019 requires, then activate them."""
    bimtek_date = psm.tanggal_bergabung + dt.timedelta(days=rng.randint(0, 20))
    sk_date = bimtek_date + dt.timedelta(days=rng.randint(7, 40))
    sk_date = min(sk_date, today)
    bimtek_date = min(bimtek_date, sk_date)
    services.bimtek_record(
        psm=psm,
        tingkat=TingkatBimtek.DASAR,
        nomor_sertifikat=f"BD-{bimtek_date.year}-{seq:04d}",
        penyelenggara="Dinas Sosial Kota Magelang",
        tanggal=bimtek_date,
        by=admin,
    )
    services.sk_add(
        psm=psm,
        by=admin,
        data={
            "nomor_sk": f"400.9/{seq:03d}/{sk_date.year}",
            "tanggal_sk": sk_date,
            "penerbit_level": PenerbitSk.DINAS,
            "penerbit_nama": "Kepala Dinas Sosial Kota Magelang",
            "berlaku_mulai": sk_date,
        },
    )
    services.psm_change_status(
        psm=psm,
        ke=StatusPsm.AKTIF,
        tanggal=sk_date,
        by=admin,
        referensi=f"400.9/{seq:03d}/{sk_date.year}",
    )


@transaction.atomic
def seed_demo(*, today: dt.date, seed: int = 2022) -> dict[str, str]:
    """Create the demo office, PSM and accounts. Returns {username: role label}."""
    rng = random.Random(seed)
    load_regions(DEMO_REGION)
    kota = Wilayah.objects.get(kode=DEMO_REGION)
    Kantor.objects.update_or_create(
        pk=1,
        defaults={
            "wilayah": kota,
            "pemerintah": "Pemerintah Kota Magelang",
            "nama": "Dinas Sosial",
            "alamat": "Jl. Jenderal Sudirman No. 46, Magelang",
            "telepon": "(0293) 362 008",
            "email": "dinsos@magelangkota.go.id",
            "laman": "dinsos.magelangkota.go.id",
            "kode_pos": "56126",
            "kota_surat": "Magelang",
            "penandatangan_nama": "Dra. Wulan Prasetyaningsih, M.Si.",
            "penandatangan_jabatan": "Kepala Dinas Sosial Kota Magelang",
            "penandatangan_pangkat": "Pembina Tingkat I (IV/b)",
            "penandatangan_nip": "196804111993032009",
            "pelindungan_data_nama": "Sekretaris Dinas Sosial Kota Magelang",
            "pelindungan_data_kontak": "ppdp.dinsos@magelangkota.go.id",
            # An example: an office takes its own period from its archival retention schedule.
            "retensi_kasus_tahun": 5,
        },
    )
    for kode, nama in SPESIALISASI:
        Spesialisasi.objects.get_or_create(kode=kode, defaults={"nama": nama})
    spesialisasi = list(Spesialisasi.objects.order_by("pk"))

    admin, _ = User.objects.get_or_create(
        username="admin",
        defaults={
            "role": Role.ADMIN,
            "is_staff": True,
            "is_superuser": True,
            "first_name": "Administrator",
        },
    )
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    if Psm.objects.exists():
        return _demo_accounts(kota, today)

    serial = 1
    for desa in (
        Wilayah.objects.filter(kode__startswith=f"{DEMO_REGION}.", tingkat=4)
        .order_by("kode")
        .select_related("induk")
    ):
        plan = [StatusPsm.AKTIF] * rng.randint(2, 4) + [
            StatusPsm.CALON,
            StatusPsm.NONAKTIF,
            StatusPsm.BERHENTI,
        ]
        for status in plan:
            data = _person(rng, desa.induk, serial, today)
            street = f"{rng.choice(STREETS)} No. {rng.randint(1, 120)}"
            data.update(
                alamat_ktp=f"{street} RT {rng.randint(1, 9):02d}/RW {rng.randint(1, 12):02d}",
                desa_ktp=desa,
                desa_tugas=desa,
                desa_domisili=desa,
                alamat_domisili=street,
            )
            psm = services.psm_register(
                data=data,
                spesialisasi=rng.sample(spesialisasi, rng.randint(0, 2)),
                by=admin,
                today=data["tanggal_bergabung"],
            )
            if status != StatusPsm.CALON:
                _appoint(psm, rng, admin, today, serial)
                psm.refresh_from_db()
            if status == StatusPsm.NONAKTIF:
                services.psm_change_status(
                    psm=psm,
                    ke=StatusPsm.NONAKTIF,
                    by=admin,
                    tanggal=max(psm.status_sejak, today - dt.timedelta(days=60)),
                    catatan="Tidak ada laporan kegiatan selama enam bulan",
                )
            elif status == StatusPsm.BERHENTI:
                services.psm_change_status(
                    psm=psm,
                    ke=StatusPsm.BERHENTI,
                    by=admin,
                    tanggal=max(psm.status_sejak, today - dt.timedelta(days=30)),
                    alasan=rng.choice([AlasanBerhenti.MENGUNDURKAN_DIRI, AlasanBerhenti.PINDAH]),
                )
            if status == StatusPsm.AKTIF and rng.random() < 0.3:
                services.ipsm_add(
                    psm=psm,
                    by=admin,
                    data={
                        "tingkat": TingkatIpsm.KECAMATAN,
                        "periode_mulai": 2023,
                        "periode_selesai": 2027,
                        "jabatan": rng.choice([JabatanIpsm.ANGGOTA, JabatanIpsm.SEKRETARIS]),
                    },
                )
            if status == StatusPsm.AKTIF and rng.random() < 0.2:
                services.bantuan_add(
                    psm=psm,
                    by=admin,
                    data={
                        "jenis": rng.choice(
                            ["Rompi dan tas PSM", "Telepon genggam", "Sepeda motor"]
                        ),
                        "tanggal": today - dt.timedelta(days=rng.randint(10, 400)),
                        "sumber": "APBD Kota Magelang",
                    },
                )
            if status == StatusPsm.AKTIF and rng.random() < 0.08:
                services.penghargaan_add(
                    psm=psm,
                    by=admin,
                    data={
                        "tingkat": TingkatPenghargaan.KABKOTA,
                        "tahun": today.year - 1,
                        "nama": "PSM Berprestasi",
                    },
                )
            serial += 1
    return _demo_accounts(kota, today)


def _demo_accounts(kota: Wilayah, today: dt.date) -> dict[str, str]:
    kecamatan = Wilayah.objects.filter(induk=kota).order_by("kode").first()
    own_psm = (
        Psm.objects.filter(status=StatusPsm.AKTIF, desa_tugas__induk=kecamatan)
        .order_by("pk")
        .first()
    )
    accounts = {
        "staf": (Role.STAF, "Rina Staf Registri", [kota]),
        "supervisor": (Role.SUPERVISOR, "Bambang Supervisor", [kota]),
        "verifikator": (Role.VERIFIKATOR, "Sari Verifikator", [kecamatan]),
        "psm": (Role.PSM, own_psm.nama, []),
    }
    for username, (role, full_name, scope) in accounts.items():
        first, _, last = full_name.partition(" ")
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "psm": own_psm if role == Role.PSM else None,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.scope.set(scope)
    return {
        "admin": "Administrator",
        **{u: str(Role(r).label) for u, (r, _, _) in accounts.items()},
    }
