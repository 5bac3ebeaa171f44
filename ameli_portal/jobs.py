"""Celery tasks that run their body at most once per outbox job.

A task declared with :func:`job` is retried with exponential backoff and jitter
on transient faults, acknowledged late (a worker crash redelivers it), and made
idempotent: its body runs inside a transaction that locks its outbox row and
marks it done, so a retry or a redelivery of a finished job does nothing.
"""

import logging
import smtplib
import socket
from functools import wraps

from celery import shared_task
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxJob

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (
    ConnectionError,
    TimeoutError,
    socket.timeout,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    DatabaseError,
)


def run_once(job_id, body, *, wipe_args: bool = False):
    """Run ``body()`` unless the outbox job ``job_id`` is already done.

    ``wipe_args``: the job's arguments hold a secret (a code in an email): once the
    job is done they are erased from the outbox row.
    """
    try:
        with transaction.atomic():
            job = OutboxJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None:
                # Not enqueued through the outbox (a direct call): nothing to guard.
                return body()
            if job.done_at is not None:
                logger.info("job %s already done, redelivery ignored", job_id)
                return None
            result = body()
            done = {"done_at": timezone.now()}
            if wipe_args:
                done.update(args=[], kwargs={})
            OutboxJob.objects.filter(pk=job_id).update(**done)
            return result
    except Exception as exc:
        OutboxJob.objects.filter(pk=job_id).update(
            run_attempts=F("run_attempts") + 1, last_error=type(exc).__name__
        )
        raise


def job(name: str, *, wipe_args: bool = False, **options):
    """Declare an idempotent, retried Celery task around a thin function."""
    defaults = {
        "acks_late": True,
        "autoretry_for": TRANSIENT_ERRORS,
        "retry_backoff": 2,
        "retry_backoff_max": 600,
        "retry_jitter": True,
        "max_retries": 8,
    }
    defaults.update(options)

    def decorator(fn):
        @shared_task(bind=True, name=name, **defaults)
        @wraps(fn)
        def task(self, *args, **kwargs):
            return run_once(self.request.id, lambda: fn(*args, **kwargs), wipe_args=wipe_args)

        return task

    return decorator
