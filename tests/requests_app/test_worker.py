"""A RIB change on the full stack: its emails go through Redis to the real Celery worker."""

import pytest
from django.db import transaction

from ameli_portal.models import DemoMessage, OutboxJob
from messaging.models import Thread
from requests_app import services
from requests_app.models import Status
from tests.conftest import wait_for

NEW_IBAN = "FR7630006000011234567890189"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_an_accepted_rib_change_is_mailed_by_the_worker_without_the_iban(celery_worker, insured, agent):
    insured.iban = "FR7630004000010001234567830"
    insured.email = "registre@exemple.test"
    insured.save()
    with transaction.atomic():
        filed = services.request_file(
            insured=insured, kind="rib", data={"iban": NEW_IBAN}, actor=insured.user
        )
    with transaction.atomic():
        services.request_transition(request=filed, to_status=Status.REVIEW, actor=agent)
    with transaction.atomic():
        services.request_transition(request=filed, to_status=Status.ACCEPTED, actor=agent)

    # Filed, in review, accepted; the IBAN change (to both addresses). The decision's notice is
    # in the box, and the "accepted" email says so: no second email for it.
    wait_for(lambda: DemoMessage.objects.count() >= 4, timeout=60, message="courriels livrés par le worker")
    wait_for(
        lambda: not OutboxJob.objects.filter(done_at__isnull=True).exists(),
        timeout=60,
        message="tous les jobs faits",
    )
    mails = list(DemoMessage.objects.all())
    assert sorted(m.subject for m in mails) == [
        "Vos coordonnées bancaires ont été modifiées",
        "Votre démarche a avancé : en instruction",
        "Votre démarche est acceptée",
        "Votre démarche est déposée",
    ]
    assert "un avis dans votre messagerie" in next(m for m in mails if "acceptée" in m.subject).body_text
    assert Thread.objects.get(insured=insured, kind=Thread.Kind.NOTICE).subject.endswith("est acceptée")
    iban_mail = next(m for m in mails if "bancaires" in m.subject)
    assert set(iban_mail.recipient.split(", ")) == {"registre@exemple.test", insured.user.email}
    assert sum("Acceptée" in m.body_text for m in mails) == 1
    for message in mails:
        # Only the last four characters of an IBAN, in any email.
        assert NEW_IBAN not in message.body_text + message.body_html
        assert NEW_IBAN[:-4] not in message.body_text.replace(" ", "")
        assert insured.nir not in message.body_text
    filed.refresh_from_db()
    insured.refresh_from_db()
    assert (filed.status, insured.iban) == (Status.ACCEPTED, NEW_IBAN)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_code_of_a_request_without_account_is_drawn_by_the_worker_and_never_queued(
    celery_worker, insured_without_account, settings
):
    import re

    from django.conf import global_settings

    from accounts.models import HealthCard
    from requests_app.models import PublicConfirmation

    # The worker hashes with the real hashers: this process must know them to check the code.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS

    card = HealthCard.objects.create(
        insured=insured_without_account, kind="vitale", status="valid", valid_from="2020-01-01"
    )
    with transaction.atomic():
        filed = services.request_file(
            insured=insured_without_account,
            kind="carte_vitale",
            data={"reason": "theft"},
            filed_without_account=True,
        )
    [mail] = wait_for(lambda: list(DemoMessage.objects.all()), timeout=60, message="courriel du worker")
    wait_for(
        lambda: not OutboxJob.objects.filter(done_at__isnull=True).exists(), timeout=60, message="job fait"
    )
    assert mail.recipient == insured_without_account.email
    code = re.search(r"\b\d{4} \d{4}\b", mail.body_text).group(0)
    # The digits exist only in the email: not in the queued job, only a hash in the database.
    assert all(
        code.replace(" ", "") not in str(job.args) + str(job.kwargs) and code not in str(job.kwargs)
        for job in OutboxJob.objects.all()
    )
    card.refresh_from_db()
    assert card.status == "valid"
    confirmation = PublicConfirmation.objects.get(request=filed)
    assert services.public_confirmation_verify(public_id=confirmation.public_id, code=code).value == "ok"
    card.refresh_from_db()
    assert card.status == "opposed"
