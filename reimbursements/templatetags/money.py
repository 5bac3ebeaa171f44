"""Amounts and rates in templates: the filters of ameli_portal.formats ("1 234,56 €", "65 %")."""

from django import template

from ameli_portal.formats import amount_text, euros, percent  # noqa: F401 - amount_text: older imports

register = template.Library()
register.filter("euros", euros)
register.filter("percent", percent)
