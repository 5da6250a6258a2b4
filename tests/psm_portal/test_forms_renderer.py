"""The fast widget renderer writes exactly what Django's widget templates write."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import override

from psm_portal.forms_renderer import FastWidgetRenderer

HOSTILE = [
    "",
    "Sri Rahayu",
    '"><script>alert(1)</script>',
    "O'Brien & <Putri>",
    '=HYPERLINK("http://x")',
    "\u202etxt.exe",
    "emoji 😀 dan spasi  ganda",
    "baris\nbaru",
]

CHOICES = [
    ("", "Semua status"),
    (mark_safe("a&amp;b"), mark_safe("a &amp; b")),
    ("aktif", "Aktif"),
    (1234, "Seribu <dua> ratus"),
    ("x&y", mark_safe("<b>aman</b>")),
    (Decimal("1.5"), 2025),
    (dt.date(2026, 12, 5), "Tanggal"),
]
GROUPED = [
    ("", "Pilih"),
    ("Jawa Tengah", [("33.71", "Kota Magelang"), ("33.72", "Kota Surakarta")]),
    ("DI Yogyakarta", [("34.71", "Kota Yogyakarta")]),
    ("lepas", "Tanpa grup"),
]


def _widgets():
    attrs = [
        {},
        {"class": "form-control", "id": "id_x"},
        {"required": True, "disabled": False, "readonly": True, "data-offline": "asesmen"},
        {"placeholder": '"kutip" & <tag>', "maxlength": 16, "step": Decimal("0.5")},
        {"data-x": mark_safe("a &amp; b"), "class": mark_safe("form-control")},
        {"data-called": lambda: "dipanggil", "data-false": lambda: False},
    ]
    for a in attrs:
        yield forms.TextInput(attrs=a), HOSTILE + [None, 5, 1234567, 3.5, Decimal("1234.5")]
        yield forms.TextInput(attrs=a), [mark_safe("a &amp; b"), lambda: "nilai <dipanggil>"]
        yield forms.NumberInput(attrs=a), [None, 0, 1234567, Decimal("1234.50"), "12"]
        yield forms.EmailInput(attrs=a), [None, "a@b.id", '"@x']
        yield forms.HiddenInput(attrs=a), HOSTILE + [None, ("a", "b")]
        yield forms.PasswordInput(attrs=a, render_value=True), ["rahasia<>", None]
        yield forms.DateInput(attrs=a), [None, dt.date(2026, 12, 5), "05/12/2026"]
        yield forms.DateInput(attrs={**a, "type": "date"}, format="%Y-%m-%d"), [dt.date(2026, 1, 2)]
        yield forms.DateTimeInput(attrs=a), [dt.datetime(2026, 12, 5, 8, 30)]
        yield forms.TimeInput(attrs=a), [dt.time(7, 5)]
        yield forms.URLInput(attrs=a), ["https://x.id/?a=1&b=<2>"]
        yield forms.CheckboxInput(attrs=a), [True, False, None, "on", ""]
        yield forms.FileInput(attrs=a), [None]
        yield forms.Textarea(attrs=a), HOSTILE + [None, mark_safe("<i>aman</i>"), 1234567]
        yield forms.Select(attrs=a, choices=CHOICES), [None, "", "aktif", 1234, "1234", "x&y"]
        yield forms.Select(attrs=a, choices=GROUPED), [None, "33.72", "lepas"]
        yield forms.SelectMultiple(attrs=a, choices=CHOICES), [None, ["aktif", "1234"], []]
        yield forms.NullBooleanSelect(attrs=a), [None, True, False, "unknown"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_widget_kind_renders_byte_for_byte_like_the_templates(language):
    fast, stock = FastWidgetRenderer(), DjangoTemplates()
    compared = 0
    with override(language):
        for widget, values in _widgets():
            for value in values:
                expected = widget.render("nama", value, renderer=stock)
                assert widget.render("nama", value, renderer=fast) == expected, (widget, value)
                compared += 1
    assert compared > 250


def test_widgets_without_a_python_version_still_render_through_templates():
    fast, stock = FastWidgetRenderer(), DjangoTemplates()
    for widget, value in [
        (forms.ClearableFileInput(), None),
        (forms.RadioSelect(choices=CHOICES), "aktif"),
        (forms.CheckboxSelectMultiple(choices=CHOICES), ["aktif"]),
        (forms.SplitDateTimeWidget(), dt.datetime(2026, 12, 5, 8, 0)),
        (forms.SelectDateWidget(years=[2025, 2026]), dt.date(2026, 12, 5)),
    ]:
        assert widget.render("nama", value, renderer=fast) == widget.render(
            "nama", value, renderer=stock
        )


@pytest.mark.parametrize(
    "overridden", ["select_option", "select", "attrs", "input", "text", "textarea"]
)
def test_a_widget_template_an_app_overrides_keeps_its_markup(tmp_path, overridden):
    from pathlib import Path

    import django
    from django.utils.functional import cached_property

    folder = tmp_path / "django" / "forms" / "widgets"
    folder.mkdir(parents=True)
    stock = Path(django.__file__).parent / "forms" / "templates" / "django" / "forms" / "widgets"
    source = (stock / f"{overridden}.html").read_text()
    (folder / f"{overridden}.html").write_text(f"<!-- milik aplikasi -->{source}")

    def with_override(base):
        class Overridden(base):
            @cached_property
            def engine(self):
                return self.backend(
                    {
                        "APP_DIRS": False,
                        "DIRS": [tmp_path, stock.parent.parent.parent],
                        "NAME": f"override-{base.__name__}",
                        "OPTIONS": {},
                    }
                )

        return Overridden()

    fast, plain = with_override(FastWidgetRenderer), with_override(DjangoTemplates)
    for widget, value in [
        (forms.Select(choices=CHOICES), "aktif"),
        (forms.TextInput(attrs={"class": "form-control"}), "nilai"),
        (forms.Textarea(), "isi"),
    ]:
        expected = widget.render("nama", value, renderer=plain)
        assert widget.render("nama", value, renderer=fast) == expected
    assert "milik aplikasi" in "".join(
        w.render("nama", "x", renderer=fast)
        for w in (forms.Select(choices=CHOICES), forms.TextInput(), forms.Textarea())
    )


def test_a_custom_option_template_is_left_to_the_templates():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    widget = Custom(choices=[("a", "A")])
    fast, stock = FastWidgetRenderer(), DjangoTemplates()
    assert widget.render("x", "a", renderer=fast) == widget.render("x", "a", renderer=stock)


def test_the_portal_renders_its_forms_with_it():
    assert isinstance(get_default_renderer(), FastWidgetRenderer)
