"""A case's primary category beside a person's name (the case list, a subject's page)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from assessments.access import names_category

register = template.Library()


@register.simple_tag(takes_context=True)
def category_short(context, case, specific_right):
    """Its abbreviation, or "data spesifik" where ``names_category`` says this user may not
    read it (UU 27/2022)."""
    if names_category(context["request"].user, case, specific_right):
        return case.kategori_utama.singkatan  # escaped: a simple tag's text is
    return format_html('<span class="text-body-secondary">{}</span>', _("data spesifik"))
