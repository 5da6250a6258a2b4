import os

import pytest

from psm_portal.models import Role
from registry.regions import load_regions
from tests.factories import MAGELANG_SELATAN, PsmFactory, make_user

# Playwright's sync API runs an event loop in the test thread; Django would refuse the ORM calls of
# live_server set-up without this. Tests only, never production (machine notes).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
