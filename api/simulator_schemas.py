"""The simulator's question and answer, as the public page asks and shows them.

The choices are read from the page's form (reimbursements/forms.py `SimulatorForm`): a care
added to the simulator is offered here by itself.
"""

from decimal import Decimal
from typing import Literal

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from reimbursements.forms import SimulatorForm

from .payments_schemas import IsoDate

Money = Decimal


def _values(name: str) -> tuple[str, ...]:
    """The non-empty values of a choice field of the page's form (groups flattened)."""
    values = []
    for value, label in SimulatorForm.base_fields[name].choices:
        if isinstance(label, list | tuple):
            values += [inner for inner, _ in label]
        elif value:
            values.append(value)
    return tuple(values)


class Simulation(Schema):
    """One care, one person: what the simulator form asks."""

    care: Literal[_values("care")] = Field(description="Le soin (la liste du simulateur).")
    price: Decimal = Field(ge=0, le=10000, description="Prix payé, en euros (30.50).")
    care_date: IsoDate = Field(
        description="Date des soins (pour un séjour : l'entrée) ; ni dans "
        "le futur, ni avant les barèmes du simulateur."
    )
    age: StrictInt = Field(ge=0, le=120, description="Âge du patient le jour des soins, en années.")
    cover: Literal[_values("cover")] = Field(description="Votre complémentaire santé.")
    sector: Literal[_values("sector")] = Field(
        "1", description="Secteur du médecin (« 1 », « 2_optam », « 2 »)."
    )
    coordinated_path: StrictBool = Field(True, description="Parcours de soins coordonnés respecté.")
    ald: StrictBool = Field(False, description="Soin en rapport avec une affection de longue durée.")
    maternity: StrictBool = Field(
        False, description="Enceinte depuis plus de 5 mois, ou accouchée depuis 12 jours au plus."
    )
    tiers_payant: Literal[_values("tiers_payant")] = "none"
    medicine_rate: Literal[_values("medicine_rate")] | None = Field(
        None, description="Pour une boîte de médicament : son taux, en %."
    )
    base: Decimal | None = Field(
        None, ge=0, le=10000, description="Pour un équipement : la base indiquée sur le devis."
    )
    basket: Literal[_values("basket")] | None = Field(None, description="Pour un équipement : son panier.")
    discharge_date: IsoDate | None = Field(None, description="Pour un séjour : la date de sortie.")
    percent: Decimal | None = Field(
        None, ge=0, le=1000, description="Contrat en % de la base : son niveau (200 pour 200 % BR)."
    )
    forfait: Decimal | None = Field(
        None, ge=0, le=10000, description="Contrat au forfait : son montant pour ce soin."
    )
    responsible: Literal[_values("responsible")] | None = Field(
        None, description="Contrat responsable : « yes », « no » ou « unknown »."
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"care": "gp", "price": "30.00", "care_date": "2026-01-15", "age": 40, "cover": "none"}
            ]
        }
    }

    def form_data(self) -> dict[str, str]:
        """The same answers as the page's form receives them."""
        data = {
            name: str(value)
            for name, value in self.dict(exclude_none=True).items()
            if not isinstance(value, bool)
        }
        data["coordinated_path"] = "yes" if self.coordinated_path else "no"
        data.update({name: "on" for name in ("ald", "maternity") if getattr(self, name)})
        return data


class ComplementaryShare(Schema):
    ticket_moderateur: Money
    depassement: Money
    hospital_daily_charge: Money
    total: Money


class Left(Schema):
    """What stays with the person, line by line of the page's table."""

    ticket_moderateur: Money
    depassement: Money
    hospital_daily_charge: Money
    participation: Money
    franchise: Money
    total: Money


class SimulationResult(Schema):
    """The page's « tableau de remboursement » and its details (reimbursements/simulator.py)."""

    care_label: str
    charged: Money = Field(description="Prix payé.")
    base: Money = Field(description="Base de remboursement (BR).")
    rate: Decimal = Field(description="Taux, en fraction de la base.")
    rate_label: str
    amo: Money = Field(description="Part Assurance Maladie avant retenues.")
    participation: Money = Field(description="Participation forfaitaire.")
    franchise: Money
    paid: Money = Field(description="Remboursé par l'Assurance Maladie.")
    carried_forward: Money = Field(
        description="Retenues plus grandes que ce remboursement : retenues sur un prochain."
    )
    amo_net: Money = Field(description="Part Assurance Maladie moins les retenues, maintenant ou plus tard.")
    ticket_moderateur: Money
    depassement: Money
    hospital_daily_charge: Money = Field(description="Forfait journalier.")
    total_charged: Money
    out_of_pocket: Money = Field(description="Reste à charge avant la complémentaire.")
    payer_label: str
    complementary: ComplementaryShare
    left: Left = Field(description="Reste à charge après la complémentaire.")
    remaining: Money = Field(description="Reste à charge, après la complémentaire.")
    advance: Money = Field(description="Ce que vous payez le jour des soins.")
    tiers_payant: str
    notes: list[str] = Field(description="Les limites de la complémentaire qui s'appliquent.")
