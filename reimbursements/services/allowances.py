"""Indemnités journalières (IJ): their computation, their ledger journal and their payment.

Rules applied (simplified, documented here so that the back office knows what it enters):

- ``days`` are the calendar days of the period, both ends included. The waiting days
  (délai de carence) are the staff's business: they enter the period actually paid.
- CSG (6.2 %) and CRDS (0.5 %) are levied on the gross amount of every IJ (sickness, work
  accident, maternity, paternity), each rounded to the cent (ROUND_HALF_UP).
- The taxable amount is the gross minus the deductible part of the CSG (3.8 %), that is the
  net plus the non-deductible CSG (2.4 %) and the CRDS. IJ of a work accident or occupational
  disease are taxable for half of it; IJ paid for an ALD are not taxable.

Rates live in one dated table: next year's change is one new row.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from accounts.models import Insured
from ameli_portal.audit import audit
from ameli_portal.emails import enqueue_email
from ameli_portal.formats import amount_text, first_name

from ..models import ZERO, Account, DailyAllowance, Journal, Payment
from .posting import _journal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LevyRates:
    start: date
    csg: Decimal
    csg_deductible: Decimal
    crds: Decimal


# (start date, CSG, of which deductible, CRDS), newest last.
LEVY_RATES = [
    LevyRates(date(2018, 1, 1), Decimal("0.062"), Decimal("0.038"), Decimal("0.005")),
]
# Share of the taxable base that is taxable, by kind of IJ.
TAXABLE_SHARE: dict[str, Decimal] = {
    DailyAllowance.Kind.SICKNESS: Decimal("1"),
    DailyAllowance.Kind.MATERNITY: Decimal("1"),
    DailyAllowance.Kind.PATERNITY: Decimal("1"),
    DailyAllowance.Kind.WORK_ACCIDENT: Decimal("0.5"),
}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def levy_rates_on(day: date) -> LevyRates:
    rows = [r for r in LEVY_RATES if r.start <= day]
    if not rows:
        raise ValueError(f"aucun taux de CSG/CRDS au {day:%d/%m/%Y}")
    return rows[-1]


@dataclass(frozen=True)
class AllowanceFigures:
    days: int
    daily_gross: Decimal
    gross: Decimal
    csg: Decimal
    crds: Decimal
    net: Decimal
    taxable: Decimal

    @property
    def csg_crds(self) -> Decimal:
        return self.csg + self.crds


def allowance_figures(
    *, kind: str, period_start: date, period_end: date, daily_gross: Decimal, paid_on: date, ald: bool = False
) -> AllowanceFigures:
    """Pure computation of an IJ payment (rates in force on the payment date)."""
    if period_end < period_start:
        raise ValueError("La fin de la période précède son début.")
    daily_gross = cents(Decimal(daily_gross))
    if daily_gross <= ZERO:
        raise ValueError("L'indemnité journalière doit être positive.")
    days = (period_end - period_start).days + 1
    gross = daily_gross * days
    rates = levy_rates_on(paid_on)
    csg, crds = cents(gross * rates.csg), cents(gross * rates.crds)
    net = gross - csg - crds
    if ald:
        taxable = ZERO
    else:
        taxable = cents((gross - cents(gross * rates.csg_deductible)) * TAXABLE_SHARE[kind])
    return AllowanceFigures(
        days=days, daily_gross=daily_gross, gross=gross, csg=csg, crds=crds, net=net, taxable=taxable
    )


@transaction.atomic
def daily_allowance_pay(
    *,
    insured: Insured,
    kind: str,
    period_start: date,
    period_end: date,
    daily_gross: Decimal,
    employer: str = "",
    paid_on: date,
    ald: bool = False,
    actor=None,
) -> DailyAllowance:
    """Post an IJ to the ledger and pay its net amount to the insured's IBAN, at once."""
    if kind not in DailyAllowance.Kind.values:
        raise ValueError(f"type d'indemnité inconnu : {kind}")
    figures = allowance_figures(
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        daily_gross=daily_gross,
        paid_on=paid_on,
        ald=ald,
    )
    Insured.objects.select_for_update().filter(pk=insured.pk).first()
    payment = Payment.objects.create(insured=insured, amount=figures.net, iban=insured.iban, paid_on=paid_on)
    allowance = DailyAllowance.objects.create(
        insured=insured,
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        days=figures.days,
        daily_gross=figures.daily_gross,
        gross=figures.gross,
        csg_crds=figures.csg_crds,
        net=figures.net,
        taxable=figures.taxable,
        employer=employer,
        paid_on=paid_on,
        payment=payment,
    )
    memo = f"IJ {allowance.get_kind_display()} du {period_start:%d/%m/%Y} au {period_end:%d/%m/%Y}"
    _journal(
        kind=Journal.Kind.DAILY_ALLOWANCE,
        actor=actor,
        memo=memo,
        legs=[
            (Account.DAILY_ALLOWANCE_EXPENSE, figures.gross, insured, None),
            (Account.SOCIAL_LEVIES, -figures.csg_crds, insured, None),
            (Account.INSURED_PAYABLE, -figures.net, insured, None),
        ],
    )
    _journal(
        kind=Journal.Kind.PAYMENT,
        payment=payment,
        legs=[
            (Account.INSURED_PAYABLE, figures.net, insured, None),
            (Account.BANK, -figures.net, insured, None),
        ],
    )
    if actor is not None:
        audit(actor=actor, action="ij_pay", obj=allowance, summary=memo)
    if insured.contact_email:
        # The same notice as for any payment: an amount and a date, no health detail.
        enqueue_email(
            template="new-payment",
            to=[insured.contact_email],
            context={
                "first_name": first_name(insured.first_names),
                "amount": amount_text(figures.net),
                "paid_on": paid_on.strftime("%d/%m/%Y"),
            },
        )
    return allowance
