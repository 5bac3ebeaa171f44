from celery import Task

from ameli_portal.jobs import job

from . import mailroom


class LetterTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries are over (or the fault was not transient): show it in the mailroom.
        if kwargs.get("letter_id"):
            mailroom.letter_mark_failed(letter_id=kwargs["letter_id"])


@job("accounts.render_code_letter", base=LetterTask)
def render_code_letter_job(*, letter_id: int) -> None:
    mailroom.letter_render(letter_id=letter_id)
