"""Properties of the rules engine that hold for any valid care lines (pure: no Django)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reimbursements.rules import (
    BASKET_KINDS,
    Basket,
    CareKind,
    CareLine,
    Payee,
    Sector,
    Situation,
    Specialty,
    Withheld,
    compute_settlements,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
YEARLY_CAP = Decimal("50.00")
FIRST_DAY = date(2017, 1, 1)
LAST_DAY = date(2026, 12, 31)

# (kind, act code, takes a coefficient); unknown codes rely on the base on the line.
ACTS = [
    (CareKind.DOCTOR, "G", False),
    (CareKind.DOCTOR, "VG", False),
    (CareKind.DOCTOR, "TCG", False),
    (CareKind.DOCTOR, "CS", False),
    (CareKind.DOCTOR, "APC", False),
    (CareKind.DOCTOR, "YYYY001", False),
    (CareKind.MIDWIFE, "C", False),
    (CareKind.MIDWIFE, "SF", True),
    (CareKind.DENTIST, "C", False),
    (CareKind.DENTIST, "HBQK002", False),
    (CareKind.AUXILIARY, "AMI", True),
    (CareKind.AUXILIARY, "AMK", True),
    (CareKind.LAB, "B", True),
    (CareKind.IMAGING, "ZBQK002", False),
    (CareKind.MEDICINE, "CIP34009", False),
    (CareKind.HOSPITAL, "GHS", False),
    (CareKind.TRANSPORT, "VSL", False),
    (CareKind.EMERGENCY, "FPU", False),
    (CareKind.OPTICS, "VERRE", False),
    (CareKind.DENTAL_PROSTHESIS, "HBLD634", False),
    (CareKind.AUDIOLOGY, "APPAREIL", False),
]

cents = st.integers(min_value=0, max_value=60_000).map(lambda n: Decimal(n) / 100)
small_cents = st.integers(min_value=0, max_value=5_000).map(lambda n: Decimal(n) / 100)
care_dates = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)


@st.composite
def situations(draw, care_date: date) -> Situation:
    birth_date = draw(st.dates(min_value=date(1925, 1, 1), max_value=care_date))
    pregnancy = draw(st.none() | st.dates(min_value=FIRST_DAY, max_value=LAST_DAY))
    delivery = None
    if pregnancy is not None:
        delivery = draw(st.none() | st.just(pregnancy + timedelta(days=120)))
    return Situation(
        birth_date=birth_date,
        css=draw(st.booleans()),
        ame=draw(st.booleans()),
        pregnancy_sixth_month=pregnancy,
        delivery_date=delivery,
    )


@st.composite
def care_lines(draw) -> CareLine:
    kind, code, per_coefficient = draw(st.sampled_from(ACTS))
    care_date = draw(care_dates)
    return CareLine(
        act_code=code,
        care_date=care_date,
        charged=draw(cents),
        kind=kind,
        professional_id=draw(st.sampled_from(["p1", "p2", "p3"])),
        situation=draw(situations(care_date)),
        specialty=draw(st.sampled_from(Specialty)) if kind == CareKind.DOCTOR else None,
        sector=draw(st.sampled_from(Sector)),
        optam=draw(st.booleans()),
        coordinated_path=draw(st.booleans()),
        tiers_payant=draw(st.booleans()),
        ald_related=draw(st.booleans()),
        medicine_rate=draw(st.sampled_from([Decimal(r) for r in ("1.00", "0.65", "0.30", "0.15")]))
        if kind == CareKind.MEDICINE
        else None,
        quantity=draw(st.integers(min_value=1, max_value=6)),
        coefficient=Decimal(draw(st.integers(min_value=1, max_value=300))) / 2 if per_coefficient else None,
        # Always present: ignored when the table prices the act on that date.
        base=draw(cents),
        end_date=care_date + timedelta(days=draw(st.integers(0, 40))) if kind == CareKind.HOSPITAL else None,
        psychiatric=draw(st.booleans()),
        basket=draw(st.none() | st.sampled_from(Basket)) if kind in BASKET_KINDS else None,
        emergency_transport=draw(st.booleans()) if kind == CareKind.TRANSPORT else False,
        costly_act=draw(st.sampled_from([None, True, False])),
    )


@st.composite
def counters(draw) -> Withheld:
    years = st.integers(min_value=2017, max_value=2026)
    return Withheld(
        participation_by_year=draw(st.dictionaries(years, small_cents, max_size=3)),
        franchise_by_year=draw(st.dictionaries(years, small_cents, max_size=3)),
        carried_forward=draw(st.integers(0, 3_000).map(lambda n: Decimal(n) / 100)),
    )


def is_cents(amount: Decimal) -> bool:
    return amount == amount.quantize(CENT)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(care_lines(), max_size=12), withheld=counters())
def test_each_settlement_adds_up(lines, withheld):
    run = compute_settlements(lines, withheld=withheld)

    assert [s.line for s in run.settlements] == lines
    for s in run.settlements:
        amounts = [
            s.base, s.amo, s.ticket_moderateur, s.depassement, s.participation_due,
            s.franchise_due, s.participation_withheld, s.franchise_withheld, s.carried_forward,
            s.debt_recovered, s.paid, s.hospital_daily_charge, s.out_of_pocket,
            s.emergency_charge, s.costly_act_participation,
        ]  # fmt: skip
        assert all(a >= 0 and is_cents(a) for a in amounts)
        plain = (s.base * s.rate).quantize(CENT, rounding=ROUND_HALF_UP)
        if s.costly_act_participation:
            # The flat participation replaces the ticket modérateur, never more than it.
            assert s.ticket_moderateur == s.costly_act_participation <= s.base - plain
        elif s.line.kind == CareKind.HOSPITAL and s.line.end_date - s.line.care_date >= timedelta(30):
            assert plain <= s.amo <= s.base  # 100 % from the 31st day
        else:
            assert s.amo == plain
        assert s.ticket_moderateur + s.amo == s.base
        assert s.base + s.depassement == s.line.charged
        assert (
            s.participation_withheld + s.franchise_withheld + s.carried_forward
            == s.participation_due + s.franchise_due
        )
        if s.payee == Payee.PROFESSIONAL:
            assert s.line.tiers_payant
            assert s.paid == s.amo
            assert s.participation_withheld == s.franchise_withheld == s.debt_recovered == ZERO
        else:
            assert s.paid + s.participation_withheld + s.franchise_withheld + s.debt_recovered == s.amo
        assert s.out_of_pocket == (
            s.line.charged
            - s.amo
            + s.participation_due
            + s.franchise_due
            + s.hospital_daily_charge
            + s.emergency_charge
        )


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(care_lines(), max_size=12), withheld=counters())
def test_deductions_are_conserved_and_capped(lines, withheld):
    run = compute_settlements(lines, withheld=withheld)
    out = run.withheld

    carried = sum((s.carried_forward for s in run.settlements), ZERO)
    recovered = sum((s.debt_recovered for s in run.settlements), ZERO)
    assert out.carried_forward == withheld.carried_forward + carried - recovered

    for year in {line.care_date.year for line in lines}:
        in_year = [s for s in run.settlements if s.line.care_date.year == year]
        participation = sum((s.participation_due for s in in_year), ZERO)
        franchise = sum((s.franchise_due for s in in_year), ZERO)
        before_p = withheld.participation_by_year.get(year, ZERO)
        before_f = withheld.franchise_by_year.get(year, ZERO)
        assert out.participation_by_year.get(year, ZERO) == before_p + participation
        assert out.franchise_by_year.get(year, ZERO) == before_f + franchise
        assert participation <= max(ZERO, YEARLY_CAP - before_p)
        assert franchise <= max(ZERO, YEARLY_CAP - before_f)

    assert all(v <= Decimal("8.00") for v in out.participation_by_day.values())
    assert all(v <= Decimal("8.00") for v in out.franchise_by_day.values())


@settings(max_examples=200, deadline=None)
@given(line=care_lines())
def test_exempt_people_owe_no_deduction(line):
    situation = line.situation
    exempt = situation.css or situation.ame or (line.care_date.year - situation.birth_date.year < 17)
    (s,) = compute_settlements([line], withheld=Withheld()).settlements
    if exempt:
        assert s.participation_due == s.franchise_due == ZERO
