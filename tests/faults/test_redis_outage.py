"""Redis down: nobody gets an error page, and every mail and PDF leaves once it is back.

Redis is both the cache (allauth's and our rate limits, « Mes paiements » figures) and
the Celery broker. These tests run the portal on a private redis-server, stop it, and
drive what people do; then start it again, let the outbox relay publish, and count
what a real worker delivered.
"""

import logging
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import PostalLetter, User
from ameli_portal.models import DemoMessage, OutboxJob
from ameli_portal.outbox import relay_pending
from attestations.models import Document
from tests.conftest import running_celery_worker, wait_for
from tests.factories import PASSWORD, InsuredFactory, UserFactory

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "Bleu-Horizon-42"


def _identity(insured):
    return {
        "nir": insured.nir,
        "last_name": insured.last_name,
        "postal_code": insured.postal_code,
        "birth_date": insured.birth_date.strftime("%d/%m/%Y"),
    }


def _code(address: str) -> str:
    body = DemoMessage.objects.get(recipient=address).body_text
    return re.search(r"\b(\d{6})\b", body).group(1)


def _mails(address: str) -> list[str]:
    return list(DemoMessage.objects.filter(recipient=address).values_list("subject", flat=True))


def _log_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert response["Location"] == reverse("account_confirm_login_code")


def _enter_code(client, user):
    response = client.post(reverse("account_confirm_login_code"), {"code": _code(user.email)})
    assert response["Location"] == reverse("mfa_trust"), response.content.decode()[-1500:]
    client.post(reverse("mfa_trust"), {"action": "skip"})
    assert client.get(reverse("accounts:home")).status_code == 200


def test_login_reset_signup_and_a_document_during_a_redis_outage(portal_on, tmp_path, caplog):
    redis_server = portal_on
    already_in, logging_in, resetting = UserFactory(), UserFactory(), UserFactory()
    newcomer = InsuredFactory(iban="FR7630004000010001234567830", birth_date=date(1984, 3, 9))
    with running_celery_worker(redis_url=redis_server.url, log=tmp_path / "worker.log"):
        # Before the outage: one person has typed their password and got the emailed code.
        first = Client()
        _log_in(first, already_in)
        wait_for(lambda: _mails(already_in.email), message="code de connexion envoyé")

        redis_server.stop()
        caplog.set_level(logging.WARNING, logger="ameli_portal.cache")

        # ...and types it during the outage, then asks for an attestation de droits.
        _enter_code(first, already_in)
        assert first.post(reverse("attestations:request")).status_code == 302
        assert "en préparation" in first.get(reverse("attestations:list")).content.decode()

        # Someone else logs in: the password step answers, the code mail waits in the outbox.
        second = Client()
        _log_in(second, logging_in)

        # A forgotten password.
        third = Client()
        response = third.post(
            reverse("account_reset_password"), {"nir": resetting.username, "email": resetting.email}
        )
        assert response.status_code == 302, response.content.decode()[-1500:]

        # A new account: identity, IBAN proof, credentials; the confirmation code mail waits.
        fourth = Client()
        response = fourth.post(reverse("accounts:signup_identity"), _identity(newcomer))
        assert response["Location"] == reverse("accounts:signup_proof")
        response = fourth.post(reverse("accounts:signup_proof"), {"last_seven": newcomer.iban[-7:]})
        assert response["Location"] == reverse("account_signup")
        response = fourth.post(
            reverse("account_signup"),
            {
                "email": "nouvelle@exemple.test",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
                "accept_terms": "on",
                "accept_privacy": "on",
            },
        )
        assert response.status_code == 302, response.content.decode()[-1500:]
        assert User.objects.filter(insured=newcomer).exists()

        pending = OutboxJob.objects.filter(published_at__isnull=True).count()
        assert pending == 4  # the PDF, the login code, the reset code, the confirmation code
        assert _mails(logging_in.email) == [] and _mails(resetting.email) == []
        # The operator reads one line per cache call that failed, never a traceback.
        failures = [r for r in caplog.records if r.name == "ameli_portal.cache"]
        assert failures and all(r.exc_info is None and "indisponible" in r.getMessage() for r in failures)

        # Redis is back: the relay (beat, every 30 s) publishes what waited.
        redis_server.start()
        wait_for(
            lambda: (
                relay_pending(older_than_seconds=0) >= 0
                and not OutboxJob.objects.filter(published_at__isnull=True).exists()
            ),
            interval=0.5,
            message="relais de l'outbox après le retour de Redis",
        )
        # The worker reconnects by itself (Celery's backoff: 2 s, 4 s, 6 s...), then renders.
        wait_for(
            lambda: not OutboxJob.objects.filter(done_at__isnull=True).exists(),
            timeout=90,
            message="tâches terminées par le worker",
        )
        assert relay_pending(older_than_seconds=0) == 0  # nothing is published twice

        assert len(_mails(already_in.email)) == 1
        assert len(_mails(logging_in.email)) == 1
        assert len(_mails(resetting.email)) == 1
        assert len(_mails("nouvelle@exemple.test")) == 1
        document = Document.objects.get(owner=already_in.insured)
        assert document.status == Document.Status.READY
        with document.file.open("rb") as f:
            assert f.read(5) == b"%PDF-"

        # The person who waited for their code finishes logging in with it.
        _enter_code(second, logging_in)


def test_pages_and_every_limited_form_answer_and_the_lockout_holds_with_redis_down(portal_on, client):
    portal_on.stop()
    user, newcomer = UserFactory(), InsuredFactory()

    # With the rate limits' counters gone, the database floor still locks an account
    # after five wrong passwords, and the right one is then refused like a wrong one.
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": user.username, "password": "Motdepasse-Faux-1"}
        )
        assert response.status_code == 200 and "incorrect" in response.content.decode()
    user.refresh_from_db()
    assert user.locked_at is not None
    response = client.post(reverse("account_login"), {"login": user.username, "password": PASSWORD})
    assert response.status_code == 200 and "incorrect" in response.content.decode()

    # Every other form behind a rate limit answers.
    public = Client()
    mismatch = {**_identity(newcomer), "postal_code": "00000"}
    assert public.post(reverse("accounts:signup_identity"), mismatch).status_code == 200
    assert (
        public.post(reverse("accounts:signup_code"), {"nir": newcomer.nir, "code": "12345678"}).status_code
        == 200
    )
    assert public.get(reverse("attestations:verify"), {"code": "ABCD2345EFGH"}).status_code == 200
    assert (
        public.post(reverse("requests_app:public_vitale"), {**mismatch, "reason": "loss"}).status_code == 400
    )
    public.post(reverse("accounts:signup_identity"), _identity(newcomer))
    assert public.post(reverse("accounts:signup_request_letter")).status_code == 200
    # Asked again (no daily limit during the outage): the letter not yet printed is
    # cancelled, so the person still gets one code by post.
    public.post(reverse("accounts:signup_identity"), _identity(newcomer))
    assert public.post(reverse("accounts:signup_request_letter")).status_code == 200
    letters = PostalLetter.objects.filter(insured=newcomer)
    assert letters.exclude(status=PostalLetter.Status.CANCELLED).count() == 1

    # A logged-in person's pages: home, payments (its figures cache), messages, documents.
    person = Client()
    person.force_login(UserFactory())
    for name in (
        "accounts:home",
        "accounts:vitale_card",
        "reimbursements:payments",
        "messaging:inbox",
        "attestations:list",
        "requests_app:list",
    ):
        assert person.get(reverse(name)).status_code == 200, name
