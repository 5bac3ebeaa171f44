"""The figures of « Mes paiements » kept per person and month, so that the page never reads the
history: the year's counters and the 12 months' chart come from at most 13 rows a person
(`FiguresMonth`: 12 months and the row of all months), whatever the number of lines.

Every writer of settlements, reversals and payments (posting one sheet or a batch, the
import through it, a reversal, a payment run) calls `figures_refresh` once, in its own
transaction, after its writes: the rows of the people it touched are computed again from
their lines, and their `PaymentFigures` gets a new version (the cache key of the rendered
counters and chart). Computed again rather than adjusted by differences: the rows are, by
construction, what the ledger says at that commit (tests/reimbursements/test_figures_month.py
checks every writer against a reading of the ledger itself).

The version is written first: its row lock queues two writers of the same person, so that
the second computes after the first has committed, never from the same snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, F, Sum, Value
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
    """Compute again the figures of these people, and give them a new version; in the caller's
    transaction, after its writes. One uuid for all of them: the cache keys hold the person's id
    as well."""
    ids = sorted(set(insured_ids))
    version = uuid.uuid4()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        # In id order: two writers of overlapping people lock them in the same order.
        models.version.objects.bulk_create(
            [models.version(insured_id=pk, version=version) for pk in chunk],
            update_conflicts=True,
            unique_fields=["insured"],
            update_fields=["version"],
        )
        models.month.objects.filter(insured_id__in=chunk).delete()
        models.month.objects.bulk_create(_rows(chunk, models))


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
