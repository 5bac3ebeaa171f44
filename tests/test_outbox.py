"""Jobs leave after commit, survive a broker or mail outage, run exactly once, or fail visibly."""

import smtplib
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from ruamel.yaml import YAML

from ameli_portal.celery import app
from ameli_portal.emails import enqueue_email
from ameli_portal.jobs import retry_schedule
from ameli_portal.models import AuditEvent, DemoMessage, OutboxJob
from ameli_portal.outbox import publish, relay_pending
from ameli_portal.tasks import relay_outbox
from tests.conftest import wait_for
from tests.factories import StaffFactory


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


# --- Retries from the outbox, failures, leases ---------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_down(settings):
    """The mail server is unreachable: a port where nothing listens (the edge, not a mock)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return settings


def smtp_back(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_the_default_schedule_retries_for_a_day_with_delays_up_to_four_hours():
    delays = retry_schedule()
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == 4 * 3600 and delays[-1] == 4 * 3600
    assert len(delays) == 14  # 15 runs
    # The last run comes about 24 h after the first: an SMTP outage of a night is ridden out.
    assert 24 * 3600 <= sum(delays) <= 25 * 3600
    # The old schedule (9 runs, random delays of at most 2, 4, ... 256 s) gave up within 510 s.
    assert sum(delays[:8]) > 510


def test_leases_and_the_visibility_timeout_outlast_a_job_s_time_limit(settings):
    assert settings.JOB_LEASE_SECONDS > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= 600  # a few minutes


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_outage_schedules_the_next_run_from_the_outbox(smtp_down, mailoutbox):
    with time_machine.travel("2026-03-02 09:00 +0100", tick=False) as clock:
        with transaction.atomic():
            job = enqueue_email(template="test", to=["retard@exemple.test"], context={})
        job.refresh_from_db()
        assert job.state == OutboxJob.State.SCHEDULED
        assert (job.run_attempts, job.last_error) == (1, "ConnectionRefusedError")
        first_delay = (job.next_attempt_at - timezone.now()).total_seconds()
        assert 30 <= first_delay <= 36
        assert relay_pending(older_than_seconds=0) == 0  # not due yet

        clock.shift(first_delay + 1)
        assert relay_pending(older_than_seconds=0) == 1
        job.refresh_from_db()
        assert job.run_attempts == 2 and 60 <= (job.next_attempt_at - timezone.now()).total_seconds() <= 72

        smtp_back(smtp_down)
        clock.shift(3600)
        assert relay_pending(older_than_seconds=0) == 1
    job.refresh_from_db()
    assert job.state == OutboxJob.State.DONE
    assert [m.to for m in mailoutbox] == [["retard@exemple.test"]]


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_runs_ran_out_is_failed_logged_once_and_left_alone(smtp_down, caplog):
    smtp_down.JOB_MAX_ATTEMPTS = 3
    with time_machine.travel("2026-03-02 09:00 +0100", tick=False) as clock:
        with transaction.atomic():
            job = enqueue_email(template="test", to=["perdu@exemple.test"], context={})
        for _ in range(5):
            clock.shift(24 * 3600)
            relay_pending(older_than_seconds=0)
    job.refresh_from_db()
    assert job.state == OutboxJob.State.FAILED and job.state_label == "Échec"
    assert (job.run_attempts, job.last_error) == (3, "ConnectionRefusedError")
    gave_up = [r for r in caplog.records if r.name == "ameli_portal.jobs" and r.levelname == "ERROR"]
    assert len(gave_up) == 1 and str(job.pk) in gave_up[0].getMessage()
    assert "perdu@" not in caplog.text  # no address in the logs
    assert relay_pending(older_than_seconds=0) == 0


@pytest.mark.django_db(transaction=True)
def test_a_refusal_that_will_not_change_fails_at_once(settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.RefusingBackend"
    with transaction.atomic():
        job = enqueue_email(template="test", to=["inconnu@exemple.test"], context={})
    job.refresh_from_db()
    assert job.state == OutboxJob.State.FAILED
    assert (job.run_attempts, job.last_error) == (1, "SMTPRecipientsRefused 550")


class RefusingBackend(BaseEmailBackend):
    """The mail server answers 550 (no such mailbox), as a real one would."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({m.to[0]: (550, b"5.1.1 unknown") for m in messages})


@pytest.mark.django_db(transaction=True)
def test_a_published_job_not_done_within_its_lease_is_published_again(mailoutbox):
    # Published by a worker that was killed before it ran the job: nothing in the broker.
    job = OutboxJob.objects.create(
        task_name="ameli_portal.send_email",
        kwargs={"template": "test", "to": ["bail@exemple.test"], "context": {}},
        published_at=timezone.now(),
        lease_until=timezone.now() + timedelta(seconds=300),
    )
    assert relay_pending(older_than_seconds=0) == 0  # still under its lease
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        assert relay_pending(older_than_seconds=0) == 1
        assert relay_pending(older_than_seconds=0) == 0
    job.refresh_from_db()
    assert job.state == OutboxJob.State.DONE and job.lease_expiries == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_running_job_is_not_published_again_when_its_lease_runs_out(mailoutbox):
    job = OutboxJob.objects.create(
        task_name="ameli_portal.send_email",
        kwargs={"template": "test", "to": ["long@exemple.test"], "context": {}},
        published_at=timezone.now(),
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    locked, release = threading.Event(), threading.Event()

    def running_worker():
        # What run_once does while a job runs: its row stays locked.
        with transaction.atomic():
            OutboxJob.objects.select_for_update().get(pk=job.pk)
            locked.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=running_worker)
    thread.start()
    try:
        assert locked.wait(10)
        assert relay_pending(older_than_seconds=0) == 0
    finally:
        release.set()
        thread.join()
    assert mailoutbox == []
    assert relay_pending(older_than_seconds=0) == 1 and len(mailoutbox) == 1


# --- Operations page and health endpoints --------------------------------------------


@pytest.fixture
def operator(db):
    user = StaffFactory()
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="ameli_portal", codename__in=["view_outboxjob", "change_outboxjob"]
        )
    )
    return user


@pytest.mark.django_db(transaction=True)
def test_the_operations_page_shows_the_backlog_and_relaunches_a_failed_job(
    operator, client, smtp_down, mailoutbox
):
    smtp_down.JOB_MAX_ATTEMPTS = 1
    with transaction.atomic():
        failed = enqueue_email(template="test", to=["relance@exemple.test"], context={})
    smtp_down.JOB_MAX_ATTEMPTS = 15
    with transaction.atomic():
        enqueue_email(template="test", to=["plus-tard@exemple.test"], context={})
    # Never published (the broker was down at commit): waiting for the relay.
    OutboxJob.objects.create(task_name="ameli_portal.send_email")

    client.force_login(operator)
    url = reverse("admin:ameli_portal_outboxjob_operations")
    page = client.get(url).content.decode()
    assert 'data-state="failed">1<' in page and 'data-state="scheduled">1<' in page
    assert 'data-state="waiting">1<' in page and 'id="oldest-waiting"' in page
    assert "ConnectionRefusedError" in page and "Relancer" in page
    assert "relance@" not in page  # the jobs' arguments are not shown

    smtp_back(smtp_down)
    response = client.post(reverse("admin:ameli_portal_outboxjob_relaunch", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == OutboxJob.State.DONE
    assert [m.to for m in mailoutbox] == [["relance@exemple.test"]]
    event = AuditEvent.objects.get(action="job_relaunch")
    assert event.actor == operator and event.object_id == str(failed.pk)
    # Once done, a second click relaunches nothing.
    client.post(reverse("admin:ameli_portal_outboxjob_relaunch", args=[failed.pk]))
    assert len(mailoutbox) == 1 and AuditEvent.objects.filter(action="job_relaunch").count() == 1


def test_only_staff_allowed_to_change_jobs_may_relaunch_one(client, staff):
    job = OutboxJob.objects.create(task_name="ameli_portal.send_email", failed_at=timezone.now())
    staff.user_permissions.add(Permission.objects.get(codename="view_outboxjob"))
    client.force_login(staff)
    page = client.get(reverse("admin:ameli_portal_outboxjob_operations")).content.decode()
    assert "Tâches en échec" in page and "Relancer</button>" not in page
    response = client.post(reverse("admin:ameli_portal_outboxjob_relaunch", args=[job.pk]))
    assert response.status_code == 403
    job.refresh_from_db()
    assert job.state == OutboxJob.State.FAILED


def test_healthz_answers_without_the_database(client):
    # No django_db mark: any query would fail this test.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.fixture
def broker_mode():
    """The web side as deployed: jobs go to a broker, a worker must be alive."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    from ameli_portal import health

    health._redis().delete(health._heartbeat_key())
    yield
    app.conf.task_always_eager = eager


def test_readyz_needs_a_worker_heartbeat_and_a_moving_outbox(db, client, broker_mode, settings):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == {"ok": True} and body["checks"]["redis"] == {"ok": True}
    assert body["checks"]["worker"] == {"ok": False, "heartbeat_age_seconds": None}

    relay_outbox.apply()  # what a worker does every 30 s, sent by beat
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["checks"]["worker"]["ok"]
    assert body["checks"]["outbox"] == {"ok": True, "oldest_waiting_seconds": None, "failed": 0}

    with broker_unreachable():
        OutboxJob.objects.create(task_name="ameli_portal.send_email")
        later = timezone.now() + timedelta(seconds=settings.HEALTH_OUTBOX_MAX_AGE_SECONDS + 60)
        with time_machine.travel(later):
            relay_outbox.apply()  # Redis for the heartbeat is fine; the broker refuses the job
            response = client.get("/readyz")
    assert response.status_code == 503
    outbox = response.json()["checks"]["outbox"]
    assert outbox["ok"] is False and outbox["oldest_waiting_seconds"] > settings.HEALTH_OUTBOX_MAX_AGE_SECONDS


def test_compose_checks_readiness_on_web_and_the_image_checks_liveness():
    root = Path(__file__).resolve().parent.parent
    compose = YAML(typ="safe", pure=True).load((root / "docker-compose.yml").read_text())
    web_check = " ".join(compose["services"]["web"]["healthcheck"]["test"])
    assert "'/readyz'" in web_check and "status != 200" in web_check
    assert "'/healthz'" in (root / "Dockerfile").read_text()
    assert {reverse("healthz"), reverse("readyz")} == {"/healthz", "/readyz"}
