from datetime import date, timedelta

from celery import Task, shared_task
from django.utils import timezone

from accounts.models import Insured
from ameli_portal.jobs import job

from . import services


class DocumentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries are over (or the fault was not transient): the insured sees "échec".
        if kwargs.get("document_id"):
            services.document_mark_failed(document_id=kwargs["document_id"], error=type(exc).__name__)

    def before_relaunch(self, kwargs):
        # Staff relaunch the failed job (operations page): the document is pending again.
        if kwargs.get("document_id"):
            services.document_reopen(document_id=kwargs["document_id"])


@job(services.RENDER_TASK, base=DocumentTask)
def render_document_job(*, document_id: int) -> None:
    services.document_render(document_id=document_id)


@shared_task(name="attestations.monthly_statements", ignore_result=True)
def monthly_statements(month: str | None = None) -> int:
    """Beat, on the 1st: the previous month's relevés, in batch jobs. Running it twice for the
    same month prepares nothing twice (MonthlyStatement is unique per insured and month)."""
    if month is None:
        day = timezone.localdate().replace(day=1) - timedelta(days=1)
    else:
        day = date.fromisoformat(month)
    return services.monthly_statements_plan(month=day)


@job(services.MONTHLY_BATCH_TASK)
def monthly_statements_batch_job(*, month: str, insured_ids: list[int]) -> int:
    day = date.fromisoformat(month)
    prepared = 0
    for insured in Insured.objects.filter(pk__in=insured_ids).order_by("pk"):
        prepared += services.monthly_statement_prepare(insured=insured, month=day) is not None
    return prepared
