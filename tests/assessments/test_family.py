"""A subject's family as the KK lists it (domain.md section 3.3 D): written by whoever records
cases about the subject (its PSM, the office), each change in the subject's trail; a child's
details are specific data (UU 27/2022 Pasal 4), shown to who holds the right and read audited."""

import datetime as dt
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

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


def _shown(client, subject, member) -> str:
    """The member's version as its edit form shows it to ``client``."""
    page = client.get(reverse("assessments:family-update", args=[subject.pk, member.pk]))
    return page.context["form"]["versi_dasar"].value()


def _edit(client, subject, member, data, versi=None):
    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    versi = _shown(client, subject, member) if versi is None else versi
    return client.post(url, {**data, "versi_dasar": versi})


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
    assert "9 Maret 2016" in page


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
    assert "Tanggal lahir pada NIK (9 Maret 2016) berbeda dengan isian" in answer.content.decode()
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
    assert "Rina Wulandari" in page and "dirahasiakan" in page
    assert CHILD_NIK not in page and "SD kelas IV" not in page and "9 Maret 2016" not in page
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
    assert _edit(c, subject, member, _child(pekerjaan="SMP kelas VII")).status_code == 302
    member.refresh_from_db()
    assert member.pekerjaan == "SMP kelas VII"
    change = AuditEvent.objects.get(action="subjek.keluarga_ubah")
    assert (change.before, change.after) == (
        {"anggota": member.pk, "pekerjaan": "SD kelas IV"},
        {"anggota": member.pk, "pekerjaan": "SMP kelas VII"},
    )
    # Sent again unchanged: nothing written.
    assert _edit(c, subject, member, _child(pekerjaan="SMP kelas VII")).status_code == 302
    assert AuditEvent.objects.filter(action="subjek.keluarga_ubah").count() == 1

    delete = reverse("assessments:family-delete", args=[subject.pk, member.pk])
    assert c.get(delete).status_code == 405
    assert c.post(delete).status_code == 302
    assert not AnggotaKeluarga.objects.exists()
    gone = AuditEvent.objects.get(action="subjek.keluarga_hapus")
    assert gone.before["nama"] == "Rina Wulandari" and CHILD_NIK not in json.dumps(gone.before)
    assert c.post(delete).status_code == 404


def test_a_merged_or_community_subject_takes_no_family(people, subject):
    services.family_member_save(
        subject=subject, member=None, data=_child(nik=""), by=people["psm_a"]
    )
    kept = make_case(people["psm_a"], subject={"nama": "Mbah Sarinah W.", "nik": ""}).subjek
    services.subject_merge(keep=kept, duplicate=subject, by=people["staf"])
    # The family went with the cases to the subject kept.
    assert list(AnggotaKeluarga.objects.values_list("subjek", flat=True)) == [kept.pk]
    # A form opened for the duplicate (on a phone, say) is saved on the subject kept.
    staf = _login(people["staf"])
    answer = _add(staf, subject, nama="Dimas", nik="", tanggal_lahir="2015-10-16")
    assert answer.status_code == 302 and answer["Location"].endswith(f"/subjek/{kept.pk}/#keluarga")
    assert kept.anggota_set.count() == 2 and not subject.anggota_set.exists()
    staf = _login(people["staf"])

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
    # the PSM's edit form showed the income: a read
    assert reads.get(actor_id=people["psm_a"].pk).after == {"data_spesifik": ["keuangan"]}
    page = _login(people["supervisor"]).get(url).content.decode()
    assert "Slamet" in page and "Buruh harian" in page and "1.500.000" not in page
    assert not reads.filter(actor_id=people["supervisor"].pk).exists()
    page = _login(people["staf"]).get(url).content.decode()
    assert "Rp1.500.000 per bulan" in page
    assert reads.get(actor_id=people["staf"].pk).after == {"data_spesifik": ["keuangan"]}

    # No income any more: the period goes with it.
    no_income = {**adult, "penghasilan": "", "periode_penghasilan": "bulan"}
    assert _edit(c, subject, member, no_income).status_code == 302
    member.refresh_from_db()
    assert (member.penghasilan, member.periode_penghasilan) == (None, "")


# --- from a review: what the first version got wrong --------------------------------------------


def test_a_family_form_sent_for_an_erased_subject_is_refused_and_keeps_what_was_typed(
    people, subject
):
    """The outbox read a refusal answered as a redirect as sent, and threw the draft away."""
    Subjek.objects.filter(pk=subject.pk).update(dianonimkan_pada=timezone.now())
    c = _login(people["psm_a"])
    url = reverse("assessments:family-add", args=[subject.pk])
    answer = c.post(url, _child(), headers={"X-Offline-Kiriman": str(uuid.uuid4())})
    assert answer.status_code == 400 and answer.json()["status"] == "perlu_diperbaiki"
    assert "masa retensinya berakhir" in answer.json()["galat"]["Formulir"][0]
    page = c.post(url, _child()).content.decode()
    assert "masa retensinya berakhir" in page and 'value="Rina Wulandari"' in page
    assert not AnggotaKeluarga.objects.exists()
    assert c.get(url).status_code == 302  # a page opened: back to the subject, with the reason


def test_a_merge_moves_the_family_without_listing_anyone_twice(people, subject):
    def add(who, **data):
        services.family_member_save(
            subject=who, member=None, data=_child(**data), by=people["staf"]
        )

    kept = make_case(people["psm_b"], subject={"nama": "Sarinah", "nik": ""}).subjek
    add(kept, nama="Slamet", hubungan="kepala", jenis_kelamin="L", nik="", tanggal_lahir=None)
    add(kept)  # Rina, with her NIK
    add(subject, nama="Rina W.", nik=CHILD_NIK)  # the same child, by her NIK
    add(subject, nama="Paijo", hubungan="kepala", jenis_kelamin="L", nik="", tanggal_lahir=None)
    add(subject, nama="Dimas", nik="", tanggal_lahir=dt.date(2015, 10, 16))
    services.subject_merge(keep=kept, duplicate=subject, by=people["staf"])

    family = {m.nama: m.hubungan for m in kept.anggota_set.all()}
    assert family == {"Slamet": "kepala", "Rina Wulandari": "anak", "Paijo": "lainnya",
                      "Dimas": "anak"}  # fmt: skip
    assert not subject.anggota_set.exists()
    event = AuditEvent.objects.get(action="subjek.merge")
    assert event.after["anggota_keluarga_dipindah"] == 2
    assert event.after["anggota_keluarga_sama"] == 1
    # The PSM whose case went with the merge reaches the family through the duplicate's link.
    c = _login(people["psm_a"])
    answer = _add(c, subject, nama="Putri", nik="", tanggal_lahir="2022-07-17")
    assert answer.status_code == 302 and kept.anggota_set.filter(nama="Putri").exists()


def test_an_edit_from_a_form_opened_before_another_does_not_undo_it(people, subject):
    psm, staf = _login(people["psm_a"]), _login(people["staf"])
    _add(psm, subject)
    member = AnggotaKeluarga.objects.get()
    opened_by_staf = _shown(staf, subject, member)
    assert _edit(psm, subject, member, _child(pekerjaan="SMP kelas VII")).status_code == 302

    # Staff correct the name's spelling in the form they opened before the PSM's change.
    late = _edit(staf, subject, member, _child(nama="Rina Wulandary"), versi=opened_by_staf)
    page = late.content.decode()
    assert late.status_code == 400 and "diubah orang lain sejak formulir ini dibuka" in page
    assert "Pekerjaan/sekolah: SMP kelas VII · sudah dipakai di formulir di bawah" in page
    member.refresh_from_db()
    assert (member.nama, member.pekerjaan) == ("Rina Wulandari", "SMP kelas VII")
    # Their typing kept, the PSM's change taken in: saving again keeps both.
    form = late.context["form"]
    assert form["nama"].value() == "Rina Wulandary" and form["pekerjaan"].value() == "SMP kelas VII"
    again = {name: form[name].value() or "" for name in form.fields}
    again.pop("konfirmasi_peringatan")
    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    assert staf.post(url, again).status_code == 302
    member.refresh_from_db()
    assert (member.nama, member.pekerjaan) == ("Rina Wulandary", "SMP kelas VII")


ADULT = {"nama": "Slamet", "hubungan": "kepala", "jenis_kelamin": "L", "nik": "",
         "tanggal_lahir": "1975-01-01", "pekerjaan": "Buruh harian"}  # fmt: skip


def _queued(client, url, data):
    return client.post(url, data, headers={"X-Offline-Kiriman": str(uuid.uuid4())})


def test_a_queued_edit_of_a_member_changed_since_comes_back_as_a_conflict(people, subject):
    psm, staf = _login(people["psm_a"]), _login(people["staf"])
    _add(psm, subject, **ADULT)
    member = AnggotaKeluarga.objects.get()
    queued = _shown(psm, subject, member)
    # meanwhile staff change the birthplace and the work
    changed = {**ADULT, "tempat_lahir": "Purworejo", "pekerjaan": "Tidak bekerja (sakit)"}
    assert _edit(staf, subject, member, changed).status_code == 302

    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    data = {**ADULT, "pekerjaan": "Berjualan jamu", "versi_dasar": queued}
    answer = _queued(psm, url, data)
    assert answer.status_code == 409
    body = answer.json()
    assert body["status"] == "konflik" and body["perubahan"] == [
        "Tempat lahir: Purworejo (tetap dipakai)",
        "Pekerjaan/sekolah: Tidak bekerja (sakit) (salinan Anda: Berjualan jamu)",
    ]
    member.refresh_from_db()
    assert member.pekerjaan == "Tidak bekerja (sakit)"
    # "Send anyway": the outbox sends the version the conflict gave with the PSM's fields; what
    # the PSM changed replaces the other's, what they did not stays the other's.
    data["versi_dasar"] = body["versi_server"]
    anyway = _queued(psm, url, data)
    assert anyway.status_code == 200 and anyway.json()["status"] == "terkirim"
    member.refresh_from_db()
    assert (member.pekerjaan, member.tempat_lahir) == ("Berjualan jamu", "Purworejo")


def test_two_edits_queued_on_one_phone_follow_each_other(people, subject):
    """The answer to a saved edit carries the member's new version, which the outbox gives the
    next edit of the same member queued behind it: the PSM's own first change is no conflict."""
    psm = _login(people["psm_a"])
    _add(psm, subject, **ADULT)
    member = AnggotaKeluarga.objects.get()
    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    first = _queued(
        psm, url, {**ADULT, "pekerjaan": "Petani", "versi_dasar": _shown(psm, subject, member)}
    )
    assert first.status_code == 200 and first.json()["status"] == "terkirim"
    second = _queued(psm, url, {**ADULT, "pekerjaan": "Petani", "tempat_lahir": "Magelang",
                                "versi_dasar": first.json()["versi_dasar"]})  # fmt: skip
    assert second.status_code == 200, second.content
    member.refresh_from_db()
    assert (member.pekerjaan, member.tempat_lahir) == ("Petani", "Magelang")


def test_an_edit_queued_from_a_page_kept_before_the_version_field_is_sent(people, subject):
    """A form kept on a phone from before the field existed sends none: every send was a
    conflict listing every field, and "send anyway" sent none again."""
    psm = _login(people["psm_a"])
    _add(psm, subject, **ADULT)
    member = AnggotaKeluarga.objects.get()
    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    answer = _queued(psm, url, {**ADULT, "pekerjaan": "Petani"})
    assert answer.status_code == 200 and answer.json()["status"] == "terkirim"


def test_a_conflict_over_a_childs_row_names_the_fields_not_their_values(people, subject):
    """What a conflict answer shows is not an audited read (a refused send is rolled back), so a
    child's details stay on the form, where opening it is one."""
    psm, staf = _login(people["psm_a"]), _login(people["staf"])
    _add(psm, subject)
    member = AnggotaKeluarga.objects.get()
    queued = _shown(psm, subject, member)
    assert _edit(staf, subject, member, _child(pekerjaan="SMP kelas VII")).status_code == 302
    url = reverse("assessments:family-update", args=[subject.pk, member.pk])
    answer = _queued(psm, url, {**_child(pekerjaan="SD kelas V"), "versi_dasar": queued})
    assert answer.status_code == 409
    assert answer.json()["perubahan"] == [
        "Pekerjaan/sekolah (diubah; buka formulirnya untuk melihat)"
    ]


def test_opening_a_childs_form_is_an_audited_read(people, subject):
    _add(_login(people["psm_a"]), subject)
    member = AnggotaKeluarga.objects.get()
    staf = _login(people["staf"])
    page = staf.get(reverse("assessments:family-update", args=[subject.pk, member.pk]))
    assert CHILD_NIK in page.content.decode()
    read = AuditEvent.objects.get(action="subjek.view_sensitive", actor_id=people["staf"].pk)
    assert read.after == {"data_spesifik": ["anak"]} and read.target_id == str(subject.pk)


def test_a_child_is_known_by_the_nik_when_no_birth_date_was_typed(people, subject):
    """A five-year-old "other relative" with a NIK and no birth date read as an adult."""
    nik = make_nik(MAGELANG_SELATAN, dt.date(2021, 5, 1), "L", 3)
    for data in (
        {"nama": "Bayu", "hubungan": "lainnya", "jenis_kelamin": "L", "nik": nik},
        {"nama": "Tarno", "hubungan": "lainnya", "jenis_kelamin": "L", "nik": ""},
    ):
        services.family_member_save(
            subject=subject, member=None, by=people["staf"],
            data={**data, "pekerjaan": f"TK Pertiwi {data['nama']}"},
        )  # fmt: skip
    page = (
        _login(people["supervisor"])
        .get(reverse("assessments:subject-detail", args=[subject.pk]))
        .content.decode()
    )
    assert "Bayu" in page and "Tarno" in page and "TK Pertiwi" not in page
    family = selectors.family_of(subject.anggota_set.all(), today=TODAY, full=True)
    assert [(m.nama, m.umur, m.anak) for m in family] == [("Bayu", 5, True), ("Tarno", None, False)]


def test_the_data_copy_leaves_out_a_childs_details(people, subject):
    services.family_member_save(
        subject=subject, member=None, data={**_child(), "tanggal_lahir": CHILD_BORN},
        by=people["staf"],
    )  # fmt: skip
    copy = selectors.subject_data_copy(people["staf"], subject)
    (child,) = copy["anggota"]
    assert child.dirahasiakan and child.tanggal_lahir is None and child.pekerjaan == ""
    assert child.nik_tampil != CHILD_NIK


def test_who_may_delete_a_member(people, subject):
    _add(_login(people["psm_a"]), subject)
    member = AnggotaKeluarga.objects.get()
    delete = reverse("assessments:family-delete", args=[subject.pk, member.pk])
    assert _login(people["supervisor"]).post(delete).status_code == 403
    assert _login(people["verifikator"]).post(delete).status_code == 403
    assert _login(people["psm_b"]).post(delete).status_code == 404
    assert _login(people["luar"]).post(delete).status_code == 404
    # through another subject's address
    other = make_case(people["psm_b"], subject={"nama": "Mbah Karto", "nik": ""}).subjek
    through = reverse("assessments:family-delete", args=[other.pk, member.pk])
    assert _login(people["psm_b"]).post(through).status_code == 404
    # a subject erased meanwhile: refused, the member left for retention to erase
    Subjek.objects.filter(pk=subject.pk).update(dianonimkan_pada=timezone.now())
    c = _login(people["psm_a"])
    answer = c.post(delete, follow=True)
    assert "masa retensinya berakhir" in answer.content.decode()
    assert AnggotaKeluarga.objects.filter(pk=member.pk).exists()


def test_a_merge_keeps_what_only_the_duplicates_copy_knew(people, subject):
    kept = make_case(people["psm_b"], subject={"nama": "Sarinah", "nik": ""}).subjek
    services.family_member_save(subject=kept, member=None, data=_child(pekerjaan=""),
                                by=people["staf"])  # fmt: skip
    fuller = _child(tempat_lahir="Magelang", pekerjaan="SD kelas IV")
    services.family_member_save(subject=subject, member=None, data=fuller, by=people["staf"])
    services.subject_merge(keep=kept, duplicate=subject, by=people["staf"])
    (child,) = kept.anggota_set.all()
    assert (child.tempat_lahir, child.pekerjaan) == ("Magelang", "SD kelas IV")


def test_a_grown_up_is_aged_by_the_nik_as_born_in_the_last_century(people, subject):
    """A NIK's two-digit year up to this one reads as 20yy: a 101-year-old parent was a baby."""
    parent = make_nik(MAGELANG_SELATAN, dt.date(1925, 5, 1), "P", 8)
    for data in (
        {"nama": "Mbah Painem", "hubungan": "orang_tua", "jenis_kelamin": "P", "nik": parent},
        {"nama": "Slamet", "hubungan": "kepala", "jenis_kelamin": "L", "nik": "", "pekerjaan": ""},
    ):
        services.family_member_save(subject=subject, member=None, data=data, by=people["staf"])
    page = _login(people["staf"]).get(reverse("assessments:subject-detail", args=[subject.pk]))
    text = page.content.decode()
    assert "101 tahun" in text and "()" not in text
    supervisor = (
        _login(people["supervisor"])
        .get(reverse("assessments:subject-detail", args=[subject.pk]))
        .content.decode()
    )
    # Slamet's age is not known and nothing was written: "-", not "dirahasiakan"
    assert "dirahasiakan" not in supervisor and "101 tahun" in supervisor


def test_a_withheld_detail_reads_as_withheld_not_as_empty(people, subject):
    services.family_member_save(
        subject=subject, member=None, data={**_child(), "tanggal_lahir": CHILD_BORN},
        by=people["staf"],
    )  # fmt: skip
    (child,) = selectors.family_of(subject.anggota_set.all(), today=TODAY, full=False)
    assert child.rahasia == {"umur", "pekerjaan"} and child.pekerjaan == ""
    page = (
        _login(people["supervisor"])
        .get(reverse("assessments:subject-detail", args=[subject.pk]))
        .content.decode()
    )
    assert page.count("dirahasiakan") == 2


def test_the_family_table_starts_with_the_subject_and_a_second_head_is_named(people, subject):
    c = _login(people["psm_a"])
    _add(c, subject, **ADULT)
    page = c.get(reverse("assessments:subject-detail", args=[subject.pk])).content.decode()
    assert "Mbah Sarinah <span" in page and "(subjek ini)" in page
    second = _add(c, subject, nama="Paijo", hubungan="kepala", jenis_kelamin="L", nik="")
    assert "Kepala keluarga subjek ini sudah tercatat: Slamet." in second.content.decode()


def test_an_income_unlikely_for_its_period_is_saved_only_once_confirmed(people, subject):
    c = _login(people["psm_a"])
    daily = {**ADULT, "penghasilan": "1.500.000", "periode_penghasilan": "hari"}
    answer = _add(c, subject, **daily)
    assert "Penghasilan Rp1.500.000 per hari berarti sekitar Rp45.000.000 sebulan" in (
        answer.content.decode()
    )
    assert not AnggotaKeluarga.objects.exists()
    assert _add(c, subject, **daily, konfirmasi_peringatan="on").status_code == 302
    words = _add(c, subject, **{**ADULT, "nama": "Paijo", "hubungan": "anak"},
                 penghasilan="1,5 juta", periode_penghasilan="bulan")  # fmt: skip
    assert "bukan 1,5 juta" in words.content.decode()


def test_the_form_shown_again_after_another_change_is_an_audited_read(people, subject):
    """It shows the child's details as they are now: a read like opening the form."""
    psm, staf = _login(people["psm_a"]), _login(people["staf"])
    _add(psm, subject)
    member = AnggotaKeluarga.objects.get()
    opened = _shown(staf, subject, member)
    assert _edit(psm, subject, member, _child(pekerjaan="SMP kelas VII")).status_code == 302
    reads = AuditEvent.objects.filter(action="subjek.view_sensitive", actor_id=people["staf"].pk)
    before = reads.count()
    late = _edit(staf, subject, member, _child(nama="Rina W."), versi=opened)
    assert late.status_code == 400 and "SMP kelas VII" in late.content.decode()
    assert reads.count() == before + 1


def test_the_subjects_own_row_gives_their_age_and_withholds_a_childs(people, subject):
    """A browser walk: the subject's row read "Umur: -" with the birth date known."""
    from registry.services import age_on

    url = reverse("assessments:subject-detail", args=[subject.pk])
    _add(_login(people["psm_a"]), subject)  # a family to show
    age = age_on(dt.date(1948, 5, 2), timezone.localdate())
    page = _login(people["supervisor"]).get(url).content.decode()
    assert f"{age} tahun" in page and "(2 Mei 1948)" in page

    # a child subject: their age is a child's details, withheld from a role without the right
    child = make_case(
        people["psm_a"],
        kategori=("PPKS-01",),
        subject={
            "nama": "Dimas",
            "tanggal_lahir": CHILD_BORN,
            "nik": "",
            "alasan_tanpa_nik": "tidak_punya",
        },
    ).subjek
    _add(_login(people["psm_a"]), child, nama="Sulastri", hubungan="orang_tua", nik="",
         tanggal_lahir="1980-01-01")  # fmt: skip
    url = reverse("assessments:subject-detail", args=[child.pk])
    row = _login(people["supervisor"]).get(url).content.decode().split("(subjek ini)")[1]
    row = row.split("</tr>")[0]
    assert "dirahasiakan" in row and "9 Maret 2016" not in row and "tahun" not in row
    row = _login(people["staf"]).get(url).content.decode().split("(subjek ini)")[1]
    assert "(9 Maret 2016)" in row.split("</tr>")[0]
