"""The payment run: what is due grouped into one transfer per payee, each in one transaction."""

from collections import defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Q

from accounts.models import Insured
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name

from ..aggregates import FiguresChange, figures_apply
from ..models import (
    ZERO,
    Account,
    DeductionRefund,
    Journal,
    Payment,
    Professional,
    Reversal,
    Settlement,
)
from ..templatetags.money import amount_text
from .posting import _journal


@transaction.atomic
def payments_run(*, day: date) -> list[Payment]:
    """Group what is due and not yet paid into one transfer per payee; tell insured people."""
    payments = []
    due = Settlement.objects.filter(payment__isnull=True).select_for_update(of=("self",))
    undone = Reversal.objects.filter(payment__isnull=True, settlement__payment__isnull=False)
    by_insured, by_pro = defaultdict(list), defaultdict(list)
    for s in due.select_related("act__sheet"):
        if s.payee == Settlement.Payee.PROFESSIONAL:
            by_pro[s.act.sheet.professional_id].append(s)
        else:
            by_insured[s.insured_id].append(s)
    reversals = defaultdict(list)
    for r in undone.select_related("settlement__act__sheet"):
        key = (
            ("pro", r.settlement.act.sheet.professional_id)
            if r.settlement.payee == Settlement.Payee.PROFESSIONAL
            else ("ins", r.settlement.insured_id)
        )
        reversals[key].append(r)
    refunds = defaultdict(list)
    for refund in DeductionRefund.objects.filter(payment__isnull=True).select_for_update().order_by("pk"):
        refunds[refund.insured_id].append(refund)
    change = FiguresChange()
    for insured_id in sorted(by_insured.keys() | refunds.keys()):
        items = by_insured.get(insured_id, [])
        done = reversals.pop(("ins", insured_id), [])
        if paid := _pay(
            day=day,
            settlements=items,
            reversals=done,
            refunds=refunds.get(insured_id, []),
            insured=Insured.objects.get(pk=insured_id),
            change=change,
        ):
            payments += paid
            change.people |= {insured_id} | {r.settlement.insured_id for r in done}
    for pro_id, items in by_pro.items():
        done = reversals.pop(("pro", pro_id), [])
        if paid := _pay(
            day=day,
            settlements=items,
            reversals=done,
            professional=Professional.objects.get(pk=pro_id),
            change=change,
        ):
            payments += paid
            change.people |= {s.insured_id for s in items} | {r.settlement.insured_id for r in done}
    if change.people:
        # After the settlements' locks, as settlement_reverse takes them: the same order.
        figures_apply(change)
    return payments


def _pay(*, day, settlements, reversals, change, refunds=(), insured=None, professional=None) -> list:
    # Acts reversed before being paid cancel out and are never paid.
    live = [s for s in settlements if not hasattr(s, "reversal")]
    refunded = sum((r.amount for r in refunds), ZERO)
    amount = sum((s.paid for s in live), ZERO) - sum((r.settlement.paid for r in reversals), ZERO) + refunded
    if amount <= ZERO:
        return []  # nothing to pay yet; an overpayment waits for the next care
    payment = Payment.objects.create(
        insured=insured,
        professional=professional,
        amount=amount,
        iban=insured.iban if insured else "",
        paid_on=day,
    )
    Settlement.objects.filter(pk__in=[s.pk for s in settlements]).update(payment=payment)
    for s in live:
        change.paid(s, paid_on=day)
    # Reversals settled by this payment: those of paid acts, deducted above, and those of
    # acts reversed before being paid, which cancel out here and must not count again.
    skipped = [s.pk for s in settlements if hasattr(s, "reversal")]
    Reversal.objects.filter(Q(pk__in=[r.pk for r in reversals]) | Q(settlement__in=skipped)).update(
        payment=payment
    )
    DeductionRefund.objects.filter(pk__in=[r.pk for r in refunds]).update(payment=payment)
    account = Account.INSURED_PAYABLE if insured else Account.PROFESSIONAL_PAYABLE
    _journal(
        kind=Journal.Kind.PAYMENT,
        payment=payment,
        legs=[
            (account, amount, insured, professional),
            (Account.BANK, -amount, insured, professional),
        ],
    )
    if insured is not None and insured.contact_email:
        # The same breakdown as the payment's detail (deductions.py); no care named in a mail.
        recovered = sum((s.debt_recovered for s in live), ZERO)
        taken_back = sum((r.settlement.paid for r in reversals), ZERO)
        enqueue_email(
            template="new-payment",
            to=[insured.contact_email],
            context={
                "first_name": first_name(insured.first_names),
                "amount": amount_text(amount),
                "paid_on": day.strftime("%d/%m/%Y"),
                "for_lines": amount_text(amount + recovered + taken_back - refunded),
                "recovered": amount_text(recovered) if recovered else "",
                "taken_back": amount_text(taken_back) if taken_back else "",
                "refunded": amount_text(refunded) if refunded else "",
            },
        )
    return [payment]
