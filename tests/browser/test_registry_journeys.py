"""The registry journeys people really take, in Chromium."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from psm_portal.models import Role
from registry.models import Psm
from tests.browser.conftest import login
from tests.factories import PsmFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALID_NIK = "3371014503900001"  # a woman born 5 March 1990, registered in Magelang Selatan
IMPOSSIBLE_NIK = "3371017102900001"  # day 71 - 40 = 31 February


def test_staff_enters_psm_fixes_impossible_nik_finds_and_exports(
    page, live_server, regions, shot, tmp_path
):
    make_user(Role.STAF, scope=["33.71"], username="rina")
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    login(page, live_server, "rina")
    page.get_by_role("link", name="Tambah PSM").click()

    page.get_by_label("NIK").fill(IMPOSSIBLE_NIK)
    page.get_by_label("Nama lengkap").fill("Siti Rahayu")
    page.get_by_label("Jenis kelamin").select_option("P")
    page.get_by_label("Tempat lahir").fill("Magelang")
    page.get_by_label("Tanggal lahir").fill("1990-03-05")
    page.get_by_label("Alamat KTP").fill("Jl. Tidar No. 3 RT 01/RW 02")
    page.get_by_label("Desa/kelurahan KTP").select_option("33.71.01.1003")
    page.get_by_label("Desa/kelurahan tugas").select_option("33.71.01.1003")
    page.get_by_label("Tanggal bergabung").fill("2024-01-02")
    page.get_by_role("button", name="Simpan").click()

    message = "Tanggal lahir pada NIK (digit 7-12) bukan tanggal yang ada."
    expect(page.locator("#div_id_nik").get_by_text(message)).to_be_visible()  # at the field
    summary = page.locator("#ringkasan-galat")  # and in the summary, linking to it
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="NIK")).to_have_attribute("href", "#div_id_nik")
    summary.get_by_role("link", name="NIK").click()  # the cursor lands in the field to fix
    expect(page.get_by_label("NIK")).to_be_focused()
    expect(page.get_by_label("Nama lengkap")).to_have_value("Siti Rahayu")  # nothing lost
    expect(page.get_by_label("Alamat KTP")).to_have_value("Jl. Tidar No. 3 RT 01/RW 02")
    expect(page.get_by_label("Tanggal lahir")).to_have_value("1990-03-05")
    shot(page, "nik-error")
    assert not Psm.objects.exists()

    page.get_by_label("NIK").fill(VALID_NIK)
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", level=1, name="Siti Rahayu")).to_be_visible()
    expect(page.get_by_text("PSM Siti Rahayu tersimpan.")).to_be_visible()
    assert VALID_NIK not in page.url
    shot(page, "profile")

    page.get_by_role("link", name="Daftar PSM").click()
    page.get_by_label("Cari nama atau NIK").fill("SITI rah")
    page.get_by_role("button", name="Terapkan").click()
    expect(page.get_by_role("link", name="Siti Rahayu")).to_be_visible()
    assert "SITI" not in page.url and VALID_NIK not in page.url
    shot(page, "search")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Unduh XLSX").click()
    path = tmp_path / "psm.xlsx"
    download_info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[1][:2] == ("Siti Rahayu", VALID_NIK)  # staff need the full NIK

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Unduh CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        text = handle.read()
    assert "Siti Rahayu" in text and VALID_NIK in text
    assert csp_errors == []


def test_psm_on_a_phone_sees_only_their_own_profile(phone_page, live_server, regions, shot):
    own = PsmFactory(nama="Dyah Pratiwi", jenis_kelamin="P", status="aktif")
    other = PsmFactory(nama="Budi Orang Lain")
    make_user(Role.PSM, psm=own, username="dyah")
    page = phone_page
    csp_errors = []
    page.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    login(page, live_server, "dyah")
    expect(page.get_by_role("heading", level=1, name="Dyah Pratiwi")).to_be_visible()
    expect(page.get_by_role("heading", name="Identitas")).to_be_visible()
    expect(page.get_by_role("link", name="Kartu PSM (PDF)")).to_be_visible()
    expect(page.get_by_text("Budi Orang Lain")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.documentElement.lang") == "id"
    shot(page, "own-profile")

    page.goto(f"{live_server.url}/registri/psm/{other.pk}/")
    expect(page.get_by_role("heading", name="Halaman tidak ditemukan")).to_be_visible()
    expect(page.get_by_text("Budi Orang Lain")).to_have_count(0)

    # the registry's list is their own profile (it was a list of one row, with filters of
    # regions and statuses not theirs to search)
    page.goto(f"{live_server.url}/registri/psm/")
    expect(page).to_have_url(f"{live_server.url}/registri/psm/{own.pk}/")
    expect(page.get_by_role("heading", level=1, name="Dyah Pratiwi")).to_be_visible()
    expect(page.get_by_text("Budi Orang Lain")).to_have_count(0)
    assert csp_errors == []
