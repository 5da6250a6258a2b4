import datetime as dt
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from psm_portal.models import AuditEvent, Role
from registry.models import PsmBimtek, Wilayah
from tests.factories import EventFactory, PsmFactory
from training import services
from training.models import BimtekEvent, Kehadiran, Peserta, StatusEvent

TODAY = dt.date(2026, 11, 24)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _enrol(event, staff, n, **kwargs):
    return [
        services.enrolment_create(event=event, psm=PsmFactory(**kwargs), by=staff, today=TODAY)
        for _ in range(n)
    ]


# The event form as staff fill it: a Bimtek dasar of Kota Magelang, 7-8 December 2026.
EVENT_FORM = {
    "judul": "Bimtek Dasar",
    "jenis": "dasar",
    "penyelenggara": "kabkota",
    "wilayah": "33.71",
    "tempat": "Aula",
    "kapasitas": "20",
    "pendaftaran_mulai": "2026-11-01",
    "pendaftaran_selesai": "2026-11-30",
    "tanggal_mulai": "2026-12-07",
    "tanggal_selesai": "2026-12-08",
    "min_kehadiran_persen": "80",
}


def test_event_create_form_refuses_end_before_start_and_keeps_input(staff_client):
    response = staff_client.post(
        reverse("training:event-create"),
        {**EVENT_FORM, "tanggal_mulai": "2026-12-08", "tanggal_selesai": "2026-12-07"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Tanggal selesai tidak boleh sebelum tanggal mulai." in body
    assert 'value="Aula"' in body
    assert not BimtekEvent.objects.exists()


def test_registration_closing_after_the_event_ended_is_refused(staff_client):
    """Left open: the window could close weeks after the Bimtek's last day, enrolling PSM in
    days already past. Closing during the event (walk-ins on the first day) stays allowed."""
    late = {**EVENT_FORM, "pendaftaran_selesai": "2026-12-09"}
    response = staff_client.post(reverse("training:event-create"), late)
    body = response.content.decode()
    assert "Pendaftaran harus ditutup paling lambat pada hari terakhir kegiatan." in body
    assert 'value="2026-12-09"' in body and not BimtekEvent.objects.exists()
    walk_in = {**EVENT_FORM, "pendaftaran_selesai": "2026-12-08"}
    assert staff_client.post(reverse("training:event-create"), walk_in).status_code == 302
    assert BimtekEvent.objects.get().pendaftaran_selesai == dt.date(2026, 12, 8)


def test_participants_are_nominated_only_while_registration_is_open(staff_client, staff, regions):
    """A walk: "Nominasikan peserta" was offered on a draft event; five people ticked earned
    five identical "Pendaftaran kegiatan ini tidak sedang dibuka." The button waits for the
    opening, and the page, reached anyway, says so once."""
    draft = EventFactory(status=StatusEvent.DRAFT)
    url = reverse("training:event-nominate", args=[draft.pk])
    detail = reverse("training:event-detail", args=[draft.pk])
    assert url not in staff_client.get(detail).content.decode()
    people = [PsmFactory() for _ in range(5)]
    for answer in (
        staff_client.get(url, follow=True),
        staff_client.post(url, {"psm": [p.pk for p in people]}, follow=True),
    ):
        body = answer.content.decode()
        assert answer.redirect_chain[-1][0] == detail
        assert body.count("Pendaftaran kegiatan ini tidak sedang dibuka") == 1
        assert "dinominasikan selama pendaftaran dibuka" in body
    assert not Peserta.objects.filter(event=draft).exists()
    services.event_set_status(event=draft, status=StatusEvent.BUKA, by=staff)
    # open, but its window (November 2026) not today's: said once too, by its dates
    today = dt.date.today()
    BimtekEvent.objects.filter(pk=draft.pk).update(
        pendaftaran_mulai=today - dt.timedelta(days=30),
        pendaftaran_selesai=today - dt.timedelta(days=1),
        tanggal_mulai=today + dt.timedelta(days=3),
        tanggal_selesai=today + dt.timedelta(days=4),
    )
    assert url not in staff_client.get(detail).content.decode()
    answer = staff_client.post(url, {"psm": [p.pk for p in people]}, follow=True)
    assert answer.content.decode().count("Di luar masa pendaftaran") == 1
    BimtekEvent.objects.filter(pk=draft.pk).update(pendaftaran_selesai=today)
    assert url in staff_client.get(detail).content.decode()
    assert staff_client.get(url).status_code == 200


def test_event_create_for_another_region_is_refused(staff_client):
    response = staff_client.post(
        reverse("training:event-create"),
        {**EVENT_FORM, "judul": "Bimtek Wonogiri", "wilayah": "33.12"},
    )
    assert "Masukkan pilihan yang valid" in response.content.decode()


def test_bulk_nomination_seats_waitlists_and_explains_refusals(staff_client, staff, event):
    event.kapasitas = 2
    event.save()
    people = [PsmFactory() for _ in range(3)]
    stopped = PsmFactory(status="berhenti")
    response = staff_client.post(
        reverse("training:event-nominate", args=[event.pk]),
        {"psm": [p.pk for p in [*people, stopped]]},
        follow=True,
    )
    body = response.content.decode()
    assert "2 didaftarkan, 1 masuk daftar tunggu." in body
    assert "sudah berhenti sebagai PSM" in body
    assert Peserta.objects.filter(event=event).count() == 3


def test_nominate_page_lists_filtered_registry(staff_client, event):
    PsmFactory(nama="Orang Selatan")
    PsmFactory(nama="Orang Utara", desa_kode="33.71.02.1003")
    page = staff_client.get(
        reverse("training:event-nominate", args=[event.pk]), {"kecamatan": "33.71.02"}
    )
    assert [p.nama for p in page.context["page"]] == ["Orang Utara"]


def test_nominate_checkbox_values_are_plain_numbers_past_a_thousand(staff_client, event):
    """Indonesian number formatting writes 1234 as 1.234; a form value must never be localised."""
    psm = PsmFactory(pk=123456, nama="Orang Keseratus Ribu")
    body = staff_client.get(reverse("training:event-nominate", args=[event.pk])).content.decode()
    assert 'value="123456"' in body and 'id="psm-123456"' in body
    response = staff_client.post(
        reverse("training:event-nominate", args=[event.pk]), {"psm": ["123456"]}
    )
    assert response.status_code == 302
    assert Peserta.objects.filter(event=event, psm=psm).exists()


def test_superscript_digits_are_not_a_year_or_an_id(staff_client, event):
    """str.isdigit() takes "²", int() refuses it: such a value is ignored by the page, and
    refused by the numbered letter (not "every year" under its number), never a 500."""
    assert staff_client.get(reverse("training:recap"), {"tahun": "²⁰²⁵"}).status_code == 200
    pdf = staff_client.get(reverse("reports:training-recap"), {"tahun": "²⁰²⁵"}, follow=True)
    assert "Rekap Bimtek tidak dibuat: tahun ²⁰²⁵ tidak dikenal" in pdf.content.decode()
    answer = staff_client.post(reverse("training:event-nominate", args=[event.pk]), {"psm": "²"})
    assert answer.status_code == 302 and not Peserta.objects.filter(event=event).exists()


def test_roster_saves_attendance_and_refuses_another_events_day(staff_client, staff, event):
    today = timezone.localdate()  # a day that has come: attendance of later ones is refused
    event.tanggal_mulai = event.tanggal_selesai = today
    event.save()
    event.hari_set.all().delete()
    day = event.hari_set.create(tanggal=today)
    enrolments = _enrol(event, staff, 2)
    url = reverse("training:roster", args=[event.pk, day.pk])
    response = staff_client.post(
        url, {f"p{enrolments[0].pk}": "hadir", f"p{enrolments[1].pk}": "izin"}
    )
    assert response.status_code == 302
    assert dict(Kehadiran.objects.values_list("peserta_id", "status")) == {
        enrolments[0].pk: "hadir",
        enrolments[1].pk: "izin",
    }
    other = EventFactory()
    other_day = other.hari_set.create(tanggal=dt.date(2026, 12, 7))
    assert (
        staff_client.get(reverse("training:roster", args=[event.pk, other_day.pk])).status_code
        == 404
    )


def test_scores_out_of_range_get_a_message_and_keep_input(staff_client, staff, event):
    enrolment = _enrol(event, staff, 1)[0]
    response = staff_client.post(
        reverse("training:scores", args=[event.pk]),
        {f"pre{enrolment.pk}": "45", f"post{enrolment.pk}": "140"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Nilai harus angka 0 sampai 100" in body and 'value="140"' in body
    enrolment.refresh_from_db()
    assert enrolment.nilai_post is None


def test_a_completed_events_marks_and_attendance_stay_as_its_results_were_decided(
    staff_client, staff, event
):
    today = timezone.localdate()
    event.tanggal_mulai = event.tanggal_selesai = today
    event.save()
    event.hari_set.all().delete()
    day = event.hari_set.create(tanggal=today)
    enrolment = _enrol(event, staff, 1)[0]
    services.attendance_mark(hari=day, marks={enrolment.pk: "hadir"}, by=staff, today=today)
    services.scores_set(enrolment=enrolment, nilai_pre=40, nilai_post=80, by=staff)
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    assert services.event_complete(event=event, by=staff, today=today)["lulus"] == 1

    scores_url = reverse("training:scores", args=[event.pk])
    page = staff_client.get(scores_url).content.decode()
    assert "kehadiran dan nilai tidak dapat diubah lagi" in page and "Simpan nilai" not in page
    response = staff_client.post(
        scores_url, {f"pre{enrolment.pk}": "40", f"post{enrolment.pk}": "20"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'value="20"' in body
    assert "sudah selesai dan kelulusannya sudah ditetapkan" in body
    roster_url = reverse("training:roster", args=[event.pk, day.pk])
    assert "Presensi mandiri dengan QR" not in staff_client.get(roster_url).content.decode()
    response = staff_client.post(roster_url, {f"p{enrolment.pk}": "absen"})
    refused = response.content.decode().split('class="alert alert-danger"')[1].split("</div>")[0]
    assert "sudah selesai dan kelulusannya sudah ditetapkan" in refused
    with pytest.raises(ValidationError, match="sudah selesai"):
        services.checkin_self(token=day.token_checkin, psm=enrolment.psm, today=today)
    enrolment.refresh_from_db()
    assert (enrolment.nilai_post, enrolment.status) == (80, "lulus")
    assert Kehadiran.objects.get(peserta=enrolment).status == "hadir"


def test_saving_scores_reads_nothing_per_participant(staff_client, staff, event):
    """Per row only its update and its audit line: the event is checked and locked once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("training:scores", args=[event.pk])
    counts = []
    for n in (3, 3):
        _enrol(event, staff, n)
        rows = event.peserta_set.all()
        with CaptureQueriesContext(connection) as queries:
            staff_client.post(url, {f"post{e.pk}": "70" for e in rows})
        counts.append((rows.count(), len(queries)))
    (rows_a, queries_a), (rows_b, queries_b) = counts
    assert queries_b - queries_a == 2 * (rows_b - rows_a)
    assert set(event.peserta_set.values_list("nilai_post", flat=True)) == {70}


def test_event_detail_query_count_is_constant(
    staff_client, staff, event, django_assert_num_queries
):
    _enrol(event, staff, 12)
    event.kapasitas = 10
    event.save()
    _enrol(event, staff, 3)
    with django_assert_num_queries(10):
        response = staff_client.get(reverse("training:event-detail", args=[event.pk]))
    assert len(response.context["seated"]) == 12 and len(response.context["waiting"]) == 3


def test_roster_query_count_is_constant(staff_client, staff, event, django_assert_num_queries):
    _enrol(event, staff, 15)
    day = event.hari_set.order_by("tanggal").first()
    with django_assert_num_queries(7):
        staff_client.get(reverse("training:roster", args=[event.pk, day.pk]))


def test_attendance_sheet_pdf_reads_back(staff_client, staff, event, office, tmp_path):
    enrolments = _enrol(event, staff, 3)
    day = event.hari_set.order_by("tanggal").first()
    response = staff_client.get(reverse("training:attendance-sheet", args=[event.pk, day.pk]))
    text = pdf_text(response.content, tmp_path)
    assert "DAFTAR HADIR PESERTA" in text and "Hari/tanggal: Senin, 7 Desember 2026" in text
    assert "Tanda tangan" in text and "PEMERINTAH KOTA MAGELANG" in text
    for enrolment in enrolments:
        assert enrolment.psm.nama in text
        assert enrolment.psm.nik not in text  # masked on paper


def _graduate(event, staff, psm=None):
    enrolment = services.enrolment_create(
        event=event, psm=psm or PsmFactory(), by=staff, today=TODAY
    )
    services.attendance_mark(
        hari=event.hari_set.order_by("tanggal").first(), marks={enrolment.pk: "hadir"}, by=staff
    )
    services.attendance_mark(
        hari=event.hari_set.order_by("tanggal").last(), marks={enrolment.pk: "hadir"}, by=staff
    )
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    services.event_complete(event=event, by=staff, today=dt.date(2026, 12, 8))
    enrolment.refresh_from_db()
    return enrolment


def test_a_psm_who_moved_keeps_their_certificate(client, staff, event, office):
    """The event belongs to Kota Magelang; its graduate now serves in Wonogiri, whose events
    they see instead. Their own certificate stays theirs to download; nobody else's is."""
    from registry.models import Psm
    from tests.factories import make_user

    enrolment = _graduate(event, staff)
    Psm.objects.filter(pk=enrolment.psm_id).update(
        desa_tugas_id="33.12.01.2001", desa_ktp_id="33.12.01.2001"
    )
    client.force_login(make_user(Role.PSM, psm=enrolment.psm, username="pindah"))
    answer = client.get(reverse("training:certificate", args=[enrolment.pk]))
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    client.force_login(make_user(Role.PSM, psm=PsmFactory(), username="bukan-pemilik"))
    assert client.get(reverse("training:certificate", args=[enrolment.pk])).status_code == 404


def test_certificate_pdf_and_public_verification(client, staff, event, office, tmp_path):
    enrolment = _graduate(event, staff)
    client.force_login(staff)
    pdf = client.get(reverse("training:certificate", args=[enrolment.pk])).content
    (tmp_path / "sertifikat.pdf").write_bytes(pdf)
    text = pdf_text(pdf, tmp_path)
    assert "SERTIFIKAT" in text.replace(" ", "") and enrolment.nomor_sertifikat in text
    assert enrolment.psm.nama in text and event.judul in text and "LULUS" in text
    assert "NIP 19680411 199303 2 009" in text
    client.logout()
    verify = client.get(reverse("training:certificate-verify", args=[enrolment.kode_sertifikat]))
    body = verify.content.decode()
    assert verify.status_code == 200 and "Sah" in body and enrolment.psm.nama in body
    assert enrolment.psm.nik not in body and enrolment.psm.alamat_ktp not in body
    assert PsmBimtek.objects.filter(nomor_sertifikat=enrolment.nomor_sertifikat).exists()
    # The office revokes it from the event page, with a reason the audit keeps.
    client.force_login(staff)
    revoke = reverse("training:certificate-revoke", args=[enrolment.pk])
    assert revoke in client.get(reverse("training:event-detail", args=[event.pk])).content.decode()
    short = client.post(revoke, {"alasan": "palsu"})
    assert short.status_code == 200 and "karakter" in str(short.context["form"].errors["alasan"])
    assert "\npalsu</textarea>" in short.content.decode()  # what was typed is kept
    assert not AuditEvent.objects.filter(action="certificate.revoke").exists()
    done = client.post(revoke, {"alasan": "Daftar hadir ternyata dipalsukan."})
    assert done.status_code == 302 and done["Location"] == reverse(
        "training:event-detail", args=[event.pk]
    )
    again = client.post(revoke, {"alasan": "Daftar hadir ternyata dipalsukan."})
    assert "Sertifikat ini sudah dicabut." in again.content.decode()
    [event_revoked] = AuditEvent.objects.filter(action="certificate.revoke")
    assert event_revoked.reason == "Daftar hadir ternyata dipalsukan."
    assert event_revoked.actor_id == staff.pk
    client.logout()
    assert (
        "Dicabut"
        in client.get(
            reverse("training:certificate-verify", args=[enrolment.kode_sertifikat])
        ).content.decode()
    )
    # Revoked: no longer printed, nor linked, nor counted as a passed level in the registry.
    client.force_login(staff)
    assert client.get(reverse("training:certificate", args=[enrolment.pk])).status_code == 404
    link = reverse("training:certificate", args=[enrolment.pk])
    detail = client.get(reverse("training:event-detail", args=[event.pk])).content.decode()
    assert link not in detail and "sertifikat dicabut" in detail
    assert not PsmBimtek.objects.filter(nomor_sertifikat=enrolment.nomor_sertifikat).exists()
    assert AuditEvent.objects.filter(action="psm.bimtek_withdraw").count() == 1


def test_a_venue_typed_without_spaces_stays_inside_the_certificate(
    client, staff, event, office, tmp_path
):
    """A walk: a 150-letter venue without a space (the form takes 200) was printed past the
    certificate's right edge. Every word is placed inside the page's margin."""
    import re

    event.tempat = "Gedung" + "x" * 144
    event.save()
    enrolment = _graduate(event, staff)
    client.force_login(staff)
    path = tmp_path / "sertifikat.pdf"
    path.write_bytes(client.get(reverse("training:certificate", args=[enrolment.pk])).content)
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    [width] = re.findall(r'<page width="([\d.]+)"', boxes)
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes)]
    assert right and max(right) <= float(width) - 14 * 72 / 25.4  # the 14 mm page margin
    words = re.findall(r">([^<]+)</word>", boxes)
    assert "Gedung" + "x" * 144 in "".join(words)  # all of it, wrapped


def test_a_candidates_certificate_does_not_call_them_a_psm(client, staff, event, office, tmp_path):
    """A staff walk: a candidate (not appointed, Bimtek dasar comes first) was certified as
    "Pekerja Sosial Masyarakat". The status is the one held as the event ended."""
    from registry.models import StatusPsm
    from tests.factories import status_history

    aktif = PsmFactory(nama="Sudah Aktif", status=StatusPsm.AKTIF)
    later = PsmFactory(nama="Diangkat Sesudahnya")
    status_history(
        later, (StatusPsm.CALON, dt.date(2025, 1, 2)), (StatusPsm.AKTIF, dt.date(2026, 12, 20))
    )
    enrolments = {
        psm.nama: services.enrolment_create(event=event, psm=psm, by=staff, today=TODAY)
        for psm in (PsmFactory(nama="Masih Calon"), aktif, later)
    }
    for day in event.hari_set.all():
        services.attendance_mark(
            hari=day, marks={e.pk: "hadir" for e in enrolments.values()}, by=staff
        )
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    services.event_complete(event=event, by=staff, today=dt.date(2026, 12, 8))
    client.force_login(staff)
    said = {}
    for name, enrolment in enrolments.items():
        pdf = client.get(reverse("training:certificate", args=[enrolment.pk])).content
        said[name] = " ".join(pdf_text(pdf, tmp_path).split())
    assert "Calon Pekerja Sosial Masyarakat, Rejowinangun Selatan" in said["Masih Calon"]
    assert "Calon Pekerja Sosial Masyarakat" in said["Diangkat Sesudahnya"]
    assert "Pekerja Sosial Masyarakat, Rejowinangun Selatan" in said["Sudah Aktif"]
    assert "Calon" not in said["Sudah Aktif"]


@pytest.mark.parametrize("kode", ["tebakan", "SRT-3371-2026-0001-001", "a" * 200])
def test_guessed_or_altered_certificate_codes_are_unknown(client, regions, kode):
    response = client.get(reverse("training:certificate-verify", args=[kode]))
    assert response.status_code == 404
    assert "Sertifikat tidak dikenal" in response.content.decode()


def test_a_psm_sees_announced_events_not_drafts_and_a_failed_result_is_not_green(
    client, staff, event
):
    from tests.factories import make_user

    draft = EventFactory(status=StatusEvent.DRAFT, judul="Bimtek Masih Disusun")
    psm = PsmFactory()
    client.force_login(make_user(Role.PSM, psm=psm, username="psm-draf"))
    listing = client.get(reverse("training:event-list")).content.decode()
    assert event.judul in listing and "Bimtek Masih Disusun" not in listing
    assert client.get(reverse("training:event-detail", args=[draft.pk])).status_code == 404
    Peserta.objects.create(event=event, psm=psm, status="tidak_lulus")
    page = client.get(reverse("training:event-detail", args=[event.pk])).content.decode()
    assert 'alert-secondary" role="status">' in page and "Tidak lulus" in page
    # What the result was decided on (no attendance taken: 0 %; the event's minimum).
    assert f"kehadiran 0% (minimal {event.min_kehadiran_persen}%)" in page


def test_psm_enrols_themselves_and_sees_the_waitlist_place(client, staff, event):
    event.kapasitas = 1
    event.save()
    _enrol(event, staff, 1)
    from tests.factories import make_user

    psm = PsmFactory()
    client.force_login(make_user(Role.PSM, psm=psm, username="dyah"))
    response = client.post(reverse("training:enrol-self", args=[event.pk]), follow=True)
    assert "daftar tunggu nomor 1" in response.content.decode()
    assert Peserta.objects.get(psm=psm).status == "menunggu"


def test_a_psm_who_cancelled_can_sign_up_again_from_the_page(client, staff, event):
    from tests.factories import make_user

    psm = PsmFactory()
    client.force_login(make_user(Role.PSM, psm=psm, username="ragu"))
    url = reverse("training:event-detail", args=[event.pk])
    client.post(reverse("training:enrol-self", args=[event.pk]))
    enrolment = Peserta.objects.get(psm=psm)
    client.post(reverse("training:enrolment-cancel", args=[enrolment.pk]))
    enrolment.refresh_from_db()
    assert enrolment.status == "batal"
    page = client.get(url).content.decode()
    assert "Daftar sebagai peserta" in page and "Status Anda:" not in page
    client.post(reverse("training:enrol-self", args=[event.pk]))
    assert Peserta.objects.get(psm=psm).status == "terdaftar"
    assert "Status Anda:" in client.get(url).content.decode()


def test_psm_cannot_cancel_someone_elses_enrolment(client, staff, event):
    other = _enrol(event, staff, 1)[0]
    from tests.factories import make_user

    client.force_login(make_user(Role.PSM, psm=PsmFactory(), username="dyah"))
    assert client.post(reverse("training:enrolment-cancel", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.status == "terdaftar"


def test_events_of_another_region_are_404(staff_client, regions):
    wonogiri = EventFactory(wilayah=Wilayah.objects.get(kode="33.12"))
    assert staff_client.get(reverse("training:event-detail", args=[wonogiri.pk])).status_code == 404


def test_provincial_event_is_visible_but_read_only_for_kab_kota_staff(staff_client, regions):
    from registry.regions import load_regions

    load_regions("33")
    provincial = EventFactory(wilayah=Wilayah.objects.get(kode="33"), penyelenggara="provinsi")
    assert (
        staff_client.get(reverse("training:event-detail", args=[provincial.pk])).status_code == 200
    )
    assert (
        staff_client.get(reverse("training:event-update", args=[provincial.pk])).status_code == 403
    )


def test_participant_list_pdf_and_xlsx(staff_client, staff, event, office, tmp_path):
    import io

    from openpyxl import load_workbook

    enrolments = _enrol(event, staff, 3)
    number = f"SRT/3371/2026/{event.pk:04d}/001"
    Peserta.objects.filter(pk=enrolments[0].pk).update(status="lulus", nomor_sertifikat=number)
    text = pdf_text(
        staff_client.get(reverse("training:participants", args=[event.pk, "pdf"])).content, tmp_path
    )
    assert "DAFTAR PESERTA" in text and "Jumlah peserta: 3" in text
    assert number in text  # on one line ("SRT/" went to a line of its own)
    assert all(e.psm.nama in text and e.psm.nik not in text for e in enrolments)
    sheet = load_workbook(
        io.BytesIO(
            staff_client.get(reverse("training:participants", args=[event.pk, "xlsx"])).content
        )
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("No.", "Nama", "NIK") and len(rows) == 4
    assert rows[1][2].count("*") == 10
    # Each export is in the audit trail, as every other export is.
    exports = AuditEvent.objects.filter(action="event.export", target_id=str(event.pk))
    assert sorted(e.after["format"] for e in exports) == ["pdf", "xlsx"]
    day = event.hari_set.order_by("tanggal").first()
    staff_client.get(reverse("training:attendance-sheet", args=[event.pk, day.pk]))
    assert exports.filter(after__format="daftar-hadir").count() == 1


def test_a_revoked_certificate_is_marked_in_the_participant_lists(
    staff_client, staff, event, office, tmp_path
):
    import io

    from openpyxl import load_workbook

    (enrolment,) = _enrol(event, staff, 1)
    Peserta.objects.filter(pk=enrolment.pk).update(
        status="lulus", nomor_sertifikat="SRT/3371/2026/0001/001", sertifikat_dicabut=True
    )
    url = reverse("training:participants", args=[event.pk, "xlsx"])
    rows = list(load_workbook(io.BytesIO(staff_client.get(url).content)).active.values)
    assert rows[1][-1] == "SRT/3371/2026/0001/001 (dicabut)"
    url = reverse("training:participants", args=[event.pk, "pdf"])
    text = pdf_text(staff_client.get(url).content, tmp_path)
    assert "3371/2026/0001/001" in text and "(dicabut)" in text  # the narrow column wraps it


def test_recap_counts_people_per_level_year_and_kecamatan(
    client, users, regions, django_assert_num_queries
):
    from tests.factories import BimtekFactory

    for kode, year in (
        ("33.71.01.1003", 2024),
        ("33.71.01.1003", 2025),
        ("33.71.02.1003", 2025),
        ("33.12.01.2001", 2025),
    ):
        BimtekFactory(psm=PsmFactory(desa_kode=kode), tanggal=dt.date(year, 3, 1))
    client.force_login(users[Role.SUPERVISOR])
    with django_assert_num_queries(6):
        context = client.get(reverse("training:recap")).context
    assert context["by_year"] == {
        2024: {"dasar": 1, "lanjutan": 0, "spesialisasi": 0},
        2025: {"dasar": 2, "lanjutan": 0, "spesialisasi": 0},
    }
    per_kec = {code: counts["dasar"] for _name, code, counts in context["by_kecamatan"]}
    assert per_kec == {"33.71.01": 2, "33.71.02": 1, "33.71.03": 0}  # Wonogiri is out of scope
    # The page's own year links (the office's Indonesian format writes 2025 as "2.025").
    page = client.get(reverse("training:recap")).content.decode()
    assert '<a href="?tahun=2025">2025</a>' in page and "2.025" not in page
    filtered = client.get(reverse("training:recap"), {"tahun": "2025"})
    assert {c: n["dasar"] for _n, c, n in filtered.context["by_kecamatan"]}["33.71.01"] == 1
    body = filtered.content.decode()
    assert f'{reverse("training:recap-xlsx")}?tahun=2025"' in body and "(2025)" in body


def test_certificate_codes_can_be_typed_back_from_print():
    from psm_portal.codes import READABLE_ALPHABET
    from registry.models import _new_verification_code
    from training.models import _certificate_code

    codes = {make() for make in (_certificate_code, _new_verification_code) for _ in range(250)}
    assert len(codes) == 500
    assert all(len(c) == 16 and set(c) <= set(READABLE_ALPHABET) for c in codes)
    assert not set("-_0O1lI") & set(READABLE_ALPHABET)


def test_a_national_account_sees_every_event(client, regions):
    from tests.factories import make_user
    from training.access import events_visible_to

    Wilayah.objects.bulk_create(
        [Wilayah(kode=f"{n}", nama=f"Provinsi {n}", tingkat=1) for n in range(50, 80)]
    )
    provinces = list(Wilayah.objects.filter(tingkat=1).values_list("kode", flat=True))
    national = make_user(Role.STAF, scope=provinces, username="staf-nasional")
    kota = EventFactory(wilayah=Wilayah.objects.get(kode="33.71"))
    provinsi = EventFactory(wilayah=Wilayah.objects.get(kode="50"), penyelenggara="provinsi")
    assert set(events_visible_to(national)) == {kota, provinsi}
    client.force_login(national)
    assert client.get(reverse("training:event-detail", args=[kota.pk])).status_code == 200


def test_the_qr_checkin_page_offers_the_button_only_when_it_can_work(client, staff, event):
    """On a phone with a weak signal, a button that can only fail costs a round trip for one
    sentence: the page says why up front (another day, not a participant), shows the button on
    the day to a participant, and says so once they are marked; a refused tap comes back here
    (the event's page is not every PSM's to open)."""
    from django.utils.formats import date_format

    from psm_portal.models import Role
    from tests.factories import make_user

    (enrolment,) = _enrol(event, staff, 1)
    psm_user = make_user(Role.PSM, psm=enrolment.psm, username="hadir")
    client.force_login(psm_user)
    # Today as a day of the event (it may already be one of the fixture's), and another day.
    today, _created = event.hari_set.get_or_create(tanggal=timezone.localdate())
    tomorrow = event.hari_set.exclude(pk=today.pk).order_by("tanggal").first()

    page = client.get(reverse("training:checkin", args=[tomorrow.token_checkin])).content.decode()
    assert f"Kode presensi ini hanya berlaku pada {date_format(tomorrow.tanggal)}." in page
    assert "Saya hadir" not in page
    answer = client.post(reverse("training:checkin", args=[tomorrow.token_checkin]))
    assert answer.url == reverse("training:checkin", args=[tomorrow.token_checkin])

    url = reverse("training:checkin", args=[today.token_checkin])
    assert "Saya hadir" in client.get(url).content.decode()
    assert client.post(url).url == reverse("training:event-detail", args=[event.pk])
    page = client.get(url).content.decode()
    assert "Kehadiran Anda hari ini sudah tercatat." in page and "Saya hadir" not in page

    client.force_login(make_user(Role.PSM, psm=PsmFactory(), username="tamu"))
    page = client.get(url).content.decode()
    assert "Anda tidak terdaftar sebagai peserta kegiatan ini." in page
    assert "Saya hadir" not in page


# --- from a browser walk of the training pages -------------------------------------------------


def test_a_refused_quota_keeps_what_was_typed_with_its_error(staff_client, event):
    """The event's page came back with an empty kecamatan and quota and a generic message."""
    url = reverse("training:event-quota", args=[event.pk])
    page = staff_client.post(url, {"kecamatan": "33.71.02", "kuota": "-3"}, follow=True)
    form = page.context["quota_form"]
    assert form.is_bound and form["kecamatan"].value() == "33.71.02"
    assert form["kuota"].value() == "-3" and "kuota" in form.errors
    body = page.content.decode()
    assert 'value="-3"' in body and "Kuota belum tersimpan" in body
    # shown once: the next visit has a fresh form
    again = staff_client.get(reverse("training:event-detail", args=[event.pk]))
    assert not again.context["quota_form"].is_bound


def test_attendance_left_outside_new_dates_is_said_on_the_date_field(staff_client, staff, event):
    """It was said twice above the form, which asked to fix fields marked red: none was."""
    (enrolment,) = _enrol(event, staff, 1)
    last_day = event.hari_set.get(tanggal=dt.date(2026, 12, 8))
    services.attendance_mark(
        hari=last_day, marks={enrolment.pk: "hadir"}, by=staff, today=dt.date(2026, 12, 8)
    )
    response = staff_client.post(
        reverse("training:event-update", args=[event.pk]),
        {**EVENT_FORM, "kapasitas": str(event.kapasitas), "tanggal_selesai": "2026-12-07"},
    )
    assert response.status_code == 200
    # the date as the portal writes dates (it read 08-12-2026)
    message = (
        "Kehadiran sudah tercatat pada 8 Desember 2026: kegiatan tidak dapat berakhir sebelumnya."
    )
    assert response.context["form"].errors == {"tanggal_selesai": [message]}
    assert response.content.decode().count(message) == 1
    assert BimtekEvent.objects.get(pk=event.pk).tanggal_selesai == dt.date(2026, 12, 8)


def test_a_completed_or_cancelled_events_form_does_not_open(staff_client, staff, event):
    services.event_set_status(event=event, status=StatusEvent.BATAL, by=staff)
    answer = staff_client.get(reverse("training:event-update", args=[event.pk]), follow=True)
    assert answer.redirect_chain[-1][0] == reverse("training:event-detail", args=[event.pk])
    assert "tidak dapat diubah" in answer.content.decode()


def test_an_events_remarks_are_shown_on_its_page(client, staff, event):
    event.keterangan = "Bawa KTP dan alat tulis."
    event.save()
    client.force_login(staff)
    page = client.get(reverse("training:event-detail", args=[event.pk])).content.decode()
    assert "Bawa KTP dan alat tulis." in page


def test_the_nomination_list_pages_past_fifty(staff_client, event):
    """107 matched and 50 were listed, with no way to the others."""
    people = [PsmFactory(nama=f"Calon {i:03d}", status="calon") for i in range(55)]
    url = reverse("training:event-nominate", args=[event.pk])
    first = staff_client.get(url, {"status": "calon"}).content.decode()
    assert "55 orang cocok." in first and "Halaman 1 dari 2" in first
    assert "page=2" in first and "status=calon" in first
    second = staff_client.get(url, {"status": "calon", "page": 2}).content.decode()
    listed = [p for p in people if f'aria-label="{p.nama}"' in first + second]
    assert len(listed) == 55


def test_training_pages_name_an_event_and_its_scores_in_english(staff_client, staff, event):
    """'Kegiatan' is an activity elsewhere: here it read "Activities", a score "Value" and the
    event's information card "Remarks"."""
    _enrol(event, staff, 1)
    en = {"accept-language": "en"}
    listing = staff_client.get(reverse("training:event-list"), headers=en).content.decode()
    assert '<th scope="col">Event</th>' in listing and ">Activities</th>" not in listing
    detail = staff_client.get(reverse("training:event-detail", args=[event.pk]), headers=en)
    body = detail.content.decode()
    assert ">Details</h2>" in body and '<th scope="col">Scores</th>' in body


def test_registration_is_not_opened_after_its_window_closed(staff_client, staff):
    """A browser walk: "Buka pendaftaran" on an event whose registration had closed succeeded,
    then refused each of five nominations with "Di luar masa pendaftaran", and nothing said the
    dates were the thing to change."""
    today = timezone.localdate()
    event = EventFactory(
        status=StatusEvent.DRAFT,
        pendaftaran_mulai=today - dt.timedelta(days=20),
        pendaftaran_selesai=today - dt.timedelta(days=1),
        tanggal_mulai=today + dt.timedelta(days=5),
        tanggal_selesai=today + dt.timedelta(days=6),
    )
    url = reverse("training:event-status", args=[event.pk])
    answer = staff_client.post(url, {"status": StatusEvent.BUKA}, follow=True)
    assert "Masa pendaftaran kegiatan ini sudah berakhir" in answer.content.decode()
    event.refresh_from_db()
    assert event.status == StatusEvent.DRAFT
    BimtekEvent.objects.filter(pk=event.pk).update(pendaftaran_selesai=today)
    staff_client.post(url, {"status": StatusEvent.BUKA})
    event.refresh_from_db()
    assert event.status == StatusEvent.BUKA


def test_the_waiting_list_says_each_persons_place_now(client, staff, event):
    """From a review: a PSM was told the number given on joining ("nomor 3"), which stays
    while those ahead are seated or leave, so the second in line read third."""
    from tests.factories import make_user

    event.kapasitas = 1
    event.save()
    first, ahead, mine = (PsmFactory() for _ in range(3))
    for psm in (first, ahead):
        services.enrolment_create(event=event, psm=psm, by=staff, today=dt.date(2026, 11, 24))
    client.force_login(make_user(Role.PSM, psm=mine, username="menunggu"))
    answer = client.post(reverse("training:enrol-self", args=[event.pk]), follow=True)
    assert "daftar tunggu nomor 2" in answer.content.decode()
    services.enrolment_cancel(
        enrolment=Peserta.objects.get(psm=first), by=staff, today=dt.date(2026, 11, 24)
    )
    assert Peserta.objects.get(psm=ahead).status == "terdaftar"
    page = client.get(reverse("training:event-detail", args=[event.pk])).content.decode()
    assert "nomor antrean 1" in page


def test_nominees_are_seated_in_the_order_picked_and_a_return_starts_afresh(
    staff_client, staff, event
):
    """From a review: nominees were enrolled in whatever order the database returned them (the
    last seat to any of them), and enrolling again after cancelling kept the cancelled
    enrolment's marks."""
    event.kapasitas = 1
    event.save()
    later, picked_first = PsmFactory(nama="Agus"), PsmFactory(nama="Zainal")
    staff_client.post(
        reverse("training:event-nominate", args=[event.pk]),
        {"psm": [picked_first.pk, later.pk]},
    )
    statuses = dict(Peserta.objects.filter(event=event).values_list("psm__nama", "status"))
    assert statuses == {"Zainal": "terdaftar", "Agus": "menunggu"}
    seat = Peserta.objects.get(psm=picked_first)
    services.scores_set(enrolment=seat, nilai_pre=40, nilai_post=55, by=staff)
    services.enrolment_cancel(enrolment=seat, by=staff, today=dt.date(2026, 11, 24))
    again = services.enrolment_create(
        event=event, psm=picked_first, by=staff, today=dt.date(2026, 11, 24)
    )
    assert again.pk == seat.pk and (again.nilai_pre, again.nilai_post) == (None, None)


def test_a_seat_at_one_event_of_a_level_at_a_time(staff, event):
    """From a review: a PSM held seats at two Bimtek dasar at once (one taken from someone
    else), and both could end in a certificate of the same level."""
    from django.core.exceptions import ValidationError as Refused

    psm = PsmFactory()
    services.enrolment_create(event=event, psm=psm, by=staff, today=dt.date(2026, 11, 24))
    other = EventFactory(status=StatusEvent.BUKA, judul="Bimtek Dasar Angkatan Dua")
    with pytest.raises(Refused, match=f"sudah mendapat tempat di {event.judul}"):
        services.enrolment_create(event=other, psm=psm, by=staff, today=dt.date(2026, 11, 24))
    # once that seat is given up, or the event over, the other is open to them
    services.enrolment_cancel(
        enrolment=Peserta.objects.get(event=event, psm=psm), by=staff, today=dt.date(2026, 11, 24)
    )
    services.enrolment_create(event=other, psm=psm, by=staff, today=dt.date(2026, 11, 24))


def test_a_psms_training_history_takes_a_fixed_number_of_queries(
    staff_client, staff, event, django_assert_num_queries
):
    psm = PsmFactory()
    url = reverse("training:psm-history", args=[psm.pk])
    staff_client.get(url)  # warms the per-process caches (menu, province list)
    for status in ("lulus", "tidak_lulus", "terdaftar"):
        Peserta.objects.create(
            event=EventFactory(status=StatusEvent.SELESAI), psm=psm, status=status
        )
    # session, user, scope, the PSM, the enrolments with their events, the Bimtek records
    with django_assert_num_queries(6):
        staff_client.get(url)


def test_the_participant_list_says_why_each_did_not_pass(staff_client, staff, regions):
    """A browser walk: after completion the staff's list said "Tidak lulus" with no reason (the
    PSM's own page said it; the office answering the PSM's question could not)."""
    from tests.factories import bimtek_results

    event = EventFactory(status=StatusEvent.BUKA, nilai_lulus=70, min_kehadiran_persen=100)
    for d in (7, 8):
        event.hari_set.create(tanggal=dt.date(2026, 12, d))
    people = {
        PsmFactory(nama="Baik"): (["hadir", "hadir"], 85),
        PsmFactory(nama="Absen"): (["hadir", "absen"], 90),
        PsmFactory(nama="Rendah"): (["hadir", "hadir"], 60),
    }
    bimtek_results(event, staff, people, today=dt.date(2026, 11, 24))
    services.event_set_status(event=event, status=StatusEvent.TUTUP, by=staff)
    services.event_complete(event=event, by=staff, today=dt.date(2026, 12, 8))
    page = staff_client.get(reverse("training:event-detail", args=[event.pk])).content.decode()
    assert "Tidak lulus <span" in page
    assert "(kehadiran 50%, minimal 100%)" in page
    assert "(nilai akhir 60, lulus 70)" in page
    assert page.count("minimal 100%") == 1  # who passed has no reason beside them
