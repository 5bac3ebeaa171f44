"""Read side of "Mes paiements": what an insured person may see of their payments and acts.

Every function takes the insured person and only ever returns their own lines: a payment
to a professional under tiers payant carries other people's acts, never shown here.
Each function is one query (or a fixed few), whatever the number of rows.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import Beneficiary, Insured

from .models import MONEY, ZERO, CareKind, Payment, Reversal, Settlement
from .rules import YEARLY_CAPS
from .templatetags.money import euros

HISTORY_MONTHS = 27  # what the caisse keeps online, as on ameli.fr
CHART_MONTHS = 12
CHART_HEIGHT, CHART_SLOT, CHART_BAR, CHART_LEFT = 160, 56, 36, 64  # SVG user units
MONTHS_SHORT_FR = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                   "nov.", "déc.")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


def months_back(day: date, months: int) -> date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def history_start(today: date) -> date:
    return months_back(today, HISTORY_MONTHS)


@dataclass(frozen=True)
class Filters:
    """What the person asked to see; ``person`` is None for everyone of the household."""

    start: date
    end: date | None = None
    person: Insured | Beneficiary | None = None
    kind: str = ""

    @property
    def kind_label(self) -> str:
        return CareKind(self.kind).label if self.kind else ""

    def lines_q(self, prefix: str = "") -> Q:
        """Conditions on a Settlement (reached through ``prefix``) for the person and the kind."""
        q = Q()
        if isinstance(self.person, Beneficiary):
            q &= Q(**{f"{prefix}beneficiary": self.person})
        elif self.person is not None:
            q &= Q(**{f"{prefix}beneficiary__isnull": True})
        if self.kind:
            q &= Q(**{f"{prefix}act__kind": self.kind})
        return q

    def period_q(self, field_name: str) -> Q:
        q = Q(**{f"{field_name}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{field_name}__lte": self.end})
        return q


def _money(expression):
    return Coalesce(expression, Value(ZERO), output_field=DecimalField(**MONEY))


def payments_for(insured: Insured, filters: Filters) -> QuerySet[Payment]:
    """Payments carrying at least one of the person's acts matching the filters, newest first.

    ``shown_amount`` is the transfer's amount when it was made to the insured person; for a
    transfer to a professional (tiers payant) it is only the part paid for their own acts.
    """
    own = Settlement.objects.filter(payment=OuterRef("pk"), insured=insured)
    # Start from the person's own lines (indexed by insured), not from every payment of the
    # caisse: the payments table holds everyone's transfers.
    matching = Settlement.objects.filter(filters.lines_q(), insured=insured,
                                         payment__isnull=False).values("payment")
    count = own.order_by().values("payment").annotate(n=Count("pk")).values("n")
    # Acts reversed before the transfer were never in it.
    paid_own = (own.exclude(reversal__created_at__lt=OuterRef("created_at")).order_by()
                .values("payment").annotate(total=Sum("paid")).values("total"))
    taken_back = (Reversal.objects.filter(payment=OuterRef("pk"), settlement__insured=insured).order_by()
                  .values("payment").annotate(total=Sum("settlement__paid")).values("total"))
    return (
        Payment.objects.filter(pk__in=matching).filter(filters.period_q("paid_on"))
        .select_related("professional")
        .annotate(
            act_count=Coalesce(Subquery(count), 0),
            shown_amount=Case(When(insured__isnull=False, then=F("amount")),
                              default=_money(Subquery(paid_own)) - _money(Subquery(taken_back)),
                              output_field=DecimalField(**MONEY)),
        )
        .order_by("-paid_on", "-id")
    )


def payments_page(insured: Insured, filters: Filters, number, *, per_page: int) -> Page:
    """One page of `payments_for`, its total counted by the same query (COUNT(*) OVER ()).

    A page number out of range (or not a number) gives the last (or the first) page, as
    Paginator.get_page does; only then does it cost a second query.
    """
    payments = payments_for(insured, filters).annotate(total=Window(Count("pk")))
    paginator = Paginator(payments, per_page)
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    rows = list(payments[(number - 1) * per_page:number * per_page])
    if rows:
        paginator.count = rows[0].total  # a cached_property: set, it spares the COUNT query
        return Page(rows, number, paginator)
    return paginator.get_page(number if number == 1 else paginator.num_pages)


PENDING_SHOWN = 20


def pending_lines(insured: Insured, filters: Filters, *,
                  limit: int = PENDING_SHOWN) -> tuple[list[Settlement], int]:
    """Acts settled and not yet paid ("en cours de paiement"), the oldest care first.

    The first `limit` of them, and how many there are in all (same query).
    """
    lines = (Settlement.objects.filter(filters.lines_q(), insured=insured, payment__isnull=True)
             .select_related("act__sheet__professional", "beneficiary", "reversal")
             .annotate(total=Window(Count("pk"))).order_by("care_date", "id")[:limit])
    lines = list(lines)
    for line in lines:
        line.insured = insured  # known: no join for it
    return _described(lines), (lines[0].total if lines else 0)


def _with_everything(lines: QuerySet[Settlement]) -> QuerySet[Settlement]:
    return lines.select_related("act__sheet__professional", "beneficiary", "insured", "payment",
                                "reversal__payment")


def _described(lines) -> list[Settlement]:
    """Each line with its patient and what became of it, in words (for pages and the CSV)."""
    lines = list(lines)
    for line in lines:
        line.patient = line.beneficiary or line.insured
        line.reversed_before_payment = False
        reversal, payment = getattr(line, "reversal", None), line.payment
        if reversal is None:
            line.state_label = "Payé" if payment else "En cours de paiement"
        elif payment is None:
            line.state_label = "Annulé : ne sera pas versé"
        elif reversal.created_at < payment.created_at:
            line.reversed_before_payment = True
            line.state_label = "Annulé avant paiement : non versé"
        elif reversal.payment is not None:
            line.state_label = f"Annulé : repris sur le paiement du {reversal.payment.paid_on:%d/%m/%Y}"
        else:
            line.state_label = "Annulé : sera repris sur un prochain paiement"
    return lines


def payment_lines(insured: Insured, payment: Payment) -> list[Settlement]:
    """The person's own acts in a payment, each with its reversal if it was cancelled."""
    lines = Settlement.objects.filter(insured=insured, payment=payment)
    return _described(_with_everything(lines).order_by("care_date", "id"))


def amount_shown(payment: Payment, lines: list[Settlement], recoveries: list[Reversal]) -> Decimal:
    """The transfer's amount; under tiers payant, only the part for the person's own acts."""
    if payment.insured_id is not None:
        return payment.amount
    paid = sum((line.paid for line in lines if not line.reversed_before_payment), ZERO)
    return paid - sum((r.settlement.paid for r in recoveries), ZERO)


def payment_recoveries(insured: Insured, payment: Payment) -> list[Reversal]:
    """Acts paid earlier, cancelled since, whose amount this payment took back."""
    return list(
        Reversal.objects.filter(payment=payment, settlement__insured=insured)
        .select_related("settlement__act__sheet__professional", "settlement__beneficiary",
                        "settlement__insured", "settlement__payment")
        .order_by("settlement__care_date", "id")
    )


def export_lines(insured: Insured, filters: Filters) -> list[Settlement]:
    """The lines behind the list: acts not yet paid, then acts of the payments in the period."""
    paid = Q(payment__isnull=False) & filters.period_q("payment__paid_on")
    return _described(_with_everything(
        Settlement.objects.filter(filters.lines_q(), paid | Q(payment__isnull=True), insured=insured)
    ).order_by(F("payment__paid_on").desc(nulls_first=True), "care_date", "id"))


# --- The year's deductions against their caps ---------------------------------------


def yearly_cap(pool: str, day: date) -> Decimal:
    rows = [r for r in YEARLY_CAPS if r.pool == pool and r.start <= day]
    return max(rows, key=lambda r: r.start).cap


@dataclass(frozen=True)
class Counter:
    amount: Decimal
    cap: Decimal

    @property
    def reached(self) -> bool:
        return self.amount >= self.cap


@dataclass(frozen=True)
class PersonCounters:
    person: Insured | Beneficiary
    participation: Counter
    franchise: Counter


def yearly_counters(insured: Insured, beneficiaries: list[Beneficiary], today: date) -> list[PersonCounters]:
    """Participations forfaitaires and franchises due this calendar year, per person.

    What is due counts against the cap, whether it was withheld from a payment already or
    is still to be withheld (tiers payant); cancelled acts do not count.
    """
    rows = (
        Settlement.objects.filter(insured=insured, care_date__year=today.year, reversal__isnull=True)
        .order_by().values("beneficiary")
        .annotate(participation=Sum("participation_due"), franchise=Sum("franchise_due"))
    )
    by_person = {row["beneficiary"]: row for row in rows}
    pf_cap, fr_cap = yearly_cap("participation", today), yearly_cap("franchise", today)
    counters = []
    for person in [insured, *beneficiaries]:
        row = by_person.get(person.pk if isinstance(person, Beneficiary) else None, {})
        counters.append(PersonCounters(
            person=person,
            participation=Counter(row.get("participation") or ZERO, pf_cap),
            franchise=Counter(row.get("franchise") or ZERO, fr_cap),
        ))
    return counters


# --- Monthly chart ---------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    first_day: date
    amount: Decimal
    bar_height: float  # SVG user units, like the positions below
    bar_y: float
    bar_x: float
    center_x: float

    @property
    def label(self) -> str:
        return f"{MONTHS_FR[self.first_day.month - 1]} {self.first_day.year}"

    @property
    def short_label(self) -> str:
        return MONTHS_SHORT_FR[self.first_day.month - 1]


@dataclass(frozen=True)
class Chart:
    months: list[Month]
    total: Decimal
    peak: Decimal
    ticks: list[tuple[Decimal, float]] = field(default_factory=list)
    height: int = CHART_HEIGHT
    bar_width: int = CHART_BAR
    left: int = CHART_LEFT

    @property
    def width(self) -> int:
        return CHART_LEFT + len(self.months) * CHART_SLOT

    @property
    def description(self) -> str:
        """The chart in one sentence, for those who do not see it."""
        best = max(self.months, key=lambda m: m.amount)
        if not self.peak:
            return "Aucun remboursement sur les 12 derniers mois."
        return (f"Remboursements par mois, de {self.months[0].label} à {self.months[-1].label} : "
                f"{euros(self.total)} au total ; le mois le plus élevé est {best.label} "
                f"avec {euros(best.amount)}.")


def monthly_reimbursements(insured: Insured, today: date) -> Chart:
    """What the Assurance Maladie paid for the person's care, month by month, over 12 months.

    Paid to them or, under tiers payant, to their professionals; cancelled acts left out.
    """
    first = months_back(today.replace(day=1), CHART_MONTHS - 1)
    rows = (
        Settlement.objects.filter(insured=insured, payment__paid_on__gte=first, reversal__isnull=True)
        .annotate(month=TruncMonth("payment__paid_on"))
        .order_by().values("month").annotate(total=Sum("paid"))
    )
    totals = {row["month"]: row["total"] for row in rows}
    days = [months_back(today.replace(day=1), n) for n in range(CHART_MONTHS - 1, -1, -1)]
    peak = max([totals.get(d, ZERO) for d in days] + [ZERO])
    chart_height = CHART_HEIGHT
    scale = _nice_ceiling(peak)
    months = []
    for i, d in enumerate(days):
        amount = totals.get(d, ZERO)
        height = float(amount / scale) * chart_height if scale else 0.0
        slot_x = CHART_LEFT + i * CHART_SLOT
        months.append(Month(d, amount, round(height, 1), round(chart_height - height, 1),
                            slot_x + (CHART_SLOT - CHART_BAR) / 2, slot_x + CHART_SLOT / 2))
    ticks = [(scale * k / 2, round(chart_height - chart_height * k / 2, 1)) for k in (0, 1, 2)]
    if not scale:
        ticks = []
    return Chart(months=months, total=sum((m.amount for m in months), ZERO), peak=peak, ticks=ticks)


def _nice_ceiling(amount: Decimal) -> Decimal:
    """A round top for the scale: 10, 20, 50, 100, 200... at least the highest bar."""
    if amount <= 0:
        return ZERO
    step = Decimal(10)
    while True:
        for factor in (1, 2, 5):
            if step * factor >= amount:
                return step * factor
        step *= 10
