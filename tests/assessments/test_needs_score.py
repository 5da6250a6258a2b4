"""Form P1's physical needs (domain.md section 3.3 E): food, clothing and shelter scored 1 (very
poor) to 5 (very good), on the case form, the case page and a resubmission's diff."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from assessments import services
from assessments.models import Asesmen, StatusAsesmen
from tests.assessments.test_views import _form
from tests.factories import make_case, resubmit

S = StatusAsesmen


def test_the_psm_scores_the_needs_and_the_case_page_shows_them(client, people):
    client.force_login(people["psm_a"])
    answer = client.post(reverse("assessments:case-create"), _form(skor_pangan="2", skor_papan="1"))
    case = Asesmen.objects.get()
    assert answer.status_code == 302
    assert (case.skor_pangan, case.skor_sandang, case.skor_papan) == (2, None, 1)
    page = client.get(answer["Location"]).content.decode()
    assert "Kecukupan pangan: 2 - kurang · Kelayakan tempat tinggal: 1 - sangat kurang" in page
    assert "Kecukupan sandang:" not in page


def test_a_score_out_of_range_is_refused_with_what_was_typed_kept(client, people):
    client.force_login(people["psm_a"])
    answer = client.post(reverse("assessments:case-create"), _form(skor_sandang="9"))
    page = answer.content.decode()
    assert answer.status_code in (200, 400) and not Asesmen.objects.exists()
    assert "Masukkan pilihan yang valid. 9 bukan salah satu dari pilihan yang tersedia." in page
    assert "Hidup sendiri tanpa penghasilan.</textarea>" in page
    # and the database refuses one written around the form
    case = make_case(people["psm_a"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Asesmen.objects.filter(pk=case.pk).update(skor_pangan=0)


def test_a_resubmission_shows_a_score_changed_or_added(people):
    case = make_case(people["psm_a"], skor_pangan=2)
    case = services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Periksa lagi pangannya."
    )
    case = resubmit(case, people["psm_a"], **_case_data(case, skor_pangan=3))
    assert services.version_diff(case) == [("Kecukupan pangan", "2 - kurang", "3 - cukup")]

    # A version saved before the scores existed has no such keys: a score given since reads as
    # added, and one still not given as no change.
    other = make_case(people["psm_a"], subject={"nama": "Mbah Karto", "nik": ""})
    first = other.versi_set.get()
    first.data = {k: v for k, v in first.data.items() if not k.startswith("skor_")}
    first.save()
    other = services.assessment_transition(
        asesmen=other, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Lengkapi."
    )
    other = resubmit(other, people["psm_a"], **_case_data(other, skor_papan=1))
    assert services.version_diff(other) == [("Kelayakan tempat tinggal", "", "1 - sangat kurang")]


def _case_data(case, **changes) -> dict:
    fields = ["jenis", "metode_kontak", "tanggal", "persetujuan_oleh", "persetujuan_nama",
              "persetujuan_pada", "persetujuan_versi", "kategori_utama", "masalah", "kebutuhan",
              "urgensi", "skor_pangan", "skor_sandang", "skor_papan"]  # fmt: skip
    return {**{f: getattr(case, f) for f in fields}, **changes}


def test_a_version_saved_from_an_english_page_compares_in_the_offices_language(people):
    """A snapshot took each choice's label in the page's language: a case resubmitted from an
    English page showed every choice as changed."""
    from django.utils import translation

    case = make_case(people["psm_a"], skor_pangan=2, skor_papan=3)
    case = services.assessment_transition(
        asesmen=case, ke=S.DIKEMBALIKAN, by=people["staf"], catatan="Periksa lagi."
    )
    with translation.override("en"):
        case = resubmit(case, people["psm_a"], **_case_data(case, skor_papan=None))
    assert services.version_diff(case) == [("Kelayakan tempat tinggal", "3 - cukup", "")]
