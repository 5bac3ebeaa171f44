"""Password rules: 8 to 128 characters, a lower-case letter, an upper-case letter and
a digit; common passwords and passwords close to the person's identity refused."""

import re
import unicodedata

from django.core.exceptions import ValidationError

MAX_LENGTH = 128


def _plain(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class CharacterClassesValidator:
    def validate(self, password, user=None):
        missing = []
        if not re.search(r"[a-zà-ÿ]", password):
            missing.append("une lettre minuscule")
        if not re.search(r"[A-ZÀ-Þ]", password):
            missing.append("une lettre majuscule")
        if not re.search(r"[0-9]", password):
            missing.append("un chiffre")
        if missing:
            raise ValidationError(
                "Le mot de passe doit contenir au moins " + ", ".join(missing) + ".",
                code="password_character_classes",
            )

    def get_help_text(self):
        return "Au moins une lettre minuscule, une lettre majuscule et un chiffre."


class MaximumLengthValidator:
    def validate(self, password, user=None):
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères.",
                code="password_too_long",
            )

    def get_help_text(self):
        return f"Au plus {MAX_LENGTH} caractères, de tout type (espaces et accents compris)."


class PersonalDataValidator:
    """Refuse a password that contains the person's name, birth date or NIR."""

    def validate(self, password, user=None):
        insured = getattr(user, "insured", None) if user is not None else None
        if insured is None:
            return
        plain = _plain(password)
        digits = re.sub(r"\D", "", password)
        words = [insured.last_name, insured.birth_name, *insured.first_names.split()]
        for word in filter(None, words):
            if len(word) >= 3 and _plain(word) in plain:
                raise ValidationError(
                    "Le mot de passe ne doit pas contenir votre nom ou votre prénom.",
                    code="password_personal_name",
                )
        born = insured.birth_date
        for form in (f"{born:%d%m%Y}", f"{born:%Y%m%d}", f"{born:%d%m%y}", f"{born:%Y}"):
            if form in digits:
                raise ValidationError(
                    "Le mot de passe ne doit pas contenir votre date ou année de naissance.",
                    code="password_personal_birth",
                )
        nir = insured.nir
        if any(nir[i : i + 6] in digits for i in range(0, len(nir) - 5)):
            raise ValidationError(
                "Le mot de passe ne doit pas contenir une partie de votre numéro de sécurité sociale.",
                code="password_personal_nir",
            )

    def get_help_text(self):
        return "Ni votre nom, ni votre date de naissance, ni votre numéro de sécurité sociale."
