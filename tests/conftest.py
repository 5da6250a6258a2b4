import os

import pytest
from django.conf import settings
from django.utils import translation

from psm_portal.access import forget_province_codes
from psm_portal.models import Kantor, Role
from registry.models import Wilayah
from registry.regions import load_regions
from tests.factories import MAGELANG_SELATAN, PsmFactory, make_user

# Playwright's sync API runs an event loop in the test thread; Django would refuse the ORM calls of
# live_server set-up without this. Tests only, never production (machine notes).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_province_codes():
    """Each test's regions are its own: the per-process list of provinces starts empty."""
    forget_province_codes()


@pytest.fixture(autouse=True)
def _office_language():
    """Each test starts in the portal's default language: a request read in English leaves
    English active in the test's thread (LocaleMiddleware does not switch back), and the
    services and selectors a later test calls directly would answer in it."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def regions(db):
    """Kota Magelang (3 kecamatan, 17 kelurahan) and Kabupaten Wonogiri from the real bundle."""
    load_regions("33.71")
    load_regions("33.12")


@pytest.fixture
def staff(regions):
    return make_user(Role.STAF, scope=["33.71"], username="staf")


@pytest.fixture
def psm(regions):
    return PsmFactory()


@pytest.fixture
def users(regions, psm):
    """One account per role, all scoped to Kota Magelang except the kecamatan verifier."""
    return {
        Role.ADMIN: make_user(Role.ADMIN, username="admin"),
        Role.STAF: make_user(Role.STAF, scope=["33.71"], username="staf"),
        Role.SUPERVISOR: make_user(Role.SUPERVISOR, scope=["33.71"], username="supervisor"),
        Role.VERIFIKATOR: make_user(
            Role.VERIFIKATOR, scope=[MAGELANG_SELATAN], username="verifikator"
        ),
        Role.PSM: make_user(Role.PSM, psm=psm, username="psm"),
    }


@pytest.fixture
def office(regions):
    """The demo office's letterhead and signer, as seed_demo sets it."""
    return Kantor.objects.create(
        pk=1,
        wilayah=Wilayah.objects.get(kode="33.71"),
        pemerintah="Pemerintah Kota Magelang",
        nama="Dinas Sosial",
        alamat="Jl. Jenderal Sudirman No. 46",
        kota_surat="Magelang",
        penandatangan_nama="Dra. Wulan Prasetyaningsih, M.Si.",
        penandatangan_jabatan="Kepala Dinas Sosial Kota Magelang",
        penandatangan_pangkat="Pembina Tingkat I (IV/b)",
        penandatangan_nip="196804111993032009",
    )
