"""The synthetic data generator the national benchmark is filled with (``generate_synthetic``):
the kab/kota preset, end to end, so that a new column the generator does not fill (a NOT NULL
without a database default) fails here and not forty minutes into a national run."""

import pytest
from django.db.models import F, OuterRef, Subquery

from assessments.models import Asesmen, LangkahRujukan, Rujukan, StatusAsesmen
from benchmarks.synthetic import LOADED_MODELS, generate
from registry.models import Kegiatan, Psm, PsmStatusChange, StatusPsm
from tests.factories import ppks_reference


@pytest.mark.django_db(transaction=True)
def test_the_kabkota_preset_fills_every_table_the_benchmark_reads():
    ppks_reference()
    timings = generate("kabkota", log=lambda *args: None)
    assert timings["total"] > 0
    empty = [m._meta.label for m in LOADED_MODELS if not m.objects.exists()]
    assert empty == []
    # Each PSM's history leads to its present status, as the registry's services record it: a
    # nonaktif or stopped PSM was aktif first, and nothing is recorded from the day they stopped.
    last = PsmStatusChange.objects.filter(psm=OuterRef("pk")).order_by("-tanggal_efektif", "-pk")
    psms = Psm.objects.annotate(ke=Subquery(last.values("ke")[:1]))
    assert not psms.exclude(ke=F("status")).exists()
    stopped = Psm.objects.filter(status__in=[StatusPsm.NONAKTIF, StatusPsm.BERHENTI])
    assert stopped.exists() and not stopped.exclude(riwayat_status__ke=StatusPsm.AKTIF).exists()
    assert not stopped.filter(status_sejak__lte=F("tanggal_bergabung")).exists()
    # every PSM past candidacy passed the basic Bimtek (the activation's condition)
    appointed = Psm.objects.exclude(status=StatusPsm.CALON)
    assert not appointed.exclude(bimtek_set__tingkat="dasar").exists()
    assert not Psm.objects.filter(status=StatusPsm.CALON, bimtek_set__isnull=False).exists()
    assert not Kegiatan.objects.filter(
        psm__status=StatusPsm.BERHENTI, tanggal__gte=F("psm__status_sejak")
    ).exists()
    # each referral's steps begin with its proposal and end at its status, as the service's do
    last_step = LangkahRujukan.objects.filter(rujukan=OuterRef("pk")).order_by("-pk")
    first_step = LangkahRujukan.objects.filter(rujukan=OuterRef("pk")).order_by("pk")
    referrals = Rujukan.objects.annotate(
        last=Subquery(last_step.values("status")[:1]),
        first=Subquery(first_step.values("status")[:1]),
    )
    assert not referrals.exclude(last=F("status")).exists()
    assert not referrals.exclude(first="diusulkan").exists()
    finished = referrals.filter(status="selesai")
    assert finished.exists() and not finished.exclude(langkah_set__status="diterima").exists()
    # every case sent for review says when, no later than its status's start (a wait at the
    # kecamatan comes before the office's); drafts were never sent
    sent = Asesmen.objects.exclude(status=StatusAsesmen.DRAF)
    assert not sent.filter(diajukan_pada__isnull=True).exists()
    assert not sent.filter(diajukan_pada__gt=F("status_sejak")).exists()
    assert sent.filter(status="verif_kec", diajukan_pada__lt=F("status_sejak")).exists()
    assert not Asesmen.objects.filter(status="draf", diajukan_pada__isnull=False).exists()
