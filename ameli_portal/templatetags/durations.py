"""Durations as the portal writes them: « 30 jours », never Django's « 4 semaines, 2 jours »."""

from datetime import datetime, timedelta

from django import template

register = template.Library()


def french_days(delta: timedelta) -> str:
    """A length of time in whole days, rounded to the nearest: « 1 jour », « 30 jours »."""
    days = max(round(delta.total_seconds() / 86400), 0)
    return f"{days}\u00a0jour{'s' if days > 1 else ''}"


@register.filter
def days_until(until: datetime | None, start: datetime | None) -> str:
    """``{{ until|days_until:start }}`` -> « 30 jours » ("" when either is missing)."""
    if until is None or start is None:
        return ""
    return french_days(until - start)
