"""What people read, written one way everywhere: amounts, rates, dates, first names.

Amounts and rates as French readers expect them ("1 234,56 €", "65 %"): spaces follow
French typography as CLDR writes it, a narrow no-break space (U+202F) between groups of
thousands, a no-break space (U+00A0) before the euro and percent signs, so that an amount
never breaks across lines. The templates use the same functions as filters (``money``).
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, translation

THOUSANDS = "\u202f"
NBSP = "\u00a0"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def amount_text(value) -> str:
    """Decimal euros -> "1 234,56" (no sign: for texts that write « € » themselves)."""
    amount = _decimal(value)
    if amount is None:
        return ""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):.2f}".split(".")
    groups = f"{int(units):,}".replace(",", THOUSANDS)
    return f"{sign}{groups},{cents}"


def euros(value) -> str:
    """Decimal euros -> "1 234,56 €"; anything that is not a number -> ""."""
    text = amount_text(value)
    return f"{text}{NBSP}€" if text else ""


def percent(value) -> str:
    """A rate as a fraction (Decimal("0.65")) -> "65 %"; "12,5 %" when not whole."""
    rate = _decimal(value)
    if rate is None:
        return ""
    number = (rate * 100).normalize()
    text = f"{number:f}".replace(".", ",")
    return f"{text}{NBSP}%"


def french_date(day: date) -> str:
    """A date as a letter writes it: "1er mars 2026", "14 juillet 2026"."""
    with translation.override("fr"):
        text = formats.date_format(day, "j F Y")
    return f"1er{text[1:]}" if day.day == 1 else text


def first_name(first_names: str) -> str:
    """The first of a person's first names ("Marie" for "Marie Claire"); "" when there is none
    (a register row may have no first name: a letter then says "Bonjour," alone)."""
    names = (first_names or "").split()
    return names[0] if names else ""
