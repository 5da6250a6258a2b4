"""The dashboard's figures, served from snapshots (:class:`CuplikanDasbor`).

Everyone who sees the same thing (same role, same scope, same year and kecamatan) shares one
snapshot. A snapshot younger than ``PSM_DASHBOARD_CACHE_SECONDS`` is served as it is. An older one:

- for a kab/kota office (or one kecamatan) the figures take well under a second: they are computed
  again in the request and stored;
- for a province or the whole country they take seconds (two to five at the national preset, by
  machine; see ``benchmarks/results/findings.md``): the page shows the stored figures with the
  time they were computed and that they are being refreshed, and the task worker computes the
  new ones. The very first visit of such a scope shows a "being computed" page that reloads
  itself.

So a page never waits for a scope-wide computation, and always says how fresh its figures are.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from psm_portal.access import spans_a_province
from reports import indicators, selectors
from reports.models import CuplikanDasbor, TingkatIndikator


@dataclass
class Figures:
    data: dict | None  # None: nothing computed yet for this view (the page says so and reloads)
    dihitung: dt.datetime | None
    memperbarui: bool  # a refresh is queued or running
    diminta: dt.datetime | None = None  # when that refresh was asked for


def snapshot_key(user, tahun: int, kecamatan: str) -> str:
    """What decides the figures: the role (which statuses queue, which categories are hidden),
    the scope, the year and the kecamatan (and, should a PSM account ever see a dashboard, whose
    it is: theirs alone)."""
    raw = json.dumps(
        [user.role, user.is_superuser, user.psm_id, list(user.scope_codes), tahun, kecamatan]
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def computed_in_background(user, kecamatan: str) -> bool:
    """A province, several of them or the country, without a kecamatan chosen."""
    return not kecamatan and spans_a_province(user)


# Bumped when the stored figures change shape: older snapshots are then computed again.
SNAPSHOT_FORMAT = 3


def _to_json(figures: dict) -> dict:
    data = {k: v for k, v in figures.items() if k != "office_rows"}  # rebuilt from definitions
    return {**json.loads(json.dumps(data, cls=DjangoJSONEncoder)), "_format": SNAPSHOT_FORMAT}


def _readable(snapshot: CuplikanDasbor | None) -> bool:
    return bool(snapshot and snapshot.data and snapshot.data.get("_format") == SNAPSHOT_FORMAT)


def _from_json(data: dict, tahun: int) -> dict:
    figures = dict(data)
    figures["office"] = {k: Decimal(v) for k, v in data["office"].items()}
    on = indicators.Period.year(tahun).sampai
    figures["office_rows"] = [
        (d, figures["office"].get(d.cara_hitung))
        for d in indicators.definitions(on, TingkatIndikator.KANTOR)
    ]
    return figures


def dashboard_figures(user, *, tahun: int, kecamatan: str, today: dt.date, now=None) -> Figures:
    now = now or timezone.now()
    key = snapshot_key(user, tahun, kecamatan)
    snapshot = CuplikanDasbor.objects.filter(kunci=key).first()
    max_age = dt.timedelta(seconds=settings.PSM_DASHBOARD_CACHE_SECONDS)
    if _readable(snapshot) and now - snapshot.dihitung_pada < max_age:
        return Figures(_from_json(snapshot.data, tahun), snapshot.dihitung_pada, False)
    if not computed_in_background(user, kecamatan):
        figures = selectors.dashboard(user, tahun=tahun, kecamatan=kecamatan, today=today)
        # One upsert: two people opening the page at once both store, the later one wins.
        CuplikanDasbor.objects.bulk_create(
            [
                CuplikanDasbor(
                    kunci=key,
                    pengguna=user,
                    tahun=tahun,
                    kecamatan=kecamatan,
                    data=_to_json(figures),
                    dihitung_pada=now,
                )
            ],
            update_conflicts=True,
            unique_fields=["kunci"],
            update_fields=["pengguna", "data", "dihitung_pada", "updated_at"],
        )
        return Figures(figures, now, False)
    snapshot = dashboard_refresh_request(user=user, key=key, tahun=tahun, kecamatan=kecamatan)
    if not _readable(snapshot):
        return Figures(None, None, True, snapshot.diminta_pada)
    return Figures(
        _from_json(snapshot.data, tahun), snapshot.dihitung_pada, True, snapshot.diminta_pada
    )


def dashboard_refresh_request(*, user, key: str, tahun: int, kecamatan: str) -> CuplikanDasbor:
    """Queue one refresh of the snapshot, however many people open the page meanwhile. A request
    older than ``PSM_DOCUMENT_STALE_MINUTES`` (its worker died) may be made again."""
    now = timezone.now()
    stale = now - dt.timedelta(minutes=settings.PSM_DOCUMENT_STALE_MINUTES)
    with transaction.atomic():
        snapshot, _ = CuplikanDasbor.objects.get_or_create(
            kunci=key, defaults={"pengguna": user, "tahun": tahun, "kecamatan": kecamatan}
        )
        claimed = (
            CuplikanDasbor.objects.filter(pk=snapshot.pk)
            .filter(Q(diminta_pada__isnull=True) | Q(diminta_pada__lt=stale))
            .update(diminta_pada=now, pengguna=user)
        )
        if claimed:
            snapshot.diminta_pada = now
            # The queue is a table of this database: the request and its task commit together.
            refresh_dashboard.enqueue(snapshot.pk)
    return snapshot


def dashboard_refresh(*, snapshot: CuplikanDasbor) -> None:
    """Compute the snapshot's figures as its account sees them and store them."""
    user = snapshot.pengguna
    stale_viewer = (
        user is None
        or not user.is_active
        or snapshot_key(user, snapshot.tahun, snapshot.kecamatan) != snapshot.kunci
    )
    if stale_viewer:
        # The account that asked no longer sees what the key stands for (deactivated, or its
        # role or scope changed since): computing as it would store the wrong figures for the
        # others. The next person to open the page asks again, as themselves.
        CuplikanDasbor.objects.filter(pk=snapshot.pk).update(pengguna=None, diminta_pada=None)
        return
    started = timezone.now()
    figures = selectors.dashboard(
        user, tahun=snapshot.tahun, kecamatan=snapshot.kecamatan, today=timezone.localdate()
    )
    CuplikanDasbor.objects.filter(pk=snapshot.pk).update(
        data=_to_json(figures), dihitung_pada=started, diminta_pada=None
    )


@task()
def refresh_dashboard(snapshot_id: int) -> None:
    snapshot = CuplikanDasbor.objects.select_related("pengguna").filter(pk=snapshot_id).first()
    if snapshot is not None:
        dashboard_refresh(snapshot=snapshot)
