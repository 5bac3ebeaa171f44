"""The only code that posts care, reverses it and pays: each in one transaction."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.models import Insured
from ameli_portal.audit import audit
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import first_name

from . import builders, rules
from .aggregates import FiguresChange, figures_apply
from .models import (
    ZERO,
    Account,
    CareSheet,
    DeductionRefund,
    Journal,
    LedgerEntry,
    Payment,
    Professional,
    Reversal,
    Settlement,
)
from .templatetags.money import amount_text


def care_sheet_preview(*, sheet: CareSheet) -> list[rules.Settlement]:
    """What posting would compute, without writing anything (shown to staff first).

    The engine's input comes from the builders the batch posting uses (builders.py).
    """
    acts = list(sheet.acts.select_related("sheet__professional"))
    patient = (sheet.insured_id, sheet.beneficiary_id)
    exemptions = builders.exemptions([sheet.insured_id])[patient]
    withheld = builders.withheld({patient: {a.care_date for a in acts}})[patient]
    person, pro, values = sheet.beneficiary or sheet.insured, sheet.professional, builders.sheet_values(sheet)
    lines = [
        builders.care_line(
            builders.act_values(a), values, pro, builders.situation(person, exemptions, a.care_date)
        )
        for a in acts
    ]
    return list(rules.compute_settlements(lines, withheld=withheld).settlements)


def _journal(*, kind, legs, actor=None, settlement=None, payment=None, memo="") -> Journal:
    """`legs`: (account, amount, insured, professional), each person an instance, an id or None."""
    journal = Journal.objects.create(
        kind=kind, settlement=settlement, payment=payment, actor=actor, memo=memo
    )
    entries = [
        LedgerEntry(
            journal=journal,
            account=account,
            amount=amount,
            insured_id=getattr(insured, "pk", insured),
            professional_id=getattr(professional, "pk", professional),
        )
        for account, amount, insured, professional in legs
        if amount
    ]
    assert sum((e.amount for e in entries), ZERO) == ZERO, "journal déséquilibré"
    LedgerEntry.objects.bulk_create(entries)
    return journal


def settlement_legs(s, *, insured_id: int, professional_id: int, sign: int = 1):
    """The legs of a settlement's journal: (account, amount, insured id, professional id).

    `s` is a posted Settlement or the engine's rules.Settlement: they share these figures.
    """
    withheld = s.participation_withheld + s.franchise_withheld
    payable: tuple[str, Decimal, int | None, int | None]
    if s.payee == Settlement.Payee.PROFESSIONAL:
        payable = (Account.PROFESSIONAL_PAYABLE, -s.paid, None, professional_id)
    else:
        payable = (Account.INSURED_PAYABLE, -s.paid, insured_id, None)
    legs = [
        (Account.EXPENSE, s.amo, insured_id, None),
        payable,
        (Account.DEDUCTIONS, -(withheld + s.carried_forward), insured_id, None),
        (Account.RECEIVABLE, s.carried_forward - s.debt_recovered, insured_id, None),
    ]
    return [(acc, sign * amount, ins, pro) for acc, amount, ins, pro in legs]


@transaction.atomic
def care_sheet_post(*, sheet: CareSheet, actor) -> list[Settlement]:
    """Settle every act of a care sheet with the rules engine and post it to the ledger."""
    list(Insured.objects.select_for_update().filter(pk=sheet.insured_id))  # one posting at a time
    sheet = CareSheet.objects.select_for_update().get(pk=sheet.pk)
    if sheet.status == CareSheet.Status.POSTED:
        return list(Settlement.objects.filter(act__sheet=sheet))
    acts = list(sheet.acts.select_related("sheet__professional"))
    results = care_sheet_preview(sheet=sheet)
    posted, change = [], FiguresChange()
    for act, r in zip(acts, results, strict=True):
        settlement = Settlement.objects.create(
            act=act,
            insured=sheet.insured,
            beneficiary=sheet.beneficiary,
            care_date=act.care_date,
            base=r.base,
            rate=r.rate,
            amo=r.amo,
            ticket_moderateur=r.ticket_moderateur,
            depassement=r.depassement,
            participation_due=r.participation_due,
            franchise_due=r.franchise_due,
            participation_withheld=r.participation_withheld,
            franchise_withheld=r.franchise_withheld,
            carried_forward=r.carried_forward,
            debt_recovered=r.debt_recovered,
            paid=r.paid,
            payee=r.payee.value,
            hospital_daily_charge=r.hospital_daily_charge,
            out_of_pocket=r.out_of_pocket,
        )
        _journal(
            kind=Journal.Kind.SETTLEMENT,
            settlement=settlement,
            actor=actor,
            legs=settlement_legs(
                settlement, insured_id=sheet.insured_id, professional_id=sheet.professional_id
            ),
        )
        posted.append(settlement)
        change.line(
            settlement,
            insured_id=sheet.insured_id,
            beneficiary_id=sheet.beneficiary_id,
            care_date=act.care_date,
        )
    sheet.status = CareSheet.Status.POSTED
    sheet.posted_at = timezone.now()
    sheet.posted_by = actor
    sheet.save(update_fields=["status", "posted_at", "posted_by"])
    if actor is not None:
        audit(actor=actor, action="post", obj=sheet, summary=f"{len(posted)} acte(s)")
    figures_apply(change)
    return posted


@transaction.atomic
def settlement_reverse(*, settlement: Settlement, actor, reason: str) -> Reversal:
    """Cancel a posted act: a reversing journal, never an edit. Paid money is recovered later."""
    if not reason.strip():
        raise ValueError("Le motif de l'annulation est obligatoire.")
    settlement = (
        Settlement.objects.select_for_update()
        .select_related("act__sheet__professional")
        .get(pk=settlement.pk)
    )
    if hasattr(settlement, "reversal"):
        raise ValueError("Cet acte est déjà annulé.")
    # The person's row, as care_sheet_post takes it: no posting reads their debt in between.
    list(Insured.objects.select_for_update().filter(pk=settlement.insured_id))
    reversal = Reversal.objects.create(settlement=settlement, reason=reason.strip(), actor=actor)
    _journal(
        kind=Journal.Kind.REVERSAL,
        settlement=settlement,
        actor=actor,
        memo=reason[:300],
        legs=settlement_legs(
            settlement,
            insured_id=settlement.insured_id,
            professional_id=settlement.act.sheet.professional_id,
            sign=-1,
        ),
    )
    refund = _refund_if_over_recovered(reversal=reversal, settlement=settlement)
    audit(actor=actor, action="reverse", obj=settlement.act.sheet, summary=reason[:250])
    # The line counts nowhere any more: its deductions, its payment, its debt, and the refund.
    change = FiguresChange()
    insured_id, beneficiary_id = settlement.insured_id, settlement.beneficiary_id
    change.line(
        settlement,
        insured_id=insured_id,
        beneficiary_id=beneficiary_id,
        care_date=settlement.care_date,
        sign=-1,
    )
    if settlement.payment_id is not None:
        change.paid(settlement, paid_on=Payment.objects.get(pk=settlement.payment_id).paid_on, sign=-1)
    if refund is not None:
        change.owed(insured_id, beneficiary_id, refund.amount)
    figures_apply(change)
    return reversal


def _refund_if_over_recovered(*, reversal: Reversal, settlement: Settlement) -> DeductionRefund | None:
    """Give back what was recovered for the act just cancelled, if anything was.

    A cancelled act's reversal takes its deductions carried forward out of the patient's debt;
    if they had been recovered already (from another of the patient's reimbursements), the
    debt is now below zero by that much: a refund, paid with the next payment to the insured,
    brings it back to zero. So the debt the engine is fed (builders.debts) is never below zero.
    The caller holds the insured person's row (settlement_reverse): no posting between.
    """
    patient = (settlement.insured_id, settlement.beneficiary_id)
    owed = builders.debts([settlement.insured_id]).get(patient, ZERO)
    if owed >= ZERO:
        return None
    refund = DeductionRefund.objects.create(
        reversal=reversal,
        insured_id=settlement.insured_id,
        beneficiary_id=settlement.beneficiary_id,
        amount=-owed,
    )
    _journal(
        kind=Journal.Kind.REFUND,
        settlement=settlement,
        memo="Retenues rendues (acte annulé)",
        legs=[
            (Account.RECEIVABLE, -owed, settlement.insured_id, None),
            (Account.INSURED_PAYABLE, owed, settlement.insured_id, None),
        ],
    )
    return refund


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


def ledger_balance(**filters) -> Decimal:
    return LedgerEntry.objects.filter(**filters).aggregate(total=Sum("amount"))["total"] or ZERO
