import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from psm_portal.models import Role
from registry.models import Wilayah
from registry.regions import load_regions
from tests.factories import make_user


def _settings_process(**env):
    """Import the production settings in a fresh interpreter with exactly ``env``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-c", "import psm_portal.settings"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _settings_process(ALLOWED_HOSTS="psm.example.go.id")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _settings_process(SECRET_KEY="x" * 50)
    assert result.returncode != 0 and "ALLOWED_HOSTS" in result.stderr


def test_settings_reject_a_malformed_boolean():
    result = _settings_process(DEBUG="yes please")
    assert result.returncode != 0 and "DEBUG must be true or false" in result.stderr


def test_production_starts_with_required_values():
    assert _settings_process(SECRET_KEY="x" * 50, ALLOWED_HOSTS="a.example").returncode == 0


def test_pages_carry_a_csp_without_unsafe_inline(client, db):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp


def test_pages_name_an_icon_that_exists_so_browsers_do_not_ask_for_favicon_ico(client, db):
    import re

    from django.contrib.staticfiles import finders

    page = client.get(reverse("login")).content.decode()
    icon = re.search(r'<link rel="icon" [^>]*href="/static/([^"]+)"', page)
    assert icon and finders.find(icon.group(1))


def test_interface_is_indonesian_by_default_and_english_on_request(client, db):
    assert "Masuk ke Portal PSM" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/masuk/"})
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in body and "Log in to the PSM Portal" in body


def test_english_catalogue_is_complete():
    """Every string of the interface has an English translation (run `make messages` after
    `makemessages -l en` when adding strings)."""
    po = settings.BASE_DIR / "locale/en/LC_MESSAGES/django.po"
    stats = subprocess.run(
        ["msgfmt", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "untranslated" not in stats and "fuzzy" not in stats, stats


def test_login_locks_out_after_repeated_failures(client, regions):
    make_user(Role.STAF, scope=["33.71"], username="rina")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "rina", "password": "salah"})
    response = client.post(reverse("login"), {"username": "rina", "password": "sandi-uji-123"})
    assert response.status_code == 429
    assert "Akun terkunci sementara" in response.content.decode()


def test_both_login_doors_share_one_rate_limit_and_axes_reads_the_proxied_address():
    assert settings.PSM_RATE_LIMITS["admin:login"] == settings.PSM_RATE_LIMITS["login"]
    assert settings.PSM_RATELIMIT_SHARED["admin:login"] == "login"
    assert settings.AXES_CLIENT_IP_CALLABLE == "psm_portal.ratelimit.client_address"


def test_login_with_right_password_lands_on_registry(client, regions):
    make_user(Role.STAF, scope=["33.71"], username="rina")
    response = client.post(reverse("login"), {"username": "rina", "password": "sandi-uji-123"})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).status_code == 200


@pytest.mark.parametrize(
    ("role", "lands_on"),
    [
        (Role.STAF, "registry:psm-list"),
        (Role.ADMIN, "registry:psm-list"),
        (Role.VERIFIKATOR, "assessments:queue"),
        (Role.SUPERVISOR, "reports:dashboard"),
    ],
)
def test_each_office_role_lands_where_its_work_is(client, regions, office, role, lands_on):
    """A kecamatan verifier's work is the cases waiting for them, a supervisor's the dashboard
    (both landed on the PSM list, a page the verifier has no use for)."""
    office.menggunakan_verifikator_kecamatan = True
    office.save()
    scope = ["33.71.01"] if role == Role.VERIFIKATOR else ["33.71"]
    make_user(role, scope=scope, username="rina")
    response = client.post(reverse("login"), {"username": "rina", "password": "sandi-uji-123"})
    home = client.get(response["Location"])
    assert home.status_code == 302 and home["Location"] == reverse(lands_on)
    assert client.get(home["Location"]).status_code == 200


def test_a_verifier_of_an_office_without_the_kecamatan_step_lands_on_the_cases(
    client, regions, office
):
    """Their queue only says the office does not use it."""
    office.menggunakan_verifikator_kecamatan = False
    office.save()
    make_user(Role.VERIFIKATOR, scope=["33.71.01"], username="rina")
    client.post(reverse("login"), {"username": "rina", "password": "sandi-uji-123"})
    assert client.get(reverse("home"))["Location"] == reverse("assessments:case-list")


def test_failed_login_message_is_indonesian(client, db):
    """Said once: Django's catalogue read "Masukkan nama pengguna nama pengguna dan sandi"."""
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    body = response.content.decode()
    assert "Nama pengguna atau sandi salah. Perhatikan huruf besar dan kecil" in body
    assert "nama pengguna nama pengguna" not in body.lower()


def test_the_password_page_says_sandi_throughout(client, regions):
    """A walk: the labels said "Sandi", the refusals "Kata sandi", the hints "Sandi anda". One
    word, and "Anda" as elsewhere."""
    from tests.factories import PsmFactory

    client.force_login(make_user(Role.PSM, psm=PsmFactory(), username="sri-lestari"))
    shown = [client.get(reverse("password_change")).content.decode()]
    for typed in ("pendek", "1234567890123", "password123", "sri-lestari-1"):
        data = {"old_password": "salah", "new_password1": typed, "new_password2": typed}
        shown.append(client.post(reverse("password_change"), data).content.decode())
    page = "\n".join(shown)
    for said in (
        "Sandi lama yang Anda masukkan salah. Masukkan sekali lagi.",
        "Sandi terlalu pendek: paling sedikit 8 karakter.",
        "Sandi ini hanya berisi angka.",
        "Sandi ini terlalu umum: mudah ditebak.",
        "Sandi terlalu mirip dengan nama pengguna.",
        "Sandi tidak boleh terlalu mirip dengan data pribadi Anda yang lain.",
        "Sandi paling sedikit 8 karakter.",
    ):
        assert said in page, said
    assert "kata sandi" not in page.lower()
    assert " anda " not in page


def test_logging_out_says_so_and_the_psms_menu_leads_to_their_profile(client, db, regions):
    """A walk: after "Keluar" the login page said nothing (on a shared phone the next person
    could not tell); "Profil saya" led to "/", which sends a PSM with a returned case to their
    cases, so the profile could not be reached from the menu."""
    from tests.factories import PsmFactory

    psm = PsmFactory()
    client.force_login(make_user(Role.PSM, psm=psm, username="sri-menu"))
    page = client.get(reverse("registry:psm-detail", args=[psm.pk])).content.decode()
    assert f'href="{reverse("registry:psm-list")}">Profil saya</a>' in page
    assert client.get(reverse("registry:psm-list"))["Location"] == reverse(
        "registry:psm-detail", args=[psm.pk]
    )
    answer = client.post(reverse("logout"), follow=True)
    assert "Anda sudah keluar." in answer.content.decode()


def test_load_regions_is_idempotent_and_loads_magelang(db):
    first = load_regions("33.71")
    assert (first.created, first.updated) == (1 + 1 + 3 + 17, 0)  # Jawa Tengah, kota, 3 kec, 17
    again = load_regions("33.71")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 22)
    assert Wilayah.objects.get(kode="33.71.01.1003").induk_id == "33.71.01"
    assert Wilayah.objects.get(kode="33.71").jenis == "kota"


def test_load_regions_rejects_a_malformed_code(db):
    with pytest.raises(ValueError, match="Format kode"):
        load_regions("33.7")


@pytest.mark.django_db
def test_region_q_drops_the_filter_only_for_a_scope_of_every_province():
    from types import SimpleNamespace

    from django.db.models import Q

    from psm_portal.access import region_q
    from registry.models import Wilayah

    codes = [f"{n:02d}" for n in range(11, 45)]  # 34 provinces
    Wilayah.objects.bulk_create([Wilayah(kode=c, nama=f"Provinsi {c}", tingkat=1) for c in codes])
    everywhere = SimpleNamespace(scope_codes=tuple(codes), role="staf")
    assert region_q(everywhere, "kode") == Q()
    one_missing = SimpleNamespace(scope_codes=tuple(codes[:-1]) + ("44.01",), role="staf")
    assert region_q(one_missing, "kode") != Q()  # 44 itself is not in scope, only 44.01
    nested = SimpleNamespace(scope_codes=("33", "33.71"), role="staf")
    assert str(region_q(nested, "kode")).count("startswith") == 1  # 33.71 lies inside 33


def test_scope_codes_inside_another_one_are_dropped():
    from psm_portal.access import _outermost

    codes = ("33", "33.71", "33.71.01.1001", "34.01", "34.01.02", "34.010", "35.7")
    assert _outermost(codes) == ("33", "34.01", "34.010", "35.7")


@pytest.mark.django_db
def test_province_list_is_kept_per_process_until_regions_are_loaded(
    django_assert_num_queries,
):
    from types import SimpleNamespace

    from django.db.models import Q

    from psm_portal.access import region_q
    from registry.models import Wilayah

    codes = [f"{n:02d}" for n in range(11, 45)]
    # Before any region is loaded, a long scope is not the whole country, and nothing is kept.
    assert region_q(SimpleNamespace(scope_codes=tuple(codes), role="staf"), "kode") != Q()
    Wilayah.objects.bulk_create([Wilayah(kode=c, nama=f"Provinsi {c}", tingkat=1) for c in codes])
    everywhere = SimpleNamespace(scope_codes=tuple(codes), role="staf")
    assert region_q(everywhere, "kode") == Q()
    with django_assert_num_queries(0):  # a later request of a national account asks nothing
        assert region_q(SimpleNamespace(scope_codes=tuple(codes), role="staf"), "kode") == Q()
    load_regions("51.71")  # adds province 51 (Bali), which this account does not hold
    assert region_q(SimpleNamespace(scope_codes=tuple(codes), role="staf"), "kode") != Q()


def test_choice_labels_follow_the_active_language_and_keep_unknown_values(regions):
    from django.utils import translation

    from tests.factories import PsmFactory

    psm = PsmFactory(status="aktif")
    assert psm.get_status_display() == "Aktif"
    with translation.override("en"):
        assert psm.get_status_display() == "Active"
    psm.status = "tidak-dikenal"
    assert psm.get_status_display() == "tidak-dikenal"


def test_menu_follows_the_role_and_the_language(client, users):
    """The menu is kept per role and language: each account still gets its own."""

    def menu(role, language="id"):
        client.force_login(users[role])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        body = client.get(reverse("training:event-list")).content.decode()
        return body[body.index('<ul class="navbar-nav me-auto">') : body.index("</ul>")]

    staff_menu = menu(Role.STAF)
    assert "Daftar PSM" in staff_menu and "Impor" in staff_menu and "Kasus PPKS" in staff_menu
    supervisor_menu = menu(Role.SUPERVISOR)
    assert "Daftar PSM" in supervisor_menu and "Impor" not in supervisor_menu
    psm_menu = menu(Role.PSM)
    assert "Kasus saya" in psm_menu and "Daftar PSM" not in psm_menu
    assert "Dasbor" not in menu(Role.VERIFIKATOR)
    english = menu(Role.STAF, "en")
    assert "Daftar PSM" not in english and "Import" in english
    assert menu(Role.STAF) == staff_menu


def test_a_request_django_refuses_gets_an_indonesian_page(client, users):
    """Too many files at once (Django's limit is 100) is refused before any view: in Bahasa
    Indonesia, not Django's English "Bad Request (400)"."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users[Role.PSM])
    files = [SimpleUploadedFile(f"f{i}.jpg", b"x", "image/jpeg") for i in range(101)]
    response = client.post(reverse("registry:activity-create"), {"foto": files})
    assert response.status_code == 400
    assert "Permintaan tidak dapat diproses" in response.content.decode()


def test_no_template_writes_a_question_mark_before_querystring():
    """``{% querystring %}`` writes its own "?": "?{% querystring page=2 %}" made "??page=2",
    which kept the PSM, activity and event lists on their first page."""
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
        if "?{% querystring" in path.read_text()
    ]
    assert offenders == []


def test_a_password_is_sent_on_as_typed(client, regions):
    """Bidi controls are removed from what forms send, but not from a password: one set before
    that (or by the admin's shell) stopped matching."""
    user = make_user(Role.STAF, scope=["33.71"], username="rina")
    user.set_password("rahasia\u202eku-2026")
    user.save()
    answer = client.post(reverse("login"), {"username": "rina", "password": "rahasia\u202eku-2026"})
    assert answer.status_code == 302


def test_every_model_change_has_its_migration(db):
    """A model changed without its migration works in tests (the test database is built from
    the migrations plus nothing) only until production's schema disagrees."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)


def test_a_psm_with_a_returned_case_lands_on_their_cases_and_is_told(client, regions, office):
    """The PSM landed on their long profile, which said nothing of the case the office had
    returned to them."""
    from assessments import services
    from assessments.models import StatusAsesmen
    from tests.factories import PsmFactory, make_case, ppks_reference

    ppks_reference()
    psm_user = make_user(Role.PSM, psm=PsmFactory(nama="Sri Lestari"), username="sri")
    staff = make_user(Role.STAF, scope=["33.71"], username="rina")
    client.post(reverse("login"), {"username": "sri", "password": "sandi-uji-123"})
    assert client.get(reverse("home"))["Location"] == reverse(
        "registry:psm-detail", args=[psm_user.psm_id]
    )
    case = make_case(psm_user)
    services.assessment_transition(
        asesmen=case, ke=StatusAsesmen.DIKEMBALIKAN, by=staff, catatan="Lengkapi alamat"
    )
    home = client.get(reverse("home"), follow=True)
    assert home.redirect_chain[-1][0] == reverse("assessments:case-list")
    assert "1 kasus dikembalikan dinas untuk diperbaiki" in home.content.decode()


def test_a_password_holding_the_login_name_is_refused_under_the_new_password(client, regions):
    """Django's similarity rule let "psm12345" through for the login name "psm" (55 % alike,
    under its 70 %), and showed every refusal under the confirmation field."""
    from tests.factories import PsmFactory

    psm = PsmFactory(nama="Sri Lestari Handayani", telepon="0812-3456-7001")  # as typed
    user = make_user(Role.PSM, psm=psm, username="psm")
    user.first_name, user.email = "Ni Luh Ayu", "wulan.tri@contoh.id"
    user.save()
    client.force_login(user)
    refused = (
        "Sandi tidak boleh memuat nama pengguna, nama, nomor telepon, atau bagian alamat pos-el "
        "sebelum @ Anda."
    )

    def change(typed):
        data = {"old_password": "sandi-uji-123", "new_password1": typed, "new_password2": typed}
        return client.post(reverse("password_change"), data)

    for typed in (
        "psm12345",  # the login name
        "Lestari-2026",  # a word of the PSM's name
        "kebun-SRI-9",  # a short word of it, on its own
        "wulan.kebun9",  # the e-mail address's
        "x081234567001",  # the telephone number, stored with dashes
        "kode+6281234567001",  # the same, as +62
        "kebun-NiLuhAyu-99",  # a name of short words, typed as one
    ):
        answer = change(typed)
        assert answer.status_code == 200, typed
        errors = answer.context["form"].errors
        assert list(errors) == ["new_password1"] and refused in errors["new_password1"], typed
        # shown under the field it belongs to (crispy's error block of that field)
        assert 'id="error_1_id_new_password1"' in answer.content.decode(), typed
    user.refresh_from_db()
    assert user.check_password("sandi-uji-123")
    # the rule is said under the field before anyone is refused
    assert refused in client.get(reverse("password_change")).content.decode()

    # a short part inside another word is not the name: "Sri" in Sriwijaya, "Tri" in "strip"
    assert change("Pesantren-Sriwijaya-7").status_code == 302
    user.refresh_from_db()
    assert user.check_password("Pesantren-Sriwijaya-7")
    client.force_login(user)
    data = {"old_password": "Pesantren-Sriwijaya-7", "new_password1": "strip-biru-kebun"}
    data["new_password2"] = data["new_password1"]
    assert client.post(reverse("password_change"), data).status_code == 302
