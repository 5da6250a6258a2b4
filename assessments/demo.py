"""Demo PPKS cases for ``make run``: the demo PSM's own cases in every state of the review chain
(one returned with comments, one referred and stalled), and staff-entered cases across Kota
Magelang. Written through the services, like real data."""

import datetime as dt
import random
import uuid

from django.db.models import F

from assessments import services
from assessments.forms import CONSENT_SINCE, CONSENT_VERSION
from assessments.models import (
    Asesmen,
    KategoriPpks,
    Program,
    Rujukan,
    StatusAsesmen,
    Transisi,
)
from psm_portal.models import User
from registry.demo import make_nik
from registry.models import Wilayah

S = StatusAsesmen
NAMES = [
    "Mbah Karto Suwito", "Sainem", "Tukiyem", "Paijo", "Ngatini", "Rahmat Hidayat",
    "Siti Aminah", "Bagus Prasetyo", "Dewi Lestari", "Suparno", "Wartini", "Slamet Riyadi",
    "Marsinah", "Joko Susilo", "Endang Sulastri", "Agus Salim", "Parmi", "Yuliana",
]  # fmt: skip
STORIES = {
    "PPKS-08": ("Tinggal sendiri, anak merantau dan tidak pernah pulang.", "Permakanan, kunjungan rutin."),
    "PPKS-24": ("Buruh harian tanpa penghasilan tetap, empat tanggungan.", "Usulan PKH dan Sembako."),
    "PPKS-09": ("Disabilitas fisik sejak kecelakaan kerja, tidak dapat bekerja.", "Kursi roda, ATENSI."),
    "PPKS-23": ("Ditinggal suami tanpa kabar, menjadi pencari nafkah utama.", "Modal usaha, PKH."),
    "PPKS-11": ("Tidur di emperan pasar, tidak punya KTP.", "Perekaman KTP, penempatan di panti."),
}  # fmt: skip

# (name, relation to the head, sex, age, work or school) of the PKH family in the demo: a mother
# with her children and her own mother, or an elder with a grown child and the grandchildren.
FAMILY = [
    ("Rina Wulandari", "anak", "P", 17, "SMA kelas XI"),
    ("Dimas Saputra", "anak", "L", 11, "SD kelas V"),
    ("Putri Ayu", "anak", "P", 4, ""),
    ("Mbok Sumirah", "orang_tua", "P", 71, "Tidak bekerja"),
]
FAMILY_OF_AN_ELDER = [
    ("Sri Wahyuni", "anak", "P", 44, "Buruh tani"),
    ("Rina Wulandari", "cucu", "P", 17, "SMA kelas XI"),
    ("Dimas Saputra", "cucu", "L", 11, "SD kelas V"),
    ("Putri Ayu", "cucu", "P", 4, ""),
]


def seed_cases(*, today: dt.date, region: str) -> None:
    if Asesmen.objects.exists():
        return
    rng = random.Random(2026)
    staf = User.objects.get(username="staf")
    # who reviews what staff entered themselves: an author does not verify their own case
    reviewer = User.objects.get(username="admin")
    psm_user = User.objects.get(username="psm")
    desa = list(Wilayah.objects.filter(tingkat=4, kode__startswith=f"{region}.").order_by("kode"))
    own_desa = [d for d in desa if d.induk_id == psm_user.psm.desa_tugas.induk_id]
    categories = {k.kode: k for k in KategoriPpks.objects.all()}
    pkh, sembako = Program.objects.get(kode="PKH"), Program.objects.get(kode="SEMBAKO")

    def case(by, i, kode, places, submit=True):
        place = rng.choice(places)
        born = dt.date(1940 + rng.randint(0, 50), rng.randint(1, 12), rng.randint(1, 28))
        if kode == "PPKS-08":
            born = dt.date(1938 + rng.randint(0, 20), rng.randint(1, 12), rng.randint(1, 28))
        sex = "P" if kode == "PPKS-23" or i % 2 else "L"
        with_nik = kode != "PPKS-11"
        masalah, kebutuhan = STORIES[kode]
        kategori = [categories[kode]] + ([categories["PPKS-24"]] if kode != "PPKS-24" else [])
        assessed = min(max(today - dt.timedelta(days=rng.randint(3, 60)), CONSENT_SINCE), today)
        return services.case_save(
            by=by,
            client_uuid=uuid.uuid4(),
            subjek_data={
                "jenis": "orang",
                "nama": NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i}"),
                "nik": make_nik(place.induk_id, born, sex, 900 + i) if with_nik else "",
                "alasan_tanpa_nik": "" if with_nik else "tidak_punya",
                "jenis_kelamin": sex,
                "tanggal_lahir": born,
                "alamat": f"RT {rng.randint(1, 9):02d} RW {rng.randint(1, 12):02d}",
                "desa": place,
                "status_dtsen": rng.choice(["", "terdaftar", "tidak"]),
            },
            data={
                "jenis": "jarak_jauh" if i % 7 == 3 else "awal",
                "metode_kontak": "telepon" if i % 7 == 3 else "kunjungan",
                "tanggal": assessed,
                "persetujuan_oleh": "subjek",
                "persetujuan_nama": NAMES[i % len(NAMES)],
                # given at the visit, to the text the form shows (not before it took effect)
                "persetujuan_pada": assessed,
                "persetujuan_versi": CONSENT_VERSION,
                "kategori_utama": categories[kode],
                "masalah": masalah,
                "kebutuhan": kebutuhan,
                "urgensi": rng.choice(["biasa", "segera", "segera", "darurat"]),
                "kondisi_rumah": "Dinding bambu, lantai tanah." if i % 3 == 0 else "",
                # Form P1's needs, poor to fair: who is assessed lacks something
                "skor_pangan": 1 + i % 3,
                "skor_sandang": 2 + i % 2,
                "skor_papan": 1 if i % 3 == 0 else 3,
            },
            kategori=kategori,
            disabilitas=[],
            submit=submit,
        )[0]

    codes = ["PPKS-08", "PPKS-24", "PPKS-23", "PPKS-11"]
    # The demo PSM's own cases: a draft, submitted ones, one returned, one verified and referred.
    mine = [case(psm_user, i, codes[i % 4], own_desa, submit=i != 0) for i in range(6)]
    services.assessment_transition(
        asesmen=mine[1],
        ke=S.DIKEMBALIKAN,
        by=staf,
        catatan="Mohon dilengkapi.",
        komentar={"kondisi_rumah": "Jelaskan kondisi rumah (dinding, lantai, atap)."},
    )
    verified = services.assessment_transition(asesmen=mine[2], ke=S.DIVERIFIKASI, by=staf)
    services.referral_create(
        asesmen=verified,
        data={
            "program": pkh,
            "tujuan_instansi": "Pendamping PKH Kecamatan",
            # today, as the review steps before it are taken (a referral dated a month back
            # read as made before the case was sent)
            "tanggal": today,
            "nomor_surat": "400.9/101/Dinsos/2026",
        },
        by=staf,
        today=today,
    )
    # The family of the case referred to PKH: the children its components count.
    subject = services.subject_update(
        subject=verified.subjek, data={"hubungan_kk": "kepala"}, by=psm_user
    )
    elder = subject.umur(today) >= 50
    for n, (nama, hubungan, sex, years, pekerjaan) in enumerate(
        FAMILY_OF_AN_ELDER if elder else FAMILY
    ):
        born = dt.date(today.year - years, rng.randint(1, 12), rng.randint(1, 28))
        services.family_member_save(
            subject=subject,
            member=None,
            data={
                "nama": nama,
                "hubungan": hubungan,
                "jenis_kelamin": sex,
                "tanggal_lahir": born,
                "nik": make_nik(subject.desa.induk_id, born, sex, 950 + n) if years >= 17 else "",
                "pekerjaan": pekerjaan,
            },
            by=psm_user,
        )
    # Staff-entered cases across the city, in the queue, verified or referred.
    for i in range(6, 30):
        c = case(staf, i, codes[i % 4], desa)
        if i % 3 == 0:
            c = services.assessment_transition(asesmen=c, ke=S.DIVERIFIKASI, by=reviewer)
            if i % 2 == 0:
                services.referral_create(
                    asesmen=c,
                    data={
                        "program": sembako if i % 4 else pkh,
                        "tujuan_instansi": "Bidang Penanganan Fakir Miskin",
                        "tanggal": today,
                        "nomor_surat": "",
                    },
                    by=staf,
                    today=today,
                )
    # Queue ages as they would be: submitted over the last weeks, not all this second.
    # (A referred case stays as it is: its referral, dated today, follows its review steps.)
    for c in Asesmen.objects.exclude(status=S.DRAF).filter(rujukan_set__isnull=True):
        back = dt.timedelta(days=rng.randint(0, 20))
        Asesmen.objects.filter(pk=c.pk).update(
            status_sejak=F("status_sejak") - back, diajukan_pada=F("diajukan_pada") - back
        )
        # its review chain with it, so that the case page's steps say what the queue does
        Transisi.objects.filter(asesmen=c).update(created_at=F("created_at") - back)
    Rujukan.objects.update(status_sejak=F("tanggal"))
