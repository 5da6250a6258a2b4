"""Registry pages. Thin: check access, validate, call one service or selector, render."""

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psm_portal import audit
from psm_portal.access import Perm, has_permission
from psm_portal.background import document_request
from psm_portal.models import Role
from psm_portal.office import current_office, indonesian_date
from psm_portal.paging import CachedCountPaginator
from psm_portal.pdf import public_url, qr_svg_data_uri, render_pdf
from psm_portal.privacy import mask_nik
from psm_portal.spreadsheets import csv_response, xlsx_response
from registry import exports, forms, selectors, services
from registry.access import desa_in_scope, get_psm_for_user, require
from registry.filters import PsmFilter
from registry.models import Psm

PAGE_SIZE = 25
SEARCH_SESSION_KEY = "registry.psm_search"
SEARCHES_KEPT = 20


def _list_params(request):
    """Filters from the URL plus the search term kept in the session under an opaque token.

    A name or NIK typed into the search box never travels in a URL, so it never lands in access
    logs or browser history (UU 27/2022): the form posts it, and the list links carry ``cari``.
    """
    params = request.GET.copy()
    params.pop("q", None)  # never taken from a URL
    searches = request.session.get(SEARCH_SESSION_KEY, {})
    if params.get("cari") in searches:
        params["q"] = searches[params["cari"]]
    return params


def _remember_search(request) -> str:
    """Store the posted filters' search term; answer the list URL to redirect to."""
    params = request.POST.copy()
    for key in ("csrfmiddlewaretoken", "page", "cari"):
        params.pop(key, None)
    term = " ".join(params.pop("q", [""])[-1].split())[:200]
    if term:
        token = secrets.token_urlsafe(6)
        searches = request.session.get(SEARCH_SESSION_KEY, {})
        searches = dict(list(searches.items())[-(SEARCHES_KEPT - 1) :])
        searches[token] = term
        request.session[SEARCH_SESSION_KEY] = searches
        params["cari"] = token
    query = {k: v for k, v in params.items() if v}
    return (
        f"{reverse('registry:psm-list')}?{urlencode(query)}"
        if query
        else reverse("registry:psm-list")
    )


@require_http_methods(["GET", "POST"])
def psm_list(request):
    require(request.user, Perm.PSM_VIEW)
    if request.user.role == Role.PSM:
        # A PSM's registry is their own record: a list of one row, with filters of regions and
        # statuses that are not theirs to search, led nowhere the profile does not.
        if request.user.psm_id is None:
            raise PermissionDenied
        return redirect("registry:psm-detail", pk=request.user.psm_id)
    if request.method == "POST":
        return redirect(_remember_search(request))
    fs = selectors.psm_filter(request.user, _list_params(request))
    rows = selectors.psm_filtered_queryset(fs)
    page = CachedCountPaginator(rows, PAGE_SIZE, build=selectors.psm_page_rows).get_page(
        request.GET.get("page")
    )
    show_nik = has_permission(request.user, Perm.PSM_VIEW_NIK)
    return render(
        request,
        "registry/psm_list.html",
        {
            "filter": fs,
            "page": page,
            "show_nik": show_nik,
        },
    )


# What a PSM export's entry in the trail keeps of the list's address.
AUDITED_FILTERS = [name for name in PsmFilter.Meta.fields if name != "q"]


@require_http_methods(["GET", "POST"])
def psm_export(request, fmt):
    """The PSM of the list as it is filtered. A CSV streams; an XLSX is answered at once when
    small and built by the task worker when large, asked for with the list's button (a POST: a
    link followed must not queue work). NIK masked unless the role needs it; always audited."""
    require(request.user, Perm.PSM_EXPORT)
    params = _list_params(request)
    psms = exports.queryset(request.user, params)
    total = psms.count()
    background = fmt == "xlsx" and total > exports.XLSX_IMMEDIATE_MAX_ROWS
    if background and request.method != "POST":
        messages.info(
            request,
            _(
                "Daftar ini (%(jumlah)s PSM) dibuat sebagai XLSX di latar belakang: tekan tombol "
                "Unduh XLSX."
            )
            % {"jumlah": number_format(total, force_grouping=True)},
        )
        return redirect(f"{reverse('registry:psm-list')}?{request.GET.urlencode()}")
    show_nik = has_permission(request.user, Perm.PSM_VIEW_NIK)
    # The export's entry and the queued document are one write: a failure in the queueing must
    # not leave an export on record that nobody got, under a page saying nothing was saved.
    with transaction.atomic():
        audit.record(
            by=request.user,
            action="psm.export",
            target_type="registry.psm",
            target_label=f"{fmt}: {total} baris",
            # the list's filters, not its search (a name or a NIK: "cari" is its token) nor
            # anything else typed into the address, which the export ignores
            after={
                **{k: v for k, v in request.GET.items() if k in AUDITED_FILTERS},
                "latar": background,
            },
        )
        if background:
            stored = exports.stored_params(request.user, params)
            document = document_request(
                jenis=exports.XLSX_JENIS,
                judul=_("Ekspor data PSM (%(jumlah)s baris), XLSX")
                % {"jumlah": number_format(total, force_grouping=True)},
                params=stored,
                audited=exports.audited(stored),
                by=request.user,
            )
    if background:
        return redirect("reports:document", pk=document.pk)
    rows = exports.rows(psms, show_nik)
    if fmt == "csv":
        return csv_response(exports.filename("csv"), exports.header(), rows)
    return xlsx_response(exports.filename("xlsx"), "PSM", exports.header(), rows)


@require_http_methods(["GET", "POST"])
def psm_create(request):
    require(request.user, Perm.PSM_CREATE)
    form = forms.PsmForm(
        request.POST or None, request.FILES or None, desa_qs=desa_in_scope(request.user)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        spesialisasi = data.pop("spesialisasi", [])
        try:
            psm = services.psm_register(
                data=data, spesialisasi=spesialisasi, by=request.user, today=timezone.localdate()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("PSM %(nama)s tersimpan.") % {"nama": psm.nama})
            return redirect("registry:psm-detail", pk=psm.pk)
    return render(request, "registry/psm_form.html", {"form": form, "psm": None})


@require_http_methods(["GET", "POST"])
def psm_update(request, pk):
    psm = get_psm_for_user(request.user, pk, perm=Perm.PSM_EDIT)
    if psm.dianonimkan_pada:
        return _erased(request, psm)
    form = forms.PsmForm(
        request.POST or None,
        request.FILES or None,
        instance=psm,
        desa_qs=desa_in_scope(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        spesialisasi = data.pop("spesialisasi", [])
        try:
            services.psm_update(psm=psm, data=data, spesialisasi=spesialisasi, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Perubahan tersimpan."))
            return redirect("registry:psm-detail", pk=psm.pk)
    return render(request, "registry/psm_form.html", {"form": form, "psm": psm})


def _erased(request, psm):
    """The profile, saying why an erased PSM's identity or status is not offered for a change
    (the services refuse it too: ``services.refuse_erased``)."""
    messages.error(request, services.ERASED)
    return redirect("registry:psm-detail", pk=psm.pk)


@require_GET
def psm_detail(request, pk):
    psm = get_psm_for_user(request.user, pk)
    context = {
        "psm": psm,
        "show_nik": has_permission(request.user, Perm.PSM_VIEW_NIK, psm),
        "can_edit": has_permission(request.user, Perm.PSM_EDIT, psm),
        # an erased PSM's service record stays correctable; their identity cannot come back
        "can_edit_identity": has_permission(request.user, Perm.PSM_EDIT, psm)
        and not psm.dianonimkan_pada,
        "can_status": has_permission(request.user, Perm.PSM_CHANGE_STATUS, psm)
        and not psm.dianonimkan_pada,
        "can_card": services.card_refusal(psm) is None
        and has_permission(request.user, Perm.PSM_CARD, psm),
        "correctable": services.CORRECTABLE_RECORDS,  # the entries with an "Ubah" link
        **selectors.psm_profile(psm),
    }
    if context["can_status"]:
        allowed = services.TRANSITIONS.get(psm.status, set())
        today = timezone.localdate()
        context["status_form"] = forms.StatusChangeForm(allowed=allowed, initial={"tanggal": today})
        context["status_form_day"] = today.isoformat()
        context["activation_problems"] = services.activation_problems(
            psm, sk_list=context["sk_list"], bimtek_list=context["bimtek_list"]
        )
    if has_permission(request.user, Perm.AUDIT_VIEW, psm):
        context["audit_trail"] = selectors.psm_audit_trail(psm)
    return render(request, "registry/psm_detail.html", context)


@require_POST
def psm_status_change(request, pk):
    psm = get_psm_for_user(request.user, pk, perm=Perm.PSM_CHANGE_STATUS)
    if psm.dianonimkan_pada:
        return _erased(request, psm)
    form = forms.StatusChangeForm(request.POST, allowed=services.TRANSITIONS.get(psm.status, set()))
    if form.is_valid():
        try:
            change = services.psm_change_status(psm=psm, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)  # a missing reason next to its field, the rest above
        else:
            messages.success(request, _("Status diperbarui."))
            if change.login_off:
                messages.info(request, _("Akun login PSM ini dinonaktifkan."))
            elif change.login_still_off:
                messages.info(
                    request,
                    _(
                        "Akun login PSM ini masih nonaktif sejak berhenti: minta administrator "
                        "portal mengaktifkannya bila PSM memakainya lagi."
                    ),
                )
            return redirect("registry:psm-detail", pk=psm.pk)
    return render(request, "registry/psm_status_form.html", {"psm": psm, "form": form}, status=422)


# The service-record sections of the profile share one add view.
RECORD_KINDS = {
    "sk": (forms.SkForm, services.sk_add, gettext_lazy("SK pengangkatan")),
    "bimtek": (forms.BimtekRecordForm, services.bimtek_add, gettext_lazy("riwayat Bimtek")),
    "ipsm": (forms.IpsmForm, services.ipsm_add, gettext_lazy("keanggotaan IPSM")),
    "bantuan": (forms.BantuanForm, services.bantuan_add, gettext_lazy("bantuan peralatan")),
    "penghargaan": (forms.PenghargaanForm, services.penghargaan_add, gettext_lazy("penghargaan")),
}


@require_http_methods(["GET", "POST"])
def psm_record_add(request, pk, kind):
    psm = get_psm_for_user(request.user, pk, perm=Perm.PSM_EDIT)
    if kind not in RECORD_KINDS:
        raise Http404
    form_class, service, title = RECORD_KINDS[kind]
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(psm=psm, data=form.cleaned_data, by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Data %(judul)s ditambahkan.") % {"judul": title})
            return redirect("registry:psm-detail", pk=psm.pk)
    _file_chosen_again(request)
    return render(
        request, "registry/psm_record_form.html", {"psm": psm, "form": form, "title": title}
    )


def _file_chosen_again(request) -> None:
    """A refused form comes back without the file chosen (a browser refills no file input), and
    a correction's empty input keeps the scan on record: say so, or the next save drops it."""
    if request.method == "POST" and request.FILES:
        messages.warning(request, _("Dokumen yang tadi dipilih perlu dipilih ulang."))


def _correctable_record(request, pk, kind, record_pk):
    """The PSM (editable by this user) and one entry of their service record; 404 for an entry
    that is not theirs. The entry is None when a form is sent for one removed since it was
    opened (another tab, a colleague): the view says so on the profile, not with a bare 404."""
    psm = get_psm_for_user(request.user, pk, perm=Perm.PSM_EDIT)
    if kind not in services.CORRECTABLE_RECORDS:
        raise Http404
    model, _check = services.CORRECTABLE_RECORDS[kind]
    record = model.objects.filter(psm=psm, pk=record_pk).first()
    if record is None and (request.method != "POST" or model.objects.filter(pk=record_pk).exists()):
        raise Http404
    return psm, record


def _gone(request, psm):
    messages.error(request, services.RECORD_GONE)
    return redirect("registry:psm-detail", pk=psm.pk)


def _shown_version(request, refusal: ValidationError | None = None) -> str:
    """The entry's version a correction page carries: the one its form was drawn from, kept
    through the form's own errors (a colleague's save meanwhile is still noticed); the current
    one once a change meanwhile was said, so that sending again is a choice made knowing it."""
    if request.method != "POST" or getattr(refusal, "code", None) == "changed":
        return ""
    return request.POST.get("versi_awal", "")[:40]


def _record_page(request, psm, kind, record, form, reason_form, remove_form, shown=""):
    _form_class, _service, title = RECORD_KINDS[kind]
    _file_chosen_again(request)
    return render(
        request,
        "registry/psm_record_form.html",
        {
            "psm": psm,
            "kind": kind,
            "record": record,
            # the entry as stored when this request read it: the form may hold what was typed
            "versi": (shown or services.record_version(record)) if record else "",
            "form": form,
            "reason_form": reason_form,
            "title": title,
            "remove_form": remove_form,
            "remove_refusal": services.record_remove_refusal(psm, kind, record),
        },
        status=400 if form.errors or reason_form.errors or remove_form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def psm_record_edit(request, pk, kind, record_pk):
    """Correct an SK, IPSM membership, aid or award typed in wrong (the add form's rules)."""
    psm, record = _correctable_record(request, pk, kind, record_pk)
    if record is None:
        return _gone(request, psm)
    form_class, _service, title = RECORD_KINDS[kind]
    form = form_class(request.POST or None, request.FILES or None, instance=record)
    reason_form = forms.RecordCorrectionForm(request.POST or None)
    refusal = None
    # Both checked, and the entry's own rules with a reason missing too, so that a missing
    # reason and a wrong date (or an overlapping IPSM post) are said at once; nothing is saved
    # without the reason.
    reason_given = reason_form.is_valid()
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form._meta.fields}
        try:
            changed = services.record_update(
                psm=psm,
                kind=kind,
                record_pk=record.pk,
                data=data,
                alasan=reason_form.cleaned_data["alasan_perbaikan"] if reason_given else "",
                by=request.user,
                expected_version=_shown_version(request),
            )
        except ValidationError as exc:
            if reason_given or getattr(exc, "code", None) != "no_reason":  # not said twice
                form.add_error(None, exc)
            refusal = exc
        else:
            if changed:
                messages.success(request, _("Data %(judul)s diperbaiki.") % {"judul": title})
            else:  # the reason typed is not kept either: nothing was corrected
                messages.info(
                    request,
                    _("Tidak ada yang berubah pada data %(judul)s; tidak ada yang dicatat.")
                    % {"judul": title},
                )
            return redirect("registry:psm-detail", pk=psm.pk)
    return _record_page(
        request,
        psm,
        kind,
        record,
        form,
        reason_form,
        forms.RecordRemoveForm(),
        _shown_version(request, refusal),
    )


@require_POST
def psm_record_remove(request, pk, kind, record_pk):
    psm, record = _correctable_record(request, pk, kind, record_pk)
    if record is None:
        return _gone(request, psm)
    _form_class, _service, title = RECORD_KINDS[kind]
    remove_form = forms.RecordRemoveForm(request.POST)
    refusal = None
    if remove_form.is_valid():
        try:
            services.record_remove(
                psm=psm,
                kind=kind,
                record_pk=record.pk,
                alasan=remove_form.cleaned_data["alasan"],
                by=request.user,
                expected_version=_shown_version(request),
            )
        except ValidationError as exc:
            remove_form.add_error(None, exc)
            refusal = exc
        else:
            messages.success(request, _("Data %(judul)s dihapus.") % {"judul": title})
            return redirect("registry:psm-detail", pk=psm.pk)
    form = RECORD_KINDS[kind][0](instance=record)
    reason_form = forms.RecordCorrectionForm()
    return _record_page(
        request, psm, kind, record, form, reason_form, remove_form, _shown_version(request, refusal)
    )


@require_GET
def coverage(request):
    require(request.user, Perm.COVERAGE_VIEW)
    code = request.GET.get("wilayah", "")
    context = selectors.coverage(request.user, code or None)
    if code and (context["node"] is None or context["node"].kode != code):
        messages.error(request, selectors.COVERAGE_NODE_UNKNOWN)  # the whole scope instead
    return render(request, "registry/coverage.html", context)


@require_GET
def psm_photo(request, pk):
    """The profile photo, to whoever may open the profile. Uploaded files are served only
    through views like this one: MEDIA_ROOT also holds exports with whole NIKs."""
    psm = get_psm_for_user(request.user, pk)
    if not psm.foto:
        raise Http404
    response = FileResponse(psm.foto.open("rb"))  # an ImageField: the type from its checked name
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def sk_document(request, pk, sk_pk):
    """An SK's scanned PDF (stored under a generated .pdf name, checked by content on upload)."""
    psm = get_psm_for_user(request.user, pk)
    sk = psm.sk_set.exclude(dokumen="").filter(pk=sk_pk).first()
    if sk is None:
        raise Http404
    response = FileResponse(
        sk.dokumen.open("rb"), content_type="application/pdf", filename=f"sk-{sk.pk}.pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def psm_card(request, pk):
    psm = get_psm_for_user(request.user, pk, perm=Perm.PSM_CARD)
    if refusal := services.card_refusal(psm):
        messages.error(request, refusal)
        return redirect("registry:psm-detail", pk=psm.pk)
    office = current_office()
    verify_url = public_url(reverse("registry:psm-verify", args=[psm.kode_verifikasi]))
    pdf = render_pdf(
        "pdf/psm_card.html",
        {
            "psm": psm,
            "nik_masked": mask_nik(psm.nik),
            "qr": qr_svg_data_uri(verify_url),
            "kantor_pemerintah": office.pemerintah if office else "",
            "kantor_nama": office.nama if office else "",  # else the card's "Dinas Sosial"
            "tanggal_cetak": indonesian_date(timezone.localdate()),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="kartu-psm-{psm.pk}.pdf"'
    return response


@login_not_required
@require_GET
def psm_verify(request, kode):
    """Public page behind the card's QR code: name, status and desa, nothing else."""
    psm = Psm.objects.select_related("desa_tugas").filter(kode_verifikasi=kode).first()
    return render(request, "registry/psm_verify.html", {"psm": psm}, status=200 if psm else 404)
