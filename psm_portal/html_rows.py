"""Helpers for the template tags that write a list's table rows in Python
(``assessments.templatetags.case_rows``, ``registry.templatetags.psm_rows``)."""

from collections.abc import Callable
from html import escape as _escape

from django.urls import reverse


def escape(value) -> str:
    """As ``{{ value }}`` prints a row's value: ``None`` as "None", everything escaped (the same
    characters as Django's ``escape``)."""
    return _escape(str(value))


# A stand-in number no row has: the link is reversed once and the row's number put in its place.
_PK = "999999999999"


def link_for_each(viewname: str) -> Callable[[object], str]:
    """``pk -> escaped URL`` of ``viewname``: reverse() costs about 10 us a call, and a page's
    25 or 50 links differ only in the object's number."""
    href = escape(reverse(viewname, args=[_PK]))
    return lambda pk: href.replace(_PK, str(pk))
