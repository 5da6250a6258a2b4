"""Correcting and removing an SK, IPSM membership, equipment aid or award typed in wrong. A staff
walk found a typo in an SK number could never be fixed: it stayed on the profile, the card and
every document."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from psm_portal.models import AuditEvent, Role
from registry.models import BantuanPeralatan, IpsmMembership, Penghargaan, PsmAppointment
from tests.factories import PsmFactory, SkFactory, make_user


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _pdf(body=b"1"):
    return SimpleUploadedFile("sk.pdf", b"%PDF-1.4\n" + body + b"\n%%EOF", "application/pdf")


def _edit(psm, kind, record):
    return reverse("registry:psm-record-edit", args=[psm.pk, kind, record.pk])


def _why(data, reason="Salah ketik, sesuai dokumen asli."):
    """A correction's form as sent: what it changes, and why (kept in the trail)."""
    return {**data, "alasan_perbaikan": reason}


def _remove(psm, kind, record):
    return reverse("registry:psm-record-remove", args=[psm.pk, kind, record.pk])


SK = {
    "nomor_sk": "400.9/17/2024",
    "tanggal_sk": "2024-01-02",
    "penerbit_level": "dinas",
    "penerbit_nama": "Kepala Dinas Sosial",
    "berlaku_mulai": "2024-01-02",
}


def test_an_sk_number_typed_wrong_is_corrected_its_scan_kept_and_the_change_audited(
    client, staff, media, django_capture_on_commit_callbacks
):
    psm = PsmFactory()
    client.force_login(staff)
    assert client.post(
        reverse("registry:psm-record-add", args=[psm.pk, "sk"]),
        {**SK, "nomor_sk": "400.9/71/2024", "dokumen": _pdf()},
    ).status_code == 302  # fmt: skip
    sk = PsmAppointment.objects.get()
    scan = sk.dokumen.name
    profile = client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert f'href="{_edit(psm, "sk", sk)}"' in profile

    page = client.get(_edit(psm, "sk", sk)).content.decode()
    assert "Perbaiki SK pengangkatan" in page and 'value="400.9/71/2024"' in page
    assert "Kosongkan untuk mempertahankan dokumen" in page
    assert reverse("registry:sk-document", args=[psm.pk, sk.pk]) in page
    assert "/media/" not in page  # the stock widget linked the file's media address

    answer = client.post(_edit(psm, "sk", sk), _why(SK))  # nothing uploaded
    assert answer.status_code == 302
    sk.refresh_from_db()
    assert sk.nomor_sk == "400.9/17/2024" and sk.dokumen.name == scan
    assert (media / scan).exists()
    event = AuditEvent.objects.get(action="psm.sk_update")
    # which of the PSM's SKs, and what changed in it
    entry = {"id": sk.pk, "entri": "SK 400.9/71/2024"}
    assert event.before == {**entry, "nomor_sk": "400.9/71/2024"}
    assert event.after == {**entry, "nomor_sk": "400.9/17/2024"}
    assert event.target_id == str(psm.pk) and event.actor_label == "staf"
    profile = client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "SK diperbaiki: SK 400.9/71/2024" in profile and "400.9/17/2024" in profile

    # another scan replaces the first, which goes once the change commits
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            client.post(_edit(psm, "sk", sk), _why({**SK, "dokumen": _pdf(b"2")})).status_code
            == 302
        )
    sk.refresh_from_db()
    assert sk.dokumen.name != scan and not (media / scan).exists()
    assert (media / sk.dokumen.name).exists()
    # a file that is no PDF is refused, and the typed number stays in the form
    refused = client.post(
        _edit(psm, "sk", sk),
        _why(
            {**SK, "nomor_sk": "400.9/18/2024", "dokumen": SimpleUploadedFile("sk.pdf", b"<html>")}
        ),
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Dokumen harus berupa berkas PDF." in body and 'value="400.9/18/2024"' in body
    # a new scan with the reason forgotten: the page says the file must be chosen again (its
    # empty input would keep the old scan)
    refused = client.post(_edit(psm, "sk", sk), {**SK, "dokumen": _pdf(b"3")})
    assert "Dokumen yang tadi dipilih perlu dipilih ulang." in refused.content.decode()
    sk.refresh_from_db()
    assert sk.nomor_sk == "400.9/17/2024"


def test_a_correction_is_checked_as_the_entry_was_and_keeps_what_was_typed(staff_client):
    psm = PsmFactory()  # born 1985
    ipsm = IpsmMembership.objects.create(
        psm=psm, tingkat="desa", jabatan="anggota", periode_mulai=2021
    )
    typed = {"tingkat": "kecamatan", "jabatan": "ketua", "periode_mulai": "1980"}
    answer = staff_client.post(_edit(psm, "ipsm", ipsm), _why(typed))
    body = answer.content.decode()
    assert answer.status_code == 400
    assert "Periode tidak boleh dimulai sebelum PSM lahir (1985)." in body
    assert 'value="1980"' in body and '<option value="ketua" selected>' in body
    ipsm.refresh_from_db()
    assert (ipsm.tingkat, ipsm.jabatan, ipsm.periode_mulai) == ("desa", "anggota", 2021)
    ends_first = {**typed, "periode_mulai": "2024", "periode_selesai": "2022"}
    body = staff_client.post(_edit(psm, "ipsm", ipsm), _why(ends_first)).content.decode()
    assert body.count("Periode selesai tidak boleh sebelum periode mulai.") == 1  # not twice
    ahead = {**typed, "periode_mulai": str(dt.date.today().year + 1)}
    assert "Periode mulai tidak boleh di masa depan." in (
        staff_client.post(_edit(psm, "ipsm", ipsm), _why(ahead)).content.decode()
    )
    aid = BantuanPeralatan.objects.create(
        psm=psm, jenis="Rompi", tanggal=dt.date(2024, 3, 1), sumber="APBD"
    )
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    answer = staff_client.post(
        _edit(psm, "bantuan", aid),
        _why({"jenis": "Sepeda motor", "tanggal": future, "sumber": "APBD"}),
    )
    assert "Tanggal diterima tidak boleh di masa depan." in answer.content.decode()
    corrected = {"jenis": "Sepeda motor", "tanggal": "2024-03-01", "sumber": "APBD"}
    assert staff_client.post(_edit(psm, "bantuan", aid), _why(corrected)).status_code == 302
    aid.refresh_from_db()
    assert aid.jenis == "Sepeda motor"
    assert not AuditEvent.objects.filter(action="psm.ipsm_update").exists()


def test_an_entry_is_removed_only_with_a_reason_kept_in_the_trail(staff_client):
    psm = PsmFactory()
    award = Penghargaan.objects.create(
        psm=psm, nama="PSM Berprestasi", tingkat="kabkota", tahun=2024
    )
    answer = staff_client.post(_remove(psm, "penghargaan", award), {"alasan": "   "})
    assert answer.status_code == 400
    assert "Tuliskan alasan menghapus data ini." in answer.content.decode()
    assert Penghargaan.objects.filter(pk=award.pk).exists()

    answer = staff_client.post(
        _remove(psm, "penghargaan", award), {"alasan": "Tercatat dua kali."}, follow=True
    )
    assert "Data penghargaan dihapus." in answer.content.decode()
    assert not Penghargaan.objects.filter(pk=award.pk).exists()
    event = AuditEvent.objects.get(action="psm.penghargaan_remove")
    assert event.reason == "Tercatat dua kali."
    assert event.before["tahun"] == 2024 and event.before["nama"] == "PSM Berprestasi"
    history = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "Penghargaan dihapus: PSM Berprestasi 2024" in history
    assert "Tercatat dua kali." in history
    # what it held, plainly: not "2024 -> -"
    assert "Tahun</span>: 2024</li>" in history and "2024 &rarr;" not in history
    # gone: its page is not found; a form sent from a tab opened before says what happened
    assert staff_client.get(_edit(psm, "penghargaan", award)).status_code == 404
    for url, form in (
        (_remove(psm, "penghargaan", award), {"alasan": "x"}),
        (_edit(psm, "penghargaan", award), {"nama": "PSM Teladan", "tingkat": "kabkota",
                                            "tahun": "2024"}),
    ):  # fmt: skip
        answer = staff_client.post(url, form, follow=True)
        assert answer.redirect_chain[-1][0] == reverse("registry:psm-detail", args=[psm.pk])
        assert "Data ini sudah dihapus orang lain" in answer.content.decode()
    assert AuditEvent.objects.filter(action="psm.penghargaan_remove").count() == 1


def test_the_only_sk_of_a_serving_psm_is_corrected_not_removed(
    staff_client, media, django_capture_on_commit_callbacks
):
    psm = PsmFactory(status="aktif")
    only = SkFactory(psm=psm, dokumen=_pdf())
    page = staff_client.get(_edit(psm, "sk", only)).content.decode()
    assert (
        "Tanpa SK ini, PSM yang sedang menjabat tidak memenuhi syarat: Belum ada SK "
        "pengangkatan. Perbaiki isinya, atau catat SK yang benar lebih dulu."
    ) in page
    assert _remove(psm, "sk", only) not in page
    answer = staff_client.post(_remove(psm, "sk", only), {"alasan": "Salah"})
    assert answer.status_code == 400 and "Belum ada SK pengangkatan." in answer.content.decode()
    assert PsmAppointment.objects.filter(pk=only.pk).exists()

    second = SkFactory(psm=psm, nomor_sk="400.9/2/2022", tanggal_sk=dt.date(2022, 1, 3))
    scan = media / only.dokumen.name
    assert scan.exists()
    with django_capture_on_commit_callbacks(execute=True):
        answer = staff_client.post(_remove(psm, "sk", only), {"alasan": "SK milik PSM lain."})
    assert answer.status_code == 302
    assert list(psm.sk_set.all()) == [second] and not scan.exists()
    # now the only one left
    assert staff_client.post(_remove(psm, "sk", second), {"alasan": "x"}).status_code == 400
    # a candidate's SK (not yet serving) may go
    candidate = PsmFactory()
    sk = SkFactory(psm=candidate)
    assert staff_client.post(_remove(candidate, "sk", sk), {"alasan": "Salah"}).status_code == 302


def test_entries_are_reached_only_through_their_own_psm_and_by_who_may_edit(client, staff, regions):
    psm, other = PsmFactory(), PsmFactory()
    aid = BantuanPeralatan.objects.create(
        psm=other, jenis="Rompi", tanggal=dt.date(2024, 3, 1), sumber="APBD"
    )
    client.force_login(staff)
    # another PSM's entry under this PSM's address
    assert client.get(_edit(psm, "bantuan", aid)).status_code == 404
    assert client.post(_remove(psm, "bantuan", aid), {"alasan": "x"}).status_code == 404
    assert client.get(
        reverse("registry:psm-record-edit", args=[other.pk, "bimtek", aid.pk])
    ).status_code == 404  # fmt: skip
    # staff of another kab/kota, and a supervisor who reads but does not edit
    for user in (
        make_user(Role.STAF, scope=["33.12"], username="wonogiri"),
        make_user(Role.SUPERVISOR, scope=["33.71"], username="supervisor"),
    ):
        client.force_login(user)
        assert client.get(_edit(other, "bantuan", aid)).status_code in (403, 404)
        assert client.post(_remove(other, "bantuan", aid), {"alasan": "x"}).status_code in (
            403,
            404,
        )
    assert BantuanPeralatan.objects.filter(pk=aid.pk).exists()
    assert not AuditEvent.objects.filter(action__endswith="_remove").exists()


@pytest.fixture
def serving(staff):
    """Aktif since 1 March 2021 on an SK of 1 February 2021, after the basic Bimtek."""
    from registry import services
    from tests.factories import BimtekFactory

    psm = PsmFactory()
    BimtekFactory(psm=psm, tanggal=dt.date(2021, 1, 15))
    sk = SkFactory(psm=psm, nomor_sk="400.9/5/2021", tanggal_sk=dt.date(2021, 2, 1))
    services.psm_change_status(psm=psm, ke="aktif", tanggal=dt.date(2021, 3, 1), by=staff)
    psm.refresh_from_db()
    return psm, sk


def test_an_sk_correction_keeps_the_rules_that_made_the_psm_aktif(staff_client, serving):
    """The correction was checked by nothing: an aktif PSM's SK could be dated after they
    became aktif, or to when they were 15, or end before it, with no word."""
    psm, sk = serving
    url = _edit(psm, "sk", sk)
    typed = {**SK, "nomor_sk": "400.9/5/2021", "berlaku_mulai": "2021-02-01"}
    cases = {
        "2025-06-01": "sebelum tanggal SK pengangkatan 1 Juni 2025",  # after activation
        "2000-06-01": "Usia pada tanggal SK",  # born 1985: 15
    }
    for tanggal, problem in cases.items():
        answer = staff_client.post(
            url, _why({**typed, "tanggal_sk": tanggal, "berlaku_mulai": tanggal})
        )
        body = answer.content.decode()
        assert answer.status_code == 400, tanggal
        assert "membuat PSM yang sedang menjabat tidak lagi memenuhi syarat" in body
        assert problem in body and f'value="{tanggal}"' in body
    ended = {**typed, "tanggal_sk": "2021-02-01", "berlaku_sampai": "2021-02-28"}
    assert "berlaku sampai 28 Februari 2021" in staff_client.post(url, _why(ended)).content.decode()
    sk.refresh_from_db()
    assert (sk.tanggal_sk, sk.berlaku_sampai) == (dt.date(2021, 2, 1), None)
    # the number alone is corrected
    fixed = {**typed, "tanggal_sk": "2021-02-01", "nomor_sk": "400.9/15/2021"}
    assert staff_client.post(url, _why(fixed)).status_code == 302
    sk.refresh_from_db()
    assert sk.nomor_sk == "400.9/15/2021"


def test_the_sk_that_appoints_a_serving_psm_stays_while_what_remains_would_not(
    staff_client, serving
):
    """Another SK left was enough: one that ran out in 2019 then appointed an aktif PSM."""
    psm, current = serving
    SkFactory(
        psm=psm,
        nomor_sk="400.9/1/2017",
        tanggal_sk=dt.date(2017, 1, 2),
        berlaku_mulai=dt.date(2017, 1, 2),
        berlaku_sampai=dt.date(2019, 12, 31),
    )
    answer = staff_client.post(_remove(psm, "sk", current), {"alasan": "Salah unggah"})
    assert answer.status_code == 400
    assert "berlaku sampai 31 Desember 2019" in answer.content.decode()
    assert PsmAppointment.objects.filter(pk=current.pk).exists()


def _shown_version(page) -> str:
    body = page.content.decode()
    start = body.index('name="versi_awal" value="') + len('name="versi_awal" value="')
    return body[start : body.index('"', start)]


def test_two_tabs_correcting_one_entry_the_later_is_told_and_keeps_what_it_typed(staff_client):
    """Left open by a walk: two tabs (or two colleagues) correcting one entry from the same page,
    the later save silently undid the earlier. It is refused now, saying what the entry holds,
    with what was typed kept; sent again knowing it, it is saved. A removal judged on the old
    contents is refused the same way."""
    psm = PsmFactory()
    award = Penghargaan.objects.create(psm=psm, nama="PSM Teladan", tingkat="kabkota", tahun=2023)
    first, second = (staff_client.get(_edit(psm, "penghargaan", award)) for _ in range(2))
    version = _shown_version(first)
    assert version and _shown_version(second) == version
    saved = {
        "nama": "PSM Berprestasi",
        "tingkat": "kabkota",
        "tahun": "2024",
        "versi_awal": version,
    }
    assert staff_client.post(_edit(psm, "penghargaan", award), _why(saved)).status_code == 302

    later = {"nama": "PSM Teladan", "tingkat": "provinsi", "tahun": "2023", "versi_awal": version}
    answer = staff_client.post(_edit(psm, "penghargaan", award), _why(later))
    body = answer.content.decode()
    assert answer.status_code == 400
    assert "Data ini baru saja diubah orang lain (sekarang: PSM Berprestasi 2024)" in body
    assert 'value="PSM Teladan"' in body and '<option value="provinsi" selected>' in body
    award.refresh_from_db()
    assert (award.nama, award.tahun, award.tingkat) == ("PSM Berprestasi", 2024, "kabkota")
    # the page now carries the entry as it stands: sent again, it is a choice made knowing it
    assert _shown_version(answer) == award.updated_at.isoformat() != version
    again = {**later, "versi_awal": _shown_version(answer)}
    assert staff_client.post(_edit(psm, "penghargaan", award), _why(again)).status_code == 302
    award.refresh_from_db()
    assert award.tingkat == "provinsi"

    # a form refused for its own errors keeps the version it was drawn from
    bad = {**again, "tahun": "", "versi_awal": version}
    assert _shown_version(staff_client.post(_edit(psm, "penghargaan", award), _why(bad))) == version

    answer = staff_client.post(
        _remove(psm, "penghargaan", award), {"alasan": "Tercatat dua kali.", "versi_awal": version}
    )
    assert answer.status_code == 400
    assert "baru saja diubah orang lain" in answer.content.decode()
    assert Penghargaan.objects.filter(pk=award.pk).exists()
    assert AuditEvent.objects.filter(action="psm.penghargaan_update").count() == 2


def test_an_sk_dated_before_its_psm_was_born_is_refused_when_added_or_corrected(
    staff_client, media
):
    """Left open: an SK's own dates had no "not before birth" rule (aid, IPSM and awards had):
    for a candidate nothing else caught 1975 typed for 2015, and it stood on the profile."""
    psm = PsmFactory()  # born 1985
    born = psm.tanggal_lahir
    typo = {**SK, "tanggal_sk": "1975-01-02", "berlaku_mulai": "1975-01-02"}
    answer = staff_client.post(reverse("registry:psm-record-add", args=[psm.pk, "sk"]), typo)
    assert answer.status_code == 200 and not PsmAppointment.objects.exists()  # the form again
    message = f"Tanggal tidak boleh sebelum tanggal lahir PSM ({born.day} "
    assert message in answer.content.decode() and 'value="400.9/17/2024"' in answer.content.decode()
    assert (
        staff_client.post(reverse("registry:psm-record-add", args=[psm.pk, "sk"]), SK).status_code
        == 302
    )
    sk = PsmAppointment.objects.get()
    answer = staff_client.post(_edit(psm, "sk", sk), _why({**SK, "berlaku_mulai": "1984-12-31"}))
    assert answer.status_code == 400 and message in answer.content.decode()
    sk.refresh_from_db()
    assert sk.berlaku_mulai == dt.date(2024, 1, 2)


def test_a_renewal_sk_does_not_let_the_sk_that_appointed_the_psm_be_removed(staff_client, serving):
    """A walk: with a renewal SK recorded (1 December 2026), the SK the PSM's activation in
    2021 cited could be removed, leaving "Aktif sejak 1 Maret 2021" with no SK before 2026. The
    check judged the newest SK against the activation, which failed already, so nothing new
    seemed broken. The renewal itself may go, and be corrected."""
    psm, original = serving
    renewal = SkFactory(psm=psm, nomor_sk="400.9/88/2026", tanggal_sk=dt.date(2026, 12, 1))
    page = staff_client.get(_edit(psm, "sk", original)).content.decode()
    assert "Tanpa SK ini, PSM yang sedang menjabat tidak memenuhi syarat" in page
    answer = staff_client.post(_remove(psm, "sk", original), {"alasan": "Salah catat"})
    assert answer.status_code == 400 and PsmAppointment.objects.filter(pk=original.pk).exists()
    assert "sebelum tanggal SK pengangkatan 1 Desember 2026" in answer.content.decode()

    fixed = {**SK, "nomor_sk": "400.9/88/2026", "tanggal_sk": "2026-11-30",
             "berlaku_mulai": "2026-12-01"}  # fmt: skip
    assert staff_client.post(_edit(psm, "sk", renewal), _why(fixed)).status_code == 302
    removed = staff_client.post(_remove(psm, "sk", renewal), {"alasan": "Tercatat dua kali"})
    assert removed.status_code == 302 and not PsmAppointment.objects.filter(pk=renewal.pk).exists()


def test_a_correction_says_why_and_the_history_keeps_it(staff_client, staff):
    """Left open by a walk: a removal asked for its reason, a correction did not, so the
    history showed an SK's number changed with no word of why (the scan? a typo?)."""
    psm = PsmFactory()
    award = Penghargaan.objects.create(psm=psm, nama="PSM Teladan", tingkat="kabkota", tahun=2023)
    typed = {"nama": "PSM Teladan Kota", "tingkat": "kabkota", "tahun": "2032"}
    answer = staff_client.post(_edit(psm, "penghargaan", award), typed)
    body = answer.content.decode()
    assert answer.status_code == 400
    # both problems said at once, and what was typed kept
    assert "Tuliskan alasan memperbaiki data ini." in body and "masa depan" in body
    assert 'value="PSM Teladan Kota"' in body
    award.refresh_from_db()
    assert award.nama == "PSM Teladan"
    # the service asks it too, whoever calls it
    from django.core.exceptions import ValidationError

    from registry import services

    with pytest.raises(ValidationError, match="Tuliskan alasan memperbaiki data ini."):
        services.record_update(
            psm=psm, kind="penghargaan", record_pk=award.pk, data={"tahun": 2024}, alasan=" ",
            by=staff,
        )  # fmt: skip
    reason = "Nama penghargaan sesuai piagam."
    answer = staff_client.post(
        _edit(psm, "penghargaan", award), _why({**typed, "tahun": "2023"}, reason)
    )
    assert answer.status_code == 302
    assert AuditEvent.objects.get(action="psm.penghargaan_update").reason == reason
    profile = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert reason in profile


def test_the_history_names_who_changed_what_as_the_case_pages_do(client, staff):
    """Left open by a walk: the profile's history named staff by login ("staf-3") where case
    pages give the full name; an account since deleted keeps the login it was recorded with."""
    from registry.selectors import psm_audit_trail

    psm = PsmFactory()
    staff.first_name, staff.last_name = "Dewi", "Lestari"
    staff.save()
    gone = make_user(Role.STAF, scope=["33.71"], username="staf-lama")
    for by, tahun in ((staff, 2023), (gone, 2024)):
        client.force_login(by)
        data = {"nama": "PSM Teladan", "tingkat": "kabkota", "tahun": str(tahun)}
        assert client.post(
            reverse("registry:psm-record-add", args=[psm.pk, "penghargaan"]), data
        ).status_code == 302  # fmt: skip
    gone.delete()
    assert [e.who for e in psm_audit_trail(psm)[:2]] == ["staf-lama", "Dewi Lestari"]
    client.force_login(staff)
    profile = client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "&middot; Dewi Lestari</span>" in profile


def test_one_psm_holds_one_post_of_a_board_at_a_time(staff_client):
    """Left open by a walk: two memberships of one level's board over the same years were
    accepted (an earlier post never closed, or the same one typed twice). Posts may share the
    year they changed hands; the entry corrected is not compared with itself."""
    psm = PsmFactory()
    add = reverse("registry:psm-record-add", args=[psm.pk, "ipsm"])
    first = {"tingkat": "kecamatan", "jabatan": "anggota", "periode_mulai": "2021"}
    assert staff_client.post(add, first).status_code == 302
    ketua = {"tingkat": "kecamatan", "jabatan": "ketua", "periode_mulai": "2023"}
    body = staff_client.post(add, ketua).content.decode()
    assert (
        "bertumpang tindih dengan keanggotaan IPSM tingkat Kecamatan yang sudah tercatat: "
        "Anggota, 2021–sekarang. Bila jabatannya berganti, isi dulu periode selesai"
    ) in body
    assert '<option value="ketua" selected>' in body and 'value="2023"' in body
    # another level's board is another post
    assert staff_client.post(add, {**ketua, "tingkat": "kabkota"}).status_code == 302
    # the same one-year post typed twice (periods sharing a year pass otherwise)
    one_year = {"tingkat": "desa", "jabatan": "anggota", "periode_mulai": "2022"}
    one_year["periode_selesai"] = "2022"
    assert staff_client.post(add, one_year).status_code == 302
    assert "Anggota, 2022–2022" in staff_client.post(add, one_year).content.decode()
    # the earlier post closed in the year it changed hands: both stand
    anggota = IpsmMembership.objects.get(psm=psm, tingkat="kecamatan")
    closed = _why({**first, "periode_selesai": "2023"}, "Diganti jabatan ketua pada 2023.")
    assert staff_client.post(_edit(psm, "ipsm", anggota), closed).status_code == 302
    assert staff_client.post(add, ketua).status_code == 302
    # a correction is compared with the others, not with itself
    assert staff_client.post(_edit(psm, "ipsm", anggota), closed).status_code == 302
    reopened = _why({**first, "periode_selesai": "2025"})
    answer = staff_client.post(_edit(psm, "ipsm", anggota), reopened)
    assert answer.status_code == 400 and "Ketua, 2023–sekarang" in answer.content.decode()
    # with the reason forgotten too, both are said at once (the walk met them one by one)
    body = staff_client.post(_edit(psm, "ipsm", anggota), {**first, "periode_selesai": "2025"})
    body = body.content.decode()
    assert "Ketua, 2023–sekarang" in body
    assert body.count("Tuliskan alasan memperbaiki data ini.") == 1
    assert IpsmMembership.objects.filter(psm=psm).count() == 4


def test_the_status_history_and_the_record_links_speak_as_the_rest(staff_client, staff, serving):
    """A walk: "Riwayat status" said "oleh staf" (the login) beside a change history giving full
    names; the records' links read "Ubah" to a page titled "Perbaiki"; a correction that
    changed nothing said "diperbaiki"."""
    psm, sk = serving
    staff.first_name, staff.last_name = "Dewi", "Lestari"
    staff.save()
    profile = staff_client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert "oleh Dewi Lestari</div>" in profile
    assert f'href="{_edit(psm, "sk", sk)}">Perbaiki<span class="visually-hidden">' in profile
    unchanged = {**SK, "nomor_sk": sk.nomor_sk, "tanggal_sk": "2021-02-01"}
    unchanged["berlaku_mulai"] = sk.berlaku_mulai.isoformat()
    answer = staff_client.post(_edit(psm, "sk", sk), _why(unchanged), follow=True)
    assert "Tidak ada yang berubah pada data SK pengangkatan" in answer.content.decode()
    assert not AuditEvent.objects.filter(action="psm.sk_update").exists()
