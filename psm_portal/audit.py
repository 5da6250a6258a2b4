"""Audit events: written by services for every write, and by views for sensitive reads."""

import datetime as dt
import decimal

from django.db.models import Model
from django.db.models.fields.files import FieldFile

from psm_portal.models import AuditEvent
from psm_portal.privacy import mask_nik

# Values never copied into the audit trail in clear.
_MASKED_FIELDS = {"nik", "password"}
# Bookkeeping that would make every change look different.
_SKIPPED_FIELDS = {"created_at", "updated_at", "nama_cari"}


def _jsonable(value):
    if isinstance(value, dt.datetime) and value.utcoffset() is not None:
        # One instant, one text: a time from a form (local) and the same time read back from the
        # database (UTC) compared as a change.
        value = value.astimezone(dt.UTC)
    if isinstance(value, dt.date | dt.datetime | decimal.Decimal):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, Model):
        return value.pk
    return value


def _masked(data: dict) -> dict:
    """``data`` with NIKs masked and passwords hidden (masking twice gives the same)."""
    out = dict(data)
    for name in _MASKED_FIELDS & out.keys():
        if out[name]:
            out[name] = mask_nik(str(out[name])) if name == "nik" else "***"
    return out


def snapshot(obj: Model, fields=None, *, masked: bool = True) -> dict:
    """The concrete field values of ``obj`` as JSON-safe data, NIKs masked. A snapshot taken to
    be compared by ``changed`` is taken with ``masked=False`` and never stored as it is."""
    data = {}
    for f in obj._meta.concrete_fields:
        if (fields is not None and f.name not in fields) or f.name in _SKIPPED_FIELDS:
            continue
        data[f.name] = _jsonable(getattr(obj, f.attname))
    return _masked(data) if masked else data


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys whose values differ, for a readable change history, masked. Compare
    unmasked snapshots: a corrected NIK differs in the middle digits, which the mask hides, so
    masked snapshots would record no change at all."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return _masked({k: before.get(k) for k in keys}), _masked({k: after[k] for k in keys})


def record(
    *,
    by,
    action: str,
    target=None,
    target_type: str = "",
    target_id="",
    target_label: str = "",
    before=None,
    after=None,
    reason: str = "",
) -> AuditEvent:
    event = build(
        by=by,
        action=action,
        target=target,
        target_type=target_type,
        target_id=target_id,
        target_label=target_label,
        before=before,
        after=after,
        reason=reason,
    )
    event.save()
    return event


def build(
    *,
    by,
    action: str,
    target=None,
    target_type: str = "",
    target_id="",
    target_label: str = "",
    before=None,
    after=None,
    reason: str = "",
) -> AuditEvent:
    """An unsaved event, for services that write many rows with one bulk_create."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_label = target_label or str(target)
    actor_ok = by is not None and getattr(by, "is_authenticated", False)
    return AuditEvent(
        actor_id=by.pk if actor_ok else None,
        actor_label=by.get_username() if actor_ok else "sistem",
        actor_role=getattr(by, "role", "") if actor_ok else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        target_label=target_label[:300],
        before=before,
        after=after,
        reason=reason,
    )
