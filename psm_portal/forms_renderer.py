"""Django's form renderer, with its stock widget templates written out in Python.

Why: every select, input and textarea of a form is rendered through three to four nested
templates (``select.html`` includes ``attrs.html``, and ``select_option.html`` once per option,
which includes ``attrs.html`` again). On the portal's filter forms that was a fifth of a list
page's CPU (measured with ``python -m benchmarks.profile_pages``). This renderer writes the same
markup, byte for byte, from the widget's context with ``format_html``-style escaping; anything
else (form and field templates, crispy's templates, a widget template an app overrides, an option
template other than Django's) goes through the templates as before.
``tests/psm_portal/test_forms_renderer.py`` renders every widget kind both ways and compares.
"""

from functools import cache
from pathlib import Path

import django
from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import escape

_STOCK_DIR = Path(django.__file__).parent / "forms" / "templates"
_WIDGETS = "django/forms/widgets/"
# Django's input templates are all `{% include "django/forms/widgets/input.html" %}`.
_INPUT_TEMPLATES = frozenset(
    f"{_WIDGETS}{name}.html"
    for name in [
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    ]
)
_SELECT = f"{_WIDGETS}select.html"
_OPTION = f"{_WIDGETS}select_option.html"
_TEXTAREA = f"{_WIDGETS}textarea.html"
_FAST = _INPUT_TEMPLATES | {_SELECT, _OPTION, _TEXTAREA}

# `{{ value }}` as the template engine prints it (localized, escaped unless already safe).
_CONTEXT = Context(autoescape=True)


def _out(value) -> str:
    return render_value_in_context(value, _CONTEXT)


def _stringformat_s(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter's result is a plain string, so always escaped."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        return escape("%s" % value)  # noqa: UP031 -- the filter's own formatting, kept exact
    except (ValueError, TypeError):
        return ""


def _attrs(attrs: dict) -> str:
    """`attrs.html`."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        shown = "" if value is True else f'="{_stringformat_s(value)}"'
        parts.append(f" {_out(name)}{shown}")
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_stringformat_s(value)}"'
    return (
        f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{_stringformat_s(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_out(option['label'])}</option>"
    )


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_out(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None  # a custom option template: let the templates render it all
            # select_option.html ends in a newline, which its include keeps.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_out(value) if value else ''}</textarea>"
    )


class FastWidgetRenderer(DjangoTemplates):
    """``FORM_RENDERER``: Django's ``DjangoTemplates`` renderer, with the stock widget templates
    in Python (see the module docstring)."""

    def render(self, template_name, context, request=None):
        if template_name in _FAST and self._is_stock(template_name):
            html = self._render_fast(template_name, context["widget"])
            if html is not None:
                return html.strip()
        return super().render(template_name, context, request=request)

    @staticmethod
    def _render_fast(template_name, widget) -> str | None:
        if template_name == _SELECT:
            return _select(widget)
        if template_name == _OPTION:
            return _option(widget)
        if template_name == _TEXTAREA:
            return _textarea(widget)
        return _input(widget)

    def _is_stock(self, template_name) -> bool:
        return _is_stock(self, template_name)


@cache
def _is_stock(renderer, template_name) -> bool:
    """Whether ``template_name`` (and ``attrs.html``, which it includes) resolve to Django's own
    files: an app that overrides a widget template keeps its markup."""
    names = [template_name, f"{_WIDGETS}attrs.html"]
    if template_name in _INPUT_TEMPLATES:
        names.append(f"{_WIDGETS}input.html")
    return all(
        Path(renderer.get_template(name).template.origin.name).is_relative_to(_STOCK_DIR)
        for name in names
    )
