from celery import shared_task
from django.conf import settings

from . import emails  # noqa: F401 - registers ameli_portal.send_email
from .health import worker_heartbeat_write
from .outbox import relay_pending


@shared_task(name="ameli_portal.relay_outbox", ignore_result=True)
def relay_outbox():
    # First: a worker that runs beat's tasks is alive even if the relay then fails (/readyz).
    worker_heartbeat_write()
    return relay_pending(older_than_seconds=settings.OUTBOX_RELAY_AGE_SECONDS)
