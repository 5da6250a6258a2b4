"""Offline PSM forms in Chromium at 360 px, in Bahasa Indonesia, with the network really switched
off and on (Playwright's context.set_offline): the form opens from the phone's cache, the draft
survives a reload, the outbox counts what waits and sends it by itself when the signal returns
(no reload), a forced double send makes one record, a case returned meanwhile shows as a
conflict, and logging out wipes the device's copy.

While "offline", a page the phone never kept answers the service worker's own "no signal" page:
the switch cuts the service worker's requests too, not only the page's.
"""

import datetime as dt
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from assessments import services
from assessments.models import Asesmen, SinkronPerangkat, StatusAsesmen
from psm_portal.models import KirimanOffline, Role
from tests.browser.conftest import login
from tests.factories import PsmFactory, make_case, make_user, ppks_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = StatusAsesmen


def _offline(page):
    page.context.set_offline(True)


def _online(page):
    page.context.set_offline(False)


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width} px wide at 360 px"


def _ready_for_the_field(page, live_server, *paths):
    """Open the case list so the service worker installs and keeps the PSM's pages."""
    page.goto(f"{live_server.url}/kasus/")
    for attempt in range(120):
        if attempt == 60:  # the first page may have gone before the worker was told; ask again
            page.reload()
        kept = page.evaluate(
            """async (paths) => {
                const reg = await navigator.serviceWorker.getRegistration();
                if (!reg || !reg.active || !navigator.serviceWorker.controller) return false;
                const cache = await caches.open("psm-halaman");
                for (const p of paths) {
                    if (!(await cache.match(p, { ignoreVary: true }))) return false;
                }
                return true;
            }""",
            list(paths),
        )
        if kept:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the service worker did not keep {paths}")


def _outbox(page):
    return page.locator("#kotak-keluar")


def _open_outbox(page):
    details = page.locator("[data-outbox-details]")
    if not details.evaluate("d => d.open"):
        page.locator("#kotak-keluar summary").click()


def _fill_case(page, name, photo=None):
    page.locator("#id_s-jenis").select_option("orang")
    page.locator("#id_s-nama").fill(name)
    page.get_by_label("Alasan tanpa NIK").select_option("tidak_punya")
    page.locator("#id_s-jenis_kelamin").select_option("P")
    page.locator("#id_s-tanggal_lahir").fill("1946-03-10")
    page.get_by_label("Alamat domisili").fill("Dusun Krajan, dekat balai desa")
    page.get_by_label("Desa/kelurahan domisili").select_option("33.71.01.1003")
    _fill_case_part(page, name)
    if photo:
        page.get_by_label("Foto").set_input_files(str(photo))
        expect(page.locator("[data-offline-status]")).to_contain_text("1 foto siap dikirim")


def _fill_case_part(page, consent_by, problem="Tinggal sendiri, rumah hampir roboh."):
    """The assessment's own fields, below the subject's."""
    page.locator("#id_jenis").select_option("awal")
    page.get_by_label("Cara kontak").select_option("kunjungan")
    page.get_by_label("Persetujuan diberikan oleh").select_option("subjek")
    page.get_by_label("Nama pemberi persetujuan").fill(consent_by)
    page.get_by_label("Lanjut Usia Terlantar (LUT)").check()
    page.get_by_label("Kategori utama").select_option("PPKS-08")
    page.get_by_label("Masalah utama").fill(problem)
    page.locator("#id_kebutuhan").fill("Permakanan dan bedah rumah.")


def _queue_a_case_offline(page, live_server, name):
    """Signed in as the field's PSM, a new case filled without a signal and saved to the outbox."""
    login(page, live_server, "sri")
    _ready_for_the_field(page, live_server, "/kasus/baru/")
    _offline(page)
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, name)
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")


@pytest.fixture
def field(regions, office):
    ppks_reference()
    psm = PsmFactory(nama="Sri Lestari")
    return {
        "psm": make_user(Role.PSM, psm=psm, username="sri"),
        "staf": make_user(Role.STAF, scope=["33.71"], username="rina"),
    }


def test_a_form_filled_without_signal_survives_a_reload_and_is_sent_once_when_it_returns(
    phone_page, live_server, field, shot, tmp_path
):
    page = phone_page
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    photo = tmp_path / "rumah.jpg"
    Image.new("RGB", (4000, 3000), (140, 100, 60)).save(photo, "JPEG", quality=95)
    login(page, live_server, "sri")
    _ready_for_the_field(page, live_server, "/kasus/", "/kasus/baru/")

    # No signal: the form still opens, from the phone.
    _offline(page)
    page.goto(f"{live_server.url}/pelatihan/")  # never opened on this phone
    expect(page.get_by_role("heading", name="Tidak ada sinyal")).to_be_visible()
    shot(page, "no-signal")
    page.goto(f"{live_server.url}/kasus/baru/")
    expect(page.get_by_role("heading", name="Asesmen PPKS baru")).to_be_visible()
    expect(page.locator("[data-net-status]")).to_have_text("Tanpa sinyal")
    _fill_case(page, "Mbah Painem", photo)
    page.wait_for_timeout(500)  # the draft is written 300 ms after the last keystroke
    assert "#draf=" in page.url

    # A reload (or a closed browser) loses nothing, photo included.
    page.reload()
    expect(page.locator("#draf-dipulihkan")).to_contain_text("Draf yang tersimpan di perangkat ini")
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Painem")
    expect(page.get_by_label("Masalah utama")).to_have_value("Tinggal sendiri, rumah hampir roboh.")
    expect(page.get_by_label("Lanjut Usia Terlantar (LUT)")).to_be_checked()
    shrunk = page.evaluate(
        """async () => {
            const f = document.querySelector("#id_foto").files[0];
            const b = await createImageBitmap(f);
            return [f.type, b.width, b.height, f.size];
        }"""
    )
    assert shrunk[:3] == ["image/jpeg", 1600, 1200], shrunk  # resized on the phone
    shot(page, "draft-restored")
    _no_sideways_scroll(page)

    # Submitting without signal puts it in the outbox: one waiting, nothing on the server.
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("#masuk-kotak-keluar")).to_contain_text("tersimpan di kotak keluar")
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    expect(page.locator("[data-outbox-summary]")).to_have_text("1 menunggu")
    _open_outbox(page)
    item = page.locator(".outbox-item")
    expect(item).to_have_count(1)
    expect(item.locator(".outbox-state")).to_have_text("Menunggu")
    expect(item).to_contain_text("Asesmen baru: Mbah Painem")
    _no_sideways_scroll(page)
    shot(page, "queued-offline")
    assert not Asesmen.objects.exists()

    # The signal returns: it is sent by itself, without a reload or a button.
    page.evaluate("window.stillTheSamePage = true")
    _online(page)
    expect(item.locator(".outbox-state")).to_have_text("Terkirim", timeout=15000)
    expect(page.locator("[data-outbox-count]")).to_have_text("0")
    expect(item).to_contain_text("Asesmen terkirim ke dinas (Diajukan).")
    # The notice in place of the form no longer says it will be sent.
    expect(page.locator("#masuk-kotak-keluar")).to_contain_text("sudah terkirim ke server")
    expect(page.locator("#masuk-kotak-keluar")).not_to_contain_text("akan dikirim")
    assert page.evaluate("window.stillTheSamePage") is True
    shot(page, "sent")
    case = Asesmen.objects.get()
    assert case.subjek.nama == "Mbah Painem" and case.status == S.DIAJUKAN
    assert case.foto_set.get().lebar == 1600
    assert KirimanOffline.objects.count() == 1
    page.wait_for_function("() => document.querySelector('[data-outbox-last]').textContent !== ''")
    sync = SinkronPerangkat.objects.get(pengguna=field["psm"])
    assert sync.menunggu == 0
    # The draft has gone with the sending; the case list shows the case, from the server.
    page.goto(f"{live_server.url}/kasus/")
    expect(page.get_by_role("link", name="Mbah Painem")).to_be_visible()
    expect(page.locator("[data-offline-drafts]")).to_be_hidden()
    assert [e for e in errors if "Content Security Policy" in e] == []


def test_a_forced_double_send_makes_one_record(phone_page, live_server, field, shot):
    page = phone_page
    _queue_a_case_offline(page, live_server, "Mbah Tukiyem")
    _online(page)
    # Three sends of the same item at once (the automatic one, and two more forced), plus a
    # stray copy sent by hand with the same identifier.
    page.evaluate(
        """async () => {
            const [item] = await window.portalOffline.list();
            const send = () => window.portalOffline.send(item.id);
            await Promise.all([send(), send()]);
        }"""
    )
    _open_outbox(page)
    expect(page.locator(".outbox-item .outbox-state")).to_have_text("Terkirim", timeout=15000)
    assert Asesmen.objects.count() == 1 and Asesmen.objects.get().status == S.DRAF
    assert KirimanOffline.objects.count() == 1
    shot(page, "double-send")

    # A double tap on the button with signal makes one record too.
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Sarijem")
    page.get_by_role("button", name="Ajukan ke dinas").dblclick()
    expect(page.locator("main .alert-success")).to_have_text(
        "Asesmen terkirim ke dinas (Diajukan)."
    )
    assert Asesmen.objects.filter(subjek__nama="Mbah Sarijem").count() == 1


def test_a_case_returned_while_the_psm_was_offline_shows_as_a_conflict(
    phone_page, live_server, field, shot
):
    page = phone_page
    psm, staf = field["psm"], field["staf"]
    case = make_case(psm, submit=False)
    login(page, live_server, "sri")
    edit = f"/kasus/{case.pk}/ubah/"
    _ready_for_the_field(page, live_server, "/kasus/", edit)

    # In the field: the draft opens from the phone and the PSM finishes it without signal.
    _offline(page)
    page.goto(f"{live_server.url}{edit}")
    page.get_by_label("Masalah utama").fill("Versi dari lapangan: atap runtuh sebagian.")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")

    # Meanwhile, at the office: the case is submitted from another device and returned.
    case = services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=psm)
    services.assessment_transition(
        asesmen=case,
        ke=S.DIKEMBALIKAN,
        by=staf,
        catatan="Tambahkan foto rumah.",
        komentar={"kondisi_rumah": "Jelaskan dinding dan atap."},
    )

    _online(page)
    item = page.locator(".outbox-item")
    expect(item.locator(".outbox-state")).to_have_text("Konflik", timeout=15000)
    expect(page.locator("[data-outbox-summary]")).to_have_text("1 perlu tindakan Anda")
    expect(item).to_contain_text("Kasus ini berubah di server")
    expect(item).to_contain_text("Tambahkan foto rumah.")
    expect(item).to_contain_text("Kondisi tempat tinggal: Jelaskan dinding dan atap.")
    expect(item.get_by_role("link", name="Lihat versi server")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "conflict")
    case.refresh_from_db()
    assert case.status == S.DIKEMBALIKAN and "lapangan" not in case.masalah  # nothing overwritten

    # The PSM decides to send their copy.
    item.get_by_role("button", name="Tetap kirim salinan saya").click()
    expect(item.locator(".outbox-state")).to_have_text("Terkirim", timeout=15000)
    case.refresh_from_db()
    assert case.status == S.DIAJUKAN and case.masalah.startswith("Versi dari lapangan")
    shot(page, "conflict-resolved")


def test_a_verified_case_cannot_be_overwritten_and_the_copy_can_be_discarded(
    phone_page, live_server, field
):
    page = phone_page
    page.on("dialog", lambda dialog: dialog.accept())
    case = make_case(field["psm"], submit=False)
    login(page, live_server, "sri")
    edit = f"/kasus/{case.pk}/ubah/"
    _ready_for_the_field(page, live_server, edit)
    _offline(page)
    page.goto(f"{live_server.url}{edit}")
    page.get_by_label("Masalah utama").fill("Salinan lama")
    page.get_by_role("button", name="Simpan draf").click()
    case = services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=field["psm"])
    services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=field["staf"])
    _online(page)
    item = page.locator(".outbox-item")
    expect(item.locator(".outbox-state")).to_have_text("Konflik", timeout=15000)
    expect(item).to_contain_text("sudah berstatus Diverifikasi dinas")
    expect(item.get_by_role("button", name="Tetap kirim salinan saya")).to_have_count(0)
    item.get_by_role("button", name="Buang salinan saya").click()
    expect(page.locator(".outbox-item")).to_have_count(0)
    case.refresh_from_db()
    assert case.masalah != "Salinan lama"


def _left_on_the_device(page):
    return page.evaluate(
        """async () => {
            const names = (await indexedDB.databases()).map(d => d.name);
            let drafts = 0;
            if (names.includes("portal-psm")) {
                const db = await new Promise((r) => {
                    const q = indexedDB.open("portal-psm");
                    q.onsuccess = () => r(q.result);
                });
                if (db.objectStoreNames.contains("drafts")) {
                    drafts = await new Promise((r) => {
                        const q = db.transaction("drafts").objectStore("drafts").count();
                        q.onsuccess = () => r(q.result);
                    });
                }
                db.close();
            }
            return { drafts, caches: await caches.keys() };
        }"""
    )


def _a_draft_on_the_phone(page, live_server):
    """Signed in as the field's PSM, the pages kept and a new case begun (its draft on the
    phone, nothing in the outbox)."""
    login(page, live_server, "sri")
    _ready_for_the_field(page, live_server, "/kasus/baru/")
    page.goto(f"{live_server.url}/kasus/baru/")
    page.locator("#id_s-nama").fill("Mbah Rahasia")
    page.wait_for_timeout(500)


def test_logging_out_wipes_the_devices_copy(phone_page, live_server, field):
    page = phone_page
    _a_draft_on_the_phone(page, live_server)
    assert page.evaluate("async () => (await window.portalOffline.list()).length") == 0
    assert page.evaluate(
        "async () => (await indexedDB.databases()).some(d => d.name === 'portal-psm')"
    )
    page.get_by_role("button", name="Buka menu").click()
    page.locator("#menu .account").click()  # the account's links: password, log out
    page.get_by_role("button", name="Keluar", exact=True).click()
    expect(page.get_by_label("Nama pengguna")).to_be_visible(timeout=30000)
    left = _left_on_the_device(page)
    assert left["drafts"] == 0 and "psm-halaman" not in left["caches"], left


def test_an_account_turned_off_wipes_the_devices_copy_at_its_next_page(
    phone_page, live_server, field, shot
):
    """A PSM stopped (or a phone reported lost) while the phone kept a draft about a person:
    the next page it opens with a signal is the login page, which wipes the draft and the kept
    pages and says why."""
    page = phone_page
    _a_draft_on_the_phone(page, live_server)
    assert _left_on_the_device(page)["drafts"] == 1
    type(field["psm"]).objects.filter(pk=field["psm"].pk).update(is_active=False)
    page.goto(f"{live_server.url}/kasus/")
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("akun ini dinonaktifkan dinas")
    page.wait_for_timeout(500)
    left = _left_on_the_device(page)
    assert left["drafts"] == 0 and "psm-halaman" not in left["caches"], left
    shot(page, "akun-dinonaktifkan")


def test_drafts_older_than_the_offices_period_are_deleted(phone_page, live_server, field, office):
    office.draf_offline_hari = 2
    office.save()
    page = phone_page
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    page.locator("#id_s-nama").fill("Mbah Lama")
    page.wait_for_function("() => localStorage.getItem('psm-draf-hari') === '2'")
    page.wait_for_timeout(500)
    page.goto(f"{live_server.url}/kasus/")
    expect(page.locator("[data-offline-drafts]")).to_contain_text("Asesmen baru: Mbah Lama")
    expect(page.get_by_role("link", name="Lanjutkan")).to_be_visible()
    old = (dt.datetime.now() - dt.timedelta(days=3)).timestamp() * 1000
    page.evaluate(
        """async (old) => {
            const db = await new Promise((r) => {
                const q = indexedDB.open("portal-psm");
                q.onsuccess = () => r(q.result);
            });
            const store = db.transaction("drafts", "readwrite").objectStore("drafts");
            const all = await new Promise((r) => {
                const q = store.getAll();
                q.onsuccess = () => r(q.result);
            });
            const tx = db.transaction("drafts", "readwrite");
            all.forEach(d => tx.objectStore("drafts").put({ ...d, savedAt: old }));
            await new Promise(r => { tx.oncomplete = r; });
        }""",
        old,
    )
    page.reload()
    expect(page.locator("[data-offline-drafts]")).to_be_hidden()


def test_an_english_page_tells_a_drafts_time_in_english(phone_page, live_server, field):
    """The drafts list wrote "saved 6 Des, 18.05" on the English page: times were always
    formatted for Indonesian."""
    page = phone_page
    login(page, live_server, "sri")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/kasus/baru/")
    page.locator("#id_s-nama").fill("Mbah Lama")
    expect(page.locator("[data-offline-status]")).to_contain_text(re.compile(r"\d{2}:\d{2}"))
    page.goto(f"{live_server.url}/kasus/")
    drafts = page.locator("[data-offline-drafts]")
    expect(drafts).to_contain_text("New assessment: Mbah Lama")
    expect(drafts).to_contain_text(
        re.compile(r"saved \d{1,2} [A-Z][a-z]{2}\S*,? (at )?\d{2}:\d{2}")
    )


def test_an_activity_recorded_offline_is_sent_when_the_signal_returns(
    phone_page, live_server, field, shot
):
    from registry.models import Kegiatan

    page = phone_page
    login(page, live_server, "sri")
    # the list too, never opened: the form's way back ("Kegiatan saya"), kept ahead (a walk)
    _ready_for_the_field(page, live_server, "/registri/kegiatan/catat/", "/registri/kegiatan/")
    _offline(page)
    page.goto(f"{live_server.url}/registri/kegiatan/catat/")
    page.get_by_label("Jenis kegiatan").select_option(index=1)
    page.get_by_label("Lama (jam)").fill("2")
    page.get_by_label("Tempat").fill("Balai Dusun Krajan")
    page.get_by_label("Uraian kegiatan").fill("Sosialisasi PKH kepada 20 warga.")
    page.wait_for_timeout(500)
    page.reload()
    expect(page.get_by_label("Tempat")).to_have_value("Balai Dusun Krajan")
    page.get_by_role("button", name="Simpan kegiatan").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")
    expect(page.get_by_role("link", name="Kegiatan saya")).to_be_visible()
    _no_sideways_scroll(page)
    shot(page, "activity-queued")
    assert not Kegiatan.objects.exists()
    # The PSM opens their list, kept on the phone, while the activity waits: once it is sent
    # the list says it is behind (a walk: it stayed as it was), and reloads on a tap.
    page.get_by_role("link", name="Kegiatan saya").click()
    stale = page.locator("[data-offline-list-stale]")
    expect(stale).to_be_hidden()
    _online(page)
    expect(stale).to_be_visible(timeout=20000)
    expect(stale).to_contain_text("Kegiatan dari kotak keluar sudah terkirim")
    _no_sideways_scroll(page)
    shot(page, "activity-list-behind")
    assert Kegiatan.objects.get().tempat == "Balai Dusun Krajan"
    stale.get_by_role("link", name="Muat ulang daftar").click()
    expect(page.locator("main")).to_contain_text("Balai Dusun Krajan")
    expect(page.locator("[data-offline-list-stale]")).to_be_hidden()
    _open_outbox(page)
    expect(page.locator(".outbox-item .outbox-state")).to_have_text("Terkirim")


def test_a_server_error_is_retried_later_and_send_now_sends_at_once(
    phone_page, live_server, field, shot
):
    page = phone_page
    _queue_a_case_offline(page, live_server, "Mbah Wagiyem")

    # The signal returns but the server is down for a moment: the item waits, and says when
    # it will be tried again.
    def down(route):
        if route.request.method == "POST":
            route.fulfill(status=503, body="sedang pemeliharaan")
        else:
            route.continue_()

    page.route("**/kasus/baru/", down)
    _online(page)
    _open_outbox(page)
    item = page.locator(".outbox-item")
    expect(item).to_contain_text("Server sedang bermasalah (503).", timeout=15000)
    expect(item).to_contain_text("percobaan ke-1")
    expect(item).to_contain_text("Dicoba lagi pukul")
    expect(item.locator(".outbox-state")).to_have_text("Menunggu")
    _no_sideways_scroll(page)
    shot(page, "retry-later")
    assert not Asesmen.objects.exists()

    # Back up: "Kirim sekarang" does not wait for the backoff.
    page.unroute("**/kasus/baru/", down)
    page.get_by_role("button", name="Kirim sekarang").click()
    expect(item.locator(".outbox-state")).to_have_text("Terkirim", timeout=15000)
    assert Asesmen.objects.get().subjek.nama == "Mbah Wagiyem"


def test_a_send_that_hangs_is_given_up_and_tried_again(phone_page, live_server, field):
    """The signal bar shows, but the connection is dead: the server never answers. The send is
    given up after its time (a minute, more for a larger form; here shorter) and the item waits
    for the next try, instead of sending for good and holding the lock another tab waits on."""
    page = phone_page
    _queue_a_case_offline(page, live_server, "Mbah Sumirah")
    page.evaluate("() => { window.portalOffline.baseTimeoutMs = 1500; }")
    hanging = []

    def never(route):
        if route.request.method == "POST":
            hanging.append(route)  # no answer, ever
        else:
            route.continue_()

    page.route("**/kasus/baru/", never)
    _online(page)
    _open_outbox(page)
    item = page.locator(".outbox-item")
    expect(item).to_contain_text("Tidak ada sinyal.", timeout=15000)
    expect(item.locator(".outbox-state")).to_have_text("Menunggu")
    assert hanging and not Asesmen.objects.exists()

    page.unroute("**/kasus/baru/", never)
    page.get_by_role("button", name="Kirim sekarang").click()
    expect(item.locator(".outbox-state")).to_have_text("Terkirim", timeout=15000)
    assert Asesmen.objects.get().subjek.nama == "Mbah Sumirah"


def test_the_button_tapped_says_mengirim_while_the_form_is_on_its_way(
    phone_page, live_server, field, shot
):
    """A walk: on a weak signal nothing by the thumb said the form was being sent (the outbox
    bar says it, off the screen above a long form), so a PSM waited before a button that only
    looked faded. Once sent, the next page; back on the form, it is a form ready again (loaded
    afresh: Playwright's Chromium keeps no page whole for Back, where offline.js reloads one)."""
    page = phone_page
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Sukarni")

    held = []  # a village's upload: under way until the test lets it through
    page.route(
        "**/kasus/baru/",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    page.get_by_role("button", name="Ajukan ke dinas").click()
    busy = page.get_by_role("button", name="Mengirim…")
    expect(busy).to_be_disabled()
    expect(busy).to_have_attribute("aria-busy", "true")
    expect(page.get_by_role("button", name="Simpan draf")).to_be_disabled()
    shot(page, "mengirim")
    assert len(held) == 1
    held[0].continue_()
    expect(page.locator("main .alert-success")).to_have_text(
        "Asesmen terkirim ke dinas (Diajukan).", timeout=15000
    )
    page.go_back()
    expect(page.get_by_role("button", name="Ajukan ke dinas")).to_be_enabled()
    expect(page.get_by_role("button", name="Mengirim…")).to_have_count(0)


def test_a_page_that_never_begins_to_arrive_gives_way_to_the_no_signal_page(
    phone_page, live_server, field, settings
):
    """The signal bar shows but nothing comes through, and the page was never kept on the phone:
    the service worker stops waiting (a minute; here four seconds) and shows its no-signal page,
    which tries again by itself, instead of a blank screen for as long as the browser holds on."""
    from tests.browser import urls_slow

    urls_slow.released.clear()
    settings.ROOT_URLCONF = "tests.browser.urls_slow"
    settings.PSM_OFFLINE_PAGE_TIMEOUT_S = 4
    page = phone_page
    login(page, live_server, "sri")
    _ready_for_the_field(page, live_server, "/kasus/")
    try:
        page.goto(f"{live_server.url}/uji/tidak-sampai/")
        expect(page.get_by_role("heading", name="Tidak ada sinyal")).to_be_visible(timeout=15000)
        assert page.get_by_role("heading", name="Akhirnya").count() == 0
    finally:
        urls_slow.released.set()


def _watch_posts(page, pattern, answer=lambda request: None):
    """The POSTs the page makes to ``pattern``, as (outbox identifier or None, photo attached).
    ``answer(request)`` may hold one back ("putus": the signal is lost; a number: milliseconds
    of a slow upload)."""
    posts = []

    def handle(route):
        request = route.request
        if request.method == "POST":
            body = request.post_data_buffer or b""
            photo = re.search(rb'filename="[^"]+"', body) is not None
            posts.append((request.headers.get("x-offline-kiriman"), photo))
            held = answer(request)
            if held == "putus":
                route.abort("internetdisconnected")
                return
            if held:
                page.wait_for_timeout(held)
        route.continue_()

    page.route(pattern, handle)
    return posts


def test_a_form_being_sent_is_not_sent_again_by_the_outbox_meanwhile(
    phone_page, live_server, field
):
    """The timer's flush (or another tab's) took the item the submit was sending for one still
    waiting: a refused form reached the server twice, the server keeping no receipt of it."""
    page = phone_page
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Sukinem")
    page.get_by_label("Masalah utama").fill("")
    # A phone's upload takes a while: the timer fires meanwhile.
    posts = _watch_posts(
        page, "**/kasus/baru/", lambda r: 1500 if r.headers.get("x-offline-kiriman") else None
    )
    page.get_by_role("button", name="Ajukan ke dinas").click()
    page.evaluate("() => { window.portalOffline.flush(); }")
    expect(page.locator("#ringkasan-galat")).to_contain_text("Masalah utama", timeout=15000)
    assert len([key for key, _photo in posts if key]) == 1, posts
    assert not Asesmen.objects.exists()


def test_a_refused_form_keeps_its_photo_and_the_devices_copy_until_the_page_shows_why(
    phone_page, live_server, field, tmp_path
):
    """With signal, a refused form opens the server's page, which shows what to fix next to each
    field: it is asked for without the photos (they went with the refused copy) and the draft
    stays on the phone, so the photo is still there and a signal lost meanwhile loses nothing
    (the draft and the outbox item were deleted before that page came)."""
    page = phone_page
    photo = tmp_path / "rumah.jpg"
    Image.new("RGB", (800, 600), (140, 100, 60)).save(photo, "JPEG")
    login(page, live_server, "sri")
    _ready_for_the_field(page, live_server, "/kasus/", "/kasus/baru/")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Ngatinem", photo)
    page.get_by_label("Masalah utama").fill("")

    # The refusal comes, then the signal goes before the page showing it does.
    posts = _watch_posts(
        page,
        "**/kasus/baru/**",
        lambda r: "putus" if not r.headers.get("x-offline-kiriman") and len(posts) < 3 else None,
    )
    page.get_by_role("button", name="Ajukan ke dinas").click()
    for _ in range(100):
        if page.url.startswith("chrome-error:"):
            break
        page.wait_for_timeout(100)
    page.goto(f"{live_server.url}/kasus/")
    expect(page.locator("[data-offline-drafts]")).to_contain_text("Asesmen baru: Mbah Ngatinem")
    page.get_by_role("link", name="Lanjutkan").click()
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Ngatinem")
    page.wait_for_function("() => document.querySelector('#id_foto').files.length === 1")

    # With signal: the server's page says what to fix, and the photo is still in the form.
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("#ringkasan-galat")).to_contain_text("Masalah utama", timeout=15000)
    # the phone's copy is not "restored": the PSM has just sent it
    expect(page.locator("#draf-dipulihkan")).to_contain_text(
        "Isian Anda (beserta fotonya, bila ada) tetap tersimpan di perangkat ini sampai terkirim."
    )
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Ngatinem")
    expect(page.locator("main")).not_to_contain_text("perlu dipilih ulang")
    page.wait_for_function("() => document.querySelector('#id_foto').files.length === 1")
    # Each refused copy went once with the photo; the page was asked for without it.
    assert [photo_sent for key, photo_sent in posts if key] == [True, True], posts
    assert [photo_sent for key, photo_sent in posts if not key] == [False, False], posts

    page.get_by_label("Masalah utama").fill("Tinggal sendiri, rumah hampir roboh.")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("main .alert-success")).to_have_text(
        "Asesmen terkirim ke dinas (Diajukan)."
    )
    case = Asesmen.objects.get()
    assert case.subjek.nama == "Mbah Ngatinem" and case.foto_set.count() == 1
    page.goto(f"{live_server.url}/kasus/")
    expect(page.locator("[data-offline-drafts]")).to_be_hidden()


def test_a_form_refused_for_its_photos_sends_them_again_to_the_page_that_says_why(
    phone_page, live_server, field, tmp_path, settings
):
    """Asked for without the photos, the server's page would have found the same form valid and
    saved it without them, and without a word: when the photos are what was refused, they go
    again, and the page says what to fix."""
    settings.PSM_MAX_CASE_PHOTOS = 0
    page = phone_page
    photo = tmp_path / "rumah.jpg"
    Image.new("RGB", (800, 600), (140, 100, 60)).save(photo, "JPEG")
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Painem", photo)
    posts = _watch_posts(page, "**/kasus/baru/**")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("#ringkasan-galat")).to_contain_text("Paling banyak 0 foto", timeout=15000)
    assert [photo_sent for _key, photo_sent in posts] == [True, True], posts
    assert not Asesmen.objects.exists()
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Painem")


def test_a_form_refused_for_an_unreadable_photo_is_not_saved_without_it(
    phone_page, live_server, field, tmp_path
):
    """A file the phone could not shrink goes as it is, and the server cannot read it: a problem
    of the whole form, not of a field. The photos go again to the page that says so."""
    page = phone_page
    photo = tmp_path / "rumah.jpg"
    photo.write_bytes(b"bukan gambar " * 100)
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Sarinah")
    page.get_by_label("Foto").set_input_files(str(photo))
    posts = _watch_posts(page, "**/kasus/baru/**")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("main")).to_contain_text("bukan gambar yang dapat dibaca", timeout=15000)
    assert [photo_sent for _key, photo_sent in posts] == [True, True], posts
    assert not Asesmen.objects.exists()


def test_a_form_filled_offline_for_a_subject_merged_meanwhile_goes_to_the_subject_kept(
    phone_page, live_server, field
):
    """It was refused (the PSM no longer sees a merged subject) and could only be thrown away.
    (The subject's first case a draft: once one went to the office, the form has no identity.)"""
    page = phone_page
    mine = make_case(field["psm"], subject={"nama": "Mbah Karto"}, submit=False).subjek
    kept = make_case(field["staf"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    login(page, live_server, "sri")
    new_case = f"/kasus/baru/?subjek={mine.pk}"
    _ready_for_the_field(page, live_server, "/kasus/")
    page.goto(f"{live_server.url}{new_case}")  # the phone keeps the page as it is opened
    _ready_for_the_field(page, live_server, new_case)
    _offline(page)
    page.goto(f"{live_server.url}{new_case}")
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Karto")
    _fill_case_part(page, "Mbah Karto", problem="Atap runtuh setelah hujan semalam.")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")

    services.subject_merge(keep=kept, duplicate=mine, by=field["staf"])
    _online(page)
    _open_outbox(page)
    item = page.locator(".outbox-item")
    expect(item.locator(".outbox-state")).to_have_text("Terkirim", timeout=15000)
    expect(item).to_contain_text(f"sudah digabung dinas ke subjek #{kept.pk}")
    case = Asesmen.objects.get(masalah="Atap runtuh setelah hujan semalam.")
    assert case.subjek_id == kept.pk and case.status == S.DIAJUKAN
    kept.refresh_from_db()
    assert kept.nama == "Mbah Karto Wiryo"


def test_identity_typed_in_a_draft_is_said_unused_once_the_office_holds_the_subject(
    phone_page, live_server, field
):
    """A draft of a new case with the subject's name corrected, reopened after the subject's
    other case went to the office: the page has no identity part any more, and says that what
    was typed there is not used (it vanished unsaid)."""
    page = phone_page
    first = make_case(field["psm"], subject={"nama": "Mbah Karto"}, submit=False)
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/?subjek={first.subjek_id}")
    page.locator("#id_s-nama").fill("Mbah Karto Wiryo")
    page.wait_for_timeout(500)  # the draft is written 300 ms after the last keystroke
    assert "#draf=" in page.url
    services.assessment_transition(asesmen=first, ke=S.DIAJUKAN, by=field["psm"])
    page.reload()
    expect(page.locator("#draf-dipulihkan")).to_be_visible()
    expect(page.locator("#identitas-draf-tidak-dipakai")).to_contain_text(
        "Identitas subjek yang Anda ketik di draf ini tidak dipakai lagi"
    )
    _no_sideways_scroll(page)

    # A draft whose identity was only shown, not changed, has nothing to say about it.
    other = make_case(field["psm"], subject={"nama": "Mbah Painem"}, submit=False)
    page.goto(f"{live_server.url}/kasus/baru/?subjek={other.subjek_id}")
    page.get_by_label("Masalah utama").fill("Atap bocor.")
    page.wait_for_timeout(500)
    assert "#draf=" in page.url
    services.assessment_transition(asesmen=other, ke=S.DIAJUKAN, by=field["psm"])
    page.reload()
    expect(page.locator("#draf-dipulihkan")).to_be_visible()
    expect(page.get_by_label("Masalah utama")).to_have_value("Atap bocor.")
    expect(page.locator("#identitas-draf-tidak-dipakai")).to_have_count(0)


def test_a_submit_that_joins_the_timers_send_shows_its_messages_on_the_next_page(
    phone_page, live_server, field
):
    """The timer's flush had started sending the item the submit was about to send: the submit
    joined that send, a background one, whose messages the server keeps for no page. The case
    page came without "terkirim ke dinas"."""
    page = phone_page
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Sukinah")
    sends = []

    def slow(route):
        if route.request.method == "POST":
            sends.append(route.request.headers.get("x-offline-latar"))
            page.wait_for_timeout(1500)  # a phone's upload: the submit joins meanwhile
        route.continue_()

    page.route("**/kasus/baru/", slow)
    # The timer fires as the PSM taps: its send of the new item is under way first.
    page.evaluate(
        """() => {
            const outbox = window.portalOffline, send = outbox.send;
            outbox.send = async (id, options) => {
                outbox.flush();
                const state = async () => (await outbox.list()).find((i) => i.id === id).state;
                while ((await state()) !== "mengirim") await new Promise((r) => setTimeout(r, 10));
                return send(id, options);
            };
        }"""
    )
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("main .alert-success")).to_have_text(
        "Asesmen terkirim ke dinas (Diajukan).", timeout=15000
    )
    expect(page.locator("main .alert")).to_have_count(1)
    case = Asesmen.objects.get(subjek__nama="Mbah Sukinah")
    assert page.url == f"{live_server.url}/kasus/{case.pk}/"
    assert sends == ["1"]  # one send, the timer's
    page.reload()  # shown once, as Django's own messages are
    expect(page.locator("main .alert")).to_have_count(0)


def test_a_submit_that_waited_for_another_tabs_send_shows_its_warning_on_the_next_page(
    phone_page, live_server, field
):
    """The same with the PSM's other tab sending the item: the submit waits for that send (the
    lock across tabs) and then finds the item sent. The warning that identity typed for a
    subject merged meanwhile was not saved shows, as a warning. (The subject's first case a
    draft: once one went to the office, the form has no identity part.)"""
    page = phone_page
    mine = make_case(field["psm"], subject={"nama": "Mbah Karto"}, submit=False).subjek
    kept = make_case(field["staf"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    login(page, live_server, "sri")
    other = page.context.new_page()
    other.goto(f"{live_server.url}/kasus/")
    page.goto(f"{live_server.url}/kasus/baru/?subjek={mine.pk}")
    services.subject_merge(keep=kept, duplicate=mine, by=field["staf"])
    page.locator("#id_s-nama").fill("Mbah Kartodiharjo")
    _fill_case_part(page, "Mbah Karto", problem="Dinding retak setelah gempa.")

    held = []
    other.route(
        "**/kasus/baru/**",
        lambda route: held.append(route) if route.request.method == "POST" else route.continue_(),
    )
    own_posts = _watch_posts(page, "**/kasus/baru/**")
    # The submit stops before sending, until the other tab's send is under way.
    page.evaluate(
        """() => {
            const outbox = window.portalOffline, send = outbox.send;
            outbox.send = (id, options) => new Promise((resolve) => {
                window.queued = id;
                window.goOn = () => resolve(send(id, options));
            });
        }"""
    )
    page.get_by_role("button", name="Ajukan ke dinas").click()
    page.wait_for_function("() => window.queued")
    other.evaluate("(id) => { window.portalOffline.send(id); }", page.evaluate("window.queued"))
    for _ in range(100):
        if held:
            break
        other.wait_for_timeout(100)
    assert held, "the other tab did not send"
    page.evaluate("() => window.goOn()")
    for _ in range(100):
        if page.evaluate("async () => (await navigator.locks.query()).pending.length > 0"):
            break
        page.wait_for_timeout(50)
    held[0].continue_()

    warning = page.locator("main .alert-warning")
    expect(warning).to_contain_text(f"sudah digabung dinas ke subjek #{kept.pk}", timeout=15000)
    expect(warning).to_contain_text("tidak disimpan (Nama: Mbah Kartodiharjo)")
    expect(page.locator("main .alert-success")).to_have_text(
        "Asesmen terkirim ke dinas (Diajukan)."
    )
    case = Asesmen.objects.get(masalah="Dinding retak setelah gempa.")
    assert case.subjek_id == kept.pk
    assert page.url == f"{live_server.url}/kasus/{case.pk}/"
    assert own_posts == []  # this tab waited, and sent nothing


def test_a_form_the_outbox_sent_and_was_refused_reopens_on_its_own_page_with_what_to_fix(
    phone_page, live_server, field, shot
):
    """A browser walk: on the form's own page "Buka formulir" changed only the address's
    #fragment, so nothing loaded, the form stayed hidden and the outbox item was gone; and a
    reopened form no longer said what the server had asked to fix."""
    page = phone_page
    login(page, live_server, "sri")
    _ready_for_the_field(page, live_server, "/kasus/baru/")
    _offline(page)
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Ngatinem")
    page.locator("#id_kebutuhan").fill("")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("[data-outbox-count]")).to_have_text("1")

    _online(page)  # the outbox sends it by itself; the server asks for the needs
    _open_outbox(page)
    expect(_outbox(page)).to_contain_text("Kebutuhan:", timeout=20000)
    page.get_by_role("button", name="Buka formulir").click()
    expect(page.locator("#id_s-nama")).to_be_visible()
    expect(page.locator("#id_s-nama")).to_have_value("Mbah Ngatinem")
    expect(page.locator("#draf-diminta-perbaiki")).to_contain_text("Kebutuhan:")
    expect(page.locator("#id_kebutuhan")).to_have_class(re.compile(r"\bis-invalid\b"))
    _no_sideways_scroll(page)
    shot(page, "reopened")

    page.locator("#id_kebutuhan").fill("Permakanan.")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("main .alert-success")).to_have_text(
        "Asesmen terkirim ke dinas (Diajukan)."
    )
    assert Asesmen.objects.get().kebutuhan == "Permakanan."


def test_enter_in_a_field_of_the_case_form_saves_a_draft(phone_page, live_server, field):
    """A browser walk: Enter (a phone keyboard's "Go") pressed "Ajukan ke dinas", the form's
    first button, and the case went to the office unasked, no longer the PSM's to change."""
    page = phone_page
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/kasus/baru/")
    _fill_case(page, "Mbah Ngatinem")
    page.get_by_label("Nama pemberi persetujuan").press("Enter")
    expect(page.locator("main .alert-success")).to_have_text("Draf asesmen tersimpan.")
    assert Asesmen.objects.get().status == S.DRAF


def test_a_returned_cases_copy_refused_then_sent_does_not_come_back(phone_page, live_server, field):
    """A walk: a returned case refused once (its copy's page read "#draf=assessment:/kasus/N/
    ubah/", whose identifier a word match cut to "assessment"), then fixed and sent, kept its
    refused copy on the phone: returned again, the form came back filled with the old text, and
    one more tap would have sent it over the office's version."""
    page = phone_page
    psm, staf = field["psm"], field["staf"]
    case = make_case(psm)
    services.assessment_transition(asesmen=case, ke=S.DIKEMBALIKAN, by=staf, catatan="Lengkapi.")
    login(page, live_server, "sri")
    edit = f"{live_server.url}/kasus/{case.pk}/ubah/"
    page.goto(edit)
    page.get_by_label("Masalah utama").fill("VERSI LAMA")
    page.locator("#id_kebutuhan").fill("")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("#ringkasan-galat")).to_contain_text("Kebutuhan", timeout=15000)
    expect(page.locator("#draf-dipulihkan")).to_be_visible()  # the copy filled in again
    expect(page.get_by_label("Masalah utama")).to_have_value("VERSI LAMA")
    page.get_by_label("Masalah utama").fill("VERSI BARU")
    page.locator("#id_kebutuhan").fill("Permakanan.")
    page.get_by_role("button", name="Ajukan ke dinas").click()
    expect(page.locator("main .alert-success")).to_be_visible(timeout=15000)
    assert _left_on_the_device(page)["drafts"] == 0
    case.refresh_from_db()
    assert case.masalah == "VERSI BARU"
    services.assessment_transition(asesmen=case, ke=S.DIKEMBALIKAN, by=staf, catatan="Lagi.")
    page.goto(edit)
    expect(page.get_by_label("Masalah utama")).to_have_value("VERSI BARU")
    expect(page.locator("#draf-dipulihkan")).to_have_count(0)


def test_back_to_an_activity_already_saved_is_a_blank_form(phone_page, live_server, field):
    """A walk: Back after saving an activity showed the form filled again (the browser refills
    it) under a new identifier, and saving it recorded the activity twice."""
    from registry.models import Kegiatan

    page = phone_page
    login(page, live_server, "sri")
    page.goto(f"{live_server.url}/registri/kegiatan/catat/")
    page.get_by_label("Jenis kegiatan").select_option(index=1)
    page.get_by_label("Lama (jam)").fill("2")
    page.get_by_label("Tempat").fill("Balai Dusun Krajan")
    page.get_by_label("Uraian kegiatan").fill("Sosialisasi PKH kepada 20 warga.")
    page.get_by_role("button", name="Simpan kegiatan").click()
    expect(page.locator("main .alert-success")).to_be_visible(timeout=15000)
    page.go_back()
    expect(page.get_by_label("Tempat")).to_have_value("")
    expect(page.get_by_label("Uraian kegiatan")).to_have_value("")
    assert Kegiatan.objects.count() == 1


def test_logging_out_without_signal_logs_out_nothing_and_wipes_nothing(
    phone_page, live_server, field
):
    """A walk: "Keluar" with no signal wiped the phone's drafts and pages, then showed the
    browser's error page, and the session stayed signed in: on a shared phone the PSM took it
    for signed out. Now nothing is wiped until the server has signed them out, and they are
    told why."""
    page = phone_page
    said = []
    page.on("dialog", lambda dialog: (said.append(dialog.message), dialog.accept()))
    _a_draft_on_the_phone(page, live_server)
    _offline(page)
    page.get_by_role("button", name="Buka menu").click()
    page.locator("#menu .account").click()  # the account's links: password, log out
    page.get_by_role("button", name="Keluar", exact=True).click()
    page.wait_for_timeout(1000)
    assert said and said[-1].startswith("Keluar butuh sinyal"), said
    assert _left_on_the_device(page)["drafts"] == 1
    _online(page)
    if not page.get_by_role("button", name="Keluar", exact=True).is_visible():
        page.locator("#menu .account").click()
    page.get_by_role("button", name="Keluar", exact=True).click()
    expect(page.get_by_label("Nama pengguna")).to_be_visible(timeout=30000)
    expect(page.locator("body")).to_contain_text("Anda sudah keluar.")
    assert _left_on_the_device(page)["drafts"] == 0
