"""A PSM on a 360 px phone records the family of a person they assessed: a NIK mistyped is
refused with everything typed kept, the corrected member is listed; a supervisor sees the
children listed without their details."""

import pytest
from playwright.sync_api import expect

from assessments.models import AnggotaKeluarga
from psm_portal.models import Role
from tests.browser.conftest import login
from tests.factories import PsmFactory, make_case, make_user, ppks_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_psm_records_a_family_on_the_phone(phone_page, browser, live_server, regions, office, shot):
    ppks_reference()
    sri = make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    make_user(Role.SUPERVISOR, scope=["33.71"], username="bambang")
    subject = make_case(sri).subjek
    phone = phone_page

    login(phone, live_server, "sri")
    phone.goto(f"{live_server.url}/kasus/subjek/{subject.pk}/")
    phone.get_by_role("link", name="Tambah anggota keluarga").click()
    phone.get_by_label("Nama").fill("Dimas Saputra")
    phone.get_by_label("Hubungan dengan kepala keluarga").select_option("anak")
    phone.get_by_label("Jenis kelamin").select_option("L")
    phone.get_by_label("NIK").fill("3371 0116 10")
    phone.get_by_label("Tanggal lahir").fill("2015-10-16")
    phone.get_by_label("Pekerjaan/sekolah").fill("SD kelas V")
    phone.get_by_role("button", name="Simpan").click()

    summary = phone.locator("#ringkasan-galat")
    expect(summary).to_contain_text("NIK harus 16 digit angka")
    expect(summary).to_be_focused()
    expect(phone.get_by_label("Nama")).to_have_value("Dimas Saputra")
    expect(phone.get_by_label("Pekerjaan/sekolah")).to_have_value("SD kelas V")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "nik-salah")

    phone.get_by_label("NIK").fill("")
    phone.get_by_role("button", name="Simpan").click()
    expect(phone.locator("#keluarga")).to_contain_text("Dimas Saputra")
    expect(phone.locator(".alert-success")).to_contain_text(
        "Anggota keluarga Dimas Saputra disimpan"
    )
    expect(phone.locator("#keluarga")).to_contain_text("SD kelas V")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "keluarga")
    assert AnggotaKeluarga.objects.get().nama == "Dimas Saputra"

    desk = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 800})
    page = desk.new_page()
    login(page, live_server, "bambang")
    page.goto(f"{live_server.url}/kasus/subjek/{subject.pk}/")
    family = page.locator("#keluarga")
    expect(family).to_contain_text("Dimas Saputra")
    expect(family).to_contain_text("dirahasiakan")
    expect(family).not_to_contain_text("SD kelas V")
    expect(page.get_by_role("link", name="Tambah anggota keluarga")).to_have_count(0)
    desk.close()


def test_a_queued_edit_meeting_the_offices_change_on_the_phone(
    phone_page, live_server, regions, office, shot
):
    """Offline, the PSM changes a member's work; meanwhile the office changes the birthplace.
    Back online, the outbox shows the conflict and the page says the form waits on the PSM (it
    said "akan dikirim otomatis"); sent anyway, the PSM's work and the office's birthplace are
    both kept, and the page says it was sent."""
    from assessments import services

    ppks_reference()
    sri = make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    staf = make_user(Role.STAF, scope=["33.71"], username="rina")
    subject = make_case(sri).subjek
    adult = {"nama": "Slamet", "hubungan": "kepala", "jenis_kelamin": "L", "nik": "",
             "tanggal_lahir": None, "pekerjaan": "Buruh harian"}  # fmt: skip
    member = services.family_member_save(subject=subject, member=None, data=adult, by=staf)
    phone = phone_page

    login(phone, live_server, "sri")
    phone.goto(f"{live_server.url}/kasus/subjek/{subject.pk}/keluarga/{member.pk}/ubah/")
    phone.context.set_offline(True)
    phone.get_by_label("Pekerjaan/sekolah").fill("Berjualan jamu")
    phone.get_by_role("button", name="Simpan").click()
    notice = phone.locator("#masuk-kotak-keluar")
    expect(notice).to_contain_text("akan dikirim otomatis")

    services.family_member_save(
        subject=subject, member=member, data={**adult, "tempat_lahir": "Purworejo"}, by=staf
    )
    phone.context.set_offline(False)  # the outbox sends by itself when the signal returns
    expect(notice).to_contain_text("belum terkirim", timeout=15000)
    outbox = phone.locator("[data-outbox-list]")
    expect(outbox).to_contain_text("Tempat lahir: Purworejo (tetap dipakai)")
    expect(outbox).not_to_contain_text("Pekerjaan")  # only the PSM changed it: no conflict
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "konflik")

    phone.locator("details[data-outbox-details]").evaluate("d => d.open = true")
    phone.get_by_role("button", name="Tetap kirim salinan saya").click()
    expect(notice).to_contain_text("sudah terkirim", timeout=15000)
    member.refresh_from_db()
    assert (member.pekerjaan, member.tempat_lahir) == ("Berjualan jamu", "Purworejo")
