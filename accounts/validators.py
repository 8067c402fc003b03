"""Password checks in the site's plain words (AUTH_PASSWORD_VALIDATORS)."""

import re
import unicodedata

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

NAME_OR_EMAIL = "Choose a password that is not your name or email address, or close to them."


def _letters_and_digits(text: str) -> str:
    """Letters and digits only, in one form: full-width letters as plain ones, accents
    dropped ("Ｚｏë" -> "zoe"), case folded (probe: "zoeangstrom" for Zoë Ångström passed)."""
    plain = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", "", plain.casefold())


# A name or an address this long found inside a password is refused too ("Anna.Bell.2024");
# shorter ones ("Al", "Jo") are found in too many good passwords by chance.
CONTAINED_MIN = 6


class NameOrEmailValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's check that a password is not too like the person's name or email address,
    which also refuses either one written without its spaces or punctuation: Django's
    similarity let "bronwenllewellyn" and "gareth.jones" through (usability probe)."""

    def validate(self, password, user=None):
        if user is None:
            return
        written = _letters_and_digits(password)
        for attribute in self.user_attributes:
            value = getattr(user, attribute, None)
            if not value or not isinstance(value, str):
                continue
            if attribute == "email":
                value = value.rpartition("@")[0]
            value = _letters_and_digits(value)
            if written and (written == value or (len(value) >= CONTAINED_MIN and value in written)):
                raise ValidationError(NAME_OR_EMAIL, code="password_too_similar")
        super().validate(password, user)

    def get_error_message(self):
        return NAME_OR_EMAIL

    def get_help_text(self):
        return "Do not use anything close to your name or email address."


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's list of common passwords, with a message that says what to do instead."""

    def get_error_message(self):
        return (
            "This password is too common. Choose one that would be hard to guess, such as "
            "three random words."
        )

    def get_help_text(self):
        return "Do not use a common password."
