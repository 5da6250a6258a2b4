"""The Bimtek journey in Chromium: staff create an event, nominate candidates from a filtered list,
mark attendance on two days, close the event, download a certificate (alone and all of them in
one background-built PDF, watching its progress), and the public page verifies it."""

import datetime as dt
import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from psm_portal.models import Role
from tests.browser.conftest import login
from tests.factories import PsmFactory, make_user
from tests.workers import start_worker
from training.models import Peserta

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELATAN, UTARA = "33.71.01.1003", "33.71.02.1003"


def pdf_text(path, *, layout=True) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_staff_runs_a_bimtek_from_nomination_to_verified_certificate(
    page, live_server, regions, office, shot, tmp_path
):
    make_user(Role.STAF, scope=["33.71"], username="rina")
    for nama in ("Ani Calon", "Budi Calon", "Citra Calon"):
        PsmFactory(nama=nama, desa_kode=SELATAN, status="calon")
    PsmFactory(nama="Dodi Utara", desa_kode=UTARA, status="calon")  # filtered out
    today = timezone.localdate()
    login(page, live_server, "rina")

    # Create the event (two days ending today, so it can be closed in this test).
    page.goto(f"{live_server.url}/pelatihan/tambah/")
    page.get_by_label("Judul").fill("Bimtek Dasar Calon PSM Uji Peramban")
    page.locator("#id_jenis").select_option("dasar")
    page.locator("#id_penyelenggara").select_option("kabkota")
    page.get_by_label("Wilayah penyelenggara").select_option("33.71")
    page.get_by_label("Tempat").fill("Aula Dinas Sosial")
    page.get_by_label("Kapasitas").fill("10")
    page.get_by_label("Pendaftaran dibuka").fill(str(today - dt.timedelta(days=7)))
    page.get_by_label("Pendaftaran ditutup").fill(str(today))
    page.get_by_label("Tanggal mulai").fill(str(today - dt.timedelta(days=1)))
    page.get_by_label("Tanggal selesai").fill(str(today))
    page.get_by_label("Kehadiran minimal (%)").fill("100")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", name="Bimtek Dasar Calon PSM Uji Peramban")).to_be_visible()
    page.get_by_role("button", name="Buka pendaftaran").click()

    # Nominate the candidates of Magelang Selatan from the filtered registry list.
    page.get_by_role("link", name="Nominasikan peserta").click()
    page.get_by_label("Kecamatan").select_option("33.71.01")
    expect(page).to_have_url(re.compile(r"kecamatan=33\.71\.01"))  # the filter submits itself
    page.get_by_label("Status").select_option("calon")
    expect(page).to_have_url(re.compile(r"status=calon"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("input[name=psm]")).to_have_count(3)
    expect(page.get_by_text("3 orang cocok.")).to_be_visible()
    expect(page.get_by_text("Dodi Utara")).to_have_count(0)
    for nama in ("Ani Calon", "Budi Calon", "Citra Calon"):
        page.get_by_role("checkbox", name=nama).check()
    for nama in ("Ani Calon", "Budi Calon", "Citra Calon"):
        expect(page.get_by_role("checkbox", name=nama)).to_be_checked()
    shot(page, "nominate")
    page.on("request", lambda r: print("REQ", r.method, r.url, r.post_data))
    page.on("framenavigated", lambda f: print("NAV", f.url))
    page.get_by_role("button", name="Daftarkan yang dipilih").click()
    expect(page.get_by_role("heading", name="Peserta (3)")).to_be_visible()
    page.get_by_role("button", name="Tutup pendaftaran").click()

    # Attendance on both days: Citra misses the second day (100% required, so she fails).
    for day, absent in ((0, None), (1, "Citra Calon")):
        page.get_by_role("link", name="presensi").nth(day).click()
        for nama in ("Ani Calon", "Budi Calon", "Citra Calon"):
            status = "Tidak hadir" if nama == absent else "Hadir"
            page.locator("fieldset", has_text=nama).get_by_label(status, exact=True).check()
        if day == 1:
            # the self check-in QR is drawn (without its SVG namespace it was a broken image)
            qr = page.locator("img.qr-checkin")
            assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
            shot(page, "roster")
        page.get_by_role("button", name="Simpan presensi").click()
        page.get_by_role("link", name="Kembali ke kegiatan").click()

    page.get_by_role("button", name="Selesaikan dan tetapkan kelulusan").click()
    expect(page.get_by_text("Kegiatan selesai: 2 lulus, 1 tidak lulus.")).to_be_visible()
    shot(page, "completed")

    # One certificate, read back; its printed address opens the public verification page.
    link = page.get_by_role("row", name=re.compile("Ani Calon")).get_by_role(
        "link", name="sertifikat", exact=True
    )
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    (tmp_path / "ani.pdf").write_bytes(response.body())
    text = pdf_text(tmp_path / "ani.pdf")
    enrolment = Peserta.objects.get(psm__nama="Ani Calon")
    assert "Ani Calon" in text and enrolment.nomor_sertifikat in text
    printed = re.search(
        r"/pelatihan/sertifikat/([\w-]+)/",
        re.sub(r"\s", "", pdf_text(tmp_path / "ani.pdf", layout=False)),
    )
    assert printed and printed.group(1) == enrolment.kode_sertifikat

    # All certificates in one PDF, built by a real worker while the page shows its progress.
    page.get_by_role("button", name="Unduh semua sertifikat (satu PDF)").click()
    expect(page.get_by_text("Menunggu giliran")).to_be_visible()
    shot(page, "bundle-queued")
    worker = start_worker()
    try:
        download_link = page.get_by_role("link", name="Unduh dokumen")
        expect(download_link).to_be_visible(timeout=60_000)  # htmx polls; no reload
    finally:
        worker.wait(timeout=60)
    expect(page.get_by_text("2 dari 2 bagian")).to_be_visible()
    shot(page, "bundle-done")
    with page.expect_download() as info:
        download_link.click()
    info.value.save_as(tmp_path / "semua.pdf")
    bundle = pdf_text(tmp_path / "semua.pdf")
    assert "Ani Calon" in bundle and "Budi Calon" in bundle and "Citra Calon" not in bundle

    page.goto(f"{live_server.url}/pelatihan/sertifikat/{printed.group(1)}/")
    expect(page.get_by_text("Sah", exact=True)).to_be_visible()
    expect(page.get_by_text(enrolment.nomor_sertifikat)).to_be_visible()
    shot(page, "verified")
    page.goto(f"{live_server.url}/pelatihan/sertifikat/{printed.group(1)}x/")
    expect(page.get_by_text("Sertifikat tidak dikenal.")).to_be_visible()


def test_a_venue_typed_without_spaces_does_not_widen_the_bimtek_list(
    page, phone_page, live_server, regions, office, shot
):
    """A walk: a 150-letter venue without a space (the form takes it) made the Bimtek list
    2,300 px wide at a desk and 1,650 px on a 360 px phone: "Peserta" and "Status" of every
    event were off the screen, for every PSM."""
    from tests.factories import EventFactory

    venue = "Gedung" + "x" * 144
    event = EventFactory(tempat=venue, judul="Bimtek" + "y" * 120)
    EventFactory(judul="Bimtek Dasar Angkatan II")
    make_user(Role.STAF, scope=["33.71"], username="rina")
    make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    login(page, live_server, "rina")
    page.goto(f"{live_server.url}/pelatihan/")
    table = page.locator(".table-responsive")
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth"), "the table scrolls sideways"
    expect(page.get_by_role("columnheader", name="Status")).to_be_in_viewport()
    shot(page, "long-venue-desk")
    login(phone_page, live_server, "sri")
    for path in ("/pelatihan/", f"/pelatihan/{event.pk}/"):
        phone_page.goto(f"{live_server.url}{path}")
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide at 360 px"
    # the list's own box: it scrolls sideways inside the page (.table-responsive) rather than
    # widen it, so the page's width alone could not tell
    phone_page.goto(f"{live_server.url}/pelatihan/")
    table = phone_page.locator(".table-responsive")
    assert table.evaluate("t => t.scrollWidth <= t.clientWidth"), "the list scrolls sideways"
    shot(phone_page, "long-venue-360")
