"""The review queue's table rows, written in Python.

Why: a queue page is 50 rows of seven cells; through template nodes they cost about 5 ms of the
page's 13 ms of CPU (measured in-process at the national preset), written here about a fifth of
that. Django's admin builds its change-list cells in Python too (``items_for_result``). The
markup is the one the template wrote, byte for byte; ``tests/assessments/test_views.py`` checks
the rows' content, links and escaping.
"""

from django import template
from django.template.defaultfilters import timesince_filter
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assessments.models import StatusAsesmen
from psm_portal.html_rows import escape, link_for_each

register = template.Library()


@register.simple_tag
def queue_rows(rows, now) -> SafeString:
    """``rows`` from ``assessments.selectors.queue_page_details``; ``now`` for the waiting time;
    a row marked ``tanpa_centang`` (``selectors.queue_untickable``) has no tick and says why.
    Every value is escaped here (``html.escape``, as Django's ``escape`` does)."""
    link = link_for_each("assessments:case-detail")
    labels = {"psm": _("PSM: %(nama)s"), "di_kantor": _("di Dinas: %(lama)s")}
    return mark_safe("".join(_queue_row(row, now, link, labels) for row in rows))  # noqa: S308


def _queue_row(row: dict, now, link, labels: dict[str, str]) -> str:
    pk = str(row["pk"])
    # What the reviewer saw (version and status) goes with the tick: a case resubmitted or moved
    # on since the page was loaded is refused, not verified unseen.
    shown = f"{pk}:{row['versi']}:{escape(row['status'])}"
    subjek = escape(row["subjek_nama"])
    urgensi = escape(row["urgensi_label"])
    if row["urgensi"] == "darurat":
        urgensi = f'<span class="badge text-bg-danger">{urgensi}</span>'
    kategori = ", ".join(
        f'<span class="fw-semibold">{escape(k["singkatan"])}</span>'
        if k["utama"]
        else f"<span>{escape(k['singkatan'])}</span>"
        for k in row["kategori"]
    )
    status = escape(row["status_label"])
    if why := row.get("tanpa_centang"):
        tick = "<td></td>"
        status = f'{status} <span class="small text-body-secondary">({escape(why)})</span>'
    else:
        tick = (
            f'<td><input class="form-check-input" type="checkbox" name="kasus" value="{shown}" '
            f'id="k-{pk}" aria-label="{subjek}"></td>'
        )
        if note := row.get("catatan"):
            status = f'{status} <span class="small text-body-secondary">({escape(note)})</span>'

    written_by = (
        " · " + escape(labels["psm"] % {"nama": row["psm_nama"]}) if row.get("psm_nama") else ""
    )
    # Waiting since it was sent, the kecamatan's part included; what the kecamatan has passed
    # on also says since when it is the office's.
    waited = escape(timesince_filter(row["diajukan_pada"], now))
    if row["status"] == StatusAsesmen.DIVERIFIKASI_KECAMATAN:
        here = labels["di_kantor"] % {"lama": timesince_filter(row["status_sejak"], now)}
        waited += f'<div class="small text-body-secondary">{escape(here)}</div>'

    return (
        "<tr>\n"
        f"      {tick}\n"
        f'      <td><a href="{link(pk)}">{subjek}</a>'
        # the number the verification's messages name a case by; who submitted it
        f'<div class="small text-body-secondary">#{pk}{written_by}</div></td>\n'
        f"      <td>{kategori}</td>\n"
        f"      <td>{escape(row['desa_nama'])}, {escape(row['kecamatan_nama'])}</td>\n"
        f"      <td>{urgensi}</td>\n"
        f"      <td>{status}</td>\n"
        f"      <td>{waited}</td>\n"
        "    </tr>"
    )
