import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.formats import date_format

from psm_portal.models import AuditEvent
from registry import services
from registry.models import Psm, PsmStatusChange, StatusPsm, Wilayah
from tests.factories import BimtekFactory, PsmFactory, SkFactory

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def eligible(psm):
    """A candidate who meets every Permensos 10/2019 requirement at the SK date."""
    BimtekFactory(psm=psm, tanggal=dt.date(2021, 1, 15))
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    return psm


def _register_data(**overrides):
    desa = Wilayah.objects.get(kode="33.71.01.1003")
    data = {
        "nik": "3371014503900001",
        "nama": "Siti Rahayu",
        "jenis_kelamin": "P",
        "tempat_lahir": "Magelang",
        "tanggal_lahir": dt.date(1990, 3, 5),
        "alamat_ktp": "Jl. Tidar 3",
        "desa_ktp": desa,
        "desa_tugas": desa,
        "tanggal_bergabung": dt.date(2024, 1, 2),
        "berkelakuan_baik": True,
    }
    data.update(overrides)
    return data


def test_psm_register_starts_as_calon_with_history_and_audit(staff):
    psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    # a candidate since the day they joined (2 January 2024), not the day they were entered
    assert psm.status == StatusPsm.CALON and psm.status_sejak == dt.date(2024, 1, 2)
    assert list(psm.riwayat_status.values_list("dari", "ke", "tanggal_efektif")) == [
        ("", "calon", dt.date(2024, 1, 2))
    ]
    event = AuditEvent.objects.get(action="psm.register", target_id=str(psm.pk))
    assert event.actor_id == staff.pk
    assert event.after["nik"] == "3371**********01"  # the audit trail never holds a full NIK


def test_an_office_entering_its_psm_of_earlier_years_records_when_they_served(staff):
    """A PSM of 2024 entered today was a candidate from today, so their activation could not be
    dated on their SK of 2024 (before the present status): the reports then counted them as
    serving from the day the office caught up, and none of the years before."""
    from reports import indicators
    from tests.factories import BimtekFactory, SkFactory

    psm = services.psm_register(
        data=_register_data(berkelakuan_baik=True, pernyataan_komitmen=True), by=staff, today=TODAY
    )
    BimtekFactory(psm=psm, tingkat="dasar", tanggal=dt.date(2024, 1, 20))
    SkFactory(psm=psm, tanggal_sk=dt.date(2024, 2, 1))
    services.psm_change_status(psm=psm, ke=StatusPsm.AKTIF, tanggal=dt.date(2024, 2, 1), by=staff)
    assert indicators.served(psm, 2025)
    assert indicators.months_served(
        Psm.objects.filter(pk=psm.pk), indicators.Period.year(2024), TODAY
    ) == {psm.pk: 11}


def test_a_nik_registered_at_the_same_moment_elsewhere_is_a_message_on_the_nik(staff, monkeypatch):
    """Two requests pass the uniqueness check before either saves: the loser gets the form's
    own message, not a 500 whose logged database error would quote the NIK."""
    from registry.models import Psm

    PsmFactory(nik="3371014503900001")
    monkeypatch.setattr(Psm, "validate_unique", lambda self, exclude=None: None)  # the race
    with pytest.raises(ValidationError) as refused:
        services.psm_register(data=_register_data(), by=staff, today=TODAY)
    assert refused.value.message_dict == {"nik": ["NIK ini sudah terdaftar sebagai PSM."]}
    assert Psm.objects.filter(nik="3371014503900001").count() == 1
    other = PsmFactory(nik="3371014503900002")
    with pytest.raises(ValidationError, match="sudah terdaftar sebagai PSM"):
        services.psm_update(psm=other, data={"nik": "3371014503900001"}, by=staff)
    assert Psm.objects.get(pk=other.pk).nik == "3371014503900002"


def test_history_notes_are_stored_in_the_office_language(staff):
    from django.utils import translation

    with translation.override("en"):
        psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    assert psm.riwayat_status.get().catatan == "Pendaftaran"


def test_psm_update_records_only_changed_fields(staff, psm):
    services.psm_update(psm=psm, data={"telepon": "081234567890", "nama": psm.nama}, by=staff)
    event = AuditEvent.objects.get(action="psm.update")
    assert event.before == {"telepon": ""} and event.after == {"telepon": "081234567890"}


def test_a_corrected_nik_and_changed_spesialisasi_are_in_the_change_history(staff):
    """A typo fixed in the NIK's middle digits masks to the same text: the change must still be
    recorded (masked, never in clear), and so must the spesialisasi, which are no column."""
    from registry.models import Spesialisasi
    from registry.selectors import psm_audit_trail

    psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    lansia = Spesialisasi.objects.create(kode="lansia", nama="Lansia")
    services.psm_update(psm=psm, data={"nik": "3371014503900101"}, spesialisasi=[lansia], by=staff)
    event = AuditEvent.objects.get(action="psm.update")
    assert event.before == {"nik": "3371**********01", "spesialisasi": ""}
    assert event.after == {"nik": "3371**********01", "spesialisasi": "Lansia"}
    assert "3371014503900101" not in str(event.after) + str(event.before)
    changes = {str(label): (old, new) for label, old, new in psm_audit_trail(psm)[0].changes}
    assert changes["NIK"] == (
        "3371**********01",
        "3371**********01 (diubah; digit yang berubah disamarkan)",
    )
    assert changes["spesialisasi"] == ("", "Lansia")
    # Saving the same values again writes no event.
    services.psm_update(psm=psm, data={"nik": "3371014503900101"}, spesialisasi=[lansia], by=staff)
    assert AuditEvent.objects.filter(action="psm.update").count() == 1


def test_psm_change_status_activates_eligible_candidate(staff, eligible):
    services.psm_change_status(
        psm=eligible, ke=StatusPsm.AKTIF, tanggal=dt.date(2021, 2, 1), by=staff
    )
    eligible.refresh_from_db()
    assert eligible.status == StatusPsm.AKTIF
    change = PsmStatusChange.objects.get(psm=eligible, ke="aktif")
    assert (change.dari, change.actor) == ("calon", staff)


def test_an_sk_that_has_run_out_does_not_activate(staff, eligible):
    """From a review: an SK valid until February 2022 still activated its PSM in 2026."""
    from registry.models import PsmAppointment

    PsmAppointment.objects.filter(psm=eligible).update(berlaku_sampai=dt.date(2022, 2, 1))
    with pytest.raises(ValidationError, match="berlaku sampai 1 Februari 2022"):
        services.psm_change_status(
            psm=eligible, ke=StatusPsm.AKTIF, tanggal=dt.date(2026, 1, 5), by=staff
        )
    services.psm_change_status(
        psm=eligible, ke=StatusPsm.AKTIF, tanggal=dt.date(2021, 3, 1), by=staff
    )
    eligible.refresh_from_db()
    assert eligible.status == StatusPsm.AKTIF


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("no_sk", "Belum ada SK"),
        ("under_18", "minimal 18 tahun"),
        ("ktp_elsewhere", "KTP harus sama"),
        ("no_bimtek", "Bimtek dasar"),
        ("bimtek_after_sk", "Bimtek dasar"),
        ("wna", "WNI"),
        ("illiterate", "membaca dan menulis"),
        ("no_good_conduct", "surat keterangan berkelakuan baik"),  # Permensos 10/2019 (f)
    ],
)
def test_psm_change_status_refuses_activation_without_requirements(staff, psm, setup, fragment):
    if setup != "no_sk":
        SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    if setup not in ("no_bimtek", "bimtek_after_sk"):
        BimtekFactory(psm=psm, tanggal=dt.date(2021, 1, 15))
    if setup == "bimtek_after_sk":
        BimtekFactory(psm=psm, tanggal=dt.date(2021, 3, 1))
    if setup == "under_18":
        psm.tanggal_lahir = dt.date(2003, 2, 2)  # 17 on 1 Feb 2021, 18 the next day
    if setup == "ktp_elsewhere":
        psm.desa_ktp = Wilayah.objects.get(kode="33.71.02.1003")
    if setup == "wna":
        psm.kewarganegaraan = "WNA"
    if setup == "illiterate":
        psm.bisa_baca_tulis = False
    if setup == "no_good_conduct":
        psm.berkelakuan_baik = False
    psm.save()
    with pytest.raises(ValidationError) as exc:
        services.psm_change_status(
            psm=psm, ke=StatusPsm.AKTIF, tanggal=dt.date(2021, 2, 1), by=staff
        )
    assert any(fragment in m for m in exc.value.messages), exc.value.messages
    psm.refresh_from_db()
    assert psm.status == StatusPsm.CALON


def test_a_future_sk_or_bimtek_is_refused_and_activation_waits_for_the_sk(staff, psm):
    """The age and Bimtek checks are made as of the SK's date: a 16-year-old given an SK typed as
    two years ahead would otherwise pass them and become aktif before anyone signed it."""
    from django.utils import timezone

    from registry.forms import BimtekRecordForm, SkForm

    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    sk = {
        "nomor_sk": "400.9/001/2028",
        "tanggal_sk": tomorrow,
        "penerbit_level": "dinas",
        "penerbit_nama": "Kepala Dinas Sosial",
        "berlaku_mulai": tomorrow,
    }
    form = SkForm(data=sk)
    assert form.errors == {"tanggal_sk": ["Tanggal SK tidak boleh di masa depan."]}
    assert SkForm(data={**sk, "tanggal_sk": today}).is_valid()
    bimtek = {"tingkat": "dasar", "nomor_sertifikat": "BT-1", "penyelenggara": "Dinsos"}
    form = BimtekRecordForm(data={**bimtek, "tanggal": tomorrow})
    assert form.errors == {"tanggal": ["Tanggal lulus tidak boleh di masa depan."]}
    assert BimtekRecordForm(data={**bimtek, "tanggal": today}).is_valid()

    # Signed today, the SK is taken; an activation dated before it is refused.
    BimtekFactory(psm=psm, tanggal=today - dt.timedelta(days=30))
    services.sk_add(psm=psm, data={**sk, "tanggal_sk": today, "berlaku_mulai": today}, by=staff)
    yesterday = today - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.psm_change_status(psm=psm, ke=StatusPsm.AKTIF, tanggal=yesterday, by=staff)
    from django.utils.formats import date_format

    assert refused.value.messages == [
        f"Tanggal efektif {date_format(yesterday, 'j F Y')} sebelum tanggal SK pengangkatan "
        f"{date_format(today, 'j F Y')}."
    ]
    psm.refresh_from_db()
    assert psm.status == StatusPsm.CALON
    services.psm_change_status(psm=psm, ke=StatusPsm.AKTIF, tanggal=today, by=staff)
    psm.refresh_from_db()
    assert psm.status == StatusPsm.AKTIF


def test_activation_age_is_counted_on_the_sk_date_with_no_upper_limit(staff, psm):
    psm.tanggal_lahir = dt.date(1930, 2, 1)  # 91 at the SK date: allowed
    psm.save()
    BimtekFactory(psm=psm)
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    assert services.activation_problems(psm) == []
    psm.tanggal_lahir = dt.date(2003, 2, 1)  # exactly 18 on the SK date
    psm.save()
    assert services.activation_problems(psm) == []


def test_activation_problems_from_loaded_records_match_the_queries(staff, psm):
    """The profile passes the SK and Bimtek lists it shows; the answers must be the same."""

    def both():
        sk_list = list(psm.sk_set.order_by("-tanggal_sk", "-pk"))
        bimtek_list = list(psm.bimtek_set.order_by("tanggal", "pk"))
        queried = services.activation_problems(psm)
        loaded = services.activation_problems(psm, sk_list=sk_list, bimtek_list=bimtek_list)
        assert loaded == queried
        return loaded

    assert len(both()) == 2  # no SK, no Bimtek
    BimtekFactory(psm=psm, tanggal=dt.date(2021, 6, 1))  # passed after the SK below
    SkFactory(psm=psm, tanggal_sk=dt.date(2021, 2, 1))
    SkFactory(psm=psm, tanggal_sk=dt.date(2020, 2, 1))
    assert [str(p) for p in both()] == ["Belum lulus Bimtek dasar pada atau sebelum tanggal SK."]
    SkFactory(psm=psm, tanggal_sk=dt.date(2022, 2, 1))  # the latest SK decides
    assert both() == []


ALL = list(StatusPsm)
LEGAL = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize("dari", ALL)
@pytest.mark.parametrize("ke", ALL)
def test_psm_change_status_transition_table(staff, eligible, dari, ke):
    eligible.status = dari
    eligible.status_sejak = dt.date(2021, 1, 1)
    eligible.save()
    kwargs = {"alasan": "mengundurkan_diri"} if ke == StatusPsm.BERHENTI else {}
    if (dari, ke) in LEGAL:
        services.psm_change_status(
            psm=eligible, ke=ke, tanggal=dt.date(2021, 2, 1), by=staff, **kwargs
        )
        eligible.refresh_from_db()
        assert eligible.status == ke
    else:
        with pytest.raises(ValidationError, match="tidak dapat diubah"):
            services.psm_change_status(
                psm=eligible, ke=ke, tanggal=dt.date(2021, 2, 1), by=staff, **kwargs
            )


def test_psm_change_status_berhenti_needs_a_reason(staff, psm):
    with pytest.raises(ValidationError) as exc:
        services.psm_change_status(psm=psm, ke=StatusPsm.BERHENTI, tanggal=TODAY, by=staff)
    assert "Alasan berhenti wajib diisi." in exc.value.messages


def test_psm_change_status_refuses_a_date_before_the_current_status(staff, psm):
    with pytest.raises(ValidationError, match="tidak boleh sebelum"):
        services.psm_change_status(
            psm=psm, ke=StatusPsm.BERHENTI, tanggal=dt.date(2019, 1, 1), by=staff, alasan="lainnya"
        )


def test_bimtek_record_is_idempotent(staff, psm):
    kwargs = {
        "psm": psm,
        "tingkat": "dasar",
        "nomor_sertifikat": "BD-1",
        "penyelenggara": "Dinsos",
        "tanggal": dt.date(2021, 1, 1),
        "by": staff,
    }
    first = services.bimtek_record(**kwargs)
    assert services.bimtek_record(**kwargs) == first
    assert AuditEvent.objects.filter(action="psm.bimtek_add").count() == 1


def test_nik_unique_in_the_database(psm):
    with pytest.raises(IntegrityError), transaction.atomic():
        PsmFactory(nik=psm.nik)


@pytest.mark.parametrize("bad_nik", ["12345", "33710155089500AB", "3371 15508950001"])
def test_nik_check_constraint_refuses_malformed_values(regions, bad_nik):
    with pytest.raises(IntegrityError), transaction.atomic():
        PsmFactory(nik=bad_nik)


def test_jenis_kelamin_check_constraint(regions):
    with pytest.raises(IntegrityError), transaction.atomic():
        PsmFactory(jenis_kelamin="X")


def test_sk_period_constraint(psm):
    with pytest.raises(IntegrityError), transaction.atomic():
        SkFactory(psm=psm, berlaku_mulai=dt.date(2022, 1, 1), berlaku_sampai=dt.date(2021, 1, 1))


def test_wilayah_in_use_cannot_be_deleted(psm):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Wilayah.objects.get(kode="33.71.01.1003").delete()


def test_seed_demo_has_every_status_in_each_of_the_17_kelurahan(db):
    from django.db.models import Count

    from psm_portal.models import User
    from registry.demo import seed_demo
    from registry.models import Psm

    seed_demo(today=TODAY)
    per_desa = Psm.objects.values("desa_tugas").annotate(n=Count("status", distinct=True))
    assert len(per_desa) == 17 and all(row["n"] == 4 for row in per_desa)
    for psm in Psm.objects.filter(status=StatusPsm.AKTIF):
        assert services.activation_problems(psm) == []  # the demo obeys the same rules
    assert set(User.objects.values_list("username", flat=True)) == {
        "admin",
        "staf",
        "supervisor",
        "verifikator",
        "psm",
    }
    before = Psm.objects.count()
    seed_demo(today=TODAY)  # idempotent: a second run adds no PSM
    assert Psm.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_certificate_entered_by_four_taps_at_once_is_recorded_once(regions):
    """Each tap passes the check before any has written: the database's unique constraint
    decides, and the others get the form's message, not a 500."""
    from registry.models import PsmBimtek
    from tests.concurrency import at_once

    psm = PsmFactory()
    data = {
        "tingkat": "dasar",
        "nomor_sertifikat": "SRT/2024/018",
        "penyelenggara": "Dinas Sosial Provinsi",
        "tanggal": dt.date(2024, 5, 2),
    }
    made, errors = at_once(
        lambda: services.bimtek_add(psm=psm, data=dict(data), by=None).pk, [()] * 4
    )
    assert len(made) == 1 and len(errors) == 3
    assert all(isinstance(e, ValidationError) for e in errors), errors
    assert PsmBimtek.objects.filter(psm=psm).count() == 1


def test_the_whole_demo_seeds_through_the_services_as_make_run_does(db):
    """`make run` seeds PSM, Bimtek, cases and activities through the same services users go
    through: a new rule the demo breaks (an activity before its PSM joined, a duration the
    24-hour check could not add) stopped `make run` while every other test passed."""
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from assessments.models import AnggotaKeluarga, Asesmen
    from registry.models import Kegiatan

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "demo-psm-2026" in out.getvalue()
    assert Kegiatan.objects.exists() and Asesmen.objects.exists()
    assert AnggotaKeluarga.objects.count() == 4  # the family of the case referred to PKH
    # a referral is not dated before the case's review steps (taken as the demo runs): a walk
    # found one a month before the case was sent
    from assessments.models import Rujukan

    for referral in Rujukan.objects.select_related("asesmen"):
        assert referral.tanggal >= timezone.localdate(referral.asesmen.status_sejak)
        # and its "Dirujuk" step is not a month before it (a walk found one)
        step = referral.asesmen.transisi_set.filter(ke="dirujuk").latest("pk")
        assert timezone.localdate(step.created_at) <= referral.tanggal + dt.timedelta(days=1)
        assert timezone.localdate(step.created_at) >= referral.tanggal - dt.timedelta(days=1)
    # a waiting case's steps say what the queue does: sent when its wait began (a walk found
    # the queue's "2 minggu" beside a step of today)
    for case in Asesmen.objects.exclude(status="draf"):
        sent = case.transisi_set.filter(ke="diajukan").latest("pk").created_at
        assert abs(sent - case.diajukan_pada) < dt.timedelta(seconds=1), case.pk
    # last year's work as well: its ranking and rapor are not a list of zeros
    last_year = timezone.localdate().year - 1
    assert Kegiatan.objects.filter(tanggal__year=last_year).values("psm").distinct().count() > 10
    call_command("seed_demo", stdout=io.StringIO())  # a second `make run` adds nothing


def test_the_change_history_shows_records_as_a_reader_knows_them(staff):
    """An SK, an IPSM membership and a status change were listed with raw keys and values
    ("Nomor_sk", "Penerbit_level: dinas", "aktif", "2026-11-24") and an empty value as
    "None (diubah; digit yang berubah disamarkan)"."""
    from registry.selectors import psm_audit_trail

    psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    BimtekFactory(psm=psm, tanggal=TODAY - dt.timedelta(days=30))
    sk = {"nomor_sk": "400.9/001/2026", "tanggal_sk": TODAY, "berlaku_mulai": TODAY}
    services.sk_add(
        psm=psm,
        data={**sk, "penerbit_level": "dinas", "penerbit_nama": "Kepala Dinas Sosial"},
        by=staff,
    )
    services.ipsm_add(
        psm=psm,
        data={"tingkat": "kecamatan", "jabatan": "anggota", "periode_mulai": 2026},
        by=staff,
    )
    services.psm_change_status(psm=psm, ke=StatusPsm.AKTIF, tanggal=TODAY, by=staff)
    status, ipsm, sk_entry = (
        {str(label): (old, new) for label, old, new in entry.changes}
        for entry in psm_audit_trail(psm)[:3]
    )
    day = date_format(TODAY, "j F Y")
    assert status == {"status": ("Calon", "Aktif"), "tanggal efektif": (None, day)}
    assert sk_entry["nomor SK"] == (None, "400.9/001/2026")
    assert sk_entry["penerbit"] == (None, "Dinas Sosial")
    assert sk_entry["tanggal SK"] == (None, day)
    # an added record's empty field is left out (it was "None (diubah ...)", then "-")
    assert "berlaku sampai" not in sk_entry and "dokumen SK (PDF)" not in sk_entry
    assert ipsm["tingkat kepengurusan"] == (None, "Kecamatan")
    assert ipsm["jabatan"] == (None, "Anggota")


def test_the_change_history_names_regions_yes_no_files_and_withdrawals(staff):
    """A region was its code, a checkbox "True", a photo its storage path, spesialisasi a raw
    key in English, and a withdrawn Bimtek an untitled entry without its reason."""
    from django.utils import translation

    from psm_portal import audit
    from registry.models import Spesialisasi
    from registry.selectors import psm_audit_trail

    psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    lansia = Spesialisasi.objects.create(kode="lansia", nama="Lansia")
    other_desa = Wilayah.objects.get(kode="33.71.02.1003")
    services.psm_update(
        psm=psm,
        data={"desa_tugas": other_desa, "bisa_baca_tulis": False},
        spesialisasi=[lansia],
        by=staff,
    )
    audit.record(
        by=staff,
        action="psm.update",
        target=psm,
        before={"foto": "psm/foto/lama.jpg"},
        after={"foto": "psm/foto/baru.jpg"},
    )
    services.bimtek_add(
        psm=psm,
        data={
            "tingkat": "dasar",
            "nomor_sertifikat": "BT-9",
            "tanggal": TODAY,
            "penyelenggara": "Dinsos",
        },
        by=staff,
    )
    services.bimtek_withdraw(
        psm=psm, nomor_sertifikat="BT-9", reason="Sertifikat dicabut", by=staff
    )
    withdrawn, _added, photo, update = psm_audit_trail(psm)[:4]
    changes = {str(label): (old, new) for label, old, new in update.changes}
    assert changes["desa/kelurahan tugas"] == (
        "Kelurahan Rejowinangun Selatan (33.71.01.1003)",
        f"Kelurahan {other_desa.nama} (33.71.02.1003)",
    )
    assert changes["dapat membaca dan menulis"] == ("ya", "tidak")
    assert changes["spesialisasi"] == ("", "Lansia")
    assert [(str(a), str(b), str(c)) for a, b, c in photo.changes] == [
        ("foto", "berkas lama", "berkas baru")
    ]
    assert str(withdrawn.action) == "Bimtek dicabut"
    changes = {str(label): (old, new) for label, old, new in withdrawn.changes}
    assert changes["nomor sertifikat"] == (None, "BT-9")  # what it held, not "BT-9 -> -"
    assert changes["alasan"] == (None, "Sertifikat dicabut")
    with translation.override("en"):
        labels = [str(label) for label, _old, _new in psm_audit_trail(psm)[3].changes]
    assert "spesialisasi" not in labels


def test_a_status_change_reads_with_its_reason_letter_and_note_by_their_labels(staff):
    """The history showed a reason for stopping as its code (pindah_domisili), a note as the
    reason, and no letter number; the fields came in the database's key order."""
    from registry.selectors import psm_audit_trail

    psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    services.psm_change_status(
        psm=psm,
        ke=StatusPsm.BERHENTI,
        tanggal=TODAY,
        by=staff,
        alasan="pindah_domisili",
        referensi="400.9/300/2026",
        catatan="Pindah ke Kabupaten Semarang",
    )
    stopped = psm_audit_trail(psm)[0]
    assert [(str(label), old, str(new)) for label, old, new in stopped.changes] == [
        ("status", "Calon", "Berhenti"),
        ("tanggal efektif", None, date_format(TODAY, "j F Y")),
        ("alasan", None, "Pindah domisili"),
        ("nomor SK/surat", None, "400.9/300/2026"),
        ("catatan", None, "Pindah ke Kabupaten Semarang"),
    ]


def test_a_status_change_recorded_before_its_details_were_kept_apart_still_reads(staff):
    """Entries written with only a reason (a code or a note) read by its label."""
    from psm_portal import audit
    from registry.selectors import psm_audit_trail

    psm = services.psm_register(data=_register_data(), by=staff, today=TODAY)
    for reason in ("Diaktifkan kembali atas permintaan lurah", "mengundurkan_diri"):
        audit.record(
            by=staff,
            action="psm.status",
            target=psm,
            before={"status": "aktif"},
            after={"status": "berhenti", "tanggal": "2026-11-01"},
            reason=reason,
        )
    quitted, noted = psm_audit_trail(psm)[:2]
    assert [(str(label), str(new)) for label, _old, new in quitted.changes][-1] == (
        "alasan",
        "Mengundurkan diri",
    )
    assert [(str(label), str(new)) for label, _old, new in noted.changes][-1] == (
        "catatan",
        "Diaktifkan kembali atas permintaan lurah",
    )


def test_a_corrected_joining_date_moves_the_registration_it_dated(staff):
    """Joined on 2 January 2024 typed as 2 January 2025: corrected, the profile still said
    "calon sejak 2 Januari 2025" and the history began on that day."""
    typo = services.psm_register(
        data=_register_data(tanggal_bergabung=dt.date(2025, 1, 2)), by=staff, today=TODAY
    )
    services.psm_update(psm=typo, data={"tanggal_bergabung": dt.date(2024, 1, 2)}, by=staff)
    typo.refresh_from_db()
    assert typo.status_sejak == dt.date(2024, 1, 2)
    assert list(typo.riwayat_status.values_list("ke", "tanggal_efektif")) == [
        ("calon", dt.date(2024, 1, 2))
    ]
    event = AuditEvent.objects.get(action="psm.update", target_id=str(typo.pk))
    assert event.after == {"tanggal_bergabung": "2024-01-02", "status_sejak": "2024-01-02"}

    # activated since: the registration moves, "aktif sejak" stays the activation's day
    served = services.psm_register(
        data=_register_data(nik="3371014503900002", tanggal_bergabung=dt.date(2021, 1, 4)),
        by=staff,
        today=TODAY,
    )
    BimtekFactory(psm=served, tanggal=dt.date(2021, 1, 15))
    SkFactory(psm=served, tanggal_sk=dt.date(2021, 2, 1))
    services.psm_change_status(psm=served, ke="aktif", tanggal=dt.date(2021, 2, 1), by=staff)
    services.psm_update(psm=served, data={"tanggal_bergabung": dt.date(2020, 11, 2)}, by=staff)
    served.refresh_from_db()
    assert (served.status, served.status_sejak) == ("aktif", dt.date(2021, 2, 1))
    assert list(served.riwayat_status.order_by("pk").values_list("ke", "tanggal_efektif")) == [
        ("calon", dt.date(2020, 11, 2)),
        ("aktif", dt.date(2021, 2, 1)),
    ]

    # a roster's update moves them too, in one go
    services.psm_update_many(
        changes=[
            (typo, {"tanggal_bergabung": dt.date(2023, 7, 3)}),
            (served, {"tanggal_bergabung": dt.date(2020, 12, 1)}),
        ],
        by=staff,
    )
    typo.refresh_from_db()
    served.refresh_from_db()
    assert typo.status_sejak == dt.date(2023, 7, 3) and served.status_sejak == dt.date(2021, 2, 1)
    assert typo.riwayat_status.get().tanggal_efektif == dt.date(2023, 7, 3)
    assert served.riwayat_status.order_by("pk").first().tanggal_efektif == dt.date(2020, 12, 1)
