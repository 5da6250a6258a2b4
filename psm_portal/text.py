"""Text rules shared by forms, imports and comparisons."""

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible, and one left
# open in a name or an address reverses the text the portal writes after it on the same line
# ("Trojan Source"; an address showed its own desa and kecamatan backwards). Indonesian names
# and addresses never need them; the marks LRM and RLM, which reorder nothing, stay.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def grouped(number: int) -> str:
    """A whole number as Indonesian writes it, thousands grouped by dots: 1.500.000."""
    return f"{number:,}".replace(",", ".")
