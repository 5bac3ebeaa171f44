"""What the rules engine is fed: one set of builders for posting one sheet and posting a batch.

`services.care_sheet_post` (one sheet, staff in the back office) and
`posting.care_sheets_post_batch` (an import) both build the engine's input here, so that they
cannot drift apart: the patient's situation on a day (`situation`), a care line
(`care_line`), and what was already due and what is still owed (`withheld`).

Acts and sheets are read as mappings of CareAct and CareSheet field names (`act_values`,
`sheet_values` for saved rows; the import's parsed rows already are), so neither path builds
model instances it does not need.

The debt (deductions carried forward, still to recover) is per patient: per (insured,
beneficiary), as the engine, the caps and « Mes paiements » count it. It is read from the
ledger, never added up from settlements: the RECEIVABLE account's entries, each of which
belongs to a journal of one settlement (its posting, its reversal, or the refund of
deductions recovered for it once it is cancelled), hence to one patient. The account's
balance for an insured person is the sum of their patients' debts. The engine is fed it, and
the yearly counters, from the rows every writer keeps per person and month (`FiguresMonth`,
computed from the ledger in the writer's transaction), so that posting never reads the history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import IntegerField, Q, Sum, Value
from django.db.models.functions import ExtractYear

from accounts.models import Exemption

from . import rules
from .models import ZERO, Account, FiguresMonth, LedgerEntry, Professional
from .queries import PRO, SH, A, R, S, _date, _dec

Patient = tuple[int, int | None]  # (insured id, beneficiary id or None)

FRANCHISE_BY_KIND = {
    "medicine": rules.Deduction.FRANCHISE_MEDICINE,
    "auxiliary": rules.Deduction.FRANCHISE_PARAMEDICAL,
    "transport": rules.Deduction.FRANCHISE_TRANSPORT,
}
# The CareAct and CareSheet fields the engine reads.
ACT_FIELDS = (
    "act_code",
    "care_date",
    "charged",
    "kind",
    "medicine_rate",
    "quantity",
    "coefficient",
    "base",
    "end_date",
    "psychiatric",
    "basket",
    "emergency_transport",
    "costly_act",
)
SHEET_FIELDS = ("coordinated_path", "tiers_payant", "ald_related")


def act_values(act) -> dict:
    return {f: getattr(act, f) for f in ACT_FIELDS}


def sheet_values(sheet) -> dict:
    return {f: getattr(sheet, f) for f in SHEET_FIELDS}


def exemptions(insured_ids) -> dict[Patient, list[Exemption]]:
    """Every exemption of these people and their beneficiaries, per patient, newest first."""
    found: dict[Patient, list[Exemption]] = defaultdict(list)
    for e in Exemption.objects.filter(insured_id__in=insured_ids).order_by("-start"):
        found[(e.insured_id, e.beneficiary_id)].append(e)
    return found


def situation(person, patient_exemptions: list[Exemption], day: date) -> rules.Situation:
    """The patient's situation on the day of care (`person`: the Insured or the Beneficiary)."""
    kinds = {e.kind: e for e in patient_exemptions if e.start <= day and (e.end is None or e.end >= day)}
    maternity = kinds.get("maternite")
    return rules.Situation(
        birth_date=person.birth_date,
        css="css" in kinds,
        ame="ame" in kinds,
        pregnancy_sixth_month=maternity.start if maternity else None,
        delivery_date=None,
    )


def care_line(act: Mapping, sheet: Mapping, pro: Professional, situation: rules.Situation) -> rules.CareLine:
    """A CareAct of a CareSheet (their field values) as the engine reads it."""
    return rules.CareLine(
        act_code=act["act_code"],
        care_date=act["care_date"],
        charged=act["charged"],
        kind=rules.CareKind(act["kind"]),
        professional_id=pro.rpps,
        situation=situation,
        specialty=rules.Specialty(pro.specialty) if pro.specialty else None,
        sector=rules.Sector(pro.sector),
        optam=pro.optam,
        coordinated_path=sheet.get("coordinated_path", True),
        tiers_payant=sheet.get("tiers_payant", False),
        ald_related=sheet.get("ald_related", False),
        medicine_rate=act.get("medicine_rate"),
        quantity=act.get("quantity", 1),
        coefficient=act.get("coefficient"),
        base=act.get("base"),
        end_date=act.get("end_date"),
        psychiatric=act.get("psychiatric", False),
        basket=rules.Basket(act["basket"]) if act.get("basket") else None,
        emergency_transport=act.get("emergency_transport", False),
        # Unticked: the engine decides from the tariff.
        costly_act=True if act.get("costly_act") else None,
    )


def debts(insured_ids) -> dict[Patient, Decimal]:
    """Each patient's deductions carried forward and not yet recovered: the ledger's RECEIVABLE
    balance, per patient (through the settlement of each entry's journal). One query."""
    rows = (
        LedgerEntry.objects.filter(account=Account.RECEIVABLE, insured_id__in=list(insured_ids))
        .values_list("insured_id", "journal__settlement__beneficiary_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {(insured_id, beneficiary_id): _dec(total) for insured_id, beneficiary_id, total in rows}


def withheld(days_by_patient: Mapping[Patient, set[date]]) -> dict[Patient, rules.Withheld]:
    """What each patient already owes against the caps, for the days of their care, and their
    debt. Two queries whatever the number of patients, neither of which reads the history.

    The yearly counters and the debt come from the rows kept per person and month
    (`FiguresMonth`: every writer of settlements, reversals and payments computes its people's
    rows again in its own transaction, `aggregates.figures_refresh`), summed per year in the
    database: a row per patient and year and one for the debt, whatever their number of lines.
    The daily counters read the settlements of the patients' own days of care only
    (`_daily_rows`). Cancelled acts count for nothing (the kept rows hold live lines only).
    """
    patients = set(days_by_patient)
    insured_ids = sorted({p[0] for p in patients})
    days = {d for ds in days_by_patient.values() for d in ds}
    pf_year: dict[Patient, dict[int, Decimal]] = defaultdict(dict)
    fr_year: dict[Patient, dict[int, Decimal]] = defaultdict(dict)
    pf_day, fr_day = defaultdict(dict), defaultdict(dict)
    debt: dict[Patient, Decimal] = {}
    years = Value(None, output_field=IntegerField())
    kept = Q(month__isnull=True)
    if days:
        first, last = min(days).year, max(days).year
        kept |= Q(month__gte=date(first, 1, 1), month__lte=date(last, 12, 31))
        years = ExtractYear("month")
    for start in range(0, len(insured_ids), KEPT_PEOPLE_PER_QUERY):
        chunk = insured_ids[start : start + KEPT_PEOPLE_PER_QUERY]
        # Summed per patient and year in the database: a row per year, one for the debt.
        rows = (
            FiguresMonth.objects.filter(kept, insured_id__in=chunk)
            .values_list("insured_id", "beneficiary_id")
            .annotate(
                year=years, pf=Sum("participation_due"), fr=Sum("franchise_due"), owed=Sum("outstanding")
            )
            .order_by()
        )
        for insured_id, beneficiary_id, year, pf, fr, owed in rows:
            key = (insured_id, beneficiary_id)
            if year is None:
                debt[key] = debt.get(key, ZERO) + _dec(owed)
            else:
                pf_year[key][year], fr_year[key][year] = _dec(pf), _dec(fr)
    if days:
        pairs = sorted({(p[0], d) for p, ds in days_by_patient.items() for d in ds})
        for insured_id, beneficiary_id, day, rpps, kind, pf, fr in _daily_rows(pairs):
            key, day = (insured_id, beneficiary_id), _date(day)
            by_pro = (day, rpps)
            pf_day[key][by_pro] = pf_day[key].get(by_pro, ZERO) + _dec(pf)
            if kind in FRANCHISE_BY_KIND:
                by_kind = (day, FRANCHISE_BY_KIND[kind], rpps)
                fr_day[key][by_kind] = fr_day[key].get(by_kind, ZERO) + _dec(fr)
    return {
        p: rules.Withheld(
            participation_by_year=pf_year[p],
            participation_by_day=pf_day[p],
            franchise_by_year=fr_year[p],
            franchise_by_day=fr_day[p],
            # Never below zero: a refund gives back what a cancellation over-recovered.
            carried_forward=max(debt.get(p, ZERO), ZERO),
        )
        for p in patients
    }


KEPT_PEOPLE_PER_QUERY = 5_000  # SQLite (the demo) limits a statement's parameters
DAILY_PAIRS_PER_QUERY = 5_000  # two parameters each, well under the databases' limits


def _daily_rows(pairs: list[tuple[int, date]]) -> list[tuple]:
    """Deductions already due per (patient, day, professional, kind of care), for the days each
    insured person has care on, and only those.

    Filtering on the days of a whole batch instead (``care_date IN (...)``) reads, for every
    person, nearly every day of their year: a batch's care spans the year. The pairs drive the
    join (the index on insured and care date), so the read does not grow with the ledger (as a
    row-value ``IN``, PostgreSQL hashed the pairs and read the whole settlement table). The
    pairs: two arrays unnested on PostgreSQL (one short statement), a VALUES list elsewhere
    (SQLite, the demo: its columns are column1, column2).
    """
    columns = """
            SELECT s.insured_id, s.beneficiary_id, s.care_date, p.rpps, a.kind,
                   SUM(s.participation_due), SUM(s.franchise_due)"""
    joins = f"""
            INNER JOIN {S} s ON s.insured_id = v.column1 AND s.care_date = v.column2
            INNER JOIN {A} a ON a.id = s.act_id
            INNER JOIN {SH} sh ON sh.id = a.sheet_id
            INNER JOIN {PRO} p ON p.id = sh.professional_id
            LEFT OUTER JOIN {R} r ON r.settlement_id = s.id
            WHERE r.id IS NULL
            GROUP BY s.insured_id, s.beneficiary_id, s.care_date, p.rpps, a.kind"""
    rows = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two arrays: a short statement whatever the number of pairs (the driver need not
            # parse thousands of placeholders), the same plan.
            cursor.execute(
                f"{columns} FROM unnest(%s::bigint[], %s::date[]) AS v(column1, column2) {joins}",  # noqa: S608
                [[p[0] for p in pairs], [p[1] for p in pairs]],
            )
            return cursor.fetchall()
        for start in range(0, len(pairs), DAILY_PAIRS_PER_QUERY):
            chunk = pairs[start : start + DAILY_PAIRS_PER_QUERY]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            sql = f"{columns} FROM (VALUES {values}) AS v {joins}"  # noqa: S608
            cursor.execute(sql, [x for pair in chunk for x in pair])
            rows += cursor.fetchall()
    return rows
