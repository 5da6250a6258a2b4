"""English, the portal's second language: text a crawl of every page in English found left in
Indonesian, because the extractor never saw it (an alias of gettext_lazy, gettext inside an
f-string, a JavaScript template, text written into a script) or because it had no label."""

import pytest
from django.test import Client
from django.urls import reverse

from psm_portal.models import Kantor, Role
from tests.factories import KegiatanFactory, PsmFactory, make_case, make_user

EN = {"accept-language": "en"}


@pytest.fixture
def desk(users):
    from psm_portal.models import Role

    client = Client()
    client.force_login(users[Role.STAF])
    return client


def test_the_roster_import_form_speaks_english(desk):
    page = desk.get(reverse("registry:import-upload"), headers=EN).content.decode()
    assert "PSM roster file (XLSX or CSV)" in page
    assert "At most 10 MB. The first row holds the column headings." in page
    # what the page's script shows when the upload loses its connection
    assert 'data-connection-lost="The connection was lost. Try uploading again."' in page
    assert "Berkas daftar PSM" not in page and "Koneksi terputus" not in page


def test_a_psm_without_bimtek_reads_none_yet_in_the_list(desk, regions):
    PsmFactory()
    page = desk.get(reverse("registry:psm-list"), headers=EN).content.decode()
    assert ">none yet</span>" in page and ">belum</span>" not in page


def test_the_activity_decision_is_labelled(desk, psm):
    kegiatan = KegiatanFactory(psm=psm)
    page = desk.get(reverse("registry:activity-detail", args=[kegiatan.pk]), headers=EN)
    body = page.content.decode()
    assert "Decision" in body and "Keputusan" not in body


def test_a_subjects_decile_is_in_english(desk, users):
    from psm_portal.models import Role

    case = make_case(users[Role.PSM])
    case.subjek.desil = 2
    case.subjek.save()
    body = desk.get(reverse("assessments:case-detail", args=[case.pk]), headers=EN)
    assert "(decile 2)" in body.content.decode()


@pytest.mark.django_db
def test_the_service_workers_no_signal_page_is_in_both_languages_for_every_reader():
    """Its text never reached the catalogue (a JavaScript template), so it was Indonesian only.
    One file for every reader: a file per language would reinstall the worker, and fetch its
    app shell again, whenever a reader changed language."""
    english = Client().get("/sw.js", headers=EN).content.decode()
    assert "No signal" in english and "Tidak ada sinyal" in english
    assert "Open My cases" in english and "Buka Kasus saya" in english
    assert Client().get("/sw.js", headers={"accept-language": "id"}).content.decode() == english
    # a number written in the reader's way ("60.000", "60,000") would be another number, or none
    assert "const PAGE_TIMEOUT_MS = 60000;" in english


@pytest.mark.django_db
def test_the_no_signal_page_says_the_page_was_not_kept_and_tries_again_by_itself():
    """A browser walk: it said the page had never been opened (it had, and was not kept), and
    stayed there once the signal was back."""
    worker = Client().get("/sw.js").content.decode()
    assert "Halaman ini tidak tersimpan di perangkat ini" in worker
    assert "belum pernah dibuka" not in worker
    assert '<meta http-equiv=\\"refresh\\" content=\\"20\\">' in worker


@pytest.mark.django_db
def test_an_address_with_a_nul_byte_is_refused_in_both_languages():
    answer = Client().get("/masuk/?next=%00", headers=EN)
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "Permintaan tidak valid" in text and "Invalid request" in text


def test_a_form_post_with_a_nul_byte_is_refused_and_stores_nothing(admin_client, regions):
    """The admin looked a region up by the code as posted: PostgreSQL refused the NUL, a 500."""
    from psm_portal.models import Kantor

    before = Kantor.objects.count()
    answer = admin_client.post(
        reverse("admin:psm_portal_kantor_add"), {"wilayah": "\x00", "nama": "DINAS SOSIAL"}
    )
    assert answer.status_code == 400
    assert "Permintaan tidak valid" in answer.content.decode()
    assert Kantor.objects.count() == before


@pytest.mark.parametrize("header", ["User-Agent", "Accept-Language", "X-Requested-With"])
def test_a_request_with_a_nul_byte_in_a_header_is_refused(client, users, header):
    """The login keeps the User-Agent of every attempt (axes): PostgreSQL refused the NUL, a
    500 before anyone was signed in. gunicorn refuses such a header; a proxy may pass it."""
    from axes.models import AccessAttempt, AccessLog

    answer = client.post(
        reverse("login"),
        {"username": "staf", "password": "salah"},
        headers={header: "Android\x0013"},
    )
    assert answer.status_code == 400
    assert "Permintaan tidak valid" in answer.content.decode()
    assert not AccessAttempt.objects.exists() and not AccessLog.objects.exists()
    # the same header without the NUL byte is an ordinary failed login
    answer = client.post(
        reverse("login"), {"username": "staf", "password": "salah"}, headers={header: "Android 13"}
    )
    assert answer.status_code == 200 and AccessAttempt.objects.count() == 1


def test_an_accounts_join_and_login_times_are_not_typed_in_the_admin(admin_client, regions):
    """A join time of year 1 was saved as a year BC the driver cannot read back: the account
    could no longer log in, and the user list answered 500."""
    user = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv")
    change = reverse("admin:psm_portal_user_change", args=[user.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="date_joined_0"' not in page and 'name="last_login_0"' not in page


def test_the_admin_names_apps_and_fields_in_the_readers_language(admin_client, psm):
    index = admin_client.get(reverse("admin:index"), headers=EN).content.decode()
    assert "PPKS assessments" in index and "Reports" in index
    kegiatan = KegiatanFactory(psm=psm)
    change = reverse("admin:registry_kegiatan_change", args=[kegiatan.pk])
    page = admin_client.get(change, headers=EN).content.decode()
    assert "Verified by" in page and "Diverifikasi" not in page
    # shown, not changed here: a verification time of year 1 was saved as a year BC that no
    # page could read back (a fuzzing run found every later read of the activity a 500)
    assert 'name="diverifikasi_pada' not in page
    assert admin_client.post(change, {"diverifikasi_pada_0": "0001-01-01"}).status_code == 403
    users = admin_client.get(reverse("admin:psm_portal_user_changelist"), headers=EN)
    assert "Full name" in users.content.decode()


def test_the_privacy_notice_is_public_names_the_officer_and_is_in_both_languages(client, office):
    """UU 27/2022 Pasal 21 and 53: what is kept, why, for how long, the rights, and whom to ask;
    every page links to it, and the case form's consent text too."""
    office.pelindungan_data_nama = "Sekretaris Dinas Sosial Kota Magelang"
    office.pelindungan_data_kontak = "ppdp.dinsos@magelangkota.go.id"
    office.save()
    page = client.get(reverse("privacy")).content.decode()
    assert "Pemberitahuan privasi" in page and "Pemerintah Kota Magelang" in page
    assert "Sekretaris Dinas Sosial Kota Magelang" in page and "ppdp.dinsos@" in page
    assert "3 × 24 jam" in page and "dihapus dari ponsel setelah 14 hari" in page
    english = client.get(reverse("privacy"), headers=EN).content.decode()
    assert "Privacy notice" in english and "Your rights" in english
    assert "Hak Anda" not in english and "3 × 24 hours" in english
    login = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("privacy")}"' in login


def test_the_privacy_notice_states_the_case_retention_period_once_set(client, office):
    """UU 27/2022 Pasal 21: the notice states how long case data is kept; until the office has
    set the period it says only that the archival schedule applies (no number it cannot keep)."""
    page = client.get(reverse("privacy")).content.decode()
    assert "tahun setelah kasus ditutup" not in page
    assert "mengikuti jadwal retensi arsip Dinas Sosial" in page
    Kantor.objects.filter(pk=1).update(retensi_kasus_tahun=7)
    page = client.get(reverse("privacy")).content.decode()
    assert "disimpan 7 tahun setelah kasus ditutup" in page
    english = client.get(reverse("privacy"), headers=EN).content.decode()
    assert "7 years after the case is closed" in english
