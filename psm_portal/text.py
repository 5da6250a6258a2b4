"""Text rules shared by forms, imports and comparisons."""

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible, and one left
# open in a name or an address reverses the text the portal writes after it on the same line
# ("Trojan Source"; an address showed its own desa and kecamatan backwards). Indonesian names
# and addresses never need them; the marks LRM and RLM, which reorder nothing, stay.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def grouped(number: int) -> str:
    """A whole number as Indonesian writes it, thousands grouped by dots: 1.500.000."""
    return f"{number:,}".replace(",", ".")


# A telephone number as people write it: digits, with +62, spaces, dots, dashes or brackets
# between them ("0812-3456-7890", "+62 812 3456 7890", "(0293) 362 123").
_PHONE_CHARACTERS = set("0123456789+ -.()")


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a telephone number, or None (empty is for the field to allow)."""
    from django.utils.translation import gettext as _

    if not value:
        return None
    digits = sum(c.isascii() and c.isdigit() for c in value)
    if set(value) - _PHONE_CHARACTERS or "+" in value[1:] or not 8 <= digits <= 15:
        return _(
            "Nomor telepon ditulis dengan angka (boleh diawali +62, dipisah spasi atau tanda "
            "hubung), 8 sampai 15 digit."
        )
    return None
