"""Retention of a stopped PSM's personal data (``registry.retention``, UU 27/2022 Pasal 42-44):
years after a PSM stopped, what identifies or reaches them goes; their name and service record
stay as the office's archive, and the profile says what happened."""

import datetime as dt
import io

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from psm_portal import audit
from psm_portal.models import AuditEvent, Kantor, Role
from registry import services
from registry.models import Kegiatan, KegiatanFoto, Psm, PsmAppointment, StatusPsm
from registry.retention import apply_psm_retention
from tests.factories import KegiatanFactory, PsmFactory, SkFactory, make_user

STOPPED = dt.date(2026, 1, 15)
# Six years after STOPPED: past a five-year retention.
LATER = timezone.make_aware(dt.datetime(2032, 2, 1, 9))
TYPED = ["3371014503900001", "Jl. Tidar 3", "Kampung Botton 7", "0812", "sri@contoh.id"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _jpeg() -> ContentFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 50), (90, 120, 40)).save(out, "JPEG")
    return ContentFile(out.getvalue(), name="foto.jpg")


@pytest.fixture
def stopped(regions, office, staff, media, client):
    """Sri, a PSM with everything a profile holds, who stopped on STOPPED; her login account,
    signed in with once and mistyped once, and changed in the admin."""
    psm = PsmFactory(
        nama="Sri Lestari",
        nik="3371014503900001",
        jenis_kelamin="P",
        tanggal_lahir=dt.date(1990, 3, 5),
        alamat_ktp="Jl. Tidar 3 RT 01/RW 02",
        alamat_domisili="Kampung Botton 7",
        telepon="081200000009",
        email="sri@contoh.id",
        pekerjaan="Pedagang",
        motivasi="Membantu tetangga lansia",
        status=StatusPsm.AKTIF,
    )
    psm.foto.save("foto.jpg", _jpeg())
    Psm.objects.filter(pk=psm.pk).update(foto_persetujuan_pada=timezone.now())
    SkFactory(psm=psm, nomor_sk="400.9/017/2021")
    account = make_user(Role.PSM, psm=psm, username="081200000009")  # her phone as login name
    account.email = "sri@contoh.id"
    account.save()
    for password in ("sandi-uji-123", "salah-ketik"):  # the login records (django-axes)
        client.post(reverse("login"), {"username": "081200000009", "password": password})
        client.logout()
    LogEntry.objects.log_actions(
        staff.pk, [account], CHANGE, change_message="Akun diubah", single_object=True
    )
    activity = KegiatanFactory(psm=psm, uraian="Kunjungan lansia RW 03")
    KegiatanFoto(kegiatan=activity).berkas.save("kegiatan.jpg", _jpeg())
    audit.record(by=account, action="kegiatan.create", target=activity)
    audit.record(by=staff, action="akun.ubah", target=account, after={"email": "sri@contoh.id"})
    services.psm_update(psm=psm, data={"telepon": "081234567001"}, by=staff)  # an audited change
    services.psm_change_status(
        psm=psm,
        ke=StatusPsm.BERHENTI,
        tanggal=STOPPED,
        alasan="pindah_domisili",
        catatan="Ikut suami pindah ke Kampung Botton 7",
        referensi="400.9/101/2026",
        by=staff,
    )
    psm.refresh_from_db()
    return psm


@pytest.mark.django_db
def test_a_psm_stopped_past_retention_keeps_name_and_record_and_loses_the_rest(
    stopped, media, django_capture_on_commit_callbacks
):
    photo = media / stopped.foto.name
    activity_photo = media / KegiatanFoto.objects.get().berkas.name
    assert photo.exists() and activity_photo.exists()
    for model in (AccessLog, AccessAttempt):  # what the fixture left (no failure log kept here)
        assert model.objects.filter(username="081200000009").exists(), model
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_psm_retention(years=5, now=LATER) == 1

    psm = Psm.objects.get(pk=stopped.pk)
    assert psm.nik is None
    assert (psm.tempat_lahir, psm.alamat_ktp, psm.alamat_domisili) == ("", "", "")
    assert (psm.telepon, psm.email, psm.pekerjaan, psm.motivasi) == ("", "", "", "")
    assert psm.tanggal_lahir == dt.date(1990, 1, 1)  # the year, for age bands
    assert not psm.foto and psm.foto_persetujuan_pada is None
    assert not photo.exists()
    assert psm.dianonimkan_pada == LATER
    # the archive: name, status, its history and the service record
    assert (psm.nama, psm.status, psm.status_sejak) == ("Sri Lestari", "berhenti", STOPPED)
    stop = psm.riwayat_status.get(ke="berhenti")
    assert (stop.alasan, stop.referensi, stop.catatan) == ("pindah_domisili", "400.9/101/2026", "")
    assert PsmAppointment.objects.get(psm=psm).nomor_sk == "400.9/017/2021"
    # the activities stay, counted in past years' reports; their photos (residents' faces) go
    assert Kegiatan.objects.get(psm=psm).uraian == "Kunjungan lansia RW 03"
    assert not KegiatanFoto.objects.exists() and not activity_photo.exists()
    # the account: its login name was her telephone number; what it did is named by the new one
    account = psm.user
    assert account.email == ""
    assert account.username == f"dihapus#{account.pk}"
    assert not account.has_usable_password() and not account.is_active
    acted = AuditEvent.objects.get(actor_id=account.pk, action="kegiatan.create")
    assert acted.actor_label == f"dihapus#{account.pk}"
    # nowhere else either: the trail (actor and target labels), the admin's log, the login records
    kept = [
        *AuditEvent.objects.values_list("actor_label", "target_label", "before", "after", "reason"),
        *LogEntry.objects.values_list("object_repr", "change_message"),
        *get_user_model().objects.values_list("username", "email"),
    ]
    assert kept and "081200000009" not in repr(kept)
    assert LogEntry.objects.get(object_id=str(account.pk)).object_repr == account.username
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        assert not model.objects.filter(username="081200000009").exists(), model
    # the trail says who did what and when, and no longer what was typed
    events = AuditEvent.objects.filter(target_type="registry.psm", target_id=str(psm.pk))
    assert {"psm.update", "psm.retensi"} <= set(events.values_list("action", flat=True))
    stored = repr(list(events.values_list("before", "after", "reason", "target_label")))
    for typed in TYPED:
        assert typed not in stored, typed
    assert events.get(action="psm.retensi").after == {"masa_retensi_tahun": 5}
    on_account = AuditEvent.objects.get(target_type="psm_portal.user", target_id=str(psm.user.pk))
    assert (on_account.action, on_account.before, on_account.after) == ("akun.ubah", None, None)

    # a rerun finds nothing more to do
    assert apply_psm_retention(years=5, now=LATER) == 0


@pytest.mark.django_db
def test_an_office_account_that_is_also_a_stopped_psm_keeps_working(stopped, regions):
    """The office's own staff may serve as PSM too; their PSM record's retention is not their
    working login's end."""
    psm = PsmFactory(status=StatusPsm.BERHENTI, status_sejak=STOPPED)
    budi = make_user(Role.STAF, scope=["33.71"], psm=psm, username="budi.staf")
    budi.email = "budi@dinsos.id"
    budi.save()
    assert apply_psm_retention(years=5, now=LATER) == 2

    budi.refresh_from_db()
    assert (budi.username, budi.email, budi.is_active) == (
        "budi.staf",
        "budi@dinsos.id",
        True,
    )
    assert budi.check_password("sandi-uji-123")
    assert Psm.objects.get(pk=psm.pk).nik is None  # the PSM record's data went all the same


@pytest.mark.django_db
def test_only_psm_stopped_for_the_whole_period_are_due(stopped, regions):
    kept = {"telepon": "081299990000", "status_sejak": dt.date(2019, 1, 1)}
    active = PsmFactory(status=StatusPsm.AKTIF, **kept)
    stopped_later = PsmFactory(
        status=StatusPsm.BERHENTI, **{**kept, "status_sejak": dt.date(2027, 6, 1)}
    )
    inactive = PsmFactory(status=StatusPsm.NONAKTIF, **kept)

    assert apply_psm_retention(years=5, now=LATER, dry_run=True) == 1
    assert Psm.objects.get(pk=stopped.pk).nik == "3371014503900001"  # a dry run changes nothing
    assert apply_psm_retention(years=7, now=LATER) == 0  # stopped six years ago: not yet
    assert apply_psm_retention(years=5, now=LATER) == 1
    for psm in (active, stopped_later, inactive):
        psm.refresh_from_db()
        assert psm.nik and psm.dianonimkan_pada is None and psm.telepon == "081299990000"
        assert psm.alamat_ktp


@pytest.mark.django_db
def test_the_command_applies_both_periods_it_is_given(stopped):
    out = io.StringIO()
    Kantor.objects.filter(pk=1).update(retensi_psm_tahun=5)
    call_command("terapkan_retensi", "--dry-run", stdout=out)
    # stopped this year: not due for five years; the cases' period is not decided
    assert "Masa retensi berkas kasus belum diatur: berkas kasus tidak diubah." in out.getvalue()
    assert "data pribadi 0 PSM berhenti akan dihapus" in out.getvalue()
    Psm.objects.filter(pk=stopped.pk).update(status_sejak=dt.date(2020, 1, 6))
    call_command("terapkan_retensi", stdout=out)
    assert "Masa retensi data PSM 5 tahun: data pribadi 1 PSM berhenti sudah dihapus." in (
        out.getvalue()
    )
    assert Psm.objects.get(pk=stopped.pk).nik is None


@pytest.mark.django_db
def test_an_erased_profile_says_so_and_cannot_be_edited_or_made_a_candidate_again(
    stopped, client, staff
):
    apply_psm_retention(years=5, now=LATER)
    client.force_login(staff)
    profile = reverse("registry:psm-detail", args=[stopped.pk])
    page = client.get(profile).content.decode()
    assert "dihapus pada 1 Februari 2032 karena masa retensinya berakhir" in page
    # its change history names the step (a walk: "psm.retensi", "Masa_retensi_tahun: 5")
    assert "Data pribadi dihapus (masa retensi berakhir)" in page
    assert "5 tahun setelah berhenti" in page
    assert "psm.retensi" not in page and "asa_retensi_tahun" not in page
    assert "Tahun lahir" in page and "1990" in page
    assert "None" not in page and "Jl. Tidar" not in page
    assert reverse("registry:psm-update", args=[stopped.pk]) not in page
    assert "400.9/017/2021" in page  # the service record, still correctable
    assert reverse("registry:psm-record-add", args=[stopped.pk, "sk"]) in page

    refused = "Data pribadi PSM ini sudah dihapus karena masa retensinya berakhir"
    answer = client.get(reverse("registry:psm-update", args=[stopped.pk]), follow=True)
    assert answer.redirect_chain[-1][0] == profile
    assert refused in answer.content.decode()
    answer = client.post(
        reverse("registry:psm-status", args=[stopped.pk]),
        {"ke": "calon", "tanggal": "2032-02-02"},
        follow=True,
    )
    assert refused in answer.content.decode()
    assert Psm.objects.get(pk=stopped.pk).status == StatusPsm.BERHENTI
    with pytest.raises(services.ValidationError, match="daftarkan sebagai PSM baru"):
        services.psm_change_status(
            psm=stopped, ke=StatusPsm.CALON, tanggal=dt.date(2032, 2, 2), by=staff
        )

    # the list and its export carry the archive's row without a NIK
    listing = client.get(reverse("registry:psm-list"), {"q": "Sri Lestari"}).content.decode()
    assert "Sri Lestari" in listing and "None" not in listing
    assert '<td class="nik"><span class="text-body-secondary">dihapus</span></td>' in listing
    export = client.get(reverse("registry:psm-export", args=["csv"]))
    rows = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    (row,) = [r for r in rows if "Sri Lestari" in r]
    assert "None" not in row and "1990" not in row  # not "1 January 1990" as a birth date

    # her activities stay in the record; the page says where their photos went
    activity = Kegiatan.objects.get(psm=stopped)
    page = client.get(reverse("registry:activity-detail", args=[activity.pk])).content.decode()
    assert "Kunjungan lansia RW 03" in page
    assert "Foto kegiatan PSM ini, bila ada, dihapus pada 1 Februari 2032 bersama" in page
    assert reverse("registry:activity-photo", args=[activity.pk, 1])[:-2] not in page


@pytest.mark.django_db
def test_someone_who_comes_back_is_registered_anew_with_their_nik(stopped, staff):
    apply_psm_retention(years=5, now=LATER)
    again = services.psm_register(
        data={
            "nik": "3371014503900001",
            "nama": "Sri Lestari",
            "jenis_kelamin": "P",
            "tempat_lahir": "Magelang",
            "tanggal_lahir": dt.date(1990, 3, 5),
            "alamat_ktp": "Jl. Tidar 3 RT 01/RW 02",
            "desa_ktp": stopped.desa_ktp,
            "desa_tugas": stopped.desa_tugas,
            "tanggal_bergabung": dt.date(2032, 2, 1),
            "bisa_baca_tulis": True,
            "berkelakuan_baik": True,
        },
        by=staff,
        today=dt.date(2032, 2, 1),
    )
    assert again.pk != stopped.pk and again.nik == "3371014503900001"


@pytest.mark.django_db
def test_the_privacy_notice_states_the_psm_period_once_it_is_set(client, office):
    before = client.get(reverse("privacy")).content.decode()
    assert "setelah ia berhenti" not in before
    Kantor.objects.filter(pk=1).update(retensi_kasus_tahun=10, retensi_psm_tahun=5)
    page = " ".join(client.get(reverse("privacy")).content.decode().split())
    assert "Data pribadi PSM yang sudah berhenti" in page
    assert "disimpan 5 tahun setelah ia berhenti, lalu dihapus" in page
    assert "nama pengguna akunnya dan catatan masuknya, foto kegiatannya" in page
    assert "data PSM dan catatan kegiatannya mengikuti jadwal retensi arsip" not in page
    Kantor.objects.filter(pk=1).update(retensi_kasus_tahun=None)
    page = " ".join(client.get(reverse("privacy")).content.decode().split())
    assert "disimpan 5 tahun setelah ia berhenti" in page
    assert "Masa simpan data kasus mengikuti jadwal retensi arsip" in page
    assert "Masa simpan data PSM dan kasus" not in page
