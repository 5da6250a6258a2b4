"""The PPKS journey in Chromium: a PSM on a 360 px phone assesses an elderly neighbour with a
photo and submits; staff return it with a comment on one field; the PSM fixes and resubmits;
staff see what changed, verify and refer to PKH; the referral shows as stalled after the
office's deadline."""

import datetime as dt

import pytest
from PIL import Image
from playwright.sync_api import expect

from assessments.models import Asesmen, Rujukan
from psm_portal.models import Role
from tests.browser.conftest import login
from tests.factories import PsmFactory, make_case, make_user, ppks_reference

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width} px wide at 360 px"


def test_psm_case_from_phone_to_stalled_referral(
    phone_page, browser, live_server, regions, office, shot, tmp_path
):
    ppks_reference()
    make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    make_user(Role.STAF, scope=["33.71"], username="rina")
    photo = tmp_path / "rumah.jpg"
    Image.new("RGB", (3000, 2000), (120, 90, 60)).save(photo, "JPEG")
    phone = phone_page
    csp_errors = []
    phone.on(
        "console",
        lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # The PSM fills the form on the phone and submits it with a photo.
    login(phone, live_server, "sri")
    phone.goto(f"{live_server.url}/kasus/")
    phone.get_by_role("link", name="Asesmen baru").click()
    _no_sideways_scroll(phone)
    phone.locator("#id_s-jenis").select_option("orang")
    phone.locator("#id_s-nama").fill("Mbah Karto Suwito")
    phone.get_by_label("Alasan tanpa NIK").select_option("tidak_punya")
    phone.locator("#id_s-jenis_kelamin").select_option("L")
    phone.locator("#id_s-tanggal_lahir").fill("1944-08-17")
    phone.get_by_label("Alamat domisili").fill("Kampung Botton, dekat musala")
    phone.get_by_label("RT", exact=True).fill("03")
    phone.get_by_label("RW", exact=True).fill("07")
    phone.get_by_label("Desa/kelurahan domisili").select_option("33.71.01.1003")
    phone.locator("#id_jenis").select_option("awal")
    phone.get_by_label("Cara kontak").select_option("kunjungan")
    phone.get_by_label("Persetujuan diberikan oleh").select_option("subjek")
    phone.get_by_label("Nama pemberi persetujuan").fill("Karto Suwito")
    phone.get_by_label("Lanjut Usia Terlantar (LUT)").check()
    phone.get_by_label("Kategori utama").select_option("PPKS-08")
    phone.get_by_label("Masalah utama").fill("Tinggal sendiri, tidak ada penghasilan tetap.")
    phone.locator("#id_kebutuhan").fill("Permakanan dan pemeriksaan kesehatan.")
    phone.get_by_label("Urgensi").select_option("segera")
    phone.get_by_label("Foto").set_input_files(str(photo))
    shot(phone, "form-filled")
    phone.get_by_role("button", name="Ajukan ke dinas").click()
    expect(
        phone.locator(".alert", has_text="Asesmen terkirim ke dinas (Diajukan).")
    ).to_be_visible()
    expect(phone.get_by_role("img", name="Foto 1")).to_be_visible()
    _no_sideways_scroll(phone)
    shot(phone, "submitted")
    case = Asesmen.objects.get()
    assert case.foto_set.count() == 1

    # Staff, at a desk, return it with a comment on one field.
    desk = browser.new_page(locale="id-ID")
    login(desk, live_server, "rina")
    desk.goto(f"{live_server.url}/kasus/antrean/")
    desk.get_by_role("link", name="Mbah Karto Suwito").click()
    desk.get_by_text("Kembalikan untuk perbaikan").click()
    # each comment box under its own label, across the column (they ran inline: a label sat
    # beside the next field's box)
    boxes = desk.locator("textarea[name^=komentar_]")
    assert boxes.count() == 9
    for i in range(boxes.count()):
        box = boxes.nth(i)
        label = desk.locator(f"label[for='{box.get_attribute('id')}']").bounding_box()
        field = box.bounding_box()
        assert label["y"] + label["height"] <= field["y"] + 1 and abs(label["x"] - field["x"]) < 2
    expect(desk.get_by_label("Komentar untuk Kategori PPKS")).to_be_visible()
    desk.get_by_label("Komentar untuk Kondisi tempat tinggal").fill(
        "Jelaskan kondisi rumah: dinding, lantai, atap."
    )
    desk.get_by_role("button", name="Kirim kembali ke PSM").click()
    expect(desk.get_by_text("Status asesmen: Dikembalikan untuk perbaikan.")).to_be_visible()

    # The PSM sees the comment in their list, fixes the field and resubmits.
    phone.goto(f"{live_server.url}/kasus/")
    expect(phone.get_by_text("Jelaskan kondisi rumah: dinding, lantai, atap.")).to_be_visible()
    shot(phone, "returned")
    phone.get_by_role("link", name="Perbaiki").click()
    expect(phone.locator("#komentar-pengembalian")).to_contain_text("Kondisi tempat tinggal")
    expect(phone.locator("#id_s-nama")).to_have_value("Mbah Karto Suwito")
    phone.get_by_label("Kondisi tempat tinggal").fill("Dinding bambu, lantai tanah, atap bocor.")
    phone.locator("#id_s-nama").fill("Karto Suwito")  # as on the KTP the neighbour found
    phone.get_by_role("button", name="Ajukan ke dinas").click()
    expect(
        phone.locator(".alert", has_text="Asesmen terkirim ke dinas (Diajukan).")
    ).to_be_visible()

    # Staff see what changed, verify, and refer to PKH.
    desk.reload()
    expect(desk.get_by_text("Perubahan pada versi 2 dibanding versi sebelumnya")).to_be_visible()
    expect(
        desk.get_by_role("cell", name="Dinding bambu, lantai tanah, atap bocor.")
    ).to_be_visible()
    name_row = desk.get_by_role("row", name="Nama (subjek)")
    expect(name_row).to_contain_text("Mbah Karto Suwito")
    expect(name_row).to_contain_text("Karto Suwito")
    shot(desk, "diff")
    desk.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(desk.locator("#status-kasus")).to_have_text("Diverifikasi dinas")
    desk.get_by_role("link", name="Rujuk ke program").click()
    desk.get_by_label("Program").select_option("PKH")
    desk.get_by_label("Instansi tujuan").fill("Pendamping PKH Kecamatan Magelang Selatan")
    desk.get_by_label("Nomor surat").fill("400.9/017/Dinsos/2026")
    desk.get_by_role("button", name="Simpan rujukan").click()
    expect(desk.locator("#status-kasus")).to_have_text("Dirujuk")
    expect(desk.get_by_text("Program Keluarga Harapan (PKH)", exact=True)).to_be_visible()

    # Nothing is stalled yet; once the deadline has passed, the referral is listed.
    desk.goto(f"{live_server.url}/kasus/rujukan/macet/")
    expect(desk.get_by_text("Tidak ada rujukan yang macet.")).to_be_visible()
    waited = dt.date.today() - dt.timedelta(days=office.rujukan_macet_hari + 2)
    Rujukan.objects.update(status_sejak=waited)  # time passes with no answer from PKH
    desk.reload()
    row = desk.locator("tr.stalled-referral")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Program Keluarga Harapan (PKH)")
    expect(row).to_contain_text("Magelang Selatan")
    shot(desk, "stalled")
    desk.close()
    assert csp_errors == []


def test_an_identity_sent_to_the_office_is_corrected_by_the_office(
    phone_page, browser, live_server, regions, office, shot
):
    """The PSM finds the identity fixed once the case went to the office (the form says why,
    on the phone); staff correct it, with a reason, from the subject's page."""
    ppks_reference()
    psm_user = make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    make_user(Role.STAF, scope=["33.71"], username="rina")
    case = make_case(psm_user, subject={"nama": "Mbah Sarinh"})

    login(phone_page, live_server, "sri")
    phone_page.goto(f"{live_server.url}/kasus/baru/?subjek={case.subjek_id}")
    expect(phone_page.locator("#identitas-terkunci")).to_contain_text("minta staf dinas")
    expect(phone_page.locator("#id_s-nama")).to_have_count(0)
    _no_sideways_scroll(phone_page)
    shot(phone_page, "locked-identity-360")

    desk = browser.new_page(locale="id-ID")
    login(desk, live_server, "rina")
    desk.goto(f"{live_server.url}/kasus/subjek/{case.subjek_id}/")
    desk.get_by_role("link", name="Koreksi identitas").click()
    expect(desk.locator("#id_s-nama")).to_have_value("Mbah Sarinh")
    desk.locator("#id_s-nama").fill("Mbah Sarinah")
    desk.get_by_role("button", name="Simpan koreksi").click()
    # the reason is asked for, and the typed name is still there
    expect(desk.locator("#ringkasan-galat")).to_contain_text("Tulis alasan koreksi.")
    expect(desk.locator("#id_s-nama")).to_have_value("Mbah Sarinah")
    desk.get_by_label("Alasan koreksi").fill("Permintaan keluarga, KTP diperlihatkan.")
    shot(desk, "correction-form")
    desk.get_by_role("button", name="Simpan koreksi").click()
    expect(desk.locator(".alert", has_text="Identitas subjek dikoreksi.")).to_be_visible()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Mbah Sarinah")
    desk.close()


def test_a_name_of_the_longest_kind_does_not_widen_the_phone_page(
    phone_page, live_server, regions, office, shot
):
    """150 letters without a space, the field's most (a name typed without spaces, a pasted
    string): it ran off the right edge of the case's and the subject's pages."""
    ppks_reference()
    psm_user = make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    long_name = "Sarinah" + "x" * 143
    case = make_case(psm_user, subject={"nama": long_name})
    login(phone_page, live_server, "sri")
    for path in (
        f"/kasus/{case.pk}/",
        f"/kasus/subjek/{case.subjek_id}/",
        "/kasus/",
        f"/kasus/baru/?subjek={case.subjek_id}",
    ):
        phone_page.goto(f"{live_server.url}{path}")
        expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
        _no_sideways_scroll(phone_page)
    shot(phone_page, "long-name-360")
