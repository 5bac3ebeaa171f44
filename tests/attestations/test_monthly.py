"""Monthly statements: the beat job prepares last month's relevés in batches and tells people."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from ameli_portal.celery import app
from ameli_portal.models import DemoMessage, OutboxJob
from attestations import services
from attestations.models import Document, MonthlyStatement
from attestations.tasks import monthly_statements
from reimbursements.services.payments import payments_run
from reimbursements.services.posting import care_sheet_post
from tests.conftest import wait_for
from tests.factories import CareActFactory, CareSheetFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def paid(insured, *, care_date, paid_on, label="Consultation"):
    sheet = CareSheetFactory(insured=insured, received_on=care_date)
    CareActFactory(sheet=sheet, care_date=care_date, charged=Decimal("30.00"), label=label)
    care_sheet_post(sheet=sheet, actor=None)
    payments_run(day=paid_on)


@pytest.fixture
def people():
    """Two insured paid in May 2026, one paid in April only."""
    may = [UserFactory().insured, UserFactory().insured]
    april = UserFactory().insured
    paid(may[0], care_date=date(2026, 5, 4), paid_on=date(2026, 5, 7), label="Consultation Dr Secret")
    paid(may[1], care_date=date(2026, 5, 11), paid_on=date(2026, 5, 14))
    paid(april, care_date=date(2026, 4, 6), paid_on=date(2026, 4, 9))
    return may, april


def test_the_beat_entry_runs_on_the_first_of_each_month():
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-statements"]
    assert entry["task"] == monthly_statements.name
    assert entry["schedule"].day_of_month == {1}


def test_last_months_statements_are_prepared_once_and_announced_once(people):
    may, april = people
    mail.outbox.clear()
    with time_machine.travel("2026-06-01 07:00 +0200", tick=False):
        assert monthly_statements() == 1  # one batch
        statements = MonthlyStatement.objects.order_by("owner_id")
        assert [s.owner for s in statements] == may
        for statement in statements:
            document = statement.document
            assert document.kind == Document.Kind.STATEMENT and document.status == "ready"
            assert (document.period_start, document.period_end) == (date(2026, 5, 1), date(2026, 5, 31))
            assert statement.notified_at is not None
        assert sorted(m.to[0] for m in mail.outbox) == sorted(i.contact_email for i in may)
        message = mail.outbox[0]
        assert message.subject == "Votre relevé mensuel est disponible"
        body = message.body + message.alternatives[0][0]
        assert "mai 2026" in body and "€" not in body and "Consultation" not in body
        assert "Dr Secret" not in body

        # A second run (a redelivered beat message, a manual rerun): nothing new.
        assert monthly_statements() == 0
        assert services.monthly_statement_prepare(insured=may[0], month=date(2026, 5, 1)) is None
    assert Document.objects.count() == 2 and MonthlyStatement.objects.count() == 2
    assert len(mail.outbox) == 2


def test_an_existing_statement_of_the_month_is_reused_and_still_announced(people):
    may, _ = people
    already = services.document_request(
        insured=may[0], kind=Document.Kind.STATEMENT, period=(date(2026, 5, 1), date(2026, 5, 31))
    )
    mail.outbox.clear()
    statement = services.monthly_statement_prepare(insured=may[0], month=date(2026, 5, 1))
    assert statement.document == already
    assert [m.to[0] for m in mail.outbox] == [may[0].contact_email]


def test_people_are_split_in_batches(people):
    services.monthly_statements_plan(month=date(2026, 5, 1), batch_size=1)
    batches = OutboxJob.objects.filter(task_name="attestations.monthly_statements_batch")
    assert batches.count() == 2
    assert all(len(job.kwargs["insured_ids"]) == 1 for job in batches)


@pytest.mark.worker
def test_through_the_real_worker(people, celery_worker):
    may, _ = people
    month = "2026-05-01"
    app.send_task(
        "attestations.monthly_statements", kwargs={"month": month}, queue=settings.CELERY_TASK_DEFAULT_QUEUE
    )
    wait_for(
        lambda: MonthlyStatement.objects.filter(notified_at__isnull=False).count() == 2,
        timeout=60,
        message="relevés mensuels prêts",
    )
    wait_for(
        lambda: DemoMessage.objects.filter(subject="Votre relevé mensuel est disponible").count() == 2,
        timeout=30,
        message="courriels envoyés",
    )
    assert set(Document.objects.values_list("status", flat=True)) == {"ready"}

    # Beat delivers the same month again: no second document, no second email. The worker
    # takes one task at a time, in order: once a marker email sent after it is in, it is done.
    jobs = OutboxJob.objects.count()
    app.send_task(
        "attestations.monthly_statements", kwargs={"month": month}, queue=settings.CELERY_TASK_DEFAULT_QUEUE
    )
    app.send_task(
        "ameli_portal.send_email",
        kwargs={"template": "test", "to": ["marqueur@x.test"], "context": {}},
        queue=settings.CELERY_TASK_DEFAULT_QUEUE,
    )
    wait_for(lambda: DemoMessage.objects.filter(recipient="marqueur@x.test").exists(), message="tâche témoin")
    assert OutboxJob.objects.count() == jobs
    assert Document.objects.count() == 2
    assert DemoMessage.objects.filter(subject="Votre relevé mensuel est disponible").count() == 2
