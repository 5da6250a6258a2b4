"""Rate limits on logins, exports and the public verification pages (psm_portal/ratelimit.py):
a 429 page in Bahasa Indonesia with Retry-After, counted per user or per client address, shared
through Redis between instances, and never in the way when the cache itself is down."""

import socket
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from psm_portal import ratelimit
from psm_portal.models import Role
from tests.factories import make_user
from tests.reliability.helpers import inside_one_window

pytestmark = pytest.mark.reliability

LIMITS = {
    "login": (3, 60, ("POST",)),
    "registry:psm-export": (2, 600),
    "assessments:case-export": (2, 600),
    "registry:psm-verify": (3, 60),
    "training:certificate-verify": (3, 60),
}


@pytest.fixture(autouse=True)
def limits():
    with override_settings(PSM_RATELIMIT_ENABLED=True, PSM_RATE_LIMITS=LIMITS):
        caches["default"].clear()
        inside_one_window(60, margin=5)  # 600-second windows end on a 60-second boundary too
        yield
        caches["default"].clear()


def test_export_is_refused_past_the_limit_with_an_indonesian_page(client, users):
    client.force_login(users[Role.STAF])
    url = reverse("registry:psm-export", args=["csv"])
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    body = refused.content.decode()
    assert "Terlalu banyak permintaan" in body and "Coba lagi dalam" in body
    # Another export and another person are counted apart.
    assert client.get(reverse("assessments:case-export")).status_code == 200
    client.force_login(users[Role.ADMIN])
    assert client.get(url).status_code == 200


def test_public_verification_is_limited_per_address(client, psm):
    url = reverse("registry:psm-verify", args=[psm.kode_verifikasi])
    statuses = [client.get(url, REMOTE_ADDR="10.0.0.7").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get(url, REMOTE_ADDR="10.0.0.8").status_code == 200
    # An unknown code counts too: guessing codes is what the limit is for.
    missing = reverse("training:certificate-verify", args=["tidak-ada"])
    assert [client.get(missing, REMOTE_ADDR="10.0.0.9").status_code for _ in range(4)] == [
        404,
        404,
        404,
        429,
    ]


@override_settings(AXES_IPWARE_PROXY_COUNT=1)
def test_behind_a_proxy_the_forwarded_address_is_counted(client, psm):
    url = reverse("registry:psm-verify", args=[psm.kode_verifikasi])
    for _ in range(3):
        client.get(url, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.6").status_code == 200
    # A forged address to the left of the one our proxy saw does not escape the count.
    assert client.get(url, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5").status_code == 429


def test_login_counts_only_attempts_not_page_views(client, regions):
    make_user(Role.STAF, scope=["33.71"], username="staf-rl")
    url = reverse("login")
    assert all(client.get(url).status_code == 200 for _ in range(5))
    for i in range(3):
        response = client.post(url, {"username": f"orang-{i}", "password": "salah"})
        assert response.status_code == 200  # the form again, with the error
    refused = client.post(url, {"username": "staf-rl", "password": "sandi-uji-123"})
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


@override_settings(AXES_IPWARE_PROXY_COUNT=1, PSM_RATELIMIT_ENABLED=False)
def test_behind_the_proxy_a_lockout_holds_the_guessers_address_not_the_whole_username(
    client, regions
):
    """Every request reaches gunicorn from the proxy's 127.0.0.1: keyed on that, five wrong
    passwords from anywhere would lock the account out for every office."""
    make_user(Role.STAF, scope=["33.71"], username="kadis")
    url = reverse("login")
    guesser = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    for _ in range(5):
        client.post(url, {"username": "kadis", "password": "salah"}, **guesser)
    right = {"username": "kadis", "password": "sandi-uji-123"}
    assert client.post(url, right, **guesser).status_code == 429
    office = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert client.post(url, right, **office).status_code == 302


def test_the_admin_login_shares_the_portal_logins_count(client, regions):
    """Two doors to the same accounts: guesses at either count against one limit."""
    limits = {**LIMITS, "admin:login": LIMITS["login"]}
    with override_settings(PSM_RATE_LIMITS=limits, PSM_RATELIMIT_SHARED={"admin:login": "login"}):
        codes = [
            client.post(url, {"username": f"tebak-{i}", "password": "x"}).status_code
            for i, url in enumerate([reverse("login"), reverse("admin:login")] * 2)
        ]
    assert codes == [200, 200, 200, 429]


def test_the_limit_is_off_when_disabled(client, users):
    client.force_login(users[Role.STAF])
    url = reverse("registry:psm-export", args=["csv"])
    with override_settings(PSM_RATELIMIT_ENABLED=False):
        assert {client.get(url).status_code for _ in range(4)} == {200}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


def test_an_unreachable_cache_lets_requests_through(client, users):
    dead = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "rl": dead,
        },
        PSM_RATELIMIT_CACHE="rl",
    ):
        client.force_login(users[Role.STAF])
        url = reverse("registry:psm-export", args=["csv"])
        assert {client.get(url).status_code for _ in range(3)} == {200}


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379")
def test_two_instances_share_the_count_through_redis():
    """Two portal instances are two cache clients on one Redis: the second sees the first's
    requests (what REDIS_URL is for)."""
    prefix = f"psm-test-{uuid.uuid4().hex[:8]}"
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/0",
        "KEY_PREFIX": prefix,
    }
    with override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "a": redis,
            "b": redis,
        }
    ):
        try:
            with override_settings(PSM_RATELIMIT_CACHE="a"):
                assert ratelimit.hit("x:export", "u1", 2, 60, now=1000.0)[0]
            with override_settings(PSM_RATELIMIT_CACHE="b"):
                assert ratelimit.hit("x:export", "u1", 2, 60, now=1001.0)[0]
                allowed, retry_after = ratelimit.hit("x:export", "u1", 2, 60, now=1002.0)
            assert not allowed and retry_after == 18  # the window 960-1020 ends in 18 s
            with override_settings(PSM_RATELIMIT_CACHE="a"):
                assert ratelimit.hit("x:export", "u1", 2, 60, now=1021.0)[0]  # a new window
        finally:
            caches["a"].delete_many(
                [f"ratelimit:x:export:u1:{w}" for w in (16, 17)]  # 1000 // 60, 1021 // 60
            )


def test_every_rate_limited_name_is_a_url_of_the_portal():
    """A renamed URL would silently lose its limit: the configured names must all exist."""
    from psm_portal import settings as configured  # not the override above
    from tests.psm_portal.test_url_access import _url_patterns

    names = {name for name, _params in _url_patterns()}
    assert reverse("admin:login")  # the admin's own login, which the URL walk leaves out
    names.add("admin:login")
    limited = set(configured.PSM_RATE_LIMITS)
    assert len(limited) >= 8 and limited <= names, limited - names
    # Every PDF laid out in the request, and every background build, is limited too.
    assert {
        "registry:psm-card",
        "training:certificate",
        "reports:rapor",
        "reports:training-recap",
        "reports:recap-request",
        "training:certificates-bundle",
    } <= limited
