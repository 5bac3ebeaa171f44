"""French reimbursement rules: one person's care lines in, settlements out.

Pure Python on purpose: no Django, no database, no clock. The caller loads the
care lines and the counters of what was already deducted, calls
`compute_settlements`, and stores what comes back. Everything here can be
tested from tables of published cases.

Money
    Every amount is a `Decimal` in euros. Inputs must already be whole cents.
    Two computed amounts can fall between cents, and both are quantized to the
    cent with ROUND_HALF_UP (half a cent goes up, as shown to users):
    the unit base of a coefficient act (3.15 x AMI 1.5 = 4.725 -> 4.73) and
    the AMO share (BR x rate: 23.33 x 70 % = 16.331 -> 16.33; 0.05 x 70 % =
    0.035 -> 0.04). The ticket modérateur is BR minus that rounded share, so
    the two always add up to BR. Deductions come from the tables in whole
    cents and are never rounded.

Dated tables
    Tariffs, rates, deductions, caps and the hospital forfait journalier are
    rows with a start date. The row in force on the care date applies, so a
    new figure is one new row and older care keeps older figures. The tables
    begin on TABLE_START; care before it is refused.

Base (BR)
    The tariff table prices acts by (kind of care, act code). When it has a row
    in force for the act, that row wins and any base on the line is ignored.
    When it has none (imaging, medicines, hospital stays, transport, and any
    act the table does not list), the line must carry its own unit base. BR is
    the unit base times the quantity, and never more than what was charged:
    the AMO reimburses within the limit of the expense.

Deductions
    The participation forfaitaire (PF) and the franchises are *due* per line
    within their daily and yearly caps; the caps count what is due, whether
    it is withheld now or later. A due deduction is withheld from the line's
    own payment to the insured when it can be; what cannot be withheld (tiers
    payant lines, or a deduction larger than the AMO share) is carried
    forward and withheld from the next payments to the insured. A deduction
    never makes a payment negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TypeVar

__all__ = [
    "CareKind",
    "CareLine",
    "Deduction",
    "Payee",
    "RulesError",
    "Sector",
    "Settlement",
    "SettlementRun",
    "Situation",
    "Specialty",
    "Withheld",
    "compute_settlements",
]

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class RulesError(ValueError):
    """A care line the rules cannot settle; the message is French, for staff."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


# --- Vocabulary ----------------------------------------------------------------


class CareKind(StrEnum):
    DOCTOR = "doctor"
    MIDWIFE = "midwife"
    DENTIST = "dentist"
    AUXILIARY = "auxiliary"  # auxiliaire médical: nurse, physiotherapist, speech therapist...
    LAB = "lab"
    IMAGING = "imaging"
    MEDICINE = "medicine"
    HOSPITAL = "hospital"
    TRANSPORT = "transport"


class Specialty(StrEnum):
    """Doctor specialties the rules tell apart; every other one is OTHER."""

    GENERAL_PRACTICE = "general_practice"
    GYNAECOLOGY = "gynaecology"
    OPHTHALMOLOGY = "ophthalmology"
    PSYCHIATRY = "psychiatry"
    STOMATOLOGY = "stomatology"
    OTHER = "other"


class Sector(StrEnum):
    SECTOR_1 = "1"
    SECTOR_2 = "2"


class Payee(StrEnum):
    INSURED = "insured"
    PROFESSIONAL = "professional"


class TariffScope(StrEnum):
    STANDARD = "standard"
    # A secteur 2 doctor outside OPTAM who charges above the standard tariff is
    # reimbursed on a lower base (the "C" tariff, 23 EUR).
    S2_NON_OPTAM_EXCESS = "s2_non_optam_excess"


class RateKey(StrEnum):
    DOCTOR_IN_PATH = "doctor_in_path"
    DOCTOR_OUTSIDE_PATH = "doctor_outside_path"
    MIDWIFE = "midwife"
    DENTIST = "dentist"
    AUXILIARY = "auxiliary"
    LAB = "lab"
    IMAGING = "imaging"
    HOSPITAL = "hospital"
    TRANSPORT = "transport"
    FULL = "full"  # ALD-related care, maternity


class Deduction(StrEnum):
    PARTICIPATION = "participation_forfaitaire"
    FRANCHISE_MEDICINE = "franchise_medicine"
    FRANCHISE_PARAMEDICAL = "franchise_paramedical"
    FRANCHISE_TRANSPORT = "franchise_transport"


# --- Tables --------------------------------------------------------------------


@dataclass(frozen=True)
class TariffRow:
    kind: CareKind
    code: str
    start: date
    amount: Decimal
    per_coefficient: bool = False  # amount is a key-letter value, times the line's coefficient
    scope: TariffScope = TariffScope.STANDARD


@dataclass(frozen=True)
class RateRow:
    key: RateKey
    start: date
    rate: Decimal


@dataclass(frozen=True)
class DeductionRow:
    deduction: Deduction
    start: date
    unit: Decimal  # per act, box or trip
    daily_cap: Decimal | None  # PF: per day per professional; franchises: per day per person


@dataclass(frozen=True)
class YearlyCapRow:
    pool: str  # "participation" or "franchise": the three franchises share one cap
    start: date
    cap: Decimal


@dataclass(frozen=True)
class HospitalChargeRow:
    psychiatric: bool
    start: date
    amount: Decimal  # forfait journalier, per day


TABLE_START = date(2017, 1, 1)
D = Decimal

# Sources and assumptions. Public figures as published by the Assurance
# Maladie, the conventions and their avenants; rows marked ASSUMPTION carry a
# figure or date we could not pin to a primary text and should be checked
# before real use.
# - G, VG, TCG: 23.00 (2011), 25.00 on 2017-05-01 (convention 2016), 26.50 on
#   2023-12-01 (règlement arbitral), 30.00 on 2024-12-22 (convention 2024).
#   ASSUMPTION: VG (home visit) follows G; the travel surcharge MD is a separate
#   act not modelled. TCG (téléconsultation) is billed at the G tariff.
# - G/VG/TCG and CS billed by a secteur 2 non-OPTAM doctor with a dépassement:
#   reimbursed on the C base 23.00 (OPTAM created by the 2016 convention).
# - CS 30.00: the specialist consultation as billed in the coordinated path
#   (CS 23 + MPC 2 + MCS 5). ASSUMPTION: simplified to one row; the MCS is not
#   billable outside the path, which this table ignores.
# - APC: 48.00 on 2017-10-01, 50.00 on 2018-06-01 (convention 2016), 55.00 on
#   2022-04-01, 56.50 on 2023-11-01 (published by the cardiologists' union),
#   60.00 on 2025-07-01 (ASSUMPTION on the date; 60 EUR per omniprat 2025).
# - Midwife C (consultation): 26.50 on 2024-02-22, aligned on the GP tariff by
#   avenant 7; SF key letter 3.10 on 2024-02-22, 3.20 on 2025-01-01.
#   ASSUMPTION: earlier midwife figures are not modelled (lines carry a base).
# - Dentist C: 23.00, unchanged through 2025.
# - AMI 3.15 (nurses), AMK 2.15 (physiotherapists, since 2012-07-15),
#   B 0.27 (laboratory). ASSUMPTION: stable over the whole table; later
#   revaluations not modelled.
_GP_VALUES = (
    (TABLE_START, D("23.00")),
    (date(2017, 5, 1), D("25.00")),
    (date(2023, 12, 1), D("26.50")),
    (date(2024, 12, 22), D("30.00")),
)

TARIFFS: tuple[TariffRow, ...] = (
    *(
        TariffRow(CareKind.DOCTOR, code, start, amount)
        for code in ("G", "VG", "TCG")
        for start, amount in _GP_VALUES
    ),
    *(
        TariffRow(
            CareKind.DOCTOR, code, TABLE_START, D("23.00"), scope=TariffScope.S2_NON_OPTAM_EXCESS
        )
        for code in ("G", "VG", "TCG", "CS")
    ),
    TariffRow(CareKind.DOCTOR, "CS", TABLE_START, D("30.00")),
    TariffRow(CareKind.DOCTOR, "APC", date(2017, 10, 1), D("48.00")),
    TariffRow(CareKind.DOCTOR, "APC", date(2018, 6, 1), D("50.00")),
    TariffRow(CareKind.DOCTOR, "APC", date(2022, 4, 1), D("55.00")),
    TariffRow(CareKind.DOCTOR, "APC", date(2023, 11, 1), D("56.50")),
    TariffRow(CareKind.DOCTOR, "APC", date(2025, 7, 1), D("60.00")),
    TariffRow(CareKind.MIDWIFE, "C", date(2024, 2, 22), D("26.50")),
    TariffRow(CareKind.MIDWIFE, "SF", date(2024, 2, 22), D("3.10"), per_coefficient=True),
    TariffRow(CareKind.MIDWIFE, "SF", date(2025, 1, 1), D("3.20"), per_coefficient=True),
    TariffRow(CareKind.DENTIST, "C", TABLE_START, D("23.00")),
    TariffRow(CareKind.AUXILIARY, "AMI", TABLE_START, D("3.15"), per_coefficient=True),
    TariffRow(CareKind.AUXILIARY, "AMK", TABLE_START, D("2.15"), per_coefficient=True),
    TariffRow(CareKind.LAB, "B", TABLE_START, D("0.27"), per_coefficient=True),
)

# Rates: code de la sécurité sociale and ameli.fr. Dental care went from 70 %
# to 60 % on 2023-10-01. ASSUMPTION: transport 55 % (sitting or lying
# transport, outside ALD) has been stable over the table.
RATES: tuple[RateRow, ...] = (
    RateRow(RateKey.DOCTOR_IN_PATH, TABLE_START, D("0.70")),
    RateRow(RateKey.DOCTOR_OUTSIDE_PATH, TABLE_START, D("0.30")),
    RateRow(RateKey.MIDWIFE, TABLE_START, D("0.70")),
    RateRow(RateKey.DENTIST, TABLE_START, D("0.70")),
    RateRow(RateKey.DENTIST, date(2023, 10, 1), D("0.60")),
    RateRow(RateKey.AUXILIARY, TABLE_START, D("0.60")),
    RateRow(RateKey.LAB, TABLE_START, D("0.60")),
    RateRow(RateKey.IMAGING, TABLE_START, D("0.70")),
    RateRow(RateKey.HOSPITAL, TABLE_START, D("0.80")),
    RateRow(RateKey.TRANSPORT, TABLE_START, D("0.55")),
    RateRow(RateKey.FULL, TABLE_START, D("1.00")),
)

# PF: 1 EUR per act (4 acts a day per professional) until 2 EUR on 2024-05-15
# (décret 2024-113). Franchises doubled on 2024-03-31 (décret of 2024-02-16),
# daily caps with them.
DEDUCTIONS: tuple[DeductionRow, ...] = (
    DeductionRow(Deduction.PARTICIPATION, TABLE_START, D("1.00"), D("4.00")),
    DeductionRow(Deduction.PARTICIPATION, date(2024, 5, 15), D("2.00"), D("8.00")),
    DeductionRow(Deduction.FRANCHISE_MEDICINE, TABLE_START, D("0.50"), None),
    DeductionRow(Deduction.FRANCHISE_MEDICINE, date(2024, 3, 31), D("1.00"), None),
    DeductionRow(Deduction.FRANCHISE_PARAMEDICAL, TABLE_START, D("0.50"), D("2.00")),
    DeductionRow(Deduction.FRANCHISE_PARAMEDICAL, date(2024, 3, 31), D("1.00"), D("4.00")),
    DeductionRow(Deduction.FRANCHISE_TRANSPORT, TABLE_START, D("2.00"), D("4.00")),
    DeductionRow(Deduction.FRANCHISE_TRANSPORT, date(2024, 3, 31), D("4.00"), D("8.00")),
)

YEARLY_CAPS: tuple[YearlyCapRow, ...] = (
    YearlyCapRow("participation", TABLE_START, D("50.00")),
    YearlyCapRow("franchise", TABLE_START, D("50.00")),
)

# Forfait journalier hospitalier: 18 / 13.50 EUR until 20 / 15 EUR on 2018-01-01.
HOSPITAL_CHARGES: tuple[HospitalChargeRow, ...] = (
    HospitalChargeRow(False, TABLE_START, D("18.00")),
    HospitalChargeRow(True, TABLE_START, D("13.50")),
    HospitalChargeRow(False, date(2018, 1, 1), D("20.00")),
    HospitalChargeRow(True, date(2018, 1, 1), D("15.00")),
)

MEDICINE_RATES = frozenset({D("1.00"), D("0.65"), D("0.30"), D("0.15")})

# Ages are inclusive bounds; None means no bound.
DIRECT_ACCESS: Mapping[Specialty, tuple[int | None, int | None]] = {
    Specialty.GYNAECOLOGY: (None, None),
    Specialty.OPHTHALMOLOGY: (None, None),
    Specialty.STOMATOLOGY: (None, None),
    Specialty.PSYCHIATRY: (16, 25),
}
COORDINATED_PATH_FROM_AGE = 16
DEDUCTIONS_FROM_AGE = 18
MATERNITY_DAYS_AFTER_BIRTH = 12

_KIND_RATES: Mapping[CareKind, RateKey] = {
    CareKind.MIDWIFE: RateKey.MIDWIFE,
    CareKind.DENTIST: RateKey.DENTIST,
    CareKind.AUXILIARY: RateKey.AUXILIARY,
    CareKind.LAB: RateKey.LAB,
    CareKind.IMAGING: RateKey.IMAGING,
    CareKind.HOSPITAL: RateKey.HOSPITAL,
    CareKind.TRANSPORT: RateKey.TRANSPORT,
}
_PARTICIPATION_KINDS = frozenset({CareKind.DOCTOR, CareKind.LAB, CareKind.IMAGING})
_FRANCHISES: Mapping[CareKind, Deduction] = {
    CareKind.MEDICINE: Deduction.FRANCHISE_MEDICINE,
    CareKind.AUXILIARY: Deduction.FRANCHISE_PARAMEDICAL,
    CareKind.TRANSPORT: Deduction.FRANCHISE_TRANSPORT,
}


Row = TypeVar("Row", TariffRow, RateRow, DeductionRow, YearlyCapRow, HospitalChargeRow)


def _in_force(rows: Iterable[Row], when: date) -> Row | None:
    current = None
    for row in rows:
        if row.start <= when and (current is None or row.start > current.start):
            current = row
    return current


# --- Data in -------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """The person's situation; dates let one value serve every care date."""

    birth_date: date
    css: bool = False  # complémentaire santé solidaire
    ame: bool = False  # aide médicale de l'État
    # Maternity cover runs from the first day of the 6th month of pregnancy to
    # the 12th day after birth; open-ended while the birth is not known.
    pregnancy_sixth_month: date | None = None
    delivery_date: date | None = None


@dataclass(frozen=True)
class CareLine:
    act_code: str
    care_date: date  # for a hospital stay, the admission day
    charged: Decimal  # total charged for the line
    kind: CareKind
    professional_id: str
    situation: Situation
    specialty: Specialty | None = None  # required for doctors
    sector: Sector = Sector.SECTOR_1
    optam: bool = False
    coordinated_path: bool = True  # médecin traitant, or referred by them
    tiers_payant: bool = False
    ald_related: bool = False
    medicine_rate: Decimal | None = None  # 1.00, 0.65, 0.30 or 0.15; required for medicines
    quantity: int = 1  # acts, boxes or trips
    coefficient: Decimal | None = None  # for key-letter acts (AMI 2 -> 2)
    base: Decimal | None = None  # unit BR, for acts the tariff table does not price
    end_date: date | None = None  # discharge day, required for hospital stays
    psychiatric: bool = False  # hospital stay in psychiatry


@dataclass(frozen=True)
class Withheld:
    """What was already deducted, counted against the caps, and what is owed.

    Counters hold deductions *due* (withheld or carried forward): the caps
    apply to what is due. Keys: calendar year; (care date, professional id)
    for the PF daily cap; (care date, Deduction) for the paramedical and
    transport daily caps. `carried_forward` is the debt still to be withheld
    from the next payments to the insured.
    """

    participation_by_year: Mapping[int, Decimal] = field(default_factory=dict)
    participation_by_day: Mapping[tuple[date, str], Decimal] = field(default_factory=dict)
    franchise_by_year: Mapping[int, Decimal] = field(default_factory=dict)
    franchise_by_day: Mapping[tuple[date, Deduction], Decimal] = field(default_factory=dict)
    carried_forward: Decimal = ZERO


# --- Data out ------------------------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """How one care line is settled. All amounts in euros, to the cent.

    For a payment to the insured:
        paid + participation_withheld + franchise_withheld + debt_recovered == amo
    For tiers payant: paid == amo, nothing withheld, the line's deductions are
    all carried forward. Always: participation_due + franchise_due ==
    participation_withheld + franchise_withheld + carried_forward.
    """

    line: CareLine
    base: Decimal  # BR
    rate: Decimal  # share of BR paid by the AMO, e.g. 0.70
    amo: Decimal  # BR x rate, before deductions
    ticket_moderateur: Decimal  # BR - amo
    depassement: Decimal  # charged - BR, never reimbursed
    participation_due: Decimal
    franchise_due: Decimal
    participation_withheld: Decimal  # from this line's own payment
    franchise_withheld: Decimal
    carried_forward: Decimal  # this line's deductions left for later payments
    debt_recovered: Decimal  # earlier carried deductions withheld from this payment
    paid: Decimal
    payee: Payee
    hospital_daily_charge: Decimal  # forfait journalier, owed to the hospital, never reimbursed
    out_of_pocket: Decimal  # reste à charge before any complémentaire


@dataclass(frozen=True)
class SettlementRun:
    settlements: tuple[Settlement, ...]  # in the order of the input lines
    withheld: Withheld  # updated counters, to persist


# --- The rules -----------------------------------------------------------------


def compute_settlements(lines: Sequence[CareLine], *, withheld: Withheld) -> SettlementRun:
    """Settle one person's care lines, by care date then input order.

    Raises RulesError (message in French) for a line the rules cannot settle;
    nothing is settled then.
    """
    _check_withheld(withheld)
    for index, line in enumerate(lines):
        _check_line(index, line)
    ledger = _Ledger(withheld)
    settled: dict[int, Settlement] = {}
    for index in sorted(range(len(lines)), key=lambda i: (lines[i].care_date, i)):
        settled[index] = _settle(index, lines[index], ledger)
    return SettlementRun(
        settlements=tuple(settled[i] for i in range(len(lines))),
        withheld=ledger.snapshot(),
    )


class _Ledger:
    """Mutable working copy of the counters, private to one computation."""

    def __init__(self, withheld: Withheld) -> None:
        self.participation_by_year = dict(withheld.participation_by_year)
        self.participation_by_day = dict(withheld.participation_by_day)
        self.franchise_by_year = dict(withheld.franchise_by_year)
        self.franchise_by_day = dict(withheld.franchise_by_day)
        self.debt = withheld.carried_forward

    def snapshot(self) -> Withheld:
        return Withheld(
            participation_by_year=dict(self.participation_by_year),
            participation_by_day=dict(self.participation_by_day),
            franchise_by_year=dict(self.franchise_by_year),
            franchise_by_day=dict(self.franchise_by_day),
            carried_forward=self.debt,
        )


def _settle(index: int, line: CareLine, ledger: _Ledger) -> Settlement:
    when = line.care_date
    age = _age(line.situation.birth_date, when)
    maternity = _in_maternity(line.situation, when)
    exempt = age < DEDUCTIONS_FROM_AGE or line.situation.css or line.situation.ame or maternity

    unit_base = _unit_base(index, line)
    base = min(unit_base * line.quantity, line.charged)
    rate = _rate(index, line, age=age, maternity=maternity)
    amo = _cents(base * rate)

    participation_due = franchise_due = ZERO
    # Nothing reimbursed, nothing to deduct from: the deductions are taken on
    # reimbursements, not billed on their own.
    if amo > 0 and not exempt:
        participation_due = _participation_due(index, line, ledger)
        franchise_due = _franchise_due(index, line, ledger)

    debt_recovered = ZERO
    if line.tiers_payant:
        payee = Payee.PROFESSIONAL
        participation_withheld = franchise_withheld = ZERO
        paid = amo
    else:
        payee = Payee.INSURED
        participation_withheld = min(participation_due, amo)
        franchise_withheld = min(franchise_due, amo - participation_withheld)
        left = amo - participation_withheld - franchise_withheld
        debt_recovered = min(ledger.debt, left)
        ledger.debt -= debt_recovered
        paid = left - debt_recovered
    carried_forward = (
        participation_due + franchise_due - participation_withheld - franchise_withheld
    )
    ledger.debt += carried_forward

    hospital_daily_charge = _hospital_daily_charge(index, line, maternity=maternity)
    return Settlement(
        line=line,
        base=base,
        rate=rate,
        amo=amo,
        ticket_moderateur=base - amo,
        depassement=line.charged - base,
        participation_due=participation_due,
        franchise_due=franchise_due,
        participation_withheld=participation_withheld,
        franchise_withheld=franchise_withheld,
        carried_forward=carried_forward,
        debt_recovered=debt_recovered,
        paid=paid,
        payee=payee,
        hospital_daily_charge=hospital_daily_charge,
        out_of_pocket=(
            line.charged - amo + participation_due + franchise_due + hospital_daily_charge
        ),
    )


def _age(birth_date: date, on: date) -> int:
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def _in_maternity(situation: Situation, when: date) -> bool:
    start = situation.pregnancy_sixth_month
    if start is None or when < start:
        return False
    if situation.delivery_date is None:
        return True
    return when <= situation.delivery_date + timedelta(days=MATERNITY_DAYS_AFTER_BIRTH)


def _unit_base(index: int, line: CareLine) -> Decimal:
    code = line.act_code.strip().upper()
    rows = [r for r in TARIFFS if r.kind == line.kind and r.code == code]
    standard = _in_force((r for r in rows if r.scope == TariffScope.STANDARD), line.care_date)
    if standard is None:
        if line.base is None:
            raise _error(
                index,
                line,
                f"acte « {line.act_code} » sans tarif en vigueur à cette date : "
                "indiquez la base de remboursement sur la ligne",
            )
        return line.base

    if standard.per_coefficient:
        if line.coefficient is None:
            raise _error(index, line, f"coefficient manquant pour l'acte « {code} »")
        unit = _cents(standard.amount * line.coefficient)
    elif line.coefficient is not None:
        raise _error(index, line, f"l'acte « {code} » ne prend pas de coefficient")
    else:
        unit = standard.amount

    if line.kind == CareKind.DOCTOR and line.sector == Sector.SECTOR_2 and not line.optam:
        reduced = _in_force(
            (r for r in rows if r.scope == TariffScope.S2_NON_OPTAM_EXCESS), line.care_date
        )
        # Billing at the tariff keeps the standard base; only a dépassement
        # drops the base to the secteur 2 non-OPTAM one.
        if reduced is not None and line.charged > unit * line.quantity:
            unit = reduced.amount
    return unit


def _rate(index: int, line: CareLine, *, age: int, maternity: bool) -> Decimal:
    # ALD and maternity cover every kind of care at 100 %, medicines at any
    # rate included, and lift the outside-path reduction: a simplification of
    # the real rules, which keep a few exceptions (e.g. 15 % medicines in ALD).
    if line.ald_related or maternity:
        key = RateKey.FULL
    elif line.kind == CareKind.MEDICINE:
        # _check_line guarantees the rate is there and is a published one.
        return line.medicine_rate  # type: ignore[return-value]
    elif line.kind == CareKind.DOCTOR:
        in_path = (
            line.coordinated_path
            or age < COORDINATED_PATH_FROM_AGE
            or _direct_access(line.specialty, age)
        )
        key = RateKey.DOCTOR_IN_PATH if in_path else RateKey.DOCTOR_OUTSIDE_PATH
    else:
        key = _KIND_RATES[line.kind]
    row = _in_force((r for r in RATES if r.key == key), line.care_date)
    if row is None:
        raise _error(index, line, "aucun taux de remboursement en vigueur à cette date")
    return row.rate


def _direct_access(specialty: Specialty | None, age: int) -> bool:
    if specialty not in DIRECT_ACCESS:
        return False
    low, high = DIRECT_ACCESS[specialty]
    return (low is None or age >= low) and (high is None or age <= high)


def _participation_due(index: int, line: CareLine, ledger: _Ledger) -> Decimal:
    if line.kind not in _PARTICIPATION_KINDS:
        return ZERO
    row = _deduction_row(index, line, Deduction.PARTICIPATION)
    day_key = (line.care_date, line.professional_id)
    year = line.care_date.year
    due = _capped(
        row.unit * line.quantity,
        row.daily_cap - ledger.participation_by_day.get(day_key, ZERO),
        _yearly_cap(index, line, "participation") - ledger.participation_by_year.get(year, ZERO),
    )
    if due:
        ledger.participation_by_day[day_key] = ledger.participation_by_day.get(day_key, ZERO) + due
        ledger.participation_by_year[year] = ledger.participation_by_year.get(year, ZERO) + due
    return due


def _franchise_due(index: int, line: CareLine, ledger: _Ledger) -> Decimal:
    deduction = _FRANCHISES.get(line.kind)
    if deduction is None:
        return ZERO
    row = _deduction_row(index, line, deduction)
    day_key = (line.care_date, deduction)
    year = line.care_date.year
    daily_left = None
    if row.daily_cap is not None:
        daily_left = row.daily_cap - ledger.franchise_by_day.get(day_key, ZERO)
    due = _capped(
        row.unit * line.quantity,
        daily_left,
        _yearly_cap(index, line, "franchise") - ledger.franchise_by_year.get(year, ZERO),
    )
    if due:
        if row.daily_cap is not None:
            ledger.franchise_by_day[day_key] = ledger.franchise_by_day.get(day_key, ZERO) + due
        ledger.franchise_by_year[year] = ledger.franchise_by_year.get(year, ZERO) + due
    return due


def _capped(nominal: Decimal, *room: Decimal | None) -> Decimal:
    return max(ZERO, min([nominal, *(r for r in room if r is not None)]))


def _deduction_row(index: int, line: CareLine, deduction: Deduction) -> DeductionRow:
    row = _in_force((r for r in DEDUCTIONS if r.deduction == deduction), line.care_date)
    if row is None:
        raise _error(index, line, "aucun barème de participation ou de franchise à cette date")
    return row


def _yearly_cap(index: int, line: CareLine, pool: str) -> Decimal:
    row = _in_force((r for r in YEARLY_CAPS if r.pool == pool), line.care_date)
    if row is None:
        raise _error(index, line, "aucun plafond annuel en vigueur à cette date")
    return row.cap


def _hospital_daily_charge(index: int, line: CareLine, *, maternity: bool) -> Decimal:
    if line.kind != CareKind.HOSPITAL:
        return ZERO
    situation = line.situation
    if situation.css or situation.ame or maternity:
        return ZERO
    # _check_line guarantees end_date for a stay. The forfait is due for stays
    # of more than 24 hours, day of exit included: a same-day stay owes none.
    nights = (line.end_date - line.care_date).days  # type: ignore[operator]
    if nights == 0:
        return ZERO
    row = _in_force(
        (r for r in HOSPITAL_CHARGES if r.psychiatric == line.psychiatric), line.care_date
    )
    if row is None:
        raise _error(index, line, "aucun forfait journalier en vigueur à cette date")
    return row.amount * (nights + 1)


# --- Input checks ----------------------------------------------------------------


def _error(index: int, line: CareLine, message: str) -> RulesError:
    return RulesError(
        f"Ligne {index + 1} (acte « {line.act_code} » du {line.care_date:%d/%m/%Y}) : {message}.",
        index=index,
    )


def _check_line(index: int, line: CareLine) -> None:
    def fail(message: str) -> RulesError:
        return _error(index, line, message)

    if line.care_date < TABLE_START:
        raise fail(f"soins antérieurs au {TABLE_START:%d/%m/%Y}, non couverts par les barèmes")
    amounts = [("montant facturé", line.charged)]
    if line.base is not None:
        amounts.append(("base", line.base))
    for label, amount in amounts:
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise fail(f"{label} : un montant Decimal est attendu")
        if amount < 0:
            raise fail(f"{label} négatif ({amount} €)")
        if amount != amount.quantize(CENT):
            raise fail(f"{label} au-delà du centime ({amount} €)")
    if not isinstance(line.quantity, int) or line.quantity < 1:
        raise fail("la quantité doit être un entier au moins égal à 1")
    if line.coefficient is not None and (
        not isinstance(line.coefficient, Decimal)
        or not line.coefficient.is_finite()
        or line.coefficient <= 0
    ):
        raise fail("le coefficient doit être un Decimal positif")
    if line.situation.birth_date > line.care_date:
        raise fail("date de soins antérieure à la date de naissance")
    if line.kind == CareKind.DOCTOR and line.specialty is None:
        raise fail("spécialité du médecin manquante")
    if line.kind == CareKind.MEDICINE:
        if line.medicine_rate is None:
            raise fail("taux de remboursement du médicament manquant")
        if line.medicine_rate not in MEDICINE_RATES:
            raise fail(
                f"taux de médicament invalide ({line.medicine_rate}) : "
                "1.00, 0.65, 0.30 ou 0.15 attendu"
            )
    if line.kind == CareKind.HOSPITAL:
        if line.end_date is None:
            raise fail("date de sortie d'hospitalisation manquante")
        if line.end_date < line.care_date:
            raise fail("date de sortie antérieure à la date d'entrée")


def _check_withheld(withheld: Withheld) -> None:
    amounts = [
        *withheld.participation_by_year.values(),
        *withheld.participation_by_day.values(),
        *withheld.franchise_by_year.values(),
        *withheld.franchise_by_day.values(),
        withheld.carried_forward,
    ]
    if any(not isinstance(a, Decimal) or a < 0 for a in amounts):
        raise RulesError("Compteurs de retenues invalides : montants Decimal positifs attendus.")
