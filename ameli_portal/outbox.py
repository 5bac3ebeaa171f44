"""Enqueue jobs after commit, through an outbox, so that nothing is lost.

``enqueue`` writes an :class:`OutboxJob` row in the caller's transaction and
publishes it once that transaction commits. A broker outage at that moment
only leaves the row pending: ``relay_pending`` (run by beat) publishes it later.
"""

import logging
from datetime import timedelta

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import OutboxJob

logger = logging.getLogger(__name__)


def enqueue(task, *args, **kwargs) -> OutboxJob:
    """Record ``task(*args, **kwargs)`` and publish it after the current transaction."""
    name = task if isinstance(task, str) else task.name
    job = OutboxJob.objects.create(task_name=name, args=list(args), kwargs=kwargs)
    # robust: a job that fails in-process (embedded default) is logged, not raised
    # into the request that committed.
    job_id = job.pk
    transaction.on_commit(lambda: publish(job_id), robust=True)
    return job


def publish(job_id) -> bool:
    """Hand one pending job to the broker; return whether it was accepted."""
    job = OutboxJob.objects.filter(pk=job_id, published_at__isnull=True).first()
    if job is None:
        return False
    task = current_app.tasks[job.task_name]
    if task.app.conf.task_always_eager:
        # No broker: the job runs here and now; its own failures are not publish faults.
        OutboxJob.objects.filter(pk=job.pk).update(
            published_at=timezone.now(), publish_attempts=F("publish_attempts") + 1
        )
        task.apply_async(args=job.args, kwargs=job.kwargs, task_id=str(job.pk))
        return True
    try:
        task.apply_async(args=job.args, kwargs=job.kwargs, task_id=str(job.pk))
    except Exception as exc:  # noqa: BLE001 - any broker fault leaves the row for the relay
        OutboxJob.objects.filter(pk=job.pk).update(
            publish_attempts=F("publish_attempts") + 1, last_error=type(exc).__name__
        )
        logger.warning("outbox: job %s not published (%s), the relay will retry", job.pk, exc)
        return False
    OutboxJob.objects.filter(pk=job.pk, published_at__isnull=True).update(
        published_at=timezone.now(), publish_attempts=F("publish_attempts") + 1
    )
    return True


def relay_pending(*, older_than_seconds: int = 20, limit: int = 500) -> int:
    """Publish jobs still pending after ``older_than_seconds``; return how many went."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = OutboxJob.objects.filter(published_at__isnull=True, created_at__lte=cutoff)
    sent = 0
    for job_id in pending.order_by("created_at").values_list("pk", flat=True)[:limit]:
        if not publish(job_id):
            break  # the broker is still down: try again at the next beat
        sent += 1
    return sent
