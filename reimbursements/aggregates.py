"""The figures of « Mes paiements » kept per person and month, so that the page never reads the
history: the year's counters and the 12 months' chart come from at most 13 rows a person
(`FiguresMonth`: 12 months and the row of all months), whatever the number of lines.

Every writer of settlements, reversals and payments (posting one sheet or a batch, the
import through it, a reversal, a payment run) describes what it wrote in a `FiguresChange`
and calls `figures_apply` once, in its own transaction, after its writes: the kept rows of
the months it touched are adjusted by those differences (never computed again from the
history: a write costs the same at 200 or 20,000 lines), and the people get a new version
of their `PaymentFigures` (the cache key of the rendered counters and chart). The version
is written first: its row lock queues two writers of the same person, so that the second
reads the rows after the first has committed, never from the same snapshot.

`figures_refresh` computes people's rows again from their lines and the ledger (the backfill,
`./run manage rebuild_payment_figures`); tests/reimbursements/test_figures_month.py checks,
after every writer and any generated sequence of writes, that the adjusted rows are exactly
the rows it computes. Neither keeps a row of zeros: a month whose figures cancel out (its
only line cancelled) has no row, as one that never had any.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, Q, Sum, Value
from django.db.models.functions import TruncMonth

from .models import ZERO, Account, FiguresMonth, LedgerEntry, PaymentFigures, Settlement

CHUNK = 500  # people per statement (SQLite, the demo, limits a statement's parameters)


@dataclass(frozen=True)
class Models:
    """The three models, as the app has them or as a migration sees them (apps.get_model)."""

    settlement: type = Settlement
    month: type = FiguresMonth
    version: type = PaymentFigures
    ledger: type = LedgerEntry


def figures_refresh(*, insured_ids: Iterable[int], models: Models = Models()) -> None:
    """Compute again the figures of these people from their lines and give them a new version;
    in the caller's transaction. The full recompute (the backfill, the rebuild command): the
    writers adjust the rows instead (`figures_apply`). One uuid for all of them: the cache
    keys hold the person's id as well."""
    ids = sorted(set(insured_ids))
    for chunk in _new_version(ids, models):
        models.month.objects.filter(insured_id__in=chunk).delete()
        models.month.objects.bulk_create(_rows(chunk, models))


def _new_version(ids: list[int], models: Models):
    """Give these people (sorted) a new version, a chunk at a time; yield each chunk once its
    rows are locked. In id order: two writers of overlapping people lock them in the same order."""
    version = uuid.uuid4()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        models.version.objects.bulk_create(
            [models.version(insured_id=pk, version=version) for pk in chunk],
            update_conflicts=True,
            unique_fields=["insured"],
            update_fields=["version"],
        )
        yield chunk


@dataclass
class FiguresChange:
    """What one write changed in the kept figures, by (insured, beneficiary, month), from what
    it wrote: the same sums `_rows` takes over a person's lines, for the lines it touched."""

    rows: dict[tuple[int, int | None, date | None], dict[str, Decimal]] = field(default_factory=dict)
    people: set[int] = field(default_factory=set)  # given a new version, changed or not

    def add(self, insured_id: int, beneficiary_id: int | None, month: date | None, **amounts) -> None:
        self.people.add(insured_id)
        values = self.rows.setdefault((insured_id, beneficiary_id, month), dict.fromkeys(FIGURES, ZERO))
        for name, amount in amounts.items():
            values[name] += amount

    def line(self, s, *, insured_id: int, beneficiary_id: int | None, care_date: date, sign: int = 1) -> None:
        """A line posted (sign 1) or cancelled (-1): its deductions in its month of care, and its
        leg of the RECEIVABLE account (carried forward less recovered: `settlement_legs`) in
        what is still to be recovered. `s`: a Settlement or the engine's rules.Settlement."""
        self.add(
            insured_id,
            beneficiary_id,
            care_date.replace(day=1),
            participation_due=sign * s.participation_due,
            franchise_due=sign * s.franchise_due,
            withheld=sign * (s.participation_withheld + s.franchise_withheld),
            carried_forward=sign * s.carried_forward,
        )
        self.owed(insured_id, beneficiary_id, sign * (s.carried_forward - s.debt_recovered))

    def paid(self, s, *, paid_on: date, sign: int = 1) -> None:
        """A live line paid on `paid_on` (1), or a paid line cancelled (-1)."""
        self.add(s.insured_id, s.beneficiary_id, paid_on.replace(day=1), paid=sign * s.paid)

    def owed(self, insured_id: int, beneficiary_id: int | None, amount: Decimal) -> None:
        """An entry of the RECEIVABLE account of this patient (a refund of what was over-recovered)."""
        self.add(insured_id, beneficiary_id, None, outstanding=amount)


def figures_apply(change: FiguresChange, *, models: Models = Models()) -> None:
    """Adjust the kept rows by what a write changed, and give its people a new version; in the
    writer's transaction, after its writes. Reads and writes only the rows of the months the
    write touched (one query to read them, two to write them), whatever the history."""
    ids = sorted(change.people)
    changed = {key: values for key, values in change.rows.items() if any(values.values())}
    for chunk in _new_version(ids, models):
        people = set(chunk)
        keys = [key for key in changed if key[0] in people]
        if not keys:
            continue
        months = {month for _, _, month in keys if month is not None}
        # The rows of those people and months (each beneficiary's, the rows of all months),
        # read, then written again: a delete and an insert, linear for a batch of many people.
        these = Q(month__in=months) | Q(month__isnull=True)
        touched = models.month.objects.filter(these, insured_id__in=chunk)
        read = touched.values_list("insured_id", "beneficiary_id", "month", *FIGURES)
        rows = {row[:3]: dict(zip(FIGURES, map(_money, row[3:]), strict=True)) for row in read}
        for key in keys:
            values = rows.setdefault(key, dict.fromkeys(FIGURES, ZERO))
            for name, amount in changed[key].items():
                values[name] += amount
        touched.delete()
        models.month.objects.bulk_create(
            [
                models.month(insured_id=insured_id, beneficiary_id=beneficiary_id, month=month, **values)
                for (insured_id, beneficiary_id, month), values in rows.items()
                if any(values.values())  # figures that cancel out: no row, as after figures_refresh
            ]
        )


def _rows(ids: list[int], models: Models) -> list:
    """The people's rows from their live lines: one query of two groupings (the deductions by
    month of care, what was paid by month of payment), and one of the ledger for what is still
    carried forward (the RECEIVABLE balance per patient, through each entry's settlement: what
    builders.debts feeds the engine), merged here by (person, month)."""
    live = models.settlement.objects.filter(insured_id__in=ids, reversal__isnull=True).order_by()
    none = Value(ZERO, output_field=DecimalField(max_digits=12, decimal_places=2))
    columns = ("insured_id", "beneficiary_id", "m", "pf", "fr", "withheld", "carried", "paid", "outstanding")
    by_care = (
        live.annotate(m=TruncMonth("care_date"))
        .values("insured_id", "beneficiary_id", "m")
        .annotate(
            pf=Sum("participation_due"),
            fr=Sum("franchise_due"),
            withheld=Sum(F("participation_withheld") + F("franchise_withheld")),
            carried=Sum("carried_forward"),
            paid=none,
            outstanding=none,
        )
    )
    by_payment = (
        live.filter(payment__isnull=False)
        .annotate(m=TruncMonth("payment__paid_on"))
        .values("insured_id", "beneficiary_id", "m")
        .annotate(pf=none, fr=none, withheld=none, carried=none, paid=Sum("paid"), outstanding=none)
    )
    rows: dict[tuple, dict] = {}
    for r in by_care.values_list(*columns).union(by_payment.values_list(*columns), all=True):
        values = rows.setdefault(r[:3], dict.fromkeys(FIGURES, ZERO))
        for name, value in zip(FIGURES, r[3:], strict=True):
            values[name] += _money(value)
    debts = (
        models.ledger.objects.filter(account=Account.RECEIVABLE.value, insured_id__in=ids)
        .values_list("insured_id", "journal__settlement__beneficiary_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for insured_id, beneficiary_id, total in debts:
        if total:
            values = rows.setdefault((insured_id, beneficiary_id, None), dict.fromkeys(FIGURES, ZERO))
            values["outstanding"] += _money(total)
    return [
        models.month(insured_id=insured_id, beneficiary_id=beneficiary_id, month=month, **values)
        for (insured_id, beneficiary_id, month), values in rows.items()
        if any(values.values())  # as figures_apply: no row of zeros
    ]


FIGURES = ("participation_due", "franchise_due", "withheld", "carried_forward", "paid", "outstanding")


def _money(value) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(ZERO)  # SQLite sums in floats


def figures_rebuild_all(*, models: Models = Models(), batch: int = CHUNK) -> int:
    """Every person with lines, computed again (the backfill of existing data): how many."""
    ids = sorted(models.settlement.objects.values_list("insured_id", flat=True).distinct().order_by())
    for start in range(0, len(ids), batch):
        figures_refresh(insured_ids=ids[start : start + batch], models=models)
    models.month.objects.exclude(insured_id__in=models.settlement.objects.values("insured_id")).delete()
    return len(ids)
