"""Upload checks by content, not by name: size first, then what the bytes really are."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def validate_size(upload, limit: int | None = None) -> None:
    limit = limit or settings.PSM_MAX_UPLOAD_BYTES
    if upload and upload.size > limit:
        raise ValidationError(
            _("Berkas terlalu besar (%(size)s). Batasnya %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )


def validate_pdf(upload) -> None:
    """An SK document must really be a PDF: check the magic bytes, not the file name."""
    validate_size(upload)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise ValidationError(_("Dokumen harus berupa berkas PDF."))


class LimitedImageField(forms.ImageField):
    """An image field that refuses an oversized upload before Pillow ever parses it."""

    def to_python(self, data):
        if data and getattr(data, "size", 0):
            validate_size(data)
        return super().to_python(data)


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once; each checked for size here and decoded as an image by the
    service (the name and the declared type prove nothing)."""

    widget = MultipleImageInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        for upload in files:
            validate_size(upload)
        return files
