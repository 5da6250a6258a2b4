import pytest

from psm_portal.models import Role
from tests.factories import MAGELANG_SELATAN, PsmFactory, make_user, ppks_reference


@pytest.fixture
def ref(db):
    ppks_reference()


@pytest.fixture
def people(regions, ref, office):
    """Two PSM of Magelang Selatan with accounts, office staff, a kecamatan verifier, a
    supervisor, and staff of another kab/kota."""
    psm_a = PsmFactory(nama="Sri Lestari")
    psm_b = PsmFactory(nama="Joko Santoso")
    return {
        "psm_a": make_user(Role.PSM, psm=psm_a, username="psm-a"),
        "psm_b": make_user(Role.PSM, psm=psm_b, username="psm-b"),
        "staf": make_user(Role.STAF, scope=["33.71"], username="staf-kota"),
        "staf2": make_user(Role.STAF, scope=["33.71"], username="staf-kota-2"),
        "verifikator": make_user(Role.VERIFIKATOR, scope=[MAGELANG_SELATAN], username="verif"),
        "supervisor": make_user(Role.SUPERVISOR, scope=["33.71"], username="spv"),
        "luar": make_user(Role.STAF, scope=["33.12"], username="staf-wonogiri"),
    }
