"""PPKS case pages. Thin: check access, validate, call one service or selector, render.

Nothing about a case ever travels in a URL but its number; searches are not offered here on
purpose (names and NIKs stay out of URLs and logs)."""

import copy
import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.forms import BooleanField, ChoiceField, ModelChoiceField
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import exports, forms, selectors, services
from assessments.access import (
    SPECIFIC_DATA_FIELDS,
    audit_categories_listed,
    audit_sensitive_view,
    get_case_for_user,
    get_subject_for_user,
    holds_specific_data_right,
    is_author,
    may_see_details,
    may_see_nik,
    may_see_specific_data,
    names_category,
    sensitivity_of,
)
from assessments.models import (
    DOKUMEN,
    RUJUKAN_TERBUKA,
    AnggotaKeluarga,
    AsesmenFoto,
    JenisSubjek,
    KategoriPpks,
    Rujukan,
    StatusAsesmen,
    Subjek,
    Urgensi,
)
from psm_portal import audit
from psm_portal.access import Perm, has_permission
from psm_portal.background import document_request
from psm_portal.models import Role
from psm_portal.office import current_office
from psm_portal.offline import (
    form_errors_json,
    is_offline_submission,
    offline_capable,
    offline_page,
)
from psm_portal.paging import CachedCountPaginator
from psm_portal.privacy import mask_nik
from psm_portal.spreadsheets import csv_response, xlsx_response
from psm_portal.typed import keep_typed, take_typed
from registry.access import desa_in_scope, require
from registry.models import Wilayah
from registry.nik import clean_nik

S = StatusAsesmen


def _today():
    return timezone.localdate()


def _desa_for(user):
    """Desa a case may be registered in: a PSM's own kecamatan, or the staff member's scope."""
    if user.role == Role.PSM:
        kecamatan = user.psm.desa_tugas.induk_id if user.psm_id else None
        return (
            Wilayah.objects.filter(tingkat=4, induk_id=kecamatan)
            .select_related("induk")
            .order_by("nama", "kode")
        )
    return desa_in_scope(user)


def _int(value, *, limit=36500):
    """A small non-negative whole number from the query string, or None (a hundred years of
    days is the most any filter needs; a longer number would overflow a date)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= limit else None


def _add_service_errors(exc: ValidationError, form, *others) -> None:
    """A service's errors next to the field they name, in whichever of the page's forms has it
    (the subject's NIK is on the subject form); the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        owner = next((f for f in (form, *others) if f is not None and name in f.fields), None)
        (owner or form).add_error(name if owner else None, errors)


def _pk(value):
    """A record id sent by the browser, or None: any id a bigint primary key can hold."""
    return _int(value, limit=2**63 - 1)


@require_GET
@offline_page
def case_list(request):
    require(request.user, Perm.PPKS_VIEW)
    user = request.user
    if user.role == Role.PSM:
        return render(request, "assessments/my_cases.html", {"cases": selectors.my_cases(user)})
    filters = exports.case_filters(request.GET)
    status, kecamatan, tahun = filters["status"], filters["kecamatan"], filters["tahun"]
    page = CachedCountPaginator(selectors.case_list(user, **filters), 50).get_page(
        request.GET.get("page")
    )
    specific_right = holds_specific_data_right(user)
    audit_categories_listed(
        user,
        [
            (c.pk, {c.kategori_utama.sensitivitas}, c.psm_id, c.dibuat_oleh_id)
            for c in page.object_list
            if c.kategori_utama.sensitivitas and names_category(user, c, specific_right)
        ],
    )
    this_year = _today().year
    years = sorted(
        {*range(this_year, this_year - 6, -1), *([tahun] if tahun else [])}, reverse=True
    )
    return render(
        request,
        "assessments/case_list.html",
        {
            "page": page,
            "statuses": S.choices,
            "status": status,
            "kecamatan": kecamatan,
            "tahun": tahun,
            "years": years,
            "kecamatan_options": selectors.kecamatan_options(user, chosen=kecamatan),
            "can_export": has_permission(user, Perm.PPKS_EXPORT),
            "export_query": urlencode({k: v for k, v in filters.items() if v}),
            "may_see_specific": specific_right,
        },
    )


@require_http_methods(["GET", "POST"])
@offline_capable
def case_create(request):
    require(request.user, Perm.PPKS_CREATE)
    subject = merged = None
    if "subjek" in request.GET:
        # Merged: the new case belongs to the subject it went into, and who may see that one may
        # follow the link. Checked on the merged one alone, a PSM was refused (their cases moved
        # with the merge, so they no longer see it) a form they had filled before the merge. The
        # office sees subjects by region, merged ones too: a link to one outside the user's
        # region is refused like any other, or it would tell them where it was merged.
        named = _pk(request.GET["subjek"])
        subject = get_subject_for_user(request.user, services.subject_in_use(named))
        if subject.pk != named:
            if request.user.role != Role.PSM:
                get_subject_for_user(request.user, named)
            merged = Subjek.objects.filter(pk=named).first()
        # On a GET only: a form sent (from a phone's outbox too) goes on to the save, which
        # refuses it with the same message and keeps what was typed.
        if subject.dianonimkan_pada and request.method == "GET":
            messages.error(request, services.ANONYMISED)
            return redirect("assessments:subject-detail", pk=subject.pk)
    return _case_form(request, case=None, subject=subject, merged=merged)


@require_http_methods(["GET", "POST"])
@offline_capable
def case_update(request, pk):
    case = get_case_for_user(request.user, pk, perm=Perm.PPKS_CREATE)
    if is_offline_submission(request):
        # An edit queued on a phone: refuse it if the case moved on since the PSM opened it.
        if not is_author(request.user, case):
            return JsonResponse(
                {
                    "status": "ditolak",
                    "pesan": [_("Hanya penulis asesmen yang dapat mengubahnya.")],
                },
                status=403,
            )
        conflict = services.offline_edit_conflict(case, request.POST.get("versi_dasar", ""))
        if conflict is not None:
            return JsonResponse(
                {
                    "status": "konflik",
                    "url": reverse("assessments:case-detail", args=[case.pk]),
                    "versi_server": services.base_version(case),
                    **conflict,
                },
                status=409,
            )
    if not is_author(request.user, case):
        messages.error(
            request,
            _(
                "Hanya penulis asesmen yang dapat mengubahnya. Kembalikan kasus dengan "
                "komentar bila ada yang perlu diperbaiki."
            ),
        )
        return redirect("assessments:case-detail", pk=case.pk)
    if case.status not in services.EDITABLE:
        messages.error(
            request,
            _("Asesmen berstatus %(s)s tidak dapat diubah lagi.")
            % {"s": case.get_status_display()},
        )
        return redirect("assessments:case-detail", pk=case.pk)
    return _case_form(
        request, case=case, subject=case.subjek, merged=_merged_since_opened(request, case)
    )


def _merged_since_opened(request, case):
    """On a POST, the subject the edit form was opened for (``subjek_asal``) when the office has
    merged it into the case's subject since. Its copy holds the merged subject's identity, which
    must not be written over the subject kept, not even by a copy sent again after the
    conflict the merge raised."""
    if request.method != "POST":
        return None
    opened = _pk(request.POST.get("subjek_asal", ""))
    if opened is None or opened == case.subjek_id:
        return None
    if services.subject_in_use(opened) != case.subjek_id:
        return None
    return Subjek.objects.filter(pk=opened).first()


def _typed_identity_changes(request, subject, desa_qs) -> list[str]:
    """What a submitted form changed in ``subject``'s identity, as "label: typed value" (none
    when the form had no identity part)."""
    if not any(name.startswith("s-") for name in request.POST):
        return []
    # a copy: a form writes what was typed into its instance
    typed = forms.SubjekForm(request.POST, prefix="s", instance=copy.copy(subject), desa_qs=desa_qs)
    names = [name for name in typed.changed_data if name in services.IDENTITY_FIELDS]
    if request.POST.get("s-versi"):
        # Only what the user changed from what their page showed: a field the office corrected
        # since reads as typed otherwise ("Telepon: -", never touched).
        typed.is_valid()
        mine = set(services.identity_changed_since(request.POST["s-versi"], typed.instance))
        names = [name for name in names if name in mine]
    changes = []
    for name in names:
        field, value = typed.fields[name], typed[name].value()
        if isinstance(field, ChoiceField) and not isinstance(field, ModelChoiceField):
            value = dict(field.choices).get(value, value)
        if name in ("nik", "no_kk") and value:
            # the message travels in the messages cookie and the phone's receipt
            value = mask_nik(clean_nik(str(value)))
        changes.append(f"{field.label}: {value or '-'}")
    return changes


def _identity_part(user, subject, merged) -> tuple[bool, bool]:
    """(locked, shown) of the case form's identity part: shown for a new subject, or one this
    user registered whose identity is not yet the office's to correct (once a case about it went
    to the office: services.identity_locked). Not when reached through a subject merged into it:
    a copy of the form opened before the merge holds the merged one's identity, and which
    identity stays was the office's choice in the merge."""
    if subject is None:
        return False, True
    registrant = subject.dibuat_oleh_id == user.pk and merged is None
    locked = registrant and services.identity_locked(subject)
    return locked, registrant and not locked


def _comments_at_their_fields(form, returns) -> None:
    """The office's comment on a field, under that field too: on a phone the list at the top of
    a long form is seven screens away from the field it is about. Escaped here (crispy prints
    a help text as it is)."""
    for returned in returns:
        for name, text in (returned.komentar or {}).items():
            field = form.fields.get(name)
            if field is None:
                continue
            note = _("Catatan dinas: %(teks)s") % {"teks": text}
            field.help_text = format_html(
                '<span class="d-block fw-semibold text-danger-emphasis komentar-dinas">{}</span>{}',
                note,
                field.help_text or "",
            )


def _case_form(request, *, case, subject, merged=None):
    """The case form. ``merged``: the subject the link named, merged into ``subject`` since."""
    user = request.user
    desa_qs = _desa_for(user)
    locked, own_subject = _identity_part(user, subject, merged)
    returns = []
    if case is not None and case.status == S.DIKEMBALIKAN:
        returns = list(case.transisi_set.filter(ke=S.DIKEMBALIKAN).order_by("-pk")[:1])
    if request.method == "POST" and case is None:
        # A repeat of a form already saved (a retry after the signal dropped, a double tap):
        # answer the case it made instead of starting another one.
        repeat = (
            services.case_by_client_uuid(request.POST.get("client_uuid"))
            if request.POST.get("client_uuid")
            else None
        )
        if repeat is not None and is_author(user, repeat):
            if repeat.status not in services.EDITABLE:
                messages.info(request, _("Asesmen ini sudah terkirim sebelumnya."))
                return redirect("assessments:case-detail", pk=repeat.pk)
            case, subject = repeat, repeat.subjek
            locked, own_subject = _identity_part(user, subject, merged)
    if request.method == "POST":
        sform = (
            # A copy: the form writes what was typed into its instance, and the service must
            # find the subject as stored to record what changed (its trail recorded none).
            forms.SubjekForm(request.POST, prefix="s", instance=copy.copy(subject), desa_qs=desa_qs)
            if own_subject
            else None
        )
        form = forms.AsesmenForm(request.POST, request.FILES, instance=case)
        submit = request.POST.get("aksi") == "ajukan"
        valid = form.is_valid()
        valid = (sform.is_valid() if sform else True) and valid
        duplicate_of = None
        # Only the merged subject's registrant had its identity in the form: anyone else's typed
        # fields are ignored, never compared (the comparison would tell them the merged
        # subject's NIK or birth date, field by field).
        if merged is not None and merged.dibuat_oleh_id == user.pk:
            changed = _typed_identity_changes(request, merged, desa_qs)
        elif locked:
            # a copy of the form opened before the subject's case went to the office
            changed = _typed_identity_changes(request, subject, desa_qs)
        else:
            changed = []
        if valid:
            target = sform.instance if sform else subject
            if sform and target.nik:
                duplicate_of = services.nik_taken(target.nik, exclude_pk=target.pk)
                if duplicate_of:
                    sform.add_error("nik", _("NIK ini sudah terdaftar sebagai subjek PPKS."))
            warnings = list(sform.warnings) if sform else []
            if sform and not duplicate_of and target.pk is None:
                likely = services.likely_duplicates(
                    nama=target.nama,
                    tanggal_lahir=target.tanggal_lahir,
                    desa_id=target.desa_id,
                )
                if likely:
                    warnings.append(
                        _(
                            "Ada %(n)d subjek lain dengan nama yang sama dan tanggal lahir atau "
                            "desa yang sama. Mungkin orang yang sama sudah didata."
                        )
                        % {"n": len(likely)}
                    )
            errors, category_warnings = services.case_problems(
                subjek=target,
                kategori=form.cleaned_data["kategori"],
                utama=form.cleaned_data.get("kategori_utama"),
                disabilitas=form.cleaned_data.get("disabilitas"),
                persetujuan_oleh=form.cleaned_data.get("persetujuan_oleh"),
                on=form.cleaned_data["tanggal"],
            )
            for field, messages_ in errors.items():
                for message in messages_:
                    form.add_error(field, message)
            for problem in services.photos_problems(
                case, form.cleaned_data["foto"], form.cleaned_data.get("hapus_foto") or ()
            ):
                form.add_error("foto", problem)
            warnings += category_warnings
            if submit:
                form.require_confirmation(warnings)
            else:
                form.warnings = warnings
            valid = form.is_valid() and (sform.is_valid() if sform else True)
        if valid:
            data = {
                k: v
                for k, v in form.cleaned_data.items()
                if k
                not in ("client_uuid", "kategori", "disabilitas", "bantuan", "foto", "hapus_foto")
                and k != "konfirmasi_peringatan"
            }
            if form.consent_recorded:
                data["persetujuan_versi"] = forms.CONSENT_VERSION
            try:
                saved, _created = services.case_save(
                    by=user,
                    data=data,
                    kategori=form.cleaned_data["kategori"],
                    disabilitas=form.cleaned_data["disabilitas"],
                    bantuan=form.cleaned_data["bantuan"],
                    photos=form.cleaned_data["foto"],
                    remove_photos=form.cleaned_data["hapus_foto"],
                    client_uuid=form.cleaned_data["client_uuid"],
                    subjek=subject,
                    subjek_data=(
                        {f: sform.cleaned_data[f] for f in services.IDENTITY_FIELDS}
                        if sform
                        else None
                    ),
                    asesmen=case,
                    submit=submit,
                )
            except ValidationError as exc:
                _add_service_errors(exc, form, sform)
            else:
                if saved.status == S.DRAF:
                    messages.success(request, _("Draf asesmen tersimpan."))
                elif saved.status == S.DIKEMBALIKAN:
                    # saved as a draft, not sent: "terkirim ke dinas (Dikembalikan)" read as sent
                    messages.success(
                        request,
                        _(
                            "Perbaikan tersimpan, tetapi belum dikirim ke dinas: tekan Ajukan ke "
                            "dinas bila sudah selesai."
                        ),
                    )
                else:
                    messages.success(
                        request,
                        _("Asesmen terkirim ke dinas (%(s)s).") % {"s": saved.get_status_display()},
                    )
                if changed and locked:
                    messages.warning(
                        request,
                        _(
                            "Asesmen disimpan, tetapi perubahan identitas yang Anda ketik tidak "
                            "disimpan (%(isian)s): identitas subjek ini sudah diperiksa dinas. "
                            "Minta staf dinas mengoreksinya bila perlu."
                        )
                        % {"isian": "; ".join(changed)},
                    )
                elif changed:
                    # Not written over the subject the office kept, and not dropped unsaid: the
                    # case is saved, and the message says what was typed (refused, a copy came
                    # back whose identity the PSM could only get past by retyping the old one).
                    messages.warning(
                        request,
                        _(
                            "Subjek ini sudah digabung dinas ke subjek #%(pk)d; asesmen disimpan "
                            "pada subjek itu, tetapi perubahan identitas yang Anda ketik tidak "
                            "disimpan (%(isian)s). Minta staf dinas memperbaikinya bila perlu."
                        )
                        % {"pk": saved.subjek_id, "isian": "; ".join(changed)},
                    )
                elif merged is not None:
                    messages.info(
                        request,
                        _(
                            "Subjek ini sudah digabung dinas ke subjek #%(pk)d; asesmen disimpan "
                            "pada subjek itu."
                        )
                        % {"pk": saved.subjek_id},
                    )
                if is_offline_submission(request):
                    return _saved_json(saved)
                return redirect("assessments:case-detail", pk=saved.pk)
        if changed:
            # Refused for the case's own fields: the typed identity is not on the page any more
            # (it has no identity part), and is not saved when the form comes back either.
            unsaved = _(
                "Perubahan identitas yang Anda ketik tidak akan disimpan (%(isian)s): identitas "
                "subjek ini sudah diperiksa dinas. Minta staf dinas mengoreksinya bila perlu."
            ) % {"isian": "; ".join(changed)}
            if is_offline_submission(request):
                return form_errors_json(
                    sform, form, warnings=[*getattr(form, "warnings", []), unsaved]
                )
            messages.warning(request, unsaved)
        if is_offline_submission(request):
            return form_errors_json(sform, form, warnings=getattr(form, "warnings", []))
        if request.FILES:
            messages.warning(request, _("Foto yang tadi dipilih perlu dipilih ulang."))
    else:
        sform = (
            forms.SubjekForm(
                prefix="s",
                instance=subject,
                desa_qs=desa_qs,
                initial={"desa": user.psm.desa_tugas_id}
                if user.psm_id and subject is None
                else None,
            )
            if own_subject
            else None
        )
        form = forms.AsesmenForm(
            instance=case,
            initial={} if case else {"tanggal": _today(), "persetujuan_pada": _today()},
        )
        duplicate_of = None
    _comments_at_their_fields(form, returns)
    return render(
        request,
        "assessments/case_form.html",
        {
            "form": form,
            "sform": sform,
            "case": case,
            "subject": subject,
            "identity_locked": locked,
            "returns": returns,
            "duplicate_of": duplicate_of
            if duplicate_of and has_permission(user, Perm.PPKS_REVIEW)
            else None,
            # The "ask the office" hint is for a NIK someone else registered, not a typo.
            "nik_taken": bool(duplicate_of),
            "disability_codes": list(
                KategoriPpks.objects.filter(perlu_disabilitas=True).values_list("kode", flat=True)
            ),
            "consent_version": forms.CONSENT_VERSION,
            "base_version": services.base_version(case) if case else "",
            # A draft kept by the office needs what a case does (consent before any personal
            # data is stored, a category): said so, as "Simpan draf" reads like "save as is".
            "draft_refused": request.method == "POST" and request.POST.get("aksi") == "draf",
        },
        status=200 if request.method == "GET" else 400,
    )


def _saved_json(case):
    """What the outbox needs after a save: where the case is now, and the version to base the
    next queued edit of it on."""
    return JsonResponse(
        {
            "status": "terkirim",
            "url": reverse("assessments:case-detail", args=[case.pk]),
            "kasus": case.pk,
            "status_kasus": case.get_status_display(),
            "versi_dasar": services.base_version(case),
        }
    )


@require_GET
def case_detail(request, pk):
    user = request.user
    case = get_case_for_user(user, pk, related=("subjek__desa__induk", "psm", "dibuat_oleh"))
    page = selectors.case_page(case)
    sensitive = sensitivity_of(case, page["categories"], page["disabilities"])
    details = may_see_details(user, case, sensitive)
    # What changed between versions is the details themselves (health, consent, informant):
    # shown, and audited, only to whoever may see the details. An earlier version's health
    # notes, disability or categories are specific data even when the current version no longer
    # holds them (the case is then general data): left out for a role that may not see such
    # data, and a read of them audited for one that may.
    specific = may_see_specific_data(user, case)
    diff = (
        services.version_diff(case, without=frozenset() if specific else SPECIFIC_DATA_FIELDS)
        if details
        else []
    )
    if details:
        audit_sensitive_view(user, case, sensitive | services.specific_data_in_diff(diff))
    steps = services.next_steps(user, case)
    for referral in page["referrals"]:
        referral.versi = services.referral_version(referral)
        typed = take_typed(request, f"referral-{referral.pk}-{case.pk}") or {}
        referral.status_diketik = typed.get("status", referral.status)
        referral.hasil_diketik = typed.get("hasil", referral.hasil)
        referral.langkah = services.referral_steps(referral)
    # What was typed into a review step or a visit that was refused, shown again once.
    review_draft = take_typed(request, f"review-{case.pk}")
    visit_draft = take_typed(request, f"visit-{case.pk}")
    may_nik = may_see_nik(user, case)
    context = {
        "case": case,
        **page,
        "sensitive": sorted(sensitive),
        "details": details,
        # A category that is itself specific data (ODHA, NAPZA, ABH...) is named only with the
        # details: to the others, the page says how many such categories there are.
        "hidden_categories": sum(1 for k in page["categories"] if k.sensitivitas),
        "nik": case.subjek.nik if may_nik else mask_nik(case.subjek.nik),
        # the family card's number is the NIK's kind of data: masked as it is
        "no_kk": case.subjek.no_kk if may_nik else mask_nik(case.subjek.no_kk),
        # what the PSM ticked the subject holds (KTP, KK...), for the reviewer to check
        "dokumen": [label for code, label in DOKUMEN if code in (case.dokumen or [])],
        "author": is_author(user, case),
        "editable": is_author(user, case) and case.status in services.EDITABLE,
        "steps": steps,
        "reviewed_by_another": services.reviewed_by_another(user, case),
        "review_form": forms.ReviewForm(initial=review_draft) if steps else None,
        "review_draft": review_draft,
        "diff": diff,
        "last_return": next(
            (t for t in reversed(page["transitions"]) if t.ke == S.DIKEMBALIKAN), None
        ),
        "can_refer": case.status in (S.DIVERIFIKASI, S.DIRUJUK)
        and has_permission(user, Perm.PPKS_REFER),
        "can_visit": case.perlu_kunjungan
        and case.status not in (S.DRAF, S.DITUTUP)
        and (is_author(user, case) or has_permission(user, Perm.PPKS_REVIEW)),
        "visit_form": forms.VisitForm(initial=visit_draft or {"tanggal": _today()}),
        "visit_draft": visit_draft,
        # A referral is answered by the programme, after the case is closed too (a closed
        # case's open referral was left without a form, stalled for good); each offers only
        # the steps it can take.
        "can_update_referrals": has_permission(user, Perm.PPKS_REFER) and not case.dianonimkan_pada,
        # Said where the case is closed: closing does not close them (the programme's answer
        # still comes), and a closed case's open referral stays on the stalled list until then.
        "open_referrals": [r for r in page["referrals"] if r.status in RUJUKAN_TERBUKA],
        "today": _today(),
    }
    return render(request, "assessments/case_detail.html", context)


def _keep_review_draft(request, case, form) -> None:
    """The step, its notes, per-field comments and reason to close."""
    names = [
        name
        for name in form.fields
        if name in ("ke", "catatan", "alasan_tutup") or name.startswith("komentar_")
    ]
    keep_typed(request, f"review-{case.pk}", names)


@require_POST
def case_review(request, pk):
    case = get_case_for_user(request.user, pk)
    # Its author sends it from here; reviewers take their steps (which, the service decides).
    reviewer = has_permission(request.user, Perm.PPKS_REVIEW) or has_permission(
        request.user, Perm.PPKS_REVIEW_KECAMATAN
    )
    if not (reviewer or is_author(request.user, case)):
        raise PermissionDenied
    form = forms.ReviewForm(request.POST)
    if request.POST.get("ke") not in S.values:
        messages.error(request, _("Tindakan tidak dikenal."))
        return redirect("assessments:case-detail", pk=case.pk)
    if not form.is_valid():  # a note over 2,000 characters, a page missing its hidden fields
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        _keep_review_draft(request, case, form)
        return redirect("assessments:case-detail", pk=case.pk)
    ke = form.cleaned_data["ke"]
    if ke == S.DIAJUKAN and case.status in services.EDITABLE:
        # The form asks the author to confirm soft warnings (a category unusual for the age or
        # sex) before sending; a draft, or a returned case, sent from this page must not skip
        # that.
        _errors, warnings = services.saved_case_problems(case)
        if case.subjek.dibuat_oleh_id == request.user.pk:
            # the identity the author typed, which their form shows and asks to confirm too
            subject = case.subjek
            warnings += services.subject_warnings(
                nik=subject.nik,
                no_kk=subject.no_kk,
                tanggal_lahir=subject.tanggal_lahir,
                jenis_kelamin=subject.jenis_kelamin,
            )
        if warnings:
            for warning in warnings:
                messages.warning(request, warning)
            messages.info(
                request,
                _(
                    "Periksa peringatan di atas, lalu ajukan dari formulir ini: Anda akan diminta "
                    "mengonfirmasinya."
                ),
            )
            return redirect("assessments:case-update", pk=case.pk)
    try:
        services.assessment_transition(
            asesmen=case,
            ke=ke,
            by=request.user,
            catatan=form.cleaned_data["catatan"],
            komentar=form.komentar(),
            alasan_tutup=form.cleaned_data["alasan_tutup"],
            expected_status=form.cleaned_data["status_awal"],
            expected_version=form.cleaned_data["versi_awal"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        _keep_review_draft(request, case, form)
    else:
        messages.success(request, _("Status asesmen: %(s)s.") % {"s": S(ke).label})
        if ke == S.DIKEMBALIKAN and services.identity_locked(case.subjek):
            # The PSM fixes the case, not the person's identity (another case about them went
            # to the office, or the office corrected it): a wrong NIK is the office's to fix.
            messages.info(request, _identity_stays_locked(request.user))
    return redirect("assessments:case-detail", pk=case.pk)


def _identity_stays_locked(user) -> str:
    locked = _(
        "Identitas subjek ini (nama, NIK, KK, kelahiran, alamat) tetap tidak dapat diubah PSM: "
        "ada kasus lain tentang subjek ini yang sudah dikirim, atau dinas sudah mengoreksinya."
    )
    if has_permission(user, Perm.PPKS_CORRECT):
        return f"{locked} " + _(
            "Bila identitasnya yang salah, koreksi di halaman subjek (Koreksi identitas)."
        )
    return f"{locked} " + _(
        "Bila identitasnya yang salah, minta staf dinas yang berwenang mengoreksinya."
    )


@require_POST
def case_visit(request, pk):
    case = get_case_for_user(request.user, pk)
    if not (is_author(request.user, case) or has_permission(request.user, Perm.PPKS_REVIEW)):
        raise Http404
    form = forms.VisitForm(request.POST)
    if form.is_valid():
        try:
            services.visit_record(
                asesmen=case,
                tanggal=form.cleaned_data["tanggal"],
                catatan=form.cleaned_data["catatan"],
                by=request.user,
                today=_today(),
            )
            messages.success(request, _("Kunjungan lanjutan tercatat."))
            return redirect("assessments:case-detail", pk=case.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Tanggal kunjungan tidak valid."))
    keep_typed(request, f"visit-{case.pk}", ("tanggal", "catatan"))  # refused: kept for its form
    return redirect("assessments:case-detail", pk=case.pk)


@require_GET
def case_photo(request, pk, photo_pk):
    """Photos are personal data: served only to who may see the case's details, never cached."""
    case = get_case_for_user(request.user, pk)
    sensitive = sensitivity_of(case)
    if not may_see_details(request.user, case, sensitive):
        raise Http404
    photo = AsesmenFoto.objects.filter(pk=photo_pk, asesmen=case).first()
    if photo is None:
        raise Http404
    audit_sensitive_view(request.user, case, sensitive, photo=photo)
    response = FileResponse(photo.berkas.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def referral_proof(request, pk):
    """A referral's proof (the programme's letter): personal data, served as the case's photos
    are, to who may see the case's details, and never cached."""
    referral = Rujukan.objects.filter(pk=pk).only("asesmen_id", "bukti").first()
    if referral is None or not referral.bukti:
        raise Http404
    case = get_case_for_user(request.user, referral.asesmen_id)
    sensitive = sensitivity_of(case)
    if not may_see_details(request.user, case, sensitive):
        raise Http404
    audit_sensitive_view(request.user, case, sensitive, referral=referral)
    response = FileResponse(
        referral.bukti.open("rb"),
        content_type="application/pdf",
        filename=f"bukti-rujukan-{referral.pk}.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def referral_create(request, pk):
    case = get_case_for_user(request.user, pk, perm=Perm.PPKS_REFER)
    refused = services.referral_refusals(case.subjek)  # not offered; named above the form
    form = forms.RujukanForm(
        request.POST or None,
        initial={"tanggal": _today()},
        not_offered=[programme.pk for programme, _refusal in refused],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                asesmen=case, data=form.cleaned_data, by=request.user, today=_today()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Rujukan tersimpan."))
            return redirect("assessments:case-detail", pk=case.pk)
    return render(
        request,
        "assessments/referral_form.html",
        {"form": form, "case": case, "not_offered": refused},
        status=400 if form.errors else 200,
    )


@require_POST
def referral_update(request, pk):
    referral = (
        Rujukan.objects.select_related("asesmen").filter(pk=pk).first()
        if _pk(pk) is not None
        else None
    )
    if referral is None:
        raise Http404
    case = get_case_for_user(request.user, referral.asesmen_id, perm=Perm.PPKS_REFER)
    form = forms.RujukanStatusForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.referral_update(
                rujukan=referral,
                status=form.cleaned_data["status"],
                hasil=form.cleaned_data["hasil"],
                bukti=form.cleaned_data["bukti"],
                by=request.user,
                today=_today(),
                expected_version=form.cleaned_data["versi_awal"],
            )
            messages.success(request, _("Rujukan diperbarui."))
            return redirect("assessments:case-detail", pk=case.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    # Refused: the status and result typed wait for this referral's form (a file cannot).
    keep_typed(request, f"referral-{referral.pk}-{case.pk}", ("status", "hasil"))
    return redirect("assessments:case-detail", pk=case.pk)


def _shown_case(value: str):
    """A queue row's tick, ``pk:versi:status`` as the page showed it, as (pk, (versi, status));
    None for anything else (a tick from a page older than the version check included)."""
    parts = value.split(":")
    if len(parts) != 3 or parts[2] not in S.values:
        return None
    pk, versi = _pk(parts[0]), _int(parts[1], limit=2**31 - 1)
    return (pk, (versi, parts[2])) if pk and versi is not None else None


def _offered(request, name: str, values) -> str:
    """The filter ``name`` as asked, if it is one of the ``values`` its select offers; else ""."""
    asked = request.GET.get(name, "")
    return asked if asked and asked in set(values) else ""


@require_http_methods(["GET", "POST"])
def review_queue(request):
    user = request.user
    if not (
        has_permission(user, Perm.PPKS_REVIEW) or has_permission(user, Perm.PPKS_REVIEW_KECAMATAN)
    ):
        require(user, Perm.PPKS_REVIEW)
    if request.method == "POST":
        ticks = request.POST.getlist("kasus")
        shown = dict(filter(None, map(_shown_case, ticks)))
        if not ticks:
            messages.error(request, _("Pilih paling sedikit satu kasus."))
        elif not shown:
            messages.error(
                request,
                _("Halaman antrean ini sudah lama; muat ulang, lalu pilih kasusnya lagi."),
            )
        else:
            done, problems = services.assessments_verify_bulk(shown=shown, by=user)
            if done:
                messages.success(request, _("%(n)d kasus diverifikasi.") % {"n": done})
            for problem in problems:
                messages.error(request, problem)
        return redirect(request.get_full_path())
    # A value the filter does not offer (an old bookmark, a hand-typed address) is not applied:
    # the queue read "0 kasus menunggu" beside filters that all said "Semua".
    kecamatan_options = selectors.kecamatan_options(user, chosen=request.GET.get("kecamatan", ""))
    categories = list(KategoriPpks.objects.filter(aktif=True).order_by("urutan"))
    filters = {
        "kecamatan": _offered(request, "kecamatan", (k["kode"] for k in kecamatan_options)),
        "kategori": _offered(request, "kategori", (k.kode for k in categories)),
        "urgensi": _offered(request, "urgensi", Urgensi.values),
        "min_hari": _int(request.GET.get("min_hari")),
    }
    kecamatan_level = services.uses_kecamatan_level()  # read once for the page
    page = CachedCountPaginator(
        selectors.review_queue(user, **filters, kecamatan_level=kecamatan_level),
        50,
        build=selectors.queue_page_details,
    ).get_page(request.GET.get("page"))
    waiting_elsewhere = selectors.queue_waiting_elsewhere(user, kecamatan_level)
    tickable = selectors.queue_untickable(page.object_list, user, waiting_elsewhere)
    audit_categories_listed(
        user, [(r["pk"], r["spesifik"], r["psm_id"], r["dibuat_oleh_id"]) for r in page.object_list]
    )
    return render(
        request,
        "assessments/queue.html",
        {
            "page": page,
            "filters": filters,
            "kecamatan_options": kecamatan_options,
            "categories": categories,
            "urgencies": Urgensi.choices,
            "now": timezone.now(),
            "tickable": tickable,  # the button goes where no row can be ticked
            # a kecamatan verifier's queue stays empty, unexplained, in an office that verifies
            # every case itself
            "kecamatan_review_off": not page.object_list
            and not has_permission(user, Perm.PPKS_REVIEW)
            and not kecamatan_level,
        },
    )


STALLED_SHOWN = 500


@require_GET
def referrals_stalled(request):
    require(request.user, Perm.PPKS_REFER)
    kecamatan = request.GET.get("kecamatan", "")
    referrals, days = selectors.stalled_referrals(request.user, today=_today(), kecamatan=kecamatan)
    shown = list(referrals[:STALLED_SHOWN])
    return render(
        request,
        "assessments/referrals_stalled.html",
        {
            "referrals": shown,
            "shown": STALLED_SHOWN,
            "total": len(shown) if len(shown) < STALLED_SHOWN else referrals.count(),
            "days": days,
            "kecamatan": kecamatan,
            "kecamatan_options": selectors.kecamatan_options(request.user, chosen=kecamatan),
            "today": _today(),
        },
    )


@require_GET
@offline_page
def subject_detail(request, pk):
    subject = get_subject_for_user(request.user, _pk(pk))
    cases = list(selectors.subject_history(request.user, subject))
    specific_right = holds_specific_data_right(request.user)
    may_nik = specific_right or any(is_author(request.user, c) for c in cases)
    family = selectors.family_of(subject.anggota_set.all(), today=_today(), full=may_nik)
    # A primary category that is itself specific data (ODHA, NAPZA, ABH...) is named beside
    # this person's cases to those who may read it: a read of it, as on the case page, where it
    # was audited and here it was not.
    named = [
        c
        for c in cases
        if c.kategori_utama.sensitivitas and names_category(request.user, c, specific_right)
    ]
    if may_nik:
        _audit_family_read(request.user, subject, family, cases=named)
    umur, umur_rahasia = selectors.subject_age(subject, today=_today(), full=may_nik)
    return render(
        request,
        "assessments/subject_detail.html",
        {
            "subject": subject,
            "cases": cases,
            "nik": subject.nik if may_nik else mask_nik(subject.nik) if subject.nik else "",
            "family": family,
            "family_full": may_nik,
            "subject_umur": umur,
            "subject_umur_rahasia": umur_rahasia,
            "can_edit_family": has_permission(request.user, Perm.PPKS_CREATE)
            and not services.family_refusal(subject),
            "may_see_specific": specific_right,
            "can_merge": has_permission(request.user, Perm.PPKS_MERGE),
            "can_correct": has_permission(request.user, Perm.PPKS_CORRECT)
            and not subject.digabung_ke_id
            and not subject.dianonimkan_pada,
            "can_copy": specific_right
            and has_permission(request.user, Perm.PPKS_EXPORT)
            and not subject.dianonimkan_pada,
            "can_create": has_permission(request.user, Perm.PPKS_CREATE),
            "merge_form": forms.MergeForm(),
            "today": _today(),
            "JenisSubjek": JenisSubjek,
        },
    )


@require_http_methods(["GET", "POST"])
@offline_capable
def family_member_edit(request, pk, member_pk=None):
    """Add a member to a subject's family, or change one: whoever records cases and can see the
    subject (its PSM, the office), as the family changes; each change is in the subject's trail.
    A subject merged away leads to the one kept, where its family went."""
    require(request.user, Perm.PPKS_CREATE)
    subject = _family_subject(request.user, _pk(pk))
    refusal = services.family_refusal(subject)
    if refusal and request.method == "GET":
        # On a GET only: a form sent (from a phone's outbox too) goes on to the service, which
        # refuses it with the same message and keeps what was typed.
        messages.error(request, refusal)
        return redirect("assessments:subject-detail", pk=subject.pk)
    member = None
    if member_pk is not None:
        member = subject.anggota_set.filter(pk=_pk(member_pk)).first()
        if member is None:
            raise Http404
    # a copy: the form writes what was typed into its instance; the heading keeps the stored name
    form = forms.AnggotaKeluargaForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(member) if member else None,
    )
    # (a page kept on a phone from before the field existed sends none: not known, not checked)
    if member is not None and is_offline_submission(request) and "versi_dasar" in request.POST:
        shown = request.POST["versi_dasar"]
        changed = services.family_changed_since(shown.split("~")[0], services.family_values(member))
        if changed:
            return _family_conflict(subject, member, changed, form, shown)
    newer = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.family_member_save(
                subject=subject,
                member=member,
                data=form.cleaned_data,
                by=request.user,
                versi=form.cleaned_data["versi_dasar"]
                if member and "versi_dasar" in request.POST
                else None,
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "stale":
                form, newer = _family_after_other_change(request, form, member)
            _add_service_errors(exc, form)
        else:
            messages.success(
                request,
                _("Anggota keluarga %(nama)s disimpan.") % {"nama": form.cleaned_data["nama"]},
            )
            url = reverse("assessments:subject-detail", args=[subject.pk]) + "#keluarga"
            if is_offline_submission(request):
                # the version to base the next edit of this member queued on the phone on
                versi_baru = services.family_version(services.family_values(saved))
                return JsonResponse({"status": "terkirim", "url": url, "versi_dasar": versi_baru})
            return redirect(url)
    elif member is not None:
        _audit_family_read(request.user, subject, [member])
    if is_offline_submission(request):
        return form_errors_json(form, warnings=form.warnings)
    return render(
        request,
        "assessments/family_form.html",
        {"subject": subject, "member": member, "form": form, "newer": newer},
        status=200 if request.method == "GET" else 400,
    )


def _family_subject(user, named) -> Subjek:
    """The subject whose family a form writes: one merged away leads to the one kept (its
    family and cases went there). Staff must also see the one named, or the link would tell
    them where it went; a PSM's cases moved with the merge, so the one kept is theirs."""
    subject = get_subject_for_user(user, services.subject_in_use(named))
    if subject.pk != named and user.role != Role.PSM:
        get_subject_for_user(user, named)
    return subject


def _audit_family_read(user, subject, members, *, cases=()) -> None:
    """A child's details and an income are specific data (UU 27/2022 Pasal 4): who read them,
    on the subject's page or in a member's form; on the page, with the ``cases`` whose specific
    primary category it named."""
    shown = selectors.family_of(members, today=_today(), full=True)
    read = set().union(*(m.spesifik for m in shown))
    after = {}
    if cases:
        read |= {c.kategori_utama.sensitivitas for c in cases}
        after["asesmen"] = sorted(c.pk for c in cases)
    if read:
        audit.record(
            by=user,
            action="subjek.view_sensitive",
            target=subject,
            target_label=f"Subjek #{subject.pk}",
            after={"data_spesifik": sorted(read), **after},
        )


def _family_changes(member, names) -> list[tuple[str, str]]:
    """(label, value now) of ``member``'s fields ``names``."""
    return [
        (
            capfirst(str(AnggotaKeluarga._meta.get_field(n).verbose_name)),
            services.value_shown(AnggotaKeluarga, n, getattr(member, n)),
        )
        for n in names
    ]


def _family_conflict(subject, member, changed, form, shown) -> JsonResponse:
    """A member's edit queued on a phone, opened before someone else changed the member: the
    outbox shows what they changed, with the PSM's own copy where both changed a field, and lets
    the PSM send theirs anyway (it then replaces only what the PSM changed) or throw it away."""
    base = shown.partition("~")[2] or shown
    typed = form.cleaned_data if form.is_valid() else {}
    mine = set(services.family_changed_since(base, typed)) if typed else set()
    lines = []
    specific = selectors.family_of([copy.copy(member)], today=_today(), full=True)[0].spesifik
    for name, (label, now) in zip(changed, _family_changes(member, changed), strict=True):
        if specific:
            # a child's details or an income: read on the form, where the read is audited (a
            # refused send leaves no trail: its transaction is rolled back)
            lines.append(_("%(f)s (diubah; buka formulirnya untuk melihat)") % {"f": label})
        elif name in mine:
            yours = services.value_shown(AnggotaKeluarga, name, typed.get(name))
            lines.append(_("%(f)s: %(now)s (salinan Anda: %(yours)s)") % {
                "f": label, "now": now, "yours": yours})  # fmt: skip
        else:
            lines.append(_("%(f)s: %(now)s (tetap dipakai)") % {"f": label, "now": now})
    return JsonResponse(
        {
            "status": "konflik",
            "pesan": [str(services.FAMILY_CONFLICT)],
            "perubahan": lines,
            "url": reverse("assessments:subject-detail", args=[subject.pk]) + "#keluarga",
            # what "send anyway" sends back (the version now, and the one the copy was typed on)
            "versi_server": services.family_conflict_version(member, shown),
            "bisa_kirim": True,
        },
        status=409,
    )


def _family_after_other_change(request, form, member):
    """The form again after someone else changed the member since it was opened: what they
    changed is taken into the form where this user typed nothing else, what both changed keeps
    this user's typing; the page lists them (label, value now, taken)."""
    current = AnggotaKeluarga.objects.filter(pk=member.pk).first()
    if current is None:  # deleted meanwhile: the service says so on the next send
        return form, []
    _audit_family_read(request.user, current.subjek, [current])
    now = services.family_values(current)
    shown = form.cleaned_data["versi_dasar"]
    theirs = services.family_changed_since(shown, now)
    mine = set(services.family_changed_since(shown, form.cleaned_data))
    data = request.POST.copy()
    data["versi_dasar"] = services.family_version(now)
    data.pop("konfirmasi_peringatan", None)  # what was confirmed was the member as typed then
    _take_in(
        data, forms.AnggotaKeluargaForm(instance=current), [n for n in theirs if n not in mine]
    )
    again = forms.AnggotaKeluargaForm(data, instance=copy.copy(current))
    again.is_valid()
    newer = [
        (label, now, name not in mine)
        for name, (label, now) in zip(theirs, _family_changes(current, theirs), strict=True)
    ]
    return again, newer


@require_POST
def family_member_delete(request, pk, member_pk):
    """Remove a member from the family (a plain form: it needs a signal, and says so)."""
    require(request.user, Perm.PPKS_CREATE)
    subject = _family_subject(request.user, _pk(pk))
    member = subject.anggota_set.filter(pk=_pk(member_pk)).first()
    if member is None:
        raise Http404
    try:
        services.family_member_delete(member=member, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(nama)s dihapus dari anggota keluarga.") % {"nama": member.nama}
        )
    return redirect(reverse("assessments:subject-detail", args=[subject.pk]) + "#keluarga")


@require_GET
def subject_data_copy(request, pk):
    """UU 27/2022 Pasal 7 and 32: the person's copy of what the office holds about them and of
    its processing trail, as a signed, numbered PDF the office hands over (within 3 x 24 hours).
    For those who may take personal data out of the portal and read specific data; the copy
    itself is written to the audit trail, and shows in the next copy's trail."""
    from reports.documents import SalinanDataSubjek, official_pdf

    require(request.user, Perm.PPKS_EXPORT)
    subject = get_subject_for_user(request.user, _pk(pk))
    if not holds_specific_data_right(request.user):
        raise PermissionDenied
    if subject.digabung_ke_id:
        # A duplicate's data is in the copy of the subject it went into.
        kept = get_subject_for_user(request.user, services.subject_in_use(subject.pk))
        return redirect("assessments:subject-data-copy", pk=kept.pk)
    if subject.dianonimkan_pada:
        messages.error(request, services.ANONYMISED_NO_COPY)
        return redirect("assessments:subject-detail", pk=subject.pk)
    report = SalinanDataSubjek(request.user, today=_today(), subject=subject)
    pdf = official_pdf(report, by=request.user)
    audit.record(
        by=request.user,
        action="subjek.salinan_data",
        target=subject,
        target_label=f"Subjek #{subject.pk}",
        after={"nomor": report.nomor},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="salinan-data-subjek-{subject.pk}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def subject_correct(request, pk):
    """The office corrects a subject's identity (a correction request, UU 27/2022 Pasal 30, or
    a mistake found in review): the PSM who registered it can no longer once a case about it
    went to the office (services.identity_locked)."""
    require(request.user, Perm.PPKS_CORRECT)
    subject = get_subject_for_user(request.user, _pk(pk))
    if subject.digabung_ke_id or subject.dianonimkan_pada:
        messages.error(
            request,
            services.ANONYMISED_NO_CORRECTION
            if subject.dianonimkan_pada
            else _("Subjek ini sudah digabung ke subjek #%(pk)d; koreksi subjek itu.")
            % {"pk": subject.digabung_ke_id},
        )
        return redirect("assessments:subject-detail", pk=subject.pk)
    desa_qs = _desa_for(request.user)
    newer = []
    if request.method == "POST":
        # a copy: the form writes what was typed into its instance, and the page's heading
        # shows the subject as stored
        form = forms.KoreksiSubjekForm(
            request.POST, prefix="s", instance=copy.copy(subject), desa_qs=desa_qs
        )
        if _correction_checked(form, request.user):
            try:
                services.subject_correct(
                    subject=subject,
                    data={f: form.cleaned_data[f] for f in services.IDENTITY_FIELDS},
                    alasan=form.cleaned_data["alasan"],
                    versi=form.cleaned_data["versi"],
                    by=request.user,
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "stale":
                    form, newer = _after_other_correction(request, form, subject.pk, desa_qs)
                _add_service_errors(exc, form)
            else:
                messages.success(request, _("Identitas subjek dikoreksi."))
                return redirect("assessments:subject-detail", pk=subject.pk)
    else:
        form = forms.KoreksiSubjekForm(prefix="s", instance=subject, desa_qs=desa_qs)
    return render(
        request,
        "assessments/subject_correct.html",
        {"subject": subject, "sform": form, "newer": newer},
        status=200 if request.method == "GET" else 400,
    )


def _correction_checked(form, user) -> bool:
    """The correction form's own checks, then another subject's NIK (before the warnings:
    confirming them first led only to this refusal), then the warnings of the identity typed
    for the subject's cases, to be confirmed."""
    nik = form.cleaned_data.get("nik") if form.is_valid() else ""
    if nik and services.nik_taken(nik, exclude_pk=form.instance.pk):
        form.add_error("nik", _("NIK ini sudah terdaftar sebagai subjek PPKS."))
    if form.is_valid():
        form.require_confirmation(form.warnings + services.correction_warnings(form.instance, user))
    return form.is_valid()


def _take_in(data, fresh, names) -> None:
    """Write into ``data`` (a copy of what was sent) the values ``fresh``, an unbound form of
    the record as it is now, shows for ``names``: what someone else changed since the form was
    opened and this user did not."""
    for name in names:
        key, value = fresh[name].html_name, fresh[name].value()
        if isinstance(fresh.fields[name], BooleanField):
            if value:
                data[key] = "on"
            else:
                data.pop(key, None)
        else:
            data[key] = "" if value is None else str(value)


def _after_other_correction(request, form, pk, desa_qs):
    """The correction form again after someone else changed the identity since it was opened:
    what they changed is taken into the form where this user typed nothing else, what both
    changed keeps this user's typing, and the page lists them (label, value now, taken)."""
    current = Subjek.objects.get(pk=pk)
    shown = form.cleaned_data["versi"]
    theirs = services.identity_changed_since(shown, current)
    mine = set(services.identity_changed_since(shown, form.instance))
    fresh = forms.KoreksiSubjekForm(prefix="s", instance=current, desa_qs=desa_qs)
    data = request.POST.copy()
    data["s-versi"] = services.identity_version(current)
    # What was confirmed was the identity as typed then; the one now may warn of other things.
    data.pop("s-konfirmasi_peringatan", None)
    _take_in(data, fresh, [n for n in theirs if n not in mine])
    again = forms.KoreksiSubjekForm(data, prefix="s", instance=copy.copy(current), desa_qs=desa_qs)
    _correction_checked(again, request.user)
    return again, [
        (form.fields[n].label, services.identity_shown(n, getattr(current, n)), n not in mine)
        for n in theirs
    ]


@require_POST
def subject_merge(request, pk):
    require(request.user, Perm.PPKS_MERGE)
    keep = get_subject_for_user(request.user, _pk(pk))
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Nomor subjek duplikat tidak valid."))
        return redirect("assessments:subject-detail", pk=keep.pk)
    try:
        duplicate = get_subject_for_user(request.user, form.cleaned_data["duplikat"])
    except Http404:
        messages.error(request, _("Subjek duplikat tidak ditemukan di wilayah Anda."))
        return redirect("assessments:subject-detail", pk=keep.pk)
    try:
        services.subject_merge(keep=keep, duplicate=duplicate, by=request.user)
        messages.success(request, _("Subjek digabung."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("assessments:subject-detail", pk=keep.pk)


@require_http_methods(["GET", "POST"])
def case_export(request):
    """The cases in scope: GET streams a CSV; POST asks for an XLSX, answered at once when small
    and built by the task worker when large (a zip cannot be streamed while it is written). NIK
    masked unless the role needs it; every export is audited."""
    require(request.user, Perm.PPKS_EXPORT)
    filters = exports.case_filters(request.POST if request.method == "POST" else request.GET)
    status = filters["status"]
    xlsx = request.method == "POST"
    background = xlsx and exports.is_large(request.user, **filters)
    # The export's audit entry and the document it asks for, or neither.
    with transaction.atomic():
        audit.record(
            by=request.user,
            action="asesmen.export",
            target_type="asesmen",
            target_label=_("Ekspor kasus PPKS"),
            after={
                "status": status or "semua",
                "kecamatan": filters["kecamatan"] or "semua",
                "tahun": filters["tahun"] or "semua",
                "nik_lengkap": exports.full_nik(request.user),
                "format": "xlsx" if xlsx else "csv",
                "latar": background,
            },
        )
        document = None
        if background:
            document = document_request(
                jenis=exports.XLSX_JENIS,
                judul=exports.document_title(**filters),
                params={
                    "status": status,
                    **{k: v for k, v in filters.items() if v and k != "status"},
                    "cakupan": list(request.user.scope_codes),
                },
                by=request.user,
            )
    if document is not None:
        return redirect("reports:document", pk=document.pk)
    rows = exports.rows(request.user, **filters)
    if xlsx:
        return xlsx_response(exports.filename("xlsx"), exports.sheet_name(), exports.header(), rows)
    return csv_response(exports.filename("csv"), exports.header(), rows)


DRAFT_DAYS_DEFAULT = 14
# More than a phone's outbox could ever hold (and far below the column's integer range).
DEVICE_COUNT_MAX = 100_000


@require_http_methods(["GET", "POST"])
def device_sync(request):
    """The outbox's check-in. GET: a fresh CSRF token (a page opened from the phone's cache
    holds a stale one), proof the session is alive, and how long the office lets drafts stay on
    the phone. POST (JSON): how many items the phone
    still holds, recorded for staff."""
    if request.method == "GET":
        office = current_office()
        response = JsonResponse(
            {
                "csrf": get_token(request),
                "pengguna": request.user.pk,
                "draf_hari": office.draf_offline_hari if office else DRAFT_DAYS_DEFAULT,
            }
        )
        response["Cache-Control"] = "private, no-store"
        return response
    try:
        report = json.loads(request.body or b"{}")
        menunggu, konflik = int(report.get("menunggu", 0)), int(report.get("konflik", 0))
    except (ValueError, TypeError, AttributeError, OverflowError):  # 1e999 parses as infinity
        return JsonResponse({"ok": False}, status=400)
    if not (0 <= menunggu <= DEVICE_COUNT_MAX and 0 <= konflik <= DEVICE_COUNT_MAX):
        return JsonResponse({"ok": False}, status=400)
    sync = services.device_sync_record(
        by=request.user,
        menunggu=menunggu,
        konflik=konflik,
        perangkat=request.headers.get("User-Agent", ""),
        now=timezone.now(),
    )
    return JsonResponse({"ok": True, "terakhir_sinkron": sync.terakhir_sinkron.isoformat()})


@require_GET
def device_sync_list(request):
    require(request.user, Perm.PSM_EDIT)
    page = Paginator(selectors.device_sync_list(request.user), 100).get_page(
        request.GET.get("page")
    )
    return render(
        request, "assessments/device_sync_list.html", {"page": page, "now": timezone.now()}
    )
