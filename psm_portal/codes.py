"""Codes printed on paper (certificates, PSM cards) and typed back by hand."""

import secrets

# No "-" (a line break after it reads as a hyphenation, and text extraction drops it), no "_",
# no 0/O or 1/l/I look-alikes.
READABLE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"


def readable_code(length: int = 16) -> str:
    """``length`` characters of 56 (16 -> about 93 bits): unguessable, and unambiguous in print."""
    return "".join(secrets.choice(READABLE_ALPHABET) for _ in range(length))
