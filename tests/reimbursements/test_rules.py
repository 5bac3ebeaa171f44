"""Rules engine, from published cases and one table per rule (pure: runs without Django)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from reimbursements.rules import (
    CareKind,
    CareLine,
    Payee,
    RulesError,
    Sector,
    Settlement,
    Situation,
    Specialty,
    Withheld,
    compute_settlements,
)

D = Decimal
ADULT = Situation(birth_date=date(1980, 6, 15))
DAY = date(2025, 3, 10)
REPO_ROOT = Path(__file__).resolve().parents[2]


def born_aged(age: int, on: date = DAY) -> Situation:
    return Situation(birth_date=on.replace(year=on.year - age))


def gp(**changes) -> CareLine:
    """A GP consultation, médecin traitant, adult, secteur 1, March 2025."""
    values = dict(
        act_code="G",
        care_date=DAY,
        charged=D("30.00"),
        kind=CareKind.DOCTOR,
        professional_id="gp-1",
        situation=ADULT,
        specialty=Specialty.GENERAL_PRACTICE,
    )
    values.update(changes)
    return CareLine(**values)


def medicine(price: str, rate: str, boxes: int = 1, **changes) -> CareLine:
    values = dict(
        act_code="CIP3400930000000",
        care_date=DAY,
        charged=D(price) * boxes,
        kind=CareKind.MEDICINE,
        professional_id="pharmacy-1",
        situation=ADULT,
        medicine_rate=D(rate),
        base=D(price),
        quantity=boxes,
    )
    values.update(changes)
    return CareLine(**values)


def nurse(**changes) -> CareLine:
    values = dict(
        act_code="AMI",
        care_date=DAY,
        charged=D("3.15"),
        kind=CareKind.AUXILIARY,
        professional_id="nurse-1",
        situation=ADULT,
        coefficient=D("1"),
    )
    values.update(changes)
    return CareLine(**values)


def hospital(admission: date, discharge: date, **changes) -> CareLine:
    values = dict(
        act_code="GHS",
        care_date=admission,
        end_date=discharge,
        charged=D("1000.00"),
        base=D("1000.00"),
        kind=CareKind.HOSPITAL,
        professional_id="hospital-1",
        situation=ADULT,
        tiers_payant=True,
    )
    values.update(changes)
    return CareLine(**values)


def settle(*lines: CareLine, withheld: Withheld | None = None) -> list[Settlement]:
    return list(compute_settlements(lines, withheld=withheld or Withheld()).settlements)


def one(line: CareLine, withheld: Withheld | None = None) -> Settlement:
    (settlement,) = settle(line, withheld=withheld)
    return settlement


# --- The four published worked examples (domain-rules.md) ------------------------

WORKED_EXAMPLES = [
    # (case, line, AMO paid, ticket modérateur)
    ("GP 30 EUR, médecin traitant, adult", gp(), "19.00", "9.00"),
    ("same, outside the coordinated path", gp(coordinated_path=False), "7.00", "21.00"),
    ("same, patient aged 12", gp(situation=born_aged(12)), "21.00", "9.00"),
    ("medicine box sold 10 EUR at 65 %", medicine("10.00", "0.65"), "5.50", "3.50"),
]


@pytest.mark.parametrize(
    ("line", "paid", "ticket_moderateur"),
    [case[1:] for case in WORKED_EXAMPLES],
    ids=[case[0] for case in WORKED_EXAMPLES],
)
def test_published_worked_examples(line, paid, ticket_moderateur):
    settlement = one(line)
    assert settlement.paid == D(paid)
    assert settlement.ticket_moderateur == D(ticket_moderateur)
    assert settlement.payee == Payee.INSURED


# --- Rates by kind of care ---------------------------------------------------------

RATE_CASES = [
    # (case, line, BR, rate, AMO, PF due, franchise due)
    ("GP", gp(), "30.00", "0.70", "21.00", "2.00", "0.00"),
    (
        "midwife consultation, no PF",
        gp(kind=CareKind.MIDWIFE, act_code="C", charged=D("26.50"), specialty=None),
        "26.50",
        "0.70",
        "18.55",
        "0.00",
        "0.00",
    ),
    (
        "midwife SF key letter 2025: 3.20 x 15",
        gp(kind=CareKind.MIDWIFE, act_code="SF", charged=D("48.00"), coefficient=D("15")),
        "48.00",
        "0.70",
        "33.60",
        "0.00",
        "0.00",
    ),
    (
        "dentist consultation 23 EUR at 60 %, no PF",
        gp(kind=CareKind.DENTIST, act_code="C", charged=D("23.00"), specialty=None),
        "23.00",
        "0.60",
        "13.80",
        "0.00",
        "0.00",
    ),
    ("nurse AMI 1 = 3.15", nurse(), "3.15", "0.60", "1.89", "0.00", "1.00"),
    (
        "physiotherapist AMK 7.5 = 16.125 -> 16.13",
        nurse(act_code="AMK", coefficient=D("7.5"), charged=D("16.13"), professional_id="kine"),
        "16.13",
        "0.60",
        "9.68",
        "0.00",
        "1.00",
    ),
    (
        "laboratory B 70 = 0.25 x 70 = 17.50 (avenant 12, from 15 January 2024)",
        gp(kind=CareKind.LAB, act_code="B", coefficient=D("70"), charged=D("18.90")),
        "17.50",
        "0.60",
        "10.50",
        "2.00",
        "0.00",
    ),
    (
        "imaging, base on the line",
        gp(kind=CareKind.IMAGING, act_code="ZBQK002", base=D("25.27"), charged=D("25.27")),
        "25.27",
        "0.70",
        "17.69",
        "2.00",
        "0.00",
    ),
    ("medicine at 100 %", medicine("10.00", "1.00"), "10.00", "1.00", "10.00", "0.00", "1.00"),
    ("medicine at 30 %", medicine("10.00", "0.30"), "10.00", "0.30", "3.00", "0.00", "1.00"),
    ("medicine at 15 %", medicine("10.00", "0.15"), "10.00", "0.15", "1.50", "0.00", "1.00"),
    (
        "hospital stay at 80 %, no PF",
        hospital(DAY, DAY),
        "1000.00",
        "0.80",
        "800.00",
        "0.00",
        "0.00",
    ),
    (
        "transport at 55 %, 4 EUR franchise",
        gp(kind=CareKind.TRANSPORT, act_code="TAXI", base=D("40.00"), charged=D("40.00")),
        "40.00",
        "0.55",
        "22.00",
        "0.00",
        "4.00",
    ),
]


@pytest.mark.parametrize(
    ("line", "base", "rate", "amo", "participation", "franchise"),
    [case[1:] for case in RATE_CASES],
    ids=[case[0] for case in RATE_CASES],
)
def test_rate_by_kind_of_care(line, base, rate, amo, participation, franchise):
    settlement = one(line)
    assert (settlement.base, settlement.rate, settlement.amo) == (D(base), D(rate), D(amo))
    assert settlement.participation_due == D(participation)
    assert settlement.franchise_due == D(franchise)
    assert settlement.ticket_moderateur == settlement.base - settlement.amo


def test_dental_rate_dropped_to_60_percent_on_1_october_2023():
    def dentist(on: date) -> CareLine:
        return gp(kind=CareKind.DENTIST, act_code="C", charged=D("23.00"), care_date=on)

    assert one(dentist(date(2023, 9, 30))).amo == D("16.10")
    assert one(dentist(date(2023, 10, 1))).amo == D("13.80")


# --- Coordinated path and its exceptions ------------------------------------------

PATH_CASES = [
    # (case, specialty, age, rate outside the coordinated path)
    ("GP, adult", Specialty.GENERAL_PRACTICE, 40, "0.30"),
    ("specialist, adult", Specialty.OTHER, 40, "0.30"),
    ("specialist, aged 15: path does not apply", Specialty.OTHER, 15, "0.70"),
    ("specialist, aged 16: path applies", Specialty.OTHER, 16, "0.30"),
    ("gynaecologist, direct access", Specialty.GYNAECOLOGY, 40, "0.70"),
    ("ophthalmologist, direct access", Specialty.OPHTHALMOLOGY, 70, "0.70"),
    ("stomatologist, direct access", Specialty.STOMATOLOGY, 40, "0.70"),
    ("psychiatrist, aged 16", Specialty.PSYCHIATRY, 16, "0.70"),
    ("psychiatrist, aged 25", Specialty.PSYCHIATRY, 25, "0.70"),
    ("psychiatrist, aged 26", Specialty.PSYCHIATRY, 26, "0.30"),
    ("psychiatrist, aged 40", Specialty.PSYCHIATRY, 40, "0.30"),
]


@pytest.mark.parametrize(
    ("specialty", "age", "rate"),
    [case[1:] for case in PATH_CASES],
    ids=[case[0] for case in PATH_CASES],
)
def test_outside_coordinated_path(specialty, age, rate):
    line = gp(
        act_code="CS",
        specialty=specialty,
        coordinated_path=False,
        situation=born_aged(age),
    )
    assert one(line).rate == D(rate)


def test_in_coordinated_path_is_70_percent_for_any_specialty():
    assert one(gp(act_code="CS", specialty=Specialty.OTHER)).rate == D("0.70")


def test_secteur_1_specialist_outside_path_with_authorised_dépassement():
    # Outside the path the MCS is not billable: BR is the CS alone, 26.50 in 2025
    # (CS 31.50 with the MCS in the path); the dépassement autorisé is never reimbursed.
    settlement = one(gp(act_code="CS", specialty=Specialty.OTHER, coordinated_path=False, charged=D("36.00")))
    assert settlement.base == D("26.50")
    assert settlement.amo == D("7.95")
    assert settlement.ticket_moderateur == D("18.55")
    assert settlement.depassement == D("9.50")
    assert settlement.paid == D("5.95")
    assert settlement.out_of_pocket == D("30.05")


# --- Sectors -------------------------------------------------------------------------

SECTOR_CASES = [
    # (case, act, sector, OPTAM, charged, BR, AMO, dépassement, paid)
    ("S1 GP at tariff", "G", Sector.SECTOR_1, False, "30.00", "30.00", "21.00", "0.00", "19.00"),
    ("S2 OPTAM GP with dépassement", "G", Sector.SECTOR_2, True, "40.00", "30.00", "21.00",
     "10.00", "19.00"),
    ("S2 non-OPTAM GP at tariff", "G", Sector.SECTOR_2, False, "30.00", "30.00", "21.00", "0.00",
     "19.00"),
    ("S2 non-OPTAM GP with dépassement: C base", "G", Sector.SECTOR_2, False, "50.00", "23.00",
     "16.10", "27.00", "14.10"),
    ("S2 non-OPTAM GP one cent above", "G", Sector.SECTOR_2, False, "30.01", "23.00", "16.10",
     "7.01", "14.10"),
    ("S2 non-OPTAM téléconsultation", "TCG", Sector.SECTOR_2, False, "35.00", "23.00", "16.10",
     "12.00", "14.10"),
    ("S2 non-OPTAM specialist", "CS", Sector.SECTOR_2, False, "60.00", "23.00", "16.10", "37.00",
     "14.10"),
    ("S2 non-OPTAM APC: no reduced row", "APC", Sector.SECTOR_2, False, "80.00", "60.00",
     "42.00", "20.00", "40.00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("act", "sector", "optam", "charged", "base", "amo", "depassement", "paid"),
    [case[1:] for case in SECTOR_CASES],
    ids=[case[0] for case in SECTOR_CASES],
)
def test_sectors_and_optam(act, sector, optam, charged, base, amo, depassement, paid):
    settlement = one(gp(act_code=act, sector=sector, optam=optam, charged=D(charged)))
    assert settlement.base == D(base)
    assert settlement.amo == D(amo)
    assert settlement.depassement == D(depassement)
    assert settlement.paid == D(paid)


def test_charged_below_tariff_caps_the_base():
    settlement = one(gp(charged=D("20.00")))
    assert (settlement.base, settlement.amo, settlement.depassement) == (
        D("20.00"),
        D("14.00"),
        D("0.00"),
    )


# --- Dated tables ------------------------------------------------------------------

DATED_CASES = [
    # (case, care date, BR, PF, paid)
    ("G 25.00 before the règlement arbitral", date(2023, 11, 30), "25.00", "1.00", "16.50"),
    ("G 26.50, PF 1 EUR the day before 15 May 2024", date(2024, 5, 14), "26.50", "1.00", "17.55"),
    ("G 26.50, PF 2 EUR from 15 May 2024", date(2024, 5, 15), "26.50", "2.00", "16.55"),
    ("G 26.50 on 21 Dec 2024", date(2024, 12, 21), "26.50", "2.00", "16.55"),
    ("G 30.00 from 22 Dec 2024", date(2024, 12, 22), "30.00", "2.00", "19.00"),
]


@pytest.mark.parametrize(
    ("on", "base", "participation", "paid"),
    [case[1:] for case in DATED_CASES],
    ids=[case[0] for case in DATED_CASES],
)
def test_dated_tariff_and_participation(on, base, participation, paid):
    settlement = one(gp(care_date=on, charged=D(base)))
    assert settlement.base == D(base)
    assert settlement.participation_due == D(participation)
    assert settlement.paid == D(paid)


def test_franchises_before_they_doubled_on_31_march_2024():
    before = date(2024, 3, 30)
    assert one(medicine("10.00", "0.65", care_date=before)).franchise_due == D("0.50")
    assert one(medicine("10.00", "0.65", care_date=date(2024, 3, 31))).franchise_due == D("1.00")


def test_act_not_in_the_table_uses_the_base_on_the_line():
    settlement = one(gp(act_code="XYZ", base=D("41.00"), charged=D("41.00")))
    assert (settlement.base, settlement.amo) == (D("41.00"), D("28.70"))


def test_table_wins_over_a_base_on_the_line():
    assert one(gp(base=D("99.00"), charged=D("99.00"))).base == D("30.00")


def test_midwife_consultation_before_the_table_row_needs_a_base():
    line = gp(kind=CareKind.MIDWIFE, act_code="C", care_date=date(2023, 6, 1), charged=D("25.00"))
    with pytest.raises(RulesError, match="sans tarif en vigueur"):
        one(line)
    assert one(dataclasses.replace(line, base=D("25.00"))).amo == D("17.50")


# --- Participation forfaitaire caps --------------------------------------------------


def test_daily_participation_cap_five_acts_same_doctor_same_day():
    settlements = settle(*[gp() for _ in range(5)])
    assert [s.participation_due for s in settlements] == [D("2.00")] * 4 + [D("0.00")]
    assert sum(s.participation_withheld for s in settlements) == D("8.00")
    assert settlements[-1].paid == D("21.00")


def test_daily_participation_cap_before_may_2024_is_four_euros():
    on = date(2024, 5, 14)
    settlements = settle(*[gp(care_date=on, charged=D("26.50")) for _ in range(5)])
    assert sum(s.participation_due for s in settlements) == D("4.00")


def test_daily_participation_cap_is_per_professional_and_per_day():
    lines = [gp() for _ in range(4)] + [
        gp(professional_id="gp-2"),
        gp(care_date=date(2025, 3, 11)),
    ]
    settlements = settle(*lines)
    assert [s.participation_due for s in settlements[-2:]] == [D("2.00"), D("2.00")]


def test_daily_participation_cap_counts_acts_already_withheld_that_day():
    withheld = Withheld(participation_by_day={(DAY, "gp-1"): D("6.00")})
    first, second = settle(gp(), gp(), withheld=withheld)
    assert (first.participation_due, second.participation_due) == (D("2.00"), D("0.00"))


def test_daily_participation_cap_counts_quantity():
    settlement = one(gp(quantity=5, charged=D("150.00")))
    assert settlement.participation_due == D("8.00")


def test_yearly_participation_cap_reached_mid_year():
    withheld = Withheld(participation_by_year={2025: D("49.00")})
    run = compute_settlements([gp(), gp(professional_id="gp-2")], withheld=withheld)
    first, second = run.settlements
    assert (first.participation_due, second.participation_due) == (D("1.00"), D("0.00"))
    assert (first.paid, second.paid) == (D("20.00"), D("21.00"))
    assert run.withheld.participation_by_year[2025] == D("50.00")


def test_yearly_participation_cap_restarts_with_the_calendar_year():
    withheld = Withheld(participation_by_year={2024: D("50.00")})
    assert one(gp(), withheld=withheld).participation_due == D("2.00")


# --- Franchises ------------------------------------------------------------------------


def test_medicine_franchise_per_box_without_daily_cap():
    settlement = one(medicine("10.00", "0.65", boxes=6))
    assert settlement.franchise_due == D("6.00")
    assert settlement.paid == D("33.00")


def test_paramedical_franchise_daily_cap_four_euros():
    settlements = settle(nurse(quantity=3, charged=D("9.45")), nurse(quantity=3, charged=D("9.45")))
    assert [s.franchise_due for s in settlements] == [D("3.00"), D("1.00")]


def test_paramedical_daily_cap_is_per_professional():
    # 4 EUR a day per professional and per patient: two nurses the same day, 3 + 2 acts.
    lines = [
        nurse(quantity=3, charged=D("9.45")),
        nurse(professional_id="nurse-2", quantity=2, charged=D("6.30")),
        nurse(professional_id="nurse-2", quantity=3, charged=D("9.45")),
    ]
    assert [s.franchise_due for s in settle(*lines)] == [D("3.00"), D("2.00"), D("2.00")]


def test_transport_franchise_daily_cap_eight_euros():
    trip = gp(kind=CareKind.TRANSPORT, act_code="VSL", base=D("30.00"), charged=D("30.00"))
    settlements = settle(trip, trip, trip)
    assert [s.franchise_due for s in settlements] == [D("4.00"), D("4.00"), D("0.00")]


def test_transport_and_paramedical_daily_caps_are_separate():
    trip = gp(kind=CareKind.TRANSPORT, act_code="VSL", base=D("30.00"), charged=D("30.00"))
    settlements = settle(trip, trip, nurse(quantity=4, charged=D("12.60")))
    assert [s.franchise_due for s in settlements] == [D("4.00"), D("4.00"), D("4.00")]


def test_yearly_franchise_cap_shared_by_the_three_franchises():
    withheld = Withheld(franchise_by_year={2025: D("48.50")})
    trip = gp(kind=CareKind.TRANSPORT, act_code="VSL", base=D("30.00"), charged=D("30.00"))
    run = compute_settlements([nurse(), medicine("10.00", "0.65", boxes=2), trip], withheld=withheld)
    assert [s.franchise_due for s in run.settlements] == [D("1.00"), D("0.50"), D("0.00")]
    assert run.withheld.franchise_by_year[2025] == D("50.00")


def test_participation_and_franchise_have_separate_yearly_caps():
    withheld = Withheld(franchise_by_year={2025: D("50.00")})
    first, second = settle(gp(), medicine("10.00", "0.65"), withheld=withheld)
    assert (first.participation_due, second.franchise_due) == (D("2.00"), D("0.00"))


# --- Exemptions, ALD, maternity ---------------------------------------------------------

EXEMPT = [
    ("aged 17", born_aged(17)),
    ("CSS", dataclasses.replace(ADULT, css=True)),
    ("AME", dataclasses.replace(ADULT, ame=True)),
    (
        "maternity, first day of the 6th month",
        dataclasses.replace(ADULT, pregnancy_sixth_month=DAY),
    ),
    (
        "maternity, 12th day after birth",
        dataclasses.replace(ADULT, pregnancy_sixth_month=date(2024, 10, 1), delivery_date=date(2025, 2, 26)),
    ),
]
NOT_EXEMPT = [
    ("aged 18", born_aged(18)),
    ("pregnant, before the 6th month", dataclasses.replace(
        ADULT, pregnancy_sixth_month=date(2025, 3, 11))),
    ("13th day after birth", dataclasses.replace(
        ADULT, pregnancy_sixth_month=date(2024, 10, 1), delivery_date=date(2025, 2, 25))),
]  # fmt: skip


@pytest.mark.parametrize("situation", [c[1] for c in EXEMPT], ids=[c[0] for c in EXEMPT])
def test_exempt_from_participation_and_franchises(situation):
    settlements = settle(gp(situation=situation), medicine("10.00", "0.65", situation=situation))
    assert all(s.participation_due == s.franchise_due == D("0.00") for s in settlements)


@pytest.mark.parametrize("situation", [c[1] for c in NOT_EXEMPT], ids=[c[0] for c in NOT_EXEMPT])
def test_not_exempt(situation):
    doctor, box = settle(gp(situation=situation), medicine("10.00", "0.65", situation=situation))
    assert (doctor.participation_due, box.franchise_due) == (D("2.00"), D("1.00"))


def test_ald_pays_100_percent_but_keeps_the_participation():
    settlement = one(gp(ald_related=True))
    assert (settlement.rate, settlement.amo, settlement.paid) == (
        D("1.00"),
        D("30.00"),
        D("28.00"),
    )
    assert settlement.ticket_moderateur == D("0.00")


def test_ald_outside_the_coordinated_path_still_100_percent():
    assert one(gp(ald_related=True, coordinated_path=False)).rate == D("1.00")


def test_ald_medicine_keeps_the_franchise():
    settlement = one(medicine("10.00", "0.65", ald_related=True))
    assert (settlement.amo, settlement.franchise_due, settlement.paid) == (
        D("10.00"),
        D("1.00"),
        D("9.00"),
    )


def test_ald_medicine_at_15_percent_stays_at_15_percent():
    settlement = one(medicine("10.00", "0.15", ald_related=True))
    assert (settlement.rate, settlement.amo, settlement.franchise_due, settlement.paid) == (
        D("0.15"),
        D("1.50"),
        D("1.00"),
        D("0.50"),
    )


def test_maternity_pays_100_percent_without_participation():
    situation = dataclasses.replace(ADULT, pregnancy_sixth_month=date(2025, 1, 1))
    settlement = one(gp(situation=situation, coordinated_path=False))
    assert (settlement.rate, settlement.paid) == (D("1.00"), D("30.00"))


# --- Tiers payant and carried deductions ---------------------------------------------------


def test_tiers_payant_pays_the_professional_and_carries_the_deduction():
    run = compute_settlements(
        [gp(tiers_payant=True), gp(care_date=date(2025, 3, 12), professional_id="gp-2")],
        withheld=Withheld(),
    )
    carried, next_payment = run.settlements
    assert (carried.payee, carried.paid, carried.participation_withheld) == (
        Payee.PROFESSIONAL,
        D("21.00"),
        D("0.00"),
    )
    assert carried.carried_forward == D("2.00")
    assert next_payment.payee == Payee.INSURED
    assert (next_payment.debt_recovered, next_payment.paid) == (D("2.00"), D("17.00"))
    assert run.withheld.carried_forward == D("0.00")


def test_carried_deductions_are_not_recovered_from_tiers_payant_payments():
    run = compute_settlements([gp(tiers_payant=True), nurse(tiers_payant=True)], withheld=Withheld())
    assert [s.debt_recovered for s in run.settlements] == [D("0.00"), D("0.00")]
    assert [s.paid for s in run.settlements] == [D("21.00"), D("1.89")]
    assert run.withheld.carried_forward == D("3.00")


def test_debt_from_earlier_runs_is_recovered_from_the_next_insured_payment():
    run = compute_settlements([gp()], withheld=Withheld(carried_forward=D("5.00")))
    (settlement,) = run.settlements
    assert (settlement.debt_recovered, settlement.paid) == (D("5.00"), D("14.00"))
    assert run.withheld.carried_forward == D("0.00")


def test_deduction_larger_than_the_line_is_carried_forward():
    # 15 % of 3.00 = 0.45; the 1 EUR franchise cannot all be withheld.
    small, next_box = settle(medicine("3.00", "0.15"), medicine("10.00", "0.65"))
    assert (small.amo, small.franchise_withheld, small.paid) == (D("0.45"), D("0.45"), D("0.00"))
    assert small.carried_forward == D("0.55")
    assert (next_box.franchise_withheld, next_box.debt_recovered) == (D("1.00"), D("0.55"))
    assert next_box.paid == D("4.95")


def test_debt_larger_than_several_payments_spreads_over_them():
    run = compute_settlements(
        [medicine("3.00", "0.15"), medicine("3.00", "0.15")],
        withheld=Withheld(carried_forward=D("10.00")),
    )
    assert [s.paid for s in run.settlements] == [D("0.00"), D("0.00")]
    assert run.withheld.carried_forward == D("11.10")


def test_lines_are_processed_by_date_then_input_order_and_returned_in_input_order():
    later = gp(care_date=date(2025, 3, 11))
    earlier_tiers_payant = nurse(care_date=DAY, tiers_payant=True)
    later_settlement, earlier_settlement = settle(later, earlier_tiers_payant)
    assert later_settlement.line is later
    assert earlier_settlement.carried_forward == D("1.00")
    assert later_settlement.debt_recovered == D("1.00")


def test_same_day_lines_keep_input_order_for_the_daily_cap():
    settlements = settle(*[gp(care_date=DAY, tiers_payant=i == 4) for i in range(5)])
    assert settlements[4].participation_due == D("0.00")
    assert settlements[0].participation_due == D("2.00")


def test_updated_counters_are_returned_and_the_input_is_untouched():
    withheld = Withheld(participation_by_year={2025: D("10.00")})
    run = compute_settlements(
        [
            gp(),
            nurse(),
            gp(kind=CareKind.TRANSPORT, act_code="VSL", base=D("9.00"), charged=D("9.00")),
        ],
        withheld=withheld,
    )
    assert withheld.participation_by_year == {2025: D("10.00")}
    assert run.withheld.participation_by_year == {2025: D("12.00")}
    assert run.withheld.participation_by_day == {(DAY, "gp-1"): D("2.00")}
    assert run.withheld.franchise_by_year == {2025: D("5.00")}
    assert set(run.withheld.franchise_by_day.values()) == {D("1.00"), D("4.00")}


def test_nothing_reimbursed_means_nothing_deducted():
    settlement = one(gp(charged=D("0.00")))
    assert (settlement.amo, settlement.participation_due, settlement.paid) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )


# --- Hospital forfait journalier ---------------------------------------------------------

HOSPITAL_CASES = [
    # (case, admission, discharge, psychiatric, situation, forfait journalier)
    ("5 days, day of exit included", date(2025, 3, 1), date(2025, 3, 5), False, ADULT, "100.00"),
    ("psychiatry 15 EUR", date(2025, 3, 1), date(2025, 3, 5), True, ADULT, "75.00"),
    ("one night: 2 days", date(2025, 3, 1), date(2025, 3, 2), False, ADULT, "40.00"),
    ("same-day stay: none", date(2025, 3, 1), date(2025, 3, 1), False, ADULT, "0.00"),
    ("2017: 18 EUR", date(2017, 6, 1), date(2017, 6, 3), False, ADULT, "54.00"),
    ("2017 psychiatry: 13.50 EUR", date(2017, 6, 1), date(2017, 6, 3), True, ADULT, "40.50"),
    ("CSS: none", date(2025, 3, 1), date(2025, 3, 5), False,
     dataclasses.replace(ADULT, css=True), "0.00"),
    ("maternity: none", date(2025, 3, 1), date(2025, 3, 5), False,
     dataclasses.replace(ADULT, pregnancy_sixth_month=date(2025, 1, 1)), "0.00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("admission", "discharge", "psychiatric", "situation", "charge"),
    [case[1:] for case in HOSPITAL_CASES],
    ids=[case[0] for case in HOSPITAL_CASES],
)
def test_hospital_forfait_journalier(admission, discharge, psychiatric, situation, charge):
    line = hospital(admission, discharge, psychiatric=psychiatric, situation=situation)
    assert one(line).hospital_daily_charge == D(charge)


def test_hospital_forfait_journalier_is_due_in_ald():
    line = hospital(date(2025, 3, 1), date(2025, 3, 5), ald_related=True)
    settlement = one(line)
    assert (settlement.amo, settlement.hospital_daily_charge) == (D("1000.00"), D("100.00"))


def test_hospital_line_shows_what_remains_for_the_patient():
    settlement = one(hospital(date(2025, 3, 1), date(2025, 3, 5), charged=D("1200.00")))
    assert settlement.payee == Payee.PROFESSIONAL
    assert (settlement.amo, settlement.paid) == (D("800.00"), D("800.00"))
    assert settlement.ticket_moderateur == D("200.00")
    assert settlement.depassement == D("200.00")
    assert settlement.hospital_daily_charge == D("100.00")
    assert settlement.out_of_pocket == D("500.00")
    assert (settlement.participation_due, settlement.franchise_due) == (D("0.00"), D("0.00"))


# --- Cent rounding (ROUND_HALF_UP) ---------------------------------------------------------

ROUNDING_CASES = [
    # (case, line, expected AMO)
    ("70 % of 23.33 = 16.331", gp(kind=CareKind.IMAGING, act_code="X", base=D("23.33"),
                                  charged=D("23.33")), "16.33"),
    ("70 % of 0.05 = 0.035 up", gp(kind=CareKind.IMAGING, act_code="X", base=D("0.05"),
                                   charged=D("0.05")), "0.04"),
    ("70 % of 0.15 = 0.105 up", gp(kind=CareKind.IMAGING, act_code="X", base=D("0.15"),
                                   charged=D("0.15")), "0.11"),
    ("30 % of 0.05 = 0.015 up", medicine("0.05", "0.30"), "0.02"),
    ("30 % of 23.35 = 7.005 up", medicine("23.35", "0.30"), "7.01"),
    ("65 % of 0.10 = 0.065 up", medicine("0.10", "0.65"), "0.07"),
    ("65 % of 12.34 = 8.021 down", medicine("12.34", "0.65"), "8.02"),
    ("15 % of 0.03 = 0.0045 down", medicine("0.03", "0.15"), "0.00"),
    ("15 % of 0.10 = 0.015 up", medicine("0.10", "0.15"), "0.02"),
    ("60 % of 2.15 x 7.5 = 16.125 -> 16.13 -> 9.678 (2023)", nurse(
        act_code="AMK", coefficient=D("7.5"), charged=D("20.00"), care_date=date(2023, 6, 1)), "9.68"),
    ("60 % of 2.21 x 7.5 = 16.575 -> 16.58 -> 9.948", nurse(act_code="AMK", coefficient=D("7.5"),
                                                            charged=D("20.00")), "9.95"),
    ("60 % of 3.15 x 1.5 = 4.725 -> 4.73 -> 2.838", nurse(coefficient=D("1.5"),
                                                          charged=D("4.73")), "2.84"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "amo"),
    [case[1:] for case in ROUNDING_CASES],
    ids=[case[0] for case in ROUNDING_CASES],
)
def test_cent_rounding_half_up(line, amo):
    settlement = one(line)
    assert settlement.amo == D(amo)
    assert settlement.amo + settlement.ticket_moderateur == settlement.base
    assert settlement.paid.as_tuple().exponent == -2


# --- Errors --------------------------------------------------------------------------------

ERROR_CASES = [
    # (case, line, words expected in the French message)
    ("unknown act without a base", gp(act_code="ZZZ"), "sans tarif en vigueur"),
    ("negative charged amount", gp(charged=D("-1.00")), "montant facturé négatif"),
    ("negative base", gp(act_code="ZZZ", base=D("-5.00")), "base négatif"),
    ("float amount", gp(charged=30.0), "Decimal est attendu"),
    ("amount below the cent", gp(charged=D("30.001")), "au-delà du centime"),
    ("medicine without a rate", medicine("10.00", "0.65", medicine_rate=None),
     "taux de remboursement du médicament manquant"),
    ("medicine rate as a percentage", medicine("10.00", "0.65", medicine_rate=D("65")),
     "taux de médicament invalide"),
    ("doctor without a specialty", gp(specialty=None), "spécialité du médecin manquante"),
    ("key-letter act without a coefficient", nurse(coefficient=None), "coefficient manquant"),
    ("coefficient on a flat act", gp(coefficient=D("2")), "ne prend pas de coefficient"),
    ("zero quantity", gp(quantity=0), "quantité"),
    ("hospital stay without discharge", hospital(DAY, DAY, end_date=None),
     "date de sortie d'hospitalisation manquante"),
    ("discharge before admission", hospital(DAY, date(2025, 3, 9)), "date de sortie antérieure"),
    ("care before the tables", gp(care_date=date(2016, 12, 31)), "non couverts par les barèmes"),
    ("care before birth", gp(situation=Situation(birth_date=date(2025, 4, 1))),
     "antérieure à la date de naissance"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "words"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_invalid_lines_raise_a_french_rules_error(line, words):
    with pytest.raises(RulesError, match=words) as raised:
        settle(gp(), line)
    assert raised.value.index == 1
    assert str(raised.value).startswith("Ligne 2 (acte")


def test_negative_counters_are_refused():
    with pytest.raises(RulesError, match="Compteurs de retenues invalides"):
        settle(gp(), withheld=Withheld(carried_forward=D("-1.00")))


def test_withheld_is_keyword_only():
    with pytest.raises(TypeError):
        compute_settlements([gp()], Withheld())  # type: ignore[misc]


# --- Purity --------------------------------------------------------------------------------


def test_rules_module_imports_no_django():
    check = (
        "import sys; import reimbursements.rules; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), "
        "sorted(m for m in sys.modules if m.split('.')[0] == 'django')"
    )
    result = subprocess.run([sys.executable, "-c", check], cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
