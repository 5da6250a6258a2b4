"""Touch targets on a PSM's pages, measured in Chromium on a 360 x 740 phone.

WCAG 2.2 SC 2.5.8 (Target Size, Minimum): every link, button, select, summary, checkbox or radio
(with its label) a PSM can tap is at least 24 x 24 CSS px, unless it sits inside a sentence of
text (its height is then the line's). A 19 px event name in a table, a 16 px link under a card
or a 16 px checkbox is what a thumb on a cheap phone misses: it opens the wrong row, or nothing.
static/css/portal.css gives them their size on phones and touch screens.

Each page is measured as a PSM sees it, with a draft restored, the outbox opened (a case waiting
without signal, then sent) and the navigation menu opened too; a screenshot of each is saved in
test-results/ for a person to look at."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments import services
from assessments.models import StatusAsesmen
from psm_portal.models import Role
from registry.models import Wilayah
from tests.browser.conftest import login
from tests.factories import (
    BimtekFactory,
    EventFactory,
    KegiatanFactory,
    PsmFactory,
    SkFactory,
    make_case,
    make_user,
    ppks_reference,
)
from training.models import Peserta

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_PX = 24  # WCAG 2.2 SC 2.5.8
# Buttons, fields, page links and menu items, which a thumb aims at rather than reads past: the
# 44 px of WCAG's enhanced level (SC 2.5.5) and of Apple's guidelines (Android's are 48 dp).
THUMB_PX = 44

# Every visible tap target of the page, with its size, and whether it is exempt as a link inside
# running text: an inline element whose block holds other words than its own (a sentence, "A ·
# B" separators), so that its height is set by the line, not by the link.
MEASURE = """(minimum) => {
  const TARGETS = "a[href], button, input[type=submit], input[type=button], input[type=reset],"
    + " input[type=checkbox], input[type=radio], select, summary, label";
  const blockOf = (node) => {  // the block whose lines hold the node
    let block = node.parentElement;
    while (block && getComputedStyle(block).display.startsWith("inline")) {
      block = block.parentElement;
    }
    return block;
  };
  const inlineInText = (el) => {
    if (getComputedStyle(el).display !== "inline") return false;
    const block = blockOf(el);
    if (!block) return false;
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!el.contains(node) && node.textContent.trim() && blockOf(node) === block) return true;
    }
    return false;
  };
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    const classes = [...el.classList].slice(0, 3);
    if (classes.length) name += "." + classes.join(".");
    if (el.type && el.tagName === "INPUT") name += `[type=${el.type}]`;
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "")
      .replace(/\\s+/g, " ").trim().slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  const found = [];
  for (const el of document.querySelectorAll(TARGETS)) {
    if (el.tagName === "LABEL") {  // a label is a target when it ticks a checkbox or radio
      const control = el.control;
      if (!control || !["checkbox", "radio"].includes(control.type)) continue;
    }
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // .visually-hidden(-focusable), 1 px
    found.push({
      target: describe(el),
      width: Math.round(box.width * 10) / 10,
      height: Math.round(box.height * 10) / 10,
      inline: inlineInText(el),
    });
  }
  const small = found.filter((t) => !t.inline && (t.width < minimum || t.height < minimum));
  return { count: found.length, small };
}"""


@pytest.fixture
def psm_world(regions, office):
    """Sri, a PSM with what a working PSM has: cases in each state a PSM meets, more activities
    and events than fit on a page, a registry record, an enrolment and a certificate."""
    ppks_reference()
    psm = PsmFactory(nama="Sri Lestari", jenis_kelamin="P", status="aktif")
    sri = make_user(Role.PSM, psm=psm, username="sri")
    rina = make_user(Role.STAF, scope=["33.71"], username="rina")
    SkFactory(psm=psm)
    BimtekFactory(psm=psm)

    draft = make_case(sri, submit=False, subject={"nama": "Mbah Sarinah"})
    returned = make_case(sri, subject={"nama": "Pak Darmo", "tanggal_lahir": dt.date(1950, 1, 2)})
    services.assessment_transition(
        asesmen=returned,
        ke=StatusAsesmen.DIKEMBALIKAN,
        by=rina,
        catatan="Tambahkan foto rumah.",
        komentar={"kondisi_rumah": "Jelaskan dinding dan atap."},
    )
    remote = make_case(
        sri,
        jenis="jarak_jauh",
        metode_kontak="telepon",
        subject={"nama": "Bu Wagiyem", "tanggal_lahir": dt.date(1952, 6, 7)},
    )

    for day in range(31):  # one more than a page (registry.views_activity.PAGE_SIZE)
        KegiatanFactory(psm=psm, tanggal=dt.date(2026, 3, 2) - dt.timedelta(days=day))
    kota = Wilayah.objects.get(kode="33.71")
    events = [EventFactory(wilayah=kota) for _ in range(25)]  # with the next, one more than a page
    today = timezone.localdate()
    events.append(  # open for enrolment today: the PSM's "Daftar sebagai peserta"
        EventFactory(
            wilayah=kota,
            jenis="lanjutan",
            pendaftaran_mulai=today - dt.timedelta(days=5),
            pendaftaran_selesai=today + dt.timedelta(days=10),
            tanggal_mulai=today + dt.timedelta(days=20),
            tanggal_selesai=today + dt.timedelta(days=21),
        )
    )
    enrolled, passed = events[0], events[1]
    Peserta.objects.create(event=enrolled, psm=psm, status="terdaftar")
    passed.status = "selesai"
    passed.save(update_fields=["status"])
    Peserta.objects.create(
        event=passed, psm=psm, status="lulus", nilai_post=85, nomor_sertifikat="BD-2026-0001"
    )
    return {
        "psm": psm,
        "cases": [draft, returned, remote],
        "activity": psm.kegiatan_set.order_by("-tanggal").first(),
        "open_event": events[-1],
        "enrolled": enrolled,
        "passed": passed,
    }


# Controls shorter than THUMB_PX: a .btn (not one dressed as a link in a sentence, .p-0), a
# field, a page link or a menu item.
MEASURE_CONTROLS = """(minimum) => {
  const CONTROLS = ".btn, .form-control, .form-select, .page-link, .navbar-nav .nav-link,"
    + " .navbar-toggler, .dropdown-item, summary";
  const small = [];
  let count = 0;
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (el.classList.contains("p-0")) continue;
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    count += 1;
    if (box.height < minimum - 0.5) {
      const text = (el.innerText || el.value || el.getAttribute("aria-label") || "")
        .replace(/\\s+/g, " ").trim().slice(0, 40);
      const name = `${el.tagName.toLowerCase()}.${[...el.classList].slice(0, 3).join(".")}`;
      small.push({ target: `${name} "${text}"`, width: Math.round(box.width * 10) / 10,
        height: Math.round(box.height * 10) / 10 });
    }
  }
  return { count, small };
}"""


def _psm_pages(world):
    psm = world["psm"]
    draft, returned, remote = world["cases"]
    return {
        "profil": "/",
        "kasus": "/kasus/",
        "kasus-baru": "/kasus/baru/",
        "kasus-draf": f"/kasus/{draft.pk}/",
        "kasus-dikembalikan": f"/kasus/{returned.pk}/",
        "kasus-jarak-jauh": f"/kasus/{remote.pk}/",
        "subjek": f"/kasus/subjek/{remote.subjek_id}/",
        "kegiatan": "/registri/kegiatan/",
        "kegiatan-halaman-2": "/registri/kegiatan/?page=2",
        "kegiatan-catat": "/registri/kegiatan/catat/",
        "kegiatan-rinci": f"/registri/kegiatan/{world['activity'].pk}/",
        "pelatihan": "/pelatihan/",
        "pelatihan-halaman-2": "/pelatihan/?page=2",
        "pelatihan-buka": f"/pelatihan/{world['open_event'].pk}/",
        "pelatihan-terdaftar": f"/pelatihan/{world['enrolled'].pk}/",
        "pelatihan-lulus": f"/pelatihan/{world['passed'].pk}/",
        "riwayat-pelatihan": f"/pelatihan/riwayat/{psm.pk}/",
        "dokumen": "/laporan/dokumen/",
        "ganti-sandi": "/akun/sandi/",
    }


def _fill_case(page):
    """The rest of a new case for a person without NIK (the name is in the restored draft)."""
    page.locator("#id_s-jenis").select_option("orang")
    page.get_by_label("Alasan tanpa NIK").select_option("tidak_punya")
    page.locator("#id_s-jenis_kelamin").select_option("P")
    page.locator("#id_s-tanggal_lahir").fill("1946-03-10")
    page.get_by_label("Alamat domisili").fill("Dusun Krajan, dekat balai desa")
    page.get_by_label("Desa/kelurahan domisili").select_option("33.71.01.1003")
    page.locator("#id_jenis").select_option("awal")
    page.get_by_label("Cara kontak").select_option("kunjungan")
    page.get_by_label("Persetujuan diberikan oleh").select_option("subjek")
    page.get_by_label("Nama pemberi persetujuan").fill("Mbah Painem")
    page.get_by_label("Lanjut Usia Terlantar (LUT)").check()
    page.get_by_label("Kategori utama").select_option("PPKS-08")
    page.get_by_label("Masalah utama").fill("Tinggal sendiri, rumah hampir roboh.")
    page.locator("#id_kebutuhan").fill("Permakanan dan bedah rumah.")


def _report(failures):
    return "\n".join(
        f"{page}: {t['target']} is {t['width']} x {t['height']} px"
        for page, targets in failures.items()
        for t in targets
    )


def test_every_tap_target_on_a_psm_phone_is_at_least_24_px(
    phone_page, live_server, psm_world, shot
):
    page = phone_page
    failures, short = {}, {}

    def measure(name):
        shot(page, name)
        found = page.evaluate(MEASURE, MIN_PX)
        # The brand, the language list and its button are on every page: none found, none seen.
        assert found["count"] > 3, f"{name}: only {found['count']} targets found"
        if found["small"]:
            failures[name] = found["small"]
        controls = page.evaluate(MEASURE_CONTROLS, THUMB_PX)
        # the menu button and the language's select and button are on every page
        assert controls["count"] >= 3, f"{name}: only {controls['count']} controls found"
        if controls["small"]:
            short[name] = controls["small"]

    page.goto(f"{live_server.url}/masuk/")
    measure("masuk")
    login(page, live_server, "sri")
    # a case returned to her: she lands on her cases, told so
    expect(page.get_by_text("1 kasus dikembalikan dinas untuk diperbaiki")).to_be_visible()
    measure("beranda-kasus-dikembalikan")

    for name, path in _psm_pages(psm_world).items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.ok, f"{name} ({path}) answered {response.status}"
        page.wait_for_load_state("networkidle")
        measure(name)

    # A draft kept on the phone, offered back when the form opens again.
    page.goto(f"{live_server.url}/kasus/baru/")
    page.locator("#id_s-nama").fill("Mbah Painem")
    expect(page).to_have_url(re.compile(r"#draf="))  # written 300 ms after the last keystroke
    page.reload()
    expect(page.get_by_role("button", name="Buang draf ini")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Lanjut Usia Terlantar (LUT)")).to_be_visible()
    measure("kasus-baru-draf")
    # Discarding asks first (a slip lost a whole form): answered "no", the draft stays.
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Buang draf ini").click()
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Painem")
    assert asked and "tidak dapat dikembalikan" in asked[0], asked

    # Sent without a signal: the outbox bar, opened, holds it; then it goes when the signal
    # returns (the outbox is on every PSM page).
    page.context.set_offline(True)
    _fill_case(page)
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    page.locator("#kotak-keluar summary").click()
    expect(page.locator(".outbox-item .outbox-state")).to_have_text("Menunggu")
    expect(page.locator("[data-outbox-send]")).to_be_visible()
    measure("kotak-keluar-menunggu")
    page.context.set_offline(False)
    expect(page.locator(".outbox-item .outbox-state")).to_have_text("Terkirim", timeout=15000)
    measure("kotak-keluar-terkirim")

    # The navigation menu, opened from its toggler (its links are hidden until then).
    page.get_by_role("button", name="Buka menu").click()
    expect(page.locator("#menu.show")).to_be_visible()
    expect(page.locator("#menu.collapsing")).to_have_count(0)
    measure("menu")
    page.locator("#menu .dropdown-toggle").click()  # the account's: password, log out
    expect(page.locator("#menu .dropdown-menu.show")).to_be_visible()
    measure("menu-akun")

    # Answered "yes", the draft goes and the form opens empty.
    page.goto(f"{live_server.url}/kasus/baru/")
    page.locator("#id_s-nama").fill("Mbah Karto")
    expect(page).to_have_url(re.compile(r"#draf="))
    page.reload()
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Karto")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Buang draf ini").click()
    expect(page.locator("#id_s-nama")).to_have_value("")
    expect(page.locator("#draf-dipulihkan")).to_have_count(0)

    assert not failures, f"tap targets under {MIN_PX} px at 360 px:\n{_report(failures)}"
    assert not short, f"controls under {THUMB_PX} px at 360 px:\n{_report(short)}"
