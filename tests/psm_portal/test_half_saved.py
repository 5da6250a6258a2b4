"""The password change writes the new password and the session that keeps its user signed in
together, or neither (the error page says nothing was saved). PostgreSQL cancels the session's
write, as the statement timeout or a restart would."""

import pytest
from django.urls import reverse

from psm_portal.models import Role, User
from tests.factories import make_user
from tests.faults import cancelled_write, postgresql_only, visitor

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]


def test_a_password_change_cut_short_keeps_the_old_password(regions):
    user = make_user(Role.STAF, scope=["33.71"], username="staf-sandi")
    client = visitor(user)
    change = {
        "old_password": "sandi-uji-123",
        "new_password1": "Kunci-Baru-Dinsos-2026",
        "new_password2": "Kunci-Baru-Dinsos-2026",
    }
    with cancelled_write("django_session"):
        response = client.post(reverse("password_change"), change)
    assert response.status_code == 503 and "belum tersimpan" in response.content.decode()
    assert User.objects.get(pk=user.pk).check_password("sandi-uji-123")
    # Sent again, it is changed, and the user stays signed in.
    assert client.post(reverse("password_change"), change).status_code == 302
    assert User.objects.get(pk=user.pk).check_password("Kunci-Baru-Dinsos-2026")
    assert client.get(reverse("password_change_done")).status_code == 200
