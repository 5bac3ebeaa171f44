"""Dated tariffs and the rules added for 2026, from published figures, with a date on each side of
every change (pure: runs without Django). The shared line builders are test_rules.py's."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from reimbursements.rules import (
    Basket,
    CareKind,
    Deduction,
    RulesError,
    Situation,
    Specialty,
    Withheld,
    compute_settlements,
)
from reimbursements.tariffs import AMOUNTS, RATES, TARIFFS, Index
from tests.reimbursements.test_rules import ADULT, born_aged, gp, hospital, medicine, nurse, one, settle

D = Decimal


def child(age: int, on: date) -> Situation:
    return born_aged(age, on)


# --- Every row has a source; the index finds the row in force -----------------------------


@pytest.mark.parametrize("row", [*TARIFFS, *RATES, *AMOUNTS], ids=lambda r: f"{r.start}")
def test_every_row_names_its_source(row):
    assert len(row.source) > 10


def test_the_index_finds_the_row_in_force_on_each_side_of_a_change():
    index = Index(AMOUNTS, lambda r: r.key)
    assert index.lookup("fj", date(2016, 12, 31)) is None
    assert index.lookup("fj", date(2017, 12, 31)).amount == D("18.00")
    assert index.lookup("fj", date(2018, 1, 1)).amount == D("20.00")
    assert index.lookup("fj", date(2026, 2, 28)).amount == D("20.00")
    assert index.lookup("fj", date(2026, 3, 1)).amount == D("23.00")
    assert index.lookup("no such key", date(2026, 3, 1)) is None


def test_two_rows_of_one_key_on_the_same_day_are_refused():
    rows = [AMOUNTS[0], AMOUNTS[0]]
    with pytest.raises(ValueError, match="same day"):
        Index(rows, lambda r: r.key)


# --- Tariffs -----------------------------------------------------------------------------

TARIFF_CASES = [
    # (case, line, BR) — published values: Cnam note of 30/10/2023 (règlement arbitral),
    # convention 2024 (22/12/2024), avenant 12 biologistes, avenant 7 kinésithérapeutes.
    ("G before the arbitral rise", gp(care_date=date(2023, 10, 31)), "25.00"),
    ("G 26.50 from 1 November 2023", gp(care_date=date(2023, 11, 1)), "26.50"),
    ("G the day before the convention 2024", gp(care_date=date(2024, 12, 21)), "26.50"),
    ("G 30 from 22 December 2024", gp(care_date=date(2024, 12, 22)), "30.00"),
    ("G child under 6 before: 25 + MEG 5", gp(care_date=date(2023, 10, 31), charged=D("30.00"),
                                              situation=child(3, date(2023, 10, 31))), "30.00"),
    ("G child under 6 from 1 November 2023: 31.50", gp(care_date=date(2023, 11, 1), charged=D("31.50"),
                                                        situation=child(3, date(2023, 11, 1))), "31.50"),
    ("G child under 6 in 2025: 30 + MEG 5", gp(charged=D("35.00"), situation=born_aged(5)), "35.00"),
    ("G child aged 6: no MEG", gp(charged=D("35.00"), situation=born_aged(6)), "30.00"),
    ("CS in the path before", gp(act_code="CS", specialty=Specialty.OTHER, care_date=date(2023, 10, 31),
                                 charged=D("31.50")), "30.00"),
    ("CS in the path from 1 November 2023", gp(act_code="CS", specialty=Specialty.OTHER,
                                               care_date=date(2023, 11, 1), charged=D("31.50")), "31.50"),
    ("CS in the path, 2025 (CS 26.50 + MCS 5)", gp(act_code="CS", specialty=Specialty.OTHER,
                                                   charged=D("31.50")), "31.50"),
    ("CS outside the path before (no MCS)", gp(act_code="CS", specialty=Specialty.OTHER,
                                               coordinated_path=False, care_date=date(2023, 10, 31),
                                               charged=D("31.50")), "25.00"),
    ("CS outside the path from 1 November 2023", gp(act_code="CS", specialty=Specialty.OTHER,
                                                    coordinated_path=False, care_date=date(2023, 11, 1),
                                                    charged=D("31.50")), "26.50"),
    ("CS gynaecologist, direct access: with the MCS", gp(
        act_code="CS", specialty=Specialty.GYNAECOLOGY, coordinated_path=False, charged=D("31.50")), "31.50"),
    ("APC before the convention 2024", gp(act_code="APC", specialty=Specialty.OTHER,
                                          care_date=date(2024, 12, 21), charged=D("60.00")), "56.50"),
    ("APC 60 from 22 December 2024", gp(act_code="APC", specialty=Specialty.OTHER,
                                        care_date=date(2024, 12, 22), charged=D("60.00")), "60.00"),
    ("APC 56.50 from 1 November 2023", gp(act_code="APC", specialty=Specialty.OTHER,
                                          care_date=date(2023, 11, 1), charged=D("60.00")), "56.50"),
    ("APC 55 the day before", gp(act_code="APC", specialty=Specialty.OTHER,
                                 care_date=date(2023, 10, 31), charged=D("60.00")), "55.00"),
    ("B 70 the day before avenant 12: 0.26", gp(kind=CareKind.LAB, act_code="B", coefficient=D("70"),
                                                care_date=date(2024, 1, 14), charged=D("18.20")), "18.20"),
    ("B 70 from 15 January 2024: 0.25", gp(kind=CareKind.LAB, act_code="B", coefficient=D("70"),
                                           care_date=date(2024, 1, 15), charged=D("18.20")), "17.50"),
    ("AMK 7.5 the day before: 2.15", nurse(act_code="AMK", coefficient=D("7.5"), charged=D("20.00"),
                                           care_date=date(2024, 2, 21)), "16.13"),
    ("AMK 7.5 from 22 February 2024: 2.21", nurse(act_code="AMK", coefficient=D("7.5"), charged=D("20.00"),
                                                  care_date=date(2024, 2, 22)), "16.58"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "base"), [c[1:] for c in TARIFF_CASES], ids=[c[0] for c in TARIFF_CASES])
def test_dated_tariffs(line, base):
    assert one(line).base == D(base)


def test_child_gp_consultation_is_paid_at_70_percent_without_participation():
    settlement = one(gp(charged=D("35.00"), situation=born_aged(4)))
    assert (settlement.base, settlement.amo, settlement.participation_due, settlement.paid) == (
        D("35.00"),
        D("24.50"),
        D("0.00"),
        D("24.50"),
    )


# --- Forfait journalier and long stays -------------------------------------------------------


@pytest.mark.parametrize(
    ("admission", "psychiatric", "charge"),
    [
        (date(2026, 2, 26), False, "60.00"),  # 3 days at 20 EUR: the case, before
        (date(2026, 3, 1), False, "69.00"),  # 3 days at 23 EUR
        (date(2026, 2, 26), True, "45.00"),
        (date(2026, 3, 1), True, "51.00"),
    ],
)
def test_forfait_journalier_rose_on_1_march_2026(admission, psychiatric, charge):
    line = hospital(admission, admission + timedelta(days=2), psychiatric=psychiatric)
    assert one(line).hospital_daily_charge == D(charge)


@pytest.mark.parametrize(
    ("days", "amo"),
    [
        (30, "800.00"),  # 80 % throughout
        (31, "806.45"),  # 30/31 of the BR at 80 % (967.74 -> 774.19) + 1/31 at 100 % (32.26)
        (40, "850.00"),  # 750 at 80 % + 250 at 100 %
    ],
)
def test_hospital_stay_paid_at_100_percent_from_the_31st_day(days, amo):
    admission = date(2025, 1, 1)
    settlement = one(hospital(admission, admission + timedelta(days=days - 1)))
    assert settlement.amo == D(amo)
    assert settlement.amo + settlement.ticket_moderateur == settlement.base
    assert settlement.rate == D("0.80")


# --- Costly acts --------------------------------------------------------------------------


def costly(on: date = date(2025, 3, 10), base: str = "125.40", **changes):
    # Photocoagulation at 125.40 EUR, ameli.fr's example of an act concerned.
    values = dict(
        act_code="BJLA001", specialty=Specialty.OPHTHALMOLOGY, base=D(base), charged=D(base), care_date=on
    )
    values.update(changes)
    return gp(**values)


@pytest.mark.parametrize(
    ("line", "flat", "amo"),
    [
        (costly(), "24.00", "101.40"),
        (costly(on=date(2026, 4, 21)), "24.00", "101.40"),
        (costly(on=date(2026, 4, 22)), "32.00", "93.40"),
        (costly(base="119.99"), "0.00", "83.99"),  # under the threshold: 70 %
        (costly(base="120.00"), "24.00", "96.00"),
        (costly(ald_related=True), "0.00", "125.40"),  # already exempt of the ticket modérateur
        (costly(kind=CareKind.IMAGING, specialty=None), "0.00", "87.78"),  # imaging: excluded
        (hospital(date(2025, 1, 1), date(2025, 1, 5), costly_act=True), "24.00", "976.00"),
        (hospital(date(2025, 1, 1), date(2025, 1, 5)), "0.00", "800.00"),
    ],
)
def test_flat_participation_replaces_the_ticket_moderateur_on_costly_acts(line, flat, amo):
    settlement = one(line)
    assert settlement.costly_act_participation == D(flat)
    assert settlement.amo == D(amo)
    if settlement.costly_act_participation:
        assert settlement.ticket_moderateur == settlement.costly_act_participation


def test_costly_act_keeps_the_two_euro_participation():
    settlement = one(costly())
    assert settlement.participation_due == D("2.00")
    assert settlement.paid == D("99.40")


# --- Emergency visits without admission -------------------------------------------------------


def emergency(on: date, **changes):
    values = dict(
        kind=CareKind.EMERGENCY,
        act_code="URG",
        specialty=None,
        base=D("150.00"),
        charged=D("150.00"),
        care_date=on,
        tiers_payant=True,
        professional_id="hospital-1",
    )
    values.update(changes)
    return gp(**values)


@pytest.mark.parametrize(
    ("line", "amo", "charge"),
    [
        (emergency(date(2021, 12, 31)), "120.00", "0.00"),  # before the FPU: 80 %
        (emergency(date(2022, 1, 1)), "150.00", "19.61"),
        (emergency(date(2026, 2, 28)), "150.00", "19.61"),
        (emergency(date(2026, 3, 1)), "150.00", "23.00"),
        (emergency(date(2026, 2, 28), ald_related=True), "150.00", "8.49"),
        (emergency(date(2026, 3, 1), ald_related=True), "150.00", "9.96"),
        (
            emergency(
                date(2026, 3, 1),
                situation=Situation(date(1990, 1, 1), pregnancy_sixth_month=date(2026, 2, 1)),
            ),
            "150.00",
            "0.00",
        ),
        (emergency(date(2026, 3, 1), situation=Situation(date(2026, 2, 10))), "150.00", "0.00"),  # 19 days
        (emergency(date(2026, 3, 1), situation=Situation(date(2026, 1, 10))), "150.00", "23.00"),  # 50 days
        (emergency(date(2026, 3, 1), situation=Situation(date(1990, 1, 1), css=True)), "150.00", "0.00"),
        (emergency(date(2026, 3, 1), situation=Situation(date(1990, 1, 1), ame=True)), "150.00", "0.00"),
    ],
)
def test_forfait_patient_urgences(line, amo, charge):
    settlement = one(line)
    assert (settlement.amo, settlement.emergency_charge) == (D(amo), D(charge))
    assert settlement.out_of_pocket == line.charged - settlement.amo + settlement.emergency_charge


# --- AME, ALD --------------------------------------------------------------------------------


def test_ame_pays_100_percent_of_the_base_without_deductions():
    settlement = one(gp(situation=Situation(ADULT.birth_date, ame=True)))
    assert (settlement.rate, settlement.amo, settlement.participation_due, settlement.paid) == (
        D("1.00"),
        D("30.00"),
        D("0.00"),
        D("30.00"),
    )


@pytest.mark.parametrize(("rate", "ald_rate"), [("0.65", "1.00"), ("0.30", "1.00"), ("0.15", "0.15")])
def test_ald_medicines_at_100_percent_except_15_percent(rate, ald_rate):
    assert one(medicine("10.00", rate, ald_related=True)).rate == D(ald_rate)


# --- Franchises ----------------------------------------------------------------------------


def trip(**changes):
    values = dict(
        kind=CareKind.TRANSPORT,
        act_code="VSL",
        specialty=None,
        base=D("30.00"),
        charged=D("30.00"),
        professional_id="taxi-1",
    )
    values.update(changes)
    return gp(**values)


def test_transport_daily_cap_is_per_transporter():
    settlements = settle(trip(), trip(), trip(), trip(professional_id="taxi-2"))
    assert [s.franchise_due for s in settlements] == [D("4.00"), D("4.00"), D("0.00"), D("4.00")]


def test_emergency_transport_carries_no_franchise():
    assert one(trip(emergency_transport=True)).franchise_due == D("0.00")
    assert one(trip()).franchise_due == D("4.00")


def test_counters_are_kept_by_day_kind_and_professional():
    day, paramedical = nurse().care_date, Deduction.FRANCHISE_PARAMEDICAL
    before = Withheld(
        franchise_by_day={(day, paramedical, "nurse-1"): D("4.00"), (day, paramedical, "nurse-2"): D("1.00")}
    )
    run = compute_settlements([nurse(), nurse(professional_id="nurse-3")], withheld=before)
    assert [s.franchise_due for s in run.settlements] == [D("0.00"), D("1.00")]
    after = {**before.franchise_by_day, (day, paramedical, "nurse-3"): D("1.00")}
    assert run.withheld.franchise_by_day == after


# --- 100 % Santé ------------------------------------------------------------------------------


def device(kind: CareKind, basket: Basket | None, **changes):
    values = dict(kind=kind, act_code="X", specialty=None, basket=basket, professional_id="shop-1")
    values.update(changes)
    return gp(**values)


@pytest.mark.parametrize(
    ("line", "base", "amo", "depassement"),
    [
        # Hearing aid per ear: BR 400 for an adult (1,400 up to 20), 60 %; 950 the 100 % Santé price cap.
        (
            device(CareKind.AUDIOLOGY, Basket.RAC_ZERO, act_code="APPAREIL", charged=D("950.00")),
            "400.00",
            "240.00",
            "550.00",
        ),
        (
            device(CareKind.AUDIOLOGY, Basket.FREE, act_code="APPAREIL", charged=D("1700.00")),
            "400.00",
            "240.00",
            "1300.00",
        ),
        (
            device(
                CareKind.AUDIOLOGY,
                Basket.RAC_ZERO,
                act_code="APPAREIL",
                charged=D("950.00"),
                situation=born_aged(15),
            ),
            "950.00",
            "570.00",
            "0.00",
        ),
        (
            device(
                CareKind.AUDIOLOGY,
                Basket.RAC_ZERO,
                act_code="APPAREIL",
                charged=D("950.00"),
                care_date=date(2020, 12, 31),
                base=D("350.00"),
            ),
            "350.00",
            "210.00",
            "600.00",
        ),
        # Crown: the BR comes on the line.
        (
            device(CareKind.DENTAL_PROSTHESIS, Basket.RAC_ZERO, base=D("120.00"), charged=D("500.00")),
            "120.00",
            "72.00",
            "380.00",
        ),
        (device(CareKind.OPTICS, Basket.FREE, base=D("0.05"), charged=D("180.00")), "0.05", "0.03", "179.95"),
        (device(CareKind.OPTICS, None, base=D("9.00"), charged=D("50.00")), "9.00", "5.40", "41.00"),
    ],
)
def test_100_sante_baskets_amo_pays_its_rate_on_the_base(line, base, amo, depassement):
    settlement = one(line)
    assert (settlement.base, settlement.amo, settlement.depassement) == (D(base), D(amo), D(depassement))
    assert settlement.participation_due == settlement.franchise_due == D("0.00")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (gp(basket=Basket.RAC_ZERO), "panier 100 % Santé"),
        (gp(emergency_transport=True), "transport d'urgence"),
        (device(CareKind.OPTICS, Basket.RAC_ZERO, charged=D("10.00")), "indiquez la base"),
    ],
)
def test_baskets_and_flags_on_the_wrong_line_are_refused(line, words):
    with pytest.raises(RulesError, match=words):
        one(line)
