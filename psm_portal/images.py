"""Uploaded photos, whatever app takes them: decoded by content (never by the file name), turned
upright, shrunk and re-encoded as JPEG, with EXIF (and so the GPS location) dropped unless the
office keeps it; and deleted again when the write that stored them fails (any stored file:
photos, SK scans, referral proofs), or once a committed change replaced them."""

import io
import warnings
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import FileField
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_SIDE = 1600
# More than any phone camera's photo that fits the upload limit. Checked from the header, before
# anything is decoded: a small PNG of one colour can declare 12,000 x 12,000 pixels, which Pillow
# only warns about, and decoding it would take over a gigabyte.
MAX_PHOTO_PIXELS = 64_000_000


def normalised_jpeg(upload, *, keep_location: bool = False, max_side: int = MAX_PHOTO_SIDE):
    """Return ``(jpeg_bytes, width, height)`` for an uploaded image, or raise a ValidationError
    naming the file when it is not an image Pillow can read."""
    name = getattr(upload, "name", "")
    too_big = ValidationError(
        _("%(nama)s terlalu besar: paling banyak %(juta)d juta piksel.")
        % {"nama": name, "juta": MAX_PHOTO_PIXELS // 10**6}
    )
    try:
        with warnings.catch_warnings():  # Pillow only warns between 89 and 179 million pixels
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
        if image.width * image.height > MAX_PHOTO_PIXELS:
            raise too_big
        image.draft("RGB", (max_side, max_side))  # a JPEG decodes at a fraction of its size
        image.load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise too_big from None
    except (UnidentifiedImageError, OSError, ValueError):
        unreadable = _("%(nama)s bukan gambar yang dapat dibaca.") % {"nama": name}
        raise ValidationError(unreadable) from None
    upright = ImageOps.exif_transpose(image)
    # Read after turning upright: the orientation tag is gone from this copy, so a viewer does
    # not turn the already upright pixels a second time.
    exif = upright.info.get("exif") if keep_location else None
    image = upright.convert("RGB")
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    try:
        image.save(out, "JPEG", quality=82, optimize=True, **({"exif": exif} if exif else {}))
    except ValueError:  # "EXIF data is too long" (over 64 KB): kept without it
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue(), image.width, image.height


_enclosing: ContextVar[list | None] = ContextVar("files_removed_on_failure", default=None)


@contextmanager
def files_removed_on_failure():
    """A list for the files a write stores; should the write fail, they are deleted. A
    rolled-back row does not take its file with it, and a photo left behind holds a person's
    picture that nothing lists or prunes.

    Nested in another (a service inside the outbox's once-only transaction), the files written
    are handed to the enclosing one when this part succeeds: its transaction may still fail
    and roll their rows back."""
    written = []
    enclosing = _enclosing.get()
    token = _enclosing.set(written)
    try:
        yield written
    except BaseException:
        for berkas in written:
            berkas.delete(save=False)
        raise
    finally:
        _enclosing.reset(token)
    if enclosing is not None:
        enclosing.extend(written)


def store_new_files(obj, written: list) -> None:
    """Store the files newly given to ``obj`` now, as its save() would, and add them to
    ``written`` (``files_removed_on_failure``): a row rolled back later, by a statement after
    it or by the COMMIT, does not take its file along."""
    for field in obj._meta.fields:
        if isinstance(field, FileField):
            berkas = getattr(obj, field.attname)
            if berkas and not berkas._committed:  # what save() would store; a kept file is not
                berkas.save(berkas.name, berkas.file, save=False)
                written.append(berkas)


def delete_replaced(berkas, old_name: str) -> None:
    """Once the transaction commits, delete the file ``berkas`` held as ``old_name`` before it
    was replaced or cleared: no row lists it any more."""
    if old_name and berkas.name != old_name:
        storage = berkas.storage
        transaction.on_commit(lambda: storage.delete(old_name))
