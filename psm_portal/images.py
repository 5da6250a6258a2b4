"""Uploaded photos, whatever app takes them: decoded by content (never by the file name), turned
upright, shrunk and re-encoded as JPEG, with EXIF (and so the GPS location) dropped unless the
office keeps it."""

import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_SIDE = 1600


def normalised_jpeg(upload, *, keep_location: bool = False, max_side: int = MAX_PHOTO_SIDE):
    """Return ``(jpeg_bytes, width, height)`` for an uploaded image, or raise a ValidationError
    naming the file when it is not an image Pillow can read."""
    try:
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationError(
            _("%(nama)s bukan gambar yang dapat dibaca.") % {"nama": getattr(upload, "name", "")}
        ) from None
    exif = image.info.get("exif") if keep_location else None
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True, **({"exif": exif} if exif else {}))
    return out.getvalue(), image.width, image.height
