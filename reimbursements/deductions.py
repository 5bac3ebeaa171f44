"""What happens to a deduction, said the same way on every screen that shows money.

A participation forfaitaire (PF) or a franchise is

- **due** on a care line (`participation_due`, `franchise_due`): this is what counts against
  the yearly caps, whether it has been taken yet or not;
- **withheld** on that line's own reimbursement when it can be (`*_withheld`);
- **carried forward** when it cannot (`carried_forward`): the line is paid to a professional
  (tiers payant), or the deduction is larger than what the line reimburses;
- **recovered** later (`debt_recovered`), from the reimbursement of another line of the same
  patient paid to the insured;
- **refunded** (`DeductionRefund`) when the act it was due on is cancelled after it was
  recovered: what was recovered for it is given back with the next payment to the insured.

So a line reimburses ``for_line = amo - withheld`` (the AMO share less its own deductions), and
is paid ``paid = for_line - recovered``. A payment is the sum of its lines' ``for_line``, less
the deductions it recovers (its own line on every screen), less the acts paid earlier and
cancelled since that it takes back, plus the deductions it refunds (their own line too).
« Mes paiements » (list, detail, counters), its CSV, the relevé PDF and the new-payment email
all read these figures from here.

Every amount is a Decimal to the cent; the engine (rules.py) guarantees, for each line,
``due == withheld + carried_forward`` and, paid to the insured, ``paid == for_line - recovered``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")

# The words every screen uses (headers of the CSV and the tables, the relevé's totals).
DUE_PF = "Participation forfaitaire due"
DUE_FRANCHISE = "Franchise due"
WITHHELD = "Retenu sur ce soin"
CARRIED = "Reporté"
FOR_LINE = "Remboursé pour ce soin"
RECOVERED = "Reprise de retenues reportées"
TAKEN_BACK = "Actes annulés repris"
REFUNDED = "Retenues rendues (soins annulés)"
PAID = "Versé"


@dataclass(frozen=True)
class LineMoney:
    """One settled line's money (a `models.Settlement`, or any object with its figures)."""

    amo: Decimal
    participation_due: Decimal
    franchise_due: Decimal
    participation_withheld: Decimal
    franchise_withheld: Decimal
    carried_forward: Decimal
    recovered: Decimal
    paid: Decimal

    @classmethod
    def of(cls, s) -> LineMoney:
        return cls(
            amo=s.amo,
            participation_due=s.participation_due,
            franchise_due=s.franchise_due,
            participation_withheld=s.participation_withheld,
            franchise_withheld=s.franchise_withheld,
            carried_forward=s.carried_forward,
            recovered=s.debt_recovered,
            paid=s.paid,
        )

    @property
    def due(self) -> Decimal:
        return self.participation_due + self.franchise_due

    @property
    def withheld(self) -> Decimal:
        return self.participation_withheld + self.franchise_withheld

    @property
    def for_line(self) -> Decimal:
        """What the line itself reimburses: its AMO share less the deductions taken on it."""
        return self.paid + self.recovered


@dataclass
class Totals:
    """Sums over lines (those actually paid: a line cancelled before its payment never was)."""

    lines: int = 0
    charged: Decimal = ZERO
    base: Decimal = ZERO
    amo: Decimal = ZERO
    participation_due: Decimal = ZERO
    franchise_due: Decimal = ZERO
    withheld: Decimal = ZERO
    carried_forward: Decimal = ZERO
    for_line: Decimal = ZERO
    recovered: Decimal = ZERO
    taken_back: Decimal = ZERO  # acts paid earlier, cancelled, taken back from these payments
    refunded: Decimal = ZERO  # deductions recovered for acts cancelled since, given back
    ticket_moderateur: Decimal = ZERO
    depassement: Decimal = ZERO

    def add(self, line) -> None:
        """`line`: a Settlement with its act (for what was charged)."""
        money = LineMoney.of(line)
        self.lines += 1
        self.charged += line.act.charged
        self.base += line.base
        self.amo += money.amo
        self.participation_due += money.participation_due
        self.franchise_due += money.franchise_due
        self.withheld += money.withheld
        self.carried_forward += money.carried_forward
        self.for_line += money.for_line
        self.recovered += money.recovered
        self.ticket_moderateur += line.ticket_moderateur
        self.depassement += line.depassement

    @property
    def deductions_due(self) -> Decimal:
        return self.participation_due + self.franchise_due

    @property
    def deductions_taken(self) -> Decimal:
        """Deductions taken from these payments: on the lines themselves, and recovered, less
        those given back (recovered for acts cancelled since)."""
        return self.withheld + self.recovered - self.refunded

    @property
    def paid(self) -> Decimal:
        return self.for_line - self.recovered - self.taken_back + self.refunded


def totals(lines: Iterable, taken_back: Iterable = (), refunds: Iterable = ()) -> Totals:
    """`lines`: described Settlements (queries._described); `taken_back`: Reversals whose
    amount these payments took back; `refunds`: the DeductionRefunds they paid."""
    result = Totals()
    for line in lines:
        if not getattr(line, "reversed_before_payment", False):
            result.add(line)
    result.taken_back = sum((r.settlement.paid for r in taken_back), ZERO)
    result.refunded = sum((r.amount for r in refunds), ZERO)
    return result


@dataclass(frozen=True)
class PaymentBreakdown:
    """A payment as its detail, the relevé and the email tell it: lines, recovery, take-backs,
    refunds."""

    for_lines: Decimal
    recovered: Decimal
    taken_back: Decimal
    refunded: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.for_lines - self.recovered - self.taken_back + self.refunded


def payment_breakdown(lines: Iterable, recoveries: Iterable, refunds: Iterable = ()) -> PaymentBreakdown:
    t = totals(lines, recoveries, refunds)
    return PaymentBreakdown(
        for_lines=t.for_line, recovered=t.recovered, taken_back=t.taken_back, refunded=t.refunded
    )
