"""Form and model fields for the register's identifiers: NIR and IBAN."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .nir import NirError, parse_nir

NIR_PATTERN = r"^[1-478][0-9]{4}([0-9]{2}|2A|2B)[0-9]{6}$"


class NirFormField(forms.CharField):
    """Accepts 13 or 15 characters with spaces; cleans to the 13-character NIR."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("help_text", "13 caractères, ou 15 avec la clé ; les espaces sont acceptés.")
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return parse_nir(value).number
        except NirError as exc:
            raise ValidationError(exc.message, code=f"nir_{exc.code}") from None


class _FixedLengthField(models.CharField):
    """A CharField whose length and form field belong to the identifier it holds."""

    length: int
    form_class: type[forms.Field]

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = self.length
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": self.form_class, **kwargs})


class NirField(_FixedLengthField):
    """The 13 characters of a NIR (the key is derived, never stored apart)."""

    length = 13
    form_class = NirFormField


def clean_iban(value: str) -> str:
    """Return the compact IBAN or raise a French ValidationError (RIB key checked)."""
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    compact = "".join(str(value).split()).upper()
    try:
        return IBAN(compact, validate_bban=True).compact
    except SchwiftyException:
        raise ValidationError(
            "Cet IBAN n'est pas valide : vérifiez chaque caractère (clé IBAN et clé RIB).",
            code="iban",
        ) from None


class IbanFormField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 42)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return clean_iban(value)


class IbanField(_FixedLengthField):
    length = 34
    form_class = IbanFormField


def mask_iban(iban: str) -> str:
    if not iban:
        return ""
    return f"{iban[:4]} •••• •••• {iban[-4:]}"
