"""Posting a batch of care sheets at once: the import's set-based path.

`care_sheet_post` (services.py) posts one sheet: a dozen queries per act. An
import of a million lines cannot afford that, so a batch is posted here with a
fixed number of queries whatever its size: the register and the counters of
every patient of the batch are read in a few queries, the rules engine runs in
memory, and sheets, acts, settlements, journals, ledger entries and audit rows
are written with one bulk insert each.

The engine stays the single source of truth, and the result is the one
`care_sheet_post` would give posting the same sheets one by one in file order
(tests/reimbursements/test_import_equivalence.py compares every figure and
every ledger entry): each patient's sheets go through the engine in file
order, sheet by sheet, the counters of one sheet's run (`SettlementRun.withheld`)
feeding the next. That is the engine running once per patient over the batch,
cut at sheet boundaries, because posting one sheet at a time is the order the
single-sheet path follows (the engine orders one run by care date: merging two
sheets of one patient in one run could move a capped deduction from one line
to another).

The caller holds the transaction: a batch is written whole or not at all. The
balanced-journal trigger (deferred to the commit) checks every journal then.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.utils import timezone

from accounts.models import Beneficiary, Insured
from ameli_portal.models import AuditEvent

from .. import builders, rules
from ..aggregates import FiguresChange, figures_apply
from ..builders import Patient
from ..models import ZERO, CareAct, CareSheet, Journal, LedgerEntry, Professional, Settlement
from .posting import settlement_legs

# Columns written by _insert, in order (the id comes first, allocated by _insert).
# Every column without a database default (Django's defaults are Python's: given here).
SHEET_COLUMNS = (
    "public_id",
    "insured_id",
    "beneficiary_id",
    "professional_id",
    "status",
    "received_on",
    "tiers_payant",
    "coordinated_path",
    "ald_related",
    "posted_at",
    "posted_by_id",
    "import_batch",
    "external_ref",
)
ACT_COLUMNS = (
    "sheet_id",
    "act_code",
    "label",
    "care_date",
    "end_date",
    "kind",
    "charged",
    "quantity",
    "coefficient",
    "base",
    "medicine_rate",
    "psychiatric",
    "basket",
    "emergency_transport",
    "costly_act",
)
SETTLEMENT_COLUMNS = (
    "act_id",
    "insured_id",
    "beneficiary_id",
    "care_date",
    "base",
    "rate",
    "amo",
    "ticket_moderateur",
    "depassement",
    "participation_due",
    "franchise_due",
    "participation_withheld",
    "franchise_withheld",
    "carried_forward",
    "debt_recovered",
    "paid",
    "payee",
    "hospital_daily_charge",
    "out_of_pocket",
    "posted_at",
    "payment_id",
)
JOURNAL_COLUMNS = ("kind", "settlement_id", "payment_id", "actor_id", "memo", "posted_at")
ENTRY_COLUMNS = ("journal_id", "account", "insured_id", "professional_id", "amount")
AUDIT_COLUMNS = ("actor_id", "action", "object_type", "object_id", "summary", "changes", "created_at")


@dataclass
class SheetToPost:
    """One care sheet as read from a file: CareSheet and CareAct fields (ids resolved)."""

    sheet: dict
    acts: list[dict]
    external_ref: str = ""
    error: rules.RulesError | None = None  # set when the engine refuses the sheet
    order: list[int] = field(default_factory=list)  # act positions, in the engine's input order
    results: tuple[rules.Settlement, ...] = ()

    @property
    def patient(self) -> Patient:
        return self.sheet["insured_id"], self.sheet.get("beneficiary_id")


@dataclass(frozen=True)
class _Person:
    """What the engine reads of an insured person or a beneficiary (builders.situation)."""

    birth_date: date


@dataclass
class _Read:
    """What settling a batch reads before anything is written."""

    persons: dict[Patient, _Person]
    pros: dict[int, Professional]
    exemptions: dict[Patient, list]
    counters: dict[Patient, rules.Withheld]


def care_sheets_post_batch(*, sheets: list[SheetToPost], actor, import_batch: str = "") -> int:
    """Write and post every sheet the engine can settle; return how many were posted.

    Three steps: read what the engine needs (`_read`: the people's rows locked, their
    counters), settle each patient's sheets in file order (`_settle`), write what was settled
    (`_write`). A sheet the engine refuses gets its `error` and is not written at all.
    Must run inside the caller's transaction.
    """
    if not sheets:
        return 0
    good = _settle(sheets, _read(sheets))
    if not good:
        return 0
    actor = actor if getattr(actor, "is_authenticated", False) else None
    _write(good, actor=actor, import_batch=import_batch)
    change = FiguresChange()
    for s in good:
        for r in s.results:
            change.line(r, insured_id=s.patient[0], beneficiary_id=s.patient[1], care_date=r.line.care_date)
    figures_apply(change)
    return len(good)


def _read(sheets: list[SheetToPost]) -> _Read:
    """The register and the counters of every patient of the batch: a fixed number of queries."""
    patients = {s.patient for s in sheets}
    insured_ids = sorted({p[0] for p in patients})
    # One posting at a time per insured person, as care_sheet_post does (ordered: no deadlock).
    born = dict(
        Insured.objects.select_for_update()
        .filter(pk__in=insured_ids)
        .order_by("pk")
        .values_list("pk", "birth_date")
    )
    wanted = {p[1] for p in patients if p[1] is not None}
    children: dict[int, date] = {}
    if wanted:
        children = dict(Beneficiary.objects.filter(pk__in=wanted).values_list("pk", "birth_date"))
    persons = {p: _Person(children[p[1]] if p[1] is not None else born[p[0]]) for p in patients}
    days: dict[Patient, set] = defaultdict(set)
    for s in sheets:
        days[s.patient] |= {a["care_date"] for a in s.acts}
    return _Read(
        persons=persons,
        pros={
            p.pk: p for p in Professional.objects.filter(pk__in={s.sheet["professional_id"] for s in sheets})
        },
        exemptions=builders.exemptions(insured_ids),
        counters=builders.withheld(days),
    )


def _settle(sheets: list[SheetToPost], read: _Read) -> list[SheetToPost]:
    """Run the engine over each sheet in file order, each patient's counters carried from one
    of their sheets to the next; return the sheets it settled (the others get their `error`)."""
    counters = read.counters
    situations: dict[tuple[Patient, date], rules.Situation] = {}  # one per patient and day

    def situation(patient: Patient, day: date) -> rules.Situation:
        found = situations.get((patient, day))
        if found is None:
            found = builders.situation(read.persons[patient], read.exemptions[patient], day)
            situations[(patient, day)] = found
        return found

    for s in sheets:
        pro = read.pros[s.sheet["professional_id"]]
        # The single-sheet path reads acts in (care date, id) order, id being file order.
        s.order = sorted(range(len(s.acts)), key=lambda i: (s.acts[i]["care_date"], i))
        lines = [
            builders.care_line(s.acts[i], s.sheet, pro, situation(s.patient, s.acts[i]["care_date"]))
            for i in s.order
        ]
        try:
            run = rules.compute_settlements(lines, withheld=counters[s.patient])
        except rules.RulesError as e:
            s.error = e
            continue
        counters[s.patient] = run.withheld
        s.results = run.settlements
    return [s for s in sheets if s.error is None]


def _write(good: list[SheetToPost], *, actor, import_batch: str) -> None:
    """Sheets, acts, settlements, journals, ledger entries (and the audit rows of a person
    acting): one COPY per table, the ids drawn beforehand."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None else None
    sheet_ids = _insert(CareSheet, SHEET_COLUMNS, [_sheet_row(s, now, actor_id, import_batch) for s in good])
    act_ids = iter(
        _insert(
            CareAct,
            ACT_COLUMNS,
            [
                (sheet_id, *(act.get(c) for c in ACT_COLUMNS[1:]))
                for sheet_id, s in zip(sheet_ids, good, strict=True)
                for act in s.acts
            ],
        )
    )
    settlements, legs = [], []
    for s in good:
        ids = [next(act_ids) for _ in s.acts]
        insured_id, beneficiary_id = s.patient
        for position, r in zip(s.order, s.results, strict=True):
            settlements.append(_settlement_row(r, ids[position], insured_id, beneficiary_id, now))
            legs.append(settlement_legs(r, insured_id=insured_id, professional_id=s.sheet["professional_id"]))
    settlement_ids = _insert(Settlement, SETTLEMENT_COLUMNS, settlements)
    journal_ids = _insert(
        Journal,
        JOURNAL_COLUMNS,
        [(Journal.Kind.SETTLEMENT.value, pk, None, actor_id, "", now) for pk in settlement_ids],
    )
    _insert(LedgerEntry, ENTRY_COLUMNS, _entry_rows(journal_ids, legs))
    if actor is not None:
        changes: object = {}
        if connection.vendor == "postgresql":
            from psycopg.types.json import Jsonb

            changes = Jsonb({})  # COPY sends the JSON, as bulk_create's field would
        label = CareSheet._meta.label_lower
        _insert(
            AuditEvent,
            AUDIT_COLUMNS,
            [
                (actor_id, "post", label, str(sheet_id), f"{len(s.acts)} acte(s)", changes, now)
                for sheet_id, s in zip(sheet_ids, good, strict=True)
            ],
        )


def _sheet_row(s: SheetToPost, now, actor_id, import_batch: str) -> tuple:
    return (
        uuid.uuid4(),
        s.sheet["insured_id"],
        s.sheet.get("beneficiary_id"),
        s.sheet["professional_id"],
        CareSheet.Status.POSTED.value,
        s.sheet["received_on"],
        s.sheet.get("tiers_payant", False),
        s.sheet.get("coordinated_path", True),
        s.sheet.get("ald_related", False),
        now,
        actor_id,
        import_batch,
        s.external_ref,
    )


def _settlement_row(r: rules.Settlement, act_id: int, insured_id: int, beneficiary_id, now) -> tuple:
    return (
        act_id,
        insured_id,
        beneficiary_id,
        r.line.care_date,
        r.base,
        r.rate,
        r.amo,
        r.ticket_moderateur,
        r.depassement,
        r.participation_due,
        r.franchise_due,
        r.participation_withheld,
        r.franchise_withheld,
        r.carried_forward,
        r.debt_recovered,
        r.paid,
        r.payee.value,
        r.hospital_daily_charge,
        r.out_of_pocket,
        now,
        None,
    )


def _entry_rows(journal_ids: list[int], legs: list[list[tuple]]) -> list[tuple]:
    """The ledger entries of each journal (its legs that move money), each journal balanced."""
    entries = []
    for journal_id, journal_legs in zip(journal_ids, legs, strict=True):
        rows = [
            (journal_id, str(account), ins, pro, amount)
            for account, amount, ins, pro in journal_legs
            if amount
        ]
        assert sum((row[-1] for row in rows), ZERO) == ZERO, "journal déséquilibré"
        entries += rows
    return entries


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> list[int]:
    """Insert rows (values in `columns` order, without the id); return their ids, in order.

    On PostgreSQL: ids drawn from the table's sequence in one query, rows sent with COPY
    (psycopg formats them in C; Django's bulk_create spends most of an import preparing
    values field by field). Row triggers fire for COPY as for INSERT, and CHECK constraints
    hold: the ledger's guards see every row. Django's query log does not list a COPY.
    Elsewhere (SQLite, the embedded default): bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objects = model.objects.bulk_create([model(**dict(zip(columns, row, strict=True))) for row in rows])
        return [o.pk for o in objects]
    from psycopg import sql as psycopg_sql

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg_sql.Identifier(table),
            psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(c) for c in ("id", *columns)),
        )
        # Django's errors (IntegrityError...), as for its own queries: the caller catches them.
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids
