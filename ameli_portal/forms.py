"""Form fields shared by every app.

:class:`FrenchAmountField` is the one field for money a person types, in the insured
portal and in the back office (``ameli_portal.apps`` makes it the admin's field for every
model ``DecimalField``). It takes amounts the way French people write them:
« 1 250,00 », « 1250 € », « 1 250,5 », « 1250.00 », « 1.250,00 », with the no-break
(U+00A0) and narrow no-break (U+202F) spaces that copying an amount from a page brings.
tests/test_amount_fields.py checks every form of the project that has one.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

# Every kind of space, the apostrophe some write between thousands (1'250), the euro sign.
_NOISE = re.compile(r"[\s\u00a0\u202f\u2009'’]+|€|EUR|euros?", re.IGNORECASE)
_PLAIN = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")

INVALID = "Indiquez un montant en euros avec des chiffres, par exemple 1 250,00 ou 30,50."


def parse_french_amount(text: str) -> str:
    """« 1 250,00 € » -> "1250.00": the text Decimal reads, or the text unchanged when it is
    not an amount (the field then says so).

    With both a comma and a dot, the last one separates the cents (« 1.250,00 », « 1,250.00 »).
    """
    value = _NOISE.sub("", text)
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        value = value.replace(thousands, "").replace(decimal_mark, ".")
    if not _PLAIN.match(value):
        return text
    return value.replace(",", ".")


class FrenchAmountField(forms.DecimalField):
    """A Decimal typed the French way; shown back with a decimal comma (« 1250,00 »)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": INVALID}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("localize", True)  # displays "1250,00", never "1250.00"
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        attrs.setdefault("autocomplete", "off")
        return attrs

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = parse_french_amount(str(value).strip())
        if not _PLAIN.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover (the pattern only lets numbers through)
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


__all__ = ["INVALID", "FrenchAmountField", "parse_french_amount"]
