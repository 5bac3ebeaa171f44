"""The demo care seeds once and balances; the daily payment run goes through a real worker."""

from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from ameli_portal.celery import app
from ameli_portal.models import DemoMessage
from reimbursements.models import Account, CareSheet, LedgerEntry, Payment, Settlement
from reimbursements.queries import ledger_balance
from reimbursements.services.posting import care_sheet_post
from reimbursements.tasks import daily_payment_run
from tests.conftest import wait_for
from tests.factories import CareActFactory, CareSheetFactory, UserFactory


def _counts():
    return (
        CareSheet.objects.count(),
        Settlement.objects.count(),
        Payment.objects.count(),
        LedgerEntry.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_its_payments_balance():
    call_command("seed_demo", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == first

    demo = CareSheet.objects.filter(import_batch="demo")
    assert demo.count() > 100
    assert not demo.exclude(status=CareSheet.Status.POSTED).exists()
    assert ledger_balance() == 0
    # What the ledger still owes insured people is exactly what the payment runs left unpaid.
    unpaid = Settlement.objects.filter(payment__isnull=True, payee="insured").aggregate(total=Sum("paid"))[
        "total"
    ] or Decimal("0.00")
    assert ledger_balance(account=Account.INSURED_PAYABLE) == -unpaid
    assert Payment.objects.filter(professional__isnull=False).exists()  # tiers payant
    settled = Settlement.objects.filter(act__sheet__import_batch="demo")
    assert settled.filter(act__sheet__ald_related=True, rate=Decimal("1.00")).exists()
    assert settled.filter(beneficiary__isnull=False).exists()
    assert settled.filter(act__sheet__coordinated_path=False, rate=Decimal("0.30")).exists()
    assert settled.filter(carried_forward__gt=0).exists() and settled.filter(debt_recovered__gt=0).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_daily_payment_run_through_a_real_worker_pays_and_tells_the_insured(celery_worker):
    insured = UserFactory().insured
    today = timezone.localdate()
    sheet = CareSheetFactory(insured=insured, received_on=today)
    CareActFactory(sheet=sheet, care_date=today)
    care_sheet_post(sheet=sheet, actor=None)

    app.send_task("reimbursements.daily_payment_run", queue=settings.CELERY_TASK_DEFAULT_QUEUE)

    payment = wait_for(lambda: Payment.objects.filter(insured=insured).first(), message="paiement")
    assert payment.amount == Decimal("19.00")  # 30 x 70 % - 2 of participation forfaitaire
    assert payment.paid_on == today
    mail = wait_for(
        lambda: DemoMessage.objects.filter(recipient=insured.user.email).first(),
        message="courriel de paiement",
    )
    assert "19,00" in mail.body_text
    assert daily_payment_run() == 0  # a second run the same day pays nothing twice
    assert Payment.objects.filter(insured=insured).count() == 1
