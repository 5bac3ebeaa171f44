"""Posting one care sheet and reversing a settlement: each in one transaction."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Insured
from ameli_portal.audit import audit

from .. import builders, rules
from ..aggregates import FiguresChange, figures_apply
from ..models import (
    ZERO,
    Account,
    CareSheet,
    DeductionRefund,
    Journal,
    LedgerEntry,
    Payment,
    Reversal,
    Settlement,
)


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
