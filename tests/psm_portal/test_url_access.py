"""Every URL pattern against every role, so no view can ship without its access check.

A URL name missing from EXPECTED fails ``test_every_url_pattern_has_an_expectation``: whoever adds a
view must say here who may open it. Statuses are for a GET of an object inside the Kota Magelang
scope; a second test checks that objects outside a user's scope answer 404.
"""

import datetime as dt
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from psm_portal.models import Role
from registry.models import Psm
from tests.factories import PsmFactory, SkFactory

ANON = "anon"
LOGIN = "login"  # a redirect to the login page
ROLES = [ANON, Role.ADMIN, Role.STAF, Role.SUPERVISOR, Role.VERIFIKATOR, Role.PSM]


def _all(status):
    return dict.fromkeys(ROLES[1:], status)


def _staff_only(status):
    return {
        ANON: LOGIN,
        Role.ADMIN: status,
        Role.STAF: status,
        Role.SUPERVISOR: 403,
        Role.VERIFIKATOR: 403,
        Role.PSM: 403,
    }


# For each URL name, the expected status of a GET per role.
# Who may change the registry: the office's staff and administrators.
REGISTRY_EDITORS = {
    ANON: LOGIN,
    Role.ADMIN: 200,
    Role.STAF: 200,
    Role.SUPERVISOR: 403,
    Role.VERIFIKATOR: 403,
    Role.PSM: 403,
}

EXPECTED: dict[str, dict[str, int | str]] = {
    "home": {ANON: LOGIN, **_all(302)},
    "healthz": {ANON: 200, **_all(200)},
    "privacy": {ANON: 200, **_all(200)},  # read before consent, by anyone
    "service-worker": {ANON: 200, **_all(200)},
    "manifest": {ANON: 200, **_all(200)},
    "login": {ANON: 200, **_all(302)},
    "logout": {ANON: LOGIN, **_all(405)},
    "password_change": {ANON: LOGIN, **_all(200)},
    "password_change_done": {ANON: LOGIN, **_all(200)},
    "set_language": {ANON: 302, **_all(302)},
    # a PSM's registry is their own profile, where the list sends them
    "registry:psm-list": {ANON: LOGIN, **_all(200), Role.PSM: 302},
    "registry:psm-export": {
        ANON: LOGIN,
        Role.ADMIN: 200,
        Role.STAF: 200,
        Role.SUPERVISOR: 200,
        Role.VERIFIKATOR: 403,
        Role.PSM: 403,
    },
    "registry:psm-create": REGISTRY_EDITORS,
    "registry:psm-detail": {ANON: LOGIN, **_all(200)},
    "registry:psm-photo": {ANON: LOGIN, **_all(200)},  # who may open the profile
    "registry:sk-document": {ANON: LOGIN, **_all(200)},
    "registry:psm-update": REGISTRY_EDITORS,
    "registry:psm-status": {ANON: LOGIN, **_all(405)},
    "registry:psm-record-add": REGISTRY_EDITORS,
    "registry:psm-record-edit": REGISTRY_EDITORS,
    "registry:psm-record-remove": {ANON: LOGIN, **_all(405)},
    "registry:psm-card": {
        ANON: LOGIN,
        Role.ADMIN: 200,
        Role.STAF: 200,
        Role.SUPERVISOR: 200,
        Role.VERIFIKATOR: 403,
        Role.PSM: 200,
    },
    "registry:coverage": {
        ANON: LOGIN,
        Role.ADMIN: 200,
        Role.STAF: 200,
        Role.SUPERVISOR: 200,
        Role.VERIFIKATOR: 200,
        Role.PSM: 403,
    },
    "registry:psm-verify": {ANON: 200, **_all(200)},
    "registry:import-upload": _staff_only(200),
    "registry:import-template": _staff_only(200),
    "registry:import-preview": _staff_only(404),  # another user's batch: 404 even for staff
    "registry:import-commit": {ANON: LOGIN, **_all(405)},
    "registry:import-cancel": {ANON: LOGIN, **_all(405)},
    "training:event-list": {ANON: LOGIN, **_all(200)},
    "training:event-create": _staff_only(200),
    "training:event-detail": {ANON: LOGIN, **_all(200)},
    "training:event-update": _staff_only(200),
    "training:event-status": {ANON: LOGIN, **_all(405)},
    "training:event-quota": {ANON: LOGIN, **_all(405)},
    "training:event-nominate": _staff_only(200),
    "training:enrol-self": {ANON: LOGIN, **_all(405)},
    "training:scores": _staff_only(200),
    "training:event-complete": {ANON: LOGIN, **_all(405)},
    "training:roster": _staff_only(200),
    "training:attendance-sheet": _staff_only(200),
    "training:enrolment-cancel": {ANON: LOGIN, **_all(405)},
    "training:certificate": {**_staff_only(200), Role.PSM: 200},  # the PSM's own certificate
    "training:certificate-verify": {ANON: 200, **_all(200)},
    "training:certificate-revoke": _staff_only(200),
    "training:checkin": {ANON: LOGIN, **_all(404), Role.PSM: 200},  # only a PSM checks in
    "training:psm-history": {ANON: LOGIN, **_all(200)},
    "training:participants": _staff_only(200),
    "training:recap": {ANON: LOGIN, **_all(200), Role.PSM: 403},
    "training:recap-xlsx": {ANON: LOGIN, **_all(200), Role.PSM: 403},
    "reports:coverage-pdf": {
        ANON: LOGIN,
        Role.ADMIN: 200,
        Role.STAF: 200,
        Role.SUPERVISOR: 200,
        Role.VERIFIKATOR: 200,
        Role.PSM: 403,
    },
    "training:certificates-bundle": {ANON: LOGIN, **_all(405)},
    "assessments:case-list": {ANON: LOGIN, **_all(200)},
    "assessments:case-create": {**_staff_only(200), Role.PSM: 200},
    "assessments:queue": {**_staff_only(200), Role.VERIFIKATOR: 200},
    "assessments:case-export": _staff_only(200),
    "assessments:device-sync": {ANON: LOGIN, **_all(200)},  # each account reports its own phone
    "assessments:device-sync-list": _staff_only(200),
    "assessments:case-detail": {ANON: LOGIN, **_all(200)},
    # A PSM's draft: its author edits it; to everyone else it does not exist until submitted.
    "assessments:case-update": {ANON: LOGIN, **_all(404), Role.PSM: 200},
    "assessments:case-review": {ANON: LOGIN, **_all(405)},
    "assessments:case-visit": {ANON: LOGIN, **_all(405)},
    "assessments:case-photo": {ANON: LOGIN, **_all(200)},
    "assessments:referral-create": _staff_only(200),
    "assessments:referral-update": {ANON: LOGIN, **_all(405)},
    "assessments:referral-proof": {ANON: LOGIN, **_all(200)},
    "assessments:referrals-stalled": _staff_only(200),
    "assessments:subject-detail": {ANON: LOGIN, **_all(200)},
    "assessments:subject-merge": {ANON: LOGIN, **_all(405)},
    # The office corrects identities (UU 27/2022 Pasal 30).
    "assessments:subject-correct": _staff_only(200),
    # The person's copy of their data: only who may export and read specific data.
    "assessments:subject-data-copy": _staff_only(200),
    # A family is written by whoever records cases: its PSM, the office.
    "assessments:family-add": {**_staff_only(200), Role.PSM: 200},
    "assessments:family-update": {**_staff_only(200), Role.PSM: 200},
    "assessments:family-delete": {ANON: LOGIN, **_all(405)},
    "registry:activity-list": {ANON: LOGIN, **_all(200)},
    # Only a PSM records activities, for themselves (an administrator has no PSM record).
    "registry:activity-create": {ANON: LOGIN, **_all(403), Role.PSM: 200},
    "registry:activity-detail": {ANON: LOGIN, **_all(200)},
    "registry:activity-verify": {ANON: LOGIN, **_all(405)},
    "registry:activity-photo": {ANON: LOGIN, **_all(200)},
    **dict.fromkeys(
        [
            "reports:dashboard",
            "reports:ranking",
            "reports:inactive",
            "reports:indicator-rows",
            "reports:rapor",
        ],
        {**_all(200), ANON: LOGIN, Role.VERIFIKATOR: 403, Role.PSM: 403},
    ),
    # The administrator here has no region: the whole country, so the recap is queued as a
    # background document and the answer is its page.
    **dict.fromkeys(
        ["reports:recap-xlsx", "reports:ppks-recap"],
        {**_all(200), ANON: LOGIN, Role.ADMIN: 302, Role.VERIFIKATOR: 403, Role.PSM: 403},
    ),
    # The yearly evaluation is the supervisor's (and the administrator's).
    "reports:evaluation": {**_all(403), ANON: LOGIN, Role.ADMIN: 200, Role.SUPERVISOR: 200},
    "reports:recap-request": {ANON: LOGIN, **_all(405)},
    "reports:training-recap": {**_all(200), ANON: LOGIN, Role.PSM: 403},
    "reports:document-list": {ANON: LOGIN, **_all(200)},
    # A document is only its requester's; the sample belongs to nobody here (own: test_background).
    "reports:document": {ANON: LOGIN, **_all(404)},
    "reports:document-download": {ANON: LOGIN, **_all(404)},
}

# URL names that are not ours to check (Django's admin has its own staff gate, tested upstream).
IGNORED_NAMESPACES = {"admin"}


def _url_patterns(resolver=None, prefix=""):
    """(namespaced name, parameter names) for every named URL pattern of the project."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in IGNORED_NAMESPACES:
                continue
            ns = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _url_patterns(pattern, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}", list(pattern.pattern.regex.groupindex)


def _training_samples(name, psm):
    """An event of Kota Magelang in which ``psm`` passed, with a certificate."""
    from tests.factories import EventFactory
    from training.models import HariEvent, Peserta

    # an event still open for its edit form (a completed one's sends back to its page), and
    # with its registration open today for the nomination's (it sends back to the event too)
    today = dt.date.today()
    if name == "training:event-nominate":
        event = EventFactory(
            status="buka",
            pendaftaran_mulai=today - dt.timedelta(days=1),
            pendaftaran_selesai=today,
            tanggal_mulai=today + dt.timedelta(days=1),
            tanggal_selesai=today + dt.timedelta(days=2),
        )
    else:
        event = EventFactory(status="buka" if name == "training:event-update" else "selesai")
    day = HariEvent.objects.create(event=event, tanggal=event.tanggal_mulai)
    enrolment = Peserta.objects.create(
        event=event, psm=psm, status="lulus", nomor_sertifikat=f"SRT/TEST/{event.pk}"
    )
    per_enrolment = name in (
        "training:enrolment-cancel",
        "training:certificate",
        "training:certificate-revoke",
    )
    return {
        "pk": enrolment.pk if per_enrolment else event.pk,
        "day_pk": day.pk,
        "token": day.token_checkin,
        "kode": enrolment.kode_sertifikat,
    }


def _assessment_samples(name, psm):
    """A case by ``psm`` (an adult, not a sensitive category) with a photo and a referral."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from assessments.models import AsesmenFoto, Program, Rujukan
    from tests.factories import make_case, ppks_reference

    ppks_reference()
    case = make_case(psm.user, submit=name != "assessments:case-update")
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    photo = AsesmenFoto(asesmen=case)
    photo.berkas.save("uji.jpg", ContentFile(out.getvalue()))
    referral = Rujukan.objects.create(
        asesmen=case,
        program=Program.objects.get(kode="PKH"),
        tujuan_instansi="PKH",
        tanggal=case.tanggal,
        status_sejak=case.tanggal,
        dibuat_oleh=psm.user,
    )
    referral.bukti.save("bukti.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    samples = {"pk": case.pk, "photo_pk": photo.pk}
    if name in ("assessments:referral-update", "assessments:referral-proof"):
        samples["pk"] = referral.pk
    if name.startswith(("assessments:subject", "assessments:family")):
        samples["pk"] = case.subjek_id
    if name.startswith("assessments:family"):
        member = case.subjek.anggota_set.create(nama="Rina", hubungan="anak", jenis_kelamin="P")
        samples["member_pk"] = member.pk
    return samples


def _activity_samples(psm):
    """An activity of ``psm`` with one photo."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from registry.models import Kegiatan, KegiatanFoto

    kegiatan = Kegiatan.objects.create(
        psm=psm,
        client_uuid=uuid.uuid4(),
        jenis="kunjungan",
        tanggal=psm.tanggal_bergabung,
        durasi_jam=2,
        tempat="Balai RW 03",
        desa=psm.desa_tugas,
        uraian="Kunjungan rumah lansia",
    )
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    photo = KegiatanFoto(kegiatan=kegiatan)
    photo.berkas.save("uji.jpg", ContentFile(out.getvalue()))
    return {"pk": kegiatan.pk, "photo_pk": photo.pk}


def _registry_file_samples(psm):
    """``psm`` with a profile photo and an SK whose scanned PDF is stored."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG")
    psm.foto.save("uji.jpg", ContentFile(out.getvalue()))
    sk = SkFactory(psm=psm)
    sk.dokumen.save("sk.pdf", ContentFile(b"%PDF-1.4\n%%EOF"))
    return {"sk_pk": sk.pk}


def _url_names():
    return {name for name, _params in _url_patterns()}


def _reverse(name, psm, extra=None):
    """Reverse ``name`` with sample arguments that all point inside the users' scope."""
    samples = {
        "pk": psm.pk,  # also an import batch id that belongs to nobody in the test
        "kind": "sk",
        "fmt": {"training:participants": "xlsx", "reports:ppks-recap": "pdf"}.get(name, "csv"),
        "tahun": timezone.localdate().year,
        "indikator": "PR-02",
        "kode": psm.kode_verifikasi,
        "psm_pk": psm.pk,
        **(extra or {}),
    }
    if name.startswith("training:"):
        samples.update(_training_samples(name, psm))
    if name.startswith("reports:document"):
        samples["pk"] = uuid.uuid4()
    if name.startswith("assessments:"):
        samples.update(_assessment_samples(name, psm))
    if name.startswith("registry:activity-"):
        samples.update(_activity_samples(psm))
    if name in ("registry:psm-photo", "registry:sk-document"):
        samples.update(_registry_file_samples(psm))
    if name in ("registry:psm-record-edit", "registry:psm-record-remove"):
        samples["record_pk"] = SkFactory(psm=psm).pk
    params = dict(_url_patterns())[name]
    return reverse(name, kwargs={p: samples[p] for p in params} or None)


def test_every_url_pattern_has_an_expectation():
    missing = sorted(_url_names() - set(EXPECTED))
    assert missing == [], f"URL names without an access expectation: {missing}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_url_access_matrix(client, users, psm, name, role):
    if name in ("reports:rapor", "reports:evaluation", "registry:psm-card"):
        # scored only for a year served in, carded only while aktif; a candidate (the
        # factory's PSM) is sent back
        Psm.objects.filter(pk=psm.pk).update(status="aktif")
    url = _reverse(name, psm)
    if role != ANON:
        client.force_login(users[role])
    response = client.get(url)
    response.close()  # streamed files (photos, downloads) release their handle
    expected = EXPECTED[name][role]
    if expected == LOGIN:
        assert response.status_code == 302, (url, role, response.status_code)
        assert response["Location"].startswith(reverse("login")), response["Location"]
    else:
        assert response.status_code == expected, (url, role, response.status_code)


OBJECT_URLS = [
    "registry:psm-detail",
    "registry:psm-update",
    "registry:psm-record-add",
    "registry:psm-record-edit",
    "registry:psm-card",
    "registry:psm-photo",
]


@pytest.mark.parametrize("name", OBJECT_URLS)
@pytest.mark.parametrize("role", [Role.STAF, Role.SUPERVISOR, Role.VERIFIKATOR, Role.PSM])
def test_objects_outside_scope_answer_404(client, users, name, role):
    # Wonogiri (33.12) is outside every scope; Magelang Utara is outside the verifier's and
    # another PSM is outside the PSM's own.
    outsider = PsmFactory(desa_kode="33.12.01.2001")
    neighbour = PsmFactory(desa_kode="33.71.02.1003")
    client.force_login(users[role])
    for other in (outsider, neighbour) if role in (Role.VERIFIKATOR, Role.PSM) else (outsider,):
        kwargs = {"pk": other.pk}
        if "record" in name:
            kwargs["kind"] = "sk"
        if name == "registry:psm-record-edit":
            kwargs["record_pk"] = SkFactory(psm=other).pk
        url = reverse(name, kwargs=kwargs)
        assert client.get(url).status_code == 404, (role, url)


def test_an_sk_document_is_reached_only_through_its_own_psm(client, users, psm):
    """Files are served by views that check the record, never from MEDIA_ROOT as it is."""
    other = PsmFactory(desa_kode="33.12.01.2001")
    sk_pk = _registry_file_samples(other)["sk_pk"]
    client.force_login(users[Role.STAF])
    assert client.get(reverse("registry:sk-document", args=[psm.pk, sk_pk])).status_code == 404
    client.force_login(users[Role.ADMIN])
    answer = client.get(reverse("registry:sk-document", args=[other.pk, sk_pk]))
    assert answer["Content-Type"] == "application/pdf" and b"".join(answer.streaming_content)
    page = client.get(reverse("registry:psm-detail", args=[other.pk])).content.decode()
    assert reverse("registry:sk-document", args=[other.pk, sk_pk]) in page
    assert reverse("registry:psm-photo", args=[other.pk]) in page and "/media/" not in page


def test_unknown_record_kind_is_404(client, users, psm):
    client.force_login(users[Role.STAF])
    url = reverse("registry:psm-record-add", kwargs={"pk": psm.pk, "kind": "rahasia"})
    assert client.get(url).status_code == 404
