"""Reads of the registry, scoped to the user and with related rows pre-loaded."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Count,
    DateField,
    DateTimeField,
    FileField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Concat, Substr, Trim
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from psm_portal.access import Perm, has_permission, region_q, spans_a_province
from psm_portal.models import AuditEvent, User
from registry.access import psm_visible_to, regions_in_scope
from registry.filters import PsmFilter
from registry.models import (
    BantuanPeralatan,
    IpsmMembership,
    Penghargaan,
    Psm,
    PsmAppointment,
    PsmBimtek,
    PsmStatusChange,
    Spesialisasi,
    StatusPsm,
    TingkatBimtek,
    Wilayah,
)


def psm_filter(user, params) -> PsmFilter:
    """The filtered, ordered PSM list of ``user``; ``.qs`` is ready for paging or export."""
    base = (
        psm_visible_to(user)
        .select_related("desa_tugas__induk")
        .prefetch_related(
            Prefetch("spesialisasi", queryset=Spesialisasi.objects.order_by("nama", "pk")),
            "bimtek_set",
        )
    )
    fs = PsmFilter(
        params or None,
        queryset=base,
        regions=regions_in_scope(user),
        broad_scope=spans_a_province(user),
        by_nik=has_permission(user, Perm.PSM_VIEW_NIK),
    )
    return fs


def psm_filtered_queryset(fs: PsmFilter):
    return fs.qs.order_by(*fs.ordering())


@dataclass(frozen=True, slots=True)
class PsmRow:
    """A row of the PSM list: only what it shows. (Model instances with their prefetched
    spesialisasi and Bimtek took a third of the page's time at the national preset.)"""

    pk: int
    nama: str
    nik: str
    status: str
    status_label: str
    desa: str
    kecamatan: str
    spesialisasi: list[str]
    bimtek: list[str]


def psm_page_rows(page_queryset) -> list[PsmRow]:
    """One page (a sliced ``psm_filtered_queryset``) as list rows with each PSM's spesialisasi
    and Bimtek: three queries. (The paginator counts the queryset itself: counting these value
    rows would join the regions for nothing.)"""
    rows = list(
        page_queryset.prefetch_related(None).values(
            "pk", "nama", "nik", "status", "desa_tugas__nama", "desa_tugas__induk__nama"
        )
    )
    specs, tiers = spesialisasi_and_bimtek([row["pk"] for row in rows])
    status_labels = dict(StatusPsm.choices)
    tier_labels = dict(TingkatBimtek.choices)
    return [
        PsmRow(
            pk=row["pk"],
            nama=row["nama"],
            nik=row["nik"],
            status=row["status"],
            status_label=status_labels.get(row["status"], row["status"]),
            desa=row["desa_tugas__nama"],
            kecamatan=row["desa_tugas__induk__nama"] or "",
            spesialisasi=specs.get(row["pk"], []),
            bimtek=[tier_labels.get(t, t) for t in tiers.get(row["pk"], [])],
        )
        for row in rows
    ]


def spesialisasi_and_bimtek(psm_ids) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """For these PSM, by id: the names of their spesialisasi (by name) and the tiers (codes)
    of their Bimtek (by date). Two queries of value rows, none without ids."""
    specs: dict[int, list[str]] = {}
    tiers: dict[int, list[str]] = {}
    if psm_ids:
        through = Psm.spesialisasi.through.objects.filter(psm_id__in=psm_ids)
        for psm_id, nama in through.order_by("spesialisasi__nama", "pk").values_list(
            "psm_id", "spesialisasi__nama"
        ):
            specs.setdefault(psm_id, []).append(nama)
        bimtek = PsmBimtek.objects.filter(psm_id__in=psm_ids).order_by("tanggal", "pk")
        for psm_id, tingkat in bimtek.values_list("psm_id", "tingkat"):
            tiers.setdefault(psm_id, []).append(tingkat)
    return specs, tiers


RECENT_ACTIVITIES = 5


def psm_profile(psm: Psm) -> dict:
    """Everything the profile page shows about one PSM, in a fixed number of queries."""
    history = psm.riwayat_status.select_related("actor").order_by("-tanggal_efektif", "-pk")
    return {
        "spesialisasi": list(psm.spesialisasi.order_by("nama")),
        "riwayat_status": list(history),
        "sk_list": list(psm.sk_set.order_by("-tanggal_sk", "-pk")),
        "bimtek_list": list(psm.bimtek_set.order_by("tanggal", "pk")),
        "ipsm_list": list(psm.ipsm_set.order_by("-periode_mulai", "-pk")),
        "bantuan_list": list(psm.bantuan_set.order_by("-tanggal", "-pk")),
        "penghargaan_list": list(psm.penghargaan_set.order_by("-tahun", "-pk")),
        "kegiatan_terakhir": list(
            psm.kegiatan_set.select_related("desa").order_by("-tanggal", "-pk")[:RECENT_ACTIVITIES]
        ),
    }


AUDIT_ACTIONS = {
    "psm.register": _("Pendaftaran"),
    "psm.update": _("Perubahan data"),
    "psm.status": _("Perubahan status"),
    "psm.sk_add": _("SK ditambahkan"),
    "psm.bimtek_add": _("Bimtek dicatat"),
    "psm.bimtek_withdraw": _("Bimtek dicabut"),
    "psm.ipsm_add": _("Keanggotaan IPSM ditambahkan"),
    "psm.bantuan_add": _("Bantuan peralatan dicatat"),
    "psm.penghargaan_add": _("Penghargaan dicatat"),
    "psm.sk_update": _("SK diperbaiki"),
    "psm.ipsm_update": _("Keanggotaan IPSM diperbaiki"),
    "psm.bantuan_update": _("Bantuan peralatan diperbaiki"),
    "psm.penghargaan_update": _("Penghargaan diperbaiki"),
    "psm.sk_remove": _("SK dihapus"),
    "psm.ipsm_remove": _("Keanggotaan IPSM dihapus"),
    "psm.bantuan_remove": _("Bantuan peralatan dihapus"),
    "psm.penghargaan_remove": _("Penghargaan dihapus"),
    "psm.retensi": _("Data pribadi dihapus (masa retensi berakhir)"),
}
# Bookkeeping columns that say nothing to a reader of the change history.
_HIDDEN_IN_HISTORY = {
    "id",
    "psm",
    "kode_verifikasi",
    "created_at",
    "updated_at",
    "nama_cari",
    "entri",  # the entry's name, shown with the action ("SK diperbaiki: SK 400.9/17/2024")
}


@dataclass
class HistoryEntry:
    when: object
    who: str
    action: str
    changes: list  # (field label, before, after)


def psm_audit_trail(psm: Psm, limit: int = 50) -> list[HistoryEntry]:
    """Who changed what and when, with field labels a reader understands (two queries: the
    events, and the regions they name)."""
    # by name, as the case pages say who did what; the login where the account is gone
    name = (
        User.objects.filter(pk=OuterRef("actor_id"))
        .annotate(nama=Trim(Concat("first_name", Value(" "), "last_name")))
        .values("nama")[:1]
    )
    events = list(
        AuditEvent.objects.filter(target_type="registry.psm", target_id=str(psm.pk))
        .annotate(actor_name=Subquery(name))
        .order_by("-created_at", "-pk")[:limit]
    )
    regions = _regions_named(events)
    entries = []
    for event in events:
        before, after = event.before or {}, event.after or {}
        fields = _history_fields(event.action)
        changes = []
        if event.action == "psm.retensi":  # registry.retention: the period it applied
            years = after.get("masa_retensi_tahun")
            kept = ngettext(
                "%(n)s tahun setelah berhenti", "%(n)s tahun setelah berhenti", years or 0
            )
            changes.append((_("masa retensi"), None, kept % {"n": years}))
        elif event.action != "psm.register":  # a registration is summarised, not dumped
            # a record removed (a withdrawn Bimtek) has only what it was; the fields in the
            # order of their form (the database keeps a JSON object's keys in an order of its own)
            order = {name: i for i, name in enumerate(fields)}
            for key in sorted(after or before, key=lambda k: order.get(k, len(order))):
                if key in _HIDDEN_IN_HISTORY:
                    continue
                field = fields.get(key)
                if not before and after.get(key) in (None, "", []):
                    continue  # a record added: what it has, not every field it left empty
                old = _shown(field, before.get(key), regions)
                new = _shown(field, after.get(key), regions)
                if isinstance(field, FileField) and before.get(key) and after.get(key):
                    old, new = _("berkas lama"), _("berkas baru")
                elif key in before and before[key] == after.get(key) and new is not None:
                    # a corrected NIK: the mask hides the digits that changed
                    new = _("%(nilai)s (diubah; digit yang berubah disamarkan)") % {"nilai": new}
                if event.action.endswith(("_remove", "_withdraw")):
                    # a record removed: what it held, not arrows to "-"
                    old, new = None, old
                changes.append((field.verbose_name if field else key, old, new))
            if event.reason and not ({"alasan", "catatan"} & after.keys()):
                changes.append(_reason_shown(event))
        entries.append(
            HistoryEntry(
                when=event.created_at,
                who=event.actor_name or event.actor_label,
                action=_action_shown(event, before, after),
                changes=changes,
            )
        )
    return entries


def _action_shown(event, before: dict, after: dict) -> str:
    label = AUDIT_ACTIONS.get(event.action, event.action)
    entry = after.get("entri") or before.get("entri")
    return f"{label}: {entry}" if entry else label


# The record each kind of entry describes: the PSM, or the record added to it.
_RECORD_OF_ACTION = {
    "psm.sk_add": PsmAppointment,
    "psm.bimtek_add": PsmBimtek,
    "psm.bimtek_withdraw": PsmBimtek,
    "psm.ipsm_add": IpsmMembership,
    "psm.bantuan_add": BantuanPeralatan,
    "psm.penghargaan_add": Penghargaan,
    **{
        f"psm.{kind}_{change}": model
        for kind, model in (
            ("sk", PsmAppointment),
            ("ipsm", IpsmMembership),
            ("bantuan", BantuanPeralatan),
            ("penghargaan", Penghargaan),
        )
        for change in ("update", "remove")
    },
}


# The PSM's login, turned off by a stop and on by re-registration (``psm_change_status``): no
# column of theirs, shown as one.
_LOGIN_ACTIVE = BooleanField(_("akun login aktif"))


def _history_fields(action: str) -> dict:
    model = _RECORD_OF_ACTION.get(action, Psm)
    fields = {f.name: f for f in [*model._meta.concrete_fields, *model._meta.many_to_many]}
    if action == "psm.status":  # the PSM's status, and the day, reason and letter of its change
        fields = {"status": fields["status"]}
        fields["tanggal"] = PsmStatusChange._meta.get_field("tanggal_efektif")
        for name in ("alasan", "referensi", "catatan"):
            fields[name] = PsmStatusChange._meta.get_field(name)
        fields["akun_login_aktif"] = _LOGIN_ACTIVE
    return fields


def _reason_shown(event) -> tuple:
    """The reason an entry was written with. A status change recorded before its reason and
    note were kept apart holds either: a reason for stopping by its label, a note as a note."""
    if event.action == "psm.status":
        field = PsmStatusChange._meta.get_field("alasan")
        labels = dict(field.flatchoices)
        if event.reason in labels:
            return (field.verbose_name, None, labels[event.reason])
        return (PsmStatusChange._meta.get_field("catatan").verbose_name, None, event.reason)
    return (_("alasan"), None, event.reason)


def _regions_named(events) -> dict:
    """The regions the events' desa fields hold (stored as codes), by code: one query."""
    codes = set()
    for event in events:
        fields = _history_fields(event.action)
        for data in (event.before or {}, event.after or {}):
            codes.update(v for k, v in data.items() if v and _is_region(fields.get(k)))
    return Wilayah.objects.in_bulk(codes) if codes else {}


def _is_region(field) -> bool:
    return field is not None and field.is_relation and field.related_model is Wilayah


def _shown(field, value, regions: dict):
    """A stored value as a reader knows it: a choice by its label, a day as a date, a region by
    its name, yes or no, and a file only as there or not (its path tells a reader nothing)."""
    if value is None or field is None:
        return value
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, BooleanField):
        return _("ya") if value else _("tidak")
    if isinstance(field, FileField):
        return _("berkas terlampir") if value else ""
    if _is_region(field):
        region = regions.get(value)
        return f"{region.label} ({value})" if region else value
    if isinstance(field, DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return date_format(moment, "DATETIME_FORMAT")
    if isinstance(field, DateField):
        try:
            return date_format(dt.date.fromisoformat(value), "j F Y")
        except (TypeError, ValueError):
            return value
    return value


@dataclass
class CoverageRow:
    wilayah: Wilayah
    desa_total: int = 0
    desa_tanpa_psm: int = 0
    psm_aktif: int = 0
    psm_total: int = 0


COVERAGE_NODE_UNKNOWN = _(
    "Wilayah itu tidak ada di wilayah kerja Anda, atau berupa desa/kelurahan; cakupan dibuka "
    "per provinsi, kabupaten/kota atau kecamatan."
)


def coverage_node(user, code: str):
    """The region ``code`` names if coverage can be opened at it for ``user`` (in their scope,
    above desa level), or None."""
    return Wilayah.objects.filter(region_q(user, "kode"), kode=code, tingkat__lt=4).first()


def coverage(user, node_code: str | None = None) -> dict:
    """Active-PSM coverage one level below ``node_code`` (default: the user's scope), in four
    queries whatever the size of the region: the children, the desa per child, and the PSM per
    child, grouped by the prefix of their desa code. Desa without an active PSM are counted."""
    scope = Wilayah.objects.filter(region_q(user, "kode"))
    node = coverage_node(user, node_code) if node_code else None
    if node is None and len(user.scope_codes) == 1:
        node = scope.filter(kode=user.scope_codes[0], tingkat__lt=4).first()
    if node is not None:
        children = Wilayah.objects.filter(induk=node)
    elif user.scope_codes:
        children = Wilayah.objects.filter(kode__in=user.scope_codes)
    else:
        children = Wilayah.objects.filter(tingkat=1)  # an administrator without a scope
    children = list(children.order_by("nama", "kode"))
    rows = {w.kode: CoverageRow(wilayah=w) for w in children}
    # Children of one level share a code width; an account scoped to a kab/kota and a kecamatan
    # elsewhere has two, each grouped by its own prefix (two queries more per extra width).
    by_width: dict[int, list[Wilayah]] = {}
    for w in children:
        by_width.setdefault(len(w.kode), []).append(w)
    for width, group in by_width.items():
        prefix_q = Q(pk__in=[])
        for w in group:
            prefix_q |= Q(kode=w.kode) | Q(kode__startswith=f"{w.kode}.")
        desa = (
            Wilayah.objects.filter(prefix_q, tingkat=4)
            .annotate(prefix=Substr("kode", 1, width))
            .values("prefix")
            .annotate(n=Count("pk"))
        )
        for item in desa:
            rows[item["prefix"]].desa_total = item["n"]
        psm_q = Q(pk__in=[])
        for w in group:
            psm_q |= Q(desa_tugas__kode=w.kode) | Q(desa_tugas__kode__startswith=f"{w.kode}.")
        aktif = Q(status=StatusPsm.AKTIF)
        psm = (
            Psm.objects.filter(psm_q)
            .annotate(prefix=Substr("desa_tugas_id", 1, width))
            .values("prefix")
            .annotate(
                total=Count("pk"),
                aktif=Count("pk", filter=aktif),
                desa_aktif=Count("desa_tugas_id", filter=aktif, distinct=True),
            )
        )
        for item in psm:
            row = rows[item["prefix"]]
            row.psm_total, row.psm_aktif = item["total"], item["aktif"]
            row.desa_tanpa_psm = -item["desa_aktif"]
    for row in rows.values():
        row.desa_tanpa_psm += row.desa_total
    trail = []
    if node is not None:  # the in-scope ancestors of the node, for the breadcrumb (one query)
        parts = node.kode.split(".")
        prefixes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
        trail = list(scope.filter(kode__in=prefixes).order_by("tingkat"))
    return {
        "node": node,
        "trail": trail,
        "rows": list(rows.values()),
        "desa_level": bool(children) and children[0].tingkat == 4,
        "tanpa_psm": sum(r.desa_tanpa_psm for r in rows.values()),
    }


def desa_coverage(kecamatan: list[Wilayah]) -> dict[str, list[CoverageRow]]:
    """The desa rows of several kecamatan (already in scope), by kecamatan code, in two queries
    however many kecamatan: the rows :func:`coverage` gives one kecamatan at a time."""
    codes = [k.kode for k in kecamatan]
    aktif = Q(status=StatusPsm.AKTIF)
    counts = {
        item["desa_tugas_id"]: item
        for item in Psm.objects.filter(desa_tugas__induk_id__in=codes)
        .values("desa_tugas_id")
        .annotate(total=Count("pk"), aktif=Count("pk", filter=aktif))
        .order_by()
    }
    result: dict[str, list[CoverageRow]] = {code: [] for code in codes}
    for desa in Wilayah.objects.filter(induk_id__in=codes, tingkat=4).order_by("nama", "kode"):
        item = counts.get(desa.kode, {"total": 0, "aktif": 0})
        result[desa.induk_id].append(
            CoverageRow(
                wilayah=desa,
                desa_total=1,
                desa_tanpa_psm=0 if item["aktif"] else 1,
                psm_aktif=item["aktif"],
                psm_total=item["total"],
            )
        )
    return result


def statuses_on(psm_ids, day: dt.date) -> dict[int, str]:
    """The status each of ``psm_ids`` had on ``day`` by the status history, read as
    ``reports.indicators.aktif_on`` reads it: the last change dated on or before it, else what
    the first change after it was from. A PSM without history (or not yet entered then) is left
    out: their present status is all there is. One query."""
    result: dict[int, str] = {}
    changes = (
        PsmStatusChange.objects.filter(psm_id__in=psm_ids)
        .order_by("psm_id", "tanggal_efektif", "pk")
        .values_list("psm_id", "tanggal_efektif", "dari", "ke")
    )
    after: set[int] = set()  # PSM whose first change after ``day`` has been read
    for pk, tanggal, dari, ke in changes:
        if tanggal <= day:
            result[pk] = ke
        elif pk not in result and pk not in after:
            after.add(pk)
            if dari:  # "": entered after the day
                result[pk] = dari
    return result
