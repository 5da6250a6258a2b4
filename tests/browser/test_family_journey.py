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
