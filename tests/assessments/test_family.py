"""A subject's family as the KK lists it (domain.md section 3.3 D): written by whoever records
cases about the subject (its PSM, the office), each change in the subject's trail; a child's
details are specific data (UU 27/2022 Pasal 4), shown to who holds the right and read audited."""

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from assessments import selectors, services
from assessments.models import AnggotaKeluarga, JenisSubjek, Subjek
from psm_portal.models import AuditEvent
from registry.demo import make_nik
from tests.factories import make_case

MAGELANG_SELATAN = "33.71.01"
CHILD_BORN = dt.date(2016, 3, 9)
CHILD_NIK = make_nik(MAGELANG_SELATAN, CHILD_BORN, "P", 12)  # 3371014903160012
TODAY = dt.date(2026, 12, 7)


def _login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _child(**typed) -> dict:
    data = {
        "nama": "Rina Wulandari",
        "hubungan": "anak",
        "jenis_kelamin": "P",
        "nik": CHILD_NIK,
        "tanggal_lahir": CHILD_BORN.isoformat(),
        "pekerjaan": "SD kelas IV",
    }
    data.update(typed)
    return data


def _add(client, subject, **typed):
    return client.post(reverse("assessments:family-add", args=[subject.pk]), _child(**typed))


@pytest.fixture
def subject(people):
    """Mbah Sarinah, with her NIK."""
    nik = make_nik(MAGELANG_SELATAN, dt.date(1948, 5, 2), "P", 1)
    return make_case(people["psm_a"], subject={"nik": nik, "alasan_tanpa_nik": ""}).subjek


def test_the_psm_who_wrote_the_case_adds_a_child_and_the_trail_keeps_it_masked(people, subject):
    c = _login(people["psm_a"])
    answer = _add(c, subject)
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"/subjek/{subject.pk}/#keluarga")
    member = AnggotaKeluarga.objects.get(subjek=subject)
    assert (member.nama, member.nik, member.tanggal_lahir) == (
        "Rina Wulandari",
        CHILD_NIK,
        CHILD_BORN,
    )

    event = AuditEvent.objects.get(action="subjek.keluarga_tambah")
    assert event.target_id == str(subject.pk) and event.actor_id == people["psm_a"].pk
    assert CHILD_NIK not in json.dumps(event.after) and event.after["nama"] == "Rina Wulandari"

    page = c.get(reverse("assessments:subject-detail", args=[subject.pk])).content.decode()
    assert "Rina Wulandari" in page and CHILD_NIK in page and "SD kelas IV" in page
    assert "9-3-2016" in page


def test_a_bad_nik_is_refused_in_indonesian_and_what_was_typed_stays(people, subject):
    c = _login(people["psm_a"])
    answer = _add(c, subject, nik="3371-0149", pekerjaan="Tukang <b>batu</b>")
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "NIK harus 16 digit angka" in page and "Anggota keluarga belum tersimpan" in page
    assert 'value="Rina Wulandari"' in page and 'value="3371-0149"' in page
    assert "Tukang &lt;b&gt;batu&lt;/b&gt;" in page and "<b>batu</b>" not in page
    assert not AnggotaKeluarga.objects.exists()


def test_a_nik_that_disagrees_with_the_birth_date_is_saved_only_once_confirmed(people, subject):
    c = _login(people["psm_a"])
    answer = _add(c, subject, tanggal_lahir="2016-04-09")
    assert answer.status_code == 400
    assert "Tanggal lahir pada NIK (09-03-2016) berbeda dengan isian" in answer.content.decode()
    assert not AnggotaKeluarga.objects.exists()
    answer = _add(c, subject, tanggal_lahir="2016-04-09", konfirmasi_peringatan="on")
    assert answer.status_code == 302 and AnggotaKeluarga.objects.count() == 1


def test_one_head_of_family_one_nik_and_the_same_person_once(people, subject):
    c = _login(people["psm_a"])
    assert _add(c, subject, nama="Slamet", hubungan="kepala", jenis_kelamin="L", nik="",
                tanggal_lahir="1975-01-01").status_code == 302  # fmt: skip

    second_head = _add(c, subject, nama="Paijo", hubungan="kepala", jenis_kelamin="L", nik="")
    assert "Kepala keluarga subjek ini sudah tercatat" in second_head.content.decode()
    own_nik = _add(c, subject, nik=subject.nik, tanggal_lahir="1948-05-02", jenis_kelamin="P")
    assert "NIK ini NIK subjek sendiri" in own_nik.content.decode()

    assert _add(c, subject).status_code == 302
    twice = _add(c, subject, nik="")  # the same child sent again, without the NIK this time
    assert "nama dan tanggal lahir ini sudah tercatat" in twice.content.decode()
    same_nik = _add(c, subject, nama="Rini")
    assert "sudah tercatat pada anggota keluarga lain" in same_nik.content.decode()
    assert AnggotaKeluarga.objects.filter(subjek=subject).count() == 2

    # A subject who is the head themselves leaves the head's place taken.
    Subjek.objects.filter(pk=subject.pk).update(hubungan_kk="kepala")
    AnggotaKeluarga.objects.filter(hubungan="kepala").delete()
    head = _add(c, subject, nama="Paijo", hubungan="kepala", jenis_kelamin="L", nik="")
    assert "Subjek sendiri tercatat sebagai kepala keluarga" in head.content.decode()


def test_who_may_write_a_family(people, subject):
    add = reverse("assessments:family-add", args=[subject.pk])
    assert _login(people["psm_b"]).get(add).status_code == 404  # no case about the subject
    assert _login(people["luar"]).get(add).status_code == 404  # another kab/kota
    assert _login(people["supervisor"]).post(add, _child()).status_code == 403
    assert _login(people["verifikator"]).post(add, _child()).status_code == 403
    assert not AnggotaKeluarga.objects.exists()
    assert _add(_login(people["staf"]), subject).status_code == 302

    member = AnggotaKeluarga.objects.get()
    other = make_case(people["psm_b"], subject={"nama": "Mbah Karto", "nik": ""}).subjek
    # A member is reached through its own subject only.
    foreign = reverse("assessments:family-update", args=[other.pk, member.pk])
    assert _login(people["psm_b"]).get(foreign).status_code == 404


def test_a_role_without_the_specific_right_sees_nik_masked_and_no_child_details(people, subject):
    services.family_member_save(
        subject=subject,
        member=None,
        data={**_child(), "tanggal_lahir": CHILD_BORN},
        by=people["psm_a"],
    )
    services.family_member_save(
        subject=subject,
        member=None,
        data={"nama": "Sumirah", "hubungan": "orang_tua", "jenis_kelamin": "P",
              "tanggal_lahir": dt.date(1950, 1, 2), "pekerjaan": "Petani"},
        by=people["psm_a"],
    )  # fmt: skip
    url = reverse("assessments:subject-detail", args=[subject.pk])
    reads = AuditEvent.objects.filter(action="subjek.view_sensitive", target_id=str(subject.pk))

    page = _login(people["supervisor"]).get(url).content.decode()
    assert "Rina Wulandari" in page and "anak (dirahasiakan)" in page
    assert CHILD_NIK not in page and "SD kelas IV" not in page and "9-3-2016" not in page
    assert "Petani" in page  # an adult's details are general personal data
    assert "Tambah anggota keluarga" not in page
    assert not reads.exists()  # nothing specific was shown

    page = _login(people["staf"]).get(url).content.decode()
    assert CHILD_NIK in page and "SD kelas IV" in page and "Tambah anggota keluarga" in page
    assert reads.get().actor_id == people["staf"].pk
    trail = selectors.subject_data_copy(people["staf"], subject)["trail"]
    assert [row["tindakan"] for row in trail].count("Anggota keluarga dicatat") == 2
    assert "Data spesifik susunan keluarga dibaca" in [row["tindakan"] for row in trail]


def test_a_member_is_changed_and_deleted_with_each_step_in_the_trail(people, subject):
    c = _login(people["psm_a"])
    _add(c, subject)
    member = AnggotaKeluarga.objects.get()
    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    page = c.get(url).content.decode()
    assert 'value="Rina Wulandari"' in page and "Hapus dari anggota keluarga" in page
    assert c.post(url, _child(pekerjaan="SMP kelas VII")).status_code == 302
    member.refresh_from_db()
    assert member.pekerjaan == "SMP kelas VII"
    change = AuditEvent.objects.get(action="subjek.keluarga_ubah")
    assert (change.before, change.after) == (
        {"anggota": member.pk, "pekerjaan": "SD kelas IV"},
        {"anggota": member.pk, "pekerjaan": "SMP kelas VII"},
    )
    # Sent again unchanged: nothing written.
    assert c.post(url, _child(pekerjaan="SMP kelas VII")).status_code == 302
    assert AuditEvent.objects.filter(action="subjek.keluarga_ubah").count() == 1

    delete = reverse("assessments:family-delete", args=[subject.pk, member.pk])
    assert c.get(delete).status_code == 405
    assert c.post(delete).status_code == 302
    assert not AnggotaKeluarga.objects.exists()
    gone = AuditEvent.objects.get(action="subjek.keluarga_hapus")
    assert gone.before["nama"] == "Rina Wulandari" and CHILD_NIK not in json.dumps(gone.before)
    assert c.post(delete).status_code == 404


def test_a_merged_or_community_subject_takes_no_family(people, subject):
    kept = make_case(people["psm_a"], subject={"nama": "Mbah Sarinah W.", "nik": ""}).subjek
    services.subject_merge(keep=kept, duplicate=subject, by=people["staf"])
    staf = _login(people["staf"])
    answer = _add(staf, subject)
    assert answer.status_code == 302 and not AnggotaKeluarga.objects.exists()
    page = staf.get(answer["Location"]).content.decode()
    assert f"Subjek ini sudah digabung ke subjek #{kept.pk}; catat keluarganya di sana." in page

    community = make_case(
        people["psm_a"],
        subject={"jenis": JenisSubjek.KOMUNITAS, "nama": "Warga RW 05", "nik": ""},
        kategori=("PPKS-24",),
    ).subjek
    page = staf.get(reverse("assessments:subject-detail", args=[community.pk])).content.decode()
    assert 'id="keluarga"' not in page
    with pytest.raises(services.ValidationError, match="komunitas"):
        services.family_member_save(
            subject=community, member=None, data=_child(nik=""), by=people["staf"]
        )


def test_a_member_sent_from_the_outbox_is_saved_once(people, subject):
    c = _login(people["psm_a"])
    url = reverse("assessments:family-add", args=[subject.pk])
    key = str(uuid.uuid4())
    headers = {"X-Offline-Kiriman": key, "X-Offline-Latar": "1"}
    first = c.post(url, _child(), headers=headers)
    again = c.post(url, _child(), headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "terkirim" and again.json()["ulangan"] is True
    assert first.json()["pesan"] == ["Anggota keluarga Rina Wulandari disimpan."]
    assert AnggotaKeluarga.objects.count() == 1
    refused = c.post(
        url, _child(nik="12"), headers={**headers, "X-Offline-Kiriman": str(uuid.uuid4())}
    )
    assert refused.status_code == 400 and refused.json()["status"] == "perlu_diperbaiki"


def test_the_subject_page_asks_the_same_queries_however_large_the_family(
    people, subject, django_assert_num_queries
):
    c = _login(people["staf"])
    url = reverse("assessments:subject-detail", args=[subject.pk])
    c.get(url)  # warm the per-process caches (scope, office)

    def member(n):
        AnggotaKeluarga.objects.create(
            subjek=subject, nama=f"Anak {n}", hubungan="anak", jenis_kelamin="L",
            tanggal_lahir=dt.date(2010 + n, 1, 1),
        )  # fmt: skip

    member(1)
    with django_assert_num_queries(8) as one:
        c.get(url)
    for n in range(2, 6):
        member(n)
    with django_assert_num_queries(len(one.captured_queries)):
        c.get(url)


def test_family_of_orders_as_a_kk_does():
    rows = [
        AnggotaKeluarga(pk=1, nama="Cucu", hubungan="cucu", jenis_kelamin="L"),
        AnggotaKeluarga(pk=2, nama="Anak muda", hubungan="anak", jenis_kelamin="L",
                        tanggal_lahir=dt.date(2015, 1, 1)),
        AnggotaKeluarga(pk=3, nama="Kepala", hubungan="kepala", jenis_kelamin="L",
                        tanggal_lahir=dt.date(1970, 1, 1)),
        AnggotaKeluarga(pk=4, nama="Anak tua", hubungan="anak", jenis_kelamin="P",
                        tanggal_lahir=dt.date(2000, 1, 1)),
    ]  # fmt: skip
    family = selectors.family_of(rows, today=TODAY, full=False)
    assert [m.nama for m in family] == ["Kepala", "Anak tua", "Anak muda", "Cucu"]
    # Adults keep their age; a child's is left out, and a grandchild of no known age counts
    # as a child.
    assert [(m.umur, m.anak) for m in family] == [
        (56, False),
        (26, False),
        (None, True),
        (None, True),
    ]


def test_an_income_is_written_as_people_write_it_and_shown_only_to_who_may_read_it(people, subject):
    c = _login(people["psm_a"])
    adult = {"nama": "Slamet", "hubungan": "kepala", "jenis_kelamin": "L", "nik": "",
             "tanggal_lahir": "1975-01-01", "pekerjaan": "Buruh harian"}  # fmt: skip
    no_period = _add(c, subject, **adult, penghasilan="Rp 1.500.000")
    assert "Pilih periode penghasilan" in no_period.content.decode()
    assert 'value="Rp 1.500.000"' in no_period.content.decode()  # as typed
    cents = _add(c, subject, **adult, penghasilan="1.500.000,50", periode_penghasilan="bulan")
    assert "tanpa sen" in cents.content.decode()
    huge = _add(c, subject, **adult, penghasilan="9" * 25, periode_penghasilan="bulan")
    assert "lebih dari Rp1.000.000.000" in huge.content.decode()
    assert not AnggotaKeluarga.objects.exists()

    saved = _add(c, subject, **adult, penghasilan="Rp 1.500.000", periode_penghasilan="bulan")
    assert saved.status_code == 302
    member = AnggotaKeluarga.objects.get()
    assert (member.penghasilan, member.periode_penghasilan) == (1_500_000, "bulan")
    form = c.get(reverse("assessments:family-update", args=[subject.pk, member.pk]))
    assert 'value="1.500.000"' in form.content.decode()

    url = reverse("assessments:subject-detail", args=[subject.pk])
    reads = AuditEvent.objects.filter(action="subjek.view_sensitive", target_id=str(subject.pk))
    page = _login(people["supervisor"]).get(url).content.decode()
    assert "Slamet" in page and "Buruh harian" in page and "1.500.000" not in page
    assert not reads.exists()
    page = _login(people["staf"]).get(url).content.decode()
    assert "Rp1.500.000 per bulan" in page
    assert reads.get().after == {"data_spesifik": ["keuangan"]}

    # No income any more: the period goes with it.
    assert (
        c.post(
            reverse("assessments:family-update", args=[subject.pk, member.pk]),
            {**adult, "penghasilan": "", "periode_penghasilan": "bulan"},
        ).status_code
        == 302
    )
    member.refresh_from_db()
    assert (member.penghasilan, member.periode_penghasilan) == (None, "")
