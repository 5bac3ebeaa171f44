"""What a complémentaire santé pays on one care, after the Assurance Maladie.

Pure Python, like `rules`: no Django, no database, no clock. The AMO figures
come from one `rules.Settlement` (the ledger's own engine); this module only
adds the second payer and the true reste à charge.

Money
    `Decimal` euros. A percentage of the base is quantized to the cent with
    ROUND_HALF_UP, as in `rules` (23.33 x 120 % = 27.996 -> 28.00).

The person's cover (`Cover`)
    - NONE: no complémentaire; the reste à charge is the engine's.
    - PERCENT: the level of a « tableau de remboursement », a percentage of the
      BR that includes the AMO share: at 200 % BR, AMO + complémentaire pay at
      most twice the BR. The complémentaire's offer is level x BR - AMO share
      (before the participation forfaitaire and the franchises, which the
      complémentaire never refills).
    - FORFAIT: an amount in euros the contract pays at most for this care.
    - CSS, AME: see below.

Contrat responsable (code de la sécurité sociale, art. L871-1, R871-1 and
R871-2, as written by décret n° 2014-1374 du 18 novembre 2014 and décret
n° 2019-21 du 11 janvier 2019 for the 100 % Santé baskets; instruction
DSS/SD2A/SD3C/SD5B/SD5D/2019/116 du 29 mai 2019). Nearly every contract
sold is responsable; its rules are applied on top of the contract's level:
    1. Never covered (R871-1, L160-13 II and III): the participation
       forfaitaire and the franchises; outside the coordinated path, the
       majoration of the ticket modérateur (the gap between the in-path AMO
       share and the lower one) and the dépassement autorisé: the price may
       reach BR x 117.5 % rounded up to the euro (convention médicale 2016,
       art. 37.1), so DA = that ceiling - BR.
    2. Always covered (R871-2 1° and 2°), whatever the level says: the whole
       ticket modérateur of the coordinated path, except on medicines at 30 %
       and 15 % (service médical rendu modéré or faible), homeopathy and
       spa cures; the hospital forfait journalier, without limit of time.
    3. Dépassements of doctors outside OPTAM / OPTAM-CO (R871-2 3°): the
       contract covers at most 100 % of the BR of them, and at least 20 % of
       the BR less than it covers for an OPTAM doctor. With one level for
       every doctor, the non-OPTAM dépassement is covered up to
       min(100 % BR, the level's dépassement share - 20 % BR).
    4. 100 % Santé (R871-2 as amended by décret 2019-21): on the RAC_ZERO
       basket (optics class A, dental prosthesis « 100 % Santé », hearing aids
       class I) the contract pays everything above the AMO share, within the
       published price limits, so nothing is left. Other baskets keep the
       contract's level; hearing aids outside it are capped at 1 700 € per
       aid, AMO share included (since 2021-01-01). ASSUMPTION: the price
       typed respects the limit prices (PLV, honoraires limites), which the
       simulator does not hold; the optics ceilings of the free basket, which
       depend on the correction, are not applied.
A contract that is not responsable gets its level only, capped by the price;
its cover of the forfait journalier is unknown and taken as nil.

CSS (complémentaire santé solidaire, L861-3): it is the complémentaire. It
pays the ticket modérateur of the coordinated path (ASSUMPTION: outside the
path, the majoration stays to pay, as for a contrat responsable; not pinned to
a primary text) on every care, the forfait
journalier, and the whole price of the RAC_ZERO baskets. Professionals must
not charge a CSS beneficiary a dépassement (outside the 100 % Santé
baskets); one typed in is shown as left to pay, with a note. ASSUMPTION: the
CSS ceilings on other dental and optical equipment are not modelled (ticket
modérateur only).

AME (aide médicale de l'État, L251-2 code de l'action sociale et des
familles): the State pays 100 % of the BR and the forfait journalier, with no
coordinated path (ASSUMPTION: no majoration outside the path under the AME).
Whatever the engine leaves of the BR is shown as the AME's share; dépassements
stay to pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Basket values, as `rules.Basket` spells them.
RAC_ZERO = "100_sante"
MODERATE = "moderate"
FREE = "free"
BASKETS = (RAC_ZERO, MODERATE, FREE)

DOCTOR = "doctor"
MEDICINE = "medicine"
AUDIOLOGY = "audiology"

# Medicines whose ticket modérateur a contrat responsable need not cover.
UNCOVERED_MEDICINE_RATES = frozenset({Decimal("0.30"), Decimal("0.15")})
OUTSIDE_PATH_DEPASSEMENT = Decimal("0.175")  # dépassement autorisé, share of BR
NON_OPTAM_CAP = Decimal("1.00")  # share of BR
NON_OPTAM_GAP = Decimal("0.20")  # share of BR below the OPTAM cover
# Hearing aids outside 100 % Santé: ceiling per aid, AMO share included.
AUDIOLOGY_CEILINGS: tuple[tuple[date, Decimal], ...] = ((date(2021, 1, 1), Decimal("1700.00")),)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class CoverKind(StrEnum):
    NONE = "none"
    PERCENT = "percent"
    FORFAIT = "forfait"
    CSS = "css"
    AME = "ame"


@dataclass(frozen=True)
class Cover:
    kind: CoverKind
    percent: Decimal | None = None  # level in % of the BR, AMO included: Decimal("200")
    forfait: Decimal | None = None  # euros the contract pays at most for this care
    responsible: bool = True  # contrat responsable (PERCENT and FORFAIT only)


def in_path_amo(base: Decimal, in_path_rate: Decimal) -> Decimal:
    """The AMO share of the BR billed, at the rate it would have had in the coordinated path.

    Outside the path a specialist cannot bill the MCS, so the engine's BR in the path is
    another one: the majoration is the difference of rates on the BR actually billed
    (rounded as the engine rounds the AMO share).
    """
    return (base * in_path_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Care:
    """What the complémentaire looks at, taken from one settlement."""

    charged: Decimal
    base: Decimal
    amo: Decimal  # AMO share before deductions
    in_path_amo: Decimal  # the AMO share had the care been in the coordinated path
    kind: str
    care_date: date
    non_optam_doctor: bool = False  # secteur 2 doctor outside OPTAM
    medicine_rate: Decimal | None = None
    basket: str | None = None
    hospital_daily_charge: Decimal = ZERO

    @classmethod
    def from_settlement(
        cls, settlement, *, in_path_amo: Decimal | None = None, basket: str | None = None
    ) -> Care:
        line = settlement.line
        return cls(
            charged=line.charged,
            base=settlement.base,
            amo=settlement.amo,
            in_path_amo=settlement.amo if in_path_amo is None else in_path_amo,
            kind=str(line.kind),
            care_date=line.care_date,
            non_optam_doctor=(str(line.kind) == DOCTOR and str(line.sector) == "2" and not line.optam),
            medicine_rate=line.medicine_rate,
            basket=basket if basket is not None else getattr(line, "basket", None),
            hospital_daily_charge=settlement.hospital_daily_charge,
        )

    @property
    def ticket_moderateur(self) -> Decimal:
        return self.base - self.amo

    @property
    def depassement(self) -> Decimal:
        return self.charged - self.base

    @property
    def majoration(self) -> Decimal:
        """The ticket modérateur's increase outside the coordinated path."""
        return max(ZERO, self.in_path_amo - self.amo)

    @property
    def outside_path(self) -> bool:
        return self.majoration > 0


class Limit(StrEnum):
    """Why the complémentaire pays less than the whole reste à charge; the page explains each."""

    LEVEL = "level"  # the contract's level is reached
    OUTSIDE_PATH = "outside_path"
    NON_OPTAM = "non_optam"
    AUDIOLOGY_CEILING = "audiology_ceiling"
    CSS_NO_DEPASSEMENT = "css_no_depassement"
    DEPASSEMENT_NOT_COVERED = "depassement_not_covered"  # CSS or AME outside RAC_ZERO
    MEDICINE_RATE = "medicine_rate"  # TM of a 30 % / 15 % medicine not guaranteed
    FORFAIT_JOURNALIER_UNKNOWN = "forfait_journalier_unknown"


@dataclass(frozen=True)
class Share:
    """The complémentaire's share of one care, split as the table shows it."""

    ticket_moderateur: Decimal  # of the BR
    depassement: Decimal
    hospital_daily_charge: Decimal  # forfait journalier
    limits: frozenset[Limit]

    @property
    def total(self) -> Decimal:
        return self.ticket_moderateur + self.depassement + self.hospital_daily_charge


NOTHING = Share(ZERO, ZERO, ZERO, frozenset())


def complementary_share(care: Care, cover: Cover) -> Share:
    """The complémentaire's share of `care` under `cover`, never more than what is left to pay."""
    if cover.kind == CoverKind.NONE:
        return NOTHING
    if cover.kind == CoverKind.CSS:
        return _css(care)
    if cover.kind == CoverKind.AME:
        return _ame(care)
    offer = _offer(care, cover)
    if not cover.responsible:
        return _not_responsible(care, offer)
    return _responsible(care, offer)


def _offer(care: Care, cover: Cover) -> Decimal:
    """What the contract's level offers for this care, above the AMO share."""
    if cover.kind == CoverKind.PERCENT:
        if cover.percent is None or cover.percent < 0:
            raise ValueError("a PERCENT cover needs a level of 0 % or more")
        return max(ZERO, _cents(care.base * cover.percent / 100) - care.amo)
    if cover.forfait is None or cover.forfait < 0:
        raise ValueError("a FORFAIT cover needs an amount of 0 € or more")
    return cover.forfait


def _responsible(care: Care, offer: Decimal) -> Share:
    limits: set[Limit] = set()
    in_path_tm = care.ticket_moderateur - care.majoration
    if care.outside_path:
        limits.add(Limit.OUTSIDE_PATH)

    if care.basket == RAC_ZERO:
        return Share(in_path_tm, care.depassement, care.hospital_daily_charge, frozenset(limits))

    # The ticket modérateur: guaranteed, except on poorly reimbursed medicines.
    guaranteed = not (care.kind == MEDICINE and care.medicine_rate in UNCOVERED_MEDICINE_RATES)
    if guaranteed:
        tm = in_path_tm
    else:
        tm = min(offer, in_path_tm)
        if tm < in_path_tm:
            limits.add(Limit.MEDICINE_RATE)

    # The dépassement: what the level offers beyond the ticket modérateur, within the rules.
    offered = max(ZERO, offer - in_path_tm)
    coverable = care.depassement
    if care.outside_path:
        # Convention médicale 2016, art. 37.1: the price may exceed the in-path tariff
        # by 17.5 % at most, "arrondi à l'euro supérieur".
        ceiling = (care.base * (1 + OUTSIDE_PATH_DEPASSEMENT)).quantize(Decimal("1"), ROUND_CEILING)
        allowed = ceiling - care.base
        coverable = max(ZERO, coverable - allowed)
    if care.non_optam_doctor:
        ceiling = min(
            _cents(care.base * NON_OPTAM_CAP), max(ZERO, offered - _cents(care.base * NON_OPTAM_GAP))
        )
        if ceiling < min(offered, coverable):
            limits.add(Limit.NON_OPTAM)
        coverable = min(coverable, ceiling)
    depassement = min(offered, coverable)

    if care.kind == AUDIOLOGY:
        ceiling = _in_force(AUDIOLOGY_CEILINGS, care.care_date)
        if ceiling is not None:
            room = max(ZERO, ceiling - care.amo - tm)
            if room < depassement:
                limits.add(Limit.AUDIOLOGY_CEILING)
                depassement = room
    if depassement < care.depassement and depassement == offered:
        limits.add(Limit.LEVEL)
    return Share(tm, depassement, care.hospital_daily_charge, frozenset(limits))


def _not_responsible(care: Care, offer: Decimal) -> Share:
    tm = min(offer, care.ticket_moderateur)
    depassement = min(offer - tm, care.depassement)
    limits = {Limit.FORFAIT_JOURNALIER_UNKNOWN} if care.hospital_daily_charge else set()
    if tm + depassement < care.ticket_moderateur + care.depassement:
        limits.add(Limit.LEVEL)
    return Share(tm, depassement, ZERO, frozenset(limits))


def _css(care: Care) -> Share:
    in_path_tm = care.ticket_moderateur - care.majoration
    limits: set[Limit] = {Limit.OUTSIDE_PATH} if care.outside_path else set()
    if care.basket == RAC_ZERO:
        return Share(in_path_tm, care.depassement, care.hospital_daily_charge, frozenset(limits))
    if care.depassement:
        limits.add(Limit.CSS_NO_DEPASSEMENT if care.basket is None else Limit.DEPASSEMENT_NOT_COVERED)
    return Share(in_path_tm, ZERO, care.hospital_daily_charge, frozenset(limits))


def _ame(care: Care) -> Share:
    # No coordinated path under the AME: the whole ticket modérateur.
    limits = {Limit.DEPASSEMENT_NOT_COVERED} if care.depassement else set()
    return Share(care.ticket_moderateur, ZERO, care.hospital_daily_charge, frozenset(limits))


def _in_force(rows: tuple[tuple[date, Decimal], ...], when: date) -> Decimal | None:
    found = None
    for start, value in rows:
        if start <= when:
            found = value
    return found
