from celery import Task, shared_task

from ameli_portal.jobs import job

from .services import codes, letters, rights
from .services.cards import health_cards_expire


class LetterTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Retries are over (or the fault was not transient): show it in the mailroom.
        if kwargs.get("letter_id"):
            letters.letter_mark_failed(letter_id=kwargs["letter_id"])


@job(codes.RENDER_CODE_LETTER_JOB, base=LetterTask)
def render_code_letter_job(*, letter_id: int) -> None:
    letters.letter_render(letter_id=letter_id)


@job(rights.WELCOME_LETTER_JOB)
def welcome_letter_job(*, insured_id: int, actor_id: int | None = None) -> None:
    from .models import User

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    rights.welcome_letter_issue(insured_id=insured_id, actor=actor)


@shared_task(name="accounts.welcome_letters_catch_up", ignore_result=True)
def welcome_letters_catch_up() -> int:
    """Beat, every night: the welcome letters no path sent (idempotent, like the job)."""
    catch_up = rights.welcome_letters_catch_up

    return catch_up()


@shared_task(name="accounts.expire_health_cards", ignore_result=True)
def expire_health_cards() -> int:
    """Beat publishes this directly (no outbox row); running it twice changes nothing more."""
    return health_cards_expire()


@job("accounts.data_export_build")
def data_export_build_job(*, export_id: int) -> None:
    from .data_export import data_export_build

    data_export_build(export_id=export_id)


@shared_task(name="accounts.purge_data_exports", ignore_result=True)
def purge_data_exports() -> int:
    """Beat publishes this daily: an archive of someone's data never outlives its date."""
    from .data_export import data_exports_purge

    return data_exports_purge()
