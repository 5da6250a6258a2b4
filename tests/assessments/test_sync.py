"""Submissions from the phone's outbox: each identifier chosen on the device is processed once
(repeats, even simultaneous ones, get the same answer), refused copies may be corrected and sent
again, queued edits of a case that moved on meanwhile answer 409 with what changed, and phones
report when they last synced for staff to see."""

import json
import re
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import Asesmen, SinkronPerangkat, StatusAsesmen, Subjek
from psm_portal.models import KirimanOffline, Role
from registry.models import Wilayah
from tests.assessments.test_views import _form
from tests.factories import (
    MAGELANG_SELATAN,
    MAGELANG_UTARA,
    PsmFactory,
    make_case,
    make_user,
    ppks_reference,
)

S = StatusAsesmen


def _send(client, url, data, key=None, *, background=True):
    headers = {"X-Offline-Kiriman": str(key or uuid.uuid4())}
    if background:
        headers["X-Offline-Latar"] = "1"
    return client.post(url, data, headers=headers)


def _login(client, user):
    client.force_login(user)
    return client


def test_an_offline_submission_is_processed_once_and_a_repeat_gets_the_same_answer(client, people):
    c = _login(client, people["psm_a"])
    key, data = uuid.uuid4(), _form()
    first = _send(c, reverse("assessments:case-create"), data, key)
    again = _send(c, reverse("assessments:case-create"), data, key)
    case = Asesmen.objects.get()
    assert first.status_code == again.status_code == 200
    body, repeat = first.json(), again.json()
    assert body["status"] == "terkirim" and body["kasus"] == case.pk
    assert body["url"] == reverse("assessments:case-detail", args=[case.pk])
    assert body["pesan"] == ["Asesmen terkirim ke dinas (Diajukan)."]
    assert repeat.pop("ulangan") is True and repeat == body
    assert case.status == S.DIAJUKAN and str(case.client_uuid) == data["client_uuid"]
    assert Subjek.objects.count() == 1 and KirimanOffline.objects.get().kunci == key


def test_a_new_identifier_for_the_same_form_still_makes_one_case(client, people):
    # Two outbox items of one form (the PSM queued it twice): the form's own ID still holds.
    c = _login(client, people["psm_a"])
    data = _form(aksi="draf")
    assert _send(c, reverse("assessments:case-create"), data).status_code == 200
    data["masalah"] = "Atap bocor, hidup sendiri."
    assert _send(c, reverse("assessments:case-create"), data).status_code == 200
    case = Asesmen.objects.get()
    assert case.masalah == "Atap bocor, hidup sendiri." and case.status == S.DRAF


def test_a_background_send_leaves_no_message_for_the_next_page(client, people):
    c = _login(client, people["psm_a"])
    _send(c, reverse("assessments:case-create"), _form(), background=True)
    page = c.get(reverse("assessments:case-list")).content.decode()
    assert "Asesmen terkirim ke dinas" not in page


def test_a_foreground_send_keeps_the_message_for_the_page_it_opens(client, people):
    c = _login(client, people["psm_a"])
    answer = _send(c, reverse("assessments:case-create"), _form(), background=False).json()
    assert "Asesmen terkirim ke dinas (Diajukan)." in c.get(answer["url"]).content.decode()


def test_a_refused_submission_names_each_problem_and_may_be_corrected_under_the_same_id(
    client, people
):
    c = _login(client, people["psm_a"])
    key = uuid.uuid4()
    data = _form(masalah="", **{"s-nama": ""})
    refused = _send(c, reverse("assessments:case-create"), data, key)
    assert refused.status_code == 400
    body = refused.json()
    assert body["status"] == "perlu_diperbaiki"
    assert "Masalah utama" in body["galat"] and "Nama" in body["galat"]
    assert not Asesmen.objects.exists() and not KirimanOffline.objects.exists()
    fixed = _send(
        c,
        reverse("assessments:case-create"),
        {**data, **_form(client_uuid=data["client_uuid"])},
        key,
    )
    assert fixed.status_code == 200 and Asesmen.objects.count() == 1


def test_warnings_not_yet_confirmed_come_back_as_problems(client, people):
    c = _login(client, people["psm_a"])
    answer = _send(
        c, reverse("assessments:case-create"), _form(**{"s-tanggal_lahir": "1990-01-01"})
    )
    assert answer.status_code == 400
    assert any("LUT umumnya untuk umur 60+" in w for w in answer.json()["peringatan"])
    assert not Asesmen.objects.exists()


def test_a_queued_form_whose_subject_is_gone_is_refused_in_json_not_retried(client, people):
    """Filled offline for a subject that is not there (or not theirs): the view raises 404,
    which the outbox must read as a refusal (an HTML page made the phone retry it for ever)."""
    url = reverse("assessments:case-create") + "?subjek=999999"
    answer = _send(_login(client, people["psm_a"]), url, _form())
    assert answer.status_code == 404 and answer.json()["status"] == "ditolak"
    assert "tidak ada lagi" in answer.json()["pesan"][0]
    assert not Asesmen.objects.exists()


def _identity_as_shown(subject):
    """The identity part of the form as the page showed it for ``subject``: sent back as is."""
    return {
        f"s-{name}": "" if value is None else value
        for name, value in {
            "jenis": subject.jenis,
            "nama": subject.nama,
            "nik": subject.nik,
            "alasan_tanpa_nik": subject.alasan_tanpa_nik,
            "jenis_kelamin": subject.jenis_kelamin,
            "tanggal_lahir": subject.tanggal_lahir.isoformat(),
            "alamat": subject.alamat,
            "rt": subject.rt,
            "rw": subject.rw,
            "desa": subject.desa_id,
        }.items()
    }


@pytest.mark.parametrize("kept_by", ["psm_a", "staf"])
def test_a_queued_form_for_a_subject_merged_meanwhile_is_saved_on_the_subject_kept(
    client, people, kept_by
):
    """The PSM opened "new assessment" for a subject of theirs and filled it offline; the office
    merged that subject into another meanwhile. The case goes to the subject kept (it was
    refused: the PSM no longer sees a merged subject, its cases having moved), and the kept
    subject's identity is not rewritten with the merged one's, which the form still held. (Its
    first case still a draft: once one went to the office the form has no identity part.)"""
    mine = make_case(people["psm_a"], subject={"nama": "Mbah Karto"}, submit=False)
    kept = make_case(
        people[kept_by],
        subject={"nama": "Mbah Karto Wiryo", "nik": "3371011708440001", "alasan_tanpa_nik": ""},
    ).subjek
    c = _login(client, people["psm_a"])
    url = reverse("assessments:case-create") + f"?subjek={mine.subjek_id}"
    assert 'name="s-nama"' in c.get(url).content.decode()  # the form as the phone keeps it
    services.subject_merge(keep=kept, duplicate=mine.subjek, by=people["staf"])

    answer = _send(c, url, {**_form(), **_identity_as_shown(Subjek.objects.get(pk=mine.subjek_id))})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    case = Asesmen.objects.get(pk=body["kasus"])
    assert case.subjek_id == kept.pk and case.status == S.DIAJUKAN
    assert body["pesan"] == [
        "Asesmen terkirim ke dinas (Diajukan).",
        f"Subjek ini sudah digabung dinas ke subjek #{kept.pk}; asesmen disimpan pada subjek itu.",
    ]
    kept.refresh_from_db()
    assert (kept.nama, kept.nik) == ("Mbah Karto Wiryo", "3371011708440001")
    # The link still opens, on the subject kept and without the merged one's identity.
    page = c.get(url)
    assert page.status_code == 200 and page.context["subject"] == kept
    assert 'name="s-nama"' not in page.content.decode()


def test_identity_changes_typed_for_a_subject_merged_meanwhile_are_not_dropped_unsaid(
    client, people
):
    """What the PSM corrected in the merged subject's identity cannot go onto the subject kept,
    nor be dropped unsaid: the case is saved, and the answer says what was typed and not saved.
    (Refused, the copy came back, and whoever opened it again found the changes restored and
    could only get past by retyping the old identity.)"""
    mine = make_case(people["psm_a"], subject={"nama": "Mbah Karto"})
    kept = make_case(people["staf"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    services.subject_merge(keep=kept, duplicate=mine.subjek, by=people["staf"])
    c = _login(client, people["psm_a"])
    url = reverse("assessments:case-create") + f"?subjek={mine.subjek_id}"
    typed = {
        **_identity_as_shown(mine.subjek),
        "s-nama": "Mbah Kartodiharjo",
        "s-rt": "04",
        "s-jenis_kelamin": "L",
        "s-no_kk": "3371010101080009",
    }
    data = {k: v for k, v in _form().items() if not k.startswith("s-")}

    answer = _send(c, url, {**data, **typed})
    assert answer.status_code == 200, answer.content
    assert answer.json()["pesan"][-1] == (
        f"Subjek ini sudah digabung dinas ke subjek #{kept.pk}; asesmen disimpan pada subjek "
        "itu, tetapi perubahan identitas yang Anda ketik tidak disimpan (Nama: Mbah "
        "Kartodiharjo; Nomor KK: 3371**********09; Jenis kelamin: Laki-laki; RT: 04). Minta "
        "staf dinas memperbaikinya bila perlu."
    )
    # masked (from a review): the message travels in the messages cookie and the receipt
    assert "3371010101080009" not in answer.content.decode()
    assert answer.json()["tingkat_pesan"] == ["success", "warning"]
    assert Asesmen.objects.get(client_uuid=data["client_uuid"]).subjek_id == kept.pk
    kept.refresh_from_db()
    assert (kept.nama, kept.jenis_kelamin, kept.rt) == ("Mbah Karto Wiryo", "P", "02")


def test_another_users_identifier_is_refused(client, people):
    key = uuid.uuid4()
    _send(_login(client, people["psm_a"]), reverse("assessments:case-create"), _form(), key)
    other = Client()
    answer = _send(_login(other, people["psm_b"]), reverse("assessments:case-create"), _form(), key)
    assert answer.status_code == 403 and answer.json()["status"] == "ditolak"
    assert Asesmen.objects.count() == 1


def test_a_malformed_identifier_is_refused(client, people):
    c = _login(client, people["psm_a"])
    answer = c.post(
        reverse("assessments:case-create"), _form(), headers={"X-Offline-Kiriman": "dua-kali"}
    )
    assert answer.status_code == 400 and not Asesmen.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_offline_submission_make_one_case_and_one_answer(regions, office):
    ppks_reference()
    psm = make_user(Role.PSM, psm=PsmFactory(), username="psm-paralel")
    key, data = uuid.uuid4(), _form()
    barrier = threading.Barrier(5)
    answers, failures = [], []

    def send():
        try:
            c = Client()
            c.force_login(psm)
            barrier.wait()
            response = _send(c, reverse("assessments:case-create"), data, key)
            answers.append((response.status_code, response.json()))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [status for status, _ in answers] == [200] * 5
    assert len({body["kasus"] for _, body in answers}) == 1
    assert sum(1 for _, body in answers if body.get("ulangan")) == 4
    assert Asesmen.objects.count() == 1 and Subjek.objects.count() == 1
    assert KirimanOffline.objects.count() == 1


# --- queued edits ----------------------------------------------------------------------------


def _edit(case, **overrides):
    data = _form(client_uuid=str(case.client_uuid), **overrides)
    data = {k: v for k, v in data.items() if not k.startswith("s-")}
    data["versi_dasar"] = overrides.get("versi_dasar", services.base_version(case))
    return data


def _own_subject_fields(case):
    s = case.subjek
    return {
        "s-jenis": s.jenis,
        "s-nama": s.nama,
        "s-alasan_tanpa_nik": s.alasan_tanpa_nik,
        "s-jenis_kelamin": s.jenis_kelamin,
        "s-tanggal_lahir": s.tanggal_lahir.isoformat(),
        "s-alamat": s.alamat,
        "s-desa": s.desa_id,
    }


def test_a_queued_edit_of_an_unchanged_draft_is_saved(client, people):
    case = make_case(people["psm_a"], submit=False)
    data = {**_edit(case, aksi="draf", masalah="Atap bocor."), **_own_subject_fields(case)}
    answer = _send(
        _login(client, people["psm_a"]), reverse("assessments:case-update", args=[case.pk]), data
    )
    assert answer.status_code == 200, answer.content
    case.refresh_from_db()
    assert case.masalah == "Atap bocor." and answer.json()["versi_dasar"] == services.base_version(
        case
    )


def test_a_queued_edit_of_a_case_returned_meanwhile_is_a_conflict_the_psm_may_override(
    client, people
):
    case = make_case(people["psm_a"], submit=False)
    opened = services.base_version(case)  # the PSM opens the draft, then loses the signal
    case = services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=people["psm_a"])
    services.assessment_transition(
        asesmen=case,
        ke=S.DIKEMBALIKAN,
        by=people["staf"],
        catatan="Lengkapi kondisi rumah.",
        komentar={"kondisi_rumah": "Dinding, lantai, atap?"},
    )
    url = reverse("assessments:case-update", args=[case.pk])
    c = _login(client, people["psm_a"])
    data = {**_edit(case, versi_dasar=opened, masalah="Versi luring."), **_own_subject_fields(case)}
    answer = _send(c, url, data)
    assert answer.status_code == 409
    body = answer.json()
    assert body["status"] == "konflik" and body["bisa_kirim"] is True
    assert body["status_kasus"] == "Dikembalikan untuk perbaikan"
    assert any(
        "Dikembalikan untuk perbaikan" in line and "Lengkapi kondisi rumah." in line
        for line in body["perubahan"]
    )
    assert "Kondisi tempat tinggal: Dinding, lantai, atap?" in body["perubahan"]
    case.refresh_from_db()
    assert case.masalah != "Versi luring." and not KirimanOffline.objects.exists()
    # The PSM reads what changed and sends their copy anyway, based on the server's version.
    again = _send(c, url, {**data, "versi_dasar": body["versi_server"]})
    assert again.status_code == 200, again.content
    case.refresh_from_db()
    assert case.masalah == "Versi luring." and case.status == S.DIAJUKAN


def test_a_queued_edit_of_a_case_whose_subject_was_merged_meanwhile_is_a_conflict(client, people):
    """The phone's copy carries the merged subject's identity: saved as it was, it would have
    written that identity over the subject the office kept (the merge moved the case without
    changing its version). It comes back as a conflict that says what happened."""
    case = make_case(people["psm_a"], submit=False, subject={"nama": "Mbah Karto"})
    opened = services.base_version(case)
    duplicate = case.subjek
    kept = make_case(people["staf"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    services.subject_merge(keep=kept, duplicate=duplicate, by=people["staf"])
    url = reverse("assessments:case-update", args=[case.pk])
    data = {**_edit(case, versi_dasar=opened), **_own_subject_fields(case)}
    answer = _send(_login(client, people["psm_a"]), url, data)
    assert answer.status_code == 409, answer.content
    body = answer.json()
    assert body["status"] == "konflik" and body["bisa_kirim"] is True
    assert (
        f"Subjek #{duplicate.pk} digabung dinas ke subjek #{kept.pk}: identitas yang berlaku "
        f"adalah milik subjek #{kept.pk}." in body["perubahan"]
    )
    kept.refresh_from_db()
    assert kept.nama == "Mbah Karto Wiryo"


def test_a_copy_sent_again_after_the_merge_conflict_keeps_the_kept_subjects_identity(
    client, people
):
    """The PSM registered the person twice; the office merged one record into the other. The
    copy queued before the merge comes back as a conflict; sent anyway, its case fields are
    saved, but the identity it carries (the merged record's) is not written over the one kept."""
    case = make_case(people["psm_a"], submit=False, subject={"nama": "Mbah Karto"})
    url = reverse("assessments:case-update", args=[case.pk])
    c = _login(client, people["psm_a"])
    assert f'name="subjek_asal" value="{case.subjek_id}"' in c.get(url).content.decode()
    opened, duplicate = services.base_version(case), case.subjek
    kept = make_case(people["psm_a"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    services.subject_merge(keep=kept, duplicate=duplicate, by=people["staf"])
    data = {
        **_edit(case, versi_dasar=opened, masalah="Versi luring."),
        **_identity_as_shown(duplicate),  # as the form showed it before the merge
        "subjek_asal": str(duplicate.pk),
    }
    conflict = _send(c, url, data)
    assert conflict.status_code == 409
    again = _send(c, url, {**data, "versi_dasar": conflict.json()["versi_server"]})
    assert again.status_code == 200, again.content
    case.refresh_from_db()
    kept.refresh_from_db()
    assert case.masalah == "Versi luring." and case.subjek_id == kept.pk
    assert kept.nama == "Mbah Karto Wiryo"


def test_who_did_not_register_a_merged_subject_learns_nothing_of_its_identity(client, people):
    """The form a link to a merged subject opens has no identity part for anyone but its
    registrant: fields typed into it anyway are ignored, never compared with the merged
    subject's (which would tell, field by field, whether a guessed NIK or birth date is its)."""
    theirs = make_case(people["psm_a"], subject={"nama": "Mbah Karto"}).subjek
    kept = make_case(people["psm_b"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    services.subject_merge(keep=kept, duplicate=theirs, by=people["staf"])
    c = _login(client, people["psm_b"])
    url = reverse("assessments:case-create") + f"?subjek={theirs.pk}"
    guess = {**_identity_as_shown(theirs), "s-nama": "Tebakan"}
    answer = _send(c, url, {**_form(masalah=""), **guess})
    assert answer.status_code == 400
    assert "perubahan identitas" not in answer.content.decode()
    assert answer.json()["isian"] == ["masalah"]
    kept.refresh_from_db()
    assert kept.nama == "Mbah Karto Wiryo"


def test_a_queued_edit_of_a_verified_case_is_a_conflict_that_cannot_be_sent(client, people):
    case = make_case(people["psm_a"], submit=False)
    opened = services.base_version(case)
    case = services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=people["psm_a"])
    services.assessment_transition(asesmen=case, ke=S.DIVERIFIKASI, by=people["staf"])
    data = {**_edit(case, versi_dasar=opened), **_own_subject_fields(case)}
    answer = _send(
        _login(client, people["psm_a"]), reverse("assessments:case-update", args=[case.pk]), data
    )
    body = answer.json()
    assert answer.status_code == 409 and body["bisa_kirim"] is False
    assert body["pesan"] == [
        "Kasus ini sudah berstatus Diverifikasi dinas dan tidak dapat diubah lagi."
    ]
    case.refresh_from_db()
    assert case.status == S.DIVERIFIKASI


def test_a_queued_edit_of_someone_elses_case_is_refused(client, people):
    case = make_case(people["psm_a"], submit=False)
    answer = _send(
        _login(client, people["psm_b"]),
        reverse("assessments:case-update", args=[case.pk]),
        _edit(case),
    )
    assert answer.status_code == 404  # another PSM's case does not exist for them


# --- pages for the service worker, logout -----------------------------------------------------


def test_psm_field_pages_are_marked_for_the_phone_and_case_pages_are_not(client, people):
    case = make_case(people["psm_a"], submit=False)
    c = _login(client, people["psm_a"])
    for name, args in [
        ("assessments:case-list", []),
        ("assessments:case-create", []),
        ("assessments:case-update", [case.pk]),
        ("privacy", []),  # the consent text links to it, out in the field too
        # the activity form's way back, which a browser walk found "never opened" offline
        ("registry:activity-list", []),
        ("registry:activity-create", []),
    ]:
        response = c.get(reverse(name, args=args))
        assert response["X-Portal-Offline"] == "simpan", name
        assert "no-store" in response["Cache-Control"], name
    assert "X-Portal-Offline" not in c.get(reverse("assessments:case-detail", args=[case.pk]))


def test_the_outbox_bar_is_on_psm_pages_with_the_offices_draft_period(client, people, office):
    office.draf_offline_hari = 3
    office.save()
    c = _login(client, people["psm_a"])
    page = c.get(reverse("assessments:case-create")).content.decode()
    assert "data-offline-mount" in page and "Kotak keluar" in page
    assert 'data-offline="assessment"' in page
    # The period reaches the phone with its check-in, not on every page (no extra query).
    assert c.get(reverse("assessments:device-sync")).json()["draf_hari"] == 3
    staff_page = Client()
    staff_page.force_login(people["staf"])
    assert (
        "data-offline-mount"
        not in staff_page.get(reverse("assessments:case-create")).content.decode()
    )


def test_logout_tells_the_browser_to_wipe_what_the_site_stored(client, people):
    c = _login(client, people["psm_a"])
    response = c.post(reverse("logout"))
    assert response.status_code == 302 and response["Clear-Site-Data"] == '"storage"'


def test_the_service_worker_is_served_from_the_root_and_never_caches_posts(client):
    response = client.get("/sw.js")
    body = response.content.decode()
    assert response.status_code == 200 and response["Service-Worker-Allowed"] == "/"
    assert response["Content-Type"].startswith("text/javascript")
    assert 'if (request.method !== "GET") return;' in body
    assert "/static/js/offline.js" in body
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/kasus/" and manifest["display"] == "standalone"


# --- device sync reports ----------------------------------------------------------------------


def test_a_phone_reports_its_pending_items(client, people):
    c = _login(client, people["psm_a"])
    token = c.get(reverse("assessments:device-sync")).json()["csrf"]
    assert token
    answer = c.post(
        reverse("assessments:device-sync"),
        json.dumps({"menunggu": 3, "konflik": 1}),
        content_type="application/json",
        headers={"User-Agent": "Android 13 Chrome"},
    )
    assert answer.status_code == 200
    sync = SinkronPerangkat.objects.get(pengguna=people["psm_a"])
    assert (sync.menunggu, sync.konflik, sync.perangkat) == (3, 1, "Android 13 Chrome")
    c.post(
        reverse("assessments:device-sync"),
        json.dumps({"menunggu": 0}),
        content_type="application/json",
    )
    assert SinkronPerangkat.objects.get().menunggu == 0


def test_a_garbled_report_is_refused(client, people):
    c = _login(client, people["psm_a"])
    answer = c.post(reverse("assessments:device-sync"), "[1,", content_type="application/json")
    assert answer.status_code == 400 and not SinkronPerangkat.objects.exists()


def test_a_count_no_phone_could_hold_is_refused(client, people):
    c = _login(client, people["psm_a"])
    for body in ('{"menunggu": 1e999}', '{"menunggu": 3000000000}', '{"konflik": -1}'):
        answer = c.post(reverse("assessments:device-sync"), body, content_type="application/json")
        assert answer.status_code == 400, body
    assert not SinkronPerangkat.objects.exists()


def test_staff_see_the_psm_of_their_region_with_last_sync_and_pending(
    client, people, django_assert_num_queries
):
    from django.utils import timezone

    services.device_sync_record(
        by=people["psm_a"], menunggu=2, konflik=1, perangkat="", now=timezone.now()
    )
    outsider = make_user(Role.PSM, psm=PsmFactory(nama="Tono Wonogiri", desa_kode="33.12.01.2001"))
    services.device_sync_record(
        by=outsider, menunggu=9, konflik=0, perangkat="", now=timezone.now()
    )
    c = _login(client, people["staf"])
    url = reverse("assessments:device-sync-list")
    c.get(url)  # warm the session and the user's scope
    with django_assert_num_queries(5):
        page = c.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "Sri Lestari" in body and "Joko Santoso" in body and "Tono Wonogiri" not in body
    assert "Belum pernah" in body  # Joko's phone never synced
    rows = body.split('class="device-sync')
    assert "Joko Santoso" in rows[1]  # never synced comes first
    assert ">2<" in rows[2] and ">1<" in rows[2]
    # the time as each language writes it (English read "04.55")
    assert re.search(r"\d{4}, \d{2}\.\d{2} WIB \(", body)
    english = c.get(url, headers={"accept-language": "en"}).content.decode()
    assert re.search(r"\d{4}, \d{2}:\d{2} WIB \(", english)


def test_device_sync_list_query_count_does_not_grow_with_rows(
    client, people, django_assert_num_queries
):
    from django.utils import timezone

    for _ in range(4):
        user = make_user(Role.PSM, psm=PsmFactory())
        services.device_sync_record(
            by=user, menunggu=1, konflik=0, perangkat="", now=timezone.now()
        )
    c = _login(client, people["staf"])
    c.get(reverse("assessments:device-sync-list"))
    with django_assert_num_queries(5):
        c.get(reverse("assessments:device-sync-list"))


def test_device_sync_list_is_for_staff_only(client, people):
    for who in ("psm_a", "supervisor", "verifikator"):
        c = Client()
        c.force_login(people[who])
        assert c.get(reverse("assessments:device-sync-list")).status_code == 403, who


# --- the activity form (registry) uses the same machinery ---------------------------------------


def test_an_activity_from_the_outbox_is_recorded_once_and_a_bad_one_is_sent_back(client, people):
    from registry.models import Kegiatan

    c = _login(client, people["psm_a"])
    url = reverse("registry:activity-create")
    page = c.get(url)
    assert page["X-Portal-Offline"] == "simpan"
    assert 'data-offline="activity"' in page.content.decode()
    data = {
        "client_uuid": str(uuid.uuid4()),
        "jenis": Kegiatan._meta.get_field("jenis").choices[0][0],
        "tanggal": "2026-11-20",
        "durasi_jam": "2",
        "tempat": "Balai Dusun Krajan",
        "desa": people["psm_a"].psm.desa_tugas_id,
        "jumlah_penerima": "20",
        "uraian": "Sosialisasi PKH.",
    }
    bad = _send(c, url, {**data, "tempat": ""})
    assert bad.status_code == 400 and bad.json()["status"] == "perlu_diperbaiki"
    key = uuid.uuid4()
    first = _send(c, url, data, key)
    again = _send(c, url, data, key)
    kegiatan = Kegiatan.objects.get()
    assert first.status_code == again.status_code == 200
    assert first.json()["url"] == reverse("registry:activity-detail", args=[kegiatan.pk])
    assert again.json()["ulangan"] is True


def test_old_offline_receipts_are_pruned_never_younger_than_thirty_days(regions, psm):
    import datetime as dt
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from psm_portal.models import KirimanOffline
    from tests.factories import make_user

    user = make_user("psm", psm=psm, username="psm-pangkas")
    now = timezone.now()
    for days in (5, 29, 31, 90):
        receipt = KirimanOffline.objects.create(kunci=uuid.uuid4(), pengguna=user, jalur="/x/")
        KirimanOffline.objects.filter(pk=receipt.pk).update(
            created_at=now - dt.timedelta(days=days)
        )
    out = io.StringIO()
    call_command("prune_offline_receipts", "--hari", "1", "--dry-run", stdout=out)
    assert "2 tanda terima lebih dari 30 hari akan dihapus." in out.getvalue()
    assert KirimanOffline.objects.count() == 4
    call_command("prune_offline_receipts", stdout=io.StringIO())
    assert KirimanOffline.objects.count() == 2  # 5 and 29 days old are kept


def test_a_link_to_a_merged_subject_outside_the_office_users_region_is_refused(client, people):
    """Office users see subjects by region, merged ones too. A link naming a merged subject
    outside theirs is refused as for any other, though the subject kept is in their region:
    following it would tell them that subject was merged there."""
    utara = Wilayah.objects.filter(kode__startswith=MAGELANG_UTARA + ".", tingkat=4).first()
    elsewhere = make_case(people["staf"], subject={"nama": "Mbah Karto", "desa": utara}).subjek
    kept = make_case(people["staf"], subject={"nama": "Mbah Karto Wiryo"}).subjek
    services.subject_merge(keep=kept, duplicate=elsewhere, by=people["staf"])
    selatan = _login(client, make_user(Role.STAF, scope=[MAGELANG_SELATAN], username="staf-sel"))
    create = reverse("assessments:case-create")
    assert selatan.get(f"{create}?subjek={kept.pk}").status_code == 200
    assert selatan.get(f"{create}?subjek={elsewhere.pk}").status_code == 404
    # Whose region holds both follows the link to the subject kept.
    page = _login(Client(), people["staf"]).get(f"{create}?subjek={elsewhere.pk}")
    assert page.status_code == 200 and page.context["subject"] == kept


def test_a_refused_subject_field_is_named_as_the_form_names_it(client, people):
    """A review: the outbox's list of refused fields named the subject's NIK "nik", so the
    reopened form could not mark it (its input is "s-nik"), and a refused subject "jenis" would
    have marked the case's own "jenis"."""
    c = _login(client, people["psm_a"])
    answer = _send(c, reverse("assessments:case-create"), _form(**{"s-nik": "12345"}, masalah=""))
    assert answer.status_code == 400
    assert answer.json()["isian"] == ["masalah", "s-nik"]
