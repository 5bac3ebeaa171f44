from ameli_portal.jobs import job

from . import services


@job(services.PUBLIC_CONFIRMATION_JOB)
def send_public_confirmation_job(*, confirmation_id: int) -> None:
    services.public_confirmation_send(confirmation_id=confirmation_id)
