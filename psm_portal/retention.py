"""What retention of personal data (UU 27/2022 Pasal 42-44) does the same way for case files
(``assessments.retention``) and for stopped PSM (``registry.retention``): a period counted in
calendar years, rows locked and checked again before they change, work in batches of their own
transactions, files deleted once the rows' change commits, and an audit trail emptied of what it
held (who did what and when stays: Pasal 31) with one entry saying that retention did it."""

import datetime as dt
import logging

from django.db import transaction

from psm_portal import audit
from psm_portal.models import AuditEvent

logger = logging.getLogger(__name__)

BATCH = 500


def cutoff(now: dt.datetime, years: int) -> dt.datetime:
    """``now`` moved back ``years`` calendar years (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def lock_rows(model, ids) -> None:
    list(model.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def still_due(model, due, ids) -> list[int]:
    """``ids`` locked, then those still in ``due`` read again in a new statement, which sees what
    committed while it waited: a row changed since it was listed is left alone."""
    lock_rows(model, ids)
    return list(due.filter(pk__in=ids).values_list("pk", flat=True))


def clear_audit(target_type: str, ids) -> None:
    AuditEvent.objects.filter(target_type=target_type, target_id__in=[str(i) for i in ids]).update(
        before=None, after=None, reason=""
    )


def record_retention(ids, *, action: str, target_type: str, label: str, years: int) -> None:
    """The audit trail of ``ids`` emptied of what it held (who did what and when stays), and one
    entry each saying that retention did this."""
    clear_audit(target_type, ids)
    AuditEvent.objects.bulk_create(
        audit.build(
            by=None,
            action=action,
            target_type=target_type,
            target_id=pk,
            target_label=f"{label} #{pk}",
            after={"masa_retensi_tahun": years},
        )
        for pk in ids
    )


def delete_files_on_commit(fields) -> None:
    """Files of rows being removed, deleted once their transaction commits (a rollback keeps
    both the rows and the files). One that cannot be deleted is logged by name (a path of the
    storage, no personal data) and the others still go."""
    names = [(f.storage, f.name) for f in fields if f]

    def delete():
        for storage, name in names:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - any storage's failure: logged, the next file still goes
                logger.exception("retention: file %s not deleted", name)

    transaction.on_commit(delete, robust=True)


def in_batches(queryset, step, *, now, years: int, batch: int) -> int:
    done, last = 0, 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return done
        done += step(ids, now=now, years=years)
        last = ids[-1]
