"""Activities a PSM records (from the phone) and staff verify."""

import datetime as dt
import io
import re
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from psm_portal.models import AuditEvent, Role
from registry import services
from registry.models import Kegiatan, StatusKegiatan, Wilayah
from tests.concurrency import at_once
from tests.factories import KegiatanFactory, PsmFactory, make_user

TODAY = dt.date(2026, 11, 24)


def _jpeg(name="foto.jpg", size=(2400, 1200)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _data(psm, **overrides):
    return {
        "jenis": "sosialisasi",
        "tanggal": dt.date(2026, 11, 20),
        "durasi_jam": 2,
        "tempat": "Balai Kelurahan",
        "desa": psm.desa_tugas,
        "uraian": "Sosialisasi Program Sembako",
        "jumlah_penerima": 25,
        **overrides,
    }


@pytest.fixture
def psm_user(psm):
    return make_user(Role.PSM, psm=psm, username="sri")


def test_activity_record_is_idempotent_by_client_uuid(psm, psm_user):
    key = uuid.uuid4()
    first, created = services.activity_record(
        psm=psm, data=_data(psm), client_uuid=key, by=psm_user, today=TODAY
    )
    again, created_again = services.activity_record(
        psm=psm, data=_data(psm, uraian="lain"), client_uuid=key, by=psm_user, today=TODAY
    )
    assert created and not created_again and first.pk == again.pk
    assert Kegiatan.objects.count() == 1
    assert AuditEvent.objects.filter(action="kegiatan.record").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_activity_make_one_row(regions):
    psm = PsmFactory()
    user = make_user(Role.PSM, psm=psm, username="kembar")
    key = uuid.uuid4()
    made, errors = at_once(
        lambda: (
            services.activity_record(
                psm=psm, data=_data(psm), client_uuid=key, by=user, today=TODAY
            )[0].pk
        ),
        [()] * 6,
    )
    results = made
    assert errors == []
    assert len(set(results)) == 1 and Kegiatan.objects.count() == 1


def test_future_date_zero_duration_and_non_images_are_refused(psm, psm_user):
    with pytest.raises(ValidationError) as exc:
        services.activity_record(
            psm=psm,
            data=_data(psm, tanggal=TODAY + dt.timedelta(days=1)),
            client_uuid=uuid.uuid4(),
            by=psm_user,
            today=TODAY,
        )
    assert "masa depan" in str(exc.value)
    with pytest.raises(ValidationError):
        services.activity_record(
            psm=psm,
            data=_data(psm, durasi_jam=0),
            client_uuid=uuid.uuid4(),
            by=psm_user,
            today=TODAY,
        )
    fake = SimpleUploadedFile("foto.jpg", b"<script>alert(1)</script>", "image/jpeg")
    with pytest.raises(ValidationError) as exc:
        services.activity_record(
            psm=psm,
            data=_data(psm),
            photos=[fake],
            client_uuid=uuid.uuid4(),
            by=psm_user,
            today=TODAY,
        )
    assert "bukan gambar" in str(exc.value)
    assert Kegiatan.objects.count() == 0


def test_a_stopped_psm_records_no_activity_from_the_day_they_stopped(psm, psm_user):
    """A stopped PSM's login (or phone outbox) cannot add work after the stop, which the
    indicators would count; what was done before it still arrives."""
    from registry.models import StatusPsm

    psm.status, psm.status_sejak = StatusPsm.BERHENTI, dt.date(2026, 11, 18)
    psm.save()
    with pytest.raises(ValidationError) as refused:
        services.activity_record(
            psm=psm, data=_data(psm), client_uuid=uuid.uuid4(), by=psm_user, today=TODAY
        )
    assert refused.value.message_dict == {
        "tanggal": [
            "PSM ini berhenti sejak 18 November 2026; kegiatan dan asesmen sejak tanggal itu "
            "tidak dapat dicatat."
        ]
    }
    before_stop = _data(psm, tanggal=dt.date(2026, 11, 17))
    kegiatan, created = services.activity_record(
        psm=psm, data=before_stop, client_uuid=uuid.uuid4(), by=psm_user, today=TODAY
    )
    assert created and Kegiatan.objects.get() == kegiatan


def _recorded_on(psm, by, day):
    """An activity of ``psm`` on ``day``: True, or the message its date was refused with."""
    try:
        services.activity_record(
            psm=psm, data=_data(psm, tanggal=day), client_uuid=uuid.uuid4(), by=by, today=TODAY
        )
    except ValidationError as refused:
        return refused.message_dict["tanggal"][0]
    return True


@pytest.mark.parametrize("spell", ["berhenti", "nonaktif"])
def test_no_activity_is_recorded_in_an_earlier_spell_of_a_psm_who_came_back(psm, psm_user, spell):
    """A PSM who stopped (or was nonaktif) and was made aktif again: the months between were not
    served (PR-01 divides by the months aktif), so work dated in them would count against months
    it is not divided by; the day they came back and the days before are recorded."""
    from registry.models import StatusPsm
    from tests.factories import status_history

    psm.tanggal_bergabung = dt.date(2024, 1, 2)
    psm.save()
    status_history(
        psm,
        (StatusPsm.AKTIF, dt.date(2024, 1, 2)),
        (spell, dt.date(2025, 3, 1)),
        (StatusPsm.AKTIF, dt.date(2025, 9, 1)),
    )
    psm.refresh_from_db()
    refused = (
        f"PSM ini {spell} dari 1 Maret 2025 sampai 31 Agustus 2025; kegiatan dan asesmen pada "
        "masa itu tidak dapat dicatat."
    )
    assert _recorded_on(psm, psm_user, dt.date(2025, 3, 1)) == refused
    assert _recorded_on(psm, psm_user, dt.date(2025, 8, 31)) == refused
    assert _recorded_on(psm, psm_user, dt.date(2025, 2, 28)) is True
    assert _recorded_on(psm, psm_user, dt.date(2025, 9, 1)) is True
    assert Kegiatan.objects.count() == 2


def test_no_activity_is_recorded_while_a_psm_is_nonaktif(psm, psm_user):
    """As while stopped: work done before (held in a phone's outbox) is still recorded."""
    from registry.models import StatusPsm
    from tests.factories import status_history

    psm.tanggal_bergabung = dt.date(2024, 1, 2)
    psm.save()
    status_history(
        psm, (StatusPsm.AKTIF, dt.date(2024, 1, 2)), (StatusPsm.NONAKTIF, dt.date(2026, 11, 10))
    )
    psm.refresh_from_db()
    assert _recorded_on(psm, psm_user, dt.date(2026, 11, 20)) == (
        "PSM ini nonaktif sejak 10 November 2026; kegiatan dan asesmen sejak tanggal itu"
        " tidak dapat dicatat."
    )
    assert _recorded_on(psm, psm_user, dt.date(2026, 11, 9)) is True


@pytest.mark.parametrize("before", ["berhenti", "nonaktif"])
def test_no_activity_in_a_spell_that_began_before_the_status_history(psm, psm_user, before):
    """A PSM entered stopped (or nonaktif) before the portal kept a history, aktif again since:
    the history's first change is from that status, and the days before it were in it too (as
    the indicators read them)."""
    from registry.models import PsmStatusChange, StatusPsm

    psm.tanggal_bergabung = dt.date(2020, 1, 6)
    psm.save()
    PsmStatusChange.objects.create(
        psm=psm, dari=before, ke=StatusPsm.AKTIF, tanggal_efektif=dt.date(2025, 9, 1)
    )
    psm.refresh_from_db()
    assert _recorded_on(psm, psm_user, dt.date(2025, 5, 1)) == (
        f"PSM ini {before} sampai 31 Agustus 2025; kegiatan dan asesmen pada masa itu"
        " tidak dapat dicatat."
    )
    assert _recorded_on(psm, psm_user, dt.date(2025, 9, 1)) is True


def test_photos_are_shrunk_and_re_encoded(psm, psm_user):
    kegiatan, _ = services.activity_record(
        psm=psm,
        data=_data(psm),
        photos=[_jpeg()],
        client_uuid=uuid.uuid4(),
        by=psm_user,
        today=TODAY,
    )
    photo = kegiatan.foto_set.get()
    assert (photo.lebar, photo.tinggi) == (1600, 800)


def test_verify_needs_a_reason_to_reject_and_happens_once(psm, staff):
    kegiatan = KegiatanFactory(psm=psm)
    with pytest.raises(ValidationError):
        services.activity_verify(kegiatan=kegiatan, approve=False, note=" ", by=staff)
    services.activity_verify(kegiatan=kegiatan, approve=True, by=staff)
    kegiatan.refresh_from_db()
    assert kegiatan.status == StatusKegiatan.DIVERIFIKASI and kegiatan.diverifikasi_oleh == staff
    with pytest.raises(ValidationError, match="sudah diverifikasi"):
        services.activity_verify(kegiatan=kegiatan, approve=False, note="ragu", by=staff)


def test_psm_records_an_activity_with_a_photo_from_the_form(client, psm, psm_user):
    client.force_login(psm_user)
    page = client.get(reverse("registry:activity-create"))
    key = page.context["form"].initial["client_uuid"]
    payload = {
        "client_uuid": key,
        "jenis": "kunjungan",
        "tanggal": "2026-11-20",
        "durasi_jam": "1.5",
        "tempat": "Rumah Bu Painem",
        "desa": psm.desa_tugas_id,
        "jumlah_penerima": "1",
        "uraian": "Kunjungan rumah lansia terlantar",
    }
    response = client.post(reverse("registry:activity-create"), {**payload, "foto": _jpeg()})
    kegiatan = Kegiatan.objects.get()
    assert response.status_code == 302 and kegiatan.foto_set.count() == 1
    # shown to her, kept by no shared cache (faces of residents), as the PSM's own photo is
    photo = kegiatan.foto_set.get()
    shown = client.get(reverse("registry:activity-photo", args=[kegiatan.pk, photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown["Cache-Control"] == "private, no-store"
    assert b"".join(shown.streaming_content)  # read whole, which closes the file
    again = client.post(reverse("registry:activity-create"), payload, follow=True)
    assert "sudah tercatat sebelumnya" in again.content.decode()
    assert Kegiatan.objects.count() == 1


@pytest.mark.parametrize(("typed", "hours"), [("1,5", "1.5"), ("1.5", "1.5"), (" 2 ", "2.0")])
def test_hours_are_read_with_a_comma_or_a_point(client, psm, psm_user, typed, hours):
    """A number input turned "1,5" into 15 on a phone set to English: a text field with the
    decimal keypad, read either way."""
    client.force_login(psm_user)
    page = client.get(reverse("registry:activity-create")).content.decode()
    assert 'name="durasi_jam"' in page and 'inputmode="decimal"' in page
    client.post(
        reverse("registry:activity-create"),
        {
            "client_uuid": str(uuid.uuid4()),
            "jenis": "kunjungan",
            "tanggal": "2026-11-20",
            "durasi_jam": typed,
            "tempat": "Balai RW",
            "desa": psm.desa_tugas_id,
            "jumlah_penerima": "3",
            "uraian": "Sosialisasi",
        },
    )
    assert str(Kegiatan.objects.get().durasi_jam) == hours


def test_a_bad_activity_form_keeps_what_was_typed(client, psm, psm_user):
    client.force_login(psm_user)
    response = client.post(
        reverse("registry:activity-create"),
        {
            "client_uuid": str(uuid.uuid4()),
            "jenis": "kunjungan",
            "tanggal": "2099-01-01",
            "durasi_jam": "30",
            "tempat": "Pos Kamling <b>RW 5</b>",
            "desa": Wilayah.objects.get(kode="33.12.01.2001").kode,  # another kab/kota
            "uraian": "Catatan panjang yang tidak boleh hilang",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Tanggal kegiatan tidak boleh di masa depan." in body
    assert "Lama kegiatan lebih dari 0 dan paling lama 24 jam." in body  # not the rule's name
    assert "Catatan panjang yang tidak boleh hilang" in body
    assert "Pos Kamling &lt;b&gt;RW 5&lt;/b&gt;" in body
    assert Kegiatan.objects.count() == 0


def test_an_activity_refused_from_the_outbox_says_what_to_fix(client, psm, psm_user):
    """Sent from the phone's outbox, a 25-hour activity came back as "Formulir perlu diperbaiki.
    Buka formulirnya untuk melihat.", and the form it opened marked nothing."""
    client.force_login(psm_user)
    key = str(uuid.uuid4())
    answer = client.post(
        reverse("registry:activity-create"),
        {
            "client_uuid": key,
            "jenis": "kunjungan",
            "tanggal": "2026-11-20",
            "durasi_jam": "25",
            "tempat": "Balai RW",
            "desa": psm.desa_tugas_id,
            "jumlah_penerima": "3",
            "uraian": "Sosialisasi",
        },
        headers={"X-Offline-Kiriman": key},
    )
    data = answer.json()
    assert answer.status_code == 400 and data["status"] == "perlu_diperbaiki"
    assert data["isian"] == ["durasi_jam"]
    assert data["galat"] == {"Lama (jam)": ["Lama kegiatan lebih dari 0 dan paling lama 24 jam."]}
    assert not Kegiatan.objects.exists()


def test_activities_of_others_answer_404(client, regions, psm, psm_user):
    other = KegiatanFactory(psm=PsmFactory())
    far = KegiatanFactory(psm=PsmFactory(desa_kode="33.12.01.2001"))
    client.force_login(psm_user)
    assert client.get(reverse("registry:activity-detail", args=[other.pk])).status_code == 404
    client.force_login(make_user(Role.STAF, scope=["33.71"], username="staf2"))
    assert client.get(reverse("registry:activity-detail", args=[far.pk])).status_code == 404
    assert client.get(reverse("registry:activity-detail", args=[other.pk])).status_code == 200


def test_staff_verify_from_the_page_and_supervisor_may_not(client, psm, staff):
    kegiatan = KegiatanFactory(psm=psm)
    url = reverse("registry:activity-verify", args=[kegiatan.pk])
    client.force_login(make_user(Role.SUPERVISOR, scope=["33.71"], username="spv"))
    assert client.post(url, {"keputusan": "terima"}).status_code == 403
    client.force_login(staff)
    response = client.post(url, {"keputusan": "tolak", "catatan": " "})
    # On the note's field, with the choice kept (it was a message above the page).
    assert response.status_code == 400
    assert response.context["verify_form"].errors["catatan"] == ["Tuliskan alasan penolakan."]
    assert re.search(r'value="tolak"[^>]*checked', response.content.decode())
    client.post(url, {"keputusan": "terima"})
    kegiatan.refresh_from_db()
    assert kegiatan.status == StatusKegiatan.DIVERIFIKASI


def test_activity_list_query_count_is_constant(client, staff, django_assert_num_queries):
    people = [PsmFactory() for _ in range(3)]
    for person in people:
        KegiatanFactory.create_batch(3, psm=person)
    client.force_login(staff)
    client.get(reverse("registry:activity-list"))  # warm the session and office caches
    with django_assert_num_queries(5):
        response = client.get(reverse("registry:activity-list"))
    assert len(response.context["page"]) == 9


def test_no_activity_before_joining_nor_more_than_24_hours_a_day(psm, psm_user):
    """Backdated work from before joining inflated the per-month figures of the year joined; ten
    24-hour activities on one day filled PR-02."""
    from registry.models import Psm

    Psm.objects.filter(pk=psm.pk).update(tanggal_bergabung=dt.date(2026, 10, 1))
    psm.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.activity_record(
            psm=psm,
            data=_data(psm, tanggal=dt.date(2026, 9, 30)),
            client_uuid=uuid.uuid4(),
            by=psm_user,
            today=TODAY,
        )
    assert "bergabung pada 1 Oktober 2026" in str(exc.value.message_dict["tanggal"])
    for hours in (20, 4):
        services.activity_record(
            psm=psm,
            data=_data(psm, durasi_jam=hours),
            client_uuid=uuid.uuid4(),
            by=psm_user,
            today=TODAY,
        )
    with pytest.raises(ValidationError) as exc:
        services.activity_record(
            psm=psm,
            data=_data(psm, durasi_jam=Decimal("0.5")),
            client_uuid=uuid.uuid4(),
            by=psm_user,
            today=TODAY,
        )
    assert "sudah tercatat 24 jam" in str(exc.value.message_dict["durasi_jam"])
    assert Kegiatan.objects.filter(psm=psm).count() == 2


def test_an_administrator_sees_every_psms_activities_and_cannot_verify_their_own(client, psm):
    """The administrator holds every permission, recording included: their list read "Kegiatan
    saya", without names, with a button that answered 403."""
    admin = make_user(Role.ADMIN, username="admin-kegiatan")
    KegiatanFactory(psm=psm)
    client.force_login(admin)
    page = client.get(reverse("registry:activity-list")).content.decode()
    assert "Kegiatan saya" not in page and psm.nama in page
    assert reverse("registry:activity-create") not in page
    own = KegiatanFactory(psm=PsmFactory(nama="Admin Juga PSM"))
    admin.psm = own.psm
    admin.save()
    with pytest.raises(ValidationError, match="diverifikasi oleh orang lain"):
        services.activity_verify(kegiatan=own, approve=True, by=admin)


@pytest.mark.django_db(transaction=True)
def test_two_activities_sent_at_once_still_fit_in_one_day(regions):
    """A phone's outbox sends what it held at once: two 13-hour activities of one day cannot
    both pass the 24-hour check (each saw the other's hours missing)."""
    psm = PsmFactory()
    user = make_user(Role.PSM, psm=psm, username="kirim-sekaligus")
    made, errors = at_once(
        lambda: services.activity_record(
            psm=psm, data=_data(psm, durasi_jam=13), client_uuid=uuid.uuid4(), by=user, today=TODAY
        ),
        [(), ()],
    )
    assert len(made) == 1 and len(errors) == 1 and isinstance(errors[0], ValidationError)
    assert Kegiatan.objects.filter(psm=psm).count() == 1


def test_an_implausible_number_of_residents_is_refused_with_what_was_typed(psm, psm_user, client):
    """A browser walk: 99,999,999,999 residents were recorded (and counted in the reach)."""
    client.force_login(psm_user)
    data = {
        **{k: v for k, v in _data(psm).items() if k not in ("desa", "tanggal")},
        "desa": psm.desa_tugas_id,
        "tanggal": "2026-11-20",
        "jumlah_penerima": "250000",
        "client_uuid": str(uuid.uuid4()),
    }
    page = client.post(reverse("registry:activity-create"), data)
    assert page.context["form"].errors["jumlah_penerima"] == [
        "Jumlah warga paling banyak 10.000 per kegiatan; periksa lagi angkanya."
    ]
    assert "Sosialisasi Program Sembako" in page.content.decode()
    assert Kegiatan.objects.count() == 0


def test_the_psms_list_tells_two_activities_of_a_day_apart_by_their_place(client, psm, psm_user):
    """A browser walk: two of one day in one desa read the same, "· Rejowinangun Selatan"."""
    KegiatanFactory(psm=psm, tempat="Balai RW 03")
    KegiatanFactory(psm=psm, tempat="Rumah Bu Sri")
    client.force_login(psm_user)
    page = client.get(reverse("registry:activity-list")).content.decode()
    assert "Balai RW 03, " in page and "Rumah Bu Sri, " in page
