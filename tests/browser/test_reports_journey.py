"""The supervisor's journey in Chromium: open the dashboard, filter to one kecamatan, evaluate a
PSM from the ranking, request the yearly recap, watch it progress while a real worker builds it,
and download it."""

import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from psm_portal.models import Role
from reports import services
from reports.models import Evaluasi
from tests.browser.conftest import login
from tests.factories import KegiatanFactory, PsmFactory, make_user, ppks_reference
from tests.workers import start_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_filters_evaluates_and_downloads_the_yearly_recap(
    page, live_server, regions, office, shot, tmp_path
):
    ppks_reference()
    make_user(Role.SUPERVISOR, scope=["33.71"], username="yuni")
    rajin = PsmFactory(nama="Rahma Rajin", status="aktif", desa_kode="33.71.02.1003")
    KegiatanFactory(psm=rajin, tanggal=timezone.localdate())
    PsmFactory(nama="Sigit Selatan", status="aktif")  # Magelang Selatan: filtered out
    year = timezone.localdate().year
    login(page, live_server, "yuni")

    page.get_by_role("link", name="Dasbor").click()
    expect(page.get_by_role("heading", name="Dasbor supervisor")).to_be_visible()
    page.get_by_label("Kecamatan").select_option(label="Magelang Utara")
    expect(page).to_have_url(re.compile(r"kecamatan=33\.71\.02"))
    figure = page.locator(".figures a", has_text="PSM terdaftar")
    expect(figure.locator(".figure")).to_have_text("1")
    shot(page, "dashboard-utara")

    page.get_by_role("link", name="Peringkat dan evaluasi PSM").click()
    expect(page.get_by_role("link", name="Rahma Rajin", exact=True)).to_be_visible()
    expect(page.get_by_text("Sigit Selatan")).to_have_count(0)
    page.get_by_role("link", name="Evaluasi Rahma Rajin").click()
    for aspect, mark in (
        ("Kerajinan", "5"),
        ("Kedisiplinan", "4"),
        ("Kerja sama", "5"),
        ("Kepemimpinan", "3"),
        ("Prestasi", "4"),
    ):
        page.get_by_role("group", name=re.compile(f"^{aspect}")).get_by_label(mark).check()
    page.get_by_label("Catatan").fill("Aktif mendampingi lansia di RW 04.")
    page.get_by_label("Diusulkan sebagai PSM berprestasi").check()
    shot(page, "evaluation")
    page.get_by_role("button", name="Simpan evaluasi").click()
    expect(page.get_by_text(f"Evaluasi Rahma Rajin tahun {year} disimpan.")).to_be_visible()
    expect(page.get_by_text("usulan berprestasi")).to_be_visible()
    assert Evaluasi.objects.get(psm=rajin).skor_rubrik == 84.0

    page.get_by_role("link", name="Dasbor").click()
    page.get_by_role("button", name=f"Minta rekap kinerja {year} (PDF)").click()
    expect(page.get_by_text("Menunggu giliran")).to_be_visible()
    shot(page, "recap-queued")
    worker = start_worker()
    try:
        download = page.get_by_role("link", name="Unduh dokumen")
        expect(download).to_be_visible(timeout=90_000)  # htmx polls; no reload
    finally:
        worker.wait(timeout=90)
    shot(page, "recap-done")
    with page.expect_download() as info:
        download.click()
    info.value.save_as(tmp_path / "rekap.pdf")
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "rekap.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "REKAPITULASI KINERJA PEKERJA SOSIAL MASYARAKAT" in text
    assert "Rahma Rajin" in text and "Usulan PSM berprestasi" in text


def test_the_dashboards_figures_and_charts_read_on_a_phone(
    phone_page, live_server, regions, office, shot
):
    """The tap-target rule for links on phones took a linked card's padding and gave it a
    negative margin: its words ran over the card's border and into the card below. The charts,
    drawn for print, came out in 7 px letters."""
    ppks_reference()
    make_user(Role.SUPERVISOR, scope=["33.71"], username="yuni")
    PsmFactory(nama="Rahma Rajin", status="aktif")
    page = phone_page
    login(page, live_server, "yuni")
    page.goto(f"{live_server.url}/laporan/")
    cards = page.locator(".figures .card")
    expect(cards.first).to_be_visible()
    shot(page, "dashboard-360")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll(".figures .card")].map((card) => {
            const box = card.getBoundingClientRect();
            const text = [...card.children].map((c) => c.getBoundingClientRect());
            return {
                top: box.top, bottom: box.bottom,
                inside: text.every((t) => t.top >= box.top + 4 && t.bottom <= box.bottom - 4),
            };
        })"""
    )
    assert len(boxes) == 8 and all(b["inside"] for b in boxes), boxes
    # two to a row: a card ends before the card under it begins
    for above, below in zip(boxes, boxes[2:], strict=False):
        assert above["bottom"] <= below["top"], boxes
    # the charts' letters are drawn at a size a phone can read (they were 7 px)
    month = page.locator(".chart svg text", has_text="Jan").first
    assert month.bounding_box()["height"] >= 11, month.bounding_box()
    # the office's indicators fit the phone's width: their values were cut off at the edge
    fits = page.evaluate(
        "() => { const t = document.querySelector('[aria-labelledby=h-kantor] .table-responsive');"
        " return t.scrollWidth <= t.clientWidth; }"
    )
    assert fits


def test_the_ranking_and_the_menu_fit_a_desk_screen_in_english(
    page, live_server, regions, office, shot
):
    """In English the ranking ran past a 1280 px screen (its report link cut off) and the menu
    broke "PSM list" and the account's name over two lines each."""
    ppks_reference()
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], username="yuni")
    supervisor.first_name, supervisor.last_name = "Bambang", "Supervisor"
    supervisor.save()
    rahma = PsmFactory(nama="Fatimah Pratiwi", status="aktif")
    KegiatanFactory(psm=rahma, tanggal=timezone.localdate(), durasi_jam=14, jumlah_penerima=138)
    services.evaluation_save(
        psm=rahma,
        tahun=timezone.localdate().year,
        data={
            "kerajinan": 4,
            "disiplin": 4,
            "kerja_sama": 5,
            "kepemimpinan": 3,
            "prestasi": 4,
            "diusulkan_berprestasi": True,
        },
        by=supervisor,
        today=timezone.localdate(),
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, live_server, "yuni")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/laporan/peringkat/")
    expect(page.get_by_role("link", name="Report (PDF)")).to_be_visible()
    shot(page, "ranking-en-1280")
    fits = page.evaluate(
        "() => { const t = document.querySelector('.table-responsive');"
        " return t.scrollWidth <= t.clientWidth; }"
    )
    assert fits
    heights = page.evaluate(
        "() => [...document.querySelectorAll('#menu .nav-link:not(.account)')]"
        ".map((a) => a.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 48, heights  # one line each (two were 48 and more)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_staff_menu_with_a_long_name_fits_the_narrowest_desk_screen(
    page, live_server, regions, office, language
):
    """From 1200 px the menu is laid out in one row: a staff account (seven items) with a long
    name pushed it 58 px past the screen, "Keluar" cut off. The account's links are now under
    its name."""
    staff = make_user(Role.STAF, scope=["33.71"], username="sri")
    staff.first_name, staff.last_name = "Sri Wahyuningsih", "Kusumawardani"
    staff.save()
    page.set_viewport_size({"width": 1200, "height": 700})
    login(page, live_server, "sri")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/registri/psm/")
    expect(page.locator("#menu .nav-link").first).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1200
    account = page.locator("#menu .account")
    assert account.bounding_box()["x"] + account.bounding_box()["width"] <= 1200
    account.click()
    logout = page.locator("#menu button[type=submit]")
    expect(logout).to_be_visible()
    assert logout.bounding_box()["x"] + logout.bounding_box()["width"] <= 1200
