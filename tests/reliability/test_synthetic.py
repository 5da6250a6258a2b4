"""The synthetic data generator the national benchmark is filled with (``generate_synthetic``):
the kab/kota preset, end to end, so that a new column the generator does not fill (a NOT NULL
without a database default) fails here and not forty minutes into a national run."""

import pytest

from benchmarks.synthetic import LOADED_MODELS, generate
from tests.factories import ppks_reference


@pytest.mark.django_db(transaction=True)
def test_the_kabkota_preset_fills_every_table_the_benchmark_reads():
    ppks_reference()
    timings = generate("kabkota", log=lambda *args: None)
    assert timings["total"] > 0
    empty = [m._meta.label for m in LOADED_MODELS if not m.objects.exists()]
    assert empty == []
