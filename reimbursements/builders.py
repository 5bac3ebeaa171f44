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
balance for an insured person is the sum of their patients' debts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Sum
from django.db.models.functions import ExtractYear

from accounts.models import Exemption

from . import rules
from .models import ZERO, Account, LedgerEntry, Professional, Settlement
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
    debt (`debts`). Three grouped queries whatever the number of patients.

    Only the counters these days can read are loaded: the yearly ones of their years, the daily
    ones of these days. Cancelled acts count for nothing.
    """
    patients = set(days_by_patient)
    insured_ids = sorted({p[0] for p in patients})
    days = {d for ds in days_by_patient.values() for d in ds}
    pf_year, fr_year = defaultdict(dict), defaultdict(dict)
    pf_day, fr_day = defaultdict(dict), defaultdict(dict)
    if days:
        years = {d.year for d in days}
        history = Settlement.objects.filter(insured_id__in=insured_ids)
        for row in (
            history.filter(
                care_date__gte=date(min(years), 1, 1),
                care_date__lte=date(max(years), 12, 31),
                reversal__isnull=True,
            )
            .values("insured_id", "beneficiary_id", year=ExtractYear("care_date"))
            .annotate(pf=Sum("participation_due"), fr=Sum("franchise_due"))
            .order_by()
        ):
            key = (row["insured_id"], row["beneficiary_id"])
            pf_year[key][row["year"]] = row["pf"]
            fr_year[key][row["year"]] = row["fr"]
        pairs = sorted({(p[0], d) for p, ds in days_by_patient.items() for d in ds})
        for insured_id, beneficiary_id, day, rpps, kind, pf, fr in _daily_rows(pairs):
            key, day = (insured_id, beneficiary_id), _date(day)
            by_pro = (day, rpps)
            pf_day[key][by_pro] = pf_day[key].get(by_pro, ZERO) + _dec(pf)
            if kind in FRANCHISE_BY_KIND:
                by_kind = (day, FRANCHISE_BY_KIND[kind], rpps)
                fr_day[key][by_kind] = fr_day[key].get(by_kind, ZERO) + _dec(fr)
    debt = debts(insured_ids)
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


DAILY_PAIRS_PER_QUERY = 5_000  # two parameters each, well under the databases' limits


def _daily_rows(pairs: list[tuple[int, date]]) -> list[tuple]:
    """Deductions already due per (patient, day, professional, kind of care), for the days each
    insured person has care on, and only those.

    Filtering on the days of a whole batch instead (``care_date IN (...)``) reads, for every
    person, nearly every day of their year: a batch's care spans the year. The pairs drive the
    join (the index on insured and care date), so the read does not grow with the ledger (as a
    row-value ``IN``, PostgreSQL hashed the pairs and read the whole settlement table). Plain
    SQL, as PostgreSQL and SQLite both read it (a VALUES list's columns: column1, column2).
    """
    rows = []
    for start in range(0, len(pairs), DAILY_PAIRS_PER_QUERY):
        chunk = pairs[start : start + DAILY_PAIRS_PER_QUERY]
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
