"""Pages are sent gzipped to a browser that accepts it (a PSM's phone on a weak signal); streamed
downloads are not (``psm_portal.compression``)."""

import gzip

import pytest

from assessments.models import StatusAsesmen
from psm_portal.models import Role
from tests.factories import make_case, ppks_reference

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.fixture
def psm_client(client, users, office):
    ppks_reference()
    client.force_login(users[Role.PSM])
    return client


@pytest.mark.django_db
def test_the_case_form_is_sent_compressed_and_reads_the_same(psm_client):
    plain = psm_client.get("/kasus/baru/")
    packed = psm_client.get("/kasus/baru/", **GZIP)

    assert plain.status_code == packed.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    page = gzip.decompress(packed.content).decode()
    # the same page (the CSRF token is masked anew on each request, so not byte for byte)
    assert page.count("<input") == plain.content.decode().count("<input")
    assert 'name="s-nama"' in page and "</html>" in page
    # a sixth or less of the bytes over the air (the page is about 40 KB)
    assert len(packed.content) * 5 < len(plain.content)


@pytest.mark.django_db
def test_the_service_worker_is_compressed_too(psm_client):
    """Written by a view, as text: it is fetched again at each new version of the portal."""
    response = psm_client.get("/sw.js", **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert b"self.addEventListener" in gzip.decompress(response.content)


@pytest.mark.django_db
def test_a_streamed_export_is_not_compressed(client, users, office):
    ppks_reference()
    case = make_case(users[Role.PSM])
    assert case.status == StatusAsesmen.DIAJUKAN
    client.force_login(users[Role.STAF])
    response = client.get("/kasus/ekspor/", **GZIP)
    assert response.status_code == 200
    assert response.streaming
    assert not response.has_header("Content-Encoding")
    assert case.subjek.nama.encode() in b"".join(response.streaming_content)
