"""A subject's identity after its case went to the office: the PSM who registered it can no
longer rewrite it through a new draft (the office checked, and may have referred, the person as
written then); the office corrects it, with a reason in the trail (UU 27/2022 Pasal 30)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from assessments import services
from assessments.models import Asesmen, StatusAsesmen, Subjek
from psm_portal.models import AuditEvent
from tests.assessments.test_services import _kecamatan_level
from tests.assessments.test_sync import _identity_as_shown, _send
from tests.assessments.test_views import _form
from tests.factories import make_case, subject_data

S = StatusAsesmen
NIK_SARINAH = "3371014205480001"  # 33.71.01, a woman born 2 May 1948


def _login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _correction(client, subject, **typed) -> dict:
    """The correction form as the page showed it to ``client`` for ``subject``, with ``typed``
    changed."""
    page = client.get(reverse("assessments:subject-correct", args=[subject.pk]))
    data = {**_identity_as_shown(subject), "s-versi": page.context["sform"]["versi"].value()}
    data.update({f"s-{k}": v for k, v in typed.items()})
    return data


@pytest.fixture
def staf(people):
    return _login(people["staf"])


# --- the registrant, once a case went to the office -------------------------------------------


def test_a_submitted_case_fixes_the_identity_for_the_psm_who_registered_it(people):
    case = make_case(people["psm_a"])
    c = _login(people["psm_a"])
    url = reverse("assessments:case-create") + f"?subjek={case.subjek_id}"

    page = c.get(url).content.decode()
    assert 'name="s-nama"' not in page and 'id="identitas-terkunci"' in page

    # A copy of the form opened before the case was sent still carries the identity part.
    typed = {**_identity_as_shown(case.subjek), "s-nama": "Mbah Sarinah Wongso", "s-rt": "09"}
    data = {k: v for k, v in _form().items() if not k.startswith("s-")}
    answer = _send(c, url, {**data, **typed})
    assert answer.status_code == 200, answer.content
    assert answer.json()["pesan"][-1] == (
        "Asesmen disimpan, tetapi perubahan identitas yang Anda ketik tidak disimpan (Nama: "
        "Mbah Sarinah Wongso; RT: 09): identitas subjek ini sudah diperiksa dinas. Minta staf "
        "dinas mengoreksinya bila perlu."
    )
    subject = Subjek.objects.get(pk=case.subjek_id)
    assert (subject.nama, subject.rt) == ("Mbah Sarinah", "02")
    assert Asesmen.objects.filter(subjek=subject).count() == 2


def test_a_returned_case_leaves_the_identity_to_its_psm_to_fix(people):
    """The reviewer may have returned the case for the NIK itself."""
    case = make_case(people["psm_a"])
    services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="NIK belum diisi."
    )
    c = _login(people["psm_a"])
    url = reverse("assessments:case-update", args=[case.pk])
    assert 'name="s-nik"' in c.get(url).content.decode()
    assert not services.identity_locked(case.subjek)


def _return(client, case) -> list[str]:
    answer = client.post(
        reverse("assessments:case-review", args=[case.pk]),
        {
            "ke": "dikembalikan",
            "status_awal": case.status,
            "versi_awal": case.versi,
            "catatan": "NIK tidak cocok dengan KK.",
        },
        follow=True,
    )
    assert Asesmen.objects.get(pk=case.pk).status == S.DIKEMBALIKAN
    return [str(m) for m in answer.context["messages"]]


def test_returning_a_case_whose_subject_stays_locked_tells_the_reviewer_who_fixes_it(people, staf):
    """Another case about the person went to the office: returning this one does not give the
    PSM the identity back, so a reviewer asking for the NIK is told it is the office's to fix."""
    first = make_case(people["psm_a"])
    second = make_case(people["psm_a"], subjek=first.subjek)
    said = _return(staf, second)
    assert said[-1] == (
        "Identitas subjek ini (nama, NIK, KK, kelahiran, alamat) tetap tidak dapat diubah PSM: "
        "ada kasus lain tentang subjek ini yang sudah dikirim, atau dinas sudah mengoreksinya. "
        "Bila identitasnya yang salah, koreksi di halaman subjek (Koreksi identitas)."
    )
    # the PSM's form says the same from their side
    page = _login(people["psm_a"]).get(reverse("assessments:case-update", args=[second.pk]))
    assert 'id="identitas-terkunci"' in page.content.decode()


def test_a_kecamatan_verifier_returning_it_is_told_to_ask_the_office(people):
    _kecamatan_level(True)
    first = make_case(people["psm_a"])
    second = make_case(people["psm_a"], subjek=first.subjek)
    said = _return(_login(people["verifikator"]), second)
    assert said[-1].endswith(
        "Bila identitasnya yang salah, minta staf dinas yang berwenang mengoreksinya."
    )


def test_returning_the_only_sent_case_says_nothing_of_the_identity(people, staf):
    case = make_case(people["psm_a"])
    said = _return(staf, case)
    assert not any("tetap tidak dapat diubah" in m for m in said), said


def test_the_service_refuses_an_identity_rewrite_of_a_locked_subject(people):
    """Whatever page or script calls it: the rule is the service's, not only the form's."""
    case = make_case(people["psm_a"])
    with pytest.raises(ValidationError) as refused:
        services.case_save(
            by=people["psm_a"],
            data={},
            kategori=[],
            client_uuid="8a7d5f0e-8a43-4b1e-9d0c-3d8c1f1c2a11",
            subjek=case.subjek,
            subjek_data=subject_data(nama="Orang Lain"),
        )
    assert refused.value.messages == [services.IDENTITY_LOCKED]
    assert Subjek.objects.get(pk=case.subjek_id).nama == "Mbah Sarinah"
    assert Asesmen.objects.count() == 1


# --- the office's correction ------------------------------------------------------------------


def test_staff_correct_an_identity_with_a_reason_kept_in_the_trail(people, staf):
    case = make_case(people["psm_a"])
    subject = case.subjek
    detail = staf.get(reverse("assessments:subject-detail", args=[subject.pk])).content.decode()
    assert reverse("assessments:subject-correct", args=[subject.pk]) in detail

    data = _correction(
        staf,
        subject,
        nik=NIK_SARINAH,
        alasan_tanpa_nik="",
        nama="Sarinah",
        alasan="  KTP diperlihatkan ",
    )
    answer = staf.post(reverse("assessments:subject-correct", args=[subject.pk]), data)
    assert answer.status_code == 302, answer.content.decode()
    subject.refresh_from_db()
    assert (subject.nama, subject.nik, subject.alasan_tanpa_nik) == ("Sarinah", NIK_SARINAH, "")
    event = AuditEvent.objects.get(action="subjek.koreksi")
    assert event.reason == "KTP diperlihatkan" and event.actor_id == people["staf"].pk
    assert event.before["nama"] == "Mbah Sarinah" and event.after["nama"] == "Sarinah"
    # the trail keeps the NIK masked, like every trail entry
    assert NIK_SARINAH not in str(event.after) and event.after["nik"].startswith("3371")
    page = staf.get(answer["Location"]).content.decode()
    assert "Identitas subjek dikoreksi." in page


def test_a_correction_needs_a_reason_and_keeps_what_was_typed(people, staf):
    subject = make_case(people["psm_a"]).subjek
    data = _correction(staf, subject, nama="Sarinah Wongso", alasan="   ")
    answer = staf.post(reverse("assessments:subject-correct", args=[subject.pk]), data)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "Alasan koreksi" in page and "Tulis alasan koreksi." in page
    assert 'value="Sarinah Wongso"' in page
    assert Subjek.objects.get(pk=subject.pk).nama == "Mbah Sarinah"
    assert not AuditEvent.objects.filter(action="subjek.koreksi").exists()


def test_a_correction_that_changes_nothing_is_said_so(people, staf):
    subject = make_case(people["psm_a"]).subjek
    answer = staf.post(
        reverse("assessments:subject-correct", args=[subject.pk]),
        _correction(staf, subject, alasan="Diperiksa ulang"),
    )
    assert answer.status_code == 400
    assert "Tidak ada isian yang berubah." in answer.content.decode()


def test_a_nik_of_another_subject_is_refused_next_to_the_nik(people, staf):
    # a man's NIK, born 17-08-1944: typed for Mbah Sarinah it also warns of sex and birth date
    taken = "3371011708440001"
    other = make_case(
        people["staf"],
        subject={"nik": taken, "alasan_tanpa_nik": "", "jenis_kelamin": "L"},
    )
    subject = make_case(people["psm_a"]).subjek
    data = _correction(staf, subject, nik=taken, alasan_tanpa_nik="", alasan="KTP diperlihatkan")
    answer = staf.post(reverse("assessments:subject-correct", args=[subject.pk]), data)
    assert answer.status_code == 400
    assert answer.context["sform"].errors["nik"] == ["NIK ini sudah terdaftar sebagai subjek PPKS."]
    # said at once, not after the warnings were confirmed (a second round trip)
    assert "konfirmasi_peringatan" not in answer.context["sform"].errors
    assert Subjek.objects.get(pk=subject.pk).nik == "" and other.subjek.nik == taken


def test_a_correction_over_a_change_made_meanwhile_takes_it_in_and_keeps_the_typed_values(
    people, staf
):
    subject = make_case(people["psm_a"], subject={"telepon": "0812-3456-0001"}).subjek
    data = _correction(
        staf, subject, nama="Sarinah Wongso", telepon="0899-1234-5678", alasan="Permintaan"
    )
    # another officer corrected the RT and the phone after this page was opened
    services.subject_correct(
        subject=subject,
        data={"rt": "04", "telepon": "0811-2222-3333"},
        alasan="Pindah RT",
        by=people["staf2"],
        versi=services.identity_version(subject),
    )
    url = reverse("assessments:subject-correct", args=[subject.pk])
    answer = staf.post(url, data)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "diubah orang lain sejak halaman ini dibuka" in page
    # what the other changed: the RT taken into the form (this user typed nothing there), the
    # phone left as this user typed it (both changed it)
    assert answer.context["newer"] == [("Telepon", "0811-2222-3333", False), ("RT", "04", True)]
    assert 'value="Sarinah Wongso"' in page and 'value="0899-1234-5678"' in page
    assert 'name="s-rt" value="04"' in page
    assert Subjek.objects.get(pk=subject.pk).nama == "Mbah Sarinah"

    # Sent again as it now stands.
    again = {
        **data,
        "s-rt": "04",
        "s-versi": answer.context["sform"]["versi"].value(),
    }
    assert staf.post(url, again).status_code == 302
    subject.refresh_from_db()
    assert (subject.nama, subject.rt, subject.telepon) == ("Sarinah Wongso", "04", "0899-1234-5678")


def test_a_psm_form_opened_before_an_office_correction_does_not_undo_it(people, staf):
    """The subject's only case was returned, so its PSM may still fix the identity; the office
    corrects it meanwhile. The PSM's copy, sent afterwards, no longer writes over it (the
    correction's own trail said it was the last word, and it was silently replaced)."""
    case = make_case(people["psm_a"])
    services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Lengkapi alamat."
    )
    psm = _login(people["psm_a"])
    url = reverse("assessments:case-update", args=[case.pk])
    opened = psm.get(url)
    assert 'name="s-nama"' in opened.content.decode()
    staf.post(
        reverse("assessments:subject-correct", args=[case.subjek_id]),
        _correction(staf, case.subjek, nama="Sarinah", alasan="KTP diperlihatkan"),
    )
    typed = {
        **_identity_as_shown(case.subjek),
        **{k: v for k, v in _form(aksi="draf").items() if not k.startswith("s-")},
        "client_uuid": str(case.client_uuid),
        "versi_dasar": opened.context["base_version"],
        "subjek_asal": str(case.subjek_id),
        "s-alamat": "Jl. Tidar Gg. 3 No. 7",
    }
    answer = psm.post(url, {**typed, "s-versi": opened.context["sform"]["versi"].value()})
    subject = Subjek.objects.get(pk=case.subjek_id)
    assert (subject.nama, subject.alamat) == ("Sarinah", "Jl. Tidar Gg. 3")
    assert 'name="s-nama"' not in psm.get(url).content.decode()
    # It says so, naming only what the PSM changed on their page (the name the office corrected
    # since read as typed: "Nama: Mbah Sarinah"); and a returned case saved, not sent, says
    # that (it read "terkirim ke dinas (Dikembalikan untuk perbaikan)").
    said = [str(m) for m in answer.wsgi_request._messages]
    assert said == [
        "Perbaikan tersimpan, tetapi belum dikirim ke dinas: tekan Ajukan ke dinas bila sudah "
        "selesai.",
        "Asesmen disimpan, tetapi perubahan identitas yang Anda ketik tidak disimpan (Alamat "
        "domisili: Jl. Tidar Gg. 3 No. 7): identitas subjek ini sudah diperiksa dinas. Minta "
        "staf dinas mengoreksinya bila perlu.",
    ]


def test_the_psm_s_identity_edits_are_in_the_trail_and_a_save_without_any_writes_none(people):
    """The form wrote what was typed into the subject before the service compared, so no change
    of a PSM was ever recorded; and a save with nothing changed moved the subject's time."""
    case = make_case(people["psm_a"], submit=False)
    psm = _login(people["psm_a"])
    url = reverse("assessments:case-update", args=[case.pk])
    shown = {
        **_identity_as_shown(case.subjek),
        **{k: v for k, v in _form(aksi="draf").items() if not k.startswith("s-")},
        "client_uuid": str(case.client_uuid),
        "versi_dasar": psm.get(url).context["base_version"],
        "subjek_asal": str(case.subjek_id),
    }
    stamp = Subjek.objects.get(pk=case.subjek_id).updated_at
    assert psm.post(url, shown).status_code == 302
    assert Subjek.objects.get(pk=case.subjek_id).updated_at == stamp
    assert not AuditEvent.objects.filter(action="subjek.update").exists()

    shown["versi_dasar"] = psm.get(url).context["base_version"]
    assert psm.post(url, {**shown, "s-nama": "Sarinah"}).status_code == 302
    event = AuditEvent.objects.get(action="subjek.update")
    assert (event.before, event.after) == ({"nama": "Mbah Sarinah"}, {"nama": "Sarinah"})


def test_a_corrected_desa_moves_the_cases_still_worked_and_not_the_closed(people, staf):
    open_case = make_case(people["psm_a"])
    closed = make_case(people["psm_a"], subjek=open_case.subjek)
    services.assessment_transition(
        asesmen=closed, ke=S.DITUTUP, by=people["staf"], alasan_tutup="duplikat"
    )
    data = _correction(staf, open_case.subjek, desa="33.71.01.1007", alasan="Salah pilih desa")
    assert (
        staf.post(
            reverse("assessments:subject-correct", args=[open_case.subjek_id]), data
        ).status_code
        == 302
    )
    assert Asesmen.objects.get(pk=open_case.pk).desa_id == "33.71.01.1007"
    assert Asesmen.objects.get(pk=closed.pk).desa_id == "33.71.01.1003"
    event = AuditEvent.objects.get(action="subjek.koreksi")
    assert event.after == {"desa": "33.71.01.1007", "asesmen_pindah_desa": 1}


def test_a_correction_that_makes_a_case_doubtful_asks_to_be_confirmed(people, staf):
    """An elderly person's case (LUT, 60 and over) whose subject is corrected to a child: the
    office is warned, as the case form would warn its PSM, and confirms."""
    case = make_case(people["psm_a"])
    url = reverse("assessments:subject-correct", args=[case.subjek_id])
    data = _correction(staf, case.subjek, tanggal_lahir="2015-05-02", alasan="Akta lahir")
    answer = staf.post(url, data)
    assert answer.status_code == 400
    warnings = answer.context["sform"].warnings
    assert any(w.startswith(f"Asesmen #{case.pk}: ") for w in warnings), warnings
    assert "centang konfirmasi" in answer.content.decode()
    assert staf.post(url, {**data, "s-konfirmasi_peringatan": "on"}).status_code == 302
    assert Subjek.objects.get(pk=case.subjek_id).tanggal_lahir.year == 2015


def test_the_correction_does_not_read_a_psm_s_draft(people, staf):
    """A PSM's unsent draft about the subject is their note: its categories are not the
    office's to read, not even as a warning (the draft itself answers the office 404)."""
    sent = make_case(people["psm_a"], kategori=("PPKS-11",))  # gelandangan: any age
    draft = make_case(people["psm_a"], subjek=sent.subjek, submit=False)  # LUT: 60 and over
    url = reverse("assessments:subject-correct", args=[sent.subjek_id])
    data = _correction(staf, sent.subjek, tanggal_lahir="1990-05-02", alasan="KTP")
    answer = staf.post(url, data)
    assert answer.status_code == 302, answer.context["sform"].warnings
    assert staf.get(reverse("assessments:case-detail", args=[draft.pk])).status_code == 404


def test_a_correction_over_a_change_made_meanwhile_asks_again_for_what_it_now_warns_of(
    people, staf
):
    """Confirmed for one warning; meanwhile another officer made the identity warn of more (an
    elderly person's case now about a child): the page shows the new warnings and asks again."""
    case = make_case(people["psm_a"])
    url = reverse("assessments:subject-correct", args=[case.subjek_id])
    data = _correction(staf, case.subjek, nama="Sarinah", alasan="KTP")
    services.subject_correct(
        subject=case.subjek,
        data={"tanggal_lahir": dt.date(2015, 5, 2)},
        alasan="Akta",
        by=people["staf2"],
        versi=services.identity_version(case.subjek),
    )
    answer = staf.post(url, {**data, "s-konfirmasi_peringatan": "on"})
    assert answer.status_code == 400
    form = answer.context["sform"]
    assert any(w.startswith(f"Asesmen #{case.pk}: ") for w in form.warnings)
    assert "konfirmasi_peringatan" in form.errors
    assert Subjek.objects.get(pk=case.subjek_id).nama == "Mbah Sarinah"


def test_identity_typed_into_a_refused_form_is_said_not_to_be_saved(people):
    """A form opened before the lock, refused for a case field: the page (which has no
    identity part now) says the typed identity will not be saved, and so does the phone."""
    case = make_case(people["psm_a"])
    c = _login(people["psm_a"])
    url = reverse("assessments:case-create") + f"?subjek={case.subjek_id}"
    typed = {**_identity_as_shown(case.subjek), "s-nama": "Mbah Sarinah Wongso"}
    data = {k: v for k, v in _form(masalah="").items() if not k.startswith("s-")}
    page = c.post(url, {**data, **typed})
    assert page.status_code == 400
    assert (
        "Perubahan identitas yang Anda ketik tidak akan disimpan (Nama: Mbah Sarinah Wongso)"
        in (page.content.decode())
    )
    answer = _send(c, url, {**data, **typed})
    assert answer.status_code == 400
    assert any(
        "tidak akan disimpan (Nama: Mbah Sarinah Wongso)" in w for w in answer.json()["peringatan"]
    )


def test_an_erased_subject_has_nothing_to_correct(people, staf):
    subject = make_case(people["psm_a"]).subjek
    Subjek.objects.filter(pk=subject.pk).update(dianonimkan_pada="2026-01-01T00:00:00Z")
    answer = staf.get(reverse("assessments:subject-correct", args=[subject.pk]), follow=True)
    assert "tidak ada identitas yang dapat dikoreksi" in answer.content.decode()


def test_only_office_staff_of_the_region_correct_identities(people, staf):
    subject = make_case(people["psm_a"]).subjek
    url = reverse("assessments:subject-correct", args=[subject.pk])
    for role in ("psm_a", "supervisor", "verifikator"):
        c = _login(people[role])
        assert c.get(url).status_code in (403, 404), role
        assert c.post(url, _correction(staf, subject, nama="X", alasan="y")).status_code in (
            403,
            404,
        )
        detail = c.get(reverse("assessments:subject-detail", args=[subject.pk]))
        assert url not in detail.content.decode()
    assert _login(people["luar"]).get(url).status_code == 404
    assert Subjek.objects.get(pk=subject.pk).nama == "Mbah Sarinah"


def test_a_merged_subject_is_corrected_where_it_went(people, staf):
    kept = make_case(people["staf"], subject={"nama": "Sarinah"}).subjek
    duplicate = make_case(people["psm_a"]).subjek
    services.subject_merge(keep=kept, duplicate=duplicate, by=people["staf"])
    answer = staf.get(reverse("assessments:subject-correct", args=[duplicate.pk]), follow=True)
    assert answer.redirect_chain[-1][0] == reverse(
        "assessments:subject-detail", args=[duplicate.pk]
    )
    assert f"Subjek ini sudah digabung ke subjek #{kept.pk}; koreksi subjek itu." in (
        answer.content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_a_psm_save_waiting_on_an_office_correction_does_not_write_over_it(regions, office):
    """The PSM's save of a returned case reached the subject while the office's correction held
    it: it checked the lock before the correction committed, then wrote the old identity over
    it, with the trail saying the correction stood."""
    import threading
    import time

    from django.db import connection, transaction

    from psm_portal.models import Role
    from tests.factories import PsmFactory, make_user, ppks_reference

    ppks_reference()
    psm_user = make_user(Role.PSM, psm=PsmFactory(), username="psm-balapan")
    staff = make_user(Role.STAF, scope=["33.71"], username="staf-balapan")
    case = make_case(psm_user)
    case = services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=staff, catatan="Periksa alamat."
    )
    stale = Subjek.objects.get(pk=case.subjek_id)  # as the PSM's request loaded it
    holding, outcome = threading.Event(), {}

    def office_corrects():
        try:
            with transaction.atomic():
                services.subject_correct(
                    subject=stale,
                    data={"nama": "Sarinah"},
                    alasan="KTP",
                    by=staff,
                    versi=services.identity_version(stale),
                )
                holding.set()
                time.sleep(0.5)  # the PSM's save arrives meanwhile
        finally:
            connection.close()

    def psm_saves():
        holding.wait()
        try:
            services.case_save(
                by=psm_user,
                data={"masalah": "Diperbaiki"},
                kategori=list(case.kategori.all()),
                client_uuid=case.client_uuid,
                subjek=stale,
                subjek_data=subject_data(alamat="Jl. Tidar Gg. 3 No. 7"),
                asesmen=case,
            )
        except ValidationError as exc:
            outcome["refused"] = exc.messages
        finally:
            connection.close()

    threads = [threading.Thread(target=office_corrects), threading.Thread(target=psm_saves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    subject = Subjek.objects.get(pk=case.subjek_id)
    assert outcome == {"refused": [services.IDENTITY_LOCKED]}
    assert (subject.nama, subject.alamat) == ("Sarinah", "Jl. Tidar Gg. 3")


def test_bidi_controls_typed_into_a_form_are_not_stored(people, staf):
    """An override left open in an address reversed what the case page writes after it on the
    same line (its own desa and kecamatan, backwards): such invisible controls are removed from
    every submitted field; the marks that reorder nothing stay."""
    subject = make_case(people["psm_a"]).subjek
    data = _correction(
        staf,
        subject,
        alamat="Jl. Pemuda \u202e12 gg. \u2067Mawar\u2069\u200f",
        alasan="Alamat \u202bbaru",
        nama="Mbah\u200b Sa\ufeffrinah",  # pasted from a chat: zero-width space, BOM
    )
    answer = staf.post(reverse("assessments:subject-correct", args=[subject.pk]), data)
    assert answer.status_code == 302
    assert Subjek.objects.get(pk=subject.pk).alamat == "Jl. Pemuda 12 gg. Mawar\u200f"
    assert Subjek.objects.get(pk=subject.pk).nama == "Mbah Sarinah"
    assert AuditEvent.objects.get(action="subjek.koreksi").reason == "Alamat baru"


def test_a_name_stored_with_a_bidi_control_is_not_read_as_typed(people):
    """Stored before controls were removed from what is sent: the form sends the name without
    it, and the PSM was told they had changed the name they never touched."""
    case = make_case(people["psm_a"], submit=False)
    Subjek.objects.filter(pk=case.subjek_id).update(nama="Mbah \u202eSarinah")
    psm = _login(people["psm_a"])
    url = reverse("assessments:case-create") + f"?subjek={case.subjek_id}"
    shown = psm.get(url).context["sform"]["versi"].value()
    services.assessment_transition(asesmen=case, ke=S.DIAJUKAN, by=people["psm_a"])  # locks it
    typed = {
        **_identity_as_shown(Subjek.objects.get(pk=case.subjek_id)),
        "s-versi": shown,
        "s-alamat": "Jl. Baru 1",
    }
    data = {k: v for k, v in _form().items() if not k.startswith("s-")}
    answer = _send(psm, url, {**data, **typed})
    assert answer.json()["pesan"][-1].startswith(
        "Asesmen disimpan, tetapi perubahan identitas yang Anda ketik tidak disimpan (Alamat "
        "domisili: Jl. Baru 1):"
    )
