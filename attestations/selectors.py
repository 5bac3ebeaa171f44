"""Reads about documents that pages, jobs and benches share (no write here); what a
document says is built in content.py, its lifecycle is in services.py."""

from datetime import date, timedelta

from django.utils import timezone

from reimbursements.models import Settlement

from .models import Document


def code_letter_is_live(document: Document) -> bool:
    """Whether the code a letter carries can still open an account: not used, not replaced
    by a newer letter, not expired, and the letter not withdrawn from the print run."""
    letter = document.letter
    if letter is None:
        return False
    code = letter.provisional_code
    return (
        code is not None
        and code.used_at is None
        and code.voided_at is None
        and code.expires_at > timezone.now()
        and letter.status not in (letter.Status.FAILED, letter.Status.CANCELLED)
    )


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def monthly_statement_owners(month: date) -> list[int]:
    """Insured people with an act paid in ``month`` (to them, or to a professional for them)."""
    start, end = month_bounds(month)
    return list(
        Settlement.objects.filter(payment__paid_on__range=(start, end))
        .order_by("insured_id")
        .values_list("insured_id", flat=True)
        .distinct()
    )
