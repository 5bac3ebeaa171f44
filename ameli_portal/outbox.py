"""Enqueue jobs after commit, through an outbox, so that nothing is lost.

``enqueue`` writes an :class:`OutboxJob` row in the caller's transaction and
publishes it once that transaction commits. ``relay_pending`` (run by beat every
30 s) publishes what is left to publish:

- a job the broker refused at commit (Redis down);
- a job whose next run is due after a transient fault (see ``jobs.py``);
- a job published but not done when its lease runs out (``JOB_LEASE_SECONDS``,
  longer than the tasks' time limit): its worker died, or the broker lost the
  message. A job whose row is locked is running right now and is left alone;
  a late first run finds the job done under the same lock and does nothing.
"""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Min, Q
from django.utils import timezone

from .audit import audit
from .models import OutboxJob

logger = logging.getLogger(__name__)

# A job republished again and again (a backlog longer than its lease) waits twice as
# long each time, up to this many doublings: duplicates stay few and do nothing.
MAX_LEASE_DOUBLINGS = 4


def enqueue(task, *args, **kwargs) -> OutboxJob:
    """Record ``task(*args, **kwargs)`` and publish it after the current transaction."""
    name = task if isinstance(task, str) else task.name
    job = OutboxJob.objects.create(task_name=name, args=list(args), kwargs=kwargs)
    # robust: a job that fails in-process (embedded default) is logged, not raised
    # into the request that committed.
    job_id = job.pk
    transaction.on_commit(lambda: publish(job_id), robust=True)
    return job


def _lease(now, expiries: int = 0):
    return now + timedelta(
        seconds=float(settings.JOB_LEASE_SECONDS) * 2 ** min(expiries, MAX_LEASE_DOUBLINGS)
    )


def publish(job_id) -> bool:
    """Hand one waiting job to the broker; return whether it was accepted.

    The row is claimed (published_at, lease) before the message leaves, so that a
    fast worker's own update (done, or rescheduled) always comes after ours.
    """
    now = timezone.now()
    claimed = OutboxJob.objects.filter(
        pk=job_id,
        published_at__isnull=True,
        done_at__isnull=True,
        failed_at__isnull=True,
    ).update(
        published_at=now,
        lease_until=_lease(now),
        next_attempt_at=None,
        publish_attempts=F("publish_attempts") + 1,
    )
    if not claimed:
        return False
    job = OutboxJob.objects.get(pk=job_id)
    return _send(job, unclaim=True)


def _send(job: OutboxJob, *, unclaim: bool) -> bool:
    if job.task_name not in current_app.tasks:
        # Services enqueue jobs by name and import no tasks module: outside a worker (the
        # web process), the apps' tasks modules are loaded here, once, as a worker does
        # (autodiscover_tasks(force=True): the imports only, not the worker's checks).
        current_app.autodiscover_tasks(force=True)
    task = current_app.tasks[job.task_name]
    if task.app.conf.task_always_eager:
        # No broker: the job runs here and now, as a worker would run it (its on_failure
        # too); its own failures are not publish faults (run_once recorded them on the row).
        result = task.apply(args=job.args, kwargs=job.kwargs, task_id=str(job.pk), throw=False)
        if result.failed():
            logger.error("outbox: job %s failed in-process (%s)", job.pk, type(result.result).__name__)
        return True
    try:
        task.apply_async(args=job.args, kwargs=job.kwargs, task_id=str(job.pk))
    except Exception as exc:  # noqa: BLE001 - any broker fault leaves the row for the relay
        undo = {"published_at": None, "lease_until": None} if unclaim else {}
        OutboxJob.objects.filter(pk=job.pk, done_at__isnull=True).update(
            last_error=type(exc).__name__, **undo
        )
        logger.warning("outbox: job %s not published (%s), the relay will retry", job.pk, exc)
        return False
    return True


def relay_pending(*, older_than_seconds: int = 20, limit: int = 500) -> int:
    """Publish the jobs left to publish (see the module); return how many went."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    due = OutboxJob.objects.filter(
        Q(next_attempt_at__isnull=True, created_at__lte=cutoff) | Q(next_attempt_at__lte=now),
        published_at__isnull=True,
        done_at__isnull=True,
        failed_at__isnull=True,
    )
    sent = 0
    for job_id in due.order_by("created_at").values_list("pk", flat=True)[:limit]:
        if not publish(job_id):
            if OutboxJob.objects.filter(pk=job_id, published_at__isnull=True).exists():
                return sent  # the broker is still down: try again at the next beat
            continue  # published meanwhile by someone else
        sent += 1
    return sent + relay_expired_leases(limit=limit - sent)


def relay_expired_leases(*, limit: int = 500) -> int:
    """Publish again the jobs whose lease ran out, unless they are running right now."""
    if limit <= 0:
        return 0
    sent = 0
    expired = OutboxJob.objects.filter(
        published_at__isnull=False,
        done_at__isnull=True,
        failed_at__isnull=True,
        lease_until__lte=timezone.now(),
    ).order_by("lease_until")
    for job_id in expired.values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # A running job holds its row's lock (jobs.run_once) for the whole run.
            job = expired.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None:
                continue
            now = timezone.now()
            OutboxJob.objects.filter(pk=job.pk).update(
                lease_until=_lease(now, job.lease_expiries + 1),
                lease_expiries=F("lease_expiries") + 1,
                publish_attempts=F("publish_attempts") + 1,
            )
            logger.warning(
                "outbox: job %s (%s) not done within its lease, published again", job.pk, job.task_name
            )
            if not _send(job, unclaim=False):
                return sent
        sent += 1
    return sent


def outbox_job_relaunch(*, job: OutboxJob, actor) -> bool:
    """Staff: run a failed job again, with a fresh set of attempts; return whether it was failed.

    A task may define ``before_relaunch(kwargs)`` to reopen what its failure closed (a
    document marked « Échec » goes back to « En préparation »).
    """
    with transaction.atomic():
        locked = (
            OutboxJob.objects.select_for_update()
            .filter(pk=job.pk, failed_at__isnull=False, done_at__isnull=True)
            .first()
        )
        if locked is None:
            return False
        OutboxJob.objects.filter(pk=job.pk).update(
            failed_at=None,
            published_at=None,
            next_attempt_at=None,
            lease_until=None,
            run_attempts=0,
            lease_expiries=0,
        )
        task = current_app.tasks.get(locked.task_name)
        hook = getattr(task, "before_relaunch", None)
        if hook is not None:
            hook(locked.kwargs)
        audit(
            actor=actor,
            action="job_relaunch",
            obj=locked,
            summary=f"{locked.task_name} après {locked.run_attempts} essai(s) : {locked.last_error}",
        )
        transaction.on_commit(lambda: publish(locked.pk), robust=True)
    job.refresh_from_db()
    return True


def outbox_overview(*, with_done: bool = False) -> dict:
    """Figures of the operations page and of /readyz: no argument of any job, no person.

    Only the jobs not done are counted (a partial index holds them): the done ones are
    most of the table.
    """
    now = timezone.now()
    open_jobs = OutboxJob.objects.filter(done_at__isnull=True)
    figures = open_jobs.aggregate(
        oldest=Min("created_at", filter=Q(failed_at__isnull=True)),
        **{
            state: Count("pk", filter=OutboxJob.state_q(state))
            for state in OutboxJob.State.values
            if state != OutboxJob.State.DONE
        },
    )
    oldest = figures.pop("oldest")
    overview = {
        "counts": figures,
        "oldest_waiting_seconds": int((now - oldest).total_seconds()) if oldest else None,
    }
    if with_done:
        overview["done_last_24h"] = OutboxJob.objects.filter(
            created_at__gte=now - timedelta(days=1), done_at__isnull=False
        ).count()
    return overview
