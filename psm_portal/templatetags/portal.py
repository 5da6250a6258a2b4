from django import template

from psm_portal.privacy import mask_nik

register = template.Library()


@register.filter
def nik_display(nik: str, show_full: bool) -> str:
    """The full NIK for roles that need it, the masked form for everyone else."""
    return nik if show_full else mask_nik(nik)
