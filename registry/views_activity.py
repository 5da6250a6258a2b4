"""Activity pages: a PSM records what they did (on a phone, also from the offline outbox); staff
verify it. Verified activities feed the performance indicators (reports)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psm_portal.access import Perm, has_permission
from psm_portal.offline import (
    form_errors_json,
    is_offline_submission,
    offline_capable,
    offline_page,
)
from psm_portal.paging import CachedCountPaginator
from registry import forms, services
from registry.access import activities_visible_to, get_activity_for_user, require
from registry.models import JenisKegiatan, Psm, StatusKegiatan

PAGE_SIZE = 30


@require_GET
@offline_page  # the activity form's way back ("Kegiatan saya"), opened in the field too
def activity_list(request):
    require(request.user, Perm.ACTIVITY_VIEW)
    rows = activities_visible_to(request.user).select_related("psm", "desa")
    status = request.GET.get("status", "")
    if status in StatusKegiatan.values:
        rows = rows.filter(status=status)
    jenis = request.GET.get("jenis", "")
    if jenis in JenisKegiatan.values:
        rows = rows.filter(jenis=jenis)
    page = CachedCountPaginator(rows.order_by("-tanggal", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "registry/activity_list.html",
        {
            "page": page,
            "status": status,
            "jenis": jenis,
            "statuses": StatusKegiatan.choices,
            "jenis_choices": JenisKegiatan.choices,
            # Recording is a PSM's own: an administrator holds every permission, but has no
            # activities of their own (the list read "Kegiatan saya" without names for them).
            "can_record": has_permission(request.user, Perm.ACTIVITY_RECORD)
            and bool(request.user.psm_id),
        },
    )


@require_http_methods(["GET", "POST"])
@offline_capable
def activity_create(request):
    require(request.user, Perm.ACTIVITY_RECORD)
    psm = Psm.objects.select_related("desa_tugas").filter(pk=request.user.psm_id).first()
    if psm is None:
        raise PermissionDenied
    form = forms.KegiatanForm(request.POST or None, request.FILES or None, psm=psm)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            kegiatan, created = services.activity_record(
                psm=psm,
                data=data,
                photos=form.cleaned_data["foto"],
                client_uuid=form.cleaned_data["client_uuid"],
                by=request.user,
                today=timezone.localdate(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if created:
                messages.success(request, _("Kegiatan dicatat."))
            else:
                messages.info(request, _("Kegiatan ini sudah tercatat sebelumnya."))
            return redirect("registry:activity-detail", pk=kegiatan.pk)
    if is_offline_submission(request):
        return form_errors_json(form)
    return render(request, "registry/activity_form.html", {"form": form, "psm": psm})


@require_GET
def activity_detail(request, pk):
    kegiatan = get_activity_for_user(request.user, pk)
    can_verify = (
        has_permission(request.user, Perm.ACTIVITY_VERIFY)
        and kegiatan.status == StatusKegiatan.DICATAT
    )
    return render(
        request,
        "registry/activity_detail.html",
        {
            "kegiatan": kegiatan,
            "photos": kegiatan.foto_set.order_by("pk"),
            "verify_form": forms.KegiatanVerifyForm() if can_verify else None,
        },
    )


@require_POST
def activity_verify(request, pk):
    kegiatan = get_activity_for_user(request.user, pk, perm=Perm.ACTIVITY_VERIFY)
    form = forms.KegiatanVerifyForm(request.POST)
    if form.is_valid():
        try:
            services.activity_verify(
                kegiatan=kegiatan,
                approve=form.cleaned_data["keputusan"] == "terima",
                note=form.cleaned_data["catatan"],
                by=request.user,
            )
        except ValidationError as exc:
            if not (hasattr(exc, "error_dict") and "catatan_verifikasi" in exc.error_dict):
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("registry:activity-detail", pk=kegiatan.pk)
            # A rejection without a reason: said on the note's field, the choice kept.
            form.add_error("catatan", exc.error_dict["catatan_verifikasi"])
        else:
            messages.success(request, _("Keputusan verifikasi disimpan."))
            return redirect("registry:activity-detail", pk=kegiatan.pk)
    return render(
        request,
        "registry/activity_detail.html",
        {"kegiatan": kegiatan, "photos": kegiatan.foto_set.order_by("pk"), "verify_form": form},
        status=400,
    )


@require_GET
def activity_photo(request, pk, photo_pk):
    kegiatan = get_activity_for_user(request.user, pk)
    photo = kegiatan.foto_set.filter(pk=photo_pk).first()
    if photo is None:
        raise Http404
    response = FileResponse(photo.berkas.open("rb"), content_type="image/jpeg")
    # as the PSM's photo and SK: faces of residents, kept by no shared cache or browser history
    response["Cache-Control"] = "private, no-store"
    return response
