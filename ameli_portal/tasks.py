from celery import shared_task
from django.conf import settings

from . import emails  # noqa: F401 - registers ameli_portal.send_email
from .outbox import relay_pending


@shared_task(name="ameli_portal.relay_outbox", ignore_result=True)
def relay_outbox():
    return relay_pending(older_than_seconds=settings.OUTBOX_RELAY_AGE_SECONDS)
