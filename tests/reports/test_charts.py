from django.utils import translation

from reports.charts import bar_chart


def test_chart_values_are_written_as_the_tables_beside_them_are():
    """The rapor's chart printed 18.8 next to a table printing 18,8."""
    with translation.override("id"):
        svg = bar_chart([("Intensitas", 18.8), ("Frekuensi", 5), ("Asesmen", 35.0)])
    assert ">18,8</text>" in svg and ">5</text>" in svg and ">35</text>" in svg
    with translation.override("en"):
        assert ">18.8</text>" in bar_chart([("Intensity", 18.8)])
