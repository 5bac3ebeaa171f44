"""Celery tasks that run their body at most once per outbox job.

A task declared with :func:`job` is acknowledged late (a worker crash redelivers
it) and made idempotent: its body runs inside a transaction that locks its
outbox row and marks it done, so a retry or a redelivery of a finished job does
nothing, and a late first run waits on the lock, then finds the job done.

Retries of transient faults are scheduled from the database, not with Celery
countdowns: the broker redelivers any message held longer than its visibility
timeout (a few minutes), so a delay of hours cannot live in the broker. The job
goes back to the outbox with ``next_attempt_at`` and the relay (beat, every 30 s)
publishes it when it is due. The delays double from ``JOB_RETRY_BASE_SECONDS`` up
to ``JOB_RETRY_MAX_DELAY_SECONDS``, with up to 20 % jitter; after
``JOB_MAX_ATTEMPTS`` runs the job is failed, visible on the operations page,
where staff can relaunch it. With the defaults (30 s, 4 h, 15 runs) the last run
comes about 24 h after the first (``retry_schedule``).
"""

import logging
import random
import smtplib
import socket
from datetime import timedelta
from functools import wraps

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
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
RETRY_JITTER = 0.2


def is_transient(exc: BaseException) -> bool:
    """A fault worth trying again later: a connection, or an SMTP reply in 4xx ("try later")."""
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return False


def describe(exc: BaseException) -> str:
    """What the operations page shows: the kind of fault and an SMTP code, never a message
    (an SMTP or database message may quote an address or a value)."""
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = next(iter(exc.recipients.values()))[0]
    return f"{type(exc).__name__} {code}" if code else type(exc).__name__


def retry_delay(failures: int) -> float:
    """Seconds to wait after the ``failures``-th failed run, before jitter."""
    return min(
        float(settings.JOB_RETRY_MAX_DELAY_SECONDS),
        float(settings.JOB_RETRY_BASE_SECONDS) * 2 ** (failures - 1),
    )


def retry_schedule(max_attempts: int | None = None) -> list[float]:
    """The delays between the runs of a job that keeps failing (before jitter)."""
    runs = max_attempts or settings.JOB_MAX_ATTEMPTS
    return [retry_delay(n) for n in range(1, runs)]


def run_once(job_id, body, *, wipe_args: bool = False, max_attempts: int | None = None, on_give_up=None):
    """Run ``body()`` unless the outbox job ``job_id`` is already done (or failed).

    ``wipe_args``: the job's arguments hold a secret (a code in an email): once the
    job is done they are erased from the outbox row. ``on_give_up(exc)``: called once
    when the job fails for good (the task's ``on_failure``). The exception is not raised
    then: Celery would log it in full, and an SMTP refusal quotes the address.
    """
    tracked = False
    try:
        with transaction.atomic():
            job = OutboxJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None:
                # Not enqueued through the outbox (a direct call): nothing to guard.
                return body()
            tracked = True
            if job.done_at is not None:
                logger.info("job %s already done, redelivery ignored", job_id)
                return None
            if job.failed_at is not None:
                logger.info("job %s is failed: it runs again only when relaunched", job_id)
                return None
            result = body()
            done = {"done_at": timezone.now(), "lease_until": None, "next_attempt_at": None}
            if wipe_args:
                done.update(args=[], kwargs={})
            OutboxJob.objects.filter(pk=job_id).update(**done)
            return result
    except Exception as exc:
        if not tracked:
            raise
        if not _record_failure(job_id, exc, max_attempts or settings.JOB_MAX_ATTEMPTS):
            if on_give_up is not None:
                on_give_up(exc)
        return None


def _record_failure(job_id, exc: Exception, max_attempts: int) -> bool:
    """Schedule the next run of a job that failed, or fail it for good.

    Return True when the job will run again, False when it is failed for good.
    """
    error = describe(exc)
    now = timezone.now()
    try:
        with transaction.atomic():
            job = (
                OutboxJob.objects.select_for_update()
                .filter(pk=job_id, done_at__isnull=True, failed_at__isnull=True)
                .first()
            )
            if job is None:
                return True  # another delivery finished it meanwhile
            failures = job.run_attempts + 1
            if is_transient(exc) and failures < max_attempts:
                delay = retry_delay(failures) * (1 + random.uniform(0, RETRY_JITTER))
                OutboxJob.objects.filter(pk=job_id).update(
                    run_attempts=failures,
                    last_error=error,
                    published_at=None,
                    lease_until=None,
                    next_attempt_at=now + timedelta(seconds=delay),
                )
                logger.warning(
                    "job %s (%s): run %d of %d failed (%s), next run in %.0f s",
                    job_id,
                    job.task_name,
                    failures,
                    max_attempts,
                    error,
                    delay,
                )
                return True
            OutboxJob.objects.filter(pk=job_id).update(
                run_attempts=failures,
                last_error=error,
                failed_at=now,
                lease_until=None,
                next_attempt_at=None,
            )
    except DatabaseError:
        # The database itself is out: nothing can be recorded now. The job is still
        # published under its lease: the relay sends it again once the lease runs out.
        logger.warning(
            "job %s: failed (%s) and could not be rescheduled; its lease will bring it back", job_id, error
        )
        return True
    logger.error(
        "job %s (%s) failed for good after %d run(s): %s; it can be relaunched from the operations page",
        job_id,
        job.task_name,
        failures,
        error,
    )
    return False


def job(name: str, *, wipe_args: bool = False, max_attempts: int | None = None, **options):
    """Declare an idempotent Celery task around a thin function, retried from the outbox."""
    defaults = {"acks_late": True}
    defaults.update(options)

    def decorator(fn):
        @shared_task(bind=True, name=name, **defaults)
        @wraps(fn)
        def task(self, *args, **kwargs):
            task_id = self.request.id

            def give_up(exc):
                # What a worker does for a task that raised: the app's hook tells the insured.
                self.on_failure(exc, task_id, args, kwargs, None)

            return run_once(
                task_id,
                lambda: fn(*args, **kwargs),
                wipe_args=wipe_args,
                max_attempts=max_attempts,
                on_give_up=give_up,
            )

        return task

    return decorator
