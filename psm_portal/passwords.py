"""Password rules beyond Django's, and its password change form with its refusals where they
belong.

Django's ``UserAttributeSimilarityValidator`` compares the whole password with each attribute:
"psm12345" is 55 % like the login name "psm" and passed its 70 %. A password that holds the login
name, a part of the person's name or of their e-mail address is the first thing anyone who knows
them would try, on a phone shared in a family or at the balai desa.
"""

import re

from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Shorter parts ("a", "ii") are in too many passwords to refuse them.
MIN_PART = 3


class ContainsUserPartValidator:
    """Refuses a password that contains the login name, or a word of the account's name or of
    its e-mail address's local part (three characters or more, any case)."""

    def validate(self, password, user=None):
        if user is None:
            return
        typed = password.casefold()
        email = (getattr(user, "email", "") or "").partition("@")[0]
        values = (user.get_username(), user.first_name, user.last_name, email)
        parts = {
            part.casefold()
            for value in values
            for part in [value, *re.split(r"[\W_]+", value or "")]
            if part and len(part) >= MIN_PART
        }
        if any(part in typed for part in parts):
            raise ValidationError(
                _("Sandi tidak boleh memuat nama login, nama, atau alamat pos-el Anda."),
                code="password_contains_user_part",
            )

    def get_help_text(self):
        return _("Sandi tidak boleh memuat nama login, nama, atau alamat pos-el Anda.")


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with the password rules' refusals under "Sandi baru", where the password is
    typed (Django shows them under the confirmation, which only has to match it)."""

    def validate_password_for_user(self, user, password_field_name=None):
        super().validate_password_for_user(user, "new_password1")
