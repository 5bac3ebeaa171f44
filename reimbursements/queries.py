"""Read side of "Mes paiements": what an insured person may see of their payments and acts.

Every function takes the insured person and only ever returns their own lines: a payment
to a professional under tiers payant carries other people's acts, never shown here.
Each function is one query (or a fixed few), whatever the number of rows.
"""

from __future__ import annotations

import calendar
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Beneficiary, Insured

from .deductions import LineMoney, payment_breakdown
from .models import (
    ZERO,
    CareAct,
    CareKind,
    CareSheet,
    DeductionRefund,
    FiguresMonth,
    Journal,
    LedgerEntry,
    Payment,
    Professional,
    Reversal,
    Settlement,
)
from .tariffs import AMOUNT_INDEX
from .templatetags.money import euros

HISTORY_MONTHS = 27  # what the caisse keeps online, as on ameli.fr
CHART_MONTHS = 12
CHART_HEIGHT, CHART_SLOT, CHART_BAR, CHART_LEFT = 160, 56, 36, 64  # SVG user units
MONTHS_SHORT_FR = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


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


# The page's own reads are hand-written SQL: Django compiling the equivalent querysets (their
# correlated subqueries, their joins) cost more than PostgreSQL running them, on every view of
# the page. Plain SQL (no casts, no FILTER) so that SQLite (the demo) runs it too; amounts are
# made Decimals again by `_dec` (SQLite hands back floats).
S, P, R = Settlement._meta.db_table, Payment._meta.db_table, Reversal._meta.db_table
A, SH = CareAct._meta.db_table, CareSheet._meta.db_table
PRO, BEN = Professional._meta.db_table, Beneficiary._meta.db_table
D, J, LE = DeductionRefund._meta.db_table, Journal._meta.db_table, LedgerEntry._meta.db_table
FM = FiguresMonth._meta.db_table
CENT = Decimal("0.01")


def _dec(value) -> Decimal:
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _lines_sql(filters: Filters, alias: str = "s") -> tuple[str, list]:
    """`Filters.lines_q` in SQL, on settlements named ``alias`` (the kind needs the act joined as a)."""
    sql, params = "", []
    if isinstance(filters.person, Beneficiary):
        sql += f" AND {alias}.beneficiary_id = %s"
        params.append(filters.person.pk)
    elif filters.person is not None:
        sql += f" AND {alias}.beneficiary_id IS NULL"
    if filters.kind:
        sql += f" AND {alias}.act_id IN (SELECT a.id FROM {A} a WHERE a.kind = %s)"  # noqa: S608
        params.append(filters.kind)
    return sql, params


@dataclass
class PaymentRow:
    """A payment as the list shows it; ``shown_amount`` is the person's share of it."""

    public_id: uuid.UUID
    paid_on: date
    insured_id: int | None
    professional_name: str
    shown_amount: Decimal
    act_count: int
    recovered: Decimal = ZERO  # deductions carried from earlier care, recovered on this payment
    refunded: Decimal = ZERO  # deductions recovered for acts cancelled since, given back
    detail_url: str = ""  # set by the view

    @property
    def paid_on_text(self) -> str:  # what |date:"d/m/Y" gives, without the filter's cost
        return f"{self.paid_on:%d/%m/%Y}"


def _payment_rows(
    insured: Insured, filters: Filters, *, limit: int, offset: int, oldest_first: bool = False
) -> tuple[list[PaymentRow], int]:
    """Payments carrying at least one of the person's acts matching the filters, newest first
    (oldest first when asked: the API's cursor walks back), with how many there are in all
    (COUNT(*) OVER (), same query).

    ``shown_amount`` is the transfer's amount when it was made to the insured person; for a
    transfer to a professional (tiers payant) it is only the part paid for their own acts
    (acts reversed before the transfer were never in it), less what it took back of them.
    """
    lines_sql, lines_params = _lines_sql(filters)
    period_sql, period_params = " AND p.paid_on >= %s", [filters.start]
    if filters.end is not None:
        period_sql += " AND p.paid_on <= %s"
        period_params.append(filters.end)
    order = "ASC" if oldest_first else "DESC"
    # Start from the person's own lines (indexed by insured), not from every payment of the
    # caisse: the payments table holds everyone's transfers. Without a filter on the lines,
    # their payments are walked one by one on the index settlement_paid_idx (each step the
    # next payment id: as many steps as payments, not as lines); filtered, the lines are read.
    # The step compares (insured, payment) as a pair: only that index can answer it (on the
    # payment's own index, the last step would scan every later payment of everyone).
    if lines_sql:
        walk, walk_params = "", []
        theirs = f"SELECT s.payment_id FROM {S} s WHERE s.insured_id = %s AND s.payment_id IS NOT NULL"  # noqa: S608
        theirs += lines_sql
        theirs_params = [insured.pk, *lines_params]
    else:
        # No `s.insured_id = %s` in the WHERE: with it, PostgreSQL may walk the payment's own
        # index in payment order and filter the person's lines (seen at 2,000 lines after
        # ANALYZE: 1,055 rows read a step, 91 ms). The next line in (insured, payment) order
        # is someone else's once the person's payments are walked: NULL ends the walk.
        step = f"""SELECT CASE WHEN s.insured_id = %s THEN s.payment_id END FROM {S} s
            WHERE s.payment_id IS NOT NULL AND (s.insured_id, s.payment_id) > (%s, {{}})
            ORDER BY s.insured_id, s.payment_id LIMIT 1"""  # noqa: S608
        walk = f"""WITH RECURSIVE theirs(id) AS (
            SELECT ({step.format(0)})
            UNION ALL
            SELECT ({step.format("theirs.id")}) FROM theirs WHERE theirs.id IS NOT NULL)"""  # noqa: S608
        walk_params, theirs_params = [insured.pk] * 4, []
        theirs = "SELECT id FROM theirs WHERE id IS NOT NULL"
    sql = f"""{walk}
        SELECT p.public_id, p.paid_on, p.insured_id, pro.name,
          CASE WHEN p.insured_id IS NOT NULL THEN p.amount ELSE
            COALESCE((SELECT SUM(s.paid) FROM {S} s LEFT JOIN {R} r ON r.settlement_id = s.id
                      WHERE s.payment_id = p.id AND s.insured_id = %s
                        AND (r.created_at IS NULL OR r.created_at >= p.created_at)), 0)
            - COALESCE((SELECT SUM(s.paid) FROM {R} r INNER JOIN {S} s ON s.id = r.settlement_id
                        WHERE r.payment_id = p.id AND s.insured_id = %s AND s.payment_id <> p.id), 0)
          END,
          (SELECT COUNT(*) FROM {S} s WHERE s.payment_id = p.id AND s.insured_id = %s),
          (SELECT SUM(s.debt_recovered) FROM {S} s LEFT JOIN {R} r ON r.settlement_id = s.id
           WHERE s.payment_id = p.id AND s.insured_id = %s
             AND (r.created_at IS NULL OR r.created_at >= p.created_at)),
          (SELECT SUM(d.amount) FROM {D} d WHERE d.payment_id = p.id AND d.insured_id = %s),
          COUNT(*) OVER ()
        FROM {P} p LEFT OUTER JOIN {PRO} pro ON pro.id = p.professional_id
        WHERE (p.id IN ({theirs})
               OR p.id IN (SELECT d.payment_id FROM {D} d INNER JOIN {R} r ON r.id = d.reversal_id
                           INNER JOIN {S} s ON s.id = r.settlement_id
                           WHERE d.insured_id = %s AND d.payment_id IS NOT NULL{lines_sql})){period_sql}
        ORDER BY p.paid_on {order}, p.id {order}
        LIMIT %s OFFSET %s"""  # noqa: S608 (tables and fixed fragments; values are parameters)
    params = [*walk_params, *[insured.pk] * 5, *theirs_params, insured.pk, *lines_params, *period_params]
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    payments = [
        PaymentRow(
            public_id=_uuid(public_id),
            paid_on=_date(paid_on),
            insured_id=insured_id,
            professional_name=name or "",
            shown_amount=_dec(amount),
            act_count=count,
            recovered=_dec(recovered),
            refunded=_dec(refunded),
        )
        for public_id, paid_on, insured_id, name, amount, count, recovered, refunded, _ in rows
    ]
    return payments, (rows[0][-1] if rows else 0)


def payment_rows(
    insured: Insured, filters: Filters, *, limit: int, offset: int = 0, oldest_first: bool = False
) -> list[PaymentRow]:
    """The rows of `payments_page` without its page: for the API's cursor (api/payments.py)."""
    return _payment_rows(insured, filters, limit=limit, offset=offset, oldest_first=oldest_first)[0]


# Far past any real history (27 months of payments): a larger number is past the end too.
MAX_PAGE = 100_000


def payments_page(insured: Insured, filters: Filters, number, *, per_page: int) -> Page:
    """One page of the person's payments (see `_payment_rows`), its total from the same query.

    A page number out of range (or not a number) gives the last (or the first) page, as
    Paginator.get_page does; only then does it cost more queries. A number from the query
    string is capped before it becomes an OFFSET: 2**63 would overflow the database's bigint.
    """
    try:
        number = min(max(int(number), 1), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    rows, total = _payment_rows(insured, filters, limit=per_page, offset=(number - 1) * per_page)
    if not rows and number > 1:
        _, total = _payment_rows(insured, filters, limit=1, offset=0)
        number = max((total + per_page - 1) // per_page, 1)
        rows, total = _payment_rows(insured, filters, limit=per_page, offset=(number - 1) * per_page)
    paginator = Paginator([], per_page)
    paginator.count = total  # a cached_property: set, it is never counted again
    return Page(rows, number, paginator)


PENDING_SHOWN = 20


@dataclass(frozen=True)
class PendingLine:
    """An act settled and not yet paid, as the list shows it."""

    care_date: date
    patient: str
    label: str
    professional_name: str
    paid: Decimal
    payee: str
    reversed: bool
    quantity: int = 1
    recovered: Decimal = ZERO  # see deductions.py
    carried_forward: Decimal = ZERO

    @property
    def for_line(self) -> Decimal:
        return self.paid + self.recovered

    @property
    def care_date_text(self) -> str:  # what |date:"d/m/Y" gives, without the filter's cost
        return f"{self.care_date:%d/%m/%Y}"

    @property
    def state_label(self) -> str:  # as `_described` says it of a line without payment
        return "Annulé : ne sera pas versé" if self.reversed else "En cours de paiement"


def pending_lines(
    insured: Insured, filters: Filters, beneficiaries: list[Beneficiary], *, limit: int = PENDING_SHOWN
) -> tuple[list[PendingLine], int]:
    """Acts settled and not yet paid ("en cours de paiement"), the oldest care first.

    The first `limit` of them, and how many there are in all (same query): the lines are
    chosen first, then only those are joined to their act, professional, patient, reversal.
    """
    lines_sql, lines_params = _lines_sql(filters)
    sql = f"""
        SELECT s.care_date, s.paid, s.payee, s.beneficiary_id, a.label, a.act_code, pro.name,
               r.id, a.quantity, s.debt_recovered, s.carried_forward, s.total
        FROM (SELECT s.id, s.act_id, s.beneficiary_id, s.care_date, s.paid, s.payee, s.debt_recovered,
                     s.carried_forward, COUNT(*) OVER () AS total
              FROM {S} s WHERE s.insured_id = %s AND s.payment_id IS NULL{lines_sql}
              ORDER BY s.care_date, s.id LIMIT %s) s
        INNER JOIN {A} a ON a.id = s.act_id
        INNER JOIN {SH} sh ON sh.id = a.sheet_id
        INNER JOIN {PRO} pro ON pro.id = sh.professional_id
        LEFT OUTER JOIN {R} r ON r.settlement_id = s.id
        ORDER BY s.care_date, s.id"""  # noqa: S608 (tables and fixed fragments; values are parameters)
    with connection.cursor() as cursor:
        cursor.execute(sql, [insured.pk, *lines_params, limit])
        rows = cursor.fetchall()
    people = {b.pk: str(b) for b in beneficiaries}  # the household, read once by the page
    me = str(insured)
    lines = [
        PendingLine(
            care_date=_date(care_date),
            paid=_dec(paid),
            payee=payee,
            patient=people[beneficiary_id] if beneficiary_id is not None else me,
            label=label or act_code,
            professional_name=name,
            reversed=reversal_id is not None,
            quantity=quantity,
            recovered=_dec(recovered),
            carried_forward=_dec(carried),
        )
        for (
            care_date,
            paid,
            payee,
            beneficiary_id,
            label,
            act_code,
            name,
            reversal_id,
            quantity,
            recovered,
            carried,
            _,
        ) in rows
    ]
    return lines, (rows[0][-1] if rows else 0)


def _with_everything(lines: QuerySet[Settlement]) -> QuerySet[Settlement]:
    return lines.select_related(
        "act__sheet__professional", "beneficiary", "insured", "payment", "reversal__payment"
    )


def _describe(line: Settlement) -> Settlement:
    """The line with its patient, its money (deductions.LineMoney) and what became of it, in
    words (for pages, the CSV and the relevé)."""
    line.patient = line.beneficiary or line.insured
    line.money = LineMoney.of(line)
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
    return line


def _described(lines) -> list[Settlement]:
    return [_describe(line) for line in lines]


def payment_lines(insured: Insured, payment: Payment) -> list[Settlement]:
    """The person's own acts in a payment, each with its reversal if it was cancelled."""
    lines = Settlement.objects.filter(insured=insured, payment=payment)
    return _described(_with_everything(lines).order_by("care_date", "id"))


def payment_refunds(insured: Insured, payment: Payment) -> list[DeductionRefund]:
    """Deductions recovered for acts cancelled since, given back by this payment."""
    return list(
        DeductionRefund.objects.filter(payment=payment, insured=insured)
        .select_related(
            "reversal__settlement__act__sheet__professional",
            "reversal__settlement__beneficiary",
            "reversal__settlement__insured",
        )
        .order_by("reversal__settlement__care_date", "id")
    )


def refunds(insured: Insured, filters: Filters):
    """Deductions given back for acts cancelled since: paid in the period (the newest payment
    first) or still to be paid (first), each with ``.settlement`` (the cancelled act)."""
    found = (
        DeductionRefund.objects.filter(
            filters.lines_q("reversal__settlement__"),
            Q(payment__isnull=True) | filters.period_q("payment__paid_on"),
            insured=insured,
        )
        .select_related(
            "payment",
            "reversal__settlement__act__sheet__professional",
            "reversal__settlement__beneficiary",
            "reversal__settlement__insured",
        )
        .order_by(F("payment__paid_on").desc(nulls_first=True), "reversal__settlement__care_date", "id")
    )
    for refund in found.iterator(chunk_size=EXPORT_CHUNK):
        refund.settlement = refund.reversal.settlement
        refund.settlement.patient = refund.settlement.beneficiary or refund.settlement.insured
        yield refund


def amount_shown(
    payment: Payment,
    lines: list[Settlement],
    recoveries: list[Reversal],
    refunded: list[DeductionRefund] = (),
) -> Decimal:
    """The transfer's amount; under tiers payant, only the part for the person's own acts
    (`deductions.payment_breakdown`: what their lines reimburse, less what it takes back)."""
    if payment.insured_id is not None:
        return payment.amount
    return payment_breakdown(lines, recoveries, refunded).amount


def payment_recoveries(insured: Insured, payment: Payment) -> list[Reversal]:
    """Acts paid earlier, cancelled since, whose amount this payment took back."""
    return list(
        Reversal.objects.filter(payment=payment, settlement__insured=insured)
        .exclude(settlement__payment=payment)  # cancelled before being paid: never paid, nothing taken back
        .select_related(
            "settlement__act__sheet__professional",
            "settlement__beneficiary",
            "settlement__insured",
            "settlement__payment",
        )
        .order_by("settlement__care_date", "id")
    )


EXPORT_CHUNK = 2_000  # rows fetched at a time: the export's memory does not grow with the history


def _export_queryset(insured: Insured, filters: Filters) -> QuerySet[Settlement]:
    paid = Q(payment__isnull=False) & filters.period_q("payment__paid_on")
    return _with_everything(
        Settlement.objects.filter(filters.lines_q(), paid | Q(payment__isnull=True), insured=insured)
    ).order_by(F("payment__paid_on").desc(nulls_first=True), "care_date", "id")


def export_lines(insured: Insured, filters: Filters) -> list[Settlement]:
    """The lines behind the list: acts not yet paid, then acts of the payments in the period."""
    return _described(_export_queryset(insured, filters))


def iter_export_lines(insured: Insured, filters: Filters):
    """`export_lines`, read EXPORT_CHUNK rows at a time (a server-side cursor on PostgreSQL)."""
    for line in _export_queryset(insured, filters).iterator(chunk_size=EXPORT_CHUNK):
        yield _describe(line)


def taken_back(insured: Insured, filters: Filters):
    """Acts paid earlier and cancelled since, taken back by a payment of the period (the
    newest payment first), each Reversal with its settlement described."""
    reversals = (
        Reversal.objects.filter(
            filters.lines_q("settlement__"),
            filters.period_q("payment__paid_on"),
            settlement__insured=insured,
            payment__isnull=False,
        )
        .exclude(settlement__payment=F("payment"))  # cancelled before being paid: never paid
        .select_related(
            "payment",
            "settlement__act__sheet__professional",
            "settlement__beneficiary",
            "settlement__insured",
            "settlement__payment",
        )
        .order_by("-payment__paid_on", "settlement__care_date", "id")
    )
    for reversal in reversals.iterator(chunk_size=EXPORT_CHUNK):
        reversal.settlement.reversal = reversal
        _describe(reversal.settlement)
        yield reversal


# --- The year's deductions against their caps ---------------------------------------


def yearly_cap(pool: str, day: date) -> Decimal:
    return AMOUNT_INDEX.lookup(f"cap:{pool}", day).amount


@dataclass(frozen=True)
class Counter:
    amount: Decimal
    cap: Decimal

    @property
    def reached(self) -> bool:
        return self.amount >= self.cap

    # What |unlocalize and |floatformat:0 gave in the template, at a fraction of their cost.
    @property
    def amount_raw(self) -> str:
        return str(self.amount)

    @property
    def cap_raw(self) -> str:
        return str(self.cap)

    @property
    def cap_text(self) -> str:
        return str(self.cap.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class PersonCounters:
    """One person's deductions (deductions.py): due on the year's care, counted against the caps;
    of that, withheld on the lines themselves and carried forward; and what is still to be
    recovered from their next reimbursements (carried forward, any year, not yet recovered)."""

    person: Insured | Beneficiary
    participation: Counter
    franchise: Counter
    withheld: Decimal = ZERO
    carried_forward: Decimal = ZERO
    outstanding: Decimal = ZERO

    @property
    def due(self) -> Decimal:
        return self.participation.amount + self.franchise.amount

    @property
    def to_recover(self) -> Decimal:
        return max(self.outstanding, ZERO)


def yearly_counters(
    insured: Insured, beneficiaries: list[Beneficiary], today: date, rows: dict
) -> list[PersonCounters]:
    """Participations forfaitaires and franchises due this calendar year, per person, from
    ``rows`` (beneficiary id or None -> (participation, franchise, withheld, carried forward,
    outstanding)) read by `household_figures`.

    What is due counts against the cap, whether it was withheld from a payment already or
    is still to be withheld (tiers payant); cancelled acts do not count.
    """
    pf_cap, fr_cap = yearly_cap("participation", today), yearly_cap("franchise", today)
    counters = []
    for person in [insured, *beneficiaries]:
        key = person.pk if isinstance(person, Beneficiary) else None
        participation, franchise, withheld, carried, outstanding = rows.get(key, (ZERO,) * 5)
        counters.append(
            PersonCounters(
                person=person,
                participation=Counter(participation, pf_cap),
                franchise=Counter(franchise, fr_cap),
                withheld=withheld,
                carried_forward=carried,
                outstanding=outstanding,
            )
        )
    return counters


def household_figures(
    insured: Insured, beneficiaries: list[Beneficiary], today: date
) -> tuple[list[PersonCounters], Chart]:
    """The year's counters and the 12 months' chart, from the rows kept per person and month
    (aggregates.py): one query reading at most 13 rows a person of the household (the 12
    months of the chart, which hold the year's, and the row of all months for what is still
    to be recovered), whatever the history."""
    year_end = date(today.year, 12, 31)
    first = months_back(today.replace(day=1), CHART_MONTHS - 1)  # at or before the 1st of January
    sql = f"""
        SELECT beneficiary_id, month, participation_due, franchise_due, withheld, carried_forward,
               paid, outstanding
        FROM {FM}
        WHERE insured_id = %s AND (month IS NULL OR (month >= %s AND month <= %s))"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [insured.pk, first, year_end])
        rows = cursor.fetchall()
    people, months = {}, {}
    for beneficiary_id, month, participation, franchise, withheld, carried, paid, outstanding in rows:
        person = people.setdefault(beneficiary_id, [ZERO] * 5)
        if month is None:
            person[4] += _dec(outstanding)
            continue
        month = _date(month)
        if month.year == today.year:
            for i, value in enumerate((participation, franchise, withheld, carried)):
                person[i] += _dec(value)
        months[month] = months.get(month, ZERO) + _dec(paid)
    people = {key: tuple(values) for key, values in people.items()}
    return yearly_counters(insured, beneficiaries, today, people), monthly_reimbursements(today, months)


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

    # SVG coordinates as |stringformat:'s' wrote them (a dot, never a localized comma).
    @property
    def svg(self) -> dict[str, str]:
        return {
            "x": str(self.bar_x),
            "y": str(self.bar_y),
            "height": str(self.bar_height),
            "center": str(self.center_x),
        }


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
    def svg_ticks(self) -> list[tuple[str, str]]:
        """(label as |floatformat:0 gave it, y as |stringformat:'s' gave it) of each grid line."""
        return [
            (str(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)), str(y)) for amount, y in self.ticks
        ]

    @property
    def tick_x(self) -> int:
        return self.left - 8

    @property
    def description(self) -> str:
        """The chart in one sentence, for those who do not see it."""
        best = max(self.months, key=lambda m: m.amount)
        if not self.peak:
            return "Aucun remboursement sur les 12 derniers mois."
        return (
            f"Remboursements par mois, de {self.months[0].label} à {self.months[-1].label} : "
            f"{euros(self.total)} au total ; le mois le plus élevé est {best.label} "
            f"avec {euros(best.amount)}."
        )


def monthly_reimbursements(today: date, totals: dict[date, Decimal]) -> Chart:
    """What the Assurance Maladie paid for the person's care, month by month, over 12 months,
    from ``totals`` (first day of a month -> amount) read by `household_figures`.

    Paid to them or, under tiers payant, to their professionals; cancelled acts left out.
    """
    days = [months_back(today.replace(day=1), n) for n in range(CHART_MONTHS - 1, -1, -1)]
    peak = max([totals.get(d, ZERO) for d in days] + [ZERO])
    chart_height = CHART_HEIGHT
    scale = _nice_ceiling(peak)
    months = []
    for i, d in enumerate(days):
        amount = totals.get(d, ZERO)
        height = float(amount / scale) * chart_height if scale else 0.0
        slot_x = CHART_LEFT + i * CHART_SLOT
        months.append(
            Month(
                d,
                amount,
                round(height, 1),
                round(chart_height - height, 1),
                slot_x + (CHART_SLOT - CHART_BAR) / 2,
                slot_x + CHART_SLOT / 2,
            )
        )
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


def home_payments(home, insured: Insured, since) -> None:
    """« Mon espace »: how many payments since the last visit, and the last ones."""
    from accounts.home import LAST_PAYMENTS

    if since is not None:
        home.new_payments = (
            Settlement.objects.filter(insured=insured, payment__created_at__gt=since)
            .values("payment")
            .distinct()
            .count()
        )
    filters = Filters(start=history_start(timezone.localdate()))
    home.payments = list(payments_page(insured, filters, 1, per_page=LAST_PAYMENTS))


def ledger_balance(**filters) -> Decimal:
    return LedgerEntry.objects.filter(**filters).aggregate(total=Sum("amount"))["total"] or ZERO
