"""The payment run, daily from beat, and on demand through the outbox."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from ameli_portal.jobs import job

from .services.payments import payments_run


@shared_task(name="reimbursements.daily_payment_run", ignore_result=True)
def daily_payment_run() -> int:
    """Beat publishes this directly (no outbox row); running it twice pays nothing twice."""
    return len(payments_run(day=timezone.localdate()))


@job("reimbursements.payment_run")
def payment_run_job(day: str) -> int:
    """An extra run asked for by staff (``enqueue(payment_run_job, day="2026-03-13")``)."""
    return len(payments_run(day=date.fromisoformat(day)))


# Registered with the worker: imports of uploaded files (import_runs.py).
from .services.import_runs import import_run_job  # noqa: E402,F401
