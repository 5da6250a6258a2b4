"""Retention of case files (UU 27/2022 Pasal 42-44): once a closed case has been kept for the
office's retention period, the personal data in it is erased and only what the figures need stays.

What stays of a case: its categories, desa, dates, status and the reason it was closed, its
assessment type, contact method, urgency, who consented (the role, not the name) and the review
steps' dates and actors, and its referrals' programmes, dates, statuses and letter numbers, so
that every recap of a past year still adds up. What goes: the person's identity (name, NIK,
No. KK, address, telephone, birth place, relation in the family, DTSEN status and decile; the
birth date keeps its year for age bands), the family members, the informant and consent names,
every free text written about them (conditions, problem, needs, reviewers' comments, referral
results and addressee, the follow-up visit note), the disability types and severity, the aid
received and documents held, the GPS point, the photos and referral proofs (files included), the
earlier versions, and the contents of the case's and subject's audit entries (who did what and
when stays: Pasal 31). An erased case takes no new referral answer.

A draft nobody touched for the whole period was never submitted and is counted nowhere: it is
deleted. A subject is anonymised once none of its cases still holds personal data and it was not
changed within the period: a person with an open case, or a case closed more recently, keeps
their identity until then (a subject merged into another has no cases left and goes too).

Run daily by ``manage.py terapkan_retensi`` (cron or a systemd timer, README). It works in
batches, each in its own transaction, so a national backlog neither holds one long transaction
nor loses what was done when it stops halfway; a rerun carries on.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import TruncYear

from assessments.models import (
    AlasanTanpaNik,
    AnggotaKeluarga,
    Asesmen,
    AsesmenFoto,
    AsesmenVersi,
    LangkahRujukan,
    Rujukan,
    StatusAsesmen,
    Subjek,
    Transisi,
)
from psm_portal.retention import (
    BATCH,
    clear_audit,
    cutoff,
    delete_files_on_commit,
    in_batches,
    record_retention,
    still_due,
)

ANONYMOUS_NAME = "Anonim"


@dataclass
class RetentionResult:
    cases: int = 0
    drafts: int = 0
    subjects: int = 0

    @property
    def total(self) -> int:
        return self.cases + self.drafts + self.subjects


def cases_due(before: dt.datetime):
    """Closed cases whose closing is older than ``before`` and still hold personal data."""
    return Asesmen.objects.filter(
        status=StatusAsesmen.DITUTUP, dianonimkan_pada__isnull=True
    ).filter(Q(status_sejak__lt=before) | Q(status_sejak__isnull=True, updated_at__lt=before))


def drafts_due(before: dt.datetime):
    return Asesmen.objects.filter(status=StatusAsesmen.DRAF, updated_at__lt=before)


def subjects_due(before: dt.datetime):
    """Subjects not anonymised, unchanged since ``before``, none of whose cases holds personal
    data any more (a case not yet anonymised, whatever its status, keeps its subject)."""
    identified_case = Asesmen.objects.filter(subjek=OuterRef("pk"), dianonimkan_pada__isnull=True)
    return Subjek.objects.filter(dianonimkan_pada__isnull=True, updated_at__lt=before).filter(
        ~Exists(identified_case)
    )


def _anonymise_cases(ids: list[int], *, now, years: int) -> int:
    with transaction.atomic():
        ids = still_due(Asesmen, cases_due(cutoff(now, years)), ids)
        if not ids:
            return 0
        photos = list(AsesmenFoto.objects.filter(asesmen_id__in=ids))
        delete_files_on_commit(p.berkas for p in photos)
        AsesmenFoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
        proofs = list(Rujukan.objects.filter(asesmen_id__in=ids).exclude(bukti=""))
        delete_files_on_commit(r.bukti for r in proofs)
        referral_ids = list(Rujukan.objects.filter(asesmen_id__in=ids).values_list("pk", flat=True))
        Rujukan.objects.filter(pk__in=referral_ids).update(
            hasil="", bukti="", tujuan_instansi="", updated_at=now
        )
        LangkahRujukan.objects.filter(rujukan_id__in=referral_ids).update(hasil="")
        Asesmen.disabilitas.through.objects.filter(asesmen_id__in=ids).delete()
        Asesmen.bantuan.through.objects.filter(asesmen_id__in=ids).delete()
        AsesmenVersi.objects.filter(asesmen_id__in=ids).delete()
        Transisi.objects.filter(asesmen_id__in=ids).update(catatan="", komentar={})
        Asesmen.objects.filter(pk__in=ids).update(
            informan_nama="",
            informan_hubungan="",
            informan_telepon="",
            persetujuan_nama="",
            kondisi_fisik="",
            kondisi_sosial="",
            kondisi_ekonomi="",
            kondisi_rumah="",
            masalah="",
            kebutuhan="",
            potensi="",
            rekomendasi="",
            tingkat_disabilitas="",
            dokumen=[],
            latitude=None,
            longitude=None,
            dianonimkan_pada=now,
            updated_at=now,
        )
        clear_audit("assessments.rujukan", referral_ids)
        record_retention(
            ids,
            action="asesmen.retensi",
            target_type="assessments.asesmen",
            label="Asesmen",
            years=years,
        )
    return len(ids)


def _delete_drafts(ids: list[int], *, now, years: int) -> int:
    with transaction.atomic():
        ids = still_due(Asesmen, drafts_due(cutoff(now, years)), ids)
        if not ids:
            return 0
        delete_files_on_commit(p.berkas for p in AsesmenFoto.objects.filter(asesmen_id__in=ids))
        Asesmen.objects.filter(pk__in=ids).delete()
        record_retention(
            ids,
            action="asesmen.retensi_hapus_draf",
            target_type="assessments.asesmen",
            label="Asesmen",
            years=years,
        )
    return len(ids)


def _anonymise_subjects(ids: list[int], *, now, years: int) -> int:
    with transaction.atomic():
        # A new case for one of these subjects either committed before the check (and keeps its
        # subject) or waits for this lock (``case_save``) and then finds the subject anonymised.
        ids = still_due(Subjek, subjects_due(cutoff(now, years)), ids)
        if not ids:
            return 0
        AnggotaKeluarga.objects.filter(subjek_id__in=ids).delete()
        Subjek.objects.filter(pk__in=ids).update(
            nama=ANONYMOUS_NAME,
            nama_cari=ANONYMOUS_NAME.lower(),
            nik="",
            alasan_tanpa_nik=AlasanTanpaNik.DIHAPUS,
            no_kk="",
            tempat_lahir="",
            tanggal_lahir=TruncYear("tanggal_lahir"),
            umur_perkiraan=Q(tanggal_lahir__isnull=False),
            hubungan_kk="",
            status_dtsen="",
            desil=None,
            telepon="",
            alamat_ktp="",
            desa_ktp=None,
            alamat="",
            rt="",
            rw="",
            dianonimkan_pada=now,
            updated_at=now,
        )
        record_retention(
            ids,
            action="subjek.retensi",
            target_type="assessments.subjek",
            label="Subjek",
            years=years,
        )
    return len(ids)


def apply_retention(*, years: int, now: dt.datetime, dry_run=False, batch=BATCH):
    """Erase what the retention period no longer allows to keep (see the module's text)."""
    if years < 1:
        raise ValueError("years must be at least 1")
    before = cutoff(now, years)
    if dry_run:
        cases = cases_due(before).count()
        drafts = drafts_due(before).count()
        # Subjects whose last identified case goes in this run are counted too.
        going = Q(pk__in=cases_due(before).values("pk")) | Q(pk__in=drafts_due(before).values("pk"))
        kept_case = Asesmen.objects.filter(
            subjek=OuterRef("pk"), dianonimkan_pada__isnull=True
        ).exclude(going)
        subjects = (
            Subjek.objects.filter(dianonimkan_pada__isnull=True, updated_at__lt=before)
            .filter(~Exists(kept_case))
            .count()
        )
        return RetentionResult(cases=cases, drafts=drafts, subjects=subjects)
    result = RetentionResult()
    result.cases = in_batches(
        cases_due(before), _anonymise_cases, now=now, years=years, batch=batch
    )
    result.drafts = in_batches(
        drafts_due(before), _delete_drafts, now=now, years=years, batch=batch
    )
    result.subjects = in_batches(
        subjects_due(before), _anonymise_subjects, now=now, years=years, batch=batch
    )
    return result
