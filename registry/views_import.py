"""Roster import pages: upload -> preview (nothing written) -> commit (one transaction)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psm_portal.access import Perm
from psm_portal.uploads import validate_size
from registry import importer
from registry.access import require
from registry.models import ImportBatch

# Problems listed first; rows without problems are shown up to this many.
PREVIEW_OK_ROWS = 200
IMPORT_MAX_BYTES = 10 * 1024 * 1024


class UploadForm(forms.Form):
    berkas = forms.FileField(
        label=gettext_lazy("Berkas daftar PSM (XLSX atau CSV)"),
        help_text=gettext_lazy("Paling besar 10 MB. Baris pertama berisi judul kolom."),
    )

    def clean_berkas(self):
        berkas = self.cleaned_data["berkas"]
        validate_size(berkas, IMPORT_MAX_BYTES)
        return berkas


class CommitForm(forms.Form):
    nik_terdaftar = forms.ChoiceField(
        label=gettext_lazy("Untuk NIK yang sudah terdaftar"),
        choices=[
            ("lewati", gettext_lazy("Lewati (data lama tetap)")),
            ("perbarui", gettext_lazy("Perbarui dengan data dari berkas")),
        ],
        initial="lewati",
        widget=forms.RadioSelect,
    )


def _batch_for(request, pk) -> ImportBatch:
    batch = ImportBatch.objects.filter(pk=pk, dibuat_oleh=request.user).first()
    if batch is None:
        raise Http404
    return batch


@require_http_methods(["GET", "POST"])
def import_upload(request):
    require(request.user, Perm.PSM_IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["berkas"]
        try:
            batch = importer.build_preview(
                data=upload.read(),
                filename=upload.name,
                by=request.user,
                today=timezone.localdate(),
            )
        except importer.ImportFileError as exc:
            form.add_error("berkas", str(exc))
        else:
            return redirect("registry:import-preview", pk=batch.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "registry/import_upload.html", {"form": form}, status=status)


@require_GET
def import_template(request):
    require(request.user, Perm.PSM_IMPORT)
    response = HttpResponse(
        importer.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="templat-daftar-psm.xlsx"'
    return response


@require_GET
def import_preview(request, pk):
    require(request.user, Perm.PSM_IMPORT)
    batch = _batch_for(request, pk)
    # Matched at upload; shown as the user's regions stand now, which the commit checks too.
    rows, left_scope = importer.rows_in_scope_now(batch, request.user)
    problems = [r for r in rows if r["errors"] or r["warnings"]]
    problems.sort(key=lambda r: (not r["errors"], r["baris"]))
    clean = [r for r in rows if not r["errors"] and not r["warnings"]]
    existing = sum(1 for r in rows if r["aksi"] == "ada" and not r["errors"])
    error_rows = sum(1 for r in rows if r["errors"])
    return render(
        request,
        "registry/import_preview.html",
        {
            "batch": batch,
            "problems": problems,
            "clean": clean[:PREVIEW_OK_ROWS],
            "clean_hidden": max(0, len(clean) - PREVIEW_OK_ROWS),
            "error_rows": error_rows,
            "valid": len(rows) - error_rows,
            "left_scope": left_scope,
            "existing": existing,
            "new_rows": len(rows) - error_rows - existing,
            "form": CommitForm(),
        },
    )


@require_POST
def import_commit(request, pk):
    require(request.user, Perm.PSM_IMPORT)
    batch = _batch_for(request, pk)
    form = CommitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Pilih tindakan untuk NIK yang sudah terdaftar."))
        return redirect("registry:import-preview", pk=batch.pk)
    try:
        result = importer.commit_batch(
            batch=batch,
            update_existing=form.cleaned_data["nik_terdaftar"] == "perbarui",
            by=request.user,
            today=timezone.localdate(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("registry:import-preview", pk=batch.pk)
    messages.success(
        request,
        _("Impor selesai: %(baru)s PSM baru, %(diperbarui)s diperbarui, %(dilewati)s dilewati.")
        % result,
    )
    return redirect("registry:psm-list")


@require_POST
def import_cancel(request, pk):
    require(request.user, Perm.PSM_IMPORT)
    importer.cancel_batch(batch=_batch_for(request, pk), by=request.user)
    messages.info(request, _("Impor dibatalkan; tidak ada data yang disimpan."))
    return redirect("registry:import-upload")
