"""Forms of the reimbursements app; they return typed values, never raw strings."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from ameli_portal.forms import FrenchAmountField

from .complementary import FREE, MODERATE, RAC_ZERO, Cover, CoverKind
from .models import CareKind
from .queries import Filters, history_start, months_back
from .rules import MEDICINE_RATES as RULES_MEDICINE_RATES
from .rules import TABLE_START, Sector
from .simulator import CARE_GROUPS, CARES, TiersPayant

SECTORS = {
    "1": (Sector.SECTOR_1, False),
    "2_optam": (Sector.SECTOR_2, True),
    "2": (Sector.SECTOR_2, False),
}
# The rates the engine knows (rules.MEDICINE_RATES), by the percent the form's choices send.
MEDICINE_RATES = {f"{rate * 100:.0f}": rate for rate in RULES_MEDICINE_RATES}
MAX_PRICE = Decimal("10000")
MAX_STAY_DAYS = 365
# Spaces people type or paste inside amounts: regular, no-break, narrow no-break.
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class EuroField(FrenchAmountField):
    """Euros typed the French way: "30,50", "1 234,56 €" as well as "30.50" (the portal's field)."""


class PercentField(forms.DecimalField):
    """A percentage typed as "200", "200 %", "200 % BR" or "150,5"."""

    is_money = False  # a level, not an amount: « 200 € » here would be a mistake, not 200 %

    def to_python(self, value):
        if isinstance(value, str):
            value = _SPACES.sub("", value)
            if value[-2:].upper() == "BR":
                value = value[:-2]
            value = value.removesuffix("%").replace(",", ".")
        return super().to_python(value)


BASKET_LABELS = {
    RAC_ZERO: "Panier « 100 % Santé » (sans reste à charge)",
    MODERATE: "Panier à tarifs maîtrisés (dentaire)",
    FREE: "Tarifs libres",
}
COVERS_WITH_LEVEL = (CoverKind.PERCENT, CoverKind.FORFAIT)


MAX_QUANTITY = 99


class SimulatorForm(forms.Form):
    care = forms.ChoiceField(
        label="Soin",
        choices=[("", "Choisissez un soin")]
        + [(group, [(key, care.label) for key, care in cares]) for group, cares in CARE_GROUPS],
        help_text="Le soin le plus proche de celui que vous avez reçu ou allez recevoir.",
        error_messages={
            "required": "Choisissez le soin à simuler.",
            "invalid_choice": "Choisissez un soin dans la liste.",
        },
    )
    medicine_rate = forms.ChoiceField(
        label="Taux de remboursement du médicament",
        required=False,
        initial="65",
        choices=[
            ("65", "65 % (la plupart des médicaments)"),
            ("30", "30 %"),
            ("15", "15 %"),
            ("100", "100 % (médicaments reconnus irremplaçables et coûteux)"),
        ],
        widget=forms.RadioSelect,
        help_text="Seulement pour une boîte de médicament : votre pharmacien peut vous indiquer le taux.",
        error_messages={"invalid_choice": "Choisissez l'un des taux proposés."},
    )
    price = EuroField(
        label="Prix payé (en euros)",
        min_value=0,
        max_value=MAX_PRICE,
        decimal_places=2,
        max_digits=7,
        help_text="Le montant facturé par le professionnel, ou le prix de la boîte de "
        "médicament ; pour plusieurs boîtes ou séances, le prix d'une seule. Par exemple : 30 ou 30,50.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "required": "Indiquez le prix payé.",
            "invalid": "Indiquez le prix en euros avec des chiffres, par exemple 30 ou 30,50.",
            "min_value": "Le prix ne peut pas être négatif.",
            "max_value": "Le prix ne peut pas dépasser 10 000 €.",
            "max_decimal_places": "Indiquez le prix au centime près : deux chiffres au plus "
            "après la virgule.",
            "max_digits": "Le prix ne peut pas dépasser 10 000 €.",
            "max_whole_digits": "Le prix ne peut pas dépasser 10 000 €.",
        },
    )
    quantity = forms.IntegerField(
        label="Quantité",
        required=False,
        initial=1,
        min_value=1,
        max_value=MAX_QUANTITY,
        help_text="Le nombre de boîtes, de séances ou d'actes identiques (par exemple 3 boîtes) : "
        "le prix payé est celui d'une unité. 1 pour un séjour à l'hôpital.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": "Indiquez la quantité avec des chiffres, par exemple 3.",
            "min_value": "La quantité est au moins 1.",
            "max_value": f"Le simulateur compte {MAX_QUANTITY} unités au plus.",
        },
    )
    base = EuroField(
        label="Base de remboursement indiquée sur le devis (en euros)",
        required=False,
        min_value=0,
        max_value=MAX_PRICE,
        decimal_places=2,
        max_digits=7,
        help_text="Seulement pour des lunettes, une prothèse dentaire ou une aide auditive : "
        "le devis de l'opticien, du dentiste ou de l'audioprothésiste l'indique.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": "Indiquez la base en euros avec des chiffres, par exemple 120 ou 107,50.",
            "min_value": "La base ne peut pas être négative.",
            "max_value": "La base ne peut pas dépasser 10 000 €.",
            "max_decimal_places": "Indiquez la base au centime près : deux chiffres au plus "
            "après la virgule.",
            "max_digits": "La base ne peut pas dépasser 10 000 €.",
            "max_whole_digits": "La base ne peut pas dépasser 10 000 €.",
        },
    )
    basket = forms.ChoiceField(
        label="Panier de l'équipement",
        required=False,
        choices=list(BASKET_LABELS.items()),
        widget=forms.RadioSelect,
        help_text="Seulement pour des lunettes, une prothèse dentaire ou une aide auditive : "
        "le devis indique le panier de chaque équipement.",
        error_messages={"invalid_choice": "Choisissez l'un des paniers proposés."},
    )
    care_date = forms.DateField(
        label="Date des soins",
        initial=timezone.localdate,
        help_text="Les barèmes appliqués dépendent de la date des soins ; pour un séjour à "
        "l'hôpital, indiquez la date d'entrée.",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={
            "required": "Indiquez la date des soins.",
            "invalid": "Indiquez une date valide, par exemple 15/03/2025.",
        },
    )
    discharge_date = forms.DateField(
        label="Date de sortie de l'hôpital",
        required=False,
        help_text="Seulement pour un séjour à l'hôpital : le forfait journalier est dû pour "
        "chaque jour, celui de la sortie compris, sauf pour un séjour de moins d'un jour.",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"invalid": "Indiquez une date valide, par exemple 18/03/2025."},
    )
    sector = forms.ChoiceField(
        label="Secteur du médecin",
        initial="1",
        choices=[
            ("1", "Secteur 1 (tarifs de la Sécurité sociale)"),
            ("2_optam", "Secteur 2, adhérent OPTAM (dépassements modérés)"),
            ("2", "Secteur 2, non adhérent OPTAM"),
        ],
        widget=forms.RadioSelect,
        help_text="Pour une consultation de médecin. Le secteur est indiqué sur "
        "l'annuaire santé d'ameli ou au cabinet. Pour les autres soins, il est sans effet.",
        error_messages={
            "required": "Choisissez le secteur du médecin.",
            "invalid_choice": "Choisissez l'un des secteurs proposés.",
        },
    )
    coordinated_path = forms.TypedChoiceField(
        label="Respectez-vous le parcours de soins coordonnés ?",
        initial="yes",
        choices=[
            ("yes", "Oui : je consulte mon médecin traitant, ou un médecin vers qui il m'a orienté"),
            ("no", "Non : je n'ai pas de médecin traitant, ou je consulte sans être orienté"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text="Pour une consultation de médecin. Sans effet avant 16 ans, et pour le "
        "gynécologue et l'ophtalmologue, accessibles directement.",
        error_messages={
            "required": "Indiquez si vous respectez le parcours de soins coordonnés.",
            "invalid_choice": "Choisissez Oui ou Non.",
        },
    )
    age = forms.IntegerField(
        label="Âge du patient le jour des soins",
        min_value=0,
        max_value=120,
        help_text="En années, par exemple 42. Pour un bébé de moins d'un an, indiquez 0.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": "Indiquez l'âge du patient.",
            "invalid": "Indiquez l'âge en années avec des chiffres, par exemple 42.",
            "min_value": "L'âge doit être compris entre 0 et 120 ans.",
            "max_value": "L'âge doit être compris entre 0 et 120 ans.",
        },
    )
    ald = forms.BooleanField(
        label="Ce soin est en rapport avec une affection de longue durée (ALD)",
        required=False,
        help_text="Les soins liés à l'ALD sont remboursés à 100 %.",
    )
    maternity = forms.BooleanField(
        label="La patiente est enceinte depuis plus de 5 mois, ou a accouché il y a 12 jours au plus",
        required=False,
        help_text="Soins remboursés à 100 %, sans participation forfaitaire ni franchise.",
    )

    cover = forms.ChoiceField(
        label="Votre complémentaire santé (mutuelle)",
        choices=[
            (CoverKind.NONE, "Je n'ai pas de complémentaire santé"),
            (
                CoverKind.PERCENT,
                "Mon contrat rembourse un pourcentage de la base de "
                "remboursement (par exemple 100 %, 150 % ou 200 % BR)",
            ),
            (CoverKind.FORFAIT, "Mon contrat rembourse un forfait en euros pour ce soin"),
            (CoverKind.CSS, "J'ai la complémentaire santé solidaire (CSS)"),
            (CoverKind.AME, "J'ai l'aide médicale de l'État (AME)"),
        ],
        widget=forms.RadioSelect,
        help_text="Le tableau de remboursement de votre contrat indique son niveau pour "
        "chaque type de soins.",
        error_messages={
            "required": "Indiquez votre complémentaire santé, ou que vous n'en avez pas.",
            "invalid_choice": "Choisissez l'une des réponses proposées.",
        },
    )
    percent = PercentField(
        label="Niveau de remboursement de votre contrat (en % de la base)",
        required=False,
        min_value=0,
        max_value=1000,
        decimal_places=2,
        max_digits=6,
        help_text="Si votre contrat rembourse un pourcentage : par exemple 200 pour « 200 % BR ». "
        "Ce pourcentage comprend la part de l'Assurance Maladie.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": "Indiquez le niveau avec des chiffres, par exemple 100, 150 ou 200.",
            "min_value": "Le niveau doit être compris entre 0 et 1 000 %%.",
            "max_value": "Le niveau doit être compris entre 0 et 1 000 %%.",
            "max_decimal_places": "Indiquez le niveau avec deux chiffres au plus après la virgule.",
            "max_digits": "Le niveau doit être compris entre 0 et 1 000 %%.",
            "max_whole_digits": "Le niveau doit être compris entre 0 et 1 000 %%.",
        },
    )
    forfait = EuroField(
        label="Forfait de votre contrat pour ce soin (en euros)",
        required=False,
        min_value=0,
        max_value=MAX_PRICE,
        decimal_places=2,
        max_digits=7,
        help_text="Si votre contrat rembourse un forfait : le montant qu'il paie au plus pour "
        "ce soin, par exemple 150 ou 1 250,00.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": "Indiquez le forfait en euros avec des chiffres, par exemple 150 ou 150,50.",
            "min_value": "Le forfait ne peut pas être négatif.",
            "max_value": "Le forfait ne peut pas dépasser 10 000 €.",
            "max_decimal_places": "Indiquez le forfait au centime près : deux chiffres au plus "
            "après la virgule.",
            "max_digits": "Le forfait ne peut pas dépasser 10 000 €.",
            "max_whole_digits": "Le forfait ne peut pas dépasser 10 000 €.",
        },
    )
    responsible = forms.ChoiceField(
        label="Votre contrat est-il « responsable » ?",
        required=False,
        initial="yes",
        choices=[
            ("yes", "Oui"),
            ("unknown", "Je ne sais pas (presque tous les contrats le sont)"),
            ("no", "Non"),
        ],
        widget=forms.RadioSelect,
        help_text="Un contrat responsable rembourse toujours le ticket modérateur et le forfait "
        "journalier, jamais la participation forfaitaire ni les franchises. Votre contrat ou "
        "votre échéancier l'indique.",
        error_messages={"invalid_choice": "Choisissez Oui, Non ou Je ne sais pas."},
    )
    tiers_payant = forms.ChoiceField(
        label="Tiers payant",
        initial=TiersPayant.NONE,
        choices=[
            (TiersPayant.NONE, "Non : je paie le professionnel, puis je suis remboursé"),
            (TiersPayant.AMO, "Oui, pour la part de l'Assurance Maladie"),
            (
                TiersPayant.FULL,
                "Oui, pour la part de l'Assurance Maladie et celle de ma "
                "complémentaire (tiers payant intégral)",
            ),
        ],
        widget=forms.RadioSelect,
        help_text="Ce que vous n'avancez pas, le professionnel le reçoit directement. Avec la "
        "CSS ou l'AME, le tiers payant est toujours intégral.",
        error_messages={
            "required": "Indiquez si vous bénéficiez du tiers payant.",
            "invalid_choice": "Choisissez l'une des réponses proposées.",
        },
    )

    SITUATION_FIELDS = ("ald", "maternity")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["care_date"].widget.attrs.update(
            min=TABLE_START.isoformat(), max=timezone.localdate().isoformat()
        )

    @property
    def situation_fields(self):
        """The checkboxes, shown together under one legend."""
        return [self[name] for name in self.SITUATION_FIELDS]

    def clean_care(self):
        return CARES[self.cleaned_data["care"]]

    def clean_medicine_rate(self):
        value = self.cleaned_data["medicine_rate"]
        return MEDICINE_RATES[value] if value else None

    def clean_care_date(self) -> date:
        value = self.cleaned_data["care_date"]
        if value > timezone.localdate():
            raise ValidationError("La date des soins ne peut pas être dans le futur.", code="future")
        if value < TABLE_START:
            raise ValidationError(
                f"Le simulateur couvre les soins à partir du {TABLE_START:%d/%m/%Y}.",
                code="too_old",
            )
        return value

    def clean(self):
        cleaned = super().clean()
        sector = cleaned.pop("sector", None)
        if sector is not None:
            cleaned["sector"], cleaned["optam"] = SECTORS[sector]
        care = cleaned.get("care")
        if care is not None and care.is_medicine and cleaned.get("medicine_rate") is None:
            self.add_error("medicine_rate", "Choisissez le taux de remboursement du médicament.")
        if care is not None and care.is_equipment:
            self._clean_equipment(care, cleaned)
        if cleaned.get("quantity") is None and "quantity" not in self.errors:
            cleaned["quantity"] = 1  # left empty: one
        if care is not None and care.is_stay:
            self._clean_stay(cleaned)
            if (cleaned.get("quantity") or 1) > 1:
                self.add_error(
                    "quantity",
                    "Un séjour à l'hôpital se simule à l'unité (quantité 1) : "
                    "sa durée vient des dates d'entrée et de sortie.",
                )
        self._clean_cover(cleaned)
        return cleaned

    def _clean_equipment(self, care, cleaned):
        if cleaned.get("base") is None and "base" not in self.errors:
            self.add_error("base", "Indiquez la base de remboursement indiquée sur le devis.")
        basket = cleaned.get("basket")
        if not basket and "basket" not in self.errors:
            self.add_error("basket", "Choisissez le panier de l'équipement, indiqué sur le devis.")
        elif basket and basket not in care.baskets:
            self.add_error("basket", "Ce panier n'existe que pour les prothèses dentaires.")

    def _clean_stay(self, cleaned):
        admitted, discharged = cleaned.get("care_date"), cleaned.get("discharge_date")
        if "discharge_date" in self.errors:
            return
        if discharged is None:
            self.add_error("discharge_date", "Indiquez la date de sortie de l'hôpital.")
        elif admitted is not None and discharged < admitted:
            self.add_error(
                "discharge_date",
                "La date de sortie ne peut pas précéder la date des soins (l'entrée à l'hôpital).",
            )
        elif admitted is not None and (discharged - admitted).days > MAX_STAY_DAYS:
            self.add_error(
                "discharge_date", f"Le simulateur couvre les séjours de {MAX_STAY_DAYS} jours au plus."
            )

    def _clean_cover(self, cleaned):
        kind = cleaned.get("cover")
        if kind is None:
            return
        kind = CoverKind(kind)
        if kind in (CoverKind.CSS, CoverKind.AME):
            cleaned["tiers_payant"] = TiersPayant.FULL
        if kind == CoverKind.PERCENT and cleaned.get("percent") is None and "percent" not in self.errors:
            self.add_error(
                "percent",
                "Indiquez le niveau de remboursement de votre contrat, par exemple 200 pour « 200 % BR ».",
            )
        if kind == CoverKind.FORFAIT and cleaned.get("forfait") is None and "forfait" not in self.errors:
            self.add_error("forfait", "Indiquez le forfait de votre contrat pour ce soin.")
        if kind in COVERS_WITH_LEVEL and not cleaned.get("responsible") and "responsible" not in self.errors:
            self.add_error("responsible", "Indiquez si votre contrat est responsable.")
        if self.errors:
            return
        cleaned["cover"] = Cover(
            kind,
            percent=cleaned.get("percent") if kind == CoverKind.PERCENT else None,
            forfait=cleaned.get("forfait") if kind == CoverKind.FORFAIT else None,
            # "Je ne sais pas": almost every contract is responsable.
            responsible=cleaned.get("responsible") != "no",
        )


PERIODS = {
    "3": "Les 3 derniers mois",
    "6": "Les 6 derniers mois",
    "12": "Les 12 derniers mois",
    "27": "Les 27 derniers mois (tout l'historique consultable)",
}
DEFAULT_PERIOD = "12"
DATE_ERRORS = {"invalid": "Indiquez une date valide, par exemple 15/03/2025."}


class PaymentsFilterForm(forms.Form):
    """Filters of "Mes paiements", read from the query string.

    ``filters()`` always answers: a field typed wrong keeps its value in the form, shows its
    error, and falls back to its default for the list, so that nothing else is lost.
    """

    period = forms.ChoiceField(
        label="Durée",
        required=False,
        initial=DEFAULT_PERIOD,
        choices=list(PERIODS.items()),
        help_text="Jusqu'à aujourd'hui. Ou choisissez vos dates ci-dessous.",
        error_messages={"invalid_choice": "Choisissez l'une des périodes proposées."},
    )
    start = forms.DateField(
        label="Du",
        required=False,
        help_text="Facultatif. Par exemple : 15/03/2025.",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )
    end = forms.DateField(
        label="Au",
        required=False,
        help_text="Facultatif.",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages=DATE_ERRORS,
    )
    person = forms.ChoiceField(
        label="Personne soignée",
        required=False,
        error_messages={"invalid_choice": "Choisissez l'une des personnes de la liste."},
    )
    kind = forms.ChoiceField(
        label="Type de soins",
        required=False,
        choices=[("", "Tous les soins"), *CareKind.choices],
        error_messages={"invalid_choice": "Choisissez l'un des types de soins de la liste."},
    )

    def __init__(self, *args, insured, beneficiaries, today: date, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.today = today
        self.oldest = history_start(today)
        self.clamped = False
        self.people = {str(insured.public_id): insured} | {str(b.public_id): b for b in beneficiaries}
        self.fields["person"].choices = [("", "Toutes les personnes")] + [
            (key, f"{person.full_name} (vous)" if person is insured else str(person))
            for key, person in self.people.items()
        ]
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(min=self.oldest.isoformat(), max=today.isoformat())

    def clean_start(self):
        start = self.cleaned_data["start"]
        if start is not None and start < self.oldest:
            self.clamped = True
            return self.oldest
        return start

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "La date de fin doit être postérieure à la date de début.")
        elif end is not None and end < self.oldest:
            self.add_error("end", f"Les paiements sont consultables à partir du {self.oldest:%d/%m/%Y}.")
        return cleaned

    def filters(self) -> Filters:
        if self.is_bound:
            self.is_valid()
            data = self.cleaned_data
        else:
            data = {}
        start, end = data.get("start"), data.get("end")
        if start is None:
            months = int(data.get("period") or DEFAULT_PERIOD)
            start = months_back(self.today, months) if end is None else self.oldest
        return Filters(
            start=start,
            end=end,
            person=self.people.get(data.get("person") or ""),
            kind=data.get("kind") or "",
        )

    @property
    def uses_dates(self) -> bool:
        return self.is_bound and bool(self.data.get("start") or self.data.get("end"))
