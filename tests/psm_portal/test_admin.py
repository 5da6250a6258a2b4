"""Django's admin, as every model registered in it answers requests an administrator's browser
never sends: a fuzzing run found these answered 500 (nothing a user can send may)."""

import datetime as dt
import io

import pytest
from django import forms
from django.contrib import admin
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from psm_portal.admin import UserAdmin as PortalUserAdmin
from psm_portal.admin_site import AdminGuards
from psm_portal.models import Kantor, Role, User
from registry.models import Kegiatan
from tests.factories import KegiatanFactory, make_user

NOT_KEYS = ["abc", "", "1.5", "99999999999999999999999"]


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _request_of(client):
    """A request of the signed-in administrator, for asking an admin what it permits."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=client.session["_auth_user_id"])
    return request


def test_every_model_in_the_admin_has_the_portals_guards_under_its_own_class():
    assert admin.site._registry, "nothing registered"
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AdminGuards), model
    # a library's admin keeps its class, the guards go between it and Django's ModelAdmin
    users = type(admin.site._registry[User])
    assert users.__mro__[1:3] == (AdminGuards, PortalUserAdmin)
    from axes.admin import AccessAttemptAdmin
    from axes.models import AccessAttempt

    attempts = type(admin.site._registry[AccessAttempt])
    assert attempts.__mro__[1:3] == (AdminGuards, AccessAttemptAdmin)


@pytest.mark.parametrize("selected", NOT_KEYS)
def test_an_action_on_rows_that_are_not_keys_changes_nothing(admin_client, office, selected):
    """Django filtered the selected rows by the keys as posted and failed reading them."""
    users, kantor = User.objects.count(), Kantor.objects.count()
    request = _request_of(admin_client)
    for model, model_admin in admin.site._registry.items():
        answer = admin_client.post(
            _changelist(model),
            {"action": "delete_selected", "_selected_action": selected, "index": "0"},
            follow=True,
        )
        assert answer.status_code == 200, (model, answer.status_code)
        keyed_by_number = model._meta.pk.get_internal_type() != "CharField"
        if keyed_by_number and "delete_selected" in model_admin.get_actions(request):
            text = answer.content.decode()
            assert "Baris yang dipilih tidak dikenal. Tidak ada yang diubah." in text, model
    assert (User.objects.count(), Kantor.objects.count()) == (users, kantor)


def test_an_action_on_real_rows_still_runs(admin_client, office):
    answer = admin_client.post(
        _changelist(Kantor),
        {"action": "delete_selected", "_selected_action": str(office.pk), "post": "yes"},
    )
    assert answer.status_code == 302
    assert not Kantor.objects.filter(pk=office.pk).exists()


def test_an_action_on_rows_keyed_by_text_still_runs(admin_client, regions):
    """The check of the posted keys must not refuse real ones that are not numbers."""
    from assessments.models import Program

    program = Program.objects.order_by("pk").first()
    answer = admin_client.post(
        _changelist(Program), {"action": "delete_selected", "_selected_action": program.pk}
    )
    # Django's confirmation page, naming the programme
    assert answer.status_code == 200
    assert "Are you sure" in answer.content.decode() or "Yakin" in answer.content.decode()
    assert program.nama in answer.content.decode()


def test_an_empty_to_field_means_the_key(admin_client, regions):
    """ "?_to_field=" was taken as a field named "" on a change or delete page."""
    user = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv")
    for view in ["change", "delete"]:
        url = reverse(f"admin:psm_portal_user_{view}", args=[user.pk])
        answer = admin_client.get(url + "?_to_field=")
        assert answer.status_code == 200, view
        assert "spv" in answer.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "tanggal__year=9999",
        "tanggal__year=9999&tanggal__month=12",
        "tanggal__year=9999&tanggal__month=12&tanggal__day=31",
    ],
)
def test_a_date_link_past_the_last_year_is_refused_as_a_bad_filter(admin_client, psm, query):
    """Django read the year after 9999, or the month or day after its last, with no guard."""
    KegiatanFactory(psm=psm, tanggal=dt.date(2026, 3, 2))
    answer = admin_client.get(_changelist(Kegiatan) + "?" + query)
    assert answer.status_code == 302
    assert answer.url.endswith("?e=1")


def test_a_date_link_within_range_still_filters(admin_client, psm):
    KegiatanFactory(psm=psm, tanggal=dt.date(2026, 3, 2))
    KegiatanFactory(psm=psm, tanggal=dt.date(2025, 3, 2))
    url = _changelist(Kegiatan)
    answer = admin_client.get(url + "?tanggal__year=2026&tanggal__month=3")
    assert answer.status_code == 200
    assert answer.context["cl"].result_count == 1


def test_the_refusal_is_in_the_administrators_language(admin_client, office):
    answer = admin_client.post(
        _changelist(Kantor),
        {"action": "delete_selected", "_selected_action": "abc", "index": "0"},
        headers={"accept-language": "en"},
        follow=True,
    )
    assert "The selected rows are not known. Nothing was changed." in answer.content.decode()
    assert Kantor.objects.count() == 1


def _posted_back(answer, **changes) -> dict:
    """The admin change form's values as the browser would send them back, with ``changes``."""
    form = answer.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue  # a file not chosen again is kept
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = value
    return {**data, **changes}


def test_a_signers_nip_is_eighteen_digits(admin_client, office):
    """domain.md §5.3: '19680411199303100A' was saved and printed under every signature."""
    url = reverse("admin:psm_portal_kantor_change", args=[office.pk])
    answer = admin_client.post(
        url, _posted_back(admin_client.get(url), penandatangan_nip="19680411199303100A")
    )
    assert answer.status_code == 200
    assert "NIP harus 18 digit angka, tanpa spasi" in answer.content.decode()
    assert Kantor.objects.get().penandatangan_nip == "196804111993032009"
    answer = admin_client.post(
        url, _posted_back(admin_client.get(url), penandatangan_nip="196804111993032010")
    )
    assert answer.status_code == 302
    assert Kantor.objects.get().penandatangan_nip == "196804111993032010"


@pytest.mark.parametrize(
    ("kode", "tingkat", "induk", "field", "message"),
    [
        ("33.71.01.5003", "4", "33.71.01", "kode", "tidak berformat kode desa/kelurahan"),
        ("33.71.00", "3", "33.71", "kode", "tidak boleh 00"),
        ("33.71.02.2999", "4", "33.71.01", "induk", "Induk wilayah 33.71.02.2999 adalah 33.71.02"),
        ("3371", "2", "33", "kode", "contoh: 33.71"),
    ],
)
def test_a_region_added_in_the_admin_has_kemendagris_format_and_parent(
    admin_client, regions, kode, tingkat, induk, field, message
):
    """domain.md §6.1: the admin took "33.71.01.5003" (there is no fifth kind of desa)."""
    from registry.models import Wilayah

    url = reverse("admin:registry_wilayah_add")
    data = {"kode": kode, "nama": "Uji", "tingkat": tingkat, "jenis": "desa", "induk": induk}
    answer = admin_client.post(url, {**data, "sumber": "Uji"})
    assert answer.status_code == 200
    assert message in str(answer.context["adminform"].form.errors[field])
    assert not Wilayah.objects.filter(kode=kode).exists()
    good = {**data, "kode": "33.71.01.2999", "tingkat": "4", "induk": "33.71.01"}
    assert admin_client.post(url, {**good, "sumber": "Uji"}).status_code == 302


def test_the_offices_logo_is_not_a_link_to_media(admin_client, office, settings, tmp_path):
    """/media/ is not served: the admin's link to the stored logo led to a 404."""
    settings.MEDIA_ROOT = tmp_path
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "navy").save(out, "PNG")
    office.logo.save("logo.png", ContentFile(out.getvalue()))
    url = reverse("admin:psm_portal_kantor_change", args=[office.pk])
    page = admin_client.get(url).content.decode()
    assert "berkas tersimpan" in page and 'name="logo-clear"' in page
    assert office.logo.name not in page and "/media/" not in page
    # kept when the form is saved without a new one
    assert admin_client.post(url, _posted_back(admin_client.get(url))).status_code == 302
    office.refresh_from_db()
    assert office.logo.name.startswith("kantor/")


def test_the_admin_pages_carry_the_portals_icon(admin_client, office):
    """Without it the browser asked for /favicon.ico, a 404 in the console of every admin page."""
    for url in (
        reverse("admin:index"),
        reverse("admin:psm_portal_kantor_change", args=[office.pk]),
    ):
        page = admin_client.get(url).content.decode()
        assert 'rel="icon"' in page and "img/psm-192" in page, url
        assert 'id="site-name"' in page, url  # the admin's own header kept


def test_a_psms_status_changes_only_through_the_portal_with_its_history(admin_client, regions):
    """The yearly reports read who was aktif when from the status history: the admin's form
    changed the status without writing it."""
    from tests.factories import PsmFactory

    psm = PsmFactory(status="aktif")
    url = reverse("admin:registry_psm_change", args=[psm.pk])
    page = admin_client.get(url)
    assert 'name="status"' not in page.content.decode()
    answer = admin_client.post(url, {**_posted_back(page), "status": "berhenti"})
    assert answer.status_code == 403  # the admin changes no PSM
    psm.refresh_from_db()
    assert psm.status == "aktif"


def test_the_admin_is_named_as_the_portal_in_its_language(admin_client):
    """A browser walk: the admin was headed "Administrasi Django", with a section "Tasks
    Database Backend" in English among the Indonesian ones."""
    page = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Administrasi Portal PSM" in page and "Antrean tugas latar belakang" in page
    assert "Administrasi Django" not in page and "Tasks Database Backend" not in page


def test_the_admin_only_shows_a_psm_who_is_changed_through_the_portal(admin_client, regions):
    """From a review: the admin's form moved an aktif PSM's joining date past their activation
    (the reports dropped the years between) and made them WNA, with nothing in the history."""
    from tests.factories import PsmFactory

    psm = PsmFactory(status="aktif", nama="Sri Lestari")
    url = reverse("admin:registry_psm_change", args=[psm.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "Sri Lestari" in page.content.decode()
    assert 'name="tanggal_bergabung"' not in page.content.decode()
    answer = admin_client.post(url, {**_posted_back(page), "tanggal_bergabung": "2026-06-01"})
    assert answer.status_code == 403
    psm.refresh_from_db()
    assert psm.tanggal_bergabung == dt.date(2020, 1, 6)
    assert admin_client.post(reverse("admin:registry_psm_delete", args=[psm.pk])).status_code == 403


def test_an_accounts_role_regions_and_psm_given_in_the_admin_are_in_the_trail(
    admin_client, regions
):
    """UU 27/2022 Pasal 31: a role or region grants reading specific data; Django's admin log
    keeps only the names of the fields changed."""
    from psm_portal.models import AuditEvent, Role, User
    from tests.factories import make_user

    user = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-baru")
    url = reverse("admin:psm_portal_user_change", args=[user.pk])
    page = admin_client.get(url)
    answer = admin_client.post(url, {**_posted_back(page), "role": "staf"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    event = AuditEvent.objects.get(action="akun.update")
    assert (event.before, event.after) == ({"role": "supervisor"}, {"role": "staf"})
    assert event.target_label == "spv-baru" and event.actor_label

    # saved again unchanged: nothing more written
    page = admin_client.get(url)
    admin_client.post(url, _posted_back(page))
    assert AuditEvent.objects.filter(action="akun.update").count() == 1

    admin_client.post(reverse("admin:psm_portal_user_delete", args=[user.pk]), {"post": "yes"})
    assert not User.objects.filter(pk=user.pk).exists()
    gone = AuditEvent.objects.get(action="akun.delete")
    assert gone.before["role"] == "staf" and gone.before["scope"] == ["33.71"]


def test_an_account_made_in_the_admin_is_in_the_trail(admin_client, regions):
    from psm_portal.models import AuditEvent

    answer = admin_client.post(
        reverse("admin:psm_portal_user_add"),
        {
            "username": "staf-baru",
            "password1": "Kata-sandi-panjang-2026",
            "password2": "Kata-sandi-panjang-2026",
            "usable_password": "true",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    made = AuditEvent.objects.get(action="akun.create")
    assert made.target_label == "staf-baru" and made.after["is_active"] is True
    assert "password" not in str(made.after)
