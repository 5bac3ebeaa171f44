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
from django.db.models import Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from accounts.models import Beneficiary, Exemption, Insured
from ameli_portal.models import AuditEvent

from . import rules
from .models import ZERO, CareAct, CareSheet, Journal, LedgerEntry, Professional, Settlement
from .queries import PRO, SH, A, R, S, _date, _dec
from .services import FRANCHISE_BY_KIND, insured_figures_changed, settlement_legs

Patient = tuple[int, int | None]  # (insured id, beneficiary id or None)

# Columns written by _insert, in order (the id comes first, allocated by _insert).
# Every column without a database default (Django's defaults are Python's: given here).
SHEET_COLUMNS = ("public_id", "insured_id", "beneficiary_id", "professional_id", "status", "received_on",
                 "tiers_payant", "coordinated_path", "ald_related", "posted_at", "posted_by_id",
                 "import_batch", "external_ref")
ACT_COLUMNS = ("sheet_id", "act_code", "label", "care_date", "end_date", "kind", "charged", "quantity",
               "coefficient", "base", "medicine_rate", "psychiatric", "basket", "emergency_transport",
               "costly_act")
SETTLEMENT_COLUMNS = ("act_id", "insured_id", "beneficiary_id", "care_date", "base", "rate", "amo",
                      "ticket_moderateur", "depassement", "participation_due", "franchise_due",
                      "participation_withheld", "franchise_withheld", "carried_forward", "debt_recovered",
                      "paid", "payee", "hospital_daily_charge", "out_of_pocket", "posted_at", "payment_id")
JOURNAL_COLUMNS = ("kind", "settlement_id", "payment_id", "actor_id", "memo", "posted_at")
ENTRY_COLUMNS = ("journal_id", "account", "insured_id", "professional_id", "amount")


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


def care_sheets_post_batch(*, sheets: list[SheetToPost], actor, import_batch: str = "") -> int:
    """Write and post every sheet the engine can settle; return how many were posted.

    A sheet the engine refuses gets its `error` and is not written at all.
    Must run inside the caller's transaction.
    """
    if not sheets:
        return 0
    patients = {s.patient for s in sheets}
    insured_ids = sorted({p[0] for p in patients})
    # One posting at a time per insured person, as care_sheet_post does (ordered: no deadlock).
    insured = {i.pk: i for i in Insured.objects.select_for_update().filter(pk__in=insured_ids).order_by("pk")}
    beneficiaries = {b.pk: b for b in Beneficiary.objects.filter(
        pk__in={p[1] for p in patients if p[1] is not None})}
    pros = {p.pk: p for p in Professional.objects.filter(pk__in={s.sheet["professional_id"] for s in sheets})}
    exemptions = _exemptions(insured_ids)
    counters = _withheld(sheets, insured_ids, pros)

    for s in sheets:
        pro = pros[s.sheet["professional_id"]]
        person = beneficiaries[s.patient[1]] if s.patient[1] else insured[s.patient[0]]
        # The single-sheet path reads acts in (care date, id) order, id being file order.
        s.order = sorted(range(len(s.acts)), key=lambda i: (s.acts[i]["care_date"], i))
        lines = [_care_line(s.acts[i], s.sheet, pro, _situation(person, exemptions[s.patient], s.acts[i]))
                 for i in s.order]
        try:
            run = rules.compute_settlements(lines, withheld=counters[s.patient])
        except rules.RulesError as e:
            s.error = e
            continue
        counters[s.patient] = run.withheld
        s.results = run.settlements

    good = [s for s in sheets if s.error is None]
    if not good:
        return 0
    # Their rows are locked above: one UPDATE for the batch, in its transaction.
    insured_figures_changed(insured_ids=sorted({s.patient[0] for s in good}))
    now = timezone.now()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    actor_id = actor.pk if actor is not None else None
    sheet_ids = _insert(CareSheet, SHEET_COLUMNS, [
        (uuid.uuid4(), s.sheet["insured_id"], s.sheet.get("beneficiary_id"), s.sheet["professional_id"],
         CareSheet.Status.POSTED.value, s.sheet["received_on"], s.sheet.get("tiers_payant", False),
         s.sheet.get("coordinated_path", True), s.sheet.get("ald_related", False), now, actor_id,
         import_batch, s.external_ref)
        for s in good])
    act_ids = iter(_insert(CareAct, ACT_COLUMNS, [
        (sheet_id, *(act.get(c) for c in ACT_COLUMNS[1:]))
        for sheet_id, s in zip(sheet_ids, good, strict=True) for act in s.acts]))
    settlements, legs = [], []
    for s in good:
        ids = [next(act_ids) for _ in s.acts]
        insured_id, beneficiary_id = s.patient
        pro_id = s.sheet["professional_id"]
        for position, r in zip(s.order, s.results, strict=True):
            settlements.append((
                ids[position], insured_id, beneficiary_id, r.line.care_date, r.base, r.rate, r.amo,
                r.ticket_moderateur, r.depassement, r.participation_due, r.franchise_due,
                r.participation_withheld, r.franchise_withheld, r.carried_forward, r.debt_recovered, r.paid,
                r.payee.value, r.hospital_daily_charge, r.out_of_pocket, now, None,
            ))
            legs.append(settlement_legs(r, insured_id=insured_id, professional_id=pro_id))
    settlement_ids = _insert(Settlement, SETTLEMENT_COLUMNS, settlements)
    journal_ids = _insert(Journal, JOURNAL_COLUMNS, [
        (Journal.Kind.SETTLEMENT.value, pk, None, actor_id, "", now) for pk in settlement_ids])
    entries = []
    for journal_id, journal_legs in zip(journal_ids, legs, strict=True):
        rows = [(journal_id, str(account), ins, pro, amount)
                for account, amount, ins, pro in journal_legs if amount]
        assert sum((row[-1] for row in rows), ZERO) == ZERO, "journal déséquilibré"
        entries += rows
    _insert(LedgerEntry, ENTRY_COLUMNS, entries)
    if actor is not None:
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=actor, action="post", object_type=CareSheet._meta.label_lower,
                       object_id=str(sheet_id), summary=f"{len(s.acts)} acte(s)")
            for sheet_id, s in zip(sheet_ids, good, strict=True)])
    return len(good)


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
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [table, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        statement = psycopg_sql.SQL("COPY {} ({}) FROM STDIN").format(
            psycopg_sql.Identifier(table),
            psycopg_sql.SQL(", ").join(psycopg_sql.Identifier(c) for c in ("id", *columns)))
        # Django's errors (IntegrityError...), as for its own queries: the caller catches them.
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *row))
    return ids


# --- What the batch reads -------------------------------------------------------------


def _exemptions(insured_ids) -> dict[Patient, list[Exemption]]:
    found: dict[Patient, list[Exemption]] = defaultdict(list)
    for e in Exemption.objects.filter(insured_id__in=insured_ids).order_by("-start"):
        found[(e.insured_id, e.beneficiary_id)].append(e)
    return found


def _situation(person, exemptions: list[Exemption], act: dict) -> rules.Situation:
    """services.situation_on, from exemptions read once for the batch."""
    day = act["care_date"]
    kinds = {e.kind: e for e in exemptions if e.start <= day and (e.end is None or e.end >= day)}
    maternity = kinds.get("maternite")
    return rules.Situation(
        birth_date=person.birth_date, css="css" in kinds, ame="ame" in kinds,
        pregnancy_sixth_month=maternity.start if maternity else None, delivery_date=None,
    )


def _care_line(act: dict, sheet: dict, pro: Professional, situation: rules.Situation) -> rules.CareLine:
    """services.care_line, from the file's values instead of saved rows."""
    return rules.CareLine(
        act_code=act["act_code"], care_date=act["care_date"], charged=act["charged"],
        kind=rules.CareKind(act["kind"]), professional_id=pro.rpps, situation=situation,
        specialty=rules.Specialty(pro.specialty) if pro.specialty else None,
        sector=rules.Sector(pro.sector), optam=pro.optam,
        coordinated_path=sheet.get("coordinated_path", True), tiers_payant=sheet.get("tiers_payant", False),
        ald_related=sheet.get("ald_related", False), medicine_rate=act.get("medicine_rate"),
        quantity=act.get("quantity", 1), coefficient=act.get("coefficient"), base=act.get("base"),
        end_date=act.get("end_date"), psychiatric=act.get("psychiatric", False),
        basket=rules.Basket(act["basket"]) if act.get("basket") else None,
        emergency_transport=act.get("emergency_transport", False),
        costly_act=True if act.get("costly_act") else None,
    )


def _withheld(sheets: list[SheetToPost], insured_ids, pros) -> dict[Patient, rules.Withheld]:
    """services.withheld_so_far for every patient of the batch, in three grouped queries.

    Only the counters the batch's lines can read are loaded: the yearly ones of
    the years of care, the daily ones of the days of care, and the debt.
    """
    patients = {s.patient for s in sheets}
    days = {a["care_date"] for s in sheets for a in s.acts}
    years = {d.year for d in days}
    history = Settlement.objects.filter(insured_id__in=insured_ids)
    pf_year, fr_year = defaultdict(dict), defaultdict(dict)
    for row in (history.filter(care_date__gte=date(min(years), 1, 1), care_date__lte=date(max(years), 12, 31),
                               reversal__isnull=True)
                .values("insured_id", "beneficiary_id", year=ExtractYear("care_date"))
                .annotate(pf=Sum("participation_due"), fr=Sum("franchise_due")).order_by()):
        key = (row["insured_id"], row["beneficiary_id"])
        pf_year[key][row["year"]] = row["pf"]
        fr_year[key][row["year"]] = row["fr"]
    pf_day, fr_day = defaultdict(dict), defaultdict(dict)
    for insured_id, beneficiary_id, day, rpps, kind, pf, fr in _daily_rows(
            sorted({(s.patient[0], a["care_date"]) for s in sheets for a in s.acts})):
        key, day = (insured_id, beneficiary_id), _date(day)
        by_pro = (day, rpps)
        pf_day[key][by_pro] = pf_day[key].get(by_pro, ZERO) + _dec(pf)
        if kind in FRANCHISE_BY_KIND:
            by_kind = (day, FRANCHISE_BY_KIND[kind], rpps)
            fr_day[key][by_kind] = fr_day[key].get(by_kind, ZERO) + _dec(fr)
    debt = {}
    for row in (history.filter(Q(carried_forward__gt=0) | Q(debt_recovered__gt=0))
                .values("insured_id", "beneficiary_id")
                .annotate(carried=Sum("carried_forward"), recovered=Sum("debt_recovered")).order_by()):
        debt[(row["insured_id"], row["beneficiary_id"])] = row["carried"] - row["recovered"]
    return {
        p: rules.Withheld(participation_by_year=pf_year[p], participation_by_day=pf_day[p],
                          franchise_by_year=fr_year[p], franchise_by_day=fr_day[p],
                          carried_forward=max(debt.get(p, ZERO), ZERO))
        for p in patients
    }


DAILY_PAIRS_PER_QUERY = 5_000  # two parameters each, well under the databases' limits


def _daily_rows(pairs: list[tuple[int, date]]) -> list[tuple]:
    """Deductions already due per (patient, day, professional, kind of care), for the days each
    insured person of the batch has care on, and only those.

    Filtering on the days of the whole batch instead (``care_date IN (...)``) reads, for every
    person, nearly every day of their year: a batch's care spans the year. The pairs drive the
    join (the index on insured and care date), so the read does not grow with the ledger (as a
    row-value ``IN``, PostgreSQL hashed the pairs and read the whole settlement table). Plain
    SQL, as PostgreSQL and SQLite both read it (a VALUES list's columns: column1, column2).
    """
    rows = []
    for start in range(0, len(pairs), DAILY_PAIRS_PER_QUERY):
        chunk = pairs[start:start + DAILY_PAIRS_PER_QUERY]
        sql = f"""
            SELECT s.insured_id, s.beneficiary_id, s.care_date, p.rpps, a.kind,
                   SUM(s.participation_due), SUM(s.franchise_due)
            FROM (VALUES {", ".join(["(%s, %s)"] * len(chunk))}) AS v
            INNER JOIN {S} s ON s.insured_id = v.column1 AND s.care_date = v.column2
            INNER JOIN {A} a ON a.id = s.act_id
            INNER JOIN {SH} sh ON sh.id = a.sheet_id
            INNER JOIN {PRO} p ON p.id = sh.professional_id
            LEFT OUTER JOIN {R} r ON r.settlement_id = s.id
            WHERE r.id IS NULL
            GROUP BY s.insured_id, s.beneficiary_id, s.care_date, p.rpps, a.kind"""  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [value for pair in chunk for value in pair])
            rows += cursor.fetchall()
    return rows
