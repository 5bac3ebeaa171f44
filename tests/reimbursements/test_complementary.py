"""The complémentaire's share: worked cases computed by hand, then properties.

Each case says its computation. BR is the base de remboursement, AMO the
Assurance Maladie's share before deductions, TM = BR - AMO the ticket
modérateur, D = price - BR the dépassement. A level « 200 % BR » means that
AMO + complémentaire pay at most 2 x BR, so the complémentaire offers
2 x BR - AMO. The AMO figures come from the engine (`rules.compute_settlements`)
whenever the engine knows the care, as the simulator does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reimbursements.complementary import (
    FREE,
    RAC_ZERO,
    Care,
    Cover,
    CoverKind,
    Limit,
    complementary_share,
    in_path_amo,
)
from reimbursements.rules import (
    CareKind,
    CareLine,
    Sector,
    Situation,
    Specialty,
    Withheld,
    compute_settlements,
)

D = Decimal
DAY = date(2025, 3, 10)  # G at 30 EUR, PF 2 EUR, franchise 1 EUR
ADULT = Situation(birth_date=date(1985, 1, 1))


def percent(level: str, responsible: bool = True) -> Cover:
    return Cover(CoverKind.PERCENT, percent=D(level), responsible=responsible)


def forfait(amount: str, responsible: bool = True) -> Cover:
    return Cover(CoverKind.FORFAIT, forfait=D(amount), responsible=responsible)


def settle(**line):
    """The engine's settlement of one line, and the in-path AMO share, as the simulator gets them."""
    fields = dict(care_date=DAY, professional_id="p", situation=ADULT) | line
    care_line = CareLine(**fields)
    settlement = compute_settlements([care_line], withheld=Withheld()).settlements[0]
    in_path = compute_settlements(
        [replace(care_line, coordinated_path=True)], withheld=Withheld()
    ).settlements[0]
    return settlement, Care.from_settlement(
        settlement, in_path_amo=in_path_amo(settlement.base, in_path.rate)
    )


def doctor(charged: str, **line):
    return settle(
        act_code=line.pop("act_code", "G"),
        charged=D(charged),
        kind=CareKind.DOCTOR,
        specialty=line.pop("specialty", Specialty.GENERAL_PRACTICE),
        **line,
    )


def remaining(settlement, share) -> Decimal:
    return settlement.out_of_pocket - share.total


# --- Doctors --------------------------------------------------------------------


def test_gp_at_the_tariff_with_a_100_percent_contract_leaves_only_the_pf():
    # BR 30, AMO 30 x 70 % = 21, TM 9. 100 % BR offers 30 - 21 = 9: the whole TM.
    # Left: the 2 EUR participation forfaitaire, never covered.
    settlement, care = doctor("30")
    share = complementary_share(care, percent("100"))

    assert (share.ticket_moderateur, share.depassement, share.total) == (D("9"), D("0"), D("9"))
    assert remaining(settlement, share) == D("2.00")
    assert share.limits == frozenset()


def test_optam_gp_dépassement_within_a_200_percent_contract():
    # BR 30, AMO 21, TM 9, D 20. 200 % BR offers 60 - 21 = 39: TM 9, then up to 30 of
    # dépassement, of which 20 are charged. Left: the PF.
    settlement, care = doctor("50", sector=Sector.SECTOR_2, optam=True)
    share = complementary_share(care, percent("200"))

    assert (share.ticket_moderateur, share.depassement) == (D("9.00"), D("20.00"))
    assert remaining(settlement, share) == D("2.00")


def test_non_optam_specialist_is_capped_20_percent_of_br_below_the_level():
    # Secteur 2 non-OPTAM with a dépassement: the engine drops the BR to 23.
    # AMO 23 x 70 % = 16.10, TM 6.90, D 60 - 23 = 37.
    # 200 % BR offers 46 - 16.10 = 29.90: TM 6.90 + 23.00 of dépassement for an OPTAM
    # doctor; non-OPTAM at least 20 % BR (4.60) less and at most 100 % BR (23):
    # min(23.00, 23.00 - 4.60) = 18.40. Left: 37 - 18.40 + PF 2 = 20.60.
    settlement, care = doctor(
        "60", act_code="CS", specialty=Specialty.OTHER, sector=Sector.SECTOR_2, optam=False
    )
    assert (settlement.base, settlement.amo) == (D("23.00"), D("16.10"))
    share = complementary_share(care, percent("200"))

    assert (share.ticket_moderateur, share.depassement) == (D("6.90"), D("18.40"))
    assert remaining(settlement, share) == D("20.60")
    assert Limit.NON_OPTAM in share.limits


def test_non_optam_dépassement_never_above_100_percent_of_br():
    # Same care, 300 % BR: offer 69 - 16.10 = 52.90, dépassement share 46;
    # min(100 % BR = 23, 46 - 4.60) = 23. Left: 37 - 23 + 2 = 16.00.
    settlement, care = doctor(
        "60", act_code="CS", specialty=Specialty.OTHER, sector=Sector.SECTOR_2, optam=False
    )
    share = complementary_share(care, percent("300"))

    assert share.depassement == D("23.00")
    assert remaining(settlement, share) == D("16.00")
    # A contract that is not responsable pays its level: 52.90 >= TM 6.90 + D 37.
    assert complementary_share(care, percent("300", responsible=False)).total == D("43.90")


def test_outside_the_coordinated_path_the_majoration_is_not_covered():
    # GP outside the path: AMO 30 x 30 % = 9, TM 21; in the path AMO would be 21.
    # A responsable contract covers the in-path TM (9), not the 12 of majoration.
    # Left: 12 + PF 2 = 14. A contract that is not responsable may cover all 21.
    settlement, care = doctor("30", coordinated_path=False)
    assert (care.amo, care.in_path_amo, care.majoration) == (D("9.00"), D("21.00"), D("12.00"))

    share = complementary_share(care, percent("100"))
    assert share.total == D("9.00")
    assert remaining(settlement, share) == D("14.00")
    assert Limit.OUTSIDE_PATH in share.limits

    free = complementary_share(care, percent("100", responsible=False))
    assert free.total == D("21.00")
    assert remaining(settlement, free) == D("2.00")


def test_outside_the_path_the_dépassement_autorisé_is_not_covered():
    # OPTAM specialist outside the path, 50 EUR: BR 26.50 (the CS without the MCS), AMO
    # 30 % = 7.95; in the path 70 % = 18.55, so TM 7.95 and majoration 10.60; D 23.50.
    # Dépassement autorisé: 26.50 x 117.5 % = 31.14, rounded up to the euro 32: 5.50 of
    # the dépassement is not coverable; 200 % BR offers 53 - 18.55 = 34.45: 7.95 + 18.
    # Left: majoration 10.60 + 5.50 + PF 2 = 18.10.
    settlement, care = doctor(
        "50",
        act_code="CS",
        specialty=Specialty.OTHER,
        sector=Sector.SECTOR_2,
        optam=True,
        coordinated_path=False,
    )
    share = complementary_share(care, percent("200"))

    assert settlement.base == D("26.50")
    assert (share.ticket_moderateur, share.depassement) == (D("7.95"), D("18.00"))
    assert remaining(settlement, share) == D("18.10")


def test_the_dépassement_autorisé_rounds_the_price_up_to_the_euro():
    # BR 23.33 outside the path: 23.33 x 117.5 % = 27.41 -> 28, so DA = 4.67 (not
    # 17.5 % x 23.33 = 4.08 rounded up to 5). D 10: 10 - 4.67 = 5.33 coverable.
    care = Care(
        charged=D("33.33"),
        base=D("23.33"),
        amo=D("7.00"),
        in_path_amo=D("16.33"),
        kind="doctor",
        care_date=DAY,
    )
    assert complementary_share(care, percent("300")).depassement == D("5.33")


def test_a_forfait_pays_the_tm_first_and_never_less_than_it():
    # OPTAM GP, 50 EUR: TM 9, D 20. A 15 EUR forfait: TM 9, then 6 of dépassement.
    _, care = doctor("50", sector=Sector.SECTOR_2, optam=True)
    share = complementary_share(care, forfait("15"))
    assert (share.ticket_moderateur, share.depassement) == (D("9.00"), D("6.00"))
    assert Limit.LEVEL in share.limits

    # A 5 EUR forfait is below the TM, which a contrat responsable always covers.
    assert complementary_share(care, forfait("5")).total == D("9.00")
    assert complementary_share(care, forfait("5", responsible=False)).total == D("5.00")


def test_no_complementaire_pays_nothing():
    settlement, care = doctor("50", sector=Sector.SECTOR_2, optam=True)
    share = complementary_share(care, Cover(CoverKind.NONE))

    assert share.total == D("0")
    assert remaining(settlement, share) == settlement.out_of_pocket == D("31.00")


# --- Medicines ------------------------------------------------------------------


def test_medicine_at_65_percent_tm_is_guaranteed_but_not_the_franchise():
    # 10 EUR box at 65 %: AMO 6.50, TM 3.50; franchise 1. Even a 0 EUR forfait pays
    # the TM under a contrat responsable. Left: the franchise.
    settlement, care = settle(
        act_code="MED", charged=D("10"), kind=CareKind.MEDICINE, medicine_rate=D("0.65"), base=D("10")
    )
    share = complementary_share(care, forfait("0"))

    assert share.total == D("3.50")
    assert remaining(settlement, share) == D("1.00")


def test_medicine_at_30_percent_tm_is_not_guaranteed():
    # 10 EUR box at 30 %: AMO 3, TM 7. The guarantee excludes 30 % and 15 %
    # medicines: the contract's level applies (0 here, 100 % BR below).
    settlement, care = settle(
        act_code="MED", charged=D("10"), kind=CareKind.MEDICINE, medicine_rate=D("0.30"), base=D("10")
    )
    nothing = complementary_share(care, forfait("0"))
    assert nothing.total == D("0")
    assert Limit.MEDICINE_RATE in nothing.limits

    share = complementary_share(care, percent("100"))
    assert share.total == D("7.00")
    assert remaining(settlement, share) == D("1.00")


def test_a_percentage_of_the_base_is_rounded_half_up_to_the_cent():
    # Imaging, BR 23.33, AMO 23.33 x 70 % = 16.331 -> 16.33, charged 40.
    # 120 % BR = 27.996 -> 28.00; offer 28.00 - 16.33 = 11.67: TM 7.00 + 4.67.
    care = Care(
        charged=D("40.00"),
        base=D("23.33"),
        amo=D("16.33"),
        in_path_amo=D("16.33"),
        kind="imaging",
        care_date=DAY,
    )
    share = complementary_share(care, percent("120"))

    assert (share.ticket_moderateur, share.depassement) == (D("7.00"), D("4.67"))


# --- CSS, AME -----------------------------------------------------------------------


def test_css_pays_the_tm_and_no_dépassement():
    # CSS: no PF (the engine exempts), TM 9 paid by the CSS: nothing left.
    settlement, care = doctor("30", situation=Situation(birth_date=date(1985, 1, 1), css=True))
    share = complementary_share(care, Cover(CoverKind.CSS))
    assert settlement.participation_due == D("0")
    assert remaining(settlement, share) == D("0.00")

    # A dépassement must not be charged to a CSS beneficiary: shown as left, with its note.
    settlement, care = doctor(
        "50", sector=Sector.SECTOR_2, optam=True, situation=Situation(birth_date=date(1985, 1, 1), css=True)
    )
    share = complementary_share(care, Cover(CoverKind.CSS))
    assert remaining(settlement, share) == D("20.00")
    assert Limit.CSS_NO_DEPASSEMENT in share.limits


def test_ame_leaves_nothing_of_the_base_whatever_the_engine_pays_of_it():
    # The AME pays 100 % of the BR: what the engine leaves of it (TM) is the AME's share.
    settlement, care = doctor("30", situation=Situation(birth_date=date(1985, 1, 1), ame=True))
    share = complementary_share(care, Cover(CoverKind.AME))

    assert settlement.amo + share.total == D("30.00")
    assert remaining(settlement, share) == D("0.00")


# --- Hospital, 100 % Santé ----------------------------------------------------------
# Built by hand: the simulator does not offer hospital stays, and the engine of this
# branch does not know the optics, dental prosthesis and audiology kinds yet.


def test_forfait_journalier_is_covered_by_a_contrat_responsable_only():
    # Stay of 2 nights: BR 1 000, AMO 80 % = 800, TM 200; forfait journalier 3 x 20 = 60.
    care = Care(
        charged=D("1000.00"),
        base=D("1000.00"),
        amo=D("800.00"),
        in_path_amo=D("800.00"),
        kind="hospital",
        care_date=DAY,
        hospital_daily_charge=D("60.00"),
    )

    share = complementary_share(care, percent("100"))
    assert (share.ticket_moderateur, share.hospital_daily_charge) == (D("200.00"), D("60.00"))

    other = complementary_share(care, percent("100", responsible=False))
    assert other.hospital_daily_charge == D("0")
    assert Limit.FORFAIT_JOURNALIER_UNKNOWN in other.limits


CROWN_100_SANTE = Care(
    charged=D("500.00"),
    base=D("120.00"),
    amo=D("72.00"),
    in_path_amo=D("72.00"),
    kind="dental_prosthesis",
    care_date=DAY,
    basket=RAC_ZERO,
)


def test_100_sante_crown_leaves_nothing_under_a_contrat_responsable_or_the_css():
    # Crown of the 100 % Santé basket at 500: BR 120, AMO 60 % = 72, TM 48, D 380.
    # Whatever the level (100 % BR here), a contrat responsable pays 48 + 380.
    share = complementary_share(CROWN_100_SANTE, percent("100"))
    assert (share.ticket_moderateur, share.depassement) == (D("48.00"), D("380.00"))
    assert complementary_share(CROWN_100_SANTE, Cover(CoverKind.CSS)).total == D("428.00")
    # A contract that is not responsable pays its level only: 120 - 72 = 48.
    assert complementary_share(CROWN_100_SANTE, percent("100", responsible=False)).total == D("48")


def test_free_crown_gets_the_contract_level():
    # Crown at free price 700: TM 48, D 580. 300 % BR offers 360 - 72 = 288: 48 + 240.
    crown = replace(CROWN_100_SANTE, charged=D("700.00"), basket=FREE)
    share = complementary_share(crown, percent("300"))

    assert (share.ticket_moderateur, share.depassement) == (D("48.00"), D("240.00"))
    assert Limit.LEVEL in share.limits
    # The CSS pays the TM only outside the basket (its own ceilings are not modelled).
    assert complementary_share(crown, Cover(CoverKind.CSS)).total == D("48.00")


HEARING_AID = Care(
    charged=D("1500.00"),
    base=D("400.00"),
    amo=D("240.00"),
    in_path_amo=D("240.00"),
    kind="audiology",
    care_date=DAY,
    basket=FREE,
)


def test_hearing_aid_outside_100_sante_is_capped_at_1700_amo_included():
    # Aid at 1 500: BR 400, AMO 60 % = 240, TM 160, D 1 100; 500 % BR offers 1 760.
    # 240 + 160 + 1 100 = 1 500 <= 1 700: all paid.
    assert complementary_share(HEARING_AID, percent("500")).total == D("1260.00")
    # Aid at 2 000: D 1 600 offered in full, but AMO + complémentaire <= 1 700:
    # 1 700 - 240 - 160 = 1 300 of dépassement. Left: 300.
    dear = replace(HEARING_AID, charged=D("2000.00"))
    share = complementary_share(dear, percent("500"))
    assert share.depassement == D("1300.00")
    assert Limit.AUDIOLOGY_CEILING in share.limits
    # Before 2021 the ceiling did not exist.
    older = complementary_share(replace(dear, care_date=date(2020, 6, 1)), percent("500"))
    assert older.depassement == D("1600.00")


# --- Properties over the engine's own settlements --------------------------------------

cents = st.integers(min_value=0, max_value=30_000).map(lambda c: D(c).scaleb(-2))
covers = st.one_of(
    st.just(Cover(CoverKind.NONE)),
    st.builds(
        lambda p, r: Cover(CoverKind.PERCENT, percent=D(p), responsible=r), st.integers(0, 500), st.booleans()
    ),
    st.builds(lambda f, r: Cover(CoverKind.FORFAIT, forfait=f, responsible=r), cents, st.booleans()),
)


@given(
    charged=cents,
    sector=st.sampled_from([(Sector.SECTOR_1, False), (Sector.SECTOR_2, True), (Sector.SECTOR_2, False)]),
    in_path=st.booleans(),
    cover=covers,
)
def test_the_share_never_covers_the_deductions_nor_exceeds_what_is_left(charged, sector, in_path, cover):
    settlement, care = doctor(
        str(charged),
        act_code="CS",
        specialty=Specialty.OTHER,
        sector=sector[0],
        optam=sector[1],
        coordinated_path=in_path,
    )
    share = complementary_share(care, cover)

    assert D("0") <= share.total <= charged - settlement.amo
    # The participation forfaitaire and the franchises always stay to pay.
    deductions = settlement.participation_due + settlement.franchise_due
    assert remaining(settlement, share) >= deductions
    if cover.kind != CoverKind.NONE and cover.responsible:
        # The in-path ticket modérateur is always paid; a non-OPTAM dépassement at most 100 % BR.
        assert share.ticket_moderateur == care.ticket_moderateur - care.majoration
        if care.non_optam_doctor:
            assert share.depassement <= settlement.base


@pytest.mark.parametrize("kind", [CoverKind.PERCENT, CoverKind.FORFAIT])
def test_a_level_cover_without_its_figure_is_refused(kind):
    _, care = doctor("30")
    with pytest.raises(ValueError):
        complementary_share(care, Cover(kind))
