"""Text rules shared by forms, imports and comparisons."""

# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): invisible, and one left
# open in a name or an address reverses the text the portal writes after it on the same line
# ("Trojan Source"; an address showed its own desa and kecamatan backwards). Indonesian names
# and addresses never need them; the marks LRM and RLM, which reorder nothing, stay. With them
# the zero-width space, word joiner and byte-order mark (U+200B, U+2060, U+FEFF), which text
# pasted from a chat or a PDF carries: "Sri\u200bLestari" looked like "SriLestari" and matched no
# search or duplicate check. The zero-width (non-)joiners, which emoji and some scripts use, stay.
BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff")
)


def grouped(number: int) -> str:
    """A whole number as Indonesian writes it, thousands grouped by dots: 1.500.000."""
    return f"{number:,}".replace(",", ".")


# A telephone number as people write it: digits, with +62, spaces, dots, dashes or brackets
# between them ("0812-3456-7890", "+62 812 3456 7890", "(0293) 362 123"); two numbers apart by
# "/" or ",". A no-break space or hyphen pasted from a document counts as its plain self.
_PHONE_CHARACTERS = set("0123456789+ -.()")
_PHONE_LOOKALIKES = str.maketrans(
    {"\u00a0": " ", "\u2009": " ", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-"}
)
NO_PHONE = {"-", "--", "tidak ada", "tidak punya"}


def clean_phone(value: str) -> str:
    """``value`` as stored: trimmed, look-alike spaces and dashes made plain, "-" (no number)
    empty."""
    value = " ".join(value.translate(_PHONE_LOOKALIKES).split())
    return "" if value.casefold() in NO_PHONE else value


def phone_problem(value: str) -> str | None:
    """Why ``value`` (as ``clean_phone`` leaves it) is not a telephone number, or None (empty is
    for the field to allow)."""
    from django.utils.translation import gettext as _

    if not value:
        return None
    for number in value.replace(",", "/").split("/"):
        number = number.strip()
        digits = sum(c.isascii() and c.isdigit() for c in number)
        plus_inside = "+" in number.lstrip("(")[1:]  # (+62) 812 ... is how some write it
        if set(number) - _PHONE_CHARACTERS or plus_inside or not 8 <= digits <= 15:
            return _(
                "Nomor telepon ditulis dengan angka (boleh diawali +62, dipisah spasi atau "
                "tanda hubung), 8 sampai 15 digit; dua nomor dipisah garis miring."
            )
    return None


def form_phone(form, name: str) -> str:
    """A form's telephone field ``name``, as ``clean_phone`` stores it; refused only when typed
    now. A number stored before this rule, met on an edit of something else, stays for whoever
    knows the right one (an edit of a PSM's address was refused for a phone nobody touched)."""
    from django.core.exceptions import ValidationError

    value = clean_phone(form.cleaned_data[name] or "")
    if name in form.changed_data and (problem := phone_problem(value)):
        raise ValidationError(problem)
    return value
