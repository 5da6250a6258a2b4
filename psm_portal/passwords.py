"""Password rules beyond Django's, and its password change form with its refusals where they
belong.

Django's ``UserAttributeSimilarityValidator`` compares the whole password with each attribute:
"psm12345" is 55 % like the login name "psm" and passed its 70 %. A password that holds the login
name, the telephone number, or the person's name is the first thing anyone who knows them would
try, on a phone shared in a family or at the balai desa.
"""

import re

from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# A part this short or shorter is refused only as a word of its own ("kebun-SRI-9"), not inside
# another word ("Sriwijaya", "tanaman" for Ani): Sri, Ani, Ida, Tri, Eka, Nur are in too many
# words. Shorter than MIN_PART, nothing is refused.
WORD_ONLY_UP_TO = 4
MIN_PART = 3
_WORDS = re.compile(r"[^\W_]+")


def _word(part: str) -> re.Pattern:
    """``part`` not touching another letter on either side (a digit or a sign may)."""
    return re.compile(rf"(?<![^\W\d_]){re.escape(part)}(?![^\W\d_])")


# A telephone number's digits from MIN_PHONE on ("0812-3456-7001", "+62 812 3456 7001", two
# numbers with "/"), with Indonesia's +62 read as the 0 it stands for.
MIN_PHONE = 8
_NUMBERS = re.compile(r"(?:\+?\d[\d\s().-]*)")


def _phone_digits(stored: str) -> list[str]:
    numbers = []
    for number in _NUMBERS.findall(stored or ""):
        digits = re.sub(r"\D", "", number)
        if digits.startswith("62"):
            digits = "0" + digits[2:]
        if len(digits) >= MIN_PHONE:
            numbers.append(digits)
    return numbers


def _holds_user_part(typed: str, user) -> bool:
    psm = user.psm if getattr(user, "psm_id", None) else None
    login = user.get_username().casefold()
    if len(login) >= MIN_PART and login in typed:
        return True
    typed_digits = re.sub(r"\D", "", typed)
    phones = _phone_digits(psm.telepon) if psm else []
    if any(number in typed_digits or number[1:] in typed_digits for number in phones):
        return True
    named = [
        user.get_username(),
        user.first_name,
        user.last_name,
        (user.email or "").partition("@")[0],
        psm.nama if psm else "",
    ]
    for value in named:  # a name of short words typed as one ("NiLuhAyu2026" for Ni Luh Ayu)
        joined = "".join(_WORDS.findall((value or "").casefold()))
        if len(joined) > WORD_ONLY_UP_TO and joined in typed:
            return True
    for part in _WORDS.findall(" ".join(named).casefold()):
        if len(part) > WORD_ONLY_UP_TO and part in typed:
            return True
        if MIN_PART <= len(part) <= WORD_ONLY_UP_TO and _word(part).search(typed):
            return True
    return False


class ContainsUserPartValidator:
    """Refuses a password that contains the login name or the PSM's telephone number (its
    digits, with or without the leading 0), or a name of the account's or PSM's, or a word of
    one, or of the e-mail address before its "@"."""

    def validate(self, password, user=None):
        if user is not None and _holds_user_part(password.casefold(), user):
            raise ValidationError(self.get_help_text(), code="password_contains_user_part")

    def get_help_text(self):
        return _(
            "Sandi tidak boleh memuat nama pengguna, nama, nomor telepon, atau bagian alamat "
            "pos-el sebelum @ Anda."
        )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with the password rules' refusals under "Sandi baru", where the password is
    typed (Django shows them under the confirmation, which only has to match it)."""

    def validate_password_for_user(self, user, password_field_name=None):
        super().validate_password_for_user(user, "new_password1")
