"""The shared formats (ameli_portal/formats.py): what a letter, a page and an email all write."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template

from ameli_portal.formats import euros, first_name, french_date, percent


@pytest.mark.parametrize(
    ("first_names", "shown"),
    [
        ("Marie Claire", "Marie"),
        ("  Jean  ", "Jean"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_the_first_name_is_the_first_of_the_first_names_and_empty_without_one(first_names, shown):
    assert first_name(first_names) == shown


def test_amounts_rates_and_dates_are_written_the_french_way():
    assert euros(Decimal("1234.5")) == "1\u202f234,50\u00a0€"
    assert euros(Decimal("-0.005")) == "-0,01\u00a0€"
    assert percent(Decimal("0.125")) == "12,5\u00a0%"
    assert french_date(date(2026, 3, 1)) == "1er mars 2026"
    assert french_date(date(2026, 7, 14)) == "14 juillet 2026"


def test_the_templates_filters_are_the_same_functions():
    rendered = Template("{% load money %}{{ a|euros }} {{ r|percent }}").render(
        Context({"a": Decimal("65"), "r": Decimal("0.65")})
    )
    assert rendered == f"{euros(Decimal('65'))} {percent(Decimal('0.65'))}"
