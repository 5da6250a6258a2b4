"""What a PSM's stop means for the rest of the portal: no work recorded in it (cases as
activities), the login ends with it and comes back on re-registration, a death is final, and a
PSM registered again is appointed by a new SK, not the one of their earlier term."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from assessments.models import Asesmen
from psm_portal.models import AuditEvent, Role
from registry import services
from registry.models import AlasanBerhenti, StatusPsm
from registry.selectors import psm_audit_trail
from tests.factories import BimtekFactory, SkFactory, make_case, make_user, status_history


@pytest.fixture
def aktif(regions, ref, office):
    from tests.factories import PsmFactory

    psm = PsmFactory(nama="Sri Lestari")
    BimtekFactory(psm=psm, tanggal=dt.date(2021, 1, 15))
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1), nomor_sk="400.9/001/2021")
    status_history(
        psm, (StatusPsm.CALON, dt.date(2020, 1, 6)), (StatusPsm.AKTIF, dt.date(2021, 2, 1))
    )
    psm.refresh_from_db()
    return psm


@pytest.fixture
def staff(regions):
    return make_user(Role.STAF, scope=["33.71"], username="staf-kota")


@pytest.fixture
def ref(db):
    from tests.factories import ppks_reference

    ppks_reference()


def _stop(psm, staff, day, alasan=AlasanBerhenti.MENGUNDURKAN_DIRI):
    services.psm_change_status(psm=psm, ke=StatusPsm.BERHENTI, tanggal=day, alasan=alasan, by=staff)
    psm.refresh_from_db()


def test_a_case_of_a_psm_dated_in_a_stop_nonaktif_or_before_joining_is_refused(aktif, staff):
    """PR-01 counts a PSM's cases with their activities over the months they were aktif: four
    cases sent after a stop gave a PSM who had stopped in February 2.00 a month."""
    user = make_user(Role.PSM, psm=aktif, username="sri")
    make_case(user, tanggal=dt.date(2026, 1, 20))  # while aktif: recorded
    services.psm_change_status(
        psm=aktif, ke=StatusPsm.NONAKTIF, tanggal=dt.date(2026, 2, 1), by=staff
    )
    aktif.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        make_case(user, tanggal=dt.date(2026, 3, 2))
    assert refused.value.message_dict == {
        "tanggal": [
            "PSM ini nonaktif sejak 1 Februari 2026; kegiatan dan asesmen sejak tanggal itu "
            "tidak dapat dicatat."
        ]
    }
    with pytest.raises(ValidationError, match="bergabung pada 6 Januari 2020"):
        make_case(user, tanggal=dt.date(2019, 12, 1))
    _stop(aktif, staff, dt.date(2026, 3, 1))
    with pytest.raises(ValidationError, match="berhenti sejak 1 Maret 2026"):
        make_case(user, tanggal=dt.date(2026, 3, 2))
    assert Asesmen.objects.count() == 1


def test_a_refused_case_date_is_said_on_the_form_which_keeps_what_was_typed(aktif, staff):
    from tests.assessments.test_views import _form

    user = make_user(Role.PSM, psm=aktif, username="sri")
    services.psm_change_status(
        psm=aktif, ke=StatusPsm.NONAKTIF, tanggal=dt.date(2026, 2, 1), by=staff
    )
    client = Client()
    client.force_login(user)
    data = {**_form(), "tanggal": "2026-11-20", "masalah": "Atap bocor, tinggal sendiri."}
    page = client.post(reverse("assessments:case-create"), data)
    assert page.status_code == 400  # the form again, as for any refused field
    form = page.context["form"]
    assert form.errors["tanggal"] == [
        "PSM ini nonaktif sejak 1 Februari 2026; kegiatan dan asesmen sejak tanggal itu tidak "
        "dapat dicatat."
    ]
    assert "Atap bocor, tinggal sendiri." in page.content.decode()
    assert Asesmen.objects.count() == 0


def test_a_stop_ends_the_psms_login_and_re_registration_leaves_it_to_the_admin(aktif, staff):
    user = make_user(Role.PSM, psm=aktif, username="sri")
    phone = Client()
    phone.force_login(user)
    assert phone.get(reverse("assessments:case-list")).status_code == 200

    _stop(aktif, staff, dt.date(2026, 3, 1))
    user.refresh_from_db()
    assert not user.is_active
    # the session open on the phone ends with it: its cases hold specific personal data
    answer = phone.get(reverse("assessments:case-list"))
    assert answer.status_code == 302 and reverse("login") in answer["Location"]
    event = AuditEvent.objects.filter(action="psm.status").latest("pk")
    assert (event.before["akun_login_aktif"], event.after["akun_login_aktif"]) == (True, False)
    # and the profile's change history says it in words
    entry = psm_audit_trail(aktif)[0]
    assert ("akun login aktif", "ya", "tidak") in [tuple(map(str, c)) for c in entry.changes]

    # Registered again: the account may also have been turned off for another reason (a lost
    # phone), so turning it on is the administrator's, and the page says so.
    client = Client()
    client.force_login(staff)
    answer = client.post(
        reverse("registry:psm-status", args=[aktif.pk]),
        {"ke": "calon", "tanggal": "2026-06-01"},
        follow=True,
    )
    user.refresh_from_db()
    assert not user.is_active
    assert (
        "Akun login PSM ini masih nonaktif sejak berhenti: minta administrator portal "
        "mengaktifkannya bila PSM memakainya lagi."
    ) in [str(m) for m in answer.context["messages"]]


def test_the_phone_of_a_stopped_psm_is_told_to_wipe_its_offline_copy(aktif, staff):
    """The phone kept the PSM's pages, drafts and outbox (the cases of the people visited) for
    use without a signal: the login page its next request is sent to has the browser wipe them,
    as logging out does, and says why, until someone signs in on it again."""
    user = make_user(Role.PSM, psm=aktif, username="sri")
    phone = Client()
    phone.force_login(user)
    # signed in, the login page wipes nothing (it sends a signed-in user on)
    assert "Clear-Site-Data" not in phone.get(reverse("login"))
    _stop(aktif, staff, dt.date(2026, 3, 1))
    page = phone.get(reverse("assessments:case-list"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("login"))
    assert page["Clear-Site-Data"] == '"storage"'
    assert "data-clear-offline-now" in page.content.decode()
    assert "akun ini dinonaktifkan dinas" in page.content.decode()
    assert phone.get(reverse("login"))["Clear-Site-Data"] == '"storage"'  # said again
    # a phone that never signed in, or signed out, has nothing to wipe
    for visitor in (Client(), phone):
        if visitor is phone:
            user.is_active = True
            user.save()
            visitor.force_login(user)
            visitor.post(reverse("logout"))
        page = visitor.get(reverse("login"))
        assert page.status_code == 200 and "Clear-Site-Data" not in page
        assert "data-clear-offline-now" not in page.content.decode()


def test_a_phone_is_wiped_when_it_comes_back_days_after_the_stop(aktif, staff):
    """A review: the session lasts 8 hours, a stop or a lost phone comes days later. The
    browser is known by the signed cookie the login left, not only by a session still open."""
    from django.contrib.sessions.models import Session

    user = make_user(Role.PSM, psm=aktif, username="sri")
    phone = Client()
    signed_in = phone.post(reverse("login"), {"username": "sri", "password": "sandi-uji-123"})
    assert signed_in.status_code == 302 and "psm_perangkat" in signed_in.cookies
    # the session ran out (its row gone, its cookie with it); nothing else changed: the PSM
    # signs in again and finds their drafts, nothing is wiped
    Session.objects.all().delete()
    del phone.cookies["sessionid"]
    page = phone.get(reverse("assessments:case-list"), follow=True)
    assert "Clear-Site-Data" not in page and "dinonaktifkan" not in page.content.decode()
    _stop(aktif, staff, dt.date(2026, 3, 1))
    page = phone.get(reverse("assessments:case-list"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("login"))
    assert page["Clear-Site-Data"] == '"storage"'
    assert "akun ini dinonaktifkan dinas" in page.content.decode()
    # a cookie written by hand names nobody
    forged = Client()
    forged.cookies["psm_perangkat"] = str(user.pk)
    assert "Clear-Site-Data" not in forged.get(reverse("login"))
    # logging out leaves no account for the login page to speak of later
    other = make_user(Role.STAF, scope=["33.71"], username="tono")
    shared = Client()
    shared.post(reverse("login"), {"username": "tono", "password": "sandi-uji-123"})
    out = shared.post(reverse("logout"))
    assert out.cookies["psm_perangkat"].value == "" and out["Clear-Site-Data"] == '"storage"'
    other.is_active = False
    other.save()
    assert "Clear-Site-Data" not in shared.get(reverse("login"))


def test_a_password_changed_elsewhere_ends_the_session_without_wiping_the_phone(aktif):
    """Django ends a session whose password changed: the PSM signs in again with the new one
    and finds their drafts (only an account turned off wipes the phone)."""
    user = make_user(Role.PSM, psm=aktif, username="sri")
    phone = Client()
    phone.post(reverse("login"), {"username": "sri", "password": "sandi-uji-123"})
    user.set_password("sandi-baru-456")
    user.save()
    page = phone.get(reverse("assessments:case-list"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("login"))
    assert "Clear-Site-Data" not in page and "dinonaktifkan" not in page.content.decode()


def test_a_stop_leaves_an_office_account_linked_to_the_psm_alone(aktif, staff):
    """A review: a supervisor who is also a PSM, stopped as a PSM, was locked out of the
    office's work (the only administrator could have been)."""
    supervisor = make_user(Role.SUPERVISOR, scope=["33.71"], psm=aktif, username="spv-psm")
    _stop(aktif, staff, dt.date(2026, 3, 1))
    supervisor.refresh_from_db()
    assert supervisor.is_active
    assert (
        "akun_login_aktif" not in AuditEvent.objects.filter(action="psm.status").latest("pk").after
    )


def test_the_status_page_tells_staff_the_login_ended(aktif, staff):
    make_user(Role.PSM, psm=aktif, username="sri")
    client = Client()
    client.force_login(staff)
    answer = client.post(
        reverse("registry:psm-status", args=[aktif.pk]),
        {"ke": "berhenti", "tanggal": "2026-03-01", "alasan": "mengundurkan_diri"},
        follow=True,
    )
    said = [str(m) for m in answer.context["messages"]]
    assert "Akun login PSM ini dinonaktifkan." in said, said


def test_a_psm_recorded_dead_is_registered_again_only_by_the_administrator(aktif, staff):
    """A reason picked by mistake is not for ever: the administrator, told of it, may."""
    _stop(aktif, staff, dt.date(2024, 3, 1), alasan=AlasanBerhenti.MENINGGAL)
    with pytest.raises(ValidationError, match="meninggal dunia; tidak dapat didaftarkan lagi"):
        services.psm_change_status(
            psm=aktif, ke=StatusPsm.CALON, tanggal=dt.date(2025, 5, 1), by=staff
        )
    aktif.refresh_from_db()
    assert aktif.status == StatusPsm.BERHENTI
    admin = make_user(Role.ADMIN, username="admin-portal")
    services.psm_change_status(psm=aktif, ke=StatusPsm.CALON, tanggal=dt.date(2025, 5, 1), by=admin)
    aktif.refresh_from_db()
    assert aktif.status == StatusPsm.CALON


def test_a_first_candidacy_may_follow_its_sk(regions, staff):
    """A review: an office entering its PSM of earlier years types the joining date as it was
    recorded, sometimes after their SK; only a re-registration needs an SK of its own."""
    from tests.factories import PsmFactory

    psm = PsmFactory(
        tanggal_bergabung=dt.date(2021, 3, 1), status="calon", status_sejak=dt.date(2021, 3, 1)
    )
    BimtekFactory(psm=psm, tanggal=dt.date(2021, 1, 15))
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    services.psm_change_status(psm=psm, ke=StatusPsm.AKTIF, tanggal=dt.date(2021, 3, 1), by=staff)
    psm.refresh_from_db()
    assert psm.status == StatusPsm.AKTIF


def test_a_draft_dated_in_a_spell_set_afterwards_is_not_sent_from_its_page(aktif, staff):
    """A review: the draft saved while aktif was sent from the case page after its days were
    made nonaktif (a change dated back), and counted for a month not served."""
    user = make_user(Role.PSM, psm=aktif, username="sri")
    draft = make_case(user, submit=False, tanggal=dt.date(2026, 3, 5))
    services.psm_change_status(
        psm=aktif, ke=StatusPsm.NONAKTIF, tanggal=dt.date(2026, 3, 1), by=staff
    )
    phone = Client()
    phone.force_login(user)
    answer = phone.post(
        reverse("assessments:case-review", args=[draft.pk]),
        {"ke": "diajukan", "status_awal": "draf", "versi_awal": draft.versi},
        follow=True,
    )
    assert Asesmen.objects.get(pk=draft.pk).status == "draf"
    assert (
        "PSM ini nonaktif sejak 1 Maret 2026; kegiatan dan asesmen sejak tanggal itu tidak "
        "dapat dicatat."
    ) in [str(m) for m in answer.context["messages"]]


def test_a_psm_registered_again_needs_a_new_sk_to_be_made_aktif(aktif, staff):
    """The SK of 2021 appointed them for the term they stopped in 2024."""
    _stop(aktif, staff, dt.date(2024, 3, 1))
    services.psm_change_status(psm=aktif, ke=StatusPsm.CALON, tanggal=dt.date(2025, 5, 1), by=staff)
    aktif.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.psm_change_status(
            psm=aktif, ke=StatusPsm.AKTIF, tanggal=dt.date(2025, 5, 2), by=staff
        )
    assert refused.value.messages == [
        "SK pengangkatan terakhir (400.9/001/2021, 1 Februari 2021) lebih lama dari "
        "pendaftarannya sebagai calon (1 Mei 2025): catat SK pengangkatan yang baru."
    ]
    SkFactory(psm=aktif, tanggal_sk=dt.date(2025, 5, 2), nomor_sk="400.9/014/2025")
    services.psm_change_status(psm=aktif, ke=StatusPsm.AKTIF, tanggal=dt.date(2025, 5, 2), by=staff)
    aktif.refresh_from_db()
    assert aktif.status == StatusPsm.AKTIF
