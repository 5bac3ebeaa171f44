from celery import Task

from ameli_portal.jobs import job

from . import services


class DocumentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries are over (or the fault was not transient): the insured sees "échec".
        if kwargs.get("document_id"):
            services.document_mark_failed(document_id=kwargs["document_id"], error=type(exc).__name__)


@job("attestations.render_document", base=DocumentTask)
def render_document_job(*, document_id: int) -> None:
    services.document_render(document_id=document_id)
