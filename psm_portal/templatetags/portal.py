from functools import lru_cache

from django import template
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.formats import get_format
from django.utils.translation import get_language

from psm_portal.access import ROLE_PERMISSIONS, Perm
from psm_portal.privacy import mask_nik

register = template.Library()


@register.filter
def nik_display(nik: str, show_full: bool) -> str:
    """The full NIK for roles that need it, the masked form for everyone else (nothing for a
    NIK that retention erased)."""
    if not nik:
        return ""
    return nik if show_full else mask_nik(nik)


@register.filter
def angka(value, places: int = 2) -> str:
    """A figure with up to ``places`` decimals and no trailing zeros, in the language's way:
    5, 11,5, 0,45 (``floatformat:"-2"`` wrote 11,50 jam beside 5 jam, and the ranking 11,5)."""
    text = floatformat(value, f"-{places}")
    separator = get_format("DECIMAL_SEPARATOR")
    if separator in text:
        text = text.rstrip("0").rstrip(separator)
    return text


@register.simple_tag(takes_context=True)
def nav_menu(context) -> str:
    """The main menu, which depends only on the role (its permissions) and the language: it is
    rendered once per process for each and kept (its twenty links and labels were about half a
    millisecond of every page)."""
    return _nav_menu(context["user"].role, get_language(), get_script_prefix())


@lru_cache(maxsize=64)
def _nav_menu(role: str, language: str, script_prefix: str) -> str:
    held = ROLE_PERMISSIONS.get(role, frozenset())
    can = {perm.name: perm in held for perm in Perm}
    return render_to_string("includes/nav_menu.html", {"role": role, "can": can})
