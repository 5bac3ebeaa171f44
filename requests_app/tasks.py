from ameli_portal.jobs import job

from . import services


@job("requests_app.send_public_confirmation")
def send_public_confirmation_job(*, confirmation_id: int) -> None:
    services.public_confirmation_send(confirmation_id=confirmation_id)
