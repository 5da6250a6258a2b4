"""Retention of a stopped PSM's personal data (UU 27/2022 Pasal 42-44): once a PSM has been
stopped for the office's retention period (``Kantor.retensi_psm_tahun``), what identifies or
reaches them is erased.

What goes: the NIK, the place and date of birth (the year stays, for age bands), the KTP and
domicile addresses, telephone, e-mail address, occupation, photo (file included, with the
consent given for it) and motivation, the notes written with their status changes, the e-mail
address of their PSM login account (deactivated when they stopped; an office account that is
also the PSM's stays as it is), its login name (often a name or a telephone number: the account
becomes ``dihapus#<id>``, with no usable password, and the trail and the admin's log name it so;
its login records go), the photos of their activities (files included: faces of the residents
they met), and the contents of their profile's and account's audit entries (who did what and
when stays: Pasal 31). What stays is the office's archive of a volunteer it appointed: the name,
sex, education, desa of KTP, domicile and duty, the dates, the status history (its reasons and
letter numbers), and the service record (SK, Bimtek, IPSM, equipment aid, awards, activities
without their photos, training), so that every past year's report still names and counts them.
The cases they wrote follow the case files' own retention (``assessments.retention``).

An erased PSM's profile says so; it can no longer be edited or made active again: someone who
comes back is registered anew, and their NIK is free for it.

Run daily by ``manage.py terapkan_retensi`` with the case files' retention, in batches of their
own transactions like it.
"""

import datetime as dt

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast, Concat, TruncYear
from django.utils import timezone

from psm_portal.models import AuditEvent, Role
from psm_portal.retention import (
    BATCH,
    clear_audit,
    cutoff,
    delete_files_on_commit,
    in_batches,
    record_retention,
    still_due,
)
from registry.models import KegiatanFoto, Psm, PsmStatusChange, StatusPsm

# An erased account's login name: "#" is outside the characters a login name may be given, so no
# account made later can already hold it (nor can the admin save the erased account unrenamed).
ERASED_USERNAME = "dihapus#"


def psm_due(before: dt.datetime):
    """PSM stopped before ``before`` (a date: the status's day) whose data is still there."""
    return Psm.objects.filter(
        status=StatusPsm.BERHENTI,
        dianonimkan_pada__isnull=True,
        status_sejak__lt=timezone.localdate(before),
    )


def _anonymise_psm(ids: list[int], *, now, years: int) -> int:
    with transaction.atomic():
        # A PSM made active again meanwhile is no longer due once the lock is had.
        ids = still_due(Psm, psm_due(cutoff(now, years)), ids)
        if not ids:
            return 0
        delete_files_on_commit(p.foto for p in Psm.objects.filter(pk__in=ids).exclude(foto=""))
        Psm.objects.filter(pk__in=ids).update(
            nik=None,
            tempat_lahir="",
            tanggal_lahir=TruncYear("tanggal_lahir"),
            alamat_ktp="",
            alamat_domisili="",
            telepon="",
            email="",
            pekerjaan="",
            foto="",
            foto_persetujuan_pada=None,
            foto_persetujuan_versi="",
            motivasi="",
            dianonimkan_pada=now,
            updated_at=now,
        )
        # a status change's note is free text about the person (a stop's circumstances); its
        # reason code, date and letter number stay with the record
        PsmStatusChange.objects.filter(psm_id__in=ids).update(catatan="")
        photos = KegiatanFoto.objects.filter(kegiatan__psm_id__in=ids)
        delete_files_on_commit(p.berkas for p in photos)
        photos.delete()
        _erase_accounts(ids, now=now)
        record_retention(  # (empties the profile's audit entries too)
            ids, action="psm.retensi", target_type="registry.psm", label="PSM", years=years
        )
    return len(ids)


def _erase_accounts(psm_ids: list[int], *, now) -> None:
    """The PSM accounts of ``psm_ids``: e-mail address emptied, login name replaced wherever it
    was written (the account, the trail's actor and target labels, the admin's log) and its
    login records deleted; no usable password, off. An office account that is also a PSM is
    someone's working login and is left as it is."""
    accounts = get_user_model().objects.filter(psm_id__in=psm_ids, role=Role.PSM)
    old = dict(accounts.values_list("pk", "username"))
    if not old:
        return
    ids = list(old)
    keys = [str(pk) for pk in ids]  # the trail's and the admin log's object ids are text
    clear_audit("psm_portal.user", ids)

    def erased(field):
        return Concat(Value(ERASED_USERNAME), Cast(field, output_field=models.CharField()))

    accounts.update(
        email="",
        username=erased("pk"),
        password=make_password(None),
        is_active=False,
        updated_at=now,
    )
    AuditEvent.objects.filter(actor_id__in=ids).update(actor_label=erased("actor_id"))
    AuditEvent.objects.filter(target_type="psm_portal.user", target_id__in=keys).update(
        target_label=erased("target_id")
    )
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(get_user_model()),
        object_id__in=keys,
    ).update(object_repr=erased("object_id"))
    # who signed in, when, from which address and browser, under the old login name
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        model.objects.filter(username__in=old.values()).delete()


def apply_psm_retention(*, years: int, now: dt.datetime, dry_run=False, batch=BATCH) -> int:
    """Erase the personal data of the PSM stopped longer than ``years``; how many (or would be)."""
    if years < 1:
        raise ValueError("years must be at least 1")
    due = psm_due(cutoff(now, years))
    if dry_run:
        return due.count()
    return in_batches(due, _anonymise_psm, now=now, years=years, batch=batch)
