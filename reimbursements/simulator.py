"""The public reimbursement simulator: one care, one person, through the rules engine.

A thin service over `rules.compute_settlements`. It knows no history of the
person, so it passes empty counters: the yearly caps of the participation
forfaitaire and the franchises are taken as not reached, which the page says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .rules import (
    CareKind,
    CareLine,
    Sector,
    Situation,
    Specialty,
    Withheld,
    compute_settlements,
)

SIMULATOR_PROFESSIONAL = "simulateur"


@dataclass(frozen=True)
class SimulatedCare:
    """One entry of the simulator's list of cares, priced by the rules' tariff table."""

    label: str
    act_code: str
    kind: CareKind
    specialty: Specialty | None = None
    coefficient: Decimal | None = None

    @property
    def is_medicine(self) -> bool:
        return self.kind == CareKind.MEDICINE

    @property
    def is_doctor(self) -> bool:
        return self.kind == CareKind.DOCTOR


# Only cares the tariff table prices over the whole range of dates the form
# accepts (2017 onwards), plus medicines, whose price is their base. Left out
# on purpose: VG (the travel surcharge MD is not modelled), the psychiatrist's
# CNPSY, the midwife (no tariff before 2024), imaging (no tariff table).
CARE_GROUPS: tuple[tuple[str, tuple[tuple[str, SimulatedCare], ...]], ...] = (
    (
        "Médecins",
        (
            ("gp", SimulatedCare(
                "Consultation chez le médecin généraliste (G)",
                "G", CareKind.DOCTOR, Specialty.GENERAL_PRACTICE,
            )),
            ("gp_teleconsultation", SimulatedCare(
                "Téléconsultation avec un médecin généraliste (TCG)",
                "TCG", CareKind.DOCTOR, Specialty.GENERAL_PRACTICE,
            )),
            ("specialist", SimulatedCare(
                "Consultation d'un spécialiste (CS)",
                "CS", CareKind.DOCTOR, Specialty.OTHER,
            )),
            ("gynaecologist", SimulatedCare(
                "Consultation d'un gynécologue (accès direct)",
                "CS", CareKind.DOCTOR, Specialty.GYNAECOLOGY,
            )),
            ("ophthalmologist", SimulatedCare(
                "Consultation d'un ophtalmologue (accès direct)",
                "CS", CareKind.DOCTOR, Specialty.OPHTHALMOLOGY,
            )),
        ),
    ),
    (
        "Autres professionnels de santé",
        (
            ("dentist", SimulatedCare(
                "Consultation chez le chirurgien-dentiste (C)", "C", CareKind.DENTIST,
            )),
            ("physiotherapy", SimulatedCare(
                "Séance de kinésithérapie (AMK 7,5)",
                "AMK", CareKind.AUXILIARY, coefficient=Decimal("7.5"),
            )),
            ("nursing", SimulatedCare(
                "Soin infirmier, par exemple une injection (AMI 1)",
                "AMI", CareKind.AUXILIARY, coefficient=Decimal("1"),
            )),
            ("lab", SimulatedCare(
                "Analyses de laboratoire (B 50)",
                "B", CareKind.LAB, coefficient=Decimal("50"),
            )),
        ),
    ),
    (
        "Pharmacie",
        (
            ("medicine", SimulatedCare("Boîte de médicament", "MEDICAMENT", CareKind.MEDICINE)),
        ),
    ),
)
CARES: dict[str, SimulatedCare] = {key: care for _, group in CARE_GROUPS for key, care in group}


@dataclass(frozen=True)
class SimulationResult:
    care: SimulatedCare
    charged: Decimal  # price charged
    base: Decimal  # BR
    rate: Decimal  # e.g. Decimal("0.70")
    amo: Decimal  # BR x rate, before deductions
    participation: Decimal  # participation forfaitaire
    franchise: Decimal  # franchise médicale
    paid: Decimal  # paid by the Assurance Maladie
    ticket_moderateur: Decimal
    depassement: Decimal
    carried_forward: Decimal  # deductions larger than the AMO share, withheld from later payments
    out_of_pocket: Decimal  # reste à charge before the complémentaire


def birth_date_for_age(age: int, on: date) -> date:
    """A birth date that makes the person exactly `age` on `on` (29 Feb -> 28 Feb)."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:
        return on.replace(year=on.year - age, day=28)


def simulate(cleaned_data: dict) -> SimulationResult:
    """Settle the care described by a valid `SimulatorForm`.

    Raises `rules.RulesError` (French message) when the rules cannot settle it.
    """
    care: SimulatedCare = cleaned_data["care"]
    care_date: date = cleaned_data["care_date"]
    charged: Decimal = cleaned_data["price"]
    sector: Sector = cleaned_data["sector"]
    situation = Situation(
        birth_date=birth_date_for_age(cleaned_data["age"], care_date),
        css=cleaned_data["css"],
        # The person says they are in the maternity period today; no delivery
        # date keeps the period open on the care date.
        pregnancy_sixth_month=care_date if cleaned_data["maternity"] else None,
    )
    line = CareLine(
        act_code=care.act_code,
        care_date=care_date,
        charged=charged,
        kind=care.kind,
        professional_id=SIMULATOR_PROFESSIONAL,
        situation=situation,
        specialty=care.specialty,
        sector=sector,
        optam=cleaned_data["optam"],
        coordinated_path=cleaned_data["coordinated_path"],
        ald_related=cleaned_data["ald"],
        medicine_rate=cleaned_data["medicine_rate"] if care.is_medicine else None,
        coefficient=care.coefficient,
        # A box of medicine is reimbursed on its price.
        base=charged if care.is_medicine else None,
    )
    settlement = compute_settlements([line], withheld=Withheld()).settlements[0]
    return SimulationResult(
        care=care,
        charged=charged,
        base=settlement.base,
        rate=settlement.rate,
        amo=settlement.amo,
        participation=settlement.participation_due,
        franchise=settlement.franchise_due,
        paid=settlement.paid,
        ticket_moderateur=settlement.ticket_moderateur,
        depassement=settlement.depassement,
        carried_forward=settlement.carried_forward,
        # charged - paid, plus what will be withheld later when the deductions
        # exceed this care's AMO share (the engine's own reste à charge).
        out_of_pocket=settlement.out_of_pocket,
    )
