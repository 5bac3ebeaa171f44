"""Jobs leave after commit, survive a broker outage, and run exactly once."""

from contextlib import contextmanager

import pytest
from django.db import transaction

from ameli_portal.celery import app
from ameli_portal.emails import enqueue_email
from ameli_portal.models import DemoMessage, OutboxJob
from ameli_portal.outbox import publish, relay_pending
from tests.conftest import wait_for


@contextmanager
def broker_unreachable():
    """Point the web side's Celery producer at a port where nothing listens."""
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    _reset_producer()
    try:
        yield
    finally:
        app.conf.broker_url = original
        _reset_producer()


def _reset_producer():
    # kombu keeps one producer pool per broker address: forgetting the app's cached
    # one makes the next publish pick the pool of the address now configured.
    app._pool = None
    app.amqp._producer_pool = None


def mails_to(address):
    return DemoMessage.objects.filter(recipient=address)


@pytest.mark.django_db(transaction=True)
def test_nothing_is_published_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_email(template="test", to=["annule@exemple.test"], context={})
        raise RuntimeError("abandon")
    assert not OutboxJob.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_email_job_goes_through_a_real_worker(celery_worker):
    with transaction.atomic():
        job = enqueue_email(template="test", to=["worker@exemple.test"], context={})
    mail = wait_for(lambda: mails_to("worker@exemple.test").first(), message="courriel envoyé")
    assert "courriel de test" in mail.subject
    assert "<p>Bonjour,</p>" in mail.body_html
    assert "Caisse d'assurance maladie" in mail.body_text  # plain text is not HTML-escaped
    job.refresh_from_db()
    assert job.published_at and wait_for(
        lambda: OutboxJob.objects.get(pk=job.pk).done_at, message="tâche terminée"
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_broker_down_at_commit_then_relay_runs_the_job_exactly_once(celery_worker):
    with broker_unreachable():
        with transaction.atomic():
            job = enqueue_email(template="test", to=["panne@exemple.test"], context={})
        job.refresh_from_db()
        assert job.published_at is None
        assert job.publish_attempts == 1
        assert relay_pending(older_than_seconds=0) == 0  # still down: stays pending

    assert relay_pending(older_than_seconds=0) == 1
    wait_for(lambda: OutboxJob.objects.get(pk=job.pk).done_at, message="tâche relayée")
    assert relay_pending(older_than_seconds=0) == 0
    assert not publish(job.pk)  # already published: never sent twice
    assert mails_to("panne@exemple.test").count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_redelivered_job_does_not_send_twice(celery_worker):
    with transaction.atomic():
        job = enqueue_email(template="test", to=["double@exemple.test"], context={})
    wait_for(lambda: OutboxJob.objects.get(pk=job.pk).done_at, message="première livraison")
    # The broker hands the same message again (e.g. after a worker lost its ack).
    app.tasks[job.task_name].apply_async(kwargs=job.kwargs, task_id=str(job.pk))
    # Autocommit: this one is published at once, behind the duplicate in the queue.
    enqueue_email(template="test", to=["temoin@exemple.test"], context={})
    wait_for(lambda: mails_to("temoin@exemple.test").exists(), message="tâche témoin")
    assert mails_to("double@exemple.test").count() == 1
