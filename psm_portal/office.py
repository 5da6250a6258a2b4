"""The office (Kantor) this deployment serves. One row, configured in the admin or by seed_demo."""

import re

from django.conf import settings
from django.utils import translation

from psm_portal.models import Kantor


def current_office() -> Kantor | None:
    return Kantor.objects.select_related("wilayah").filter(pk=1).first()


def indonesian_date(value) -> str:
    """10 Maret 2022, whatever language the request is in: printed documents are Indonesian."""
    months = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ]
    return f"{value.day} {months[value.month - 1]} {value.year}"


DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def indonesian_day_and_date(value) -> str:
    """Selasa, 8 Desember 2026: the "Hari/tanggal" of an attendance sheet."""
    return f"{DAYS[value.weekday()]}, {indonesian_date(value)}"


def format_nip(nip: str) -> str:
    """NIP 19680411 199303 1 009, as printed in signature blocks (domain.md §5.3)."""
    if not re.fullmatch(r"[0-9]{18}", nip):
        return nip
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def office_language():
    """For text stored in the database (a history note, a notice to a PSM): written in the
    office's language, whatever language the person who caused it was reading."""
    return translation.override(settings.LANGUAGE_CODE)
