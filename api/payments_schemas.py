"""What the API sends of « Mes paiements »: the figures the pages show, as they compute them.

Amounts are decimal strings in euros (``"19.00"``), never floats; a rate is a fraction
(``"0.70"``) with its French label beside it (``"70 %"``). Each value is read from the
objects the pages render (reimbursements/queries.py, deductions.py): nothing is computed
again here.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BeforeValidator

from accounts.models import Beneficiary
from reimbursements.forms import PERIODS
from reimbursements.models import CareKind
from reimbursements.templatetags.money import percent

Money = Decimal


def _iso_only(value):
    # pydantic would read 0 or "0" as a timestamp (1 January 1970): a date is written as one.
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)):
        return value
    raise ValueError("Indiquez une date au format AAAA-MM-JJ, par exemple 2026-03-15.")


IsoDate = Annotated[date, BeforeValidator(_iso_only)]
PERIOD_CHOICES = tuple(PERIODS)
Period = Literal[PERIOD_CHOICES]  # "3", "6", "12", "27": the form's choices


class PaymentFilters(Schema):
    """The filters of « Mes paiements », checked by the page's own form."""

    period: Period | None = Field(
        None,
        description="Durée jusqu'à aujourd'hui, en mois : "
        + ", ".join(f"{k} ({v})" for k, v in PERIODS.items())
        + ". 12 par défaut ; sans effet avec « start ».",
    )
    start: IsoDate | None = Field(
        None,
        description="Du (date de paiement) ; 27 mois au plus en "
        "arrière (une date plus ancienne est ramenée à "
        "la plus ancienne consultable).",
    )
    end: IsoDate | None = Field(None, description="Au (date de paiement).")
    person: UUID | None = Field(
        None,
        description="La personne soignée : l'identifiant d'une "
        "personne de « compteurs » (vous ou un ayant droit) ; toutes "
        "par défaut.",
    )
    kind: CareKind | None = Field(None, description="Le type de soins ; tous par défaut.")


class PaymentItem(Schema):
    """A payment as the list shows it: for a transfer to a professional (tiers payant), only
    the part paid for the person's own care."""

    id: UUID = Field(alias="public_id")
    paid_on: date
    paid_to: Literal["insured", "professional"] = Field(
        description="« insured » : à vous ; « professional » : au professionnel (tiers payant)."
    )
    professional_name: str = Field(description="Vide pour un virement à vous.")
    amount: Money = Field(
        description="Le montant que montre la liste (votre part d'un virement en tiers payant)."
    )
    recovered: Money = Field(
        description="Retenues reportées d'autres soins reprises sur ce paiement (déjà déduites du montant)."
    )
    refunded: Money = Field(
        description="Retenues rendues : reprises faites pour des soins annulés "
        "depuis, rendues par ce paiement (déjà ajoutées au montant)."
    )
    act_count: int

    @staticmethod
    def resolve_paid_to(obj) -> str:
        return "insured" if obj.insured_id else "professional"

    @staticmethod
    def resolve_amount(obj) -> Decimal:
        return obj.shown_amount

    @staticmethod
    def resolve_professional_name(obj) -> str:
        return "" if obj.insured_id else obj.professional_name


class Reversal(Schema):
    on: date
    reason: str


class PaymentLine(Schema):
    """One act of the payment, with every figure of the page's table (deductions.py says what
    « due », « withheld », « carried_forward » and « recovered » mean)."""

    care_date: date
    patient: str
    act_code: str
    label: str
    kind: CareKind
    kind_label: str
    professional_name: str
    quantity: int
    charged: Money = Field(description="Facturé.")
    base: Money = Field(description="Base de remboursement (BR).")
    rate: Decimal = Field(description="Taux, en fraction de la base (0.70).")
    rate_label: str = Field(description="Le taux écrit comme sur la page (« 70 % »).")
    amo: Money = Field(description="Part Assurance Maladie, avant les retenues.")
    participation_due: Money
    franchise_due: Money
    withheld: Money = Field(description="Retenu sur ce soin.")
    carried_forward: Money = Field(description="Reporté : à retenir sur un prochain remboursement.")
    recovered: Money = Field(description="Retenues reportées d'autres soins reprises sur ce soin.")
    reimbursed: Money = Field(
        description="Remboursé pour ce soin (part AMO moins ce qui est retenu sur ce soin)."
    )
    ticket_moderateur: Money
    depassement: Money
    payee: Literal["insured", "professional"]
    payee_label: str
    state_label: str
    reversal: Reversal | None = Field(None, description="Présent si l'acte a été annulé.")
    counted: bool = Field(
        description="Faux pour un acte annulé avant son paiement : il n'entre pas dans le montant."
    )

    @staticmethod
    def resolve_patient(obj) -> str:
        return str(obj.patient)

    @staticmethod
    def resolve_act_code(obj) -> str:
        return obj.act.act_code

    @staticmethod
    def resolve_label(obj) -> str:
        return obj.act.label or obj.act.get_kind_display()

    @staticmethod
    def resolve_kind(obj) -> str:
        return obj.act.kind

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.act.get_kind_display()

    @staticmethod
    def resolve_professional_name(obj) -> str:
        return obj.act.sheet.professional.name

    @staticmethod
    def resolve_quantity(obj) -> int:
        return obj.act.quantity

    @staticmethod
    def resolve_charged(obj) -> Decimal:
        return obj.act.charged

    @staticmethod
    def resolve_rate_label(obj) -> str:
        return percent(obj.rate)

    @staticmethod
    def resolve_withheld(obj) -> Decimal:
        return obj.money.withheld

    @staticmethod
    def resolve_recovered(obj) -> Decimal:
        return obj.money.recovered

    @staticmethod
    def resolve_reimbursed(obj) -> Decimal:
        return obj.money.for_line

    @staticmethod
    def resolve_payee_label(obj) -> str:
        return obj.get_payee_display()

    @staticmethod
    def resolve_reversal(obj) -> dict | None:
        reversal = getattr(obj, "reversal", None)
        return None if reversal is None else {"on": reversal.created_at.date(), "reason": reversal.reason}

    @staticmethod
    def resolve_counted(obj) -> bool:
        return not obj.reversed_before_payment


class TakenBack(Schema):
    """An act paid earlier and cancelled since, whose amount this payment took back."""

    care_date: date
    patient: str
    label: str
    professional_name: str
    paid_on: date | None = Field(description="Le paiement qui l'avait payé.")
    payment_id: UUID | None = Field(description="Ce paiement-là (à lire par son identifiant).")
    cancelled_on: date
    reason: str
    amount: Money = Field(description="Montant repris sur ce paiement.")

    @staticmethod
    def resolve_care_date(obj) -> date:
        return obj.settlement.care_date

    @staticmethod
    def resolve_patient(obj) -> str:
        return str(obj.settlement.beneficiary or obj.settlement.insured)

    @staticmethod
    def resolve_label(obj) -> str:
        act = obj.settlement.act
        return f"{act.label or act.get_kind_display()} ({act.act_code})"

    @staticmethod
    def resolve_professional_name(obj) -> str:
        return obj.settlement.act.sheet.professional.name

    @staticmethod
    def resolve_paid_on(obj) -> date | None:
        payment = obj.settlement.payment
        return payment.paid_on if payment else None

    @staticmethod
    def resolve_payment_id(obj) -> UUID | None:
        payment = obj.settlement.payment
        return payment.public_id if payment else None

    @staticmethod
    def resolve_cancelled_on(obj) -> date:
        return obj.created_at.date()

    @staticmethod
    def resolve_amount(obj) -> Decimal:
        return obj.settlement.paid


class Refund(Schema):
    """Deductions recovered for an act cancelled since, given back by this payment
    (« Retenues rendues (soins annulés) »)."""

    care_date: date = Field(description="La date du soin annulé.")
    patient: str
    label: str
    professional_name: str
    cancelled_on: date
    amount: Money = Field(description="Montant rendu sur ce paiement.")

    @staticmethod
    def resolve_care_date(obj) -> date:
        return obj.reversal.settlement.care_date

    @staticmethod
    def resolve_patient(obj) -> str:
        settlement = obj.reversal.settlement
        return str(settlement.beneficiary or settlement.insured)

    @staticmethod
    def resolve_label(obj) -> str:
        act = obj.reversal.settlement.act
        return f"{act.label or act.get_kind_display()} ({act.act_code})"

    @staticmethod
    def resolve_professional_name(obj) -> str:
        return obj.reversal.settlement.act.sheet.professional.name

    @staticmethod
    def resolve_cancelled_on(obj) -> date:
        return obj.reversal.created_at.date()


class Breakdown(Schema):
    """« Calcul du paiement »: from the acts' reimbursement to the amount paid."""

    for_lines: Money = Field(description="Remboursé pour les actes.")
    recovered: Money = Field(description="Reprise de retenues reportées (en moins).")
    taken_back: Money = Field(description="Actes annulés repris (en moins).")
    refunded: Money = Field(description="Retenues rendues pour des soins annulés (en plus).")
    amount: Money


class PaymentDetail(Schema):
    id: UUID
    paid_on: date
    paid_to: Literal["insured", "professional"]
    professional_name: str
    iban_masked: str = Field(description="Le compte du virement, masqué ; vide en tiers payant.")
    amount: Money = Field(description="Le montant du paiement (pour vos soins, en tiers payant).")
    act_count: int
    lines: list[PaymentLine]
    breakdown: Breakdown
    taken_back: list[TakenBack]
    refunds: list[Refund] = Field(description="Retenues rendues par ce paiement.")


class PendingLine(Schema):
    """An act reimbursed and not yet paid (« En cours de paiement »)."""

    care_date: date
    patient: str
    label: str
    professional_name: str
    quantity: int
    reimbursed: Money = Field(description="Remboursé pour ce soin.")
    recovered: Money = Field(description="Retenues reportées reprises sur ce soin (à déduire).")
    carried_forward: Money
    payee: Literal["insured", "professional"]
    cancelled: bool
    state_label: str

    @staticmethod
    def resolve_reimbursed(obj) -> Decimal:
        return obj.for_line

    @staticmethod
    def resolve_cancelled(obj) -> bool:
        return obj.reversed


class Pending(Schema):
    count: int = Field(description="Combien de soins en cours de paiement, en tout.")
    results: list[PendingLine] = Field(
        description="Les plus anciens d'abord, 20 au plus, comme sur la page ; tous sont dans l'export CSV."
    )


class Counter(Schema):
    amount: Money
    cap: Money
    reached: bool


class PersonCounters(Schema):
    person_id: UUID = Field(description="À donner au filtre « person ».")
    name: str
    is_beneficiary: bool
    participation: Counter = Field(description="Participations forfaitaires dues cette année.")
    franchise: Counter = Field(description="Franchises dues cette année.")
    withheld: Money = Field(description="Dont retenu sur le soin lui-même.")
    carried_forward: Money = Field(description="Dont reporté.")
    to_recover: Money = Field(description="Retenues reportées restant à reprendre.")

    @staticmethod
    def resolve_person_id(obj) -> UUID:
        return obj.person.public_id

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj.person)

    @staticmethod
    def resolve_is_beneficiary(obj) -> bool:
        return isinstance(obj.person, Beneficiary)


class Counters(Schema):
    year: int
    people: list[PersonCounters]


class Month(Schema):
    month: date = Field(description="Le premier jour du mois.")
    label: str
    amount: Money

    @staticmethod
    def resolve_month(obj) -> date:
        return obj.first_day


class Months(Schema):
    """What the Assurance Maladie paid for the household's care, by month of payment."""

    months: list[Month] = Field(description="Les 12 derniers mois, le plus ancien d'abord.")
    total: Money
    description: str
