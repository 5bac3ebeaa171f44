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
    Tariffs, rates, deductions, caps and forfaits live in
    `reimbursements.tariffs`, each row with a start date and its source (rows
    whose figure or date no official text we read confirms say UNCONFIRMED).
    The row in force on the care date applies: the tables are indexed by key
    (kind and act code, rate key, deduction, amount key) and the row found by a
    bisect on the start dates. They begin on TABLE_START; care before it is
    refused.

Base (BR)
    The tariff table prices acts by (kind of care, act code). When it has a row
    in force for the act, that row wins and any base on the line is ignored.
    When it has none (imaging, medicines, hospital stays, transport, optics,
    dental prostheses, and any act the table does not list), the line must
    carry its own unit base. BR is the unit base times the quantity, and never
    more than what was charged: the AMO reimburses within the limit of the
    expense. The specialist consultation CS is priced with the MCS in the
    coordinated path (or direct access, or under 16) and without it outside;
    a GP consultation or visit (G, VG) of a child under 6 adds the MEG.

Rates
    By kind of care; doctors at 70 % in the coordinated path, 30 % outside.
    ALD-related care, maternity cover and AME: 100 % of the BR, except
    medicines at 15 %, which stay at 15 % in ALD. Acts of 120 EUR or more (or of
    a coefficient of 60 or more) by a doctor, midwife or dentist, and hospital
    stays with such an act (`costly_act=True` on the line): a flat
    participation (24 EUR, then 32 EUR) replaces the ticket modérateur
    (`costly_act_participation`; the AMO pays BR minus it). A hospital stay
    of more than 30 days (calendar days, admission and exit included) is paid
    at 100 % from the 31st day, the BR shared equally between the days.

Emergency visits (CareKind.EMERGENCY, without admission)
    The AMO pays 100 % of the BR; the person owes the forfait patient urgences
    (`emergency_charge`, in `out_of_pocket`): full, or reduced for a line in
    ALD; none in maternity cover, for a baby under 30 days, and for the
    person under CSS or AME (they cover it).

Optics, dental prostheses, hearing aids (the 100 % Santé reform)
    Three kinds of care with an optional `basket` (Basket.RAC_ZERO, MODERATE,
    FREE). In every basket the AMO pays its rate (60 %) on the BR, which comes
    from the line (hearing aids: from the table, 400 EUR per ear, 1,400 EUR up to
    age 20). What differs is the price: in the RAC_ZERO basket the price is
    capped by the prix limite de vente, and a contrat responsable complémentaire
    must cover everything above the AMO share, so the person pays nothing;
    in the MODERATE basket the price is capped but the cover depends on the
    contract; in the FREE basket neither is. The engine does not know the caps:
    `depassement` is charged minus BR for every basket, and the caller (the
    simulator) applies the complémentaire's share.

Deductions
    The participation forfaitaire (PF) and the franchises are *due* per line
    within their daily and yearly caps; the caps count what is due, whether
    it is withheld now or later. The PF's daily cap counts per day and per
    professional, the paramedical and transport franchises' daily caps per
    day, per professional and per patient. Emergency transport carries no
    franchise. A due deduction is withheld from the line's
    own payment to the insured when it can be; what cannot be withheld (tiers
    payant lines, or a deduction larger than the AMO share) is carried
    forward and withheld from the next payments to the insured. A deduction
    never makes a payment negative.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .tariffs import (
    AMOUNT_INDEX,
    AUDIOLOGY_CHILD_UP_TO_AGE,
    DEDUCTION_INDEX,
    RATE_INDEX,
    TABLE_START,
    TARIFF_INDEX,
    AmountRow,
    Basket,
    CareKind,
    Deduction,
    DeductionRow,
    Payee,
    RateKey,
    RateRow,
    Sector,
    Specialty,
    TariffScope,
)

__all__ = [
    "Basket",
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
ONE = Decimal("1.00")
D = Decimal


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class RulesError(ValueError):
    """A care line the rules cannot settle; the message is French, for staff."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


MEDICINE_RATES = frozenset({D("1.00"), D("0.65"), D("0.30"), D("0.15")})
MEDICINE_RATE_KEPT_IN_ALD = D("0.15")  # SMR faible: stays at 15 % in ALD

# Ages are inclusive bounds; None means no bound.
DIRECT_ACCESS: Mapping[Specialty, tuple[int | None, int | None]] = {
    Specialty.GYNAECOLOGY: (None, None),
    Specialty.OPHTHALMOLOGY: (None, None),
    Specialty.STOMATOLOGY: (None, None),
    Specialty.PSYCHIATRY: (16, 25),
}
COORDINATED_PATH_FROM_AGE = 16
DEDUCTIONS_FROM_AGE = 18
MEG_UNDER_AGE = 6
MATERNITY_DAYS_AFTER_BIRTH = 12
NEWBORN_DAYS = 30  # forfait patient urgences: babies under 30 days are exempt
HOSPITAL_FULL_FROM_DAY = 31  # ticket modérateur waived from the 31st day of a stay

_KIND_RATES: Mapping[CareKind, RateKey] = {
    CareKind.MIDWIFE: RateKey.MIDWIFE,
    CareKind.DENTIST: RateKey.DENTIST,
    CareKind.AUXILIARY: RateKey.AUXILIARY,
    CareKind.LAB: RateKey.LAB,
    CareKind.IMAGING: RateKey.IMAGING,
    CareKind.HOSPITAL: RateKey.HOSPITAL,
    CareKind.EMERGENCY: RateKey.HOSPITAL,  # before the forfait patient urgences (2022)
    CareKind.TRANSPORT: RateKey.TRANSPORT,
    CareKind.OPTICS: RateKey.DEVICES,
    CareKind.DENTAL_PROSTHESIS: RateKey.DEVICES,
    CareKind.AUDIOLOGY: RateKey.DEVICES,
}
BASKET_KINDS = frozenset({CareKind.OPTICS, CareKind.DENTAL_PROSTHESIS, CareKind.AUDIOLOGY})
# Kinds whose acts of 120 EUR or more carry the flat participation instead of the
# ticket modérateur when the line does not say (imaging, lab and transport are excluded
# by the text; hospital stays need `costly_act=True` on the line).
_COSTLY_ACT_KINDS = frozenset({CareKind.DOCTOR, CareKind.MIDWIFE, CareKind.DENTIST})
_PARTICIPATION_KINDS = frozenset({CareKind.DOCTOR, CareKind.LAB, CareKind.IMAGING})
_FRANCHISES: Mapping[CareKind, Deduction] = {
    CareKind.MEDICINE: Deduction.FRANCHISE_MEDICINE,
    CareKind.AUXILIARY: Deduction.FRANCHISE_PARAMEDICAL,
    CareKind.TRANSPORT: Deduction.FRANCHISE_TRANSPORT,
}


# --- Data in -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Situation:
    """The person's situation; dates let one value serve every care date."""

    birth_date: date
    css: bool = False  # complémentaire santé solidaire
    ame: bool = False  # aide médicale de l'État
    # Maternity cover runs from the first day of the 6th month of pregnancy to
    # the 12th day after birth; open-ended while the birth is not known.
    pregnancy_sixth_month: date | None = None
    delivery_date: date | None = None


@dataclass(frozen=True, slots=True)
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
    quantity: int = 1  # acts, boxes, trips or devices
    coefficient: Decimal | None = None  # for key-letter acts (AMI 2 -> 2)
    base: Decimal | None = None  # unit BR, for acts the tariff table does not price
    end_date: date | None = None  # discharge day, required for hospital stays
    psychiatric: bool = False  # hospital stay in psychiatry
    basket: Basket | None = None  # optics, dental prostheses, hearing aids only
    emergency_transport: bool = False  # SMUR or urgent transport: no franchise
    # Act of 120 EUR or more (flat participation instead of the ticket modérateur):
    # None lets the engine decide from the tariff; a stay with such an act says True.
    costly_act: bool | None = None


@dataclass(frozen=True, slots=True)
class Withheld:
    """What was already deducted, counted against the caps, and what is owed.

    Counters hold deductions *due* (withheld or carried forward): the caps
    apply to what is due. Keys: calendar year; (care date, professional id)
    for the PF daily cap; (care date, Deduction, professional id) for the
    paramedical and transport daily caps, which count per day, per
    professional and per patient. `carried_forward` is the debt still to be
    withheld from the next payments to the insured.
    """

    participation_by_year: Mapping[int, Decimal] = field(default_factory=dict)
    participation_by_day: Mapping[tuple[date, str], Decimal] = field(default_factory=dict)
    franchise_by_year: Mapping[int, Decimal] = field(default_factory=dict)
    franchise_by_day: Mapping[tuple[date, Deduction, str], Decimal] = field(default_factory=dict)
    carried_forward: Decimal = ZERO


# --- Data out ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one care line is settled. All amounts in euros, to the cent.

    For a payment to the insured:
        paid + participation_withheld + franchise_withheld + debt_recovered == amo
    For tiers payant: paid == amo, nothing withheld, the line's deductions are
    all carried forward. Always: participation_due + franchise_due ==
    participation_withheld + franchise_withheld + carried_forward, and
    amo + ticket_moderateur == base.
    """

    line: CareLine
    base: Decimal  # BR
    rate: Decimal  # share of BR paid by the AMO, e.g. 0.70 (nominal: see costly acts, long stays)
    amo: Decimal  # what the AMO pays before deductions (BR x rate in the plain case)
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
    emergency_charge: Decimal = ZERO  # forfait patient urgences, owed to the hospital
    costly_act_participation: Decimal = ZERO  # the flat 24/32 EUR; it is the ticket modérateur


@dataclass(frozen=True, slots=True)
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
    situation = line.situation
    age = _age(situation.birth_date, when)
    maternity = _in_maternity(situation, when)
    exempt = age < DEDUCTIONS_FROM_AGE or situation.css or situation.ame or maternity

    in_path = line.kind == CareKind.DOCTOR and (
        line.coordinated_path or age < COORDINATED_PATH_FROM_AGE or _direct_access(line.specialty, age)
    )
    unit_base, coefficient = _unit_base(index, line, age=age, in_path=in_path)
    base = min(unit_base * line.quantity, line.charged)
    rate = _rate(index, line, maternity=maternity, in_path=in_path)
    amo = _cents(base * rate)
    costly = ZERO
    if rate < ONE and _is_costly_act(line, unit_base, coefficient):
        costly = min(_amount(index, line, "costly:flat"), base - amo)
        amo = base - costly
    elif line.kind == CareKind.HOSPITAL and rate < ONE:
        amo = _long_stay_amo(line, base, rate, amo)

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
    carried_forward = participation_due + franchise_due - participation_withheld - franchise_withheld
    ledger.debt += carried_forward

    hospital_daily_charge = emergency_charge = ZERO
    if line.kind == CareKind.HOSPITAL:
        hospital_daily_charge = _hospital_daily_charge(index, line, maternity=maternity)
    elif line.kind == CareKind.EMERGENCY:
        emergency_charge = _emergency_charge(line, maternity=maternity)
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
            line.charged - amo + participation_due + franchise_due + hospital_daily_charge + emergency_charge
        ),
        emergency_charge=emergency_charge,
        costly_act_participation=costly,
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


def _unit_base(index: int, line: CareLine, *, age: int, in_path: bool) -> tuple[Decimal, Decimal | None]:
    """The unit BR, and the coefficient it was priced with (for the costly-act rule)."""
    code = line.act_code.strip().upper()
    when = line.care_date
    key = (line.kind, code)
    standard = None
    if line.kind == CareKind.AUDIOLOGY and age <= AUDIOLOGY_CHILD_UP_TO_AGE:
        standard = TARIFF_INDEX.lookup((*key, TariffScope.CHILD), when)
    if standard is None and not in_path and line.kind == CareKind.DOCTOR:
        standard = TARIFF_INDEX.lookup((*key, TariffScope.OUTSIDE_PATH), when)
    if standard is None:
        standard = TARIFF_INDEX.lookup((*key, TariffScope.STANDARD), when)
    if standard is None:
        if line.base is None:
            raise _error(
                index,
                line,
                f"acte « {line.act_code} » sans tarif en vigueur à cette date : "
                "indiquez la base de remboursement sur la ligne",
            )
        return line.base, line.coefficient

    if standard.per_coefficient:
        if line.coefficient is None:
            raise _error(index, line, f"coefficient manquant pour l'acte « {code} »")
        unit = _cents(standard.amount * line.coefficient)
    elif line.coefficient is not None:
        raise _error(index, line, f"l'acte « {code} » ne prend pas de coefficient")
    else:
        unit = standard.amount

    if line.kind == CareKind.DOCTOR:
        if age < MEG_UNDER_AGE:
            majoration = TARIFF_INDEX.lookup((*key, TariffScope.UNDER_6), when)
            if majoration is not None:
                unit += majoration.amount
        if line.sector == Sector.SECTOR_2 and not line.optam:
            reduced = TARIFF_INDEX.lookup((*key, TariffScope.S2_NON_OPTAM_EXCESS), when)
            # Billing at the tariff keeps the standard base; only a dépassement
            # drops the base to the secteur 2 non-OPTAM one.
            if reduced is not None and line.charged > unit * line.quantity:
                unit = reduced.amount
    return unit, line.coefficient


def _rate(index: int, line: CareLine, *, maternity: bool, in_path: bool) -> Decimal:
    kind = line.kind
    if kind == CareKind.EMERGENCY and AMOUNT_INDEX.lookup("fpu", line.care_date) is not None:
        # The forfait patient urgences replaces the ticket modérateur of the visit;
        # before it, the visit was billed like hospital outpatient care.
        key = RateKey.FULL
    elif kind == CareKind.MEDICINE and line.ald_related and line.medicine_rate == MEDICINE_RATE_KEPT_IN_ALD:
        return MEDICINE_RATE_KEPT_IN_ALD
    elif line.ald_related or maternity or line.situation.ame:
        # ALD and maternity cover every kind of care at 100 % (15 % medicines in
        # ALD excepted, above) and lift the outside-path reduction; AME pays 100 %
        # of the base.
        key = RateKey.FULL
    elif kind == CareKind.MEDICINE:
        # _check_line guarantees the rate is there and is a published one.
        return line.medicine_rate  # type: ignore[return-value]
    elif kind == CareKind.DOCTOR:
        key = RateKey.DOCTOR_IN_PATH if in_path else RateKey.DOCTOR_OUTSIDE_PATH
    else:
        key = _KIND_RATES[kind]
    row: RateRow | None = RATE_INDEX.lookup(key, line.care_date)
    if row is None:
        raise _error(index, line, "aucun taux de remboursement en vigueur à cette date")
    return row.rate


def _direct_access(specialty: Specialty | None, age: int) -> bool:
    if specialty is None or specialty not in DIRECT_ACCESS:
        return False
    low, high = DIRECT_ACCESS[specialty]
    return (low is None or age >= low) and (high is None or age <= high)


def _is_costly_act(line: CareLine, unit_base: Decimal, coefficient: Decimal | None) -> bool:
    if line.costly_act is not None:
        return line.costly_act
    if line.kind not in _COSTLY_ACT_KINDS:
        return False
    when = line.care_date
    threshold = AMOUNT_INDEX.lookup("costly:threshold", when)
    min_coefficient = AMOUNT_INDEX.lookup("costly:coefficient", when)
    if unit_base >= threshold.amount:
        return True
    return coefficient is not None and coefficient >= min_coefficient.amount


def _long_stay_amo(line: CareLine, base: Decimal, rate: Decimal, amo: Decimal) -> Decimal:
    """From the 31st day of a stay the AMO pays 100 %: the BR is shared by day."""
    days = (line.end_date - line.care_date).days + 1  # type: ignore[operator]
    if days < HOSPITAL_FULL_FROM_DAY:
        return amo
    first_days = _cents(base * (HOSPITAL_FULL_FROM_DAY - 1) / days)
    return _cents(first_days * rate) + (base - first_days)


def _participation_due(index: int, line: CareLine, ledger: _Ledger) -> Decimal:
    if line.kind not in _PARTICIPATION_KINDS:
        return ZERO
    row = _deduction_row(index, line, Deduction.PARTICIPATION)
    day_key = (line.care_date, line.professional_id)
    year = line.care_date.year
    by_day, by_year = ledger.participation_by_day, ledger.participation_by_year
    due = _capped(
        row.unit * line.quantity,
        None if row.daily_cap is None else row.daily_cap - by_day.get(day_key, ZERO),
        _amount(index, line, "cap:participation") - by_year.get(year, ZERO),
    )
    if due:
        by_day[day_key] = by_day.get(day_key, ZERO) + due
        by_year[year] = by_year.get(year, ZERO) + due
    return due


def _franchise_due(index: int, line: CareLine, ledger: _Ledger) -> Decimal:
    deduction = _FRANCHISES.get(line.kind)
    if deduction is None or (line.kind == CareKind.TRANSPORT and line.emergency_transport):
        return ZERO
    row = _deduction_row(index, line, deduction)
    day_key = (line.care_date, deduction, line.professional_id)
    year = line.care_date.year
    by_day, by_year = ledger.franchise_by_day, ledger.franchise_by_year
    daily_left = None
    if row.daily_cap is not None:
        daily_left = row.daily_cap - by_day.get(day_key, ZERO)
    due = _capped(
        row.unit * line.quantity,
        daily_left,
        _amount(index, line, "cap:franchise") - by_year.get(year, ZERO),
    )
    if due:
        if row.daily_cap is not None:
            by_day[day_key] = by_day.get(day_key, ZERO) + due
        by_year[year] = by_year.get(year, ZERO) + due
    return due


def _capped(nominal: Decimal, *room: Decimal | None) -> Decimal:
    return max(ZERO, min([nominal, *(r for r in room if r is not None)]))


def _deduction_row(index: int, line: CareLine, deduction: Deduction) -> DeductionRow:
    row: DeductionRow | None = DEDUCTION_INDEX.lookup(deduction, line.care_date)
    if row is None:
        raise _error(index, line, "aucun barème de participation ou de franchise à cette date")
    return row


def _amount(index: int, line: CareLine, key: str) -> Decimal:
    row: AmountRow | None = AMOUNT_INDEX.lookup(key, line.care_date)
    if row is None:
        raise _error(index, line, "aucun montant de forfait ou de plafond en vigueur à cette date")
    return row.amount


def _hospital_daily_charge(index: int, line: CareLine, *, maternity: bool) -> Decimal:
    situation = line.situation
    if situation.css or situation.ame or maternity:
        return ZERO
    # _check_line guarantees end_date for a stay. The forfait is due for stays
    # of more than 24 hours, day of exit included: a same-day stay owes none.
    nights = (line.end_date - line.care_date).days  # type: ignore[operator]
    if nights == 0:
        return ZERO
    key = "fj:psy" if line.psychiatric else "fj"
    return _amount(index, line, key) * (nights + 1)


def _emergency_charge(line: CareLine, *, maternity: bool) -> Decimal:
    """The forfait patient urgences of a visit without admission.

    None before 2022. Exempt: maternity cover, babies under 30 days; covered for the person by the
    CSS and the AME. Reduced for a person in ALD (the line's `ald_related` is the
    engine's only sign of it).
    """
    situation = line.situation
    newborn = (line.care_date - situation.birth_date).days < NEWBORN_DAYS
    row: AmountRow | None = AMOUNT_INDEX.lookup("fpu:reduced" if line.ald_related else "fpu", line.care_date)
    if row is None or maternity or newborn or situation.css or situation.ame:
        return ZERO
    return row.amount


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
        not isinstance(line.coefficient, Decimal) or not line.coefficient.is_finite() or line.coefficient <= 0
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
                f"taux de médicament invalide ({line.medicine_rate}) : 1.00, 0.65, 0.30 ou 0.15 attendu"
            )
    if line.basket is not None and line.kind not in BASKET_KINDS:
        raise fail(
            "panier 100 % Santé indiqué pour un soin qui n'est ni optique, ni prothèse "
            "dentaire, ni audiologie"
        )
    if line.emergency_transport and line.kind != CareKind.TRANSPORT:
        raise fail("transport d'urgence indiqué sur une ligne qui n'est pas un transport")
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
