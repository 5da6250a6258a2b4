"""Uploaded photos: judged by their header before anything is decoded, turned upright once."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from psm_portal.images import normalised_jpeg


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` pixels."""

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_photo_declaring_too_many_pixels_is_refused_before_decoding():
    """12,000 x 12,000 is under Pillow's bomb error (it only warns there) and would take over
    a gigabyte to decode: refused from the header, with its size in the message."""
    upload = SimpleUploadedFile("besar.png", _png_claiming(12_000, 12_000), "image/png")
    with pytest.raises(ValidationError) as refused:
        normalised_jpeg(upload)
    assert refused.value.messages == ["besar.png terlalu besar: paling banyak 64 juta piksel."]
    # Just over the portal's own limit, where Pillow says nothing: the same answer.
    upload = SimpleUploadedFile("besar.png", _png_claiming(8_001, 8_000), "image/png")
    with pytest.raises(ValidationError, match="terlalu besar"):
        normalised_jpeg(upload)


def _portrait_photo_lying_on_its_side() -> bytes:
    """40 x 20 pixels as the sensor stored them, EXIF orientation 6 (turn 90 degrees), a GPS
    position: what a phone held upright writes."""
    image = Image.new("RGB", (40, 20), "white")
    image.paste((200, 0, 0), (0, 0, 10, 20))  # a red band on the stored image's left side
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "S", 2: (7.0, 28.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize("keep_location", [False, True])
def test_a_photo_is_turned_upright_once_and_keeps_gps_only_when_asked(keep_location):
    upload = SimpleUploadedFile("hp.jpg", _portrait_photo_lying_on_its_side(), "image/jpeg")
    content, width, height = normalised_jpeg(upload, keep_location=keep_location)
    saved = Image.open(io.BytesIO(content))
    assert (width, height) == saved.size == (20, 40)  # upright pixels
    exif = saved.getexif()
    assert exif.get(0x0112, 1) == 1  # and nothing telling a viewer to turn them again
    assert bool(exif.get_ifd(0x8825)) == keep_location
