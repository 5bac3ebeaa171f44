"""The public reimbursement simulator: one care, one person, through the rules engine.

A thin service over `rules.compute_settlements` for the Assurance Maladie's
share, the same call the ledger makes, then `complementary.complementary_share`
for the complémentaire's: together, the « tableau de remboursement » of one
care. It knows no history of the person, so it passes empty counters: the
yearly caps of the participation forfaitaire and the franchises are taken as
not reached, which the page says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from .complementary import (
    BASKETS,
    MODERATE,
    Care,
    Cover,
    CoverKind,
    Limit,
    Share,
    complementary_share,
    in_path_amo,
)
from .rules import (
    Basket,
    CareKind,
    CareLine,
    Settlement,
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
    baskets: tuple[str, ...] = ()  # 100 % Santé baskets the equipment comes in; the BR is asked

    @property
    def is_stay(self) -> bool:
        """A hospital stay: reimbursed on its price, with a discharge day."""
        return self.kind == CareKind.HOSPITAL

    @property
    def is_equipment(self) -> bool:
        """Optics, dental prosthesis, hearing aid: the person gives the BR and the basket."""
        return bool(self.baskets)

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
            (
                "gp",
                SimulatedCare(
                    "Consultation chez le médecin généraliste (G)",
                    "G",
                    CareKind.DOCTOR,
                    Specialty.GENERAL_PRACTICE,
                ),
            ),
            (
                "gp_teleconsultation",
                SimulatedCare(
                    "Téléconsultation avec un médecin généraliste (TCG)",
                    "TCG",
                    CareKind.DOCTOR,
                    Specialty.GENERAL_PRACTICE,
                ),
            ),
            (
                "specialist",
                SimulatedCare(
                    "Consultation d'un spécialiste (CS)",
                    "CS",
                    CareKind.DOCTOR,
                    Specialty.OTHER,
                ),
            ),
            (
                "gynaecologist",
                SimulatedCare(
                    "Consultation d'un gynécologue (accès direct)",
                    "CS",
                    CareKind.DOCTOR,
                    Specialty.GYNAECOLOGY,
                ),
            ),
            (
                "ophthalmologist",
                SimulatedCare(
                    "Consultation d'un ophtalmologue (accès direct)",
                    "CS",
                    CareKind.DOCTOR,
                    Specialty.OPHTHALMOLOGY,
                ),
            ),
        ),
    ),
    (
        "Autres professionnels de santé",
        (
            (
                "dentist",
                SimulatedCare(
                    "Consultation chez le chirurgien-dentiste (C)",
                    "C",
                    CareKind.DENTIST,
                ),
            ),
            (
                "physiotherapy",
                SimulatedCare(
                    "Séance de kinésithérapie (AMK 7,5)",
                    "AMK",
                    CareKind.AUXILIARY,
                    coefficient=Decimal("7.5"),
                ),
            ),
            (
                "nursing",
                SimulatedCare(
                    "Soin infirmier, par exemple une injection (AMI 1)",
                    "AMI",
                    CareKind.AUXILIARY,
                    coefficient=Decimal("1"),
                ),
            ),
            (
                "lab",
                SimulatedCare(
                    "Analyses de laboratoire (B 50)",
                    "B",
                    CareKind.LAB,
                    coefficient=Decimal("50"),
                ),
            ),
        ),
    ),
    (
        "Pharmacie",
        (("medicine", SimulatedCare("Boîte de médicament", "MEDICAMENT", CareKind.MEDICINE)),),
    ),
    (
        "Hôpital",
        (
            (
                "hospital",
                SimulatedCare(
                    "Séjour à l'hôpital (hors psychiatrie), sur son prix",
                    "GHS",
                    CareKind.HOSPITAL,
                ),
            ),
        ),
    ),
)
# The 100 % Santé equipment: the BR comes from the quote, the basket from the person.
_EQUIPMENT = tuple(
    (key, SimulatedCare(label, code, kind, baskets=baskets))
    for key, label, code, kind, baskets in (
        (
            "optics",
            "Lunettes : verres et monture",
            "OPTIQUE",
            CareKind.OPTICS,
            tuple(b for b in BASKETS if b != MODERATE),
        ),
        (
            "dental_prosthesis",
            "Couronne ou autre prothèse dentaire",
            "PROTHESE",
            CareKind.DENTAL_PROSTHESIS,
            BASKETS,
        ),
        (
            "audiology",
            "Aide auditive (pour une oreille)",
            "AUDIO",
            CareKind.AUDIOLOGY,
            tuple(b for b in BASKETS if b != MODERATE),
        ),
    )
)
CARE_GROUPS = (*CARE_GROUPS, ("Optique, dentaire, audition (100 % Santé)", _EQUIPMENT))
CARES: dict[str, SimulatedCare] = {key: care for _, group in CARE_GROUPS for key, care in group}


PAYER_LABELS = {
    CoverKind.NONE: "Complémentaire",
    CoverKind.PERCENT: "Votre complémentaire",
    CoverKind.FORFAIT: "Votre complémentaire",
    CoverKind.CSS: "Complémentaire santé solidaire",
    CoverKind.AME: "Aide médicale de l'État",
}
PAYER_PHRASES = {
    CoverKind.CSS: "la complémentaire santé solidaire",
    CoverKind.AME: "l'aide médicale de l'État",
}
LIMIT_NOTES = {
    Limit.LEVEL: "Le niveau de votre contrat est atteint : il ne prend pas en charge tout le dépassement.",
    Limit.OUTSIDE_PATH: "Hors parcours de soins coordonnés, la complémentaire ne rembourse ni la "
    "baisse du remboursement de l'Assurance Maladie, ni le dépassement autorisé (jusqu'à 17,5 % de la "
    "base) : ils restent à votre charge.",
    Limit.NON_OPTAM: "Le médecin n'adhère pas à l'OPTAM : un contrat responsable rembourse ses "
    "dépassements au plus à 100 % de la base, et 20 % de la base de moins que pour un médecin "
    "adhérent.",
    Limit.AUDIOLOGY_CEILING: "Hors 100 % Santé, une aide auditive est remboursée au plus "
    "1 700 € par oreille, part de l'Assurance Maladie comprise.",
    Limit.CSS_NO_DEPASSEMENT: "Avec la CSS, le professionnel ne doit pas vous facturer de "
    "dépassement d'honoraires, sauf exigence particulière de votre part : vous pouvez le "
    "contester auprès de votre caisse.",
    Limit.DEPASSEMENT_NOT_COVERED: "Le dépassement n'est pas pris en charge en dehors du "
    "panier « 100 % Santé ».",
    Limit.MEDICINE_RATE: "Pour un médicament remboursé à 30 % ou 15 %, un contrat responsable "
    "n'est pas tenu de rembourser le ticket modérateur : votre niveau s'applique.",
    Limit.FORFAIT_JOURNALIER_UNKNOWN: "Un contrat non responsable ne rembourse pas toujours le "
    "forfait journalier : il n'est pas compté ici.",
}


class TiersPayant:
    NONE = "none"  # the person pays the whole price, then is reimbursed
    AMO = "amo"  # the Assurance Maladie pays the professional its share
    FULL = "full"  # both payers pay the professional (tiers payant intégral)


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
    hospital_daily_charge: Decimal = Decimal("0.00")
    cover: Cover = Cover(CoverKind.NONE)
    complementary: Share = Share(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), frozenset())
    tiers_payant: str = TiersPayant.NONE
    quantity: int = 1
    unit_price: Decimal | None = None  # the price of one unit, as typed

    @property
    def payer_label(self) -> str:
        return PAYER_LABELS[self.cover.kind]

    @property
    def payer_phrase(self) -> str:
        return PAYER_PHRASES.get(self.cover.kind, "votre complémentaire")

    @property
    def participation_deducted(self) -> Decimal:
        return -self.participation

    @property
    def franchise_deducted(self) -> Decimal:
        return -self.franchise

    @property
    def limit_notes(self) -> list[str]:
        return [text for limit, text in LIMIT_NOTES.items() if limit in self.complementary.limits]

    @property
    def amo_net(self) -> Decimal:
        """The Assurance Maladie's share less the deductions, withheld now or later."""
        return self.amo - self.participation - self.franchise

    @property
    def remaining(self) -> Decimal:
        """The true reste à charge, after the complémentaire."""
        return self.out_of_pocket - self.complementary.total

    @property
    def ticket_moderateur_left(self) -> Decimal:
        return self.ticket_moderateur - self.complementary.ticket_moderateur

    @property
    def depassement_left(self) -> Decimal:
        return self.depassement - self.complementary.depassement

    @property
    def hospital_daily_charge_left(self) -> Decimal:
        return self.hospital_daily_charge - self.complementary.hospital_daily_charge

    @property
    def total_charged(self) -> Decimal:
        return self.charged + self.hospital_daily_charge

    @property
    def advance(self) -> Decimal:
        """What the person pays the professional on the day of the care."""
        advance = self.total_charged
        if self.tiers_payant in (TiersPayant.AMO, TiersPayant.FULL):
            advance -= self.amo
        if self.tiers_payant == TiersPayant.FULL:
            advance -= self.complementary.total
        return advance


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
    quantity: int = cleaned_data.get("quantity") or 1
    unit_price: Decimal = cleaned_data["price"]
    charged = unit_price * quantity
    cover: Cover = cleaned_data["cover"]
    tiers_payant: str = cleaned_data["tiers_payant"]
    basket = cleaned_data.get("basket") if care.is_equipment else None
    situation = Situation(
        birth_date=birth_date_for_age(cleaned_data["age"], care_date),
        css=cover.kind == CoverKind.CSS,
        ame=cover.kind == CoverKind.AME,
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
        sector=cleaned_data["sector"],
        optam=cleaned_data["optam"],
        coordinated_path=cleaned_data["coordinated_path"],
        tiers_payant=tiers_payant != TiersPayant.NONE,
        ald_related=cleaned_data["ald"],
        medicine_rate=cleaned_data["medicine_rate"] if care.is_medicine else None,
        coefficient=care.coefficient,
        quantity=quantity,
        # A box of medicine and a stay are reimbursed on their price; equipment on the BR
        # of its quote. The engine multiplies a unit base by the quantity.
        base=unit_price
        if care.is_medicine or care.is_stay
        else cleaned_data.get("base")
        if care.is_equipment
        else None,
        end_date=cleaned_data.get("discharge_date") if care.is_stay else None,
        basket=Basket(basket) if basket else None,
    )
    settlement = _settle(line)
    # Outside the coordinated path, the complémentaire needs the in-path share:
    # the same engine tells it.
    in_path = (
        settlement.amo
        if line.coordinated_path
        else in_path_amo(settlement.base, _settle(replace(line, coordinated_path=True)).rate)
    )
    share = complementary_share(Care.from_settlement(settlement, in_path_amo=in_path, basket=basket), cover)
    return SimulationResult(
        care=care,
        charged=charged,
        quantity=quantity,
        unit_price=unit_price,
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
        hospital_daily_charge=settlement.hospital_daily_charge,
        cover=cover,
        complementary=share,
        tiers_payant=tiers_payant,
    )


def _settle(line: CareLine) -> Settlement:
    return compute_settlements([line], withheld=Withheld()).settlements[0]
