"""The rules engine's vocabulary and dated tables, each row with its source.

Pure Python, like `reimbursements.rules` (which re-exports the vocabulary). A row
applies from its `start` until the next row of the same key; `lookup` finds it by a
bisect on the start dates of an index built once at import.

Sources: `source=` names the text and its publication. A row marked UNCONFIRMED
carries a figure or a date that no official text we could read confirms; the list
of them is in the README (« Barèmes : chiffres non confirmés »).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


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
    EMERGENCY = "emergency"  # passage aux urgences non suivi d'une hospitalisation
    OPTICS = "optics"
    DENTAL_PROSTHESIS = "dental_prosthesis"
    AUDIOLOGY = "audiology"


class Basket(StrEnum):
    """The 100 % Santé baskets of optics, dental prostheses and hearing aids."""

    RAC_ZERO = "100_sante"  # panier 100 % Santé (classe A, RAC 0): capped prices
    MODERATE = "moderate"  # panier à tarifs maîtrisés (dental only)
    FREE = "free"  # panier libre (classe B)


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
    STANDARD = "standard"  # in the coordinated path for CS (CS + MCS)
    OUTSIDE_PATH = "outside_path"  # the specialist consultation outside the path (no MCS)
    # A secteur 2 doctor outside OPTAM who charges above the standard tariff is
    # reimbursed on a lower base (the "C" tariff, 23 EUR).
    S2_NON_OPTAM_EXCESS = "s2_non_optam_excess"
    UNDER_6 = "under_6"  # majoration enfant (MEG) on the GP consultation and visit
    CHILD = "child"  # hearing aids for a patient aged 20 or less


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
    DEVICES = "devices"  # optics, dental prostheses, hearing aids
    FULL = "full"  # ALD-related care, maternity, AME


class Deduction(StrEnum):
    PARTICIPATION = "participation_forfaitaire"
    FRANCHISE_MEDICINE = "franchise_medicine"
    FRANCHISE_PARAMEDICAL = "franchise_paramedical"
    FRANCHISE_TRANSPORT = "franchise_transport"


@dataclass(frozen=True, slots=True)
class TariffRow:
    kind: CareKind
    code: str
    start: date
    amount: Decimal
    per_coefficient: bool = False  # amount is a key-letter value, times the line's coefficient
    scope: TariffScope = TariffScope.STANDARD
    source: str = ""


@dataclass(frozen=True, slots=True)
class RateRow:
    key: RateKey
    start: date
    rate: Decimal
    source: str = ""


@dataclass(frozen=True, slots=True)
class DeductionRow:
    deduction: Deduction
    start: date
    unit: Decimal  # per act, box or trip
    daily_cap: Decimal | None  # per day, per professional, per patient
    source: str = ""


@dataclass(frozen=True, slots=True)
class AmountRow:
    """A flat amount in force from `start`: yearly caps, forfaits, thresholds."""

    key: str
    start: date
    amount: Decimal
    source: str = ""


TABLE_START = date(2017, 1, 1)
D = Decimal

CONV_2016 = "convention médicale 2016 (arrêté du 20/10/2016, JO du 23/10/2016)"
ARBITRAL_2023 = (
    "règlement arbitral médecins (arrêté du 28/04/2023, JO du 30/04/2023), "
    "revalorisation au 01/11/2023 (note Cnam du 30/10/2023)"
)
CONV_2024 = "convention médicale 2024 (signée le 04/06/2024), revalorisations au 22/12/2024"
UNCONFIRMED = "UNCONFIRMED: "

_GP_VALUES = (
    (TABLE_START, D("23.00"), "G 23 EUR until the convention 2016 raised it (" + CONV_2016 + ")"),
    (date(2017, 5, 1), D("25.00"), CONV_2016),
    (date(2023, 11, 1), D("26.50"), ARBITRAL_2023),
    (date(2024, 12, 22), D("30.00"), CONV_2024),
)

TARIFFS: tuple[TariffRow, ...] = (
    *(
        TariffRow(CareKind.DOCTOR, code, start, amount, source=source)
        for code in ("G", "VG", "TCG")
        for start, amount, source in _GP_VALUES
    ),
    # MEG, majoration for a child under 6 on G and VG: 5 EUR (the arbitral note gives
    # 26.50 -> 31.50 for children; 25 -> 30 before).
    *(
        TariffRow(
            CareKind.DOCTOR,
            code,
            date(2017, 5, 1),
            D("5.00"),
            scope=TariffScope.UNDER_6,
            source=CONV_2016 + "; " + ARBITRAL_2023,
        )
        for code in ("G", "VG")
    ),
    *(
        TariffRow(
            CareKind.DOCTOR,
            code,
            date(2024, 12, 22),
            D("5.00"),
            scope=TariffScope.UNDER_6,
            source=UNCONFIRMED + "MEG kept at 5 EUR by the convention 2024",
        )
        for code in ("G", "VG")
    ),
    *(
        TariffRow(
            CareKind.DOCTOR,
            code,
            TABLE_START,
            D("23.00"),
            scope=TariffScope.S2_NON_OPTAM_EXCESS,
            source=CONV_2016 + " (OPTAM; C base of the secteur 2 outside OPTAM)",
        )
        for code in ("G", "VG", "TCG", "CS")
    ),
    # CS in the coordinated path = CS + MPC + MCS; outside it the MCS is not billable.
    TariffRow(
        CareKind.DOCTOR,
        "CS",
        TABLE_START,
        D("30.00"),
        source=UNCONFIRMED + "CS 23 + MPC 2 + MCS 5 from 01/01/2017 (" + CONV_2016 + ")",
    ),
    TariffRow(CareKind.DOCTOR, "CS", date(2023, 11, 1), D("31.50"), source=ARBITRAL_2023),
    TariffRow(
        CareKind.DOCTOR,
        "CS",
        date(2024, 12, 22),
        D("31.50"),
        source=CONV_2024 + ": CS 26.50 (MPC merged) + MCS 5",
    ),
    TariffRow(
        CareKind.DOCTOR,
        "CS",
        TABLE_START,
        D("25.00"),
        scope=TariffScope.OUTSIDE_PATH,
        source="CS 23 + MPC 2 (" + CONV_2016 + ")",
    ),
    TariffRow(
        CareKind.DOCTOR,
        "CS",
        date(2023, 11, 1),
        D("26.50"),
        scope=TariffScope.OUTSIDE_PATH,
        source=ARBITRAL_2023 + ": MPC + 1.50",
    ),
    TariffRow(
        CareKind.DOCTOR,
        "CS",
        date(2024, 12, 22),
        D("26.50"),
        scope=TariffScope.OUTSIDE_PATH,
        source=CONV_2024 + ": CS 26.50, MPC merged",
    ),
    TariffRow(CareKind.DOCTOR, "APC", date(2017, 10, 1), D("48.00"), source=CONV_2016),
    TariffRow(CareKind.DOCTOR, "APC", date(2018, 6, 1), D("50.00"), source=CONV_2016),
    TariffRow(
        CareKind.DOCTOR,
        "APC",
        date(2022, 4, 1),
        D("55.00"),
        source=UNCONFIRMED + "date of APC 55 (avenant 9); 55 before 01/11/2023 per " + ARBITRAL_2023,
    ),
    TariffRow(CareKind.DOCTOR, "APC", date(2023, 11, 1), D("56.50"), source=ARBITRAL_2023),
    TariffRow(CareKind.DOCTOR, "APC", date(2024, 12, 22), D("60.00"), source=CONV_2024),
    TariffRow(
        CareKind.MIDWIFE,
        "C",
        date(2024, 2, 22),
        D("26.50"),
        source=UNCONFIRMED + "avenant 7 sages-femmes, 6 months after publication",
    ),
    TariffRow(
        CareKind.MIDWIFE,
        "SF",
        date(2024, 2, 22),
        D("3.10"),
        per_coefficient=True,
        source=UNCONFIRMED + "avenant 7 sages-femmes",
    ),
    TariffRow(
        CareKind.MIDWIFE,
        "SF",
        date(2025, 1, 1),
        D("3.20"),
        per_coefficient=True,
        source=UNCONFIRMED + "avenant 7 sages-femmes",
    ),
    TariffRow(CareKind.DENTIST, "C", TABLE_START, D("23.00"), source="convention dentaire 2018"),
    TariffRow(
        CareKind.AUXILIARY,
        "AMI",
        TABLE_START,
        D("3.15"),
        per_coefficient=True,
        source=UNCONFIRMED + "AMI 3.15 over the whole table (nurses' avenants not checked)",
    ),
    TariffRow(
        CareKind.AUXILIARY,
        "AMK",
        TABLE_START,
        D("2.15"),
        per_coefficient=True,
        source="convention masseurs-kinésithérapeutes, AMK 2.15 since 15/07/2012",
    ),
    TariffRow(
        CareKind.AUXILIARY,
        "AMK",
        date(2024, 2, 22),
        D("2.21"),
        per_coefficient=True,
        source="avenant 7 masseurs-kinésithérapeutes (signé le 13/07/2023, JO du 25/08/2023), "
        "+6 cts six months after publication",
    ),
    TariffRow(
        CareKind.LAB,
        "B",
        TABLE_START,
        D("0.26"),
        per_coefficient=True,
        source=UNCONFIRMED + "B 0.26 before 15/01/2024 (avenant 12 lowers it by one cent); "
        "earlier changes not checked",
    ),
    TariffRow(
        CareKind.LAB,
        "B",
        date(2024, 1, 15),
        D("0.25"),
        per_coefficient=True,
        source="avenant 12 biologistes (signé le 20/12/2023, arrêté au JO du 10/01/2024): "
        "B 0.25 in metropolitan France from 15/01/2024",
    ),
    # Hearing aids (LPP, 100 % Santé): BR per ear, adults over 20; 1,400 EUR up to 20.
    TariffRow(
        CareKind.AUDIOLOGY,
        "APPAREIL",
        date(2021, 1, 1),
        D("400.00"),
        source="arrêté du 14/11/2018 (LPP, 100 % Santé): BR 400 (60 % = 240), cap 950 from 2021",
    ),
    TariffRow(
        CareKind.AUDIOLOGY,
        "APPAREIL",
        date(2021, 1, 1),
        D("1400.00"),
        scope=TariffScope.CHILD,
        source="arrêté du 14/11/2018 (LPP): BR and price cap 1,400 up to age 20",
    ),
)
AUDIOLOGY_CHILD_UP_TO_AGE = 20

RATES: tuple[RateRow, ...] = (
    RateRow(RateKey.DOCTOR_IN_PATH, TABLE_START, D("0.70"), "CSS art. R160-5"),
    RateRow(RateKey.DOCTOR_OUTSIDE_PATH, TABLE_START, D("0.30"), "CSS art. L162-5-3, R160-5"),
    RateRow(RateKey.MIDWIFE, TABLE_START, D("0.70"), "CSS art. R160-5"),
    RateRow(RateKey.DENTIST, TABLE_START, D("0.70"), "CSS art. R160-5"),
    RateRow(RateKey.DENTIST, date(2023, 10, 1), D("0.60"), "LFSS 2023, décision Uncam (60 % au 01/10/2023)"),
    RateRow(RateKey.AUXILIARY, TABLE_START, D("0.60"), "CSS art. R160-5"),
    RateRow(RateKey.LAB, TABLE_START, D("0.60"), "CSS art. R160-5"),
    RateRow(RateKey.IMAGING, TABLE_START, D("0.70"), "CSS art. R160-5"),
    RateRow(RateKey.HOSPITAL, TABLE_START, D("0.80"), "CSS art. R160-5"),
    RateRow(RateKey.TRANSPORT, TABLE_START, D("0.55"), UNCONFIRMED + "transport 55 % stable over the table"),
    RateRow(RateKey.DEVICES, TABLE_START, D("0.60"), "CSS art. R160-5 (dispositifs, prothèses dentaires)"),
    RateRow(
        RateKey.FULL, TABLE_START, D("1.00"), "CSS art. L160-14 (ALD), L160-9 (maternité), CASF L251-2 (AME)"
    ),
)

FRANCHISES_2024 = "décret du 16/02/2024 (franchises doubled from 31/03/2024)"
DEDUCTIONS: tuple[DeductionRow, ...] = (
    DeductionRow(Deduction.PARTICIPATION, TABLE_START, D("1.00"), D("4.00"), "CSS art. L160-13"),
    DeductionRow(
        Deduction.PARTICIPATION,
        date(2024, 5, 15),
        D("2.00"),
        D("8.00"),
        "décret du 16/02/2024, décision Uncam (2 EUR from 15/05/2024)",
    ),
    DeductionRow(Deduction.FRANCHISE_MEDICINE, TABLE_START, D("0.50"), None, "CSS art. L160-13"),
    DeductionRow(Deduction.FRANCHISE_MEDICINE, date(2024, 3, 31), D("1.00"), None, FRANCHISES_2024),
    DeductionRow(Deduction.FRANCHISE_PARAMEDICAL, TABLE_START, D("0.50"), D("2.00"), "CSS art. L160-13"),
    DeductionRow(Deduction.FRANCHISE_PARAMEDICAL, date(2024, 3, 31), D("1.00"), D("4.00"), FRANCHISES_2024),
    DeductionRow(Deduction.FRANCHISE_TRANSPORT, TABLE_START, D("2.00"), D("4.00"), "CSS art. L160-13"),
    DeductionRow(Deduction.FRANCHISE_TRANSPORT, date(2024, 3, 31), D("4.00"), D("8.00"), FRANCHISES_2024),
)

FJ_2026 = UNCONFIRMED + "arrêtés in the JO of 28/02/2026 as reported by the press (AFP); text not read"
FJ_2018 = "arrêté of December 2017: 18 -> 20 EUR, 13.50 -> 15 EUR on 01/01/2018, per the MSA"
AMOUNTS: tuple[AmountRow, ...] = (
    AmountRow("cap:participation", TABLE_START, D("50.00"), "CSS art. L160-13"),
    AmountRow("cap:franchise", TABLE_START, D("50.00"), "CSS art. L160-13"),
    # Forfait journalier hospitalier, per day; psychiatry at most 75 % of it (CSS R174-5-1).
    AmountRow("fj", TABLE_START, D("18.00"), FJ_2018),
    AmountRow("fj:psy", TABLE_START, D("13.50"), FJ_2018),
    AmountRow("fj", date(2018, 1, 1), D("20.00"), FJ_2018),
    AmountRow("fj:psy", date(2018, 1, 1), D("15.00"), FJ_2018),
    AmountRow("fj", date(2026, 3, 1), D("23.00"), FJ_2026),
    AmountRow("fj:psy", date(2026, 3, 1), D("17.00"), FJ_2026),
    # Forfait patient urgences (CSS L160-13): full and reduced (ALD, AT-MP < 2/3).
    AmountRow(
        "fpu",
        date(2022, 1, 1),
        D("19.61"),
        "arrêté du 17/12/2021 relatif aux montants du forfait patient urgences (in force 01/01/2022)",
    ),
    AmountRow("fpu:reduced", date(2022, 1, 1), D("8.49"), "arrêté du 17/12/2021"),
    AmountRow("fpu", date(2026, 3, 1), D("23.00"), FJ_2026),
    AmountRow("fpu:reduced", date(2026, 3, 1), D("9.96"), FJ_2026),
    # Participation on costly acts (CSS R160-16): replaces the ticket modérateur on an act
    # of 120 EUR or more, or of a coefficient of 60 or more.
    AmountRow("costly:flat", TABLE_START, D("18.00"), "décret 2011-201 du 21/02/2011 (seuil 120 EUR)"),
    AmountRow(
        "costly:flat",
        date(2019, 1, 1),
        D("24.00"),
        UNCONFIRMED + "24 EUR from 01/01/2019 (amount: ameli.fr « Le forfait à 24 euros »; date)",
    ),
    AmountRow(
        "costly:flat",
        date(2026, 4, 22),
        D("32.00"),
        UNCONFIRMED + "32 EUR in April 2026: 22/04 per Que Choisir, 01/04 per the AFP on the drafts",
    ),
    AmountRow("costly:threshold", TABLE_START, D("120.00"), "décret 2011-201 du 21/02/2011"),
    AmountRow("costly:coefficient", TABLE_START, D("60"), "CSS art. R160-16"),
)


class Index:
    """Rows grouped by key, each group sorted by start date, for a bisect lookup."""

    def __init__(self, rows: Iterable, key) -> None:
        groups: dict[Hashable, list] = defaultdict(list)
        for row in rows:
            groups[key(row)].append(row)
        self._groups = {}
        for k, group in groups.items():
            group.sort(key=lambda r: r.start)
            starts = [r.start for r in group]
            if len(set(starts)) != len(starts):
                raise ValueError(f"two rows start on the same day for {k!r}")
            self._groups[k] = (starts, tuple(group))

    def lookup(self, key: Hashable, when: date):
        """The row of `key` in force on `when`, or None."""
        group = self._groups.get(key)
        if group is None:
            return None
        position = bisect_right(group[0], when)
        return group[1][position - 1] if position else None


TARIFF_INDEX = Index(TARIFFS, lambda r: (r.kind, r.code, r.scope))
RATE_INDEX = Index(RATES, lambda r: r.key)
DEDUCTION_INDEX = Index(DEDUCTIONS, lambda r: r.deduction)
AMOUNT_INDEX = Index(AMOUNTS, lambda r: r.key)
