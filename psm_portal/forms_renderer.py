"""Django's form renderer, with its stock widget templates written out in Python.

Why: every select, input and textarea of a form is rendered through three to four nested
templates (``select.html`` includes ``attrs.html``, and ``select_option.html`` once per option,
which includes ``attrs.html`` again). On the portal's filter forms that was a fifth of a list
page's CPU (measured with ``python -m benchmarks.profile_pages``). This renderer writes the same
markup, byte for byte, from the widget's context, escaping as the templates do (a value marked
safe stays as it is); anything else goes through the templates as before: form and field
templates, crispy's templates, a widget whose templates (or the ones they include) an app
overrides, an option template other than Django's, a callable value (the templates call it).
``tests/psm_portal/test_forms_renderer.py`` renders every widget kind both ways and compares.
"""

from pathlib import Path

import django
from django.forms.renderers import DjangoTemplates
from django.template.base import render_value_in_context
from django.template.context import Context
from django.utils.html import escape
from django.utils.safestring import SafeData

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
    return render_value_in_context(_plain(value), _CONTEXT)


class _Fallback(Exception):
    """A value the templates would treat specially (a callable): let them render the widget."""


def _plain(value):
    """What the template engine would look up: a callable is called there; leave it to it."""
    if callable(value):
        raise _Fallback
    return value


def _stringformat_s(value) -> str:
    """`{{ value|stringformat:'s' }}`: escaped, unless the value was marked safe (the filter
    keeps a safe input safe)."""
    value = _plain(value)
    safe = isinstance(value, SafeData)
    if isinstance(value, tuple):
        value = str(value)
    try:
        formatted = "%s" % value  # noqa: UP031 -- the filter's own formatting, kept exact
    except (ValueError, TypeError):
        return ""
    return formatted if safe else escape(formatted)


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
            try:
                html = self._render_fast(template_name, context["widget"])
            except _Fallback:
                html = None
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
        """Whether ``template_name`` and what it includes (``attrs.html``, ``input.html``, the
        options of a select) resolve to Django's own files: an app that overrides any of them
        keeps its markup. Asked once per name and renderer."""
        known = self.__dict__.setdefault("_stock", {})
        if template_name not in known:
            names = [template_name, f"{_WIDGETS}attrs.html"]
            if template_name in _INPUT_TEMPLATES:
                names.append(f"{_WIDGETS}input.html")
            if template_name == _SELECT:
                names.append(_OPTION)
            known[template_name] = all(
                Path(self.get_template(name).template.origin.name).is_relative_to(_STOCK_DIR)
                for name in names
            )
        return known[template_name]
