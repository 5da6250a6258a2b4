"""Dashboard snapshots: figures computed once per role/scope/year/kecamatan and said to be as old
as they are; a province or the country is computed by the task worker, never in the request."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from psm_portal.models import Role
from reports.dashboard import refresh_dashboard
from reports.models import CuplikanDasbor
from tests.factories import PsmFactory, make_user
from tests.workers import run_worker

YEAR = timezone.localdate().year
TASK_PATH = "reports.dashboard.refresh_dashboard"


def _age(minutes: int) -> None:
    CuplikanDasbor.objects.update(dihitung_pada=timezone.now() - dt.timedelta(minutes=minutes))


def test_a_kab_kota_office_shares_one_snapshot_until_it_is_too_old(client, regions, office):
    PsmFactory(status="aktif")
    first = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-1")
    second = make_user(Role.STAF, scope=["33.71"], username="staf-1")
    same_role = make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-2")
    client.force_login(first)
    assert client.get(reverse("reports:dashboard")).context["f"]["psm_total"] == 1
    client.force_login(same_role)
    client.get(reverse("reports:dashboard"))
    client.force_login(second)  # another role: its own figures (its queue differs)
    client.get(reverse("reports:dashboard"))
    assert CuplikanDasbor.objects.count() == 2

    PsmFactory(status="aktif")
    client.force_login(first)
    page = client.get(reverse("reports:dashboard"))
    assert page.context["f"]["psm_total"] == 1  # still the stored figures, and it says when
    assert "Diperbarui paling lama tiap 5 menit" in page.content.decode()
    _age(6)
    assert client.get(reverse("reports:dashboard")).context["f"]["psm_total"] == 2
    assert not DBTaskResult.objects.exists()  # small enough to compute in the request


def test_a_stale_provincial_snapshot_is_shown_with_its_time_while_one_refresh_runs(
    client, regions, office
):
    PsmFactory(status="aktif")
    provincial = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov")
    colleague = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov-2")
    client.force_login(provincial)
    waiting = client.get(reverse("reports:dashboard"))
    body = waiting.content.decode()
    assert waiting.context["f"] is None
    assert "sedang dihitung oleh pekerja latar" in body
    assert '<meta http-equiv="refresh" content="5">' in body
    client.force_login(colleague)
    client.get(reverse("reports:dashboard"))  # the same view of the data: no second task
    (queued,) = DBTaskResult.objects.filter(task_path=TASK_PATH)
    refresh_dashboard.call(*queued.args_kwargs["args"])
    assert client.get(reverse("reports:dashboard")).context["f"]["psm_total"] == 1

    PsmFactory(status="aktif")
    _age(60 * 26)  # yesterday's figures
    page = client.get(reverse("reports:dashboard"))
    body = page.content.decode()
    assert page.context["f"]["psm_total"] == 1 and page.context["memperbarui"]
    assert "Angka terbaru sedang dihitung" in body and "Angka dihitung pukul" not in body
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 2
    client.get(reverse("reports:dashboard"))
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 2


def test_a_refresh_whose_worker_died_may_be_asked_for_again(client, regions, office, settings):
    provincial = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov")
    client.force_login(provincial)
    client.get(reverse("reports:dashboard"))
    stale = timezone.now() - dt.timedelta(minutes=settings.PSM_DOCUMENT_STALE_MINUTES + 1)
    CuplikanDasbor.objects.update(diminta_pada=stale)
    client.get(reverse("reports:dashboard"))
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_national_dashboard(client, regions, office):
    for _ in range(3):
        PsmFactory(status="aktif")
    national = make_user(Role.ADMIN, username="admin-nasional")
    client.force_login(national)
    assert client.get(reverse("reports:dashboard")).context["f"] is None
    worker = run_worker()
    assert worker.returncode == 0, worker.stderr
    page = client.get(reverse("reports:dashboard"))
    assert page.context["f"]["psm_total"] == 3 and not page.context["memperbarui"]
    assert "Angka dihitung pukul" in page.content.decode()


def test_months_and_queue_ages_are_named_in_the_readers_language(client, regions, office):
    PsmFactory(status="aktif")
    client.force_login(make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-1"))
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert ">Agu<" in body and ">lebih dari 30 hari<" in body
    client.cookies["django_language"] = "en"
    body = client.get(reverse("reports:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Aug<" in body and ">more than 30 days<" in body  # the same stored snapshot


def test_a_snapshot_of_an_older_shape_is_computed_again(client, regions, office):
    PsmFactory(status="aktif")
    client.force_login(make_user(Role.SUPERVISOR, scope=["33.71"], username="spv-1"))
    client.get(reverse("reports:dashboard"))
    CuplikanDasbor.objects.update(data={"trend": [["Jan", 0, 0]]})  # before SNAPSHOT_FORMAT
    assert client.get(reverse("reports:dashboard")).context["f"]["psm_total"] == 1


def test_a_refresh_asked_by_an_account_whose_scope_changed_stores_nothing(client, regions, office):
    provincial = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov")
    client.force_login(provincial)
    client.get(reverse("reports:dashboard"))
    provincial.scope.set([])  # widened to the whole country before the worker ran
    provincial.role = "admin"
    provincial.save()
    (queued,) = DBTaskResult.objects.filter(task_path=TASK_PATH)
    refresh_dashboard.call(*queued.args_kwargs["args"])
    snapshot = CuplikanDasbor.objects.get()
    assert snapshot.data is None and snapshot.pengguna is None and snapshot.diminta_pada is None
    colleague = make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov-2")
    client.force_login(colleague)
    client.get(reverse("reports:dashboard"))  # asks again, as the colleague
    assert CuplikanDasbor.objects.get().pengguna == colleague


def test_a_refresh_no_worker_takes_says_so(client, regions, office):
    client.force_login(make_user(Role.SUPERVISOR, scope=["33"], username="spv-prov"))
    assert (
        "belum diambil pekerja latar"
        not in client.get(reverse("reports:dashboard")).content.decode()
    )
    CuplikanDasbor.objects.update(diminta_pada=timezone.now() - dt.timedelta(minutes=3))
    body = client.get(reverse("reports:dashboard")).content.decode()
    assert "belum diambil pekerja latar" in body and "db_worker" in body
